import type * as Ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { compareOutputs, fromHalf, toHalf } from './ort-web-bench.js';
import { seededRandom } from './seeded-random.js';

function tensor(type: string, data: ArrayLike<number> | BigInt64Array, dims: number[]): Ort.Tensor {
  return { type, data, dims } as unknown as Ort.Tensor;
}

describe('browser benchmark helpers', () => {
  it('converts float16 both ways', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 1e-5, 3.14159]) {
      // float16 keeps 11 significant bits: a relative error of at most 2^-11.
      expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 6e-8);
    }
    expect(toHalf(1)).toBe(0x3c00);
    expect(fromHalf(0x7c00)).toBe(Infinity);
    expect(toHalf(1e6)).toBe(0x7c00);
  });

  it('generates the same inputs for the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('compares outputs of two providers: max difference, cosine and top class per row', () => {
    const a = { logits: tensor('float32', Float32Array.from([1, 5, 2, 9, 0, 1]), [2, 3]) };
    const b = { logits: tensor('float32', Float32Array.from([1, 5.001, 2, 0, 9, 1]), [2, 3]) };
    const same = compareOutputs(a, a);
    expect(same).toEqual({ maxAbsDiff: 0, cosine: 1, sameTop1: true });
    const diff = compareOutputs(a, b);
    expect(diff.maxAbsDiff).toBeCloseTo(9);
    expect(diff.sameTop1).toBe(false);
    expect(diff.cosine).toBeLessThan(0.5);
    const halfs = { y: tensor('float16', Uint16Array.from([toHalf(1), toHalf(2)]), [2]) };
    const floats = { y: tensor('float32', Float32Array.from([1, 2.001]), [2]) };
    expect(compareOutputs(halfs, floats).maxAbsDiff).toBeCloseTo(0.001, 4);
  });
});
