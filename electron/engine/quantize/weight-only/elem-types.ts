import { type GraphProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import {
  CONSTANT_VALUE_ATTRIBUTES,
  type GraphIndex,
  constantAttributeTensor,
  sparseName,
  topologicalOrder,
} from '../../onnx/graph.js';
import { attributeOf, intAttribute } from '../../onnx/attributes.js';
import { isDefaultDomain } from './weights.js';

/*
 * Element types of a graph's values without ONNX shape inference (which has no JS port): declared
 * types (inputs, outputs, value_info, initializers, Constant nodes) first, then per-op rules in
 * topological order. The rules cover the ops whose output type is not simply their first input's:
 * Cast, comparisons, index-producing ops, the type-from-attribute generators, quantization ops,
 * LayerNormalization's statistics, If/Loop/Scan (from their bodies). Everything else takes the type
 * of its first input, which is right for the elementwise, shape and NN ops that make up most models.
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

function constantNodeType(node: NodeProto): number | undefined {
  const a = node.attribute.find((x) => CONSTANT_VALUE_ATTRIBUTES.has(x.name));
  if (!a) return undefined;
  if (a.name === 'sparse_value') return a.sparseTensor?.values?.dataType;
  try {
    return constantAttributeTensor(a).dataType;
  } catch {
    return undefined;
  }
}

function declaredTypes(graph: GraphProto, into: Map<string, number>): void {
  for (const t of graph.initializer) into.set(t.name, t.dataType);
  for (const s of graph.sparseInitializer) if (s.values) into.set(sparseName(s), s.values.dataType);
  for (const list of [graph.input, graph.valueInfo, graph.output]) {
    for (const vi of list) {
      const v = vi.type?.value;
      if (
        v &&
        (v.case === 'tensorType' || v.case === 'sparseTensorType') &&
        v.value.elemType !== DT.UNDEFINED
      ) {
        into.set(vi.name, v.value.elemType);
      }
    }
  }
}

function bodyOutputTypes(body: GraphProto | undefined): (number | undefined)[] {
  if (!body) return [];
  const types = new Map<string, number>();
  declaredTypes(body, types);
  return body.output.map((o) => types.get(o.name));
}

/** The output element types of one node, given a lookup of its inputs' types. */
export function outputElemTypes(
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
  if (!isDefaultDomain(node.domain)) {
    // Contrib ops: the first output usually has the first input's type; others are unknown.
    return [first(), ...new Array<undefined>(Math.max(0, n - 1)).fill(undefined)];
  }
  switch (node.opType) {
    case 'Constant':
      return [constantNodeType(node)];
    case 'Cast':
      return [intAttribute(node, 'to', DT.UNDEFINED)];
    case 'CastLike':
      return [input(1)];
    case 'ConstantOfShape': {
      const v = attributeOf(node, 'value');
      return [v?.t ? v.t.dataType : DT.FLOAT];
    }
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return [attributeOf(node, 'dtype') ? intAttribute(node, 'dtype', DT.FLOAT) : input(0)];
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
      return bodyOutputTypes(attributeOf(node, 'then_branch')?.g);
    case 'Loop':
      return bodyOutputTypes(attributeOf(node, 'body')?.g).slice(1);
    case 'Scan':
      return bodyOutputTypes(attributeOf(node, 'body')?.g);
    case 'SequenceEmpty':
    case 'SequenceConstruct':
    case 'SplitToSequence':
    case 'SequenceInsert':
    case 'SequenceErase':
    case 'SequenceMap':
    case 'Optional':
      return all(undefined);
    case 'SequenceLength':
      return [DT.INT64];
    default:
      if (INT64_OUTPUT.has(node.opType)) return all(DT.INT64);
      if (BOOL_OUTPUT.has(node.opType)) return all(DT.BOOL);
      if (WINDOWS.has(node.opType)) return all(intAttribute(node, 'output_datatype', DT.FLOAT));
      return all(first());
  }
}

/**
 * Element types of the values of `index`'s graph (and of outer values it reads, when `outer` is given).
 * Declared types win over inferred ones; values of unknown or non-tensor type are absent.
 */
export function inferElemTypes(index: GraphIndex, outer?: ReadonlyMap<string, number>): Map<string, number> {
  const types = new Map<string, number>(outer ?? []);
  declaredTypes(index.graph, types);
  for (const node of topologicalOrder(index)) {
    const outs = outputElemTypes(node, (name) => types.get(name));
    node.output.forEach((name, i) => {
      if (name === '' || types.has(name)) return;
      const t = outs[i];
      if (t !== undefined && t !== DT.UNDEFINED) types.set(name, t);
    });
  }
  return types;
}
