import { type KernelBackend, SIMD_MIN_ELEMENTS } from './int8-kernel.js';
import { SimdWorkspace, workspaceBytes } from './simd-kernels.js';

/*
 * Block-wise 4-bit quantization of a MatMul weight into the layout of ONNX Runtime's com.microsoft
 * MatMulNBits (bits = 4):
 *
 *   B            uint8 [N, k_blocks, blob_size]   blob_size = block_size / 2; element (k, n) of the
 *                                                 [K, N] weight sits in row n, byte k / 2, low nibble
 *                                                 for even k, high nibble for odd k
 *   scales       [N * k_blocks]                   scale of block b of column n at n * k_blocks + b
 *   zero_points  uint8 [N * ceil(k_blocks / 2)]   (asymmetric only) two 4-bit zero points per byte,
 *                                                 block b of column n at n * ceil(k_blocks / 2) + b / 2,
 *                                                 even b in the low nibble; each column's run is padded
 *                                                 to whole bytes
 *
 * k_blocks = ceil(K / block_size). When K is not a multiple of block_size the weight is padded with
 * zeros to k_blocks * block_size rows (what the spec's layout implies and ORT's own quantizer does):
 * the padding quantizes to the zero point, so it dequantizes to exactly 0.
 *
 * The arithmetic is MLAS's (BlockwiseQuantizer in onnxruntime/core/mlas/lib/q4_dq.cpp):
 * - symmetric (no zero_points input; the kernel's default zero point is 8): the block's value of
 *   largest magnitude, vmax, maps to -8: scale = -vmax / 8, q = clamp(round(v / scale + 8), 0, 15).
 *   Using -8 (not 7) for the larger side gains half a step of resolution over a [-7, 7] grid.
 * - asymmetric: range [min(min, 0), max(max, 0)] over [0, 15]: scale = (max - min) / 15,
 *   zero point = clamp(round(-min / scale), 0, 15), q = clamp(round(v / scale + zp), 0, 15).
 * Rounding is half away from zero (C's roundf), as MLAS does.
 */

/** How the float weight is laid out: [K, N] (MatMul B, Gemm transB = 0) or [N, K] (Gemm transB = 1). */
export type WeightLayout = 'KN' | 'NK';

export interface BlockwiseOptions {
  K: number;
  N: number;
  layout: WeightLayout;
  /** A power of two >= 16. */
  blockSize: number;
  symmetric: boolean;
  /** 'auto' uses the SIMD kernels for [K, N] weights with N a multiple of 16; 'js' / 'simd' force one. */
  backend?: KernelBackend;
}

export interface Int4Blockwise {
  /** [N, kBlocks, blockSize / 2] */
  packed: Uint8Array;
  /** [N * kBlocks] */
  scales: Float32Array;
  /** [N * ceil(kBlocks / 2)], or undefined when symmetric. */
  zeroPoints: Uint8Array | undefined;
  kBlocks: number;
  blobSize: number;
}

/** Zero point MatMulNBits assumes when no zero_points input is given (2^(bits-1)). */
export const DEFAULT_ZERO_POINT_4BIT = 8;

const params = { scale: 0, zp: 0 };

/** A block's scale (float32) and zero point from its range, the MLAS way; throws for NaN / infinity. */
function blockParams(lo: number, hi: number, symmetric: boolean, out: { scale: number; zp: number }): void {
  if (!(lo > -Infinity && hi < Infinity)) throw new RangeError('cannot quantize NaN or infinite weights');
  if (symmetric) {
    // The value of largest magnitude maps to -8 (the larger half of [-8, 7]).
    const vmax = Math.abs(hi) > Math.abs(lo) ? hi : lo;
    out.scale = Math.fround(-vmax / 8);
    out.zp = DEFAULT_ZERO_POINT_4BIT;
    return;
  }
  const min = lo < 0 ? lo : 0;
  const max = hi > 0 ? hi : 0;
  const scale = Math.fround((max - min) / 15);
  let zp = 0;
  if (scale !== 0) {
    const zf = -min / scale;
    zp = zf < 0 ? 0 : zf > 15 ? 15 : (zf + 0.5) | 0;
  }
  out.scale = scale;
  out.zp = zp;
}

/**
 * Quantizes one block: `len` values of `values` from `base` every `stride` elements (then zero padding
 * up to `blockSize`), into `blockSize / 2` bytes of `packed` from `out`; stores its scale at `scales[s]`
 * and, when asymmetric, its zero point into the nibble of `zeroPoints[z]` (high nibble if `zHigh`).
 */
function quantizeBlock(
  values: Float32Array,
  base: number,
  stride: number,
  len: number,
  blockSize: number,
  symmetric: boolean,
  packed: Uint8Array,
  out: number,
  scales: Float32Array,
  s: number,
  zeroPoints: Uint8Array | undefined,
  z: number,
  zHigh: boolean,
): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0, i = base; j < len; j++, i += stride) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  blockParams(lo, hi, symmetric, params);
  const scale = params.scale;
  const zp = params.zp;
  if (zeroPoints) zeroPoints[z] = zeroPoints[z]! | (zHigh ? zp << 4 : zp);
  scales[s] = scale;
  const inv = scale === 0 ? 0 : 1 / scale;
  // round half away from zero (t >= -0.5 here, and anything below 0 clamps to 0): floor(t + 0.5)
  const bias = zp + 0.5;
  const step = stride * 2;
  const pairs = len >> 1;
  let i = base;
  let o = out;
  for (let p = 0; p < pairs; p++, i += step, o++) {
    let q0 = (values[i]! * inv + bias) | 0;
    let q1 = (values[i + stride]! * inv + bias) | 0;
    q0 = q0 < 0 ? 0 : q0 > 15 ? 15 : q0;
    q1 = q1 < 0 ? 0 : q1 > 15 ? 15 : q1;
    packed[o] = q0 | (q1 << 4);
  }
  if ((len & 1) !== 0) {
    let q0 = (values[i]! * inv + bias) | 0;
    q0 = q0 < 0 ? 0 : q0 > 15 ? 15 : q0;
    packed[o++] = q0 | (zp << 4);
  }
  // Padding past K quantizes to the zero point: it dequantizes to exactly 0.
  const end = out + (blockSize >> 1);
  const pad = zp | (zp << 4);
  for (; o < end; o++) packed[o] = pad;
}

/** Quantizes one [K, N] (or [N, K]) float weight into MatMulNBits' B, scales and zero points. */
export function quantizeBlockwise4Bit(values: Float32Array, options: BlockwiseOptions): Int4Blockwise {
  const { K, N, blockSize, symmetric } = options;
  if (!(blockSize >= 16 && (blockSize & (blockSize - 1)) === 0)) {
    throw new RangeError(`block size ${blockSize} is not a power of two >= 16`);
  }
  if (values.length !== K * N) throw new RangeError(`${values.length} values for a ${K} x ${N} weight`);
  const kBlocks = Math.ceil(K / blockSize);
  const blobSize = blockSize / 2;
  const rowBytes = kBlocks * blobSize;
  const zpRowBytes = (kBlocks + 1) >> 1;
  const packed = new Uint8Array(N * rowBytes);
  const scales = new Float32Array(N * kBlocks);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * zpRowBytes);
  if (options.layout === 'NK') {
    // Row n of the stored weight is column n of B: every block is a contiguous run.
    for (let n = 0; n < N; n++) {
      for (let b = 0; b < kBlocks; b++) {
        const k0 = b * blockSize;
        const len = Math.min(blockSize, K - k0);
        quantizeBlock(
          values,
          n * K + k0,
          1,
          len,
          blockSize,
          symmetric,
          packed,
          n * rowBytes + b * blobSize,
          scales,
          n * kBlocks + b,
          zeroPoints,
          n * zpRowBytes + (b >> 1),
          (b & 1) === 1,
        );
      }
    }
  } else if (
    options.backend === 'simd' ||
    ((options.backend ?? 'auto') === 'auto' && N % 16 === 0 && K >= blockSize && K * N >= SIMD_MIN_ELEMENTS)
  ) {
    if (!quantizeKNSimd(values, options, kBlocks, packed, scales, zeroPoints)) {
      throw new RangeError('the SIMD kernels are unavailable or do not fit this layout');
    }
  } else {
    // [K, N] row-major: a block of column n is strided by N. Going across the columns of one block of
    // rows, consecutive columns share cache lines, so the block stays in L1/L2 while it is read twice.
    for (let b = 0; b < kBlocks; b++) {
      const k0 = b * blockSize;
      const len = Math.min(blockSize, K - k0);
      for (let n = 0; n < N; n++) {
        quantizeBlock(
          values,
          k0 * N + n,
          N,
          len,
          blockSize,
          symmetric,
          packed,
          n * rowBytes + b * blobSize,
          scales,
          n * kBlocks + b,
          zeroPoints,
          n * zpRowBytes + (b >> 1),
          (b & 1) === 1,
        );
      }
    }
  }
  return { packed, scales, zeroPoints, kBlocks, blobSize };
}

/**
 * The [K, N] path on the SIMD kernels: per block of rows, column ranges in SIMD, parameters in JS,
 * then quantize-and-pack in SIMD; a partial last block goes through `quantizeBlock`. False when SIMD
 * is unavailable or N is not a multiple of 16 (nothing written then).
 */
function quantizeKNSimd(
  values: Float32Array,
  options: BlockwiseOptions,
  kBlocks: number,
  packed: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | undefined,
): boolean {
  const { K, N, blockSize, symmetric } = options;
  if (N % 16 !== 0 || K < blockSize) return false;
  const blobSize = blockSize / 2;
  const rowBytes = kBlocks * blobSize;
  const zpRowBytes = (kBlocks + 1) >> 1;
  const nb = 4 * N;
  // One block of rows at a time is copied in (blockSize x N floats); the packed output (an eighth of
  // the weight's bytes) is written in place and copied out once.
  const chunk = blockSize * N;
  const ws = SimdWorkspace.open(workspaceBytes(4 * chunk, N * rowBytes, nb, nb, nb, nb));
  if (!ws) return false;
  const src = ws.alloc(4 * chunk);
  const pk = ws.alloc(N * rowBytes);
  const lo = ws.alloc(nb);
  const hi = ws.alloc(nb);
  const inv = ws.alloc(nb);
  const bias = ws.alloc(nb);
  const k = ws.exports;
  const srcV = ws.f32(src, chunk);
  const loV = ws.f32(lo, N);
  const hiV = ws.f32(hi, N);
  const invV = ws.f32(inv, N);
  const biasV = ws.f32(bias, N);
  const fullBlocks = Math.floor(K / blockSize);
  for (let b = 0; b < fullBlocks; b++) {
    srcV.set(values.subarray(b * chunk, (b + 1) * chunk));
    loV.fill(Infinity);
    hiV.fill(-Infinity);
    k.minmax_cols(src, blockSize, N, lo, hi);
    const zHigh = (b & 1) === 1;
    for (let n = 0; n < N; n++) {
      blockParams(loV[n]!, hiV[n]!, symmetric, params);
      scales[n * kBlocks + b] = params.scale;
      if (zeroPoints) {
        const z = n * zpRowBytes + (b >> 1);
        zeroPoints[z] = zeroPoints[z]! | (zHigh ? params.zp << 4 : params.zp);
      }
      invV[n] = params.scale === 0 ? 0 : 1 / params.scale;
      biasV[n] = params.zp + 0.5;
    }
    k.quant_pack4_cols(src, blockSize >> 1, N, inv, bias, pk + b * blobSize, rowBytes);
  }
  packed.set(ws.u8(pk, N * rowBytes));
  if (fullBlocks < kBlocks) {
    const b = fullBlocks;
    const k0 = b * blockSize;
    for (let n = 0; n < N; n++) {
      quantizeBlock(
        values,
        k0 * N + n,
        N,
        K - k0,
        blockSize,
        symmetric,
        packed,
        n * rowBytes + b * blobSize,
        scales,
        n * kBlocks + b,
        zeroPoints,
        n * zpRowBytes + (b >> 1),
        (b & 1) === 1,
      );
    }
  }
  return true;
}

/** The [K, N] float weight a MatMulNBits B / scales / zero points stand for (tests, error measurement). */
export function dequantizeBlockwise4Bit(
  q: Int4Blockwise,
  K: number,
  N: number,
  blockSize: number,
): Float32Array {
  const out = new Float32Array(K * N);
  const rowBytes = q.kBlocks * q.blobSize;
  const zpRowBytes = (q.kBlocks + 1) >> 1;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = (k / blockSize) | 0;
      const byte = q.packed[n * rowBytes + (k >> 1)]!;
      const v = (k & 1) === 0 ? byte & 15 : byte >> 4;
      let zp = DEFAULT_ZERO_POINT_4BIT;
      if (q.zeroPoints) {
        const z = q.zeroPoints[n * zpRowBytes + (b >> 1)]!;
        zp = (b & 1) === 0 ? z & 15 : z >> 4;
      }
      out[k * N + n] = (v - zp) * q.scales[n * q.kBlocks + b]!;
    }
  }
  return out;
}
