/**
 * Which variant of a comparison is the one to keep: among the variants that lose at most a budget of quality
 * and are faster or smaller than the original, the fastest (then smallest); when none of them is faster, the
 * smallest. Latency is judged on one engine only (`decisionLatencyLabel`, shared/report.ts), by each variant's
 * ratio to the original of its own interleaved benchmark. The demo's summary, the report and Export all use it.
 * Pure functions over the comparison rows (shared/report.ts).
 *
 * "Faster" means faster beyond the run's noise (shared/latency-noise.ts): a variant measured at x0.97 in a run
 * whose spread is 6% of the median is the same speed as the original, so a variant no smaller than the original
 * and not faster beyond noise is never best. Among the fastest, one whose speed is within noise of the fastest
 * and that is smaller wins: a speed nobody can tell apart decides nothing.
 */
import { bareBand, fasterBeyondNoise, type RatioBand, type SpeedVerdict } from './latency-noise.js';
import { compareTargets, decisionLatencyLabel, type ComparisonRow } from './report.js';
import { ORIGINAL_TARGET, type Workspace } from './workspace.js';

/** The default accuracy budget, in percentage points: a variant may lose this much and still be kept. */
export const DEFAULT_MAX_DROP_POINTS = 0.5;

/**
 * The default budget of an evaluation with neither labels nor class scores (fidelity only): the output's
 * cosine similarity to the original must be at least this.
 */
export const DEFAULT_MIN_COSINE = 0.99;

/** How much quality a kept variant may lose: points of accuracy (or top-1 agreement), or a minimum cosine. */
export interface QualityBudget {
  maxDropPoints: number;
  minCosine: number;
  /**
   * Judge every variant by this measure alone (a tune's budget is on one: under its cosine budget, a variant is
   * judged by its cosine though top-1 agreement was measured too). Without it, the first measured of accuracy,
   * top-1 agreement, cosine.
   */
  measure?: QualityMeasure;
}

export const DEFAULT_BUDGET: QualityBudget = { maxDropPoints: DEFAULT_MAX_DROP_POINTS, minCosine: DEFAULT_MIN_COSINE };

/** What a variant's quality was measured as: points lost (accuracy, top-1 agreement), or the output cosine. */
export type QualityMeasure = 'accuracy' | 'top-1 agreement' | 'cosine';

export interface BestVariant {
  row: ComparisonRow;
  /** Its p50 latency / the original's, from its own interleaved benchmark. */
  p50Ratio: number;
  /**
   * What that ratio says beyond the run's noise (shared/latency-noise.ts): `same` when the difference is within
   * noise (or the run too noisy to tell), so the figure must be shown as such.
   */
  speed: SpeedVerdict;
  /** The run's spread was too large to tell speeds apart (latency-noise.ts `spreadTooLarge`). */
  unreliable: boolean;
  /** Which runtime and provider measured the latency, e.g. `onnxruntime-node cpu`. */
  engine: string;
  /** Points of accuracy lost (or of top-1 agreement with the original missing); 0 for a cosine measure. */
  dropPoints: number;
  /** The output cosine similarity to the original, when that is the measure. */
  cosine?: number;
  /** Which measure the quality comes from. */
  measure: QualityMeasure;
  /** Why it was chosen: it is the fastest kept variant, or (none being faster) the smallest. */
  chosenAs: 'fastest' | 'smallest';
  /**
   * With `fastest`, the variant measured fastest when it is not this one: this one is within noise of it and
   * smaller, so the smaller file won a speed the run cannot tell apart. Said in the rule (`describeRule`): "the
   * fastest variant" above a faster-looking x0.59 read as a mistake.
   */
  fastestMeasured?: { name: string; p50Ratio: number };
}

/**
 * The quality a variant kept, from accuracy on the same data, else top-1 agreement, else the output cosine (only
 * `measure`, when given); undefined if unmeasured.
 */
export function qualityDrop(
  row: ComparisonRow,
  measure?: QualityMeasure,
): { points: number; measure: QualityMeasure; cosine?: number } | undefined {
  const takes = (m: QualityMeasure) => measure === undefined || measure === m;
  if (takes('accuracy') && row.accuracyDelta !== undefined)
    return { points: Math.max(0, -row.accuracyDelta * 100), measure: 'accuracy' };
  const agreement = row.fidelity?.top1Agreement;
  if (takes('top-1 agreement') && agreement !== null && agreement !== undefined)
    return { points: (1 - agreement) * 100, measure: 'top-1 agreement' };
  const cosine = row.fidelity?.cosine;
  if (takes('cosine') && cosine !== undefined && Number.isFinite(cosine))
    return { points: 0, measure: 'cosine', cosine };
  return undefined;
}

/** Whether a measured quality is within the budget (a rounding hair over it, 0.5000001, is within). */
function withinBudget(drop: NonNullable<ReturnType<typeof qualityDrop>>, budget: QualityBudget): boolean {
  if (drop.measure === 'cosine') return (drop.cosine ?? -Infinity) >= budget.minCosine - 1e-12;
  return drop.points <= budget.maxDropPoints + 1e-9;
}

/**
 * The variant to keep, or undefined when none is both measured (latency and quality) within the budget and
 * faster or smaller than the original. `rows` must hold latency from one engine (compareTargets with
 * `latencyLabel`); a row measured on another engine than the first candidate's is left out.
 */
export function bestVariant(
  rows: readonly ComparisonRow[],
  budget: QualityBudget | number = DEFAULT_BUDGET,
): BestVariant | undefined {
  const limits = typeof budget === 'number' ? { ...DEFAULT_BUDGET, maxDropPoints: budget } : budget;
  const candidates: Omit<BestVariant, 'chosenAs'>[] = [];
  let engine: string | undefined;
  for (const row of rows) {
    const p50Ratio = row.latency?.p50Ratio;
    const drop = qualityDrop(row, limits.measure);
    if (row.target === ORIGINAL_TARGET || p50Ratio === undefined || drop === undefined) continue;
    if (!withinBudget(drop, limits)) continue;
    const speed = speedOf(row);
    // Faster beyond noise, or smaller: a variant no smaller and not measurably faster improves nothing.
    if (!(speed === 'faster' || row.sizeRatio < 1)) continue;
    engine ??= row.latency!.label;
    if (row.latency!.label !== engine) continue;
    candidates.push({
      row,
      p50Ratio,
      speed,
      unreliable: row.latency?.noise?.unreliable ?? false,
      engine,
      dropPoints: drop.points,
      measure: drop.measure,
      ...(drop.cosine !== undefined ? { cosine: drop.cosine } : {}),
    });
  }
  const faster = candidates.filter((c) => c.speed === 'faster');
  if (faster.length > 0) {
    faster.sort((a, b) => a.p50Ratio - b.p50Ratio || a.row.sizeRatio - b.row.sizeRatio);
    // The fastest, unless a smaller one is within noise of it (not measurably slower): then the smallest of those.
    const fastest = faster[0]!;
    const tied = faster.filter((c) => c === fastest || !fasterBeyondNoise(bandOf(fastest.row), bandOf(c.row)));
    tied.sort((a, b) => a.row.sizeRatio - b.row.sizeRatio || a.p50Ratio - b.p50Ratio);
    const chosen = tied[0]!;
    const over = chosen === fastest ? {} : { fastestMeasured: { name: fastest.row.name, p50Ratio: fastest.p50Ratio } };
    return { ...chosen, chosenAs: 'fastest', ...over };
  }
  candidates.sort((a, b) => a.row.sizeRatio - b.row.sizeRatio || a.p50Ratio - b.p50Ratio);
  return candidates[0] && { ...candidates[0], chosenAs: 'smallest' };
}

/**
 * A row's speed against the original beyond noise: the verdict of its ratio's noise band, or, for a row whose
 * run recorded too little to tell (no noise band), the bare ratio.
 */
export function speedOf(row: ComparisonRow): SpeedVerdict {
  const noise = row.latency?.noise;
  if (noise) return noise.verdict;
  const ratio = row.latency?.p50Ratio;
  return ratio === undefined || ratio === 1 ? 'same' : ratio < 1 ? 'faster' : 'slower';
}

/** The noise band of a row's ratio; a row without one is its bare ratio. */
function bandOf(row: ComparisonRow): RatioBand {
  return row.latency?.noise ?? bareBand(row.latency?.p50Ratio ?? 1);
}

/** `0.97x p50 latency (within noise: the same speed as the original)`, or `0.37x p50 latency`. */
export function describeP50Ratio(best: Pick<BestVariant, 'p50Ratio' | 'speed' | 'unreliable'>): string {
  const figure = `${best.p50Ratio.toFixed(2)}x p50 latency`;
  if (best.speed !== 'same') return figure;
  return best.unreliable
    ? `${figure} (from a run too noisy to tell speeds apart: the same speed as the original)`
    : `${figure} (within noise: the same speed as the original)`;
}

/**
 * The best variant of a workspace, decided on one engine (the latest onnxruntime-node benchmark's, else the
 * latest benchmark's), with the rows it was decided on.
 */
/**
 * The budget "best" is judged by for a workspace: its newest Auto-optimize run's, on that run's own measure and
 * value (under a cosine budget a variant is judged by its cosine, even where top-1 agreement was measured too),
 * else the defaults (0.5 pts of accuracy or top-1 agreement; cosine 0.99 where only a cosine is measured). Export
 * and the report both judge by it, so they name the same variant.
 */
export function workspaceBudget(workspace: Workspace | null | undefined): {
  budget: QualityBudget;
  /** Whether the budget is the last Auto-optimize run's (else the defaults). */
  fromTune: boolean;
} {
  const tune = workspace?.tunes?.at(-1);
  if (!tune) return { budget: DEFAULT_BUDGET, fromTune: false };
  const budget: QualityBudget =
    tune.budget.kind === 'min-cosine'
      ? { ...DEFAULT_BUDGET, minCosine: tune.budget.cosine, measure: 'cosine' }
      : { ...DEFAULT_BUDGET, maxDropPoints: tune.budget.points, measure: 'accuracy' };
  return { budget, fromTune: true };
}

export function bestVariantOf(
  workspace: Workspace,
  budget: QualityBudget = DEFAULT_BUDGET,
): { best: BestVariant | undefined; rows: ComparisonRow[]; engine: string | undefined } {
  const engine = decisionLatencyLabel(workspace);
  const rows = compareTargets(workspace, engine !== undefined ? { latencyLabel: engine } : {});
  return { best: bestVariant(rows, budget), rows, engine };
}

/** The budget in words for the measure the rows have: `0.5 pts of accuracy`, `cosine at least 0.99`. */
export function describeBudget(measure: QualityMeasure | undefined, budget: QualityBudget = DEFAULT_BUDGET): string {
  if (measure === 'cosine') return `output cosine at least ${budget.minCosine}`;
  return `at most ${budget.maxDropPoints} pts of ${measure ?? 'accuracy'} lost`;
}

/** The quality measure the rows' variants would be judged by (the first variant's that has one). */
export function measureOf(rows: readonly ComparisonRow[]): QualityMeasure | undefined {
  for (const row of rows) {
    if (row.target === ORIGINAL_TARGET) continue;
    const drop = qualityDrop(row);
    if (drop) return drop.measure;
  }
  return undefined;
}

/** The quality figure of a best variant with its budget: `0.30 pts of accuracy lost (budget 0.5 pts)`. */
export function describeBestQuality(best: BestVariant, budget: QualityBudget = DEFAULT_BUDGET): string {
  return best.measure === 'cosine'
    ? `output cosine ${(best.cosine ?? 0).toFixed(5)} (budget: at least ${budget.minCosine})`
    : `${best.dropPoints.toFixed(2)} pts of ${best.measure} lost (budget ${budget.maxDropPoints} pts)`;
}

/**
 * One line for a summary:
 * `int8-static: 0.35x p50 latency on onnxruntime-node cpu, 0.26x size of the original, 0.30 pts of accuracy lost (budget 0.5 pts)`.
 */
export function describeBest(best: BestVariant, budget: QualityBudget | number = DEFAULT_BUDGET): string {
  const limits = typeof budget === 'number' ? { ...DEFAULT_BUDGET, maxDropPoints: budget } : budget;
  return (
    `${best.row.name}: ${describeP50Ratio(best)} on ${best.engine}, ${best.row.sizeRatio.toFixed(2)}x size of the original, ` +
    describeBestQuality(best, limits)
  );
}

/**
 * Why it is the one: `the fastest variant (then the smallest) that ...`; where a variant measured faster lost to
 * this smaller one within noise, that it did and which; or the smallest when none is faster.
 */
export function describeRule(best: BestVariant | undefined, measure: QualityMeasure | undefined, budget: QualityBudget = DEFAULT_BUDGET): string {
  const within = describeBudget(best?.measure ?? measure, budget);
  if (best?.chosenAs === 'smallest')
    return `the smallest variant with ${within}: none within the budget is faster than the original beyond the run's noise`;
  const over = best?.fastestMeasured;
  if (over)
    return (
      `the smallest of the variants with ${within} whose speed is within noise of the fastest: ${over.name} measured ` +
      `faster (${over.p50Ratio.toFixed(2)}x p50 latency), but the runs cannot tell the two speeds apart, so the smaller file wins`
    );
  return `the fastest variant (then the smallest) with ${within} that is faster (beyond the run's noise) or smaller than the original`;
}

/**
 * The best variant's badge, saying what it is best at: `best: fastest`; `best: fast + small` where a smaller one
 * won a tie within noise; `best: smallest` where it was chosen for its size, and, where it is also slower than
 * the original beyond noise, `smallest (slower)`, not "best": "best" alone on a variant at x4.15 read as a
 * recommendation to run it.
 */
export function bestBadge(best: Pick<BestVariant, 'chosenAs' | 'speed' | 'fastestMeasured'>): string {
  if (best.chosenAs === 'smallest') return best.speed === 'slower' ? 'smallest (slower)' : 'best: smallest';
  return best.fastestMeasured ? 'best: fast + small' : 'best: fastest';
}

/** The sentence when no variant qualifies: `No variant is faster or smaller than the original with output cosine at least 0.99.` */
export function describeNoBest(measure: QualityMeasure | undefined, budget: QualityBudget = DEFAULT_BUDGET): string {
  return `No variant is faster or smaller than the original with ${describeBudget(measure, budget)}`;
}
