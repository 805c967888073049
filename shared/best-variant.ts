/**
 * Which variant of a comparison is the one to keep: the fastest (then smallest) variant that loses at most a
 * budget of accuracy and is faster or smaller than the original. The demo's summary and the report put it
 * first. Pure functions over the comparison rows (shared/report.ts).
 */
import type { ComparisonRow } from './report.js';
import { ORIGINAL_TARGET } from './workspace.js';

/** The default accuracy budget, in percentage points: a variant may lose this much and still be kept. */
export const DEFAULT_MAX_DROP_POINTS = 0.5;

export interface BestVariant {
  row: ComparisonRow;
  /** Its p50 latency / the original's (interleaved benchmark). */
  p50Ratio: number;
  /** Points of accuracy lost (or of top-1 agreement with the original missing, when there are no labels). */
  dropPoints: number;
  /** Which measure `dropPoints` comes from. */
  measure: 'accuracy' | 'top-1 agreement';
}

/** Points of quality a variant lost, from accuracy on the same data, else from top-1 agreement; undefined if unmeasured. */
export function qualityDrop(row: ComparisonRow): { points: number; measure: BestVariant['measure'] } | undefined {
  if (row.accuracyDelta !== undefined) return { points: Math.max(0, -row.accuracyDelta * 100), measure: 'accuracy' };
  const agreement = row.fidelity?.top1Agreement;
  if (agreement !== null && agreement !== undefined) return { points: (1 - agreement) * 100, measure: 'top-1 agreement' };
  return undefined;
}

/**
 * The variant to keep, or undefined when none is both measured (latency and quality) within the budget and
 * faster or smaller than the original.
 */
export function bestVariant(rows: readonly ComparisonRow[], maxDropPoints = DEFAULT_MAX_DROP_POINTS): BestVariant | undefined {
  const candidates: BestVariant[] = [];
  for (const row of rows) {
    const p50Ratio = row.latency?.p50Ratio;
    const drop = qualityDrop(row);
    if (row.target === ORIGINAL_TARGET || p50Ratio === undefined || drop === undefined) continue;
    // A rounding hair over the budget (0.5000001) is within it.
    if (drop.points > maxDropPoints + 1e-9) continue;
    if (!(p50Ratio < 1 || row.sizeRatio < 1)) continue;
    candidates.push({ row, p50Ratio, dropPoints: drop.points, measure: drop.measure });
  }
  candidates.sort((a, b) => a.p50Ratio - b.p50Ratio || a.row.sizeRatio - b.row.sizeRatio);
  return candidates[0];
}

/** One line for a summary: `int8-static: 0.35x p50 latency, 0.26x size, -0.00 pts accuracy (budget 0.5)`. */
export function describeBest(best: BestVariant, maxDropPoints = DEFAULT_MAX_DROP_POINTS): string {
  return (
    `${best.row.name}: ${best.p50Ratio.toFixed(2)}x p50 latency, ${best.row.sizeRatio.toFixed(2)}x size of the original, ` +
    `${best.dropPoints.toFixed(2)} pts of ${best.measure} lost (budget ${maxDropPoints} pts)`
  );
}
