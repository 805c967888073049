/**
 * Reading and writing the data of ONNX `TensorProto`s as JS typed arrays.
 *
 * Storage rules (onnx.proto): `raw_data` holds fixed-width little-endian elements (bool one byte each,
 * int4/uint4 two per byte, low nibble first); otherwise the typed fields are used: float_data,
 * double_data, int64_data, uint64_data (uint32, uint64), string_data, and int32_data (one element per
 * entry for int8/uint8/int16/uint16/int32/bool and for float16/bfloat16 bit patterns; one packed byte
 * per entry for int4/uint4). Data stored externally (data_location = EXTERNAL) is passed in by the caller.
 */
import { endianness } from 'node:os';
import { create } from '@bufbuild/protobuf';
import {
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType as DataType,
  TensorProtoSchema,
} from 'onnx-buf';
import { StudioError } from '../errors.js';
import { dtypeBits, dtypeName, elementCount, tensorByteLength } from './dtypes.js';
import { bfloat16ArrayToFloat32, float16ArrayToFloat32 } from './float16.js';
import { packInt4, packUint4, unpackInt4, unpackUint4 } from './packed-int.js';
import { trackNewTensor } from './streamed-weights.js';

const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/** Every typed array a tensor decodes to. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * Decoded tensor data: float32 -> Float32Array, float64 -> Float64Array, float16/bfloat16 ->
 * Uint16Array of bit patterns, bool -> Uint8Array (0/1), int4 -> Int8Array and uint4 -> Uint8Array
 * (one element per entry), int64/uint64 -> BigInt64Array/BigUint64Array, string -> string[], and the
 * matching typed array for the other integer types.
 */
export type TensorArray = NumericArray | string[];

export interface TensorValues {
  dataType: number;
  dims: number[];
  values: TensorArray;
}

/** What `encodeTensor` accepts: numbers, bigints (int64/uint64; numbers work there too) or strings. */
export type EncodableValues = ArrayLike<number> | ArrayLike<bigint> | readonly string[];

interface TypedArrayCtor {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
}

interface FixedLayout {
  readonly ctor: TypedArrayCtor;
  readonly bytes: number;
  /** Inclusive range of valid values in int32_data / for encoding; undefined for floats and 64-bit. */
  readonly min?: number;
  readonly max?: number;
}

/** Types stored one element per fixed number of bytes, with the typed array they decode to. */
const FIXED: ReadonlyMap<number, FixedLayout> = new Map<number, FixedLayout>([
  [DataType.FLOAT, { ctor: Float32Array, bytes: 4 }],
  [DataType.DOUBLE, { ctor: Float64Array, bytes: 8 }],
  [DataType.FLOAT16, { ctor: Uint16Array, bytes: 2, min: 0, max: 0xffff }],
  [DataType.BFLOAT16, { ctor: Uint16Array, bytes: 2, min: 0, max: 0xffff }],
  [DataType.INT8, { ctor: Int8Array, bytes: 1, min: -0x80, max: 0x7f }],
  [DataType.UINT8, { ctor: Uint8Array, bytes: 1, min: 0, max: 0xff }],
  [DataType.BOOL, { ctor: Uint8Array, bytes: 1, min: 0, max: 1 }],
  [DataType.INT16, { ctor: Int16Array, bytes: 2, min: -0x8000, max: 0x7fff }],
  [DataType.UINT16, { ctor: Uint16Array, bytes: 2, min: 0, max: 0xffff }],
  [DataType.INT32, { ctor: Int32Array, bytes: 4, min: -0x80000000, max: 0x7fffffff }],
  [DataType.UINT32, { ctor: Uint32Array, bytes: 4, min: 0, max: 0xffffffff }],
  [DataType.INT64, { ctor: BigInt64Array, bytes: 8 }],
  [DataType.UINT64, { ctor: BigUint64Array, bytes: 8 }],
]);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function tensorLabel(name: string): string {
  return name === '' ? 'Tensor (unnamed)' : `Tensor "${name}"`;
}

function unsupported(name: string, dataType: number, what: string): StudioError {
  return new StudioError(
    'BAD_REQUEST',
    `${tensorLabel(name)} has data type ${dtypeName(dataType)}, which is not supported for ${what}.`,
  );
}

function swapBytesInPlace(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const tmp = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = tmp;
    }
  }
}

/**
 * Little-endian bytes as a typed array. On little-endian hosts, when `bytes` is suitably aligned the
 * result is a view of the same memory; otherwise the bytes are copied into a fresh buffer.
 */
function fromLittleEndian(bytes: Uint8Array, layout: FixedLayout, count: number): NumericArray {
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % layout.bytes === 0) {
    return new layout.ctor(bytes.buffer, bytes.byteOffset, count);
  }
  const copy = new Uint8Array(bytes); // copies into a fresh ArrayBuffer at offset 0 (Buffer.slice would not)
  if (!HOST_LITTLE_ENDIAN) swapBytesInPlace(copy, layout.bytes);
  return new layout.ctor(copy.buffer, 0, count);
}

function checkedDims(t: TensorProto): number[] {
  return t.dims.map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new StudioError(
        'MODEL_INVALID',
        `${tensorLabel(t.name)} has dims [${t.dims.join(', ')}]; dimension ${d} is ${d < 0n ? 'negative' : 'too large'}.`,
      );
    }
    return Number(d);
  });
}

function sizeMismatch(
  t: TensorProto,
  count: bigint,
  expectedBytes: bigint,
  actualBytes: number | bigint,
  source: string,
): StudioError {
  return new StudioError(
    'MODEL_INVALID',
    `${tensorLabel(t.name)} (${dtypeName(t.dataType)}, dims [${t.dims.join(', ')}], ${count} elements) ` +
      `needs ${expectedBytes} bytes of data, but ${source} holds ${actualBytes} bytes.`,
  );
}

/** The bytes holding the tensor's data, or undefined when it is in the typed fields. */
function dataBytes(
  t: TensorProto,
  externalBytes: Uint8Array | undefined,
): { bytes: Uint8Array; source: string } | undefined {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    if (externalBytes === undefined) {
      throw new StudioError(
        'BAD_REQUEST',
        `${tensorLabel(t.name)} stores its data in an external file; pass the external bytes to decode it.`,
      );
    }
    return { bytes: externalBytes, source: 'the external data' };
  }
  if (externalBytes !== undefined) {
    throw new StudioError(
      'BAD_REQUEST',
      `${tensorLabel(t.name)} does not use external data, but external bytes were passed.`,
    );
  }
  return t.rawData.length > 0 ? { bytes: t.rawData, source: 'raw_data' } : undefined;
}

function checkRange(
  t: TensorProto,
  field: string,
  values: readonly number[],
  min: number,
  max: number,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min || v > max) {
      throw new StudioError(
        'MODEL_INVALID',
        `${tensorLabel(t.name)}: ${field}[${i}] = ${v} is out of range for ${dtypeName(t.dataType)}.`,
      );
    }
  }
}

function decodeStrings(t: TensorProto, count: bigint, external: boolean): string[] {
  if (external || t.rawData.length > 0) {
    throw new StudioError(
      'MODEL_INVALID',
      `${tensorLabel(t.name)} is a string tensor, which must store its data in string_data.`,
    );
  }
  if (BigInt(t.stringData.length) !== count) {
    throw new StudioError(
      'MODEL_INVALID',
      `${tensorLabel(t.name)} (string, dims [${t.dims.join(', ')}]) needs ${count} strings, but string_data holds ${t.stringData.length}.`,
    );
  }
  return t.stringData.map((s) => utf8Decoder.decode(s));
}

function decodeFixedFromFields(t: TensorProto, layout: FixedLayout, count: bigint): NumericArray {
  const dt = t.dataType;
  let entries: number;
  let field: string;
  switch (dt) {
    case DataType.FLOAT:
      [entries, field] = [t.floatData.length, 'float_data'];
      break;
    case DataType.DOUBLE:
      [entries, field] = [t.doubleData.length, 'double_data'];
      break;
    case DataType.INT64:
      [entries, field] = [t.int64Data.length, 'int64_data'];
      break;
    case DataType.UINT32:
    case DataType.UINT64:
      [entries, field] = [t.uint64Data.length, 'uint64_data'];
      break;
    default:
      [entries, field] = [t.int32Data.length, 'int32_data'];
  }
  if (BigInt(entries) !== count) {
    throw sizeMismatch(
      t,
      count,
      count * BigInt(layout.bytes),
      entries * layout.bytes,
      `${field} (${entries} entries)`,
    );
  }
  switch (dt) {
    case DataType.FLOAT:
      return new Float32Array(t.floatData);
    case DataType.DOUBLE:
      return new Float64Array(t.doubleData);
    case DataType.INT64:
      return new BigInt64Array(t.int64Data);
    case DataType.UINT64:
      return new BigUint64Array(t.uint64Data);
    case DataType.UINT32: {
      const out = new Uint32Array(entries);
      for (let i = 0; i < entries; i++) {
        const v = t.uint64Data[i]!;
        if (v > 0xffffffffn) {
          throw new StudioError(
            'MODEL_INVALID',
            `${tensorLabel(t.name)}: uint64_data[${i}] = ${v} is out of range for uint32.`,
          );
        }
        out[i] = Number(v);
      }
      return out;
    }
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      // Bit patterns; accept sign-extended int16 patterns from lax writers too.
      checkRange(t, field, t.int32Data, -0x8000, 0xffff);
      return new Uint16Array(t.int32Data);
    default:
      // int8, uint8, int16, uint16, int32, bool: one element per entry.
      checkRange(t, field, t.int32Data, layout.min ?? -Infinity, layout.max ?? Infinity);
      return setNumbers(new layout.ctor(entries), t.int32Data);
  }
}

function setNumbers(out: NumericArray, values: ArrayLike<number>): NumericArray {
  (out as Exclude<NumericArray, BigInt64Array | BigUint64Array>).set(values);
  return out;
}

function decodeInt4(
  t: TensorProto,
  count: bigint,
  raw: { bytes: Uint8Array; source: string } | undefined,
): Int8Array | Uint8Array {
  const signed = t.dataType === DataType.INT4;
  const expectedBytes = tensorByteLength(t.dataType, count);
  let packed: ArrayLike<number>;
  if (raw !== undefined) {
    if (BigInt(raw.bytes.length) !== expectedBytes) {
      throw sizeMismatch(t, count, expectedBytes, raw.bytes.length, raw.source);
    }
    packed = raw.bytes;
  } else {
    const entries = t.int32Data.length;
    if (BigInt(entries) !== expectedBytes) {
      throw sizeMismatch(t, count, expectedBytes, entries, `int32_data (${entries} packed bytes)`);
    }
    // One packed byte per entry; accept bytes written as signed int8 too.
    checkRange(t, 'int32_data', t.int32Data, -0x80, 0xff);
    packed = new Uint8Array(t.int32Data);
  }
  const n = Number(count);
  return signed ? unpackInt4(packed, n) : unpackUint4(packed, n);
}

/**
 * Decodes a tensor's data (see `TensorArray` for the array type per data type).
 *
 * `externalBytes` must be given exactly when the tensor's data_location is EXTERNAL: the bytes read
 * from its external file (offset/length already applied).
 *
 * Aliasing: when the data comes from raw_data or `externalBytes` on a little-endian host and is aligned
 * for the element size, the returned typed array is a view of that memory (writing to it changes the
 * tensor). Unaligned data, typed fields, int4/uint4 and strings always produce fresh arrays.
 *
 * Throws MODEL_INVALID when the data size does not match the dims, and BAD_REQUEST for data types
 * that cannot be decoded (complex, float8, float4, int2/uint2, unknown).
 */
export function decodeTensor(t: TensorProto, externalBytes?: Uint8Array): TensorValues {
  const dims = checkedDims(t);
  const count = elementCount(t.dims);
  const dataType = t.dataType;
  if (t.segment !== undefined) {
    throw new StudioError('BAD_REQUEST', `${tensorLabel(t.name)} is segmented, which is not supported.`);
  }
  const raw = dataBytes(t, externalBytes);

  if (dataType === DataType.STRING) {
    return { dataType, dims, values: decodeStrings(t, count, externalBytes !== undefined) };
  }
  if (dataType === DataType.INT4 || dataType === DataType.UINT4) {
    return { dataType, dims, values: decodeInt4(t, count, raw) };
  }
  const layout = FIXED.get(dataType);
  if (layout === undefined) throw unsupported(t.name, dataType, 'decoding');
  if (raw === undefined) return { dataType, dims, values: decodeFixedFromFields(t, layout, count) };

  const expectedBytes = count * BigInt(layout.bytes);
  if (BigInt(raw.bytes.length) !== expectedBytes) {
    throw sizeMismatch(t, count, expectedBytes, raw.bytes.length, raw.source);
  }
  return { dataType, dims, values: fromLittleEndian(raw.bytes, layout, Number(count)) };
}

/**
 * A float tensor's values as float32: float32 (possibly aliasing the tensor's bytes, see
 * `decodeTensor`), float16 and bfloat16 (exact), float64 (rounded to nearest float32).
 * Other data types throw BAD_REQUEST.
 */
export function decodeToFloat32(t: TensorProto, externalBytes?: Uint8Array): Float32Array {
  const dt = t.dataType;
  if (
    dt !== DataType.FLOAT &&
    dt !== DataType.FLOAT16 &&
    dt !== DataType.BFLOAT16 &&
    dt !== DataType.DOUBLE
  ) {
    throw unsupported(t.name, dt, 'reading as float32');
  }
  const { values } = decodeTensor(t, externalBytes);
  if (values instanceof Float32Array) return values;
  if (values instanceof Float64Array) return new Float32Array(values);
  if (values instanceof Uint16Array) {
    return dt === DataType.FLOAT16 ? float16ArrayToFloat32(values) : bfloat16ArrayToFloat32(values);
  }
  throw new StudioError('INTERNAL', `Unexpected decoded array for ${dtypeName(dt)}.`);
}

function toBigIntDims(name: string, dims: readonly (number | bigint)[]): bigint[] {
  return dims.map((d) => {
    const ok = typeof d === 'bigint' ? d >= 0n : Number.isSafeInteger(d) && d >= 0;
    if (!ok) {
      throw new StudioError(
        'BAD_REQUEST',
        `${tensorLabel(name)}: dimension ${d} is not a non-negative integer.`,
      );
    }
    return BigInt(d);
  });
}

function badValue(name: string, dataType: number, index: number, value: unknown): StudioError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new StudioError(
    'BAD_REQUEST',
    `${tensorLabel(name)}: value ${shown} at index ${index} is not a valid ${dtypeName(dataType)}.`,
  );
}

/** Integers checked against [min, max] (for int4/uint4 and the int32-sized types). */
function checkedIntegers(
  name: string,
  dataType: number,
  values: EncodableValues,
  min: number,
  max: number,
): ArrayLike<number> {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw badValue(name, dataType, i, v);
    }
  }
  return values as ArrayLike<number>;
}

function fillFixed(
  name: string,
  dataType: number,
  layout: FixedLayout,
  values: EncodableValues,
  view: NumericArray,
): void {
  const n = values.length;
  if (view instanceof BigInt64Array || view instanceof BigUint64Array) {
    if (values instanceof view.constructor) {
      view.set(values as BigInt64Array & BigUint64Array);
      return;
    }
    const [min, max] = view instanceof BigInt64Array ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      let b: bigint | undefined;
      if (typeof v === 'bigint') b = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
      if (b === undefined || b < min || b > max) throw badValue(name, dataType, i, v);
      view[i] = b;
    }
    return;
  }
  if (dataType === DataType.BOOL) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') throw badValue(name, dataType, i, v);
      view[i] = v !== 0 && !Number.isNaN(v) ? 1 : 0;
    }
    return;
  }
  // Same typed array class: a plain copy, no checks needed.
  if (values instanceof view.constructor) {
    view.set(values as Float32Array);
    return;
  }
  if (layout.min === undefined || layout.max === undefined) {
    // float32 / float64: any number.
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') throw badValue(name, dataType, i, v);
      view[i] = v;
    }
    return;
  }
  setNumbers(view, checkedIntegers(name, dataType, values, layout.min, layout.max));
}

/**
 * Builds a new TensorProto holding `values` in raw_data (little-endian), or in string_data for
 * string tensors. `values` uses the same representation `decodeTensor` returns (float16/bfloat16 as
 * bit patterns, int4/uint4 one element per entry, bool any number with nonzero meaning true, int64 /
 * uint64 as bigints or safe-integer numbers), so `encodeTensor(name, d.dataType, d.dims, d.values)`
 * round-trips. Throws BAD_REQUEST when the value count does not match dims, a value does not fit the
 * data type, or the data type cannot be encoded.
 */
export function encodeTensor(
  name: string,
  dataType: number,
  dims: readonly (number | bigint)[],
  values: EncodableValues,
): TensorProto {
  const protoDims = toBigIntDims(name, dims);
  const count = elementCount(protoDims);
  if (BigInt(values.length) !== count) {
    throw new StudioError(
      'BAD_REQUEST',
      `${tensorLabel(name)} has dims [${protoDims.join(', ')}] (${count} elements) but ${values.length} values were given.`,
    );
  }

  if (dataType === DataType.STRING) {
    const stringData = Array.from(values as ArrayLike<unknown>, (v, i) => {
      if (typeof v !== 'string') throw badValue(name, dataType, i, v);
      return utf8Encoder.encode(v);
    });
    return create(TensorProtoSchema, { name, dataType, dims: protoDims, stringData });
  }

  let rawData: Uint8Array<ArrayBuffer>;
  if (dataType === DataType.INT4) {
    rawData = packInt4(checkedIntegers(name, dataType, values, -8, 7)) as Uint8Array<ArrayBuffer>;
  } else if (dataType === DataType.UINT4) {
    rawData = packUint4(checkedIntegers(name, dataType, values, 0, 15)) as Uint8Array<ArrayBuffer>;
  } else {
    const layout = FIXED.get(dataType);
    if (layout === undefined) throw unsupported(name, dataType, 'encoding');
    const n = values.length;
    rawData = new Uint8Array(n * layout.bytes);
    fillFixed(name, dataType, layout, values, new layout.ctor(rawData.buffer, 0, n));
    if (!HOST_LITTLE_ENDIAN) swapBytesInPlace(rawData, layout.bytes);
  }
  const tensor = create(TensorProtoSchema, { name, dataType, dims: protoDims, rawData });
  trackNewTensor(tensor);
  return tensor;
}

/**
 * Bytes the tensor's data occupies in fixed-width (raw_data) form, without decoding: the raw_data
 * length; for external data the `length` entry, else the size computed from dims; for typed fields
 * their entry count times the element width (one byte per int32_data entry for int4/uint4); for
 * strings the total UTF-8 length. Throws MODEL_INVALID on a malformed `length` entry.
 */
export function tensorByteSize(t: TensorProto): number {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    const entry = t.externalData.find((e) => e.key === 'length');
    if (entry !== undefined) {
      const length = /^\d+$/.test(entry.value.trim()) ? Number(entry.value.trim()) : NaN;
      if (!Number.isSafeInteger(length)) {
        throw new StudioError(
          'MODEL_INVALID',
          `${tensorLabel(t.name)} has an invalid external data length "${entry.value}".`,
        );
      }
      return length;
    }
    return Number(tensorByteLength(t.dataType, elementCount(t.dims)));
  }
  if (t.rawData.length > 0) return t.rawData.length;
  let size = 0;
  for (const s of t.stringData) size += s.length;
  // One element per int32_data entry, or one packed byte per entry for sub-byte types.
  const bits = dtypeBits(t.dataType);
  const int32EntryBytes = bits === undefined ? 4 : Math.max(1, bits / 8);
  size += t.int32Data.length * int32EntryBytes;
  size += t.floatData.length * 4;
  size += t.doubleData.length * 8;
  size += t.int64Data.length * 8;
  size += t.uint64Data.length * (t.dataType === DataType.UINT32 ? 4 : 8);
  return size;
}
