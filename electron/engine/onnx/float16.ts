/**
 * float32 <-> float16 (IEEE 754 binary16) and float32 <-> bfloat16 conversion.
 *
 * Half-precision values are handled as their 16-bit patterns (numbers 0..0xffff, or `Uint16Array`),
 * which is how ONNX stores them. Narrowing rounds to nearest, ties to even; subnormals, signed zeros,
 * infinities and NaN are handled. The bulk functions read and write through `Uint32Array` views of
 * the float arrays, so NaN payloads pass through bit-exactly and no per-element allocation happens.
 */

// One shared scratch cell for reinterpreting a float32 as its bits and back (both views use host
// byte order, so this is endianness-independent).
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Largest finite float16 value. */
export const FLOAT16_MAX = 65504;
const FLOAT16_MAX_BITS = 0x7bff;

/** The float32 bit pattern of `value` (rounded to float32 first). */
export function float32Bits(value: number): number {
  scratchF32[0] = value;
  return scratchU32[0]!;
}

/** The float32 whose bit pattern is `bits` (as a JS number; NaN payloads are not kept). */
export function float32FromBits(bits: number): number {
  scratchU32[0] = bits;
  return scratchF32[0]!;
}

/** float32 bit pattern -> float16 bit pattern, round to nearest even; overflow becomes ±Infinity. */
function f32BitsToF16Bits(x: number): number {
  const abs = x & 0x7fffffff;
  if (abs >= 0x38800000 && abs < 0x477ff000) {
    // A normal float16 (2^-14 <= |x| < 65520), most weights: rebias the exponent (112 << 23), then
    // round to nearest even by adding just under half an ulp plus the kept lowest bit; a carry moves
    // into the exponent as it should.
    return ((x >>> 16) & 0x8000) | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
  }
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;

  if (exp === 0xff) {
    // Infinity, or NaN: keep the top payload bits and force the quiet bit so it stays a NaN.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 112; // rebias: float32 bias 127, float16 bias 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is a float16 subnormal (or zero). Values below 2^-25 round to zero; float32
    // subnormals (exp === 0) are far below that.
    if (e < -10) return sign;
    const full = mant | 0x800000; // 24-bit significand with the implicit bit
    const shift = 14 - e; // 14..24
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (m & 1) !== 0)) m++; // may carry into the smallest normal
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry may round up to Infinity
  return h;
}

/** float16 bit pattern -> float32 bit pattern (exact). */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: normalize the significand.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** float32 bit pattern -> bfloat16 bit pattern, round to nearest even; NaN stays NaN. */
function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---- scalar API -------------------------------------------------------------------------------

/** `value` (rounded to float32 first) as a float16 bit pattern; too large magnitudes give ±Infinity. */
export function float32ToFloat16Bits(value: number): number {
  return f32BitsToF16Bits(float32Bits(value));
}

/** The value of a float16 bit pattern. */
export function float16BitsToFloat32(bits: number): number {
  return float32FromBits(f16BitsToF32Bits(bits & 0xffff));
}

/** `value` (rounded to float32 first) as a bfloat16 bit pattern. */
export function float32ToBfloat16Bits(value: number): number {
  return f32BitsToBf16Bits(float32Bits(value));
}

/** The value of a bfloat16 bit pattern. */
export function bfloat16BitsToFloat32(bits: number): number {
  return float32FromBits((bits & 0xffff) << 16);
}

// ---- bulk API ---------------------------------------------------------------------------------

/** Signed: the bits of a negative float stay a small integer for V8 (as unsigned they are a heap number). */
function i32View(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function outputU16(length: number, out: Uint16Array | undefined): Uint16Array {
  if (out === undefined) return new Uint16Array(length);
  if (out.length !== length) throw new RangeError(`Output has ${out.length} elements, expected ${length}.`);
  return out;
}

function outputF32(length: number, out: Float32Array | undefined): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (out.length !== length) throw new RangeError(`Output has ${out.length} elements, expected ${length}.`);
  return out;
}

/** float32 values -> float16 bit patterns (written to `out` when given; it must have the same length). */
export function float32ArrayToFloat16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const dst = outputU16(src.length, out);
  const bits = i32View(src);
  for (let i = 0; i < bits.length; i++) dst[i] = f32BitsToF16Bits(bits[i]!);
  return dst;
}

/**
 * Like `float32ArrayToFloat16`, but finite values that would overflow to ±Infinity (|x| >= 65520)
 * become ±65504 instead. Infinities and NaN are kept. `clamped` counts the values that were changed
 * this way, `underflowed` the non-zero values that became ±0.
 */
export function float32ToFloat16Clamped(
  src: Float32Array,
  out?: Uint16Array,
): { bits: Uint16Array; clamped: number; underflowed: number } {
  const dst = outputU16(src.length, out);
  const bits = i32View(src);
  let clamped = 0;
  let underflowed = 0;
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    let h = f32BitsToF16Bits(x);
    if ((h & 0x7fff) === 0x7c00 && (x & 0x7f800000) !== 0x7f800000) {
      h = (h & 0x8000) | FLOAT16_MAX_BITS;
      clamped++;
    } else if ((h & 0x7fff) === 0 && (x & 0x7fffffff) !== 0) {
      underflowed++;
    }
    dst[i] = h;
  }
  return { bits: dst, clamped, underflowed };
}

let f16Table: Uint32Array | undefined;

/** float16 bit patterns -> float32 values (exact; 256 KiB lookup table built on first use). */
export function float16ArrayToFloat32(src: Uint16Array, out?: Float32Array): Float32Array {
  const dst = outputF32(src.length, out);
  let table = f16Table;
  if (table === undefined) {
    table = new Uint32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) table[h] = f16BitsToF32Bits(h);
    f16Table = table;
  }
  const dstBits = u32View(dst);
  for (let i = 0; i < src.length; i++) dstBits[i] = table[src[i]!]!;
  return dst;
}

/** float32 values -> bfloat16 bit patterns, round to nearest even. */
export function float32ArrayToBfloat16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const dst = outputU16(src.length, out);
  const bits = u32View(src);
  for (let i = 0; i < bits.length; i++) dst[i] = f32BitsToBf16Bits(bits[i]!);
  return dst;
}

/** bfloat16 bit patterns -> float32 values (exact). */
export function bfloat16ArrayToFloat32(src: Uint16Array, out?: Float32Array): Float32Array {
  const dst = outputF32(src.length, out);
  const dstBits = u32View(dst);
  for (let i = 0; i < src.length; i++) dstBits[i] = src[i]! << 16;
  return dst;
}
