import fs from 'node:fs';
import path from 'node:path';
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  type ModelProto,
} from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.js';
import { saveModel } from './save-model.js';
import { makeGraph, makeModel } from '../testing/model-fixtures.js';
import { decodeModel } from './decode-model.js';
import { makeNode, makeValueInfo } from './graph-build.js';
import { serializeToBytes } from './proto-stream-writer.js';

/*
 * Saving copies the bytes of nodes and initializers that still say what they were decoded from
 * (source-spans.ts, verbatim-match.ts). Every change to a decoded model must still be written: after each
 * change below the writer's output must equal protobuf-es's encoding of the changed model. And the copy
 * must really happen, which a source whose records are laid out unlike an encoder's output shows: copied,
 * they keep that layout.
 */

function floats(values: number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A model with what the matcher handles: attributes of each kind it reads, a Constant's tensor, doc strings. */
function sampleModel(): ModelProto {
  const tensor = (name: string, values: number[]) =>
    create(TensorProtoSchema, {
      name,
      dims: [BigInt(values.length)],
      dataType: TensorProto_DataType.FLOAT,
      rawData: floats(values),
    });
  const constant = makeNode('Constant', [], ['c'], { name: 'const' });
  constant.attribute = [
    create(AttributeProtoSchema, {
      name: 'value',
      type: AttributeProto_AttributeType.TENSOR,
      t: tensor('c_value', [5, 6]),
    }),
  ];
  const add = makeNode('Add', ['x', 'w0'], ['s'], { name: 'add' });
  const mul = makeNode('Mul', ['s', 'c'], ['m'], { name: 'mul' });
  mul.docString = 'scaled';
  const concat = makeNode('Concat', ['m', 'w1'], ['y'], { name: 'concat' });
  concat.attribute = [
    create(AttributeProtoSchema, { name: 'axis', type: AttributeProto_AttributeType.INT, i: -1n }),
    create(AttributeProtoSchema, { name: 'alpha', type: AttributeProto_AttributeType.FLOAT, f: 0.25 }),
    create(AttributeProtoSchema, {
      name: 'perm',
      type: AttributeProto_AttributeType.INTS,
      ints: [1n, -2n, 3n],
    }),
    create(AttributeProtoSchema, {
      name: 'scales',
      type: AttributeProto_AttributeType.FLOATS,
      floats: [0.5, 2],
    }),
    create(AttributeProtoSchema, {
      name: 'mode',
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode('nearest'),
    }),
  ];
  const graph = makeGraph('g', {
    nodes: [constant, add, mul, concat],
    inputs: [makeValueInfo('x', TensorProto_DataType.FLOAT, [2])],
    outputs: [makeValueInfo('y', TensorProto_DataType.FLOAT, [4])],
    initializers: [tensor('w0', [1, 2]), tensor('w1', [3, 4]), tensor('w2', [7, 8])],
  });
  graph.initializer[2]!.docString = 'unused';
  return makeModel(graph);
}

function expectEncodedAsChanged(model: ModelProto): void {
  const expected = Buffer.from(toBinary(ModelProtoSchema, model));
  expect(Buffer.from(serializeToBytes(ModelProtoSchema, model)).equals(expected)).toBe(true);
}

const decoded = () => decodeModel(toBinary(ModelProtoSchema, sampleModel()));

describe('copying unchanged records when saving', () => {
  it('writes a model it decoded byte for byte', () => {
    const bytes = toBinary(ModelProtoSchema, sampleModel());
    expect(
      Buffer.from(serializeToBytes(ModelProtoSchema, decodeModel(bytes))).equals(Buffer.from(bytes)),
    ).toBe(true);
  });

  const changes: [string, (m: ModelProto) => void][] = [
    ['a tensor renamed', (m) => (m.graph!.initializer[0]!.name = 'w0b')],
    ['a dim changed', (m) => (m.graph!.initializer[1]!.dims[0] = 3n)],
    ['a dim added', (m) => m.graph!.initializer[1]!.dims.push(1n)],
    ['the data type changed', (m) => (m.graph!.initializer[0]!.dataType = TensorProto_DataType.INT32)],
    ['tensor data replaced by a copy', (m) => (m.graph!.initializer[0]!.rawData = floats([9, 9]))],
    ['tensor data changed in place', (m) => (m.graph!.initializer[0]!.rawData[0] = 0x7f)],
    ['a doc string set that was absent', (m) => (m.graph!.initializer[0]!.docString = 'new')],
    ['an empty string set that was absent (proto2 presence)', (m) => (m.graph!.node[1]!.docString = '')],
    ['a doc string removed', (m) => delete (m.graph!.initializer[2] as { docString?: string }).docString],
    ['typed data added', (m) => (m.graph!.initializer[1]!.int64Data = [1n])],
    ['a node input renamed', (m) => (m.graph!.node[1]!.input[1] = 'w1')],
    ['a node output added', (m) => m.graph!.node[2]!.output.push('extra')],
    ['an op type changed', (m) => (m.graph!.node[2]!.opType = 'Sub')],
    ['an attribute int changed', (m) => (m.graph!.node[3]!.attribute[0]!.i = 0n)],
    ['an attribute float changed', (m) => (m.graph!.node[3]!.attribute[1]!.f = 0.1)],
    ['an attribute list grown', (m) => m.graph!.node[3]!.attribute[2]!.ints.push(4n)],
    ['an attribute string replaced', (m) => (m.graph!.node[3]!.attribute[4]!.s = Uint8Array.from([0x61]))],
    ['an attribute removed', (m) => m.graph!.node[3]!.attribute.pop()],
    [
      'an attribute added',
      (m) => m.graph!.node[1]!.attribute.push(create(AttributeProtoSchema, { name: 'k' })),
    ],
    ["a Constant's tensor changed", (m) => m.graph!.node[0]!.attribute[0]!.t!.dims.push(1n)],
    ['a node removed', (m) => m.graph!.node.splice(1, 1)],
    ['a node inserted', (m) => m.graph!.node.splice(1, 0, makeNode('Relu', ['x'], ['r']))],
    ['initializers reversed', (m) => m.graph!.initializer.reverse()],
    [
      'an initializer replaced by a new one with the same fields',
      (m) => {
        const old = m.graph!.initializer[1]!;
        m.graph!.initializer[1] = create(TensorProtoSchema, {
          name: old.name,
          dims: [...old.dims],
          dataType: old.dataType,
          rawData: old.rawData,
        });
      },
    ],
    [
      'nodes swapped',
      (m) => {
        const nodes = m.graph!.node;
        [nodes[1], nodes[2]] = [nodes[2]!, nodes[1]!];
      },
    ],
  ];
  it.each(changes)('writes the model as changed: %s', (_label, change) => {
    const model = decoded();
    change(model);
    expectEncodedAsChanged(model);
  });
});

/** The sample model's initializer values, by name. */
const VALUES: Record<string, number[]> = { w0: [1, 2], w1: [3, 4], w2: [7, 8] };

/** A tensor record laid out unlike an encoder would: name first, then data, data type, dims. */
function oddTensor(name: string, values: number[]): Uint8Array {
  return new BinaryWriter()
    .tag(8, WireType.LengthDelimited)
    .string(name)
    .tag(9, WireType.LengthDelimited)
    .bytes(floats(values))
    .tag(2, WireType.Varint)
    .int32(TensorProto_DataType.FLOAT)
    .tag(1, WireType.Varint)
    .int64(values.length)
    .finish();
}

/** The sample model, its initializers laid out as oddTensor does. */
function oddModelBytes(): Uint8Array {
  const model = sampleModel();
  const graph = model.graph!;
  const initializers = graph.initializer;
  graph.initializer = [];
  const canonical = toBinary(ModelProtoSchema, model);
  // Appending records to the graph (field 7) is the same as merging them into it (protobuf merge rules).
  const extra = new BinaryWriter();
  for (const t of initializers) {
    extra.tag(5, WireType.LengthDelimited).bytes(oddTensor(t.name, VALUES[t.name]!));
  }
  const graphPart = new BinaryWriter().tag(7, WireType.LengthDelimited).bytes(extra.finish()).finish();
  return Buffer.concat([canonical, graphPart]);
}

describe('records copied, not encoded', () => {
  it('keeps the layout of unchanged records, and encodes the changed one', () => {
    const bytes = oddModelBytes();
    const model = decodeModel(bytes);
    expect(model.graph!.initializer.map((t) => t.name)).toEqual(['w0', 'w1', 'w2']);
    const written = Buffer.from(serializeToBytes(ModelProtoSchema, model));
    // Encoded, the tensors would come out in field order; copied, they keep the source's.
    expect(written.equals(Buffer.from(toBinary(ModelProtoSchema, model)))).toBe(false);
    expect(equals(ModelProtoSchema, decodeModel(written), model)).toBe(true);
    for (const t of model.graph!.initializer)
      expect(written.includes(Buffer.from(oddTensor(t.name, VALUES[t.name]!)))).toBe(true);

    // The first initializer removed and the second renamed: the third is still found and copied.
    model.graph!.initializer.shift();
    model.graph!.initializer[0]!.name = 'renamed';
    const after = Buffer.from(serializeToBytes(ModelProtoSchema, model));
    expect(equals(ModelProtoSchema, decodeModel(after), model)).toBe(true);
    expect(after.includes(Buffer.from(oddTensor('w2', [7, 8])))).toBe(true);
    expect(after.includes(Buffer.from(oddTensor('renamed', [3, 4])))).toBe(false);
    const reencoded = toBinary(TensorProtoSchema, model.graph!.initializer[0]!);
    expect(after.includes(Buffer.from(reencoded))).toBe(true);
  });

  it('finds a tensor by its data wherever it moved in the list', () => {
    const model = decodeModel(oddModelBytes());
    const [w0, w1, w2] = model.graph!.initializer;
    model.graph!.initializer = [w2!, w0!, w1!];
    const written = Buffer.from(serializeToBytes(ModelProtoSchema, model));
    expect(equals(ModelProtoSchema, decodeModel(written), model)).toBe(true);
    for (const t of model.graph!.initializer)
      expect(written.includes(Buffer.from(oddTensor(t.name, VALUES[t.name]!)))).toBe(true);
  });
});

describe('copies and the rest of saving', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it("moves a Constant's tensor to external data rather than copying its node inline", async () => {
    const model = decodeModel(toBinary(ModelProtoSchema, sampleModel()));
    const out = path.join(tmp.dir, 'm.onnx');
    await saveModel(model, out, { externalData: { thresholdBytes: 8 } });
    const back = fromBinary(ModelProtoSchema, fs.readFileSync(out));
    const value = back.graph!.node[0]!.attribute[0]!.t!;
    expect(value.rawData).toHaveLength(0);
    expect(value.externalData.map((e) => e.key)).toEqual(['location', 'offset', 'length']);
    // The node beside it, with no tensor, is still the same.
    expect(equals(NodeProtoSchema, back.graph!.node[1]!, model.graph!.node[1]!)).toBe(true);
  });

  it('writes one node list shared by two graphs decoded from different bytes', () => {
    /** A model whose If node has two one-node branches. */
    const withBranches = (docString: string, tag: string) => {
      const branch = (name: string) =>
        create(GraphProtoSchema, {
          name,
          node: [makeNode('Identity', ['x'], [`${name}_y`], { name: `${tag}${name}_id` })],
          output: [makeValueInfo(`${name}_y`, TensorProto_DataType.FLOAT, [1])],
        });
      const branchy = makeNode('If', ['cond'], ['y'], { name: 'if' });
      branchy.attribute = [
        create(AttributeProtoSchema, {
          name: 'then_branch',
          type: AttributeProto_AttributeType.GRAPH,
          g: branch('then'),
        }),
        create(AttributeProtoSchema, {
          name: 'else_branch',
          type: AttributeProto_AttributeType.GRAPH,
          g: branch('else'),
        }),
      ];
      const model = makeModel(
        makeGraph('g', {
          nodes: [branchy],
          inputs: [
            makeValueInfo('cond', TensorProto_DataType.BOOL, []),
            makeValueInfo('x', TensorProto_DataType.FLOAT, [1]),
          ],
          outputs: [makeValueInfo('y', TensorProto_DataType.FLOAT, [1])],
        }),
      );
      model.docString = docString;
      return decodeModel(toBinary(ModelProtoSchema, model));
    };
    const first = withBranches('', 'A');
    const second = withBranches('a doc string that moves every record of this one', 'B');
    const firstThen = first.graph!.node[0]!.attribute[0]!.g!;
    const secondThen = second.graph!.node[0]!.attribute[0]!.g!;
    // Both then-branches (each with records of its own bytes) now hold one array, and both are written.
    secondThen.node = firstThen.node;
    first.graph!.node[0]!.attribute[1]!.g = secondThen;
    expectEncodedAsChanged(first);
  });
});
