/**
 * Summary statistics of latency samples.
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

export interface LatencySummary {
  count: number;
  meanMs: number;
  stdMs: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
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
    return { count: 0, meanMs: NaN, stdMs: NaN, minMs: NaN, p50Ms: NaN, p90Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN, throughput: 0 };
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
    count: n,
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
