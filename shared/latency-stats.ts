/**
 * Latency statistics, once for every side: the engine's benchmark, the page's live figures and onnxruntime-web
 * runs, the workspace's records and the mock host all use these definitions. A leaf of `shared/`: it imports
 * nothing (and no zod), so the page can load it.
 *
 * Percentiles use linear interpolation between order statistics (Hyndman & Fan type 7, the default of
 * numpy.percentile, R's quantile and Excel's PERCENTILE.INC): with the n samples sorted ascending as
 * x[0..n-1], the p-th percentile is at rank h = (n - 1) * p / 100, and its value is
 * x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). So p0 is the minimum, p100 the maximum, and
 * the median of an even count is the mean of the two middle samples. With few samples the high percentiles
 * say little: p99 of 100 runs sits between the two slowest.
 *
 * The standard deviation is the sample standard deviation (divisor n - 1; 0 for a single sample).
 */

/** Latency statistics of one model (ms), as a benchmark measured them. */
export interface LatencyStats {
  iterations: number;
  meanMs: number;
  stdMs: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Session creation, when measured. */
  initMs?: number;
  /** The first run after session creation, when measured. */
  firstRunMs?: number;
}

/** The statistics of a list of samples (`summarize`). */
export interface LatencySummary extends LatencyStats {
  /** Runs per second of one sequential stream: 1000 / meanMs (0 when the mean is 0 or there are no samples). */
  throughput: number;
}

/** The p-th percentile (0..100) of samples already sorted ascending, by linear interpolation (type 7). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be between 0 and 100, got ${p}.`);
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

/** The p-th percentile (0..100) of unsorted samples. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  return percentileOfSorted(Float64Array.from(samples).sort(), p);
}

/** Mean, standard deviation, min, p50/p90/p95/p99, max and throughput of latency samples in ms. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const n = samples.length;
  if (n === 0) {
    return { iterations: 0, meanMs: NaN, stdMs: NaN, minMs: NaN, p50Ms: NaN, p90Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN, throughput: 0 };
  }
  const sorted = Float64Array.from(samples).sort();
  // Welford's algorithm: no catastrophic cancellation when the spread is tiny next to the mean.
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i] as number;
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  return {
    iterations: n,
    meanMs: mean,
    stdMs: std,
    minMs: sorted[0] as number,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p95Ms: percentileOfSorted(sorted, 95),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted[n - 1] as number,
    throughput: mean > 0 ? 1000 / mean : 0,
  };
}

/**
 * The latency figures of one benchmarked model, copied field by field: from the engine's `BenchModelResult`,
 * an onnxruntime-web run's result or a stored `BenchTargetResult` (all of them are `LatencyStats`) into a
 * workspace record or the page's state. `initMs` and `firstRunMs` are kept when measured.
 */
export function latencyStatsOf(r: LatencyStats): LatencyStats {
  return {
    iterations: r.iterations,
    meanMs: r.meanMs,
    stdMs: r.stdMs,
    minMs: r.minMs,
    p50Ms: r.p50Ms,
    p90Ms: r.p90Ms,
    p95Ms: r.p95Ms,
    p99Ms: r.p99Ms,
    maxMs: r.maxMs,
    ...(r.initMs !== undefined ? { initMs: r.initMs } : {}),
    ...(r.firstRunMs !== undefined ? { firstRunMs: r.firstRunMs } : {}),
  };
}

/** Most latency samples a workspace keeps per benchmarked model (for the distribution chart). */
export const MAX_STORED_SAMPLES = 2000;

/** Evenly spaced picks so a long run still draws its whole distribution from at most `max` values. */
export function thinSamples(values: readonly number[], max = MAX_STORED_SAMPLES): number[] {
  if (values.length <= max) return [...values];
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(values[Math.floor((i * values.length) / max)]!);
  return out;
}

/**
 * Latency samples stream as `metric` events named `latency/<index of the model in params.models>`, in ms rounded
 * to 0.1 us, batched about every 100 ms. Only measured runs stream (not the first run or warmup).
 */
export function latencyMetricName(modelIndex: number): string {
  return `latency/${modelIndex}`;
}

/** The model index of a latency metric name, or undefined for other metrics. */
export function parseLatencyMetricName(name: string): number | undefined {
  const match = /^latency\/(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * A model's p50 over the original's: against the original of the same interleaved benchmark when that run
 * measured it (both saw the same machine state and inputs), else against the original's latest p50 when that
 * one was fed the same shapes (a latency at width 320 over one at width 1 is no ratio). The app, the report
 * and the CSV all use this one ratio.
 */
export function p50RatioToOriginal(
  p50Ms: number,
  sameRunOriginalP50Ms?: number,
  latestOriginal?: { p50Ms: number; inputs?: readonly FedShape[] | undefined },
  inputs?: readonly FedShape[],
): number | undefined {
  const base = sameRunOriginalP50Ms ?? (latestOriginal && sameShapes(inputs, latestOriginal.inputs) ? latestOriginal.p50Ms : undefined);
  return base !== undefined && base > 0 ? p50Ms / base : undefined;
}

/**
 * Which values to feed an input (the input spec's, exported by input-spec.ts; declared in this leaf, as FedShape
 * records them): one constant everywhere, whole numbers drawn uniformly from [min, max], or
 * positions: start, start + 1, ... along the last axis, the same for every leading index (a decoder's
 * `position_ids`, which random ids fed random positions to its position embedding or RoPE).
 */
export type InputValues =
  | { kind: 'constant'; value: number }
  | { kind: 'range'; min: number; max: number }
  | { kind: 'positions'; start: number };

/** What a benchmark fed, as far as latency is concerned. */
export interface FedShape {
  name: string;
  shape: readonly number[];
  /** Every distinct shape, when the samples differ (bench.ts `BenchInputInfo`). */
  shapes?: readonly (readonly number[])[] | undefined;
  /** The values synthetic data fed it, where the spec or a guess set them (bench.ts `BenchInputInfo.values`). */
  values?: InputValues | undefined;
}

/** Every shape an input was fed: its distinct shapes when the samples differed, else its one shape. */
export function fedShapesOf(input: Pick<FedShape, 'shape' | 'shapes'>): readonly (readonly number[])[] {
  return input.shapes && input.shapes.length > 1 ? input.shapes : [input.shape];
}

/** Whether two benchmarks fed the same shapes; unknown (records without inputs) counts as the same. */
export function sameShapes(a?: readonly FedShape[], b?: readonly FedShape[]): boolean {
  if (!a || !b) return true;
  // A mix is the same mix in whichever order its samples came.
  const key = (inputs: readonly FedShape[]) =>
    inputs
      .map((i) => `${i.name}:${fedShapesOf(i).map((s) => s.join('x')).sort().join('|')}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}
