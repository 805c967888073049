/**
 * The arithmetic of linear quantization, shared by every method: q = clamp(round(x / scale) + zeroPoint),
 * x ≈ (q - zeroPoint) * scale. Conventions follow ONNX Runtime's quantization tools so that our models and
 * theirs agree: the float range always includes 0 (so 0 is exactly representable, which padding and ReLU
 * need), symmetric int8 uses [-127, 127] (not -128, so the range is symmetric), and `reduceRange` drops
 * one bit (for CPUs without VNNI, where u8 x s8 products can saturate 16-bit accumulators).
 */

export type QuantType = 'int8' | 'uint8' | 'int4' | 'uint4';

export interface QuantRange {
  qmin: number;
  qmax: number;
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/** The integer range of a type under the symmetric / reduced-range conventions. */
export function quantRange(type: QuantType, options: { symmetric?: boolean; reduceRange?: boolean } = {}): QuantRange {
  const { symmetric = false, reduceRange = false } = options;
  switch (type) {
    case 'int8':
      if (reduceRange) return { qmin: -64, qmax: 64 }; // 7 bits, as onnxruntime's tools use
      return symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
    case 'uint8':
      return reduceRange ? { qmin: 0, qmax: 127 } : { qmin: 0, qmax: 255 };
    case 'int4':
      return symmetric ? { qmin: -7, qmax: 7 } : { qmin: -8, qmax: 7 };
    case 'uint4':
      return { qmin: 0, qmax: 15 };
  }
}

/** Float32 rounding of a scale: models store float32, so compute with exactly what will be stored. */
const f32 = Math.fround;

/**
 * Scale and zero point for a float range. Symmetric: the zero point is the middle of the integer range
 * (0 for int8, 128 for uint8) and the range is ±max(|min|, |max|). A range of all zeros gets scale 1 so
 * that dequantization stays finite.
 */
export function computeQuantParams(min: number, max: number, range: QuantRange, symmetric: boolean): QuantParams {
  let rmin = Math.min(min, 0);
  let rmax = Math.max(max, 0);
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) {
    throw new RangeError(`cannot quantize a range containing ${Number.isFinite(rmin) ? rmax : rmin}`);
  }
  if (symmetric) {
    const absMax = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -absMax;
    rmax = absMax;
  }
  const span = rmax - rmin;
  if (span === 0) {
    return { scale: 1, zeroPoint: symmetric ? Math.round((range.qmin + range.qmax) / 2) : range.qmin };
  }
  const scale = f32(span / (range.qmax - range.qmin));
  const zeroPoint = symmetric
    ? Math.round((range.qmin + range.qmax) / 2)
    : Math.min(range.qmax, Math.max(range.qmin, Math.round(range.qmin - rmin / scale)));
  return { scale, zeroPoint };
}

/** Adding and subtracting 1.5 * 2^52 rounds a double of magnitude below 2^51 to an integer, ties to even. */
const ROUND_MAGIC = 6755399441055744;
const MAGIC_LIMIT = 2 ** 51;

/**
 * Round half to even, as onnxruntime's QuantizeLinear does (std::nearbyint in the default mode). The
 * addition trick is exact below 2^51 and several times faster than Math.round with a fix-up, which
 * weights of hundreds of millions of values showed; larger magnitudes take the slow path.
 */
export function roundHalfEven(x: number): number {
  if (x < MAGIC_LIMIT && x > -MAGIC_LIMIT) return x + ROUND_MAGIC - ROUND_MAGIC;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantizes `values[start..end)` with one scale and zero point into `out` (same positions). */
export function quantizeInto(
  values: Float32Array,
  params: QuantParams,
  range: QuantRange,
  out: Int8Array | Uint8Array | Int32Array,
  start = 0,
  end = values.length,
  stride = 1,
): void {
  const inv = 1 / params.scale;
  const { qmin, qmax } = range;
  const zp = params.zeroPoint;
  for (let i = start; i < end; i += stride) {
    const q = roundHalfEven((values[i] as number) * inv) + zp;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
}

/** Min and max of the elements of `values` that belong to channel `c` along `axis` of `dims`. */
export function channelMinMax(values: Float32Array, dims: readonly number[], axis: number): { min: Float32Array; max: Float32Array } {
  const channels = dims[axis] ?? 1;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const min = new Float32Array(channels).fill(Infinity);
  const max = new Float32Array(channels).fill(-Infinity);
  // Values are laid out (outer, channel, inner): nested loops instead of a division per value.
  if (inner === 1) {
    // Channels on the last axis (a MatMul weight [K, N]): each row holds one value of every channel.
    for (let i = 0; i < values.length; ) {
      for (let c = 0; c < channels && i < values.length; c++, i++) {
        const v = values[i]!;
        if (v < min[c]!) min[c] = v;
        if (v > max[c]!) max[c] = v;
      }
    }
    return { min, max };
  }
  for (let i = 0; i < values.length; ) {
    for (let c = 0; c < channels && i < values.length; c++) {
      let lo = min[c]!;
      let hi = max[c]!;
      for (const end = Math.min(i + inner, values.length); i < end; i++) {
        const v = values[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      min[c] = lo;
      max[c] = hi;
    }
  }
  return { min, max };
}

/** Result of quantizing one weight tensor. */
export interface QuantizedWeight {
  /** Quantized values in the original layout. */
  data: Int8Array | Uint8Array;
  /** One entry per channel (per-channel) or a single entry (per-tensor). */
  scales: Float32Array;
  zeroPoints: Int32Array;
  /** The channel axis, or undefined for per-tensor. */
  axis: number | undefined;
}

/**
 * Quantizes a weight tensor per tensor or per channel along `axis`. Per-channel gives every output
 * channel its own scale, which keeps small channels from being crushed by a large one: the usual choice
 * for Conv and MatMul weights.
 */
export function quantizeWeight(
  values: Float32Array,
  dims: readonly number[],
  options: { type: 'int8' | 'uint8'; symmetric: boolean; reduceRange?: boolean; axis?: number },
): QuantizedWeight {
  const range = quantRange(options.type, { symmetric: options.symmetric, reduceRange: options.reduceRange ?? false });
  const data = options.type === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  if (options.axis === undefined) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (values.length === 0) min = max = 0;
    const p = computeQuantParams(min, max, range, options.symmetric);
    quantizeInto(values, p, range, data);
    return { data, scales: Float32Array.of(p.scale), zeroPoints: Int32Array.of(p.zeroPoint), axis: undefined };
  }
  const axis = options.axis;
  const channels = dims[axis] ?? 1;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const { min, max } = channelMinMax(values, dims, axis);
  const scales = new Float32Array(channels);
  const zeroPoints = new Int32Array(channels);
  const inverse = new Float64Array(channels);
  // The zero points as computed (NaN for a range whose scale underflowed to 0), as quantizeInto adds them.
  const offsets = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = computeQuantParams(min[c] as number, max[c] as number, range, options.symmetric);
    scales[c] = p.scale;
    zeroPoints[c] = p.zeroPoint;
    inverse[c] = 1 / p.scale;
    offsets[c] = p.zeroPoint;
  }
  // quantizeInto's arithmetic, in one sweep: with channels on the last axis (a MatMul or Gemm weight) a
  // call per channel and row was a call per value, 12 s for the 200 [1024, 1024] weights of an 800 MB MLP.
  const { qmin, qmax } = range;
  if (inner === 1) {
    for (let o = 0, i = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++, i++) {
        const q = roundHalfEven(values[i]! * inverse[c]!) + offsets[c]!;
        data[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
    }
    return { data, scales, zeroPoints, axis };
  }
  for (let o = 0, i = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const inv = inverse[c]!;
      const zp = offsets[c]!;
      for (let k = 0; k < inner; k++, i++) {
        const q = roundHalfEven(values[i]! * inv) + zp;
        data[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
    }
  }
  return { data, scales, zeroPoints, axis };
}

/** Dequantizes back to float (for measuring error and for tests). */
export function dequantizeWeight(q: QuantizedWeight, dims: readonly number[]): Float32Array {
  const out = new Float32Array(q.data.length);
  if (q.axis === undefined) {
    const s = q.scales[0] as number;
    const z = q.zeroPoints[0] as number;
    for (let i = 0; i < out.length; i++) out[i] = ((q.data[i] as number) - z) * s;
    return out;
  }
  const channels = dims[q.axis] ?? 1;
  const inner = dims.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = ((q.data[i] as number) - (q.zeroPoints[c] as number)) * (q.scales[c] as number);
  }
  return out;
}

/** Whether every value of the array is finite (a weight holding inf or NaN has no quantization range). */
export function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return false;
  return true;
}
