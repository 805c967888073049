/**
 * Latency statistics computed in the page: live figures while samples stream, and the whole summary for
 * onnxruntime-web runs. Percentiles use the engine's definition (linear interpolation between order
 * statistics, numpy's default), so a live p50 converges on the one the engine reports at the end.
 */

export interface LatencyStats {
  count: number;
  meanMs: number;
  /** Sample standard deviation (n - 1; 0 for one sample), as the engine reports it. */
  stdMs: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The p-th percentile (0..100) of samples sorted ascending; NaN when there are none. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * Math.min(100, Math.max(0, p))) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export function latencyStats(samples: ArrayLike<number>): LatencyStats | undefined {
  const n = samples.length;
  if (n === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((sorted[i] as number) - mean) ** 2;
  return {
    count: n,
    meanMs: mean,
    stdMs: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    minMs: sorted[0] as number,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p95Ms: percentileOfSorted(sorted, 95),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted[n - 1] as number,
  };
}

export interface HistogramBin {
  /** Lower edge (ms), inclusive. */
  from: number;
  /** Upper edge (ms), exclusive except for the last bin. */
  to: number;
  count: number;
}

/**
 * Equal-width bins between the 0.5th and 99.5th percentile, so one stray 50 ms run does not squash every
 * other sample into the first bar; the few samples outside are counted in the edge bins.
 */
export function histogram(samples: ArrayLike<number>, binCount = 30): HistogramBin[] {
  const n = samples.length;
  if (n === 0 || binCount < 1) return [];
  const sorted = Float64Array.from(samples).sort();
  let lo = n >= 200 ? percentileOfSorted(sorted, 0.5) : (sorted[0] as number);
  let hi = n >= 200 ? percentileOfSorted(sorted, 99.5) : (sorted[n - 1] as number);
  if (!(hi > lo)) {
    // All samples alike: one bin around them.
    const pad = Math.max(Math.abs(lo) * 0.01, 1e-6);
    lo -= pad;
    hi += pad;
    binCount = 1;
  }
  const width = (hi - lo) / binCount;
  const bins: HistogramBin[] = Array.from({ length: binCount }, (_, i) => ({
    from: lo + i * width,
    to: lo + (i + 1) * width,
    count: 0,
  }));
  for (let i = 0; i < n; i++) {
    const index = Math.min(binCount - 1, Math.max(0, Math.floor(((sorted[i] as number) - lo) / width)));
    (bins[index] as HistogramBin).count += 1;
  }
  return bins;
}

/** At most `max` samples, evenly spaced over the run (the contract keeps 2,000 per benchmark). */
export function thinSamples(samples: readonly number[], max: number): number[] {
  if (samples.length <= max) return samples.slice();
  const out: number[] = [];
  const step = samples.length / max;
  for (let i = 0; i < max; i++) out.push(samples[Math.floor(i * step)] as number);
  return out;
}
