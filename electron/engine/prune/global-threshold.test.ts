import { describe, expect, it } from 'vitest';
import { globalSmallestThreshold, markByThreshold } from './global-threshold.js';
import { markSmallest, smallestThreshold } from './select-smallest.js';

/** Seeded magnitudes with many exact ties, zeros, NaN and Infinity. */
function magnitudes(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const r = a / 2 ** 32;
    out[i] = r < 0.05 ? 0 : r < 0.07 ? NaN : r < 0.08 ? Infinity : r < 0.3 ? Math.round(r * 20) / 20 : r * 3;
  }
  return out;
}

describe('globalSmallestThreshold', () => {
  it('selects exactly what markSmallest selects on the concatenation, layer by layer', async () => {
    const layers = [magnitudes(1000, 1), magnitudes(1, 2), magnitudes(3000, 3), magnitudes(517, 4)];
    const all = new Float32Array(layers.reduce((n, l) => n + l.length, 0));
    let at = 0;
    for (const l of layers) {
      all.set(l, at);
      at += l.length;
    }
    for (const k of [0, 1, 2, 50, 333, 1234, 2500, all.length - 1, all.length]) {
      const expected = smallestThreshold(all, k);
      const got = await globalSmallestThreshold(() => layers, k);
      expect(got).toEqual(expected);
      const ties = { left: got.tiesToTake };
      const masks = layers.map((l) => markByThreshold(l, got.threshold, ties, new Uint8Array(l.length)));
      const joined = new Uint8Array(all.length);
      at = 0;
      for (const m of masks) {
        joined.set(m, at);
        at += m.length;
      }
      expect(joined).toEqual(markSmallest(all, k));
      expect(joined.reduce((n, v) => n + v, 0)).toBe(k);
    }
  });
});
