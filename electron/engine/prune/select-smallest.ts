/*
 * Picking exactly k of n values by magnitude in linear time (quickselect), with ties at the threshold
 * broken by position so that the count is exact: "prune 50%" zeroes exactly round(0.5 n) weights.
 */

/** The k-th smallest value (0-based) of `values`, which is reordered in place. NaN sorts last. */
export function kthSmallest(values: Float32Array, k: number): number {
  if (k < 0 || k >= values.length) throw new RangeError(`k=${k} is outside 0..${values.length - 1}`);
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) values[i] = Infinity;
  let lo = 0;
  let hi = values.length - 1;
  let seed = 0x9e3779b9;
  while (hi > lo) {
    // A pseudo-random pivot keeps sorted or adversarial inputs linear on average.
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const pivot = values[lo + (seed % (hi - lo + 1))]!;
    // Three-way partition: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = values[i]!;
      if (v < pivot) {
        values[i] = values[lt]!;
        values[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        values[i] = values[gt]!;
        values[gt] = v;
        gt--;
      } else {
        i++;
      }
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return values[lo]!;
}

/**
 * A selector that marks exactly `k` of the magnitudes (the smallest; ties at the threshold taken in index
 * order). Returns the threshold and how many values equal to it must still be taken.
 */
export function smallestThreshold(
  magnitudes: Float32Array,
  k: number,
): { threshold: number; tiesToTake: number } {
  if (k <= 0) return { threshold: -Infinity, tiesToTake: 0 };
  // A plain copy (kthSmallest maps NaN to Infinity itself): Float32Array.from with a mapping callback
  // took seconds on a 64 MiB layer.
  const copy = magnitudes.slice();
  const threshold = kthSmallest(copy, k - 1);
  let below = 0;
  for (let i = 0; i < magnitudes.length; i++) {
    const v = magnitudes[i]!;
    if ((Number.isNaN(v) ? Infinity : v) < threshold) below++;
  }
  return { threshold, tiesToTake: k - below };
}

/** Marks in `mask` (1 = selected) exactly `k` of the smallest magnitudes. Returns `mask`. */
export function markSmallest(
  magnitudes: Float32Array,
  k: number,
  mask = new Uint8Array(magnitudes.length),
): Uint8Array {
  const { threshold, tiesToTake } = smallestThreshold(magnitudes, k);
  let ties = tiesToTake;
  for (let i = 0; i < magnitudes.length; i++) {
    const raw = magnitudes[i]!;
    const v = Number.isNaN(raw) ? Infinity : raw;
    if (v < threshold) mask[i] = 1;
    else if (v === threshold && ties > 0) {
      mask[i] = 1;
      ties--;
    }
  }
  return mask;
}
