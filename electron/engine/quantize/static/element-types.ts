import { type GraphProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import {
  CONSTANT_VALUE_ATTRIBUTES,
  constantAttributeTensor,
  sparseName,
  topologicalOrder,
} from '../../onnx/graph.js';
import { intAttribute } from '../../onnx/attributes.js';

/*
 * Element types of a graph's values, by forward propagation from what is declared (inputs, value_info,
 * initializers, Constant nodes) through a table of how ops type their outputs. The quantizer only needs
 * to know which activations are float32; values it cannot type are left out (treated as "not float").
 */

/** Ops whose outputs are all of a fixed type. */
const FIXED_OUTPUT: Record<string, number> = {
  Shape: DT.INT64,
  Size: DT.INT64,
  NonZero: DT.INT64,
  ArgMax: DT.INT64,
  ArgMin: DT.INT64,
  NonMaxSuppression: DT.INT64,
  Equal: DT.BOOL,
  Less: DT.BOOL,
  LessOrEqual: DT.BOOL,
  Greater: DT.BOOL,
  GreaterOrEqual: DT.BOOL,
  Not: DT.BOOL,
  And: DT.BOOL,
  Or: DT.BOOL,
  Xor: DT.BOOL,
  IsNaN: DT.BOOL,
  IsInf: DT.BOOL,
  MatMulInteger: DT.INT32,
  ConvInteger: DT.INT32,
  StringNormalizer: DT.STRING,
  RegexFullMatch: DT.BOOL,
};

/** Ops whose outputs follow the type of input k (default 0). */
const FOLLOW_INPUT: Record<string, number> = {
  Where: 1,
  OneHot: 2,
  CastLike: 1,
  Expand: 0,
};

/** Element types of every value in `graph` that can be typed (by name). */
export function inferElementTypes(
  graph: GraphProto,
  outer: ReadonlyMap<string, number> = new Map(),
): Map<string, number> {
  const types = new Map<string, number>(outer);
  const declare = (name: string, elemType: number | undefined): void => {
    if (name !== '' && elemType !== undefined && elemType !== 0) types.set(name, elemType);
  };
  for (const list of [graph.input, graph.valueInfo, graph.output]) {
    for (const vi of list) {
      const t = vi.type?.value;
      if (t?.case === 'tensorType' || t?.case === 'sparseTensorType') declare(vi.name, t.value.elemType);
    }
  }
  for (const t of graph.initializer) declare(t.name, t.dataType);
  for (const s of graph.sparseInitializer) declare(sparseName(s), s.values?.dataType);

  let order: NodeProto[];
  try {
    order = topologicalOrder(graph);
  } catch {
    order = graph.node;
  }
  for (const node of order) {
    const out = node.output;
    const input = (k: number): number | undefined => {
      const name = node.input[k];
      return name === undefined || name === '' ? undefined : types.get(name);
    };
    const op = node.opType;
    const domain = node.domain === 'ai.onnx' ? '' : node.domain;
    if (domain === '' && op === 'Constant') {
      const attr = node.attribute.find((a) => CONSTANT_VALUE_ATTRIBUTES.has(a.name));
      if (attr) {
        try {
          declare(
            out[0] ?? '',
            attr.name === 'sparse_value'
              ? attr.sparseTensor?.values?.dataType
              : constantAttributeTensor(attr).dataType,
          );
        } catch {
          // untypeable constant: leave it out
        }
      }
      continue;
    }
    // Declared value_info wins over inference.
    const already = (name: string): boolean => types.has(name);
    const set = (i: number, elemType: number | undefined): void => {
      const name = out[i];
      if (name !== undefined && !already(name)) declare(name, elemType);
    };
    if (domain === '' || domain === 'com.microsoft') {
      if (op in FIXED_OUTPUT) {
        out.forEach((_, i) => set(i, FIXED_OUTPUT[op]));
        continue;
      }
      switch (op) {
        case 'Cast':
          set(0, intAttribute(node, 'to'));
          continue;
        case 'ConstantOfShape': {
          const value = node.attribute.find((a) => a.name === 'value')?.t;
          set(0, value?.dataType ?? DT.FLOAT);
          continue;
        }
        case 'EyeLike':
        case 'RandomNormalLike':
        case 'RandomUniformLike':
        case 'Bernoulli':
          set(0, intAttribute(node, 'dtype') ?? input(0));
          continue;
        case 'RandomNormal':
        case 'RandomUniform':
          set(0, intAttribute(node, 'dtype') ?? DT.FLOAT);
          continue;
        case 'Multinomial':
          set(0, intAttribute(node, 'dtype') ?? DT.INT32);
          continue;
        case 'TopK':
          set(0, input(0));
          set(1, DT.INT64);
          continue;
        case 'MaxPool':
          set(0, input(0));
          set(1, DT.INT64);
          continue;
        case 'Dropout':
          set(0, input(0));
          set(1, DT.BOOL);
          continue;
        case 'Unique':
          set(0, input(0));
          for (let i = 1; i < out.length; i++) set(i, DT.INT64);
          continue;
        case 'QuantizeLinear': {
          const zp = node.input[2] ? types.get(node.input[2]) : undefined;
          set(0, intAttribute(node, 'output_dtype') || zp || DT.UINT8);
          continue;
        }
        case 'DequantizeLinear':
          set(0, input(1) ?? DT.FLOAT);
          continue;
        case 'DynamicQuantizeLinear':
          set(0, DT.UINT8);
          set(1, DT.FLOAT);
          set(2, DT.UINT8);
          continue;
        case 'If':
        case 'Loop':
        case 'Scan': {
          // The body's declared outputs (Loop/Scan list loop-carried values first, like the node).
          const body = node.attribute.find((a) => a.g)?.g;
          if (body) {
            const offset = op === 'Loop' ? 1 : 0; // Loop's body outputs start with `cond`
            out.forEach((_, i) => {
              const vi = body.output[i + offset];
              const t = vi?.type?.value;
              if (t?.case === 'tensorType') set(i, t.value.elemType);
            });
          }
          continue;
        }
        default:
          break;
      }
    }
    const follow = domain === '' ? (FOLLOW_INPUT[op] ?? 0) : 0;
    const t = input(follow);
    out.forEach((_, i) => set(i, t));
  }
  return types;
}
