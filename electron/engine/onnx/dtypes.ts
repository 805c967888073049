import { TensorProto_DataType as DataType } from 'onnx-buf';
import { StudioError } from '../errors.js';

/** Name and storage width of one ONNX `TensorProto.DataType`. */
export interface DtypeInfo {
  /** Lower-case name used in messages and reports, e.g. `float32`, `int4`, `bool`. */
  readonly name: string;
  /**
   * Bits one element occupies in `raw_data`: 4 for int4/uint4/float4, 2 for int2/uint2, 64 for complex64.
   * `undefined` for types without a fixed width (`string`, `undefined`).
   */
  readonly bits: number | undefined;
}

const DTYPES: ReadonlyMap<number, DtypeInfo> = new Map<number, DtypeInfo>([
  [DataType.UNDEFINED, { name: 'undefined', bits: undefined }],
  [DataType.FLOAT, { name: 'float32', bits: 32 }],
  [DataType.UINT8, { name: 'uint8', bits: 8 }],
  [DataType.INT8, { name: 'int8', bits: 8 }],
  [DataType.UINT16, { name: 'uint16', bits: 16 }],
  [DataType.INT16, { name: 'int16', bits: 16 }],
  [DataType.INT32, { name: 'int32', bits: 32 }],
  [DataType.INT64, { name: 'int64', bits: 64 }],
  [DataType.STRING, { name: 'string', bits: undefined }],
  [DataType.BOOL, { name: 'bool', bits: 8 }],
  [DataType.FLOAT16, { name: 'float16', bits: 16 }],
  [DataType.DOUBLE, { name: 'float64', bits: 64 }],
  [DataType.UINT32, { name: 'uint32', bits: 32 }],
  [DataType.UINT64, { name: 'uint64', bits: 64 }],
  [DataType.COMPLEX64, { name: 'complex64', bits: 64 }],
  [DataType.COMPLEX128, { name: 'complex128', bits: 128 }],
  [DataType.BFLOAT16, { name: 'bfloat16', bits: 16 }],
  [DataType.FLOAT8E4M3FN, { name: 'float8e4m3fn', bits: 8 }],
  [DataType.FLOAT8E4M3FNUZ, { name: 'float8e4m3fnuz', bits: 8 }],
  [DataType.FLOAT8E5M2, { name: 'float8e5m2', bits: 8 }],
  [DataType.FLOAT8E5M2FNUZ, { name: 'float8e5m2fnuz', bits: 8 }],
  [DataType.UINT4, { name: 'uint4', bits: 4 }],
  [DataType.INT4, { name: 'int4', bits: 4 }],
  [DataType.FLOAT4E2M1, { name: 'float4e2m1', bits: 4 }],
  [DataType.FLOAT8E8M0, { name: 'float8e8m0', bits: 8 }],
  [DataType.UINT2, { name: 'uint2', bits: 2 }],
  [DataType.INT2, { name: 'int2', bits: 2 }],
]);

/** Name and width of a data type, or `undefined` for a number ONNX does not define (yet). */
export function dtypeInfo(dataType: number): DtypeInfo | undefined {
  return DTYPES.get(dataType);
}

/** Lower-case name of a data type (`float32`, `int4`, ...); unknown numbers read as `dtype(99)`. */
export function dtypeName(dataType: number): string {
  return DTYPES.get(dataType)?.name ?? `dtype(${dataType})`;
}

/** Storage bits per element, or `undefined` for `string`, `undefined` and unknown numbers. */
export function dtypeBits(dataType: number): number | undefined {
  return DTYPES.get(dataType)?.bits;
}

/** True for types stored several elements per byte (int4, uint4, float4e2m1, int2, uint2). */
export function isSubByteDtype(dataType: number): boolean {
  const bits = dtypeBits(dataType);
  return bits !== undefined && bits < 8;
}

const WEIGHT_FLOAT_TYPES: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.DOUBLE,
]);

/**
 * True for the float types model weights are stored in (float32, float16, bfloat16, double): the ones
 * the quantizers and pruners read as numbers. The 8- and 4-bit floats are already quantized formats.
 */
export function isFloatDtype(dataType: number): boolean {
  return WEIGHT_FLOAT_TYPES.has(dataType);
}

/**
 * Bytes `elementCount` elements occupy in `raw_data`, rounding packed types up to whole bytes
 * (3 int4 elements take 2 bytes). Throws BAD_REQUEST for types without a fixed width.
 */
export function tensorByteLength(dataType: number, elementCount: bigint): bigint {
  const bits = dtypeBits(dataType);
  if (bits === undefined) {
    throw new StudioError('BAD_REQUEST', `Data type ${dtypeName(dataType)} has no fixed byte size.`);
  }
  if (elementCount < 0n) {
    throw new StudioError('BAD_REQUEST', `Element count ${elementCount} is negative.`);
  }
  return (elementCount * BigInt(bits) + 7n) / 8n;
}

/** Number of elements of a tensor with these dims (1 for a scalar, `[]`). Throws MODEL_INVALID on a negative dim. */
export function elementCount(dims: readonly bigint[]): bigint {
  let count = 1n;
  for (const dim of dims) {
    if (dim < 0n) {
      throw new StudioError(
        'MODEL_INVALID',
        `Tensor dims [${dims.join(', ')}] contain a negative dimension.`,
      );
    }
    count *= dim;
  }
  return count;
}
