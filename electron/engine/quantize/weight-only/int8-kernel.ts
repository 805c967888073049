import { type QuantRange, computeQuantParams, quantRange } from '../quant-params.js';
import { SimdWorkspace, workspaceBytes } from './simd-kernels.js';

/*
 * Per-channel / per-tensor int8 weight quantization, written for throughput: two passes over the
 * weight (range, then quantize), typed arrays only, no per-element allocation or calls.
 * - The range pass works on the float32 bit patterns as int32: |v| is `bits & 0x7fffffff` (symmetric
 *   needs only the largest magnitude), and `bits ^ ((bits >> 31) & 0x7fffffff)` orders like the float
 *   (asymmetric min / max), so the hot loop is integer loads and compares.
 * - Rounding is half to even through the 1.5 * 2^52 trick (`x + M - M`), not Math.round plus a fix-up.
 * - Symmetric weights need no clamp: |v| <= absMax and scale = float32(absMax / qmax) keep |v / scale|
 *   within qmax + 1e-5, which rounds to qmax.
 * The math is exactly quant-params' (computeQuantParams per channel, round half to even, clamp), so
 * results equal `quantizeWeight`'s; only the loops differ.
 *
 * Large weights whose layout fits go through the WebAssembly SIMD kernels instead (simd-kernels.ts):
 * the same parameters, with x / scale in float32 as numpy and onnxruntime's quantizer compute it, which
 * can differ from the float64 JS loops only for values within ~1e-7 of a rounding tie.
 */

/** Weights smaller than this stay on the JS loops (the SIMD path copies the weight once). */
export const SIMD_MIN_ELEMENTS = 4096;

/** 'auto' uses SIMD when available and the layout fits; 'js' / 'simd' force one (tests, benchmarks). */
export type KernelBackend = 'auto' | 'js' | 'simd';

/** Adding and subtracting 1.5 * 2^52 rounds a double of magnitude < 2^51 to the nearest integer, ties to even. */
const ROUND_MAGIC = 6755399441055744;
const FLOAT32_MIN_NORMAL = 2 ** -126;
const ABS_MASK = 0x7fffffff;

export interface Int8Options {
  /** The channel axis, or undefined for one scale for the whole tensor. */
  axis?: number | undefined;
  symmetric: boolean;
  reduceRange: boolean;
  backend?: KernelBackend;
}

export interface Int8Weight {
  /** Quantized values, same layout as the input. */
  data: Int8Array;
  /** One scale per channel (or one). */
  scales: Float32Array;
  /** One zero point per channel (or one); all 0 when symmetric. */
  zeroPoints: Int8Array;
  axis: number | undefined;
}

function product(dims: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= dims[i]!;
  return p;
}

const keyBits = new Int32Array(1);
const keyFloat = new Float32Array(keyBits.buffer);

/** The float32 an order key (`bits ^ ((bits >> 31) & 0x7fffffff)`, or plain non-negative bits) stands for. */
function keyToFloat(key: number): number {
  keyBits[0] = key ^ ((key >> 31) & ABS_MASK);
  return keyFloat[0]!;
}

/**
 * Per-channel ranges from the bit patterns. Symmetric: `lo` is unused and `hi` gets the largest |v| as
 * float bits; asymmetric: order keys of the min and max. Channels are (outer, channels, inner).
 */
function channelRanges(
  bits: Int32Array,
  outer: number,
  channels: number,
  inner: number,
  symmetric: boolean,
  lo: Int32Array,
  hi: Int32Array,
): void {
  if (inner === 1) {
    // Channels are the fastest-varying axis (MatMul [K, N] along N): sweep rows, one channel per column.
    if (symmetric) {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i++) {
          const a = bits[i]! & ABS_MASK;
          if (a > hi[c]!) hi[c] = a;
        }
      }
    } else {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i++) {
          const b = bits[i]!;
          const k = b ^ ((b >> 31) & ABS_MASK);
          if (k < lo[c]!) lo[c] = k;
          if (k > hi[c]!) hi[c] = k;
        }
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const start = (o * channels + c) * inner;
      const end = start + inner;
      let l = lo[c]!;
      let h = hi[c]!;
      if (symmetric) {
        for (let i = start; i < end; i++) {
          const a = bits[i]! & ABS_MASK;
          if (a > h) h = a;
        }
      } else {
        for (let i = start; i < end; i++) {
          const b = bits[i]!;
          const k = b ^ ((b >> 31) & ABS_MASK);
          if (k < l) l = k;
          if (k > h) h = k;
        }
      }
      lo[c] = l;
      hi[c] = h;
    }
  }
}

/**
 * Quantizes a float weight to int8. Symmetric: zero point 0 and range [-127, 127] (or [-64, 64] with
 * `reduceRange`); asymmetric: the float range (always including 0) mapped onto [-128, 127].
 * Throws RangeError for NaN or infinite weights.
 */
export function quantizeInt8(
  values: Float32Array,
  dims: readonly number[],
  options: Int8Options,
): Int8Weight {
  const { symmetric, reduceRange } = options;
  const range = quantRange('int8', { symmetric, reduceRange });
  const axis = options.axis;
  const n = values.length;
  const channels = axis === undefined ? 1 : (dims[axis] ?? 1);
  const inner = axis === undefined ? n : product(dims, axis + 1, dims.length);
  const outer = axis === undefined ? 1 : product(dims, 0, axis);
  if (outer * channels * inner !== n) {
    throw new RangeError(`quantizeInt8: ${n} values do not match dims [${dims.join(', ')}]`);
  }
  const backend = options.backend ?? 'auto';
  const simdFits = (inner === 1 && channels % 16 === 0 && channels <= CHUNK_FLOATS) || inner >= 64;
  if (backend === 'simd' || (backend === 'auto' && simdFits && n >= SIMD_MIN_ELEMENTS)) {
    const result = simdFits ? quantizeInt8Simd(values, outer, channels, inner, range, symmetric) : undefined;
    if (result) return { ...result, axis };
    if (backend === 'simd')
      throw new RangeError('the SIMD kernels are unavailable or do not fit this layout');
  }
  const bits = new Int32Array(values.buffer, values.byteOffset, n);

  // Pass 1: the range of every channel (as int keys; 0 is the key of +0, so the range includes 0).
  const lo = new Int32Array(channels);
  const hi = new Int32Array(channels);
  channelRanges(bits, outer, channels, inner, symmetric, lo, hi);

  const scales = new Float32Array(channels);
  const zeroPoints = new Int8Array(channels);
  const inverse = new Float64Array(channels);
  const offsets = new Float64Array(channels);
  let exact = true;
  for (let c = 0; c < channels; c++) {
    const max = keyToFloat(hi[c]!);
    const min = symmetric ? -max : keyToFloat(lo[c]!);
    const p = computeQuantParams(min, max, range, symmetric);
    scales[c] = p.scale;
    zeroPoints[c] = p.zeroPoint;
    inverse[c] = 1 / scales[c]!;
    offsets[c] = p.zeroPoint;
    // A range so small that its scale is a float32 subnormal (or underflowed to 0): the scale has too few
    // bits for |x / scale| <= qmax to hold, so those values are clamped.
    if (!Number.isFinite(inverse[c]!) || scales[c]! < FLOAT32_MIN_NORMAL) exact = false;
  }

  // Pass 2: quantize. Symmetric values cannot leave the range (see the header); others are clamped.
  const data = new Int8Array(n);
  const qmin = range.qmin;
  const qmax = range.qmax;
  const clamp = !(symmetric && exact);
  if (inner === 1) {
    if (!clamp) {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i++)
          data[i] = values[i]! * inverse[c]! + ROUND_MAGIC - ROUND_MAGIC;
      }
    } else {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i++) {
          const q = values[i]! * inverse[c]! + ROUND_MAGIC - ROUND_MAGIC + offsets[c]!;
          data[i] = q < qmin ? qmin : q > qmax ? qmax : q;
        }
      }
    }
    return { data, scales, zeroPoints, axis };
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const inv = inverse[c]!;
      const zp = offsets[c]!;
      const start = (o * channels + c) * inner;
      const end = start + inner;
      if (!clamp) {
        for (let i = start; i < end; i++) data[i] = values[i]! * inv + ROUND_MAGIC - ROUND_MAGIC;
      } else {
        for (let i = start; i < end; i++) {
          const q = values[i]! * inv + ROUND_MAGIC - ROUND_MAGIC + zp;
          data[i] = q < qmin ? qmin : q > qmax ? qmax : q;
        }
      }
    }
  }
  return { data, scales, zeroPoints, axis };
}

const ROUND = ROUND_MAGIC;

/** Floats copied into the SIMD workspace at a time (256 KiB: stays in L2 while it is worked on). */
const CHUNK_FLOATS = 1 << 16;

/**
 * Walks the runs of a (outer, channels, inner) layout in chunks of at most CHUNK_FLOATS elements:
 * `load(e0, e1)` copies elements [e0, e1) into the workspace, then `piece(at, e0, len, c)` handles a
 * piece of channel c's run that starts at element e0 (offset `at` in the workspace). Runs longer than a
 * chunk are split into pieces whose lengths are multiples of 16. `done(e0, e1)` follows each chunk.
 */
function sweepRuns(
  outer: number,
  channels: number,
  inner: number,
  load: (e0: number, e1: number) => void,
  piece: (at: number, e0: number, len: number, c: number) => void,
  done?: (e0: number, e1: number) => void,
): void {
  const runs = outer * channels;
  if (inner <= CHUNK_FLOATS) {
    const perChunk = Math.floor(CHUNK_FLOATS / inner);
    for (let r0 = 0; r0 < runs; r0 += perChunk) {
      const r1 = Math.min(runs, r0 + perChunk);
      load(r0 * inner, r1 * inner);
      for (let r = r0; r < r1; r++) piece((r - r0) * inner, r * inner, inner, r % channels);
      done?.(r0 * inner, r1 * inner);
    }
    return;
  }
  for (let r = 0; r < runs; r++) {
    for (let off = 0; off < inner; off += CHUNK_FLOATS) {
      const len = Math.min(CHUNK_FLOATS, inner - off);
      const e0 = r * inner + off;
      load(e0, e0 + len);
      piece(0, e0, len, r % channels);
      done?.(e0, e0 + len);
    }
  }
}

/** The SIMD path of `quantizeInt8` (same parameters; float32 products); undefined without SIMD. */
function quantizeInt8Simd(
  values: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  range: QuantRange,
  symmetric: boolean,
): Omit<Int8Weight, 'axis'> | undefined {
  const n = values.length;
  const cb = 4 * channels;
  const chunk = inner === 1 ? Math.max(1, Math.floor(CHUNK_FLOATS / channels)) * channels : CHUNK_FLOATS;
  const ws = SimdWorkspace.open(workspaceBytes(4 * chunk, chunk, cb, cb, cb, cb, 32));
  if (!ws) return undefined;
  const src = ws.alloc(4 * chunk);
  const dst = ws.alloc(chunk);
  const lo = ws.alloc(cb);
  const hi = ws.alloc(cb);
  const inv = ws.alloc(cb);
  const zp = ws.alloc(cb);
  const tmp = ws.alloc(32);
  const k = ws.exports;
  const srcV = ws.f32(src, chunk);
  const dstV = new Int8Array(ws.memory.buffer, dst, chunk);
  const loV = ws.f32(lo, channels);
  const hiV = ws.f32(hi, channels);
  const invV = ws.f32(inv, channels);
  const zpV = ws.f32(zp, channels);
  const tmpV = ws.f32(tmp, 8);
  const load = (e0: number, e1: number): void => srcV.set(values.subarray(e0, e1));
  const rowsPerChunk = chunk / channels;

  // Pass 1: ranges (starting from 0: the range always includes 0).
  const mins = new Float64Array(channels);
  const maxs = new Float64Array(channels);
  if (inner === 1) {
    loV.fill(0);
    hiV.fill(0);
    for (let r0 = 0; r0 < outer; r0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, outer - r0);
      load(r0 * channels, (r0 + rows) * channels);
      if (symmetric) k.absmax_cols(src, rows, channels, hi);
      else k.minmax_cols(src, rows, channels, lo, hi);
    }
    for (let c = 0; c < channels; c++) {
      maxs[c] = hiV[c]!;
      mins[c] = symmetric ? -hiV[c]! : loV[c]!;
    }
  } else {
    sweepRuns(outer, channels, inner, load, (at, e0, len, c) => {
      let l = mins[c]!;
      let h = maxs[c]!;
      const vec = len & ~15;
      if (vec > 0) {
        k.minmax_run(src + 4 * at, vec, tmp);
        for (let q = 0; q < 4; q++) {
          l = Math.min(l, tmpV[q]!);
          h = Math.max(h, tmpV[4 + q]!);
        }
      }
      for (let i = e0 + vec; i < e0 + len; i++) {
        l = Math.min(l, values[i]!);
        h = Math.max(h, values[i]!);
      }
      mins[c] = l;
      maxs[c] = h;
    });
    if (symmetric) {
      for (let c = 0; c < channels; c++) {
        const a = Math.max(-mins[c]!, maxs[c]!);
        mins[c] = -a;
        maxs[c] = a;
      }
    }
  }
  const scales = new Float32Array(channels);
  const zeroPoints = new Int8Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = computeQuantParams(mins[c]!, maxs[c]!, range, symmetric);
    scales[c] = p.scale;
    zeroPoints[c] = p.zeroPoint;
    invV[c] = 1 / scales[c]!;
    zpV[c] = p.zeroPoint;
  }

  // Pass 2: quantize, chunk by chunk, into `data`.
  const { qmin, qmax } = range;
  const data = new Int8Array(n);
  if (inner === 1) {
    for (let r0 = 0; r0 < outer; r0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, outer - r0);
      load(r0 * channels, (r0 + rows) * channels);
      k.quant_cols_i8(src, rows, channels, inv, zp, dst, qmin, qmax);
      data.set(dstV.subarray(0, rows * channels), r0 * channels);
    }
  } else {
    // Each chunk's output is completed in the workspace (SIMD part, then the JS tail of every run
    // piece) and copied out at once.
    sweepRuns(
      outer,
      channels,
      inner,
      load,
      (at, e0, len, c) => {
        const iv = invV[c]!;
        const z = zpV[c]!;
        const vec = len & ~15;
        if (vec > 0) k.quant_run_i8(src + 4 * at, vec, iv, z, qmin, qmax, dst + at);
        for (let j = vec; j < len; j++) {
          const q = Math.fround(values[e0 + j]! * iv) + ROUND - ROUND + z;
          dstV[at + j] = q < qmin ? qmin : q > qmax ? qmax : q;
        }
      },
      (e0, e1) => data.set(dstV.subarray(0, e1 - e0), e0),
    );
  }
  return { data, scales, zeroPoints };
}

/** The float values an int8 weight stands for (tests and error measurement). */
export function dequantizeInt8(q: Int8Weight, dims: readonly number[]): Float32Array {
  const n = q.data.length;
  const out = new Float32Array(n);
  const channels = q.axis === undefined ? 1 : (dims[q.axis] ?? 1);
  const inner = q.axis === undefined ? n : product(dims, q.axis + 1, dims.length);
  for (let i = 0; i < n; i++) {
    const c = ((i / inner) | 0) % channels;
    out[i] = (q.data[i]! - q.zeroPoints[c]!) * q.scales[c]!;
  }
  return out;
}
