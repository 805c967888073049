import { TensorProto_DataType as DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import {
  dtypeBits,
  dtypeInfo,
  dtypeName,
  elementCount,
  isFloatDtype,
  isSubByteDtype,
  tensorByteLength,
} from './dtypes.js';

describe('dtypeName', () => {
  it.each([
    [DataType.FLOAT, 'float32'],
    [DataType.DOUBLE, 'float64'],
    [DataType.FLOAT16, 'float16'],
    [DataType.BFLOAT16, 'bfloat16'],
    [DataType.INT8, 'int8'],
    [DataType.UINT8, 'uint8'],
    [DataType.INT4, 'int4'],
    [DataType.UINT4, 'uint4'],
    [DataType.INT64, 'int64'],
    [DataType.UINT64, 'uint64'],
    [DataType.BOOL, 'bool'],
    [DataType.STRING, 'string'],
    [DataType.COMPLEX64, 'complex64'],
    [DataType.FLOAT8E4M3FN, 'float8e4m3fn'],
    [DataType.INT2, 'int2'],
    [DataType.UNDEFINED, 'undefined'],
    [99, 'dtype(99)'],
    [-1, 'dtype(-1)'],
  ])('%d is %s', (dataType, name) => {
    expect(dtypeName(dataType)).toBe(name);
  });

  it('names every enum value', () => {
    for (const value of Object.values(DataType)) {
      if (typeof value === 'number') expect(dtypeInfo(value)).toBeDefined();
    }
  });
});

describe('dtypeBits', () => {
  it.each([
    [DataType.FLOAT, 32],
    [DataType.DOUBLE, 64],
    [DataType.FLOAT16, 16],
    [DataType.BOOL, 8],
    [DataType.INT4, 4],
    [DataType.UINT4, 4],
    [DataType.FLOAT4E2M1, 4],
    [DataType.INT2, 2],
    [DataType.UINT2, 2],
    [DataType.COMPLEX128, 128],
    [DataType.INT64, 64],
  ])('%d has %d bits', (dataType, bits) => {
    expect(dtypeBits(dataType)).toBe(bits);
  });

  it('has no width for string, undefined and unknown types', () => {
    expect(dtypeBits(DataType.STRING)).toBeUndefined();
    expect(dtypeBits(DataType.UNDEFINED)).toBeUndefined();
    expect(dtypeBits(99)).toBeUndefined();
  });

  it('knows the sub-byte types', () => {
    expect(isSubByteDtype(DataType.INT4)).toBe(true);
    expect(isSubByteDtype(DataType.UINT2)).toBe(true);
    expect(isSubByteDtype(DataType.INT8)).toBe(false);
    expect(isSubByteDtype(DataType.STRING)).toBe(false);
  });
});

describe('tensorByteLength', () => {
  it('multiplies by the element width', () => {
    expect(tensorByteLength(DataType.FLOAT, 6n)).toBe(24n);
    expect(tensorByteLength(DataType.FLOAT16, 3n)).toBe(6n);
    expect(tensorByteLength(DataType.INT64, 2n)).toBe(16n);
    expect(tensorByteLength(DataType.COMPLEX64, 2n)).toBe(16n);
    expect(tensorByteLength(DataType.BOOL, 5n)).toBe(5n);
    expect(tensorByteLength(DataType.FLOAT, 0n)).toBe(0n);
  });

  it('rounds packed types up', () => {
    expect(tensorByteLength(DataType.INT4, 3n)).toBe(2n);
    expect(tensorByteLength(DataType.UINT4, 4n)).toBe(2n);
    expect(tensorByteLength(DataType.UINT4, 1n)).toBe(1n);
    expect(tensorByteLength(DataType.INT2, 5n)).toBe(2n);
    expect(tensorByteLength(DataType.UINT2, 4n)).toBe(1n);
  });

  it('handles counts beyond 2^53', () => {
    expect(tensorByteLength(DataType.FLOAT, 2n ** 60n)).toBe(2n ** 62n);
  });

  it('throws for types without a fixed width', () => {
    expect(() => tensorByteLength(DataType.STRING, 1n)).toThrow(/string has no fixed byte size/);
    expect(() => tensorByteLength(99, 1n)).toThrow(/dtype\(99\)/);
    expect(() => tensorByteLength(DataType.FLOAT, -1n)).toThrow(StudioError);
  });
});

describe('elementCount', () => {
  it('multiplies dims', () => {
    expect(elementCount([])).toBe(1n);
    expect(elementCount([2n, 3n, 4n])).toBe(24n);
    expect(elementCount([5n, 0n])).toBe(0n);
    expect(elementCount([2n ** 40n, 2n ** 30n])).toBe(2n ** 70n);
  });

  it('throws MODEL_INVALID on a negative dim', () => {
    try {
      elementCount([2n, -1n]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StudioError);
      expect((error as StudioError).code).toBe('MODEL_INVALID');
      expect((error as StudioError).message).toContain('[2, -1]');
    }
  });
});

describe('isFloatDtype', () => {
  it('is true for the float types weights are stored in, not for 8-bit floats or integers', () => {
    for (const t of [DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]) {
      expect(isFloatDtype(t)).toBe(true);
    }
    for (const t of [DataType.FLOAT8E4M3FN, DataType.INT8, DataType.INT64, DataType.UNDEFINED]) {
      expect(isFloatDtype(t)).toBe(false);
    }
  });
});
