/**
 * Which of a variant's Casts are conversions it added (fp16's float32/float16 boundaries, int8-dynamic's
 * int32-to-float after MatMulInteger, int8-weight's Cast after a DequantizeLinear) rather than Casts the
 * original has too (an int64 `sr` input cast to float): only the added ones are a cost of the compression.
 */
import type { NodeTime, OpTypeTime } from './bench.js';

/** onnxruntime names an unnamed node `<OpType>_<index in the graph>`; the index moves when nodes are added. */
const GENERATED_CAST_NAME = /^Cast_\d+$/;

/**
 * The share (0 to 1) of the variant's Cast time spent in Casts the original does not have. With both models'
 * per-node times, a Cast is the original's where the original has a Cast of that name; of the unnamed ones
 * (onnxruntime's `Cast_<n>`, renumbered in the variant), as many as the original has unmatched are its own,
 * the slowest taken first (this project's quantizers name the Casts they add). A profile lists every Cast
 * however many nodes the model has (electron/engine/bench/profile-trace.ts caps the other nodes only), so both
 * lists are whole. Without node times, the op types alone tell: all of the Cast time is added when the original
 * has no Cast at all, none otherwise.
 */
export function addedCastShare(
  original: { byOpType: readonly OpTypeTime[]; nodes?: readonly NodeTime[] | undefined },
  variant: { byOpType: readonly OpTypeTime[]; nodes?: readonly NodeTime[] | undefined },
): number {
  if (!variant.byOpType.some((o) => o.opType === 'Cast')) return 0;
  const originalHasCast = original.byOpType.some((o) => o.opType === 'Cast');
  if (!original.nodes || !variant.nodes) return originalHasCast ? 0 : 1;
  const originalCasts = original.nodes.filter((n) => n.opType === 'Cast');
  const variantCasts = variant.nodes.filter((n) => n.opType === 'Cast');
  const names = new Set(originalCasts.map((n) => n.name));
  const variantNames = new Set(variantCasts.map((n) => n.name));
  let unnamedLeft = originalCasts.filter(
    (n) => GENERATED_CAST_NAME.test(n.name) && !variantNames.has(n.name),
  ).length;
  let added = 0;
  let all = 0;
  // Which unnamed Cast is which cannot be told: slowest first, the original's claim the larger times, so that
  // the advice does not blame added Casts for time that may be the model's own.
  for (const n of [...variantCasts].sort((a, b) => b.ms - a.ms)) {
    all += n.ms;
    if (names.has(n.name)) continue;
    if (GENERATED_CAST_NAME.test(n.name) && unnamedLeft > 0) unnamedLeft--;
    else added += n.ms;
  }
  // No Cast time in the median run (or none of the Casts among the nodes listed): nothing to split.
  return all > 0 ? added / all : 0;
}
