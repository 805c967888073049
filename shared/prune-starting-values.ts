/**
 * Where a first try of each pruning method starts: the demo's recipe and the Optimize form's starting values.
 * Modest on purpose: one-shot structured pruning of 20% of the channels took the bundled digits sample from
 * 99.44% to 33% accuracy, 10% cost it 0.56 points; channel counts kept in multiples of 8 suit onnxruntime's
 * fastest CPU convolutions (odd counts made a pruned variant slower than its original).
 */
export const PRUNE_STARTING_VALUES = {
  structured: { common: { sparsity: 0.1 }, options: { roundTo: 8 } },
  magnitude: { common: { sparsity: 0.3 }, options: {} },
} as const satisfies Record<string, { common: Record<string, unknown>; options: Record<string, unknown> }>;
