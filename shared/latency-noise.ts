/**
 * Whether a latency difference is real or within a run's noise. Each variant is timed interleaved with the
 * original in its own run, and its ratio is to that run's original p50; this says whether that ratio is
 * different from 1 beyond what the run's own samples can tell apart, and whether the run is too noisy to say
 * anything. The Compare view (speed badges, the Pareto front), Export's preselection and the report's best
 * variant all use it. A leaf of `shared/` (only latency-stats.ts, no zod), so the page can load it.
 *
 * The rule. A ratio r = p50(variant) / p50(original) counts as faster (slower) only when its whole noise band
 * lies below (above) 1. The band is the wider of two intervals around r:
 *
 * - Sampling error: the distribution-free 95% confidence interval of each median (the order statistics at the
 *   50 ∓ 98/√n percentiles, the binomial interval of a median; no assumption about the shape of the
 *   distribution, which is skewed for latencies), combined as [lo(v) / hi(o), hi(v) / lo(o)].
 * - The run's spread: r ∓ max(MIN_REAL_SPEEDUP, SPREAD_SHARE × max(IQR(v), IQR(o)) / p50(o)). Sampling error
 *   alone is not enough: the same file benchmarked against the original in one interleaved run measured x0.97
 *   and x0.98 with 200 samples each (an OCR model whose int4 and int8-dynamic variants quantized nothing), a
 *   shift of half the run's interquartile range (6% of the median) but outside its medians' confidence
 *   intervals (±1.5%): caches, frequency and which model runs first move a median by a few percent in a way
 *   no sample count averages out. So a difference must pass half the larger IQR, and at least 5% however
 *   quiet the run (those no-op files' 2-3% must not read as a speed-up). The whole IQR was too strict: on a
 *   model whose runs spread 20%, a real 15% speed-up read as the same speed. `tune` judges its trials' ratios
 *   by this rule too (shared/tune.ts `beatsOriginal`).
 *
 * Without samples (records that kept none), the quartiles and the medians' intervals are estimated from p50
 * and p90 as if the latencies were normal (σ ≈ (p90 - p50) / 1.2816): skewed latencies make that wider, so
 * the estimate errs towards "within noise", and such a run is judged unreliable by its p90 / p50 alone (the
 * estimated IQR passes half the median already at p90 = 1.5 × p50, which quiet runs reach).
 *
 * A run is unreliable when its spread is so large that its median says little about the model: p90 more than
 * 3x the p50 (more than one run in ten was held up by over two full inferences: a busy machine, a browser tab
 * sharing the CPU, throttling) or an interquartile range over half the median. Quiet CPU runs stay far inside
 * both (p90 within 1.1-2.4x of p50, IQR within 3-24% of it, in the app's own runs); a browser's WebAssembly
 * runs beside other tabs went to 10-15x and 20-500%. An unreliable run's ratios are never faster or slower,
 * with one exception: a run unreliable by its IQR alone (its tail within 3x, so no stalls of the kind that
 * made no-op browser variants read x0.51) whose two models' middle halves do not overlap at all, over at least 30
 * samples each, with the medians' intervals on one side of 1 and the ratio past the 5% minimum, says faster or
 * slower by that (its band then uses the 5% margin, so the Pareto front agrees). On a 2-core machine under load, int8 variants of a
 * 48 MB MLP spread 6.5-11.0 ms between their quartiles against the original's 23.7-55.6 ms: x0.18, and read as
 * "unreliable run", the same speed, although not one quartile of the two overlapped.
 */
import { percentileOfSorted } from './latency-stats.js';

/** What a run recorded of one model's latency: its statistics, and its samples when it kept them. */
export interface LatencySpreadInput {
  iterations: number;
  p50Ms: number;
  p90Ms: number;
  /** The samples (ms), when recorded; the statistics alone otherwise. */
  samples?: readonly number[] | undefined;
}

/** The spread of one model's latencies in a run. */
export interface LatencySpread {
  p50Ms: number;
  /** The 95% confidence interval of the median (ms). */
  medianLowMs: number;
  medianHighMs: number;
  /** Interquartile range (ms). */
  iqrMs: number;
  /** The quartiles (ms), read from the samples; undefined when estimated. */
  q1Ms?: number;
  q3Ms?: number;
  /** How many samples the quartiles were read from (0 when estimated). */
  samples: number;
  /** p90 / p50. */
  tailRatio: number;
  /** Whether the quartiles and the interval were estimated from p50 and p90 (no samples). */
  estimated: boolean;
}

/** p90 / p50 above which a run is unreliable. */
export const MAX_TAIL_RATIO = 3;
/** IQR / median above which a run is unreliable. */
export const MAX_RELATIVE_IQR = 0.5;
/** The smallest difference in ratio that counts as faster or slower, however quiet the run. */
export const MIN_REAL_SPEEDUP = 0.05;
/** The share of the larger IQR (relative to the original's p50) a difference must pass. */
const SPREAD_SHARE = 0.5;

/** Fewest samples per model for quartiles wholly apart to decide a run too noisy for the band (quartilesApart). */
const MIN_APART_SAMPLES = 30;
/** Fewest samples whose quartiles and median interval are read from the samples themselves. */
const MIN_SAMPLES = 5;
const Z95 = 1.959964;

/** The spread of one model's latencies in a run, from its samples when it has enough, else from p50 and p90. */
export function latencySpread(input: LatencySpreadInput): LatencySpread {
  const { p50Ms, p90Ms } = input;
  const tailRatio = p50Ms > 0 ? p90Ms / p50Ms : Infinity;
  const samples = input.samples;
  if (samples && samples.length >= MIN_SAMPLES) {
    const sorted = Float64Array.from(samples).sort();
    const n = sorted.length;
    const half = (50 * Z95) / Math.sqrt(n);
    const q1Ms = percentileOfSorted(sorted, 25);
    const q3Ms = percentileOfSorted(sorted, 75);
    return {
      p50Ms,
      medianLowMs: percentileOfSorted(sorted, Math.max(0, 50 - half)),
      medianHighMs: percentileOfSorted(sorted, Math.min(100, 50 + half)),
      iqrMs: q3Ms - q1Ms,
      q1Ms,
      q3Ms,
      samples: n,
      tailRatio,
      estimated: false,
    };
  }
  const sigma = Math.max(0, p90Ms - p50Ms) / 1.2816;
  const n = Math.max(1, input.iterations);
  // The standard error of a median of normal samples is sqrt(pi / 2) σ / √n.
  const half = (Z95 * 1.2533 * sigma) / Math.sqrt(n);
  return {
    p50Ms,
    medianLowMs: Math.max(0, p50Ms - half),
    medianHighMs: p50Ms + half,
    iqrMs: 1.349 * sigma,
    tailRatio,
    samples: 0,
    estimated: true,
  };
}

/** Whether a run's spread is too large for its median to mean much (`MAX_TAIL_RATIO`, `MAX_RELATIVE_IQR`). */
export function spreadTooLarge(spread: LatencySpread): boolean {
  if (!(spread.tailRatio <= MAX_TAIL_RATIO)) return true;
  // An IQR estimated from p90 says nothing the tail ratio does not (see the top of this file).
  return !spread.estimated && !(spread.p50Ms > 0 && spread.iqrMs / spread.p50Ms <= MAX_RELATIVE_IQR);
}

/** What a latency ratio to the original says, once its noise is taken into account. */
export type SpeedVerdict = 'faster' | 'slower' | 'same';

/** A variant's ratio to the original of its own run, with the band its noise allows. */
export interface RatioNoise {
  ratio: number;
  /** The band the ratio may lie in, given the run's noise: faster only when `high` < 1, slower when `low` > 1. */
  low: number;
  high: number;
  /** The difference the run's spread asks for, in ratio units: see `ratioNoise`. */
  margin: number;
  /** The ratio's 95% interval from the two medians' confidence intervals (sampling error alone). */
  ciLow: number;
  ciHigh: number;
  /** `same` when the band holds 1, or when the run is unreliable. */
  verdict: SpeedVerdict;
  /** The run's spread is too large to decide anything (`spreadTooLarge` of the variant or the original). */
  unreliable: boolean;
  /** The larger p90 / p50 of the two, and the larger IQR / median: what makes a run unreliable. */
  tailRatio: number;
  relativeIqr: number;
}

/**
 * The noise band of a variant's p50 ratio to the original timed in the same run (see the rule at the top of
 * this file). Undefined without a p50 of either.
 */
export function ratioNoise(
  variant: LatencySpreadInput,
  sameRunOriginal: LatencySpreadInput,
): RatioNoise | undefined {
  if (!(variant.p50Ms > 0) || !(sameRunOriginal.p50Ms > 0)) return undefined;
  const v = latencySpread(variant);
  const o = latencySpread(sameRunOriginal);
  const ratio = v.p50Ms / o.p50Ms;
  const margin = Math.max(MIN_REAL_SPEEDUP, (SPREAD_SHARE * Math.max(v.iqrMs, o.iqrMs)) / o.p50Ms);
  const ciLow = o.medianHighMs > 0 ? v.medianLowMs / o.medianHighMs : 0;
  const ciHigh = o.medianLowMs > 0 ? v.medianHighMs / o.medianLowMs : Infinity;
  const low = Math.max(0, Math.min(ciLow, ratio - margin));
  const high = Math.max(ciHigh, ratio + margin);
  const tooNoisy = spreadTooLarge(v) || spreadTooLarge(o);
  const apart = tooNoisy ? quartilesApart(v, o, ciLow, ciHigh) : undefined;
  const unreliable = tooNoisy && apart === undefined;
  // Quartiles wholly apart replace the spread's margin by the quiet-run minimum, so the band (and
  // `fasterBeyondNoise`, which the Pareto front reads) says what the verdict says.
  const apartMargin = Math.min(margin, MIN_REAL_SPEEDUP);
  const band = apart
    ? { low: Math.max(0, Math.min(ciLow, ratio - apartMargin)), high: Math.max(ciHigh, ratio + apartMargin) }
    : { low, high };
  const banded: SpeedVerdict = band.high < 1 ? 'faster' : band.low > 1 ? 'slower' : 'same';
  const verdict: SpeedVerdict = unreliable ? 'same' : banded;
  return {
    ratio,
    ...band,
    margin: apart ? apartMargin : margin,
    ciLow,
    ciHigh,
    verdict,
    unreliable,
    tailRatio: Math.max(v.tailRatio, o.tailRatio),
    relativeIqr: Math.max(v.iqrMs / v.p50Ms, o.iqrMs / o.p50Ms),
  };
}

/**
 * The verdict of a run too noisy for the band whose two models' middle halves lie wholly apart (see the top of
 * this file): only from at least `MIN_APART_SAMPLES` samples each (with 10, a no-op variant's quartiles came
 * apart in about one run in seventy), only where neither tail passes `MAX_TAIL_RATIO`, only past the 5% minimum
 * and with the medians' intervals (`ciLow`, `ciHigh`) on the same side of 1.
 */
function quartilesApart(
  v: LatencySpread,
  o: LatencySpread,
  ciLow: number,
  ciHigh: number,
): SpeedVerdict | undefined {
  if (v.q1Ms === undefined || v.q3Ms === undefined || o.q1Ms === undefined || o.q3Ms === undefined)
    return undefined;
  if (!(v.tailRatio <= MAX_TAIL_RATIO && o.tailRatio <= MAX_TAIL_RATIO)) return undefined;
  if (v.samples < MIN_APART_SAMPLES || o.samples < MIN_APART_SAMPLES) return undefined;
  const ratio = v.p50Ms / o.p50Ms;
  if (v.q3Ms < o.q1Ms && ratio <= 1 - MIN_REAL_SPEEDUP && ciHigh < 1) return 'faster';
  if (v.q1Ms > o.q3Ms && ratio >= 1 + MIN_REAL_SPEEDUP && ciLow > 1) return 'slower';
  return undefined;
}

/** What `fasterBeyondNoise` compares of a ratio. */
export type RatioBand = Pick<RatioNoise, 'ratio' | 'margin' | 'ciLow' | 'ciHigh' | 'unreliable'>;

/**
 * Whether ratio `a` is faster than `b` beyond their noise, by the same rule as a ratio against the original
 * (whose own band is `ORIGINAL_BAND`): the gap between the two ratios exceeds the larger spread of the runs
 * (`margin`), and their sampling intervals do not overlap. Two variants from different runs are compared by
 * their ratios to their runs' originals. Nothing from an unreliable run is faster or slower than anything.
 */
export function fasterBeyondNoise(a: RatioBand, b: RatioBand): boolean {
  if (a.unreliable || b.unreliable) return false;
  return b.ratio - a.ratio > Math.max(a.margin, b.margin) && a.ciHigh < b.ciLow;
}

/** The original's own ratio: exactly 1, in every run (its noise is in each variant's band). */
export const ORIGINAL_BAND: RatioBand = { ratio: 1, margin: 0, ciLow: 1, ciHigh: 1, unreliable: false };

/** A bare ratio, for a row whose run recorded nothing to judge its noise by. */
export function bareBand(ratio: number): RatioBand {
  return { ratio, margin: 0, ciLow: ratio, ciHigh: ratio, unreliable: false };
}

/** The words beside a ratio the product reads as noise: `within noise`, or `unreliable run` for a noisy run. */
export function noiseNote(noise: Pick<RatioNoise, 'verdict' | 'unreliable'> | undefined): string | undefined {
  if (!noise || noise.verdict !== 'same') return undefined;
  return noise.unreliable ? 'unreliable run' : 'within noise';
}

/** One sentence on why a run is unreliable: `p90 is 14.9x the p50` / `the middle half of the runs spans 105% of the median`. */
export function describeSpread(noise: Pick<RatioNoise, 'tailRatio' | 'relativeIqr'>): string {
  const parts: string[] = [];
  if (!(noise.tailRatio <= MAX_TAIL_RATIO)) parts.push(`p90 is ${noise.tailRatio.toFixed(1)}x the p50`);
  if (!(noise.relativeIqr <= MAX_RELATIVE_IQR))
    parts.push(`the middle half of the runs spans ${Math.round(noise.relativeIqr * 100)}% of the median`);
  return parts.join(' and ');
}

/**
 * Why a variant's run is unreliable, in its own figures, or its run's original's when the variant's are quiet:
 * `p90 is 7.7x the p50`, `its run's original: p90 is 4.1x the p50`. The Compare view's latency card and the report
 * say it so.
 */
export function unreliableWhy(variant: LatencySpreadInput, original: LatencySpreadInput): string {
  // An IQR estimated from p50 and p90 (a record without samples) never makes a run unreliable: not said as one.
  const words = (s: LatencySpread) =>
    describeSpread({ tailRatio: s.tailRatio, relativeIqr: s.estimated ? 0 : s.iqrMs / s.p50Ms });
  const own = latencySpread(variant);
  if (spreadTooLarge(own)) return words(own);
  return `its run's original: ${words(latencySpread(original))}`;
}
