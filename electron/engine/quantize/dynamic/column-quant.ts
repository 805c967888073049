import { computeQuantParams, quantRange } from '../quant-params.js';

/*
 * Quantizing a MatMul weight B [K, N] to int8 with one scale (and zero point) per column, which is
 * the layout onnxruntime's DynamicQuantizeMatMul / MatMulIntegerToFloat / MatMulInteger kernels take
 * for per-channel weights (b_scale and b_zero_point of shape [N]). A Gemm weight stored transposed
 * ([N, K], transB = 1) is transposed while quantizing, so every kernel sees [K, N].
 */

/**
 * Adding and subtracting 1.5 * 2^52 rounds a double to an integer, half to even (the FPU's default
 * mode), for |x| < 2^51; quantized values are within a few hundred. Several times faster than
 * Math.round plus a tie fix-up.
 */
const ROUNDER = 6755399441055744;

export interface ColumnQuantOptions {
  /** One scale per column (default) or one for the whole matrix. */
  perChannel: boolean;
  /** Symmetric: zero point 0 and range [-127, 127]; else asymmetric [-128, 127] with zero points. */
  symmetric: boolean;
  /** 7-bit weights ([-64, 64]) so that u8 x s8 products cannot saturate 16-bit sums (AVX2 without VNNI). */
  reduceRange: boolean;
  /** The source is stored [N, K] (Gemm transB = 1): quantize it into [K, N]. */
  transposed?: boolean;
  /** Every scale is multiplied by this (Gemm's alpha). Default 1. */
  multiplier?: number;
}

export interface ColumnQuantized {
  /** int8 values, [K, N] row-major. */
  data: Int8Array;
  /** [N] per channel, [1] per tensor. */
  scales: Float32Array;
  /** Same length as scales; all zero when symmetric. */
  zeroPoints: Int8Array;
  rows: number;
  cols: number;
}

/**
 * Quantizes `values` (a [rows, cols] matrix, or [cols, rows] when `transposed`) column by column.
 * Rounding is half to even of value / scale, as onnxruntime's tools (numpy) and kernels do.
 */
export function quantizeColumns(
  values: Float32Array,
  rows: number,
  cols: number,
  options: ColumnQuantOptions,
): ColumnQuantized {
  const range = quantRange('int8', { symmetric: options.symmetric, reduceRange: options.reduceRange });
  const transposed = options.transposed ?? false;
  const multiplier = options.multiplier ?? 1;
  if (values.length !== rows * cols)
    throw new RangeError(`expected ${rows * cols} values, got ${values.length}`);

  // Column ranges. Element (k, n) is values[k * cols + n], or values[n * rows + k] when transposed.
  const channels = options.perChannel ? cols : 1;
  const min = new Float32Array(channels).fill(Infinity);
  const max = new Float32Array(channels).fill(-Infinity);
  if (!options.perChannel) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[0] = values.length > 0 ? lo : 0;
    max[0] = values.length > 0 ? hi : 0;
  } else if (transposed) {
    for (let n = 0; n < cols; n++) {
      let lo = Infinity;
      let hi = -Infinity;
      const base = n * rows;
      for (let k = 0; k < rows; k++) {
        const v = values[base + k] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      min[n] = rows > 0 ? lo : 0;
      max[n] = rows > 0 ? hi : 0;
    }
  } else {
    for (let k = 0; k < rows; k++) {
      const base = k * cols;
      for (let n = 0; n < cols; n++) {
        const v = values[base + n] as number;
        if (v < (min[n] as number)) min[n] = v;
        if (v > (max[n] as number)) max[n] = v;
      }
    }
    if (rows === 0) {
      min.fill(0);
      max.fill(0);
    }
  }

  const scales = new Float32Array(channels);
  const zeroPoints = new Int8Array(channels);
  // Quantize with the unmultiplied scale: the multiplier only rescales the output.
  const channelScale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = computeQuantParams(min[c] as number, max[c] as number, range, options.symmetric);
    channelScale[c] = p.scale;
    scales[c] = Math.fround(p.scale * multiplier);
    zeroPoints[c] = p.zeroPoint;
  }
  const colScale = new Float64Array(cols);
  const colZero = new Int32Array(cols);
  for (let n = 0; n < cols; n++) {
    const c = options.perChannel ? n : 0;
    colScale[n] = channelScale[c] as number;
    colZero[n] = zeroPoints[c] as number;
  }

  const data = new Int8Array(rows * cols);
  const { qmin, qmax } = range;
  if (transposed) {
    // Source row n (contiguous) is column n of the output.
    for (let n = 0; n < cols; n++) {
      const scale = colScale[n] as number;
      const zero = colZero[n] as number;
      const src = n * rows;
      for (let k = 0; k < rows; k++) {
        const x = (values[src + k] as number) / scale;
        const r = x + ROUNDER - ROUNDER + zero;
        data[k * cols + n] = r < qmin ? qmin : r > qmax ? qmax : r;
      }
    }
  } else {
    for (let k = 0; k < rows; k++) {
      const base = k * cols;
      for (let n = 0; n < cols; n++) {
        const x = (values[base + n] as number) / (colScale[n] as number);
        const r = x + ROUNDER - ROUNDER + (colZero[n] as number);
        data[base + n] = r < qmin ? qmin : r > qmax ? qmax : r;
      }
    }
  }
  return { data, scales, zeroPoints, rows, cols };
}

/** Dequantizes (for error measurements in tests): [K, N] float32, including any multiplier. */
export function dequantizeColumns(q: ColumnQuantized): Float32Array {
  const out = new Float32Array(q.data.length);
  const perChannel = q.scales.length === q.cols && q.cols > 1;
  for (let k = 0; k < q.rows; k++) {
    for (let n = 0; n < q.cols; n++) {
      const c = perChannel ? n : 0;
      const i = k * q.cols + n;
      out[i] = ((q.data[i] as number) - (q.zeroPoints[c] as number)) * (q.scales[c] as number);
    }
  }
  return out;
}
