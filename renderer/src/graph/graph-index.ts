/**
 * Lookups the Graph view needs over a `ModelGraph`: a node by id with the chain of graphs it sits in (value
 * types and weights of an outer graph are visible inside a body), and search by node name, op type or
 * tensor name. Pure.
 */
import type {
  GraphBody,
  GraphNode,
  ModelGraph,
  ValueType,
  WeightStats,
} from '../../../shared/model-graph.js';
import { opLabel } from '../../../shared/model-graph.js';
import { inputId, outputId } from './graph-scene.js';

export interface IndexedNode {
  node: GraphNode;
  /** From the main graph down to the body holding the node. */
  scopes: GraphBody[];
  /** Ids of the nodes holding those bodies (what must be expanded to see it). */
  ancestors: string[];
}

export interface GraphIndex {
  nodes: Map<string, IndexedNode>;
  /** Tensor name → ids of the nodes (and graph inputs/outputs) that produce or read it. */
  tensors: Map<string, string[]>;
  /** Tensor name → the node that writes it (the innermost, where a body writes a name its graph also does). */
  producers?: Map<string, IndexedNode>;
}

export function indexGraph(model: ModelGraph): GraphIndex {
  const nodes = new Map<string, IndexedNode>();
  const tensors = new Map<string, string[]>();
  const producers = new Map<string, IndexedNode>();
  const touch = (name: string, id: string) => {
    if (name === '') return;
    const ids = tensors.get(name);
    if (ids) {
      if (ids[ids.length - 1] !== id) ids.push(id);
    } else tensors.set(name, [id]);
  };
  const visit = (body: GraphBody, scopes: GraphBody[], ancestors: string[]) => {
    const chain = [...scopes, body];
    for (const node of body.nodes) {
      const entry = { node, scopes: chain, ancestors };
      nodes.set(node.id, entry);
      for (const t of [...node.inputs, ...node.outputs]) touch(t, node.id);
      for (const t of node.outputs) if (t !== '') producers.set(t, entry);
      for (const s of node.subgraphs ?? []) visit(s.graph, chain, [...ancestors, node.id]);
    }
  };
  for (const name of model.graph.inputs) touch(name, inputId(name));
  visit(model.graph, [], []);
  for (const name of model.graph.outputs) touch(name, outputId(name));
  return { nodes, tensors, producers };
}

/** The type of a value as declared in the innermost scope that declares it. */
export function valueType(
  entry: IndexedNode | undefined,
  model: ModelGraph,
  name: string,
): ValueType | undefined {
  const scopes = entry?.scopes ?? [model.graph];
  for (let i = scopes.length - 1; i >= 0; i--) {
    const t = scopes[i]!.values[name];
    if (t) return t;
  }
  return undefined;
}

/** TensorProto data types by number, as a Cast's `to` attribute (text in the graph JSON) names them. */
const TENSOR_TYPES: Record<string, string> = {
  '1': 'float32',
  '2': 'uint8',
  '3': 'int8',
  '4': 'uint16',
  '5': 'int16',
  '6': 'int32',
  '7': 'int64',
  '8': 'string',
  '9': 'bool',
  '10': 'float16',
  '11': 'float64',
  '12': 'uint32',
  '13': 'uint64',
  '16': 'bfloat16',
  '21': 'uint4',
  '22': 'int4',
};

/** Ops whose output 0 has the type and shape of their input 0 (elementwise on one tensor, normalizations). */
const SAME_TYPE_AND_SHAPE = new Set([
  'Abs',
  'BatchNormalization',
  'Ceil',
  'Clip',
  'Cos',
  'Dropout',
  'Elu',
  'Erf',
  'Exp',
  'FastGelu',
  'Floor',
  'Gelu',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'InstanceNormalization',
  'LayerNormalization',
  'LeakyRelu',
  'Log',
  'LogSoftmax',
  'Mish',
  'Neg',
  'PRelu',
  'Reciprocal',
  'Relu',
  'Round',
  'Selu',
  'Sigmoid',
  'Sign',
  'Sin',
  'Softmax',
  'Softplus',
  'Sqrt',
  'Tanh',
]);

/** Ops whose output 0 has the element type of their input 0, at a shape the graph JSON cannot tell. */
const SAME_DTYPE = new Set([
  'Add',
  'AveragePool',
  'Concat',
  'Conv',
  'ConvTranspose',
  'Div',
  'Expand',
  'Flatten',
  'FusedConv',
  'FusedMatMul',
  'Gather',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'LRN',
  'MatMul',
  'Max',
  'MaxPool',
  'Mean',
  'Min',
  'Mul',
  'Pad',
  'Pow',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSum',
  'Reshape',
  'Resize',
  'Slice',
  'Split',
  'Squeeze',
  'Sub',
  'Sum',
  'Tile',
  'Transpose',
  'Unsqueeze',
]);

/** A value's type as far as it is known: `shape` undefined where only the element type is. */
export interface KnownType {
  dtype: string;
  shape?: ValueType['shape'];
  /** Declared in the model (value_info, a graph input or output), else worked out from the node that writes it. */
  declared: boolean;
}

/**
 * The type of a value: declared in the model, a weight's, else worked out from the node that writes it (a
 * quantizer's DequantizeLinear writes its scale's type at its input's shape, a QuantizeLinear its zero point's,
 * a Cast its `to`, a Relu its input's...), which a variant's added tensors (`W_dequantized`, `y_prequant`)
 * need: the quantizers declare no types for them. Undefined where nothing tells.
 */
export function knownType(
  entry: IndexedNode | undefined,
  model: ModelGraph,
  index: GraphIndex,
  name: string,
  depth = 0,
): KnownType | undefined {
  const declared = valueType(entry, model, name);
  if (declared) {
    // A type declared without a shape reads as the empty shape of a scalar: its shape is not recorded.
    const { rankUnknown, shape, ...rest } = declared;
    return { ...rest, ...(rankUnknown ? {} : { shape }), declared: true };
  }
  const weight = weightOf(entry, model, name);
  if (weight) return { dtype: weight.dtype, shape: weight.shape, declared: true };
  const producer = index.producers?.get(name);
  if (!producer || depth > 64) return undefined;
  const { node } = producer;
  const of = (input: string | undefined) =>
    input ? knownType(producer, model, index, input, depth + 1) : undefined;
  const inferred = (dtype: string | undefined, shape: ValueType['shape'] | undefined) =>
    dtype === undefined ? undefined : { dtype, ...(shape ? { shape } : {}), declared: false };
  const first = node.outputs[0] === name;
  if (node.domain !== '' && node.domain !== 'ai.onnx' && node.domain !== 'com.microsoft') return undefined;
  switch (node.opType) {
    case 'DequantizeLinear':
      // float32 unless the scale says otherwise (float16 scales make float16 outputs).
      return inferred(of(node.inputs[1])?.dtype ?? 'float32', of(node.inputs[0])?.shape);
    case 'QuantizeLinear':
      return inferred(node.inputs[2] ? of(node.inputs[2])?.dtype : 'uint8', of(node.inputs[0])?.shape);
    case 'DynamicQuantizeLinear': {
      const at = node.outputs.indexOf(name);
      return at === 0
        ? inferred('uint8', of(node.inputs[0])?.shape)
        : inferred(at === 1 ? 'float32' : 'uint8', []);
    }
    case 'Cast': {
      const to = node.attributes.find((a) => a.name === 'to')?.value;
      return inferred(to === undefined ? undefined : TENSOR_TYPES[to], of(node.inputs[0])?.shape);
    }
    case 'MatMulInteger':
    case 'ConvInteger':
      return first ? inferred('int32', undefined) : undefined;
  }
  if (!first) return undefined;
  const input = of(node.inputs[0]);
  if (SAME_TYPE_AND_SHAPE.has(node.opType)) return input && inferred(input.dtype, input.shape);
  if (SAME_DTYPE.has(node.opType)) return input && inferred(input.dtype, undefined);
  return undefined;
}

export function weightOf(
  entry: IndexedNode | undefined,
  model: ModelGraph,
  name: string,
): WeightStats | undefined {
  const scopes = entry?.scopes ?? [model.graph];
  for (let i = scopes.length - 1; i >= 0; i--) {
    const w = scopes[i]!.weights[name];
    if (w) return w;
  }
  return undefined;
}

/** Ids of nodes whose name or op type contains `query` (case-insensitive), else of those touching a tensor whose name does. */
export function searchGraph(index: GraphIndex, query: string, limit = 500): string[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const found = new Set<string>();
  for (const [id, { node }] of index.nodes) {
    if (found.size >= limit) break;
    if (node.name.toLowerCase().includes(q) || opLabel(node).toLowerCase().includes(q)) found.add(id);
  }
  // Tensor names contain op names (`/stem/Conv_output_0`): they count only when no node matched by itself.
  if (found.size > 0) return [...found];
  for (const [name, ids] of index.tensors) {
    if (found.size >= limit) break;
    if (name.toLowerCase().includes(q)) for (const id of ids) found.add(id);
  }
  return [...found];
}
