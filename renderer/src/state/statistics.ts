/**
 * Latency statistics computed in the page: live figures while samples stream, and the whole summary for
 * onnxruntime-web runs. They are the engine's own functions (shared/latency-stats.ts), so a live p50
 * converges on the one the engine reports at the end.
 */
import { percentileOfSorted, summarize, type LatencyStats } from '../../../shared/latency-stats.js';

/** The statistics of samples (the engine's `summarize`); undefined when there are none. */
export function latencyStats(samples: ArrayLike<number>): LatencyStats | undefined {
  if (samples.length === 0) return undefined;
  const { throughput: _throughput, ...stats } = summarize(samples);
  return stats;
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
