import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType as DataType,
  TensorProtoSchema,
} from 'onnx-buf';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StudioError } from '../errors.js';
import {
  decodeTensor,
  decodeToFloat32,
  encodeTensor,
  type TensorArray,
  tensorByteSize,
} from './tensor-codec.js';

type TensorInit = MessageInitShape<typeof TensorProtoSchema>;

interface Case {
  dataType: DataType;
  ctor: { new (length: number): unknown; name: string };
  values: readonly (number | bigint)[];
  /** The little-endian raw_data bytes, written out by hand. */
  raw: number[];
  /** The same data in the typed field. */
  field: TensorInit;
}

const CASES: Case[] = [
  {
    dataType: DataType.FLOAT,
    ctor: Float32Array,
    values: [1, -2.5, 65536],
    raw: [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, 0x00, 0x00, 0x80, 0x47],
    field: { floatData: [1, -2.5, 65536] },
  },
  {
    dataType: DataType.DOUBLE,
    ctor: Float64Array,
    values: [1, -2, 0.1],
    raw: [
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x9a,
      0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
    ],
    field: { doubleData: [1, -2, 0.1] },
  },
  {
    dataType: DataType.FLOAT16,
    ctor: Uint16Array,
    values: [0x3c00, 0xc000, 0x7bff],
    raw: [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b],
    field: { int32Data: [0x3c00, 0xc000, 0x7bff] },
  },
  {
    dataType: DataType.BFLOAT16,
    ctor: Uint16Array,
    values: [0x3f80, 0xbf80, 0x4049],
    raw: [0x80, 0x3f, 0x80, 0xbf, 0x49, 0x40],
    field: { int32Data: [0x3f80, 0xbf80, 0x4049] },
  },
  {
    dataType: DataType.INT8,
    ctor: Int8Array,
    values: [-128, -1, 127],
    raw: [0x80, 0xff, 0x7f],
    field: { int32Data: [-128, -1, 127] },
  },
  {
    dataType: DataType.UINT8,
    ctor: Uint8Array,
    values: [0, 128, 255],
    raw: [0x00, 0x80, 0xff],
    field: { int32Data: [0, 128, 255] },
  },
  {
    dataType: DataType.BOOL,
    ctor: Uint8Array,
    values: [1, 0, 1],
    raw: [0x01, 0x00, 0x01],
    field: { int32Data: [1, 0, 1] },
  },
  {
    dataType: DataType.INT16,
    ctor: Int16Array,
    values: [-32768, -2, 32767],
    raw: [0x00, 0x80, 0xfe, 0xff, 0xff, 0x7f],
    field: { int32Data: [-32768, -2, 32767] },
  },
  {
    dataType: DataType.UINT16,
    ctor: Uint16Array,
    values: [0, 0x8001, 0xffff],
    raw: [0x00, 0x00, 0x01, 0x80, 0xff, 0xff],
    field: { int32Data: [0, 0x8001, 0xffff] },
  },
  {
    dataType: DataType.INT32,
    ctor: Int32Array,
    values: [-2147483648, -3, 0x01020304],
    raw: [0x00, 0x00, 0x00, 0x80, 0xfd, 0xff, 0xff, 0xff, 0x04, 0x03, 0x02, 0x01],
    field: { int32Data: [-2147483648, -3, 0x01020304] },
  },
  {
    dataType: DataType.UINT32,
    ctor: Uint32Array,
    values: [0, 0x80000001, 0xffffffff],
    raw: [0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff],
    field: { uint64Data: [0n, 0x80000001n, 0xffffffffn] },
  },
  {
    dataType: DataType.INT64,
    ctor: BigInt64Array,
    values: [-(2n ** 63n), -5n, 0x0102030405060708n],
    raw: [
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x08,
      0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    ],
    field: { int64Data: [-(2n ** 63n), -5n, 0x0102030405060708n] },
  },
  {
    dataType: DataType.UINT64,
    ctor: BigUint64Array,
    values: [0n, 2n ** 63n + 1n, 2n ** 64n - 1n],
    raw: [
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ],
    field: { uint64Data: [0n, 2n ** 63n + 1n, 2n ** 64n - 1n] },
  },
  {
    dataType: DataType.INT4,
    ctor: Int8Array,
    values: [-8, 7, -1],
    raw: [0x78, 0x0f],
    field: { int32Data: [0x78, 0x0f] },
  },
  {
    dataType: DataType.UINT4,
    ctor: Uint8Array,
    values: [15, 0, 9],
    raw: [0x0f, 0x09],
    field: { int32Data: [0x0f, 0x09] },
  },
];

/** Decoded values as a plain array, for `toEqual`. */
const list = (values: TensorArray): unknown[] => Array.from(values as ArrayLike<unknown>);

function tensor(init: TensorInit): TensorProto {
  return create(TensorProtoSchema, { name: 'w', dims: [3n], ...init });
}

/** `bytes` copied to a buffer at `offset`, returned as a subarray starting there. */
function at(bytes: number[], offset: number): Uint8Array<ArrayBuffer> {
  const buffer = new Uint8Array(bytes.length + offset + 3);
  buffer.set(bytes, offset);
  return buffer.subarray(offset, offset + bytes.length);
}

function studioError(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StudioError) return error;
    throw error;
  }
  throw new Error('expected a StudioError');
}

const caseName = (c: Case): string => DataType[c.dataType];

describe('decodeTensor', () => {
  describe.each(CASES.map((c) => [caseName(c), c] as const))('%s', (_, c) => {
    it('decodes raw_data', () => {
      const decoded = decodeTensor(tensor({ dataType: c.dataType, rawData: at(c.raw, 0) }));
      expect(decoded.dataType).toBe(c.dataType);
      expect(decoded.dims).toEqual([3]);
      expect(decoded.values).toBeInstanceOf(c.ctor);
      expect(list(decoded.values)).toEqual(c.values);
    });

    it('decodes the typed field', () => {
      const decoded = decodeTensor(tensor({ dataType: c.dataType, ...c.field }));
      expect(decoded.values).toBeInstanceOf(c.ctor);
      expect(list(decoded.values)).toEqual(c.values);
    });

    it('decodes unaligned raw_data into a fresh aligned array', () => {
      const rawData = at(c.raw, 1);
      expect(rawData.byteOffset).toBe(1);
      const { values } = decodeTensor(tensor({ dataType: c.dataType, rawData }));
      expect(values).toBeInstanceOf(c.ctor);
      expect(list(values)).toEqual(c.values);
    });

    it('decodes external bytes', () => {
      const t = tensor({ dataType: c.dataType, dataLocation: TensorProto_DataLocation.EXTERNAL });
      const { values } = decodeTensor(t, Buffer.from(c.raw));
      expect(list(values)).toEqual(c.values);
    });

    it('rejects raw_data one byte short', () => {
      const error = studioError(() =>
        decodeTensor(tensor({ dataType: c.dataType, rawData: at(c.raw.slice(1), 0) })),
      );
      expect(error.code).toBe('MODEL_INVALID');
      expect(error.message).toContain('"w"');
      expect(error.message).toContain(`needs ${c.raw.length} bytes`);
      expect(error.message).toContain(`raw_data holds ${c.raw.length - 1} bytes`);
    });

    it('round-trips through encodeTensor and protobuf serialization', () => {
      const encoded = encodeTensor('w', c.dataType, [1, 3n], c.values as ArrayLike<number>);
      expect(encoded.name).toBe('w');
      expect(encoded.dataType).toBe(c.dataType);
      expect(encoded.dims).toEqual([1n, 3n]);
      expect(Array.from(encoded.rawData)).toEqual(c.raw);
      const reparsed = fromBinary(TensorProtoSchema, toBinary(TensorProtoSchema, encoded));
      const decoded = decodeTensor(reparsed);
      expect(decoded.dims).toEqual([1, 3]);
      expect(decoded.values).toBeInstanceOf(c.ctor);
      expect(list(decoded.values)).toEqual(c.values);
      // And back again from the decoded typed array.
      const again = encodeTensor('w', c.dataType, decoded.dims, decoded.values as ArrayLike<number>);
      expect(Array.from(again.rawData)).toEqual(c.raw);
    });

    it('reports the raw size', () => {
      expect(tensorByteSize(tensor({ dataType: c.dataType, rawData: at(c.raw, 0) }))).toBe(c.raw.length);
      expect(tensorByteSize(tensor({ dataType: c.dataType, ...c.field }))).toBe(c.raw.length);
    });
  });

  it('returns a view of aligned raw_data and a copy of unaligned raw_data', () => {
    const aligned = at([0, 0, 0x80, 0x3f], 4);
    const view = decodeTensor(tensor({ dims: [1n], dataType: DataType.FLOAT, rawData: aligned }));
    aligned[3] = 0x40; // 0x40800000 = 4.0
    expect(list(view.values)).toEqual([4]);

    const unaligned = at([0, 0, 0x80, 0x3f], 2);
    const copy = decodeTensor(tensor({ dims: [1n], dataType: DataType.FLOAT, rawData: unaligned }));
    expect((copy.values as Float32Array).byteOffset % 4).toBe(0);
    unaligned[3] = 0x40;
    expect(list(copy.values)).toEqual([1]);
  });

  it('copies an unaligned Node Buffer instead of aliasing its pool', () => {
    const pool = Buffer.from([9, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const external = pool.subarray(1, 9);
    const t = tensor({
      dims: [2n],
      dataType: DataType.FLOAT,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
    });
    const { values } = decodeTensor(t, external);
    expect(list(values)).toEqual([1, 2]);
    pool[4] = 0;
    expect(list(values)).toEqual([1, 2]);
  });

  it('decodes float16 from int32_data written as sign-extended int16', () => {
    const { values } = decodeTensor(tensor({ dataType: DataType.FLOAT16, int32Data: [-16384, 0x3c00, -1] }));
    expect(list(values)).toEqual([0xc000, 0x3c00, 0xffff]);
  });

  it('decodes scalars and empty tensors', () => {
    const scalar = decodeTensor(tensor({ dims: [], dataType: DataType.INT32, int32Data: [42] }));
    expect(scalar.dims).toEqual([]);
    expect(list(scalar.values)).toEqual([42]);
    const empty = decodeTensor(tensor({ dims: [0n, 4n], dataType: DataType.FLOAT }));
    expect(empty.dims).toEqual([0, 4]);
    expect(empty.values).toBeInstanceOf(Float32Array);
    expect(empty.values.length).toBe(0);
  });

  it('decodes strings as UTF-8', () => {
    const enc = new TextEncoder();
    const t = tensor({
      dataType: DataType.STRING,
      stringData: [enc.encode('héllo'), enc.encode(''), enc.encode('日本語')],
    });
    expect(decodeTensor(t).values).toEqual(['héllo', '', '日本語']);
    expect(tensorByteSize(t)).toBe(6 + 0 + 9);
  });

  it('rejects a string count that does not match dims', () => {
    const t = tensor({ dataType: DataType.STRING, stringData: [new Uint8Array([0x61])] });
    const error = studioError(() => decodeTensor(t));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain('needs 3 strings, but string_data holds 1');
  });

  it('names the typed field and its byte count when it has the wrong length', () => {
    const error = studioError(() => decodeTensor(tensor({ dataType: DataType.FLOAT, floatData: [1, 2] })));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toBe(
      'Tensor "w" (float32, dims [3], 3 elements) needs 12 bytes of data, but float_data (2 entries) holds 8 bytes.',
    );
  });

  it('rejects data in neither place', () => {
    const error = studioError(() => decodeTensor(tensor({ dataType: DataType.INT64 })));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain('needs 24 bytes');
    expect(error.message).toContain('holds 0 bytes');
  });

  it('rejects int4 data of the wrong packed length', () => {
    const error = studioError(() =>
      decodeTensor(tensor({ dataType: DataType.INT4, rawData: at([0x78], 0) })),
    );
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain('needs 2 bytes of data, but raw_data holds 1 bytes');
  });

  it('rejects int32_data values out of range for the type', () => {
    const error = studioError(() =>
      decodeTensor(tensor({ dataType: DataType.INT8, int32Data: [1, 200, 3] })),
    );
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain('int32_data[1] = 200 is out of range for int8');
    const u32 = studioError(() =>
      decodeTensor(tensor({ dataType: DataType.UINT32, uint64Data: [1n, 2n, 2n ** 32n] })),
    );
    expect(u32.code).toBe('MODEL_INVALID');
  });

  it('rejects negative and oversized dims', () => {
    const negative = studioError(() =>
      decodeTensor(tensor({ dims: [-1n], dataType: DataType.FLOAT, rawData: at([0, 0, 0, 0], 0) })),
    );
    expect(negative.code).toBe('MODEL_INVALID');
    expect(negative.message).toContain('negative');
    const huge = studioError(() => decodeTensor(tensor({ dims: [2n ** 53n, 0n], dataType: DataType.FLOAT })));
    expect(huge.code).toBe('MODEL_INVALID');
    expect(huge.message).toContain('too large');
  });

  it.each([
    [DataType.COMPLEX64, 'complex64'],
    [DataType.COMPLEX128, 'complex128'],
    [DataType.FLOAT8E4M3FN, 'float8e4m3fn'],
    [DataType.FLOAT4E2M1, 'float4e2m1'],
    [DataType.INT2, 'int2'],
    [DataType.UNDEFINED, 'undefined'],
    [99, 'dtype(99)'],
  ])('refuses data type %d', (dataType, name) => {
    const error = studioError(() => decodeTensor(tensor({ dataType, rawData: new Uint8Array(24) })));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe(`Tensor "w" has data type ${name}, which is not supported for decoding.`);
  });

  it('requires external bytes exactly for external tensors', () => {
    const external = tensor({ dataType: DataType.FLOAT, dataLocation: TensorProto_DataLocation.EXTERNAL });
    expect(studioError(() => decodeTensor(external)).code).toBe('BAD_REQUEST');
    const inline = tensor({ dataType: DataType.FLOAT, floatData: [1, 2, 3] });
    expect(studioError(() => decodeTensor(inline, new Uint8Array(12))).code).toBe('BAD_REQUEST');
    const short = studioError(() => decodeTensor(external, new Uint8Array(8)));
    expect(short.code).toBe('MODEL_INVALID');
    expect(short.message).toContain('the external data holds 8 bytes');
  });

  it('refuses segmented tensors', () => {
    const t = tensor({ dataType: DataType.FLOAT, floatData: [1, 2, 3], segment: { begin: 0n, end: 3n } });
    expect(studioError(() => decodeTensor(t)).code).toBe('BAD_REQUEST');
  });
});

describe('decodeToFloat32', () => {
  it('widens float16 and bfloat16 exactly', () => {
    const f16 = decodeToFloat32(
      tensor({ dataType: DataType.FLOAT16, rawData: at([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00], 1) }),
    );
    expect(f16).toBeInstanceOf(Float32Array);
    expect(Array.from(f16)).toEqual([1, -2, 2 ** -24]);
    const bf16 = decodeToFloat32(
      tensor({ dataType: DataType.BFLOAT16, int32Data: [0x3f80, 0xc049, 0x7f80] }),
    );
    expect(Array.from(bf16)).toEqual([1, -3.140625, Infinity]);
  });

  it('rounds float64 to float32', () => {
    const values = decodeToFloat32(tensor({ dataType: DataType.DOUBLE, doubleData: [0.1, 1e300, -1] }));
    expect(Array.from(values)).toEqual([Math.fround(0.1), Infinity, -1]);
  });

  it('returns float32 data as is', () => {
    const values = decodeToFloat32(tensor({ dataType: DataType.FLOAT, floatData: [0.5, 1.5, -3] }));
    expect(Array.from(values)).toEqual([0.5, 1.5, -3]);
  });

  it('refuses non-float types', () => {
    const error = studioError(() =>
      decodeToFloat32(tensor({ dataType: DataType.INT8, int32Data: [1, 2, 3] })),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('int8');
  });
});

describe('encodeTensor', () => {
  it('writes strings to string_data', () => {
    const t = encodeTensor('s', DataType.STRING, [2], ['a', 'é']);
    expect(t.rawData.length).toBe(0);
    expect(t.stringData.map((b) => Array.from(b))).toEqual([[0x61], [0xc3, 0xa9]]);
    expect(decodeTensor(fromBinary(TensorProtoSchema, toBinary(TensorProtoSchema, t))).values).toEqual([
      'a',
      'é',
    ]);
  });

  it('accepts plain numbers for int64 and uint64', () => {
    const t = encodeTensor('i', DataType.INT64, [2], [-1, 2 ** 40]);
    expect(list(decodeTensor(t).values)).toEqual([-1n, 2n ** 40n]);
    const u = encodeTensor('u', DataType.UINT64, [1], [7]);
    expect(list(decodeTensor(u).values)).toEqual([7n]);
  });

  it('normalizes bool values to 0 and 1', () => {
    const t = encodeTensor('b', DataType.BOOL, [4], [2, 0, -1, 1]);
    expect(Array.from(t.rawData)).toEqual([1, 0, 1, 1]);
  });

  it('converts between numeric array kinds', () => {
    const t = encodeTensor('f', DataType.FLOAT, [2], new Float64Array([0.1, 2]));
    expect(list(decodeTensor(t).values)).toEqual([Math.fround(0.1), 2]);
    const i = encodeTensor('i', DataType.INT16, [2], new Int32Array([-5, 300]));
    expect(Array.from(i.rawData)).toEqual([0xfb, 0xff, 0x2c, 0x01]);
  });

  it('encodes an empty tensor', () => {
    const t = encodeTensor('e', DataType.FLOAT, [0, 5], []);
    expect(t.dims).toEqual([0n, 5n]);
    expect(t.rawData.length).toBe(0);
    expect(decodeTensor(t).values.length).toBe(0);
  });

  it('rejects a value count that does not match dims', () => {
    const error = studioError(() => encodeTensor('x', DataType.FLOAT, [2, 3], [1, 2, 3]));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe('Tensor "x" has dims [2, 3] (6 elements) but 3 values were given.');
  });

  it.each([
    [DataType.INT8, [128]],
    [DataType.UINT8, [-1]],
    [DataType.INT32, [1.5]],
    [DataType.UINT16, [65536]],
    [DataType.FLOAT16, [0x10000]],
    [DataType.INT4, [8]],
    [DataType.UINT4, [16]],
    [DataType.INT64, [2n ** 63n]],
    [DataType.UINT64, [-1n]],
    [DataType.INT64, [0.5]],
    [DataType.FLOAT, [1n]],
    [DataType.STRING, [1]],
  ])('rejects a value that does not fit data type %d', (dataType, values) => {
    const error = studioError(() => encodeTensor('x', dataType, [1], values as ArrayLike<number>));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('at index 0 is not a valid');
  });

  it('rejects bad dims and unsupported types', () => {
    expect(studioError(() => encodeTensor('x', DataType.FLOAT, [-1], [])).code).toBe('BAD_REQUEST');
    expect(studioError(() => encodeTensor('x', DataType.FLOAT, [1.5], [])).code).toBe('BAD_REQUEST');
    const error = studioError(() => encodeTensor('x', DataType.COMPLEX64, [1], [1]));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('complex64, which is not supported for encoding');
  });
});

describe('tensorByteSize', () => {
  it('uses the external length entry or the dims', () => {
    const withLength = tensor({
      dataType: DataType.FLOAT,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: 'w.bin' },
        { key: 'length', value: '1024' },
      ],
    });
    expect(tensorByteSize(withLength)).toBe(1024);
    const withoutLength = tensor({
      dims: [2n, 3n],
      dataType: DataType.FLOAT16,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'w.bin' }],
    });
    expect(tensorByteSize(withoutLength)).toBe(12);
    const int4 = tensor({
      dims: [5n],
      dataType: DataType.INT4,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
    });
    expect(tensorByteSize(int4)).toBe(3);
  });

  it('rejects a malformed length entry', () => {
    const t = tensor({
      dataType: DataType.FLOAT,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [{ key: 'length', value: '12abc' }],
    });
    expect(studioError(() => tensorByteSize(t)).code).toBe('MODEL_INVALID');
  });

  it('counts one byte per int32_data entry for float8', () => {
    expect(tensorByteSize(tensor({ dataType: DataType.FLOAT8E4M3FN, int32Data: [1, 2, 3] }))).toBe(3);
  });
});

describe('on a big-endian host', () => {
  afterEach(() => {
    vi.doUnmock('node:os');
    vi.resetModules();
  });

  it('byte-swaps when reading and writing', async () => {
    vi.resetModules();
    vi.doMock('node:os', async (importOriginal) => ({
      ...(await importOriginal<typeof import('node:os')>()),
      endianness: (): 'BE' => 'BE',
    }));
    const codec = await import('./tensor-codec.js');
    // This host is really little-endian, so a byte-swapped view reads the big-endian reading of
    // the bytes: that proves the swap happens (on a real big-endian host it yields the LE value).
    const t = tensor({ dims: [2n], dataType: DataType.UINT16, rawData: at([0x01, 0x02, 0x03, 0x04], 0) });
    expect(list(codec.decodeTensor(t).values)).toEqual([0x0102, 0x0304]);
    const encoded = codec.encodeTensor('w', DataType.UINT32, [1], [0x01020304]);
    expect(Array.from(encoded.rawData)).toEqual([0x01, 0x02, 0x03, 0x04]);
    // Single bytes are never swapped.
    const bytes = tensor({ dims: [2n], dataType: DataType.INT8, rawData: at([0x01, 0xff], 0) });
    expect(list(codec.decodeTensor(bytes).values)).toEqual([1, -1]);
  });
});
