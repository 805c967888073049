import { equals, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { buildCnn } from '../testing/model-fixtures.js';
import { decodeModel } from './decode-model.js';
import { makeNode, makeValueInfo } from './graph-build.js';
import { serializeToBytes } from './proto-stream-writer.js';
import { shareModel } from './share-model.js';

describe('shareModel', () => {
  it('gives a model whose lists can change without changing the original, sharing nodes and weights', () => {
    const bytes = toBinary(ModelProtoSchema, buildCnn());
    const model = decodeModel(bytes);
    const copy = shareModel(model);
    expect(equals(ModelProtoSchema, copy, model)).toBe(true);
    expect(copy.graph!.node[0]).toBe(model.graph!.node[0]);
    expect(copy.graph!.initializer[0]).toBe(model.graph!.initializer[0]);

    copy.graph!.node.push(makeNode('Relu', [model.graph!.output[0]!.name], ['extra'], { name: 'extra' }));
    copy.graph!.output = [makeValueInfo('extra', TensorProto_DataType.FLOAT)];
    copy.graph!.initializer.pop();
    copy.opsetImport.pop();
    copy.graph!.name = 'changed';

    // The original still writes exactly the bytes it was decoded from.
    expect(Buffer.from(serializeToBytes(ModelProtoSchema, model)).equals(Buffer.from(bytes))).toBe(true);
    // And the copy writes what it now says (its unchanged nodes copied from the source bytes).
    expect(
      Buffer.from(serializeToBytes(ModelProtoSchema, copy)).equals(
        Buffer.from(toBinary(ModelProtoSchema, copy)),
      ),
    ).toBe(true);
  });
});
