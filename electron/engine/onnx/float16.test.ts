import { describe, expect, it } from 'vitest';
import {
  bfloat16ArrayToFloat32,
  bfloat16BitsToFloat32,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32Bits,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  float32ToFloat16Clamped,
} from './float16.js';

const isF16NaN = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16NaN = (h: number): boolean => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

describe('float32 -> float16', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [-65504, 0xfbff],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [0, 0x0000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [65520, 0x7c00], // halfway between 65504 and 65536: ties to even = Infinity
    [-65520, 0xfc00],
    [1e6, 0x7c00],
    [65519, 0x7bff],
    [1e-45, 0x0000], // float32 subnormal underflows
  ])('%d -> %s', (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it('keeps the sign of zero', () => {
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(-1e-45)).toBe(0x8000);
  });

  it('maps NaN to a quiet NaN', () => {
    expect(float32ToFloat16Bits(NaN)).toBe(0x7e00);
    // A signalling NaN whose payload lives only in the low bits must not become Infinity.
    const src = new Float32Array(new Uint32Array([0x7f800001, 0xffc00000]).buffer);
    const out = float32ArrayToFloat16(src);
    expect(out[0]).toBe(0x7e00);
    expect(out[1]).toBe(0xfe00);
  });

  it('rounds half to even in the normal range', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, down to even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, up to even
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(float32ToFloat16Bits(1 + 2 ** -11 - 2 ** -20)).toBe(0x3c00); // just below the tie
    expect(float32ToFloat16Bits(2 - 2 ** -12)).toBe(0x4000); // carry into the exponent
  });

  it('rounds half to even in the subnormal range', () => {
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and 1 -> 0
    expect(float32ToFloat16Bits(2 ** -25 + 2 ** -40)).toBe(0x0001);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 -> 2
    expect(float32ToFloat16Bits(5 * 2 ** -25)).toBe(0x0002); // tie between 2 and 3 -> 2
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0x0000);
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie, up to the smallest normal
    expect(float32ToFloat16Bits(-(3 * 2 ** -25))).toBe(0x8002);
  });

  it('picks the nearest float16 (ties to even) for random float32 values', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const bits = new Uint32Array(20000);
    for (let i = 0; i < bits.length; i++) {
      // exponents from 2^-30 to 2^17 so subnormals, normals and overflow are all covered
      const exp = 97 + (next() % 48);
      bits[i] = ((next() & 1) << 31) | (exp << 23) | (next() & 0x7fffff);
    }
    const src = new Float32Array(bits.buffer);
    const out = float32ArrayToFloat16(src);
    const failures: string[] = [];
    for (let i = 0; i < src.length; i++) {
      const x = Math.abs(src[i]!);
      const h = out[i]! & 0x7fff;
      const fail = (why: string): number => failures.push(`${src[i]} -> 0x${out[i]!.toString(16)}: ${why}`);
      if ((out[i]! & 0x8000) !== (src[i]! < 0 ? 0x8000 : 0)) fail('sign');
      if (out[i] !== float32ToFloat16Bits(src[i]!)) fail('bulk differs from scalar');
      if (x >= 65520) {
        if (h !== 0x7c00) fail('should overflow');
        continue;
      }
      const err = Math.abs(x - float16BitsToFloat32(h));
      const below = h > 0 ? Math.abs(x - float16BitsToFloat32(h - 1)) : Infinity;
      const above = h < 0x7bff ? Math.abs(x - float16BitsToFloat32(h + 1)) : Infinity;
      if (err > below || err > above) fail('not nearest');
      if ((err === below || err === above) && (h & 1) !== 0) fail('tie not to even');
    }
    expect(failures).toEqual([]);
  });
});

describe('float16 -> float32', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('%s -> %d', (bits, value) => {
    expect(float16BitsToFloat32(bits)).toBe(value);
  });

  it('decodes -0 and NaN', () => {
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0xfc01)).toBeNaN();
  });

  it('round-trips every float16 bit pattern, scalar and bulk', () => {
    const all = new Uint16Array(0x10000);
    for (let h = 0; h < 0x10000; h++) all[h] = h;
    const floats = float16ArrayToFloat32(all);
    const back = float32ArrayToFloat16(floats);
    const failures: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const value = float16BitsToFloat32(h);
      if (isF16NaN(h)) {
        // The bulk path keeps NaN payloads bit-exact (plus the quiet bit).
        if (!Number.isNaN(floats[h]) || back[h] !== (h | 0x200)) failures.push(h);
        continue;
      }
      if (!Object.is(floats[h], value) || float32ToFloat16Bits(value) !== h || back[h] !== h)
        failures.push(h);
    }
    expect(failures).toEqual([]);
    expect(floats[0x3c00]).toBe(1);
  });

  it('writes into a given output array and checks its length', () => {
    const out = new Float32Array(2);
    expect(float16ArrayToFloat32(new Uint16Array([0x3c00, 0x4000]), out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 2]);
    expect(() => float16ArrayToFloat32(new Uint16Array(3), out)).toThrow(RangeError);
    expect(() => float32ArrayToFloat16(new Float32Array(3), new Uint16Array(2))).toThrow(RangeError);
  });
});

/** Round half to even of a double, the plain way. */
function roundEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  return rest < 0.5 ? floor : rest > 0.5 ? floor + 1 : floor % 2 === 0 ? floor : floor + 1;
}

/** The float16 bits of a finite float32 value by arithmetic (no bit tricks): the nearest half, ties to even. */
function referenceHalf(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal (1024 is the smallest normal's bits)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundEven(a * 2 ** (10 - e));
  if (m === 2048) {
    m = 1024;
    e++;
  }
  return e + 15 >= 31 ? sign | 0x7c00 : sign | ((e + 15) << 10) | (m - 1024);
}

describe('float32 -> float16 over the whole float32 range', () => {
  it('rounds every sampled bit pattern to the nearest half, ties to even', () => {
    const patterns: number[] = [];
    for (let bits = 0; bits < 0x7f800000; bits += 9973) patterns.push(bits);
    // Around the edges: the smallest normal half, the largest half and the overflow tie, zero's neighbourhood.
    for (const edge of [0x38800000, 0x477fe000, 0x477ff000, 0x33000000, 0x33800000, 0x3f800000])
      for (let d = -4200; d <= 4200; d++) patterns.push(edge + d);
    const u32 = Uint32Array.from(patterns.flatMap((b) => [b, (b | 0x80000000) >>> 0]));
    const values = new Float32Array(u32.buffer);
    const halves = float32ArrayToFloat16(values);
    for (let i = 0; i < values.length; i++) {
      const want = referenceHalf(values[i]!);
      if (halves[i] !== want)
        expect(`0x${u32[i]!.toString(16)} -> 0x${halves[i]!.toString(16)}`).toBe(`0x${want.toString(16)}`);
    }
  });
});

describe('float32ToFloat16Clamped', () => {
  it('clamps values that would overflow and counts them', () => {
    const src = new Float32Array([70000, -70000, 65520, 65519, Infinity, -Infinity, NaN, 1, 3.4e38]);
    const { bits, clamped } = float32ToFloat16Clamped(src);
    expect(Array.from(bits)).toEqual([
      0x7bff, 0xfbff, 0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x3c00, 0x7bff,
    ]);
    expect(clamped).toBe(4);
  });

  it('counts the non-zero values that become zero', () => {
    // 2^-25 rounds to 0 (a tie, to even), 2^-24 is the smallest half; zeros of either sign do not count.
    const src = new Float32Array([2 ** -25, -(2 ** -26), 1e-30, 2 ** -24, 0, -0, NaN, 1]);
    const { bits, underflowed } = float32ToFloat16Clamped(src);
    expect(Array.from(bits)).toEqual([0x0000, 0x8000, 0x0000, 0x0001, 0x0000, 0x8000, 0x7e00, 0x3c00]);
    expect(underflowed).toBe(3);
  });

  it('clamps nothing for in-range data', () => {
    const { bits, clamped } = float32ToFloat16Clamped(new Float32Array([0.5, -65504]));
    expect(Array.from(bits)).toEqual([0x3800, 0xfbff]);
    expect(clamped).toBe(0);
  });
});

describe('bfloat16', () => {
  it.each([
    [1, 0x3f80],
    [-2, 0xc000],
    [0, 0x0000],
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [3.140625, 0x4049],
    [1 + 2 ** -8, 0x3f80], // tie, down to even
    [1 + 3 * 2 ** -8, 0x3f82], // tie, up to even
    [1 + 2 ** -8 + 2 ** -20, 0x3f81], // above the tie
    [3.4028234663852886e38, 0x7f80], // float32 max rounds up to Infinity
    [2 ** -133, 0x0001], // float32 subnormal
  ])('%d -> %s', (value, bits) => {
    expect(float32ToBfloat16Bits(value)).toBe(bits);
  });

  it('keeps -0 and NaN', () => {
    expect(float32ToBfloat16Bits(-0)).toBe(0x8000);
    expect(float32ToBfloat16Bits(NaN)).toBe(0x7fc0);
    // A NaN with only low payload bits must stay NaN (truncation alone would give Infinity).
    const src = new Float32Array(new Uint32Array([0x7f800001, 0xff800100]).buffer);
    const out = float32ArrayToBfloat16(src);
    expect(isBf16NaN(out[0]!)).toBe(true);
    expect(out[1]! & 0x8000).toBe(0x8000);
    expect(isBf16NaN(out[1]!)).toBe(true);
  });

  it('decodes bit patterns', () => {
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0xc049)).toBe(-3.140625);
    expect(bfloat16BitsToFloat32(0x7f7f)).toBe(float32FromHex(0x7f7f0000));
    expect(bfloat16BitsToFloat32(0x7fc0)).toBeNaN();
  });

  it('round-trips every bfloat16 bit pattern, bulk path bit-exact', () => {
    const all = new Uint16Array(0x10000);
    for (let h = 0; h < 0x10000; h++) all[h] = h;
    const floats = bfloat16ArrayToFloat32(all);
    const floatBits = new Uint32Array(floats.buffer);
    const back = float32ArrayToBfloat16(floats);
    const failures: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if (floatBits[h] !== (h << 16) >>> 0) failures.push(h);
      if (back[h] !== (isBf16NaN(h) ? h | 0x40 : h)) failures.push(h);
    }
    expect(failures).toEqual([]);
    expect(floats[0x3f80]).toBe(1);
  });

  it('matches the scalar conversion in bulk', () => {
    const src = new Float32Array([1.00390625, 1.01171875, -7.5, 1e-40, 123456.789]);
    const out = float32ArrayToBfloat16(src);
    expect(Array.from(out)).toEqual(Array.from(src, (v) => float32ToBfloat16Bits(v)));
    expect(Array.from(out)).toEqual([0x3f80, 0x3f82, 0xc0f0, 0x0001, 0x47f1]);
  });
});

function float32FromHex(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

describe('float32Bits', () => {
  it('reinterprets float32 values', () => {
    expect(float32Bits(1)).toBe(0x3f800000);
    expect(float32Bits(-0)).toBe(0x80000000);
  });
});
