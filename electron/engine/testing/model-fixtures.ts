import { create, toBinary } from '@bufbuild/protobuf';
import {
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  OperatorSetIdProtoSchema,
  SparseTensorProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import {
  littleEndianBytes,
  makeFloatTensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../onnx/graph-build.js';
import { seededRandom } from '../runtime/synthetic-feeds.js';

/*
 * Small but real ONNX models built in code, for tests across the project. Every builder returns a
 * fresh ModelProto (ir_version 8, default-domain opset 17) whose float32 weights are deterministic
 * pseudo-random values (mulberry32, seeded) stored as little-endian raw_data.
 */

export const FIXTURE_IR_VERSION = 8;
export const FIXTURE_OPSET = 17;

const FLOAT = TensorProto_DataType.FLOAT;

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1) (the one synthetic inputs use). */
export const mulberry32 = seededRandom;

/** `count` deterministic float32 values uniform in [-scale, scale). */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

/** A float32 tensor `name` of shape `dims` holding `randomFloats(count, seed, scale)`: a seeded weight. */
export function randomTensor(name: string, dims: number[], seed: number, scale = 1): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  return makeFloatTensor(name, dims, randomFloats(count, seed, scale));
}

/** Wraps a graph into a model with the fixture IR version and opset. */
export function makeModel(graph: GraphProto, opset = FIXTURE_OPSET): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: BigInt(FIXTURE_IR_VERSION),
    producerName: 'onnx-studio-fixtures',
    producerVersion: '1',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    graph,
  });
}

export function makeGraph(
  name: string,
  parts: {
    nodes: NodeProto[];
    inputs: ValueInfoProto[];
    outputs: ValueInfoProto[];
    initializers?: TensorProto[];
  },
): GraphProto {
  return create(GraphProtoSchema, {
    name,
    node: parts.nodes,
    input: parts.inputs,
    output: parts.outputs,
    initializer: parts.initializers ?? [],
  });
}

/** The serialized model (what onnxruntime and the file writers take). */
export function modelBytes(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

export interface MlpOptions {
  inputSize?: number;
  hiddenSize?: number;
  outputSize?: number;
  /** The batch dimension: a fixed size or a symbolic name (default 'batch'). */
  batch?: number | string;
  seed?: number;
}

/**
 * A two-layer MLP: `input` [batch, inputSize] -> Gemm(fc1.weight [hidden, in] transposed, fc1.bias)
 * -> Relu -> MatMul(fc2.weight [hidden, out]) -> Add(fc2.bias) -> `logits` [batch, outputSize].
 * Defaults: 16 -> 32 -> 8.
 */
export function buildMlp(options: MlpOptions = {}): ModelProto {
  const inSize = options.inputSize ?? 16;
  const hidden = options.hiddenSize ?? 32;
  const outSize = options.outputSize ?? 8;
  const batch = options.batch ?? 'batch';
  const seed = options.seed ?? 1;
  const graph = makeGraph('mlp', {
    inputs: [makeValueInfo('input', FLOAT, [batch, inSize])],
    outputs: [makeValueInfo('logits', FLOAT, [batch, outSize])],
    initializers: [
      randomTensor('fc1.weight', [hidden, inSize], seed, 1 / Math.sqrt(inSize)),
      randomTensor('fc1.bias', [hidden], seed + 1, 0.1),
      randomTensor('fc2.weight', [hidden, outSize], seed + 2, 1 / Math.sqrt(hidden)),
      randomTensor('fc2.bias', [outSize], seed + 3, 0.1),
    ],
    nodes: [
      makeNode('Gemm', ['input', 'fc1.weight', 'fc1.bias'], ['fc1.out'], {
        name: 'fc1',
        attributes: { transB: { int: 1 } },
      }),
      makeNode('Relu', ['fc1.out'], ['relu1.out'], { name: 'relu1' }),
      makeNode('MatMul', ['relu1.out', 'fc2.weight'], ['fc2.matmul'], { name: 'fc2_matmul' }),
      makeNode('Add', ['fc2.matmul', 'fc2.bias'], ['logits'], { name: 'fc2_add' }),
    ],
  });
  return makeModel(graph);
}

/**
 * A deep MLP: `layers` x (MatMul by a [width, width] weight, Add a [width] bias, Relu), input `input`
 * [batch, width], output `output`. Sized for scale measurements: 400 layers of width 256 weigh about 100 MB
 * in 1,200 nodes and 800 initializers, like a real mid-sized network.
 */
export function buildDeepMlp(options: { layers: number; width: number; seed?: number }): ModelProto {
  const { layers, width } = options;
  const seed = options.seed ?? 1;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let h = 'input';
  for (let i = 0; i < layers; i++) {
    const out = i === layers - 1 ? 'output' : `layer${i}.out`;
    initializers.push(randomTensor(`layer${i}.weight`, [width, width], seed + 2 * i, 1 / Math.sqrt(width)));
    initializers.push(randomTensor(`layer${i}.bias`, [width], seed + 2 * i + 1, 0.1));
    nodes.push(makeNode('MatMul', [h, `layer${i}.weight`], [`layer${i}.mm`], { name: `layer${i}_matmul` }));
    nodes.push(makeNode('Add', [`layer${i}.mm`, `layer${i}.bias`], [`layer${i}.add`], { name: `layer${i}_add` }));
    nodes.push(makeNode('Relu', [`layer${i}.add`], [out], { name: `layer${i}_relu` }));
    h = out;
  }
  const graph = makeGraph('deep-mlp', {
    inputs: [makeValueInfo('input', FLOAT, ['batch', width])],
    outputs: [makeValueInfo('output', FLOAT, ['batch', width])],
    initializers,
    nodes,
  });
  return makeModel(graph);
}

export interface CnnOptions {
  /** The batch dimension (default 1). */
  batch?: number | string;
  numClasses?: number;
  seed?: number;
}

/**
 * A small CNN on NCHW `input` [batch, 3, 16, 16]: Conv(8, 3x3, pad 1) -> Relu -> MaxPool(2x2) ->
 * Conv(16, 3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> `logits` [batch, 10].
 */
export function buildCnn(options: CnnOptions = {}): ModelProto {
  const batch = options.batch ?? 1;
  const classes = options.numClasses ?? 10;
  const seed = options.seed ?? 11;
  const graph = makeGraph('cnn', {
    inputs: [makeValueInfo('input', FLOAT, [batch, 3, 16, 16])],
    outputs: [makeValueInfo('logits', FLOAT, [batch, classes])],
    initializers: [
      randomTensor('conv1.weight', [8, 3, 3, 3], seed, 1 / Math.sqrt(27)),
      randomTensor('conv1.bias', [8], seed + 1, 0.1),
      randomTensor('conv2.weight', [16, 8, 3, 3], seed + 2, 1 / Math.sqrt(72)),
      randomTensor('conv2.bias', [16], seed + 3, 0.1),
      randomTensor('fc.weight', [classes, 16], seed + 4, 0.25),
      randomTensor('fc.bias', [classes], seed + 5, 0.1),
    ],
    nodes: [
      makeNode('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['conv1.out'], {
        name: 'conv1',
        attributes: {
          kernel_shape: { ints: [3, 3] },
          pads: { ints: [1, 1, 1, 1] },
          strides: { ints: [1, 1] },
        },
      }),
      makeNode('Relu', ['conv1.out'], ['relu1.out'], { name: 'relu1' }),
      makeNode('MaxPool', ['relu1.out'], ['pool1.out'], {
        name: 'pool1',
        attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
      }),
      makeNode('Conv', ['pool1.out', 'conv2.weight', 'conv2.bias'], ['conv2.out'], {
        name: 'conv2',
        attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
      }),
      makeNode('Relu', ['conv2.out'], ['relu2.out'], { name: 'relu2' }),
      makeNode('GlobalAveragePool', ['relu2.out'], ['gap.out'], { name: 'gap' }),
      makeNode('Flatten', ['gap.out'], ['flatten.out'], {
        name: 'flatten',
        attributes: { axis: { int: 1 } },
      }),
      makeNode('Gemm', ['flatten.out', 'fc.weight', 'fc.bias'], ['logits'], {
        name: 'fc',
        attributes: { transB: { int: 1 } },
      }),
    ],
  });
  return makeModel(graph);
}

/**
 * MatMul weights held by Constant nodes: `input` [batch, 8] -> MatMul(Constant `value` tensor
 * [8, 4]) -> Add(Constant `value_floats` [4]) -> `output` [batch, 4].
 */
export function buildConstantWeightModel(
  options: { batch?: number | string; seed?: number } = {},
): ModelProto {
  const batch = options.batch ?? 'batch';
  const seed = options.seed ?? 21;
  const weight = randomTensor('const.weight', [8, 4], seed, 0.5);
  const bias = Array.from(randomFloats(4, seed + 1, 0.1));
  const graph = makeGraph('constant_weights', {
    inputs: [makeValueInfo('input', FLOAT, [batch, 8])],
    outputs: [makeValueInfo('output', FLOAT, [batch, 4])],
    nodes: [
      makeNode('Constant', [], ['const.weight'], {
        name: 'weight_const',
        attributes: { value: { tensor: weight } },
      }),
      makeNode('Constant', [], ['const.bias'], {
        name: 'bias_const',
        attributes: { value_floats: { floats: bias } },
      }),
      makeNode('MatMul', ['input', 'const.weight'], ['matmul.out'], { name: 'matmul' }),
      makeNode('Add', ['matmul.out', 'const.bias'], ['output'], { name: 'add' }),
    ],
  });
  return makeModel(graph);
}

/**
 * An `If` whose branches read outer-scope values: `input` [batch, 4] -> MatMul(in.weight) ->
 * `hidden`; If(`cond`, bool scalar): then = MatMul(hidden, shared.weight), else = Add(hidden,
 * shared.bias), both initializers of the main graph; -> Relu -> `output` [batch, 4].
 */
export function buildIfModel(options: { batch?: number | string; seed?: number } = {}): ModelProto {
  const batch = options.batch ?? 'batch';
  const seed = options.seed ?? 31;
  const thenBranch = makeGraph('then_branch', {
    inputs: [],
    outputs: [makeValueInfo('then.out', FLOAT, [batch, 4])],
    nodes: [makeNode('MatMul', ['hidden', 'shared.weight'], ['then.out'], { name: 'then_matmul' })],
  });
  const elseBranch = makeGraph('else_branch', {
    inputs: [],
    outputs: [makeValueInfo('else.out', FLOAT, [batch, 4])],
    nodes: [makeNode('Add', ['hidden', 'shared.bias'], ['else.out'], { name: 'else_add' })],
  });
  const graph = makeGraph('if_model', {
    inputs: [makeValueInfo('input', FLOAT, [batch, 4]), makeValueInfo('cond', TensorProto_DataType.BOOL, [])],
    outputs: [makeValueInfo('output', FLOAT, [batch, 4])],
    initializers: [
      randomTensor('in.weight', [4, 4], seed, 0.5),
      randomTensor('shared.weight', [4, 4], seed + 1, 0.5),
      randomTensor('shared.bias', [4], seed + 2, 0.1),
    ],
    nodes: [
      makeNode('MatMul', ['input', 'in.weight'], ['hidden'], { name: 'in_matmul' }),
      makeNode('If', ['cond'], ['if.out'], {
        name: 'branch',
        attributes: { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } },
      }),
      makeNode('Relu', ['if.out'], ['output'], { name: 'relu' }),
    ],
  });
  return makeModel(graph);
}

export interface SparseInitializerOptions {
  batch?: number | string;
  seed?: number;
  /** How the sparse weight's indices are stored: 'linear' ([nnz]) or 'coordinates' ([nnz, 2]). */
  indexLayout?: 'linear' | 'coordinates';
  /** Fraction of weight elements that are zero (default 0.75). */
  sparsity?: number;
}

/**
 * A MatMul whose weight is a sparse initializer: `input` [batch, 8] -> MatMul(sparse.weight
 * [8, 6], mostly zeros) -> Add(dense bias [6]) -> `output` [batch, 6].
 */
export function buildSparseInitializerModel(options: SparseInitializerOptions = {}): ModelProto {
  const batch = options.batch ?? 'batch';
  const seed = options.seed ?? 41;
  const sparsity = options.sparsity ?? 0.75;
  const rows = 8;
  const cols = 6;
  const next = mulberry32(seed);
  const weights = randomFloats(rows * cols, seed + 1, 0.5);
  const linear: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows * cols; i++) {
    if (next() >= sparsity) {
      linear.push(i);
      values.push(weights[i]!);
    }
  }
  const nnz = linear.length;
  const indices =
    options.indexLayout === 'coordinates'
      ? makeRawTensor(
          '',
          TensorProto_DataType.INT64,
          [nnz, 2],
          littleEndianBytes(
            BigInt64Array.from(linear.flatMap((i) => [BigInt(Math.floor(i / cols)), BigInt(i % cols)])),
          ),
        )
      : makeRawTensor(
          '',
          TensorProto_DataType.INT64,
          [nnz],
          littleEndianBytes(BigInt64Array.from(linear, BigInt)),
        );
  const sparse = create(SparseTensorProtoSchema, {
    values: makeFloatTensor('sparse.weight', [nnz], values),
    indices,
    dims: [BigInt(rows), BigInt(cols)],
  });
  const graph = makeGraph('sparse_initializer', {
    inputs: [makeValueInfo('input', FLOAT, [batch, rows])],
    outputs: [makeValueInfo('output', FLOAT, [batch, cols])],
    initializers: [randomTensor('dense.bias', [cols], seed + 2, 0.1)],
    nodes: [
      makeNode('MatMul', ['input', 'sparse.weight'], ['matmul.out'], { name: 'matmul' }),
      makeNode('Add', ['matmul.out', 'dense.bias'], ['output'], { name: 'add' }),
    ],
  });
  graph.sparseInitializer.push(sparse);
  return makeModel(graph);
}

/** The shape of a graph input with symbolic/unknown dims replaced by `batch` (for building feeds). */
export function concreteInputShape(model: ModelProto, inputName: string, batch = 1): number[] {
  const vi = model.graph?.input.find((i) => i.name === inputName);
  const t = vi?.type?.value;
  if (!t || t.case !== 'tensorType') throw new Error(`No tensor input named '${inputName}'.`);
  return (t.value.shape?.dim ?? []).map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : batch));
}
