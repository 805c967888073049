/**
 * What each node of a model computes in, from its op type and the types of what it reads: one rule for the
 * engine's diff (on the model's messages), the Graph view (on the graph JSON, for the nodes a variant added) and
 * explain's kernel kinds (shared/explain.ts reads the int8 op types from here). Q/DQ are conversions
 * (`other`); a Cast to float16 or float32 computes in the precision it produces (the op type beside it says it
 * is a Cast, and one between float16 and float32 nodes reads as the side it feeds), a Cast to another type (an
 * int64 shape) is `other`; MatMulNBits and GatherBlockQuantized are int4, quantized kernels are int8; a node that reads a
 * DequantizeLinear computes in int8 only where onnxruntime runs it as one (`runsInt8Behind`): a QDQ unit it
 * fuses into an int8 kernel (DQ -> Conv -> Q is a QLinearConv), or data movement on 8-bit data (also where
 * onnxruntime moves the QuantizeLinear after it above it: shared/qdq-propagation.ts). Any other op reading a
 * DequantizeLinear (a ReduceMean between Q/DQ) is a float kernel between conversions, as the profile shows it
 * and explain says. Readers of a float16 weight or value (and a Constant holding float16) are float16. A body
 * reads the values of the graphs around it, so it starts from what they defined before its node.
 */
import type { NodeDiff, NodePrecision } from './model-diff.js';
import { qPropagatedNodes } from './qdq-propagation.js';

/**
 * Op types that compute in int8 (onnxruntime's QLinear/Integer kernels and contrib ops). `onnx-studio diff` reads
 * it too, to say what a node of a variant computes in.
 */
export const INT8_OPS: ReadonlySet<string> = new Set([
  'QLinearConv',
  'QLinearMatMul',
  'QGemm',
  'MatMulInteger',
  'ConvInteger',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QLinearAdd',
  'QLinearMul',
  'QLinearConcat',
  'QLinearGlobalAveragePool',
  'QLinearAveragePool',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'QLinearSoftmax',
  'QLinearWhere',
  'QAttention',
  'QEmbedLayerNormalization',
  'QOrderedMatMul',
  'DynamicQuantizeLSTM',
]);

export const QDQ_OPS: ReadonlySet<string> = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
]);

/**
 * Op types onnxruntime runs in int8 between a DequantizeLinear and a QuantizeLinear (its QDQ selectors): fused
 * into a QLinear kernel (Conv, Add, Concat, AveragePool...), or with the Q/DQ dropped around data movement
 * (Reshape, Transpose, MaxPool...). Without the QuantizeLinear after them they run in float.
 */
const INT8_IN_QDQ_UNIT: ReadonlySet<string> = new Set([
  'Conv',
  'ConvTranspose',
  'Add',
  'Mul',
  'Concat',
  'AveragePool',
  'GlobalAveragePool',
  'LeakyRelu',
  'Sigmoid',
  'Softmax',
  'Where',
  'Gather',
  'GatherElements',
  'Reshape',
  'Expand',
  'Flatten',
  'Transpose',
  'MaxPool',
  'Resize',
  'Squeeze',
  'Unsqueeze',
  'Slice',
]);

/**
 * Whether onnxruntime runs an op that reads a DequantizeLinear's output as an int8 kernel. `inputDequantized`:
 * its first input (the activation) is one; `quantizedOutput`: its output goes to a QuantizeLinear.
 */
export function runsInt8Behind(
  opType: string,
  { inputDequantized, quantizedOutput }: { inputDequantized: boolean; quantizedOutput: boolean },
): boolean {
  // Fused with the DequantizeLinear before them even where their output is float: DQ -> MatMul is a
  // MatMulIntegerToFloat (a MatMulNBits where only the weight is dequantized, as int8-weight leaves it); DQ -> Gemm
  // a QGemm with a float output, where its input is dequantized too (with only its weight dequantized, float).
  if (opType === 'MatMul') return true;
  if (opType === 'Gemm') return inputDequantized;
  return quantizedOutput && INT8_IN_QDQ_UNIT.has(opType);
}

/** What the rule reads of a node, whatever form the model is in. */
export interface PrecisionView {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** A Constant node whose value is float16. */
  holdsHalf: boolean;
  /** A Cast to float16. */
  castsToHalf: boolean;
  /** A Cast to float32. */
  castsToFloat: boolean;
}

/** A graph as the rule walks it: its float16 weights, its nodes in order, its outputs, and each node's bodies. */
export interface PrecisionGraph<N> {
  halfWeights: Iterable<string>;
  nodes: readonly N[];
  /** Its outputs: onnxruntime moves no QuantizeLinear past one (shared/qdq-propagation.ts). */
  outputs: Iterable<string>;
}

interface ValueScope {
  fp16: ReadonlySet<string>;
  dequantized: ReadonlySet<string>;
}

export function nodePrecisions<N>(
  graph: PrecisionGraph<N>,
  adapter: { view: (node: N) => PrecisionView; bodies: (node: N) => PrecisionGraph<N>[] },
  out = new Map<N, NodePrecision>(),
  outer: ValueScope = { fp16: new Set(), dequantized: new Set() },
): Map<N, NodePrecision> {
  const fp16 = new Set(outer.fp16);
  for (const name of graph.halfWeights) fp16.add(name);
  const dequantized = new Set(outer.dequantized);
  // The values a QuantizeLinear of this graph reads: a node writing one ends a QDQ unit.
  const quantized = new Set<string>();
  for (const node of graph.nodes) {
    const v = adapter.view(node);
    if (v.opType === 'QuantizeLinear' && v.inputs[0]) quantized.add(v.inputs[0]);
  }
  // Data movement that onnxruntime moves a QuantizeLinear above runs in int8 without a DequantizeLinear before it.
  const qdqMoved = qPropagatedNodes(graph.nodes, adapter.view, new Set(graph.outputs));
  for (const node of graph.nodes) {
    const v = adapter.view(node);
    let precision: NodePrecision = 'float32';
    if (QDQ_OPS.has(v.opType)) precision = 'other';
    else if (v.opType === 'Cast')
      precision = v.castsToHalf ? 'float16' : v.castsToFloat ? 'float32' : 'other';
    // GatherBlockQuantized reads 4-bit rows (int4's embedding tables; it takes 8 bits too, which int4 never writes).
    else if (v.opType === 'MatMulNBits' || v.opType === 'GatherBlockQuantized') precision = 'int4';
    else if (
      INT8_OPS.has(v.opType) ||
      qdqMoved.has(node) ||
      (v.inputs.some((i) => dequantized.has(i)) &&
        runsInt8Behind(v.opType, {
          inputDequantized: dequantized.has(v.inputs[0] ?? ''),
          quantizedOutput: v.outputs.some((o) => quantized.has(o)),
        }))
    )
      precision = 'int8';
    else if (v.inputs.some((i) => fp16.has(i)) || v.holdsHalf) precision = 'float16';
    out.set(node, precision);
    if (v.opType === 'DequantizeLinear') v.outputs.forEach((o) => dequantized.add(o));
    if (v.castsToHalf || precision === 'float16') v.outputs.forEach((o) => fp16.add(o));
    for (const body of adapter.bodies(node)) nodePrecisions(body, adapter, out, { fp16, dequantized });
  }
  return out;
}

/**
 * A node of the original that computed in float16 and computes in float32 in the variant. onnxruntime runs a
 * float16 node its provider has no float16 kernel for in float32 between Casts (`InsertedPrecisionFreeCast_`);
 * int8-static saves the graph its optimizations made, so an fp16 model's variant keeps those nodes in float32 on
 * every device, where the original computes them in float16 on a GPU.
 */
export function isUpcast(row: Pick<NodeDiff, 'precision' | 'originalPrecision'>): boolean {
  return row.originalPrecision === 'float16' && row.precision === 'float32';
}

/**
 * Whether a diff row is a change worth listing: its node was replaced, fused or removed, or computes in another
 * precision than in the original (quantized, made float16, upcast). A diff without `originalPrecision` (the
 * renderer's mock diffs) is read as from a float32 original, as diffs were before it was recorded.
 */
export function nodeChanged(row: Pick<NodeDiff, 'change' | 'precision' | 'originalPrecision'>): boolean {
  return row.change !== 'kept' || row.precision !== (row.originalPrecision ?? 'float32');
}

/**
 * What a diff row computes in, with what it computed in before where that differs (`float16 -> float32`,
 * `float32 -> int8`), or undefined for a fused or removed node: the CLI's table and the Graph view's say it alike.
 */
export function precisionMove(
  row: Pick<NodeDiff, 'precision' | 'originalPrecision'>,
  arrow = '->',
): string | undefined {
  const before = row.originalPrecision;
  if (!row.precision) return undefined;
  return before && before !== row.precision ? `${before} ${arrow} ${row.precision}` : row.precision;
}
