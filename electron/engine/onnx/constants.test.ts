import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  type ModelProto,
  SparseTensorProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import {
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
  modelBytes,
  randomFloats,
} from '../testing/model-fixtures.js';
import {
  constantNodeValueType,
  densifySparseTensor,
  findConstant,
  floatValues,
  replaceConstant,
  sparsifyTensor,
  tensorRawBytes,
} from './constants.js';
import {
  littleEndianBytes,
  makeFloatTensor,
  makeInt64Tensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from './graph-build.js';
import { GraphIndex } from './graph-index.js';
import { valueInfo } from './graph.js';

const F = TensorProto_DataType.FLOAT;
const I64 = TensorProto_DataType.INT64;

async function runModel(model: ModelProto, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelBytes(model));
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A 3x4 sparse tensor with values at (0,1)=1.5, (1,3)=-2, (2,0)=4 in the given index layout. */
function sparse3x4(layout: 'linear' | 'coordinates', name = 'sp') {
  const indices =
    layout === 'linear'
      ? makeInt64Tensor('', [3], [1, 7, 8])
      : makeInt64Tensor('', [3, 2], [0, 1, 1, 3, 2, 0]);
  return create(SparseTensorProtoSchema, {
    values: makeFloatTensor(name, [3], [1.5, -2, 4]),
    indices,
    dims: [3n, 4n],
  });
}
const DENSE_3x4 = [0, 1.5, 0, 0, 0, 0, 0, -2, 4, 0, 0, 0];

describe('tensor data', () => {
  it('reads raw_data and typed fields alike', () => {
    const raw = makeFloatTensor('a', [2, 2], [1, 2, 3, 4]);
    const typed = create(TensorProtoSchema, {
      name: 'b',
      dataType: F,
      dims: [2n, 2n],
      floatData: [1, 2, 3, 4],
    });
    expect(Array.from(floatValues(raw))).toEqual([1, 2, 3, 4]);
    expect(Array.from(floatValues(typed))).toEqual([1, 2, 3, 4]);
    expect(tensorRawBytes(typed)).toEqual(tensorRawBytes(raw));
    const i8 = create(TensorProtoSchema, {
      dataType: TensorProto_DataType.INT8,
      dims: [3n],
      int32Data: [-1, 2, -128],
    });
    expect(Array.from(tensorRawBytes(i8))).toEqual([255, 2, 128]);
    const i64 = create(TensorProtoSchema, { dataType: I64, dims: [1n], int64Data: [-2n] });
    expect(tensorRawBytes(i64)).toEqual(littleEndianBytes(BigInt64Array.of(-2n)));
  });

  it('rejects data that does not match the dims', () => {
    const bad = makeRawTensor('bad', F, [3], new Uint8Array(8));
    expect(() => tensorRawBytes(bad)).toThrow(StudioError);
    expect(() => tensorRawBytes(bad)).toThrow(/needs? 12/);
  });
});

describe('sparse tensors', () => {
  it.each(['linear', 'coordinates'] as const)('densifies %s indices', (layout) => {
    const dense = densifySparseTensor(sparse3x4(layout));
    expect(dense.name).toBe('sp');
    expect(dense.dims).toEqual([3n, 4n]);
    expect(Array.from(floatValues(dense))).toEqual(DENSE_3x4);
  });

  it('accepts indices in int64_data', () => {
    const sp = sparse3x4('linear');
    sp.indices = create(TensorProtoSchema, { dataType: I64, dims: [3n], int64Data: [1n, 7n, 8n] });
    expect(Array.from(floatValues(densifySparseTensor(sp)))).toEqual(DENSE_3x4);
  });

  it('rejects out-of-range or malformed indices', () => {
    const sp = sparse3x4('linear');
    sp.indices = makeInt64Tensor('', [3], [1, 7, 12]);
    expect(() => densifySparseTensor(sp)).toThrow(/out of range/);
    const coords = sparse3x4('coordinates');
    coords.indices = makeInt64Tensor('', [3, 2], [0, 1, 1, 4, 2, 0]);
    expect(() => densifySparseTensor(coords)).toThrow(/out of range on axis 1/);
    coords.indices = makeInt64Tensor('', [2, 3], [0, 1, 1, 3, 2, 0]);
    expect(() => densifySparseTensor(coords)).toThrow(/expected \[3\] or \[3, 2\]/);
  });

  it('round-trips through sparsify', () => {
    const dense = makeFloatTensor('d', [3, 4], DENSE_3x4);
    const sp = sparsifyTensor(dense);
    expect(sp.values?.dims).toEqual([3n]);
    expect(Array.from(floatValues(densifySparseTensor(sp)))).toEqual(DENSE_3x4);
  });
});

describe('findConstant', () => {
  it('finds initializers (live view)', () => {
    const model = buildMlp();
    const index = new GraphIndex(model.graph!);
    const ref = findConstant(index, 'fc1.weight');
    expect(ref?.kind).toBe('initializer');
    if (ref?.kind !== 'initializer') throw new Error('unreachable');
    expect(ref.tensor).toBe(model.graph!.initializer[0]);
    expect(ref.overridable).toBe(false);
    expect(findConstant(index, 'input')).toBeUndefined();
    expect(findConstant(index, 'fc1.out')).toBeUndefined();
    expect(findConstant(index, 'nope')).toBeUndefined();
    expect(findConstant(index, '')).toBeUndefined();
  });

  it('skips initializers a graph input can override unless asked', () => {
    const graph = buildMlp().graph!;
    graph.input.push(makeValueInfo('fc1.bias', F, [32]));
    const index = new GraphIndex(graph);
    expect(findConstant(index, 'fc1.bias')).toBeUndefined();
    const ref = findConstant(index, 'fc1.bias', { allowOverridable: true });
    expect(ref?.kind === 'initializer' && ref.overridable).toBe(true);
  });

  it.each(['linear', 'coordinates'] as const)(
    'finds sparse initializers (%s indices) densified',
    (layout) => {
      const graph = create(GraphProtoSchema, {
        node: [makeNode('MatMul', ['x', 'sp'], ['y'])],
        sparseInitializer: [sparse3x4(layout)],
      });
      const ref = findConstant(new GraphIndex(graph), 'sp');
      expect(ref?.kind).toBe('sparse-initializer');
      expect(ref?.tensor.dims).toEqual([3n, 4n]);
      expect(Array.from(floatValues(ref!.tensor))).toEqual(DENSE_3x4);
    },
  );

  it('finds every form of Constant node', () => {
    const weight = makeFloatTensor('', [2], [1, 2]);
    const graph = create(GraphProtoSchema, {
      node: [
        makeNode('Constant', [], ['t'], { attributes: { value: { tensor: weight } } }),
        makeNode('Constant', [], ['f'], { attributes: { value_float: { float: 0.5 } } }),
        makeNode('Constant', [], ['fs'], { attributes: { value_floats: { floats: [1, 2, 3] } } }),
        makeNode('Constant', [], ['i'], { attributes: { value_int: { int: 7 } } }),
        makeNode('Constant', [], ['is'], { attributes: { value_ints: { ints: [4, 5] } } }),
        makeNode('Constant', [], ['s'], { attributes: { value_string: { string: 'hi' } } }),
        makeNode('Constant', [], ['sv']),
        makeNode('Relu', ['t'], ['notconst']),
      ],
    });
    graph.node[6]!.attribute.push(
      create(AttributeProtoSchema, {
        name: 'sparse_value',
        type: AttributeProto_AttributeType.SPARSE_TENSOR,
        sparseTensor: sparse3x4('coordinates'),
      }),
    );
    const index = new GraphIndex(graph);
    const t = findConstant(index, 't');
    expect(t?.kind).toBe('constant-node');
    expect(t?.tensor).toBe(weight);
    expect(Array.from(floatValues(findConstant(index, 'f')!.tensor))).toEqual([0.5]);
    expect(findConstant(index, 'f')!.tensor.dims).toEqual([]);
    expect(Array.from(floatValues(findConstant(index, 'fs')!.tensor))).toEqual([1, 2, 3]);
    const i = findConstant(index, 'i')!.tensor;
    expect([i.dataType, i.dims]).toEqual([I64, []]);
    expect(tensorRawBytes(i)).toEqual(littleEndianBytes(BigInt64Array.of(7n)));
    expect(tensorRawBytes(findConstant(index, 'is')!.tensor)).toEqual(
      littleEndianBytes(BigInt64Array.of(4n, 5n)),
    );
    expect(new TextDecoder().decode(findConstant(index, 's')!.tensor.stringData[0])).toBe('hi');
    const sv = findConstant(index, 'sv')!;
    expect(sv.kind === 'constant-node' && sv.attribute.name).toBe('sparse_value');
    expect(sv.tensor.name).toBe('sv');
    expect(Array.from(floatValues(sv.tensor))).toEqual(DENSE_3x4);
    expect(findConstant(index, 'notconst')).toBeUndefined();
  });

  it('ignores Constant nodes of other domains', () => {
    const graph = create(GraphProtoSchema, {
      node: [
        makeNode('Constant', [], ['c'], { domain: 'custom', attributes: { value_float: { float: 1 } } }),
      ],
    });
    expect(findConstant(new GraphIndex(graph), 'c')).toBeUndefined();
  });

  it('follows outer-scope captures from a subgraph index', () => {
    const graph = buildIfModel().graph!;
    const root = new GraphIndex(graph);
    const thenBranch = graph.node[1]!.attribute.find((a) => a.name === 'then_branch')!.g!;
    const sub = root.child(thenBranch);
    const ref = findConstant(sub, 'shared.weight');
    expect(ref?.kind).toBe('initializer');
    expect(ref?.graph).toBe(graph);
    expect(ref?.index).toBe(root);
    expect(findConstant(sub, 'shared.weight', { searchOuterScopes: false })).toBeUndefined();
    expect(findConstant(sub, 'hidden')).toBeUndefined();
  });
});

describe('replaceConstant', () => {
  const x = randomFloats(2 * 8, 3);

  it('overwrites an initializer in place (typed fields cleared, value info updated)', async () => {
    const model = buildMlp();
    const graph = model.graph!;
    const index = new GraphIndex(graph);
    const ref = findConstant(index, 'fc2.bias')!;
    ref.tensor.floatData = [9]; // must be cleared by the replacement
    const replaced = replaceConstant(ref, makeFloatTensor('ignored', [8], new Array(8).fill(0.25)));
    expect(replaced.kind).toBe('initializer');
    expect(graph.initializer[3]!.name).toBe('fc2.bias');
    expect(graph.initializer[3]!.floatData).toEqual([]);
    expect(Array.from(floatValues(graph.initializer[3]!))).toEqual(new Array(8).fill(0.25));
    await runModel(model, randomFloats(16, 1), [1, 16]);

    // A type change updates value infos of the name.
    graph.valueInfo.push(makeValueInfo('fc2.bias', F, [8]));
    replaceConstant(replaced, makeRawTensor('', TensorProto_DataType.INT8, [2, 4], new Uint8Array(8)));
    expect(valueInfo(graph, 'fc2.bias')).toEqual({
      elemType: TensorProto_DataType.INT8,
      shape: [2, 4],
      rankKnown: true,
    });
  });

  it('replaces a Constant node value, whatever its form', async () => {
    const model = buildConstantWeightModel();
    const graph = model.graph!;
    const index = new GraphIndex(graph);
    const before = await runModel(model, x, [2, 8]);

    const bias = findConstant(index, 'const.bias')!;
    expect(bias.kind === 'constant-node' && bias.attribute.name).toBe('value_floats');
    const biasValues = floatValues(bias.tensor);
    const shifted = replaceConstant(
      bias,
      makeFloatTensor(
        '',
        [4],
        biasValues.map((v) => v + 1),
      ),
    );
    expect(shifted.kind === 'constant-node' && shifted.node.attribute.map((a) => a.name)).toEqual(['value']);
    expect(Array.from(floatValues(findConstant(new GraphIndex(graph), 'const.bias')!.tensor))).toEqual(
      Array.from(biasValues.map((v) => v + 1)),
    );

    const weight = findConstant(index, 'const.weight')!;
    const w = floatValues(weight.tensor);
    replaceConstant(
      weight,
      makeFloatTensor(
        '',
        [8, 4],
        w.map((v) => v * 2),
      ),
    );
    const after = await runModel(model, x, [2, 8]);
    // (x W*2 + b + 1) - 2 (x W + b) = 1 - b  => after = 2*before + 1 - b
    after.forEach((v, i) => expect(v).toBeCloseTo(2 * before[i]! + 1 - biasValues[i % 4]!, 5));
  });

  it.each(['linear', 'coordinates'] as const)(
    're-encodes a sparse initializer (%s) or densifies it',
    async (layout) => {
      const model = buildSparseInitializerModel({ indexLayout: layout });
      const graph = model.graph!;
      const index = new GraphIndex(graph);
      const before = await runModel(model, x, [2, 8]);
      const ref = findConstant(index, 'sparse.weight')!;
      expect(ref.kind).toBe('sparse-initializer');
      const w = floatValues(ref.tensor);
      expect(w.filter((v) => v === 0).length).toBeGreaterThan(0);

      const kept = replaceConstant(ref, makeFloatTensor('', [8, 6], w));
      expect(kept.kind).toBe('sparse-initializer');
      expect(graph.sparseInitializer[0]!.indices?.dims).toEqual([BigInt(w.filter((v) => v !== 0).length)]);
      expect(await runModel(model, x, [2, 8])).toEqual(before);

      const dense = replaceConstant(kept, makeFloatTensor('', [8, 6], w), { sparse: 'densify' });
      expect(dense.kind).toBe('initializer');
      expect(graph.sparseInitializer).toHaveLength(0);
      expect(index.initializer('sparse.weight')).toBe(dense.tensor);
      expect(await runModel(model, x, [2, 8])).toEqual(before);
    },
  );
});

// One reader for graph.ts valueInfo and onnx/element-types.ts, which each had their own (prune's parameter
// count, a third, now uses inspect's parameterCount).
describe('constantNodeValueType', () => {
  const constant = (attributes: Parameters<typeof makeNode>[3]) =>
    makeNode('Constant', [], ['c'], attributes);

  it('reads the type and dims of every value form, a sparse one without densifying it', () => {
    const dense = constant({
      attributes: { value: { tensor: makeFloatTensor('', [2, 3], new Float32Array(6)) } },
    });
    expect(constantNodeValueType(dense)).toEqual({ dataType: F, dims: [2n, 3n] });
    expect(constantNodeValueType(constant({ attributes: { value_ints: { ints: [1, 2] } } }))).toEqual({
      dataType: I64,
      dims: [2n],
    });
    const sparse = create(SparseTensorProtoSchema, {
      values: makeFloatTensor('', [1], [5]),
      indices: makeInt64Tensor('', [1], [999]), // out of range: densifying would throw
      dims: [10n],
    });
    const node = makeNode('Constant', [], ['c']);
    node.attribute.push(
      create(AttributeProtoSchema, {
        name: 'sparse_value',
        type: AttributeProto_AttributeType.SPARSE_TENSOR,
        sparseTensor: sparse,
      }),
    );
    expect(constantNodeValueType(node)).toEqual({ dataType: F, dims: [10n] });
  });

  it('is undefined for a Constant without a value or with a malformed one (a sparse value without values)', () => {
    expect(constantNodeValueType(makeNode('Constant', [], ['c']))).toBeUndefined();
    const node = makeNode('Constant', [], ['c']);
    node.attribute.push(
      create(AttributeProtoSchema, {
        name: 'sparse_value',
        type: AttributeProto_AttributeType.SPARSE_TENSOR,
        sparseTensor: create(SparseTensorProtoSchema, { dims: [4n] }),
      }),
    );
    expect(constantNodeValueType(node)).toBeUndefined();
  });
});
