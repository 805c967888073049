/*
 * The k-th smallest magnitude across many layers without holding them all: global-scope magnitude pruning on a
 * model too large for memory. Magnitudes are >= 0 (NaN counts as +Infinity, as in select-smallest.ts), and
 * the bit patterns of non-negative float32 values sort like the values, so a two-pass radix select finds the
 * exact k-th value: count the high 16 bits, then the low 16 bits within the bucket holding rank k. The result
 * is the threshold and tie count that smallestThreshold() computes on the concatenation, so marking with it in
 * layer order selects exactly the same weights.
 */

const NAN_BITS_AS = 0x7f800000; // +Infinity
const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);

function keyOf(v: number): number {
  if (Number.isNaN(v)) return NAN_BITS_AS;
  asFloat[0] = v;
  return bits[0]!;
}

/**
 * The threshold and how many values equal to it are still to take when marking `k` of the smallest of all the
 * magnitudes `layers()` yields (in order; called twice, each time yielding the same arrays' values). An async
 * iterable lets the caller give the event loop a turn between layers, so that a cancellation lands.
 */
export async function globalSmallestThreshold(
  layers: () => Iterable<Float32Array> | AsyncIterable<Float32Array>,
  k: number,
): Promise<{ threshold: number; tiesToTake: number }> {
  if (k <= 0) return { threshold: -Infinity, tiesToTake: 0 };
  const rank = k - 1;
  const high = new Float64Array(1 << 16);
  for await (const magnitudes of layers()) {
    const view = new Uint32Array(magnitudes.buffer, magnitudes.byteOffset, magnitudes.length);
    for (let i = 0; i < view.length; i++) {
      const raw = view[i]!;
      // Only NaN (and negative values, which magnitudes never are) have bits above +Infinity's.
      high[(raw > NAN_BITS_AS ? keyOf(magnitudes[i]!) : raw) >>> 16]! += 1;
    }
  }
  let below = 0;
  let bucket = 0;
  while (below + high[bucket]! <= rank) below += high[bucket++]!;
  const low = new Float64Array(1 << 16);
  for await (const magnitudes of layers()) {
    const view = new Uint32Array(magnitudes.buffer, magnitudes.byteOffset, magnitudes.length);
    for (let i = 0; i < view.length; i++) {
      const raw = view[i]!;
      const k32 = raw > NAN_BITS_AS ? keyOf(magnitudes[i]!) : raw;
      if (k32 >>> 16 === bucket) low[k32 & 0xffff]! += 1;
    }
  }
  let index = 0;
  while (below + low[index]! <= rank) below += low[index++]!;
  bits[0] = ((bucket << 16) | index) >>> 0;
  return { threshold: asFloat[0]!, tiesToTake: k - below };
}

/**
 * Marks in `mask` the magnitudes below `threshold`, and those equal to it while `ties.left` > 0 (counting it
 * down): one layer's share of a global selection, taken in layer order.
 */
export function markByThreshold(
  magnitudes: Float32Array,
  threshold: number,
  ties: { left: number },
  mask: Uint8Array,
): Uint8Array {
  for (let i = 0; i < magnitudes.length; i++) {
    const raw = magnitudes[i]!;
    const v = Number.isNaN(raw) ? Infinity : raw;
    if (v < threshold) mask[i] = 1;
    else if (v === threshold && ties.left > 0) {
      mask[i] = 1;
      ties.left--;
    }
  }
  return mask;
}
