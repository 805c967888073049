import { entropyThreshold } from './entropy.js';
import { StreamingHistogram } from './histogram.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** A calibrated float range for one tensor. */
export interface TensorRange {
  min: number;
  max: number;
}

export interface CollectorOptions {
  method: CalibrationMethod;
  /** Histogram bins per side (percentile, entropy). Default 2048. */
  bins?: number;
}

/** Running min/max of one tensor. */
class MinMaxStats {
  min = Infinity;
  max = -Infinity;
  update(lo: number, hi: number): void {
    if (Number.isFinite(lo) && lo < this.min) this.min = lo;
    if (Number.isFinite(hi) && hi > this.max) this.max = hi;
  }
}

/**
 * Per-tensor calibration statistics: a running min/max (minmax) or a streaming histogram (percentile,
 * entropy) for each tensor. Memory is fixed when the collector is made (2 numbers, or 2 x bins counts,
 * per tensor) and does not grow with the number of samples: activations are folded in and dropped.
 */
export class CalibrationCollector {
  readonly method: CalibrationMethod;
  readonly bins: number;
  readonly #minmax = new Map<string, MinMaxStats>();
  readonly #histograms = new Map<string, StreamingHistogram>();
  #samples = 0;

  constructor(tensors: readonly string[], options: CollectorOptions) {
    this.method = options.method;
    this.bins = options.bins ?? 2048;
    for (const name of tensors) {
      if (this.method === 'minmax') this.#minmax.set(name, new MinMaxStats());
      else this.#histograms.set(name, new StreamingHistogram(this.bins));
    }
  }

  get tensors(): string[] {
    return this.method === 'minmax' ? [...this.#minmax.keys()] : [...this.#histograms.keys()];
  }

  /** Samples seen (calls to `endSample`). */
  get samples(): number {
    return this.#samples;
  }

  /** Folds one tensor's values for the current sample in (histogram methods, or minmax from raw values). */
  addValues(name: string, values: ArrayLike<number>): void {
    const h = this.#histograms.get(name);
    if (h) {
      h.add(values);
      return;
    }
    const s = this.#minmax.get(name);
    if (!s) throw new Error(`tensor '${name}' is not being calibrated`);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    s.update(lo, hi);
  }

  /** Folds an already-reduced min and max in (minmax, from in-graph ReduceMin/ReduceMax). */
  addMinMax(name: string, min: number, max: number): void {
    const s = this.#minmax.get(name);
    if (!s) throw new Error(`tensor '${name}' is not calibrated with minmax`);
    s.update(min, max);
  }

  endSample(): void {
    this.#samples += 1;
  }

  /** Bytes held by the statistics; constant over the collector's life. */
  byteSize(): number {
    let bytes = this.#minmax.size * 16;
    for (const h of this.#histograms.values()) bytes += h.byteSize() + 48;
    return bytes;
  }

  /** The histogram of a tensor (percentile and entropy methods). */
  histogram(name: string): StreamingHistogram | undefined {
    return this.#histograms.get(name);
  }

  /**
   * The calibrated range of each tensor. Tensors that never had a finite value are left out.
   *  - minmax: the observed [min, max].
   *  - percentile: the central `percentile` % (default 99.999): (100 - p) / 2 % cut from each tail.
   *  - entropy: the KL-optimal clipping threshold t (see entropyThreshold) over the magnitude histogram:
   *    [0, t] for non-negative tensors (256 levels, quantizedBins = 256), else [-t, t] over |x| with 128
   *    levels per side, intersected with [min, max].
   */
  ranges(options: { percentile?: number } = {}): Map<string, TensorRange> {
    const out = new Map<string, TensorRange>();
    for (const [name, s] of this.#minmax) {
      if (s.min <= s.max) out.set(name, { min: s.min, max: s.max });
    }
    for (const [name, h] of this.#histograms) {
      if (h.count === 0) continue;
      if (this.method === 'percentile') {
        out.set(name, h.percentileRange(options.percentile ?? 99.999));
      } else {
        out.set(name, entropyRange(h));
      }
    }
    return out;
  }
}

/** The entropy calibrator's range for one histogram (see CalibrationCollector.ranges). */
export function entropyRange(h: StreamingHistogram): TensorRange {
  if (h.range === 0) return { min: h.min, max: h.max };
  // Exact zeros (ReLU outputs, padding) are represented exactly by the zero point whatever the
  // threshold: leave them out, or their spike in bin 0 dominates the divergence and pulls the
  // threshold down.
  if (h.min >= 0) {
    const counts = Float64Array.from(h.positive);
    counts[0]! -= h.zeros;
    const t = entropyThreshold(counts, h.binWidth, 256);
    return { min: h.min, max: Math.min(h.max, t) };
  }
  const counts = h.magnitudeCounts();
  counts[0]! -= h.zeros;
  const t = entropyThreshold(counts, h.binWidth, 128);
  return { min: Math.max(h.min, -t), max: Math.min(h.max, t) };
}
