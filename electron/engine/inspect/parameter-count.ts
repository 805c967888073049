import type { GraphProto, NodeProto } from 'onnx-buf';
import { intAttribute } from '../onnx/attributes.js';
import { collectConstants } from '../onnx/constant-bytes.js';
import { isDefaultDomain } from '../onnx/domains.js';
import { elementCount } from '../onnx/dtypes.js';
import { walkGraphs } from '../onnx/walk-graphs.js';

/*
 * How many parameters a model has: every constant tensor's logical elements, the same count before and after
 * quantization. A packed 4-bit weight counts its weights, not its bytes (int4 of a 322M-parameter LM read
 * 202M: the packed bytes of its MatMulNBits weights plus their scales), and the scales and zero points that
 * quantization adds are counted apart: they describe the weights, they are not more of them.
 */

/** Inputs of quantized ops that hold scales and zero points (and MatMulNBits' g_idx), by op (`domain::Op`). */
const QUANTIZATION_INPUTS: Readonly<Record<string, readonly number[]>> = {
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  QLinearMatMul: [1, 2, 4, 5, 6, 7],
  QLinearConv: [1, 2, 4, 5, 6, 7],
  MatMulInteger: [2, 3],
  ConvInteger: [2, 3],
  'com.microsoft::QuantizeLinear': [1, 2],
  'com.microsoft::DequantizeLinear': [1, 2],
  'com.microsoft::MatMulNBits': [2, 3, 4],
  'com.microsoft::GatherBlockQuantized': [2, 3],
  'com.microsoft::DynamicQuantizeMatMul': [2, 3],
  'com.microsoft::MatMulIntegerToFloat': [2, 3, 4, 5],
  'com.microsoft::QLinearAdd': [1, 2, 4, 5, 6, 7],
  'com.microsoft::QLinearMul': [1, 2, 4, 5, 6, 7],
  'com.microsoft::QLinearSigmoid': [1, 2, 3, 4],
  'com.microsoft::QLinearLeakyRelu': [1, 2, 3, 4],
  'com.microsoft::QLinearGlobalAveragePool': [1, 2, 3, 4],
};

const UINT8 = 2;
const INT8 = 3;

/** What a constant is to the node that reads it: a packed weight's logical elements, or a scale/zero point. */
type Role = { kind: 'weight'; elements: number } | { kind: 'quantization' };

export interface ParameterCounts {
  /** Logical elements of every constant but the quantization parameters. */
  parameters: number;
  /** Elements of the scales and zero points of quantized weights and activations. */
  quantizationParameters: number;
}

function opKey(node: NodeProto): string {
  return isDefaultDomain(node.domain) ? node.opType : `${node.domain}::${node.opType}`;
}

/** The logical weights of a packed input: MatMulNBits' B is K x N whatever its bytes; 4-bit Gather tables two a byte. */
function packedWeight(node: NodeProto, input: number, dataType: number, stored: number): number | undefined {
  const key = opKey(node);
  if (key === 'com.microsoft::MatMulNBits' && input === 1) {
    const k = intAttribute(node, 'K');
    const n = intAttribute(node, 'N');
    return k !== undefined && n !== undefined ? k * n : undefined;
  }
  // uint8 data holds 8 / bits weights a byte; int4/uint4 data is already counted by its logical shape.
  if (key === 'com.microsoft::GatherBlockQuantized' && input === 0 && dataType === UINT8)
    return (stored * 8) / intAttribute(node, 'bits', 4);
  return undefined;
}

function safeCount(dims: bigint[]): number {
  try {
    return Number(elementCount(dims));
  } catch {
    return 0;
  }
}

/**
 * The model's parameters and, apart, its quantization parameters, from shapes and attributes alone (no weight
 * is read), subgraphs included. A sparse tensor's indices are neither.
 */
export function countParameters(graph: GraphProto): ParameterCounts {
  const constants = collectConstants(graph, false);
  const byName = new Map(constants.map((c) => [c.name, c]));
  const roles = new Map<string, Role>();
  walkGraphs(graph, (g) => {
    const rowParameters = perRowParameterLookups(g, (name) => {
      const type = byName.get(name)?.dataType;
      return type === INT8 || type === UINT8;
    });
    for (const node of g.node) {
      const scales = rowParameters.has(node) ? [0] : (QUANTIZATION_INPUTS[opKey(node)] ?? []);
      node.input.forEach((name, i) => {
        const constant = byName.get(name);
        if (!constant || name === '') return;
        const elements = packedWeight(node, i, constant.dataType, safeCount(constant.dims));
        // A weight wins over a scale: a tensor read as both is a weight that another node also scales by.
        if (elements !== undefined) roles.set(name, { kind: 'weight', elements });
        else if (scales.includes(i) && !roles.has(name)) roles.set(name, { kind: 'quantization' });
      });
    }
  });
  const counts: ParameterCounts = { parameters: 0, quantizationParameters: 0 };
  for (const c of constants) {
    if (c.counts === false) continue;
    const role = roles.get(c.name);
    if (role?.kind === 'quantization') counts.quantizationParameters += safeCount(c.dims);
    else counts.parameters += role?.kind === 'weight' ? role.elements : safeCount(c.dims);
  }
  return counts;
}

/**
 * The Gathers that look up per-row scales and zero points of int8 rows (quantize/dynamic/tied-table.ts): a Gather
 * whose output a Mul or Sub applies to a Cast of another Gather's rows, `Cast(Gather(int8 table)) - Gather(zero
 * point)`, `(...) * Gather(scale)`. Their tables are quantization parameters, not weights.
 */
function perRowParameterLookups(
  graph: GraphProto,
  isInt8Constant: (name: string) => boolean,
): Set<NodeProto> {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node) for (const out of node.output) if (out) producers.set(out, node);
  const isGather = (n: NodeProto | undefined) => n?.opType === 'Gather' && isDefaultDomain(n.domain);
  /** Whether `value` is the int8 rows, cast (through a Sub of a zero point, for a scale). */
  const castRows = (value: string, depth = 0): boolean => {
    const p = producers.get(value);
    if (!p || !isDefaultDomain(p.domain)) return false;
    if (p.opType === 'Cast') {
      const rows = producers.get(p.input[0] ?? '');
      return isGather(rows) && isInt8Constant(rows!.input[0] ?? '');
    }
    return depth === 0 && p.opType === 'Sub' && castRows(p.input[0] ?? '', 1);
  };
  const lookups = new Set<NodeProto>();
  for (const node of graph.node) {
    if ((node.opType !== 'Mul' && node.opType !== 'Sub') || !isDefaultDomain(node.domain)) continue;
    const [a = '', b = ''] = node.input;
    const lookup = producers.get(b);
    if (isGather(lookup) && castRows(a)) lookups.add(lookup!);
    // A zero point is Cast to float before the Sub.
    const cast = producers.get(b);
    if (
      node.opType === 'Sub' &&
      cast?.opType === 'Cast' &&
      isGather(producers.get(cast.input[0] ?? '')) &&
      castRows(a)
    )
      lookups.add(producers.get(cast.input[0] ?? '')!);
  }
  return lookups;
}

/** The summary's `parameters` (countParameters); prune reports the same count through this. */
export function parameterCount(graph: GraphProto): number {
  return countParameters(graph).parameters;
}
