import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  SparseTensorProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_SequenceSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type ModelProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildSparseInitializerModel,
  makeModel,
  randomFloats,
} from '../testing/model-fixtures.js';
import { onnxFilesUnder } from '../testing/onnx-test-data.js';
import { decodeModel, decodeModelGeneric } from './decode-model.js';
import { decodeModelFast } from './fast-decode.js';
import { makeNode, makeValueInfo } from './graph-build.js';

/*
 * The hand-specialised decoder (fast-decode.ts) must build exactly what protobuf-es builds from the same
 * bytes (decodeModelGeneric): same values, same prototypes (so proto2 presence and defaults), same
 * `$typeName`s, same unknown fields, same typed float lists. isDeepStrictEqual compares all of that,
 * including prototypes and the Buffer/Uint8Array class of byte fields.
 */

const REPO_MODELS = [path.resolve('electron/sample/digits-resnet/digits-resnet.onnx')];

function expectSameAsGeneric(bytes: Uint8Array, label = 'model'): ModelProto {
  // The specialised decoder itself: decodeModel would hide its failures behind the generic path.
  const fast = decodeModelFast(bytes);
  const generic = decodeModelGeneric(bytes);
  if (!isDeepStrictEqual(fast, generic)) {
    // Let vitest show where they differ.
    expect(fast, label).toStrictEqual(generic);
    throw new Error(`${label}: the decoders differ (in prototypes or classes)`);
  }
  return fast;
}

/** A varint, as protobuf writes it. */
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const delimited = (field: number, body: number[]) => [...key(field, 2), ...varint(body.length), ...body];
const text = (s: string) => [...Buffer.from(s, 'utf8')];
/** A model whose graph is `graphBody` (raw GraphProto bytes). */
const modelOfGraph = (graphBody: number[]) => Uint8Array.from(delimited(7, graphBody));
/** A model with one node whose body is `nodeBody`. */
const modelOfNode = (nodeBody: number[]) => modelOfGraph(delimited(1, nodeBody));
/** A model with one initializer whose body is `tensorBody`. */
const modelOfTensor = (tensorBody: number[]) => modelOfGraph(delimited(5, tensorBody));
const le32 = (values: number[]) => [...new Uint8Array(Float32Array.from(values).buffer)];

/** An unknown field of each wire type (varint, fixed64, bytes, fixed32) plus an empty group. */
const UNKNOWN = [
  ...key(900, 0),
  ...varint(7),
  ...key(901, 1),
  ...new Array<number>(8).fill(3),
  ...delimited(902, [1, 2, 3]),
  ...key(903, 5),
  1,
  2,
  3,
  4,
  ...key(904, 3),
  ...key(904, 4),
];

describe('fast decoder', () => {
  it("builds the same objects as protobuf-es for every model of ONNX's test data and the repo", () => {
    const files = [...onnxFilesUnder(), ...REPO_MODELS.filter((f) => fs.existsSync(f))];
    expect(files.length, `ONNX test data missing: apt-get install libonnx-testdata`).toBeGreaterThan(1000);
    for (const file of files) expectSameAsGeneric(fs.readFileSync(file), file);
  });

  it('builds the same objects for fixture models (subgraphs, Constant nodes, sparse initializers)', () => {
    const models = [buildCnn(), buildIfModel(), buildConstantWeightModel(), buildSparseInitializerModel()];
    for (const model of models) {
      const bytes = toBinary(ModelProtoSchema, model);
      expectSameAsGeneric(bytes);
      // A plain Uint8Array input (not a Buffer) gives plain Uint8Array views.
      expectSameAsGeneric(Buffer.from(bytes));
    }
  });

  it('shares one frozen empty list among the typed-data lists tensors leave unused', () => {
    // 20,000 raw-data tensors held 160,000 empty arrays: 11% of a load's peak memory (bench-io).
    const raw = create(TensorProtoSchema, {
      name: 'raw',
      dataType: TensorProto_DataType.FLOAT,
      dims: [2n],
      rawData: new Uint8Array(8),
    });
    const ints = create(TensorProtoSchema, {
      name: 'ints',
      dataType: TensorProto_DataType.INT64,
      dims: [2n],
      int64Data: [1n, 2n],
    });
    const graph = create(GraphProtoSchema, { name: 'g', initializer: [raw, ints] });
    const [a, b] = decodeModel(toBinary(ModelProtoSchema, makeModel(graph))).graph!.initializer;
    expect(a!.int64Data).toBe(b!.int32Data);
    expect(Object.isFrozen(a!.externalData)).toBe(true);
    expect(() => (a!.int32Data as number[]).push(1)).toThrow(TypeError); // never a silent write into every tensor
    expect(b!.int64Data).toEqual([1n, 2n]);
    expect(Object.isFrozen(b!.int64Data)).toBe(false);
  });

  it('keeps unknown fields of every message it specialises, in order, as protobuf-es does', () => {
    const dim = [...key(1, 0), ...varint(3), ...UNKNOWN];
    const shape = [...delimited(1, dim), ...UNKNOWN];
    const typeTensor = [...key(1, 0), 1, ...delimited(2, shape), ...UNKNOWN];
    const type = [...delimited(1, typeTensor), ...UNKNOWN, ...delimited(6, text('IMAGE'))];
    const valueInfo = [...delimited(1, text('x')), ...delimited(2, type), ...UNKNOWN];
    const entry = [...delimited(1, text('location')), ...UNKNOWN, ...delimited(2, text('w.bin'))];
    const tensor = [...key(1, 0), 2, ...UNKNOWN, ...delimited(13, entry), ...delimited(8, text('w'))];
    const attribute = [...delimited(1, text('value')), ...UNKNOWN, ...key(20, 0), 4, ...delimited(5, tensor)];
    const node = [
      ...delimited(1, text('x')),
      ...UNKNOWN,
      ...delimited(5, attribute),
      ...delimited(4, text('Op')),
    ];
    const graph = [...delimited(1, node), ...UNKNOWN, ...delimited(11, valueInfo), ...delimited(5, tensor)];
    const bytes = Uint8Array.from([...UNKNOWN, ...delimited(7, graph), ...key(1, 0), 8, ...UNKNOWN]);
    const model = expectSameAsGeneric(bytes);
    expect(model.$unknown?.map((u) => u.no)).toEqual([900, 901, 902, 903, 904, 900, 901, 902, 903, 904]);
    expect(model.graph!.node[0]!.attribute[0]!.t!.externalData[0]!.$unknown).toHaveLength(5);
  });

  it('reads packed and unpacked lists, negative and large integers, and explicit defaults alike', () => {
    // prettier-ignore
    const tensor = [
      ...key(1, 0), ...varint(-1), // dims, unpacked, negative
      ...delimited(1, [...varint(3), ...varint(2n ** 40n), ...varint(-(2n ** 62n))]), // dims, packed
      ...key(2, 0), 0, // data_type explicitly 0: present, unlike an absent field
      ...delimited(5, [...varint(-5), ...varint(2 ** 31 - 1)]), ...key(5, 0), ...varint(-(2 ** 31)), // int32_data
      ...delimited(7, varint(-9)), ...key(7, 0), ...varint(2n ** 63n - 1n), // int64_data
      ...delimited(11, varint(2n ** 64n - 1n)), ...key(11, 0), 5, // uint64_data
      ...delimited(6, [0xff, 0x00]), ...delimited(6, []), // string_data (bytes)
      ...delimited(8, []), // name explicitly ''
      ...key(14, 0), 0, // data_location explicitly DEFAULT
    ];
    const decoded = expectSameAsGeneric(modelOfTensor(tensor)).graph!.initializer[0]!;
    expect(decoded.dims).toEqual([-1n, 3n, 2n ** 40n, -(2n ** 62n)]);
    expect(decoded.uint64Data).toEqual([2n ** 64n - 1n, 5n]);
    expect(Object.hasOwn(decoded, 'name') && Object.hasOwn(decoded, 'dataType')).toBe(true);
    // prettier-ignore
    const attribute = [
      ...delimited(1, text('pads')),
      ...key(8, 0), ...varint(-1), ...delimited(8, [...varint(0), ...varint(-(2n ** 63n))]), // ints
      ...key(7, 5), ...le32([1.5]), ...delimited(7, le32([-2, 0.25])), // floats
      ...key(3, 0), ...varint(-3), ...key(2, 5), ...le32([-0.5]), // i, f
      ...delimited(4, [0xc3, 0xa9]), ...delimited(9, text('a')), ...delimited(9, []), // s, strings
      ...key(20, 0), 7, // type INTS
    ];
    const attr = expectSameAsGeneric(modelOfNode(delimited(5, attribute))).graph!.node[0]!.attribute[0]!;
    expect(attr.ints).toEqual([-1n, 0n, -(2n ** 63n)]);
    expect(attr.floats).toEqual([1.5, -2, 0.25]);
    expect(attr.i).toBe(-3n);
  });

  it('decodes non-ASCII and invalid UTF-8 strings as protobuf-es does', () => {
    for (const name of [
      text('résumé'),
      text('名前/層.0'),
      text('emoji 🙂 and more text past thirty-two bytes'),
      text('\uFEFFbom'),
      [0x61, 0xff, 0x62], // invalid UTF-8: U+FFFD
      [0xe2, 0x82], // truncated sequence
      text('x'.repeat(200)),
    ]) {
      const node = [...delimited(3, name), ...delimited(1, name), ...delimited(4, text('Op'))];
      expectSameAsGeneric(modelOfNode(node));
    }
  });

  it("leaves closed enums' unknown values to protobuf-es (kept as unknown fields)", () => {
    const attribute = [...delimited(1, text('a')), ...key(20, 0), 99, ...key(3, 0), 1];
    expect(
      expectSameAsGeneric(modelOfNode(delimited(5, attribute))).graph!.node[0]!.attribute[0]!.$unknown,
    ).toHaveLength(1);
    const tensor = [...key(14, 0), 7, ...key(14, 0), 1, ...delimited(8, text('t'))];
    const decoded = expectSameAsGeneric(modelOfTensor(tensor)).graph!.initializer[0]!;
    expect(decoded.dataLocation).toBe(TensorProto_DataLocation.EXTERNAL);
  });

  it('merges repeated singular messages and oneof cases in wire order', () => {
    const tensorA = [...key(1, 0), 2, ...delimited(8, text('first'))];
    const tensorB = [...key(2, 0), 1, ...delimited(4, le32([1, 2]))];
    const attribute = [...delimited(5, tensorA), ...delimited(1, text('value')), ...delimited(5, tensorB)];
    const merged = expectSameAsGeneric(modelOfNode(delimited(5, attribute))).graph!.node[0]!.attribute[0]!.t!;
    expect([...merged.floatData]).toEqual([1, 2]);
    expect(merged.name).toBe('first');
    // A sequence type read by protobuf-es, then a tensor type: the later case wins.
    const sequence = delimited(1, delimited(1, [...key(1, 0), 1])); // TypeProto.Sequence.elem_type
    const typeTensor = [...key(1, 0), 7];
    for (const type of [
      [...delimited(4, sequence), ...delimited(1, typeTensor)],
      [...delimited(1, typeTensor), ...delimited(4, sequence)],
      [...delimited(1, typeTensor), ...delimited(1, [...key(1, 0), 1, ...delimited(2, [])])],
    ]) {
      expectSameAsGeneric(modelOfGraph(delimited(11, [...delimited(1, text('v')), ...delimited(2, type)])));
    }
  });

  it('decodes nested subgraphs, sparse tensors and external-data fields, float lists included', () => {
    const inner = create(GraphProtoSchema, {
      name: 'body',
      node: [makeNode('Identity', ['a'], ['b'], { name: 'id' })],
      initializer: [create(TensorProtoSchema, { name: 'c', dims: [2n], dataType: 1, floatData: [1, 2] })],
      sparseInitializer: [
        create(SparseTensorProtoSchema, {
          values: create(TensorProtoSchema, { name: 's', dims: [1n], dataType: 11, doubleData: [0.5] }),
          indices: create(TensorProtoSchema, { name: 'i', dims: [1n], dataType: 7, int64Data: [0n] }),
          dims: [4n],
        }),
      ],
      output: [makeValueInfo('b', TensorProto_DataType.FLOAT, ['n', 2])],
    });
    const external = create(TensorProtoSchema, {
      name: 'w',
      dims: [4n],
      dataType: 1,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: ['location', 'offset', 'length'].map((k, i) =>
        create(StringStringEntryProtoSchema, { key: k, value: ['w.bin', '0', '16'][i] }),
      ),
    });
    const loop = makeNode('Loop', ['n', 'c0'], ['out'], { name: 'loop' });
    loop.attribute.push(
      create(AttributeProtoSchema, { name: 'body', type: AttributeProto_AttributeType.GRAPH, g: inner }),
    );
    loop.attribute.push(
      create(AttributeProtoSchema, {
        name: 'branches',
        type: AttributeProto_AttributeType.GRAPHS,
        graphs: [inner, inner],
      }),
    );
    const model = makeModel(
      create(GraphProtoSchema, {
        name: 'outer',
        node: [loop, create(NodeProtoSchema, { opType: 'Noop' })],
        initializer: [external],
        valueInfo: [
          create(ValueInfoProtoSchema, {
            name: 'seq',
            type: create(TypeProtoSchema, {
              value: { case: 'sequenceType', value: create(TypeProto_SequenceSchema, {}) },
            }),
          }),
          create(ValueInfoProtoSchema, {
            name: 't',
            type: create(TypeProtoSchema, {
              value: {
                case: 'tensorType',
                value: create(TypeProto_TensorSchema, {
                  elemType: 1,
                  shape: create(TensorShapeProtoSchema, {
                    dim: [
                      create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: 'n' } }),
                    ],
                  }),
                }),
              },
            }),
          }),
        ],
      }),
    );
    const decoded = expectSameAsGeneric(toBinary(ModelProtoSchema, model));
    const body = decoded.graph!.node[0]!.attribute[0]!.g!;
    expect(body.initializer[0]!.floatData).toBeInstanceOf(Float32Array);
    expect(body.sparseInitializer[0]!.values!.doubleData).toBeInstanceOf(Float64Array);
    expect(decoded.graph!.initializer[0]!.externalData.map((e) => e.value)).toEqual(['w.bin', '0', '16']);
  });

  it('decodes a large float_data model and an empty model the same way', () => {
    const tensor = create(TensorProtoSchema, {
      name: 'big',
      dims: [4096n],
      dataType: 1,
      floatData: Array.from(randomFloats(4096, 1)),
    });
    expectSameAsGeneric(
      toBinary(ModelProtoSchema, makeModel(create(GraphProtoSchema, { initializer: [tensor] }))),
    );
    expectSameAsGeneric(new Uint8Array(0));
    expectSameAsGeneric(modelOfGraph([]));
    expectSameAsGeneric(modelOfNode([]));
    expectSameAsGeneric(modelOfTensor([]));
  });

  it('accepts or refuses corrupt input exactly as protobuf-es does', () => {
    // decodeModel hands whatever the specialised decoder refuses to protobuf-es, which reads some corrupt
    // files (a known field with a wrong wire type is read by its type); validation then explains them.
    const same = (bytes: Uint8Array) => {
      let generic: ModelProto | Error;
      try {
        generic = decodeModelGeneric(bytes);
      } catch (error) {
        generic = error as Error;
      }
      if (generic instanceof Error) expect(() => decodeModel(bytes)).toThrow(generic.message);
      else expect(isDeepStrictEqual(decodeModel(bytes), generic)).toBe(true);
    };
    const good = Buffer.from(toBinary(ModelProtoSchema, buildIfModel()));
    for (const cut of [1, 7, good.length >> 1, good.length - 1]) same(good.subarray(0, cut));
    let seed = 11;
    for (let i = 0; i < 400; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const flipped = Buffer.from(good);
      flipped[seed % flipped.length]! ^= 1 << ((seed >>> 20) % 8);
      same(flipped);
    }
    // ModelProto.ir_version (a varint) tagged as an end-group: protobuf-es reads it anyway.
    same(Uint8Array.from([...key(1, 4), 8, ...delimited(7, [])]));
    // Hostile nesting: graphs inside attributes inside nodes, 200 levels deep.
    let graph: number[] = [];
    for (let i = 0; i < 200; i++) graph = delimited(1, delimited(5, delimited(6, graph)));
    expect(() => decodeModelGeneric(modelOfGraph(graph))).toThrow(/recursion/);
    expect(() => decodeModelFast(modelOfGraph(graph))).toThrow(/recursion/);
    expect(() => decodeModel(modelOfGraph(graph))).toThrow(/recursion/);
  });
});
