/**
 * What each node of a model computes in, from its op type and the types of what it reads: one rule for the
 * engine's diff (on the model's messages) and the Graph view (on the graph JSON, for the nodes a variant added).
 * Q/DQ and Cast are conversions, MatMulNBits is int4, quantized kernels and readers of a DequantizeLinear are
 * int8, readers of a float16 weight or value (and a Constant holding float16) are float16. A body reads the values
 * of the graphs around it, so it starts from what they defined before its node.
 */
import { INT8_OPS } from './explain.js';
import type { NodePrecision } from './model-diff.js';

export const QDQ_OPS: ReadonlySet<string> = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
]);

/** What the rule reads of a node, whatever form the model is in. */
export interface PrecisionView {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** A Constant node whose value is float16. */
  holdsHalf: boolean;
  /** A Cast to float16. */
  castsToHalf: boolean;
}

/** A graph as the rule walks it: its float16 weights, its nodes in order, and each node's bodies. */
export interface PrecisionGraph<N> {
  halfWeights: Iterable<string>;
  nodes: readonly N[];
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
  for (const node of graph.nodes) {
    const v = adapter.view(node);
    let precision: NodePrecision = 'float32';
    if (QDQ_OPS.has(v.opType) || v.opType === 'Cast') precision = 'other';
    else if (v.opType === 'MatMulNBits') precision = 'int4';
    else if (INT8_OPS.has(v.opType) || v.inputs.some((i) => dequantized.has(i))) precision = 'int8';
    else if (v.inputs.some((i) => fp16.has(i)) || v.holdsHalf) precision = 'float16';
    out.set(node, precision);
    if (v.opType === 'DequantizeLinear') v.outputs.forEach((o) => dequantized.add(o));
    if (v.castsToHalf || precision === 'float16') v.outputs.forEach((o) => fp16.add(o));
    for (const body of adapter.bodies(node)) nodePrecisions(body, adapter, out, { fp16, dequantized });
  }
  return out;
}
