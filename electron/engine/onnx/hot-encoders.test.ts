import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProto_SegmentSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProtoSchema,
  type ModelProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeModel } from '../testing/model-fixtures.js';
import { decodeModel } from './decode-model.js';
import { serializeToBytes } from './proto-stream-writer.js';

/*
 * The stream writer's hand-written TensorProto / NodeProto / entry encoders (hot-encoders.ts) must write
 * exactly what protobuf-es's toBinary writes, for every field and presence case (conformance.test.ts
 * checks the same on ONNX's test models, which rarely set the unusual fields).
 */

const unknown = [
  { no: 900, wireType: 0, data: Uint8Array.from([7]) },
  { no: 901, wireType: 2, data: Uint8Array.from([2, 1, 2]) },
];

function expectSameBytes(model: ModelProto): void {
  const expected = Buffer.from(toBinary(ModelProtoSchema, model));
  expect(Buffer.from(serializeToBytes(ModelProtoSchema, model)).equals(expected)).toBe(true);
  // And again after a load: decoded messages (constructor-built, typed float lists) write the same.
  expect(Buffer.from(serializeToBytes(ModelProtoSchema, decodeModel(expected))).equals(expected)).toBe(true);
}

function graphOf(init: Parameters<typeof create<typeof GraphProtoSchema>>[1]): ModelProto {
  return makeModel(create(GraphProtoSchema, init));
}

describe('hot encoders', () => {
  it('write every TensorProto field as protobuf-es does, set or at its default', () => {
    const full = create(TensorProtoSchema, {
      dims: [2n, -1n, 2n ** 40n],
      dataType: -3,
      segment: create(TensorProto_SegmentSchema, { begin: 1n, end: 2n }),
      floatData: [1.5, -0],
      int32Data: [-1, 2 ** 31 - 1],
      stringData: [Uint8Array.from([0xff]), new Uint8Array(0)],
      int64Data: [-(2n ** 63n)],
      name: 'wé🙂',
      rawData: Uint8Array.from([1, 2, 3]),
      docString: 'd'.repeat(300),
      externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: 'w.bin' })],
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      doubleData: [0.25],
      uint64Data: [2n ** 64n - 1n],
      metadataProps: [create(StringStringEntryProtoSchema, { key: 'k', value: '' })],
    });
    full.$unknown = unknown;
    const defaults = create(TensorProtoSchema, {
      name: '',
      dataType: 0,
      rawData: new Uint8Array(0),
      docString: '',
    });
    defaults.dataLocation = TensorProto_DataLocation.DEFAULT;
    const entry = create(StringStringEntryProtoSchema, { key: '', value: '' });
    entry.$unknown = unknown;
    const absent = create(TensorProtoSchema, { externalData: [entry, create(StringStringEntryProtoSchema)] });
    expectSameBytes(graphOf({ initializer: [full, defaults, absent, create(TensorProtoSchema)] }));
  });

  it('write every NodeProto field as protobuf-es does, set or at its default', () => {
    const full = create(NodeProtoSchema, {
      input: ['a', '', 'ü'.repeat(40)],
      output: ['y'],
      name: 'n',
      opType: 'Add',
      attribute: [create(AttributeProtoSchema, { name: 'alpha', f: 0.5, type: 1 })],
      docString: 'doc',
      domain: 'com.example',
      overload: 'o',
      metadataProps: [create(StringStringEntryProtoSchema, { key: 'k', value: 'v' })],
    });
    full.$unknown = unknown;
    const defaults = create(NodeProtoSchema, {
      name: '',
      opType: '',
      docString: '',
      domain: '',
      overload: '',
    });
    const inner = graphOf({ node: [full] }).graph!;
    const withSubgraph = create(NodeProtoSchema, {
      opType: 'If',
      attribute: [create(AttributeProtoSchema, { name: 'then_branch', g: inner, type: 5 })],
    });
    expectSameBytes(graphOf({ node: [full, defaults, create(NodeProtoSchema), withSubgraph] }));
  });
});
