/**
 * A streaming histogram of one tensor's values over many calibration samples, in constant memory.
 *
 * Values are counted by magnitude on two sides (non-negative and negative), each with `bins` equal
 * bins over [0, range]. The range starts at the first sample's largest magnitude; when a later sample
 * exceeds it, the range doubles (as often as needed) and adjacent bins are summed pairwise. Doubling
 * makes the re-binning exact (every old bin falls entirely into one new bin), unlike re-histogramming
 * with interpolation; the price is that the final range may be up to twice the largest magnitude, so at
 * least half of the bins stay in use. Exact minimum and maximum are tracked alongside.
 */
export class StreamingHistogram {
  /** Bins per side. */
  readonly bins: number;
  /** Counts of values in [k*w, (k+1)*w), w = range / bins. */
  readonly positive: Float64Array;
  /** Counts of values in (-(k+1)*w, -k*w]. */
  readonly negative: Float64Array;
  #range = 0;
  #min = Infinity;
  #max = -Infinity;
  #count = 0;
  #zeros = 0;
  #nonFinite = 0;

  constructor(bins = 2048) {
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0) {
      throw new RangeError(`histogram bins must be an even whole number of at least 2, got ${bins}`);
    }
    this.bins = bins;
    this.positive = new Float64Array(bins);
    this.negative = new Float64Array(bins);
  }

  /** The magnitude covered by the bins (0 until a non-zero value arrives). */
  get range(): number {
    return this.#range;
  }
  get binWidth(): number {
    return this.#range / this.bins;
  }
  get min(): number {
    return this.#min;
  }
  get max(): number {
    return this.#max;
  }
  /** Number of finite values counted. */
  get count(): number {
    return this.#count;
  }
  /** Values exactly 0 (counted in positive[0] too). */
  get zeros(): number {
    return this.#zeros;
  }
  /** NaN and infinite values seen (not counted in the bins). */
  get nonFinite(): number {
    return this.#nonFinite;
  }

  /** Bytes held by the statistics (constant: independent of how many values were added). */
  byteSize(): number {
    return this.positive.byteLength + this.negative.byteLength;
  }

  add(values: ArrayLike<number>): void {
    const n = values.length;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const finiteOnly = Number.isFinite(lo) && Number.isFinite(hi);
    if (!finiteOnly) {
      // Recompute over finite values only (rare: NaN fails every comparison, infinities show in lo/hi).
      lo = Infinity;
      hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (!Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo === Infinity) {
      this.#nonFinite += n;
      return;
    }
    if (lo < this.#min) this.#min = lo;
    if (hi > this.#max) this.#max = hi;
    this.#grow(Math.max(Math.abs(lo), Math.abs(hi)));

    const B = this.bins;
    const last = B - 1;
    const pos = this.positive;
    const neg = this.negative;
    let counted = 0;
    let zeros = 0;
    if (this.#range === 0) {
      // Only zeros so far.
      for (let i = 0; i < n; i++) if ((values[i] as number) === 0) counted++;
      pos[0]! += counted;
      zeros = counted;
    } else {
      const f = B / this.#range;
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (v === 0) {
          pos[0]! += 1;
          counted++;
          zeros++;
        } else if (v > 0) {
          if (v === Infinity) continue;
          const k = Math.floor(v * f);
          pos[k > last ? last : k]! += 1;
          counted++;
        } else if (v < 0) {
          if (v === -Infinity) continue;
          const k = Math.floor(-v * f);
          neg[k > last ? last : k]! += 1;
          counted++;
        }
        // NaN fails both tests.
      }
    }
    this.#count += counted;
    this.#zeros += zeros;
    this.#nonFinite += n - counted;
  }

  /** Widens the range to cover `magnitude`, doubling and merging bin pairs. */
  #grow(magnitude: number): void {
    if (magnitude <= this.#range) return;
    if (this.#range === 0) {
      // Everything so far was 0, which stays in bin 0 whatever the range. The range is set a hair above
      // the largest magnitude so that it falls inside the last bin rather than on its upper edge
      // (which would put it in the wrong bin once the range doubles).
      this.#range = magnitude * (1 + 2 ** -20);
      return;
    }
    const half = this.bins / 2;
    while (this.#range < magnitude) {
      for (const side of [this.positive, this.negative]) {
        for (let k = 0; k < half; k++) side[k] = (side[2 * k] as number) + (side[2 * k + 1] as number);
        side.fill(0, half);
      }
      this.#range *= 2;
    }
  }

  /** Counts by magnitude |x| (positive + negative sides), one array of `bins`. */
  magnitudeCounts(): Float64Array {
    const out = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) out[k] = (this.positive[k] as number) + (this.negative[k] as number);
    return out;
  }

  /**
   * The central `percentile` % of the values: cuts (100 - percentile) / 2 % from each tail, interpolating
   * linearly inside the bin where the cut falls, and clamps to the exact min/max. 100 gives [min, max].
   */
  percentileRange(percentile: number): { min: number; max: number } {
    if (this.#count === 0) return { min: 0, max: 0 };
    if (percentile >= 100 || this.#range === 0) return { min: this.#min, max: this.#max };
    const cut = (this.#count * (100 - percentile)) / 200;
    const w = this.binWidth;
    const B = this.bins;
    // Lower bound: walk from the most negative bin upwards.
    let lower = this.#min;
    {
      let cum = 0;
      let found = false;
      for (let k = B - 1; k >= 0 && !found; k--) {
        const c = this.negative[k] as number;
        if (c > 0 && cum + c >= cut) {
          lower = -(k + 1) * w + ((cut - cum) / c) * w;
          found = true;
        }
        cum += c;
      }
      for (let k = 0; k < B && !found; k++) {
        const c = this.positive[k] as number;
        // Exact zeros sit at 0, not spread over bin 0.
        const zeros = k === 0 ? this.#zeros : 0;
        if (c > 0 && cum + c >= cut) {
          lower = cum + zeros >= cut ? 0 : k * w + ((cut - cum - zeros) / (c - zeros)) * w;
          found = true;
        }
        cum += c;
      }
    }
    // Upper bound: walk from the most positive bin downwards.
    let upper = this.#max;
    {
      let cum = 0;
      let found = false;
      for (let k = B - 1; k >= 0 && !found; k--) {
        const c = this.positive[k] as number;
        const zeros = k === 0 ? this.#zeros : 0;
        if (c > 0 && cum + c >= cut) {
          upper = cum + c - zeros >= cut ? (k + 1) * w - ((cut - cum) / (c - zeros)) * w : 0;
          found = true;
        }
        cum += c;
      }
      for (let k = 0; k < B && !found; k++) {
        const c = this.negative[k] as number;
        if (c > 0 && cum + c >= cut) {
          upper = -k * w - ((cut - cum) / c) * w;
          found = true;
        }
        cum += c;
      }
    }
    lower = Math.max(lower, this.#min);
    upper = Math.min(upper, this.#max);
    if (upper < lower) upper = lower;
    return { min: lower, max: upper };
  }
}
