import { describe, expect, it } from 'vitest';
import {
  allFinite,
  channelMinMax,
  computeQuantParams,
  quantizeWeight,
  quantRange,
  roundHalfEven,
} from './quant-params.js';
import { quantizeInt8 } from './weight-only/int8-kernel.js';

describe('allFinite', () => {
  it('spots inf and NaN', () => {
    expect(allFinite(Float32Array.of(1, -2, 0))).toBe(true);
    expect(allFinite(Float32Array.of(1, Infinity))).toBe(false);
    expect(allFinite(Float32Array.of(NaN))).toBe(false);
  });
});

/** Round half to even the plain way: the definition the fast one must keep. */
function referenceRound(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest < 0.5) return floor;
  if (rest > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A deterministic pseudo-random stream in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour, on both sides of zero and at any magnitude', () => {
    const ties = [
      0.5,
      1.5,
      2.5,
      -0.5,
      -1.5,
      -2.5,
      126.5,
      127.5,
      -127.5,
      -128.5,
      2 ** 50 + 0.5,
      -(2 ** 50) - 0.5,
    ];
    const big = [2 ** 51 - 0.5, 2 ** 51 + 0.5, -(2 ** 51) - 0.5, 2 ** 52 + 1, 2 ** 60, -(2 ** 60), 1e300];
    for (const x of [...ties, ...big]) expect(roundHalfEven(x) === referenceRound(x)).toBe(true);
    const next = random(7);
    for (let i = 0; i < 20000; i++) {
      const x = (next() - 0.5) * 10 ** (1 + Math.floor(next() * 6));
      expect(roundHalfEven(x)).toBe(referenceRound(x) === 0 ? 0 : referenceRound(x));
    }
  });
});

/** quantizeWeight's definition, value by value. */
function referenceQuantize(
  values: Float32Array,
  dims: number[],
  axis: number,
  type: 'int8' | 'uint8',
  symmetric: boolean,
) {
  const { min, max } = channelMinMax(values, dims, axis);
  const range = quantRange(type, { symmetric });
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = dims[axis]!;
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const p = computeQuantParams(min[c]!, max[c]!, range, symmetric);
    const q = referenceRound(values[i]! * (1 / p.scale)) + p.zeroPoint;
    out.push(Math.min(range.qmax, Math.max(range.qmin, q)));
  }
  return out;
}

describe('quantizeWeight per channel', () => {
  it('gives every value what the per-value definition gives, on any channel axis', () => {
    const next = random(11);
    for (const [dims, axis] of [
      [[6, 5], 0],
      [[6, 5], 1],
      [[3, 4, 5], 1],
      [[2, 3, 2, 2], 0],
    ] as [number[], number][]) {
      const values = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (next() - 0.3) * 4);
      // A channel of one value repeated, and exact ties after scaling.
      values[0] = 0;
      for (const type of ['int8', 'uint8'] as const) {
        for (const symmetric of [true, false]) {
          const q = quantizeWeight(values, dims, { type, symmetric, axis });
          expect([...q.data]).toEqual(referenceQuantize(values, dims, axis, type, symmetric));
          expect(q.scales.length).toBe(dims[axis]);
        }
      }
    }
  });

  it('finds each channel its own range', () => {
    // [2, 3] along axis 1: columns are channels.
    const { min, max } = channelMinMax(Float32Array.of(1, -2, 3, -4, 5, 0.5), [2, 3], 1);
    expect([...min]).toEqual([-4, -2, 0.5]);
    expect([...max]).toEqual([1, 5, 3]);
  });
});

describe('the int8 kernel against quantizeWeight', () => {
  it('clamps weights whose range is so small that the scale is a float32 subnormal', () => {
    // 178 x 2^-149 and smaller: the symmetric scale, 178 / 127 of the smallest subnormal, rounds to 1 of it.
    const values = new Float32Array(new Int32Array([178, 0x80000003 | 0, 5, 1]).buffer);
    for (const symmetric of [true, false]) {
      for (const axis of [undefined, 0]) {
        const dims = axis === undefined ? [4] : [4, 1];
        const reference = quantizeWeight(values, dims, {
          type: 'int8',
          symmetric,
          ...(axis === undefined ? {} : { axis }),
        });
        const kernel = quantizeInt8(values, dims, { symmetric, reduceRange: false, axis, backend: 'js' });
        expect([...kernel.data]).toEqual([...reference.data]);
      }
    }
    expect(quantizeWeight(values, [4], { type: 'int8', symmetric: true }).data[0]).toBe(127);
  });
});
