import { type GraphProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { attributeOf, graphAttribute, intAttribute } from './attributes.js';
import { constantNodeValueType } from './constants.js';
import { isDefaultDomain } from './domains.js';
import { GraphIndex, sparseName, topologicalOrder } from './graph-index.js';

/*
 * Element types of a graph's values without ONNX shape inference (which has no JS port): declared
 * types first, then per-op rules in topological order. The quantizers only need to know which values
 * are float32 / float16; a value the rules cannot type is left out, which callers treat as "not float"
 * (the conservative answer: an untyped value is never converted or quantized).
 *
 * The rules cover the ops whose output type is not simply their first input's: Cast, comparisons,
 * index-producing ops, the type-from-attribute generators, quantization ops, LayerNormalization's
 * statistics, If/Loop/Scan (from their bodies). Everything else takes the type of its first input,
 * which is right for the elementwise, shape and NN ops that make up most models. com.microsoft ops
 * follow the same rules (its QuantizeLinear/DequantizeLinear mean the same); ops of other domains
 * type only their first output.
 */

const INT64_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_OUTPUT = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'RegexFullMatch',
]);
const WINDOWS = new Set(['HannWindow', 'HammingWindow', 'BlackmanWindow', 'MelWeightMatrix']);
const SEQUENCE_OUTPUT = new Set([
  'SequenceEmpty',
  'SequenceConstruct',
  'SplitToSequence',
  'SequenceInsert',
  'SequenceErase',
  'SequenceMap',
  'Optional',
]);

/**
 * The types a graph states: inputs, value_info and outputs, then initializers and sparse
 * initializers, which win over a contradicting declaration because they are the data itself.
 */
function declaredTypes(graph: GraphProto, into: Map<string, number>): void {
  const declare = (name: string, elemType: number | undefined): void => {
    if (name !== '' && elemType !== undefined && elemType !== DT.UNDEFINED) into.set(name, elemType);
  };
  for (const list of [graph.input, graph.valueInfo, graph.output]) {
    for (const vi of list) {
      const v = vi.type?.value;
      if (v?.case === 'tensorType' || v?.case === 'sparseTensorType') declare(vi.name, v.value.elemType);
    }
  }
  for (const t of graph.initializer) declare(t.name, t.dataType);
  for (const s of graph.sparseInitializer) declare(sparseName(s), s.values?.dataType);
}

/** The declared types of a subgraph's outputs (what an If/Loop/Scan node returns). */
function bodyOutputTypes(body: GraphProto | undefined): (number | undefined)[] {
  if (!body) return [];
  const types = new Map<string, number>();
  declaredTypes(body, types);
  return body.output.map((o) => types.get(o.name));
}

/** The output element types of one node, given a lookup of its inputs' types. */
export function outputElementTypes(
  node: NodeProto,
  typeOf: (name: string) => number | undefined,
): (number | undefined)[] {
  const n = node.output.length;
  const input = (i: number): number | undefined => (node.input[i] ? typeOf(node.input[i]!) : undefined);
  const first = (): number | undefined => {
    for (const name of node.input) if (name !== '') return typeOf(name);
    return undefined;
  };
  const all = (t: number | undefined): (number | undefined)[] => new Array<number | undefined>(n).fill(t);
  if (!isDefaultDomain(node.domain) && node.domain !== 'com.microsoft') {
    // Custom ops: the first output usually has the first input's type; the others are unknown.
    return [first(), ...new Array<undefined>(Math.max(0, n - 1)).fill(undefined)];
  }
  switch (node.opType) {
    case 'Constant':
      return [constantNodeValueType(node)?.dataType];
    case 'Cast':
      return [intAttribute(node, 'to')];
    case 'CastLike':
      return [input(1)];
    case 'ConstantOfShape':
      return [attributeOf(node, 'value')?.t?.dataType ?? DT.FLOAT];
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return [intAttribute(node, 'dtype') ?? input(0)];
    case 'RandomNormal':
    case 'RandomUniform':
      return [intAttribute(node, 'dtype', DT.FLOAT)];
    case 'Multinomial':
      return [intAttribute(node, 'dtype', DT.INT32)];
    case 'TopK':
      return [input(0), DT.INT64];
    case 'Unique':
      return [input(0), DT.INT64, DT.INT64, DT.INT64];
    case 'MaxPool':
      return [input(0), DT.INT64];
    case 'Dropout':
      return [input(0), DT.BOOL];
    case 'LayerNormalization': {
      const stash = intAttribute(node, 'stash_type', DT.FLOAT);
      return [input(0), stash, stash];
    }
    case 'QuantizeLinear': {
      const explicit = intAttribute(node, 'output_dtype', 0);
      return [explicit !== 0 ? explicit : (input(2) ?? DT.UINT8)];
    }
    case 'DequantizeLinear':
      // The scale's type; unknown when the scale's is (rather than guessing float).
      return [input(1)];
    case 'DynamicQuantizeLinear':
      return [DT.UINT8, DT.FLOAT, DT.UINT8];
    case 'MatMulInteger':
    case 'ConvInteger':
      return [DT.INT32];
    case 'QLinearMatMul':
    case 'QLinearConv':
      return [input(7)];
    case 'OneHot':
      return [input(2)];
    case 'Where':
      return [input(1)];
    case 'TfIdfVectorizer':
      return [DT.FLOAT];
    case 'StringNormalizer':
      return [DT.STRING];
    case 'ImageDecoder':
      return [DT.UINT8];
    case 'If':
      return bodyOutputTypes(graphAttribute(node, 'then_branch'));
    case 'Loop':
      // The body's outputs start with the loop condition, which the node does not return.
      return bodyOutputTypes(graphAttribute(node, 'body')).slice(1);
    case 'Scan':
      return bodyOutputTypes(graphAttribute(node, 'body'));
    case 'SequenceLength':
      return [DT.INT64];
    default:
      if (SEQUENCE_OUTPUT.has(node.opType)) return all(undefined);
      if (INT64_OUTPUT.has(node.opType)) return all(DT.INT64);
      if (BOOL_OUTPUT.has(node.opType)) return all(DT.BOOL);
      if (WINDOWS.has(node.opType)) return all(intAttribute(node, 'output_datatype', DT.FLOAT));
      return all(first());
  }
}

/**
 * Element types of the values of a graph (and of the outer values it reads, when `outer` gives
 * them), by name. Declared types win over inferred ones, except that a Constant node's value is its
 * own type. A graph the topological sort rejects (a cycle) is walked in stored order: the types are
 * a hint to the quantizers, and validation reports the cycle.
 */
export function inferElementTypes(
  graph: GraphProto | GraphIndex,
  outer?: ReadonlyMap<string, number>,
): Map<string, number> {
  const types = new Map<string, number>(outer ?? []);
  const index = graph instanceof GraphIndex ? graph : new GraphIndex(graph);
  declaredTypes(index.graph, types);
  let order: NodeProto[];
  try {
    order = topologicalOrder(index);
  } catch {
    order = index.graph.node;
  }
  for (const node of order) {
    const outs = outputElementTypes(node, (name) => types.get(name));
    const isConstant = node.opType === 'Constant' && isDefaultDomain(node.domain);
    node.output.forEach((name, i) => {
      if (name === '' || (types.has(name) && !isConstant)) return;
      const t = outs[i];
      if (t !== undefined && t !== DT.UNDEFINED) types.set(name, t);
    });
  }
  return types;
}
