import * as ort from 'onnxruntime-node';
import type { DatasetDtype } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../onnx/float16.js';
import type { NumericArray } from '../onnx/tensor-codec.js';

/*
 * Element types of data files and how their values become the element type a model input wants.
 * Dataset dtypes use onnxruntime's names; float16 values travel as Uint16Array bit patterns and bool as
 * Uint8Array of 0/1, exactly as onnxruntime-node takes them.
 */

export type { NumericArray };

interface Layout {
  bytes: number;
  ctor: {
    new (length: number): NumericArray;
    new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NumericArray;
  };
  kind: 'float' | 'int' | 'bool';
  /** Inclusive range, for integer types that fit a JS number exactly. */
  min?: number;
  max?: number;
}

const LAYOUTS: Record<DatasetDtype, Layout> = {
  float32: { bytes: 4, ctor: Float32Array, kind: 'float' },
  float64: { bytes: 8, ctor: Float64Array, kind: 'float' },
  float16: { bytes: 2, ctor: Uint16Array, kind: 'float' },
  int8: { bytes: 1, ctor: Int8Array, kind: 'int', min: -128, max: 127 },
  uint8: { bytes: 1, ctor: Uint8Array, kind: 'int', min: 0, max: 255 },
  int16: { bytes: 2, ctor: Int16Array, kind: 'int', min: -32768, max: 32767 },
  uint16: { bytes: 2, ctor: Uint16Array, kind: 'int', min: 0, max: 65535 },
  int32: { bytes: 4, ctor: Int32Array, kind: 'int', min: -0x80000000, max: 0x7fffffff },
  uint32: { bytes: 4, ctor: Uint32Array, kind: 'int', min: 0, max: 0xffffffff },
  int64: { bytes: 8, ctor: BigInt64Array, kind: 'int' },
  uint64: { bytes: 8, ctor: BigUint64Array, kind: 'int' },
  bool: { bytes: 1, ctor: Uint8Array, kind: 'bool' },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isDatasetDtype(type: string): type is DatasetDtype {
  return Object.hasOwn(LAYOUTS, type);
}

/** Bytes per element. */
export function dtypeBytes(type: DatasetDtype): number {
  return LAYOUTS[type].bytes;
}

export function isFloatDtype(type: string): boolean {
  return isDatasetDtype(type) && LAYOUTS[type].kind === 'float';
}

/**
 * Why values of type `from` cannot be fed as `to`, or undefined when they can. Floats convert to floats
 * (rounding to the narrower type), integers and bools to floats and to other integer types (each value is
 * range-checked); floats never become integers (that would silently truncate), and only bools become bools.
 */
export function conversionProblem(from: DatasetDtype, to: string): string | undefined {
  if (from === to) return undefined;
  if (!isDatasetDtype(to)) return `the model's element type ${to} cannot be fed from data files`;
  const a = LAYOUTS[from].kind;
  const b = LAYOUTS[to].kind;
  if (b === 'float') return undefined;
  if (b === 'int' && a !== 'float') return undefined;
  if (b === 'int') return `${from} values would be truncated to integers; store the data as ${to}`;
  return `only bool data can feed a bool input; store the data as bool`;
}

/**
 * What feeding data of element type `from` to a model input of type `to` does to its values, said once per input
 * beside the figures (`data` names the file or array); undefined where the values stay the same numbers in the
 * same type. Integers become floats as the numbers they are, never scaled: uint8 images of 0-255 fed to a model
 * that wants 0-1 give another result than the same pixels as an image folder (scaled by 1/255).
 */
export function conversionNote(from: DatasetDtype, to: string, data: string, input: string): string | undefined {
  if (from === to || !isDatasetDtype(to) || LAYOUTS[to].kind !== 'float') return undefined;
  const into = `${from} data converted to ${to} for input '${input}'`;
  const kind = LAYOUTS[from].kind;
  if (from === 'uint8')
    return `${data}: ${into} as 0-255 (not scaled); if the model expects 0-1, scale the data or use an image folder`;
  if (kind === 'bool') return `${data}: ${into} as 0 and 1`;
  if (kind === 'int') return `${data}: ${into} as the same whole numbers (not scaled)`;
  if (from === 'float16') return `${data}: ${into} (exactly: float16 values are all ${to} values)`;
  return `${data}: ${into} (values rounded to ${to}${to === 'float16' ? '; beyond ±65504 they become Inf' : ''})`;
}

/** Element `i` of a native-order array as a JS number (float16 bit patterns are not decoded here). */
function readNumbers(array: NumericArray, type: DatasetDtype): ArrayLike<number> | BigInt64Array | BigUint64Array {
  if (type === 'float16') return float16ArrayToFloat32(array as Uint16Array);
  return array as ArrayLike<number> | BigInt64Array | BigUint64Array;
}

/**
 * Converts an array of element type `from` (native byte order) to element type `to`. `what` names the data
 * in the error raised when an integer value does not fit `to`.
 */
export function convertArray(array: NumericArray, from: DatasetDtype, to: DatasetDtype, what: string): NumericArray {
  if (from === to) return array;
  const problem = conversionProblem(from, to);
  if (problem) throw new StudioError('BAD_REQUEST', `${what}: ${problem}.`);
  return convertValues(array, from, to, what);
}

/** convertArray without the type check (the caller knows every value is whole when `to` is an integer type). */
function convertValues(array: NumericArray, from: DatasetDtype, to: DatasetDtype, what: string): NumericArray {
  const n = array.length;
  const source = readNumbers(array, from);
  const out = LAYOUTS[to];
  if (to === 'float16') {
    const f32 = new Float32Array(n);
    for (let i = 0; i < n; i++) f32[i] = Number(source[i]!);
    return float32ArrayToFloat16(f32);
  }
  if (out.kind === 'float') {
    const dst = new out.ctor(n) as Float32Array | Float64Array;
    for (let i = 0; i < n; i++) dst[i] = Number(source[i]!);
    return dst;
  }
  const outOfRange = (i: number) =>
    new StudioError('BAD_REQUEST', `${what}: value ${String(source[i])} (element ${i}) does not fit the model's ${to} input.`);
  if (to === 'int64' || to === 'uint64') {
    const dst = to === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
    const lo = to === 'int64' ? -(2n ** 63n) : 0n;
    const hi = to === 'int64' ? 2n ** 63n - 1n : 2n ** 64n - 1n;
    for (let i = 0; i < n; i++) {
      const v = BigInt(source[i]!);
      if (v < lo || v > hi) throw outOfRange(i);
      dst[i] = v;
    }
    return dst;
  }
  const dst = new out.ctor(n) as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
  const min = out.min ?? 0;
  const max = out.max ?? 1;
  for (let i = 0; i < n; i++) {
    const v = Number(source[i]!);
    if (v < min || v > max) throw outOfRange(i);
    dst[i] = v;
  }
  return dst;
}

/**
 * Raw bytes (`count` elements of `from`, in the given byte order) as a fresh array of element type `to`.
 * The copy is aligned whatever the offset of `bytes`; big-endian data is byte-swapped first.
 */
export function decodeElements(
  bytes: Uint8Array,
  from: DatasetDtype,
  littleEndian: boolean,
  to: DatasetDtype,
  what: string,
): NumericArray {
  const layout = LAYOUTS[from];
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (layout.bytes > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, layout.bytes);
  const native = new layout.ctor(copy.buffer, 0, copy.byteLength / layout.bytes);
  return convertArray(native, from, to, what);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** JS numbers (from JSON) as an array of `to`; integers must be whole and in range. */
export function numbersToArray(values: readonly number[], to: DatasetDtype, what: string): NumericArray {
  const layout = LAYOUTS[to];
  if (layout.kind !== 'float') {
    const bad = values.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) {
      throw new StudioError('BAD_REQUEST', `${what}: value ${values[bad]} (element ${bad}) is not a whole number, but the model's input is ${to}.`);
    }
  }
  if (to === 'bool') {
    const bad = values.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw new StudioError('BAD_REQUEST', `${what}: value ${values[bad]} (element ${bad}) is not 0/1/true/false, but the model's input is bool.`);
    return Uint8Array.from(values);
  }
  return convertValues(Float64Array.from(values), 'float64', to, what);
}

/** A tensor of another element type, for feeding the same sample to a model whose input type differs. */
export function castTensor(tensor: ort.Tensor, to: DatasetDtype, what: string): ort.Tensor {
  if (tensor.type === to) return tensor;
  if (!isDatasetDtype(tensor.type)) {
    throw new StudioError('BAD_REQUEST', `${what}: ${tensor.type} data cannot be converted to ${to}.`);
  }
  const from = tensor.type;
  // Conversion between model inputs (e.g. a float16 variant and its float32 reference) may go float -> float
  // only; anything else would change what the sample means.
  if (isFloatDtype(from) !== isFloatDtype(to)) {
    throw new StudioError('BAD_REQUEST', `${what}: the models disagree on the element type (${from} vs ${to}).`);
  }
  const data = convertArray(tensor.data as NumericArray, from, to, what);
  return new ort.Tensor(to, data as ort.Tensor.DataType, tensor.dims);
}

/** Values of a numeric tensor as float64 (float16 decoded, int64 via Number, bool as 0/1). */
export function tensorToFloat64(tensor: ort.Tensor): Float64Array {
  const type = tensor.type;
  if (!isDatasetDtype(type)) throw new StudioError('BAD_REQUEST', `Outputs of type ${type} cannot be measured.`);
  if (type === 'float64') return tensor.data as Float64Array;
  return convertArray(tensor.data as NumericArray, type, 'float64', 'output') as Float64Array;
}
