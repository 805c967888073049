import { describe, expect, it } from 'vitest';
import { packedInt4ByteLength, packInt4, packUint4, unpackInt4, unpackUint4 } from './packed-int.js';

const INT4_ALL = [-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7];

describe('int4', () => {
  it('packs -8..7 low nibble first', () => {
    expect(Array.from(packInt4(INT4_ALL))).toEqual([0x98, 0xba, 0xdc, 0xfe, 0x10, 0x32, 0x54, 0x76]);
  });

  it('unpacks with sign extension', () => {
    const unpacked = unpackInt4(new Uint8Array([0x98, 0xba, 0xdc, 0xfe, 0x10, 0x32, 0x54, 0x76]), 16);
    expect(unpacked).toBeInstanceOf(Int8Array);
    expect(Array.from(unpacked)).toEqual(INT4_ALL);
  });

  it('pads an odd count with a zero high nibble', () => {
    expect(Array.from(packInt4([-1, 2, -8]))).toEqual([0x2f, 0x08]);
    expect(Array.from(packInt4([-1]))).toEqual([0x0f]);
    expect(Array.from(unpackInt4(new Uint8Array([0x2f, 0x08]), 3))).toEqual([-1, 2, -8]);
    // The padding nibble is ignored even when it is not zero.
    expect(Array.from(unpackInt4(new Uint8Array([0xf7]), 1))).toEqual([7]);
  });

  it('handles empty input', () => {
    expect(packInt4([]).length).toBe(0);
    expect(unpackInt4(new Uint8Array(0), 0).length).toBe(0);
  });

  it('unpacks from int32_data style numbers', () => {
    expect(Array.from(unpackInt4([0x98, 0x7f], 4))).toEqual([-8, -7, -1, 7]);
  });

  it('rejects values out of range or non-integers', () => {
    expect(() => packInt4([8])).toThrow(RangeError);
    expect(() => packInt4([-9])).toThrow(RangeError);
    expect(() => packInt4([0.5])).toThrow(RangeError);
    expect(() => packInt4([NaN])).toThrow(RangeError);
  });

  it('rejects a packed buffer that is too short', () => {
    expect(() => unpackInt4(new Uint8Array(1), 3)).toThrow(RangeError);
  });

  it('writes into a given output buffer, overwriting old content', () => {
    const out = new Uint8Array([0xff, 0xff]);
    expect(packInt4([1, 2, 3], out)).toBe(out);
    expect(Array.from(out)).toEqual([0x21, 0x03]);
    expect(() => packInt4([1, 2, 3], new Uint8Array(3))).toThrow(RangeError);
  });
});

describe('uint4', () => {
  it('round-trips 0..15', () => {
    const values = Array.from({ length: 16 }, (_, i) => i);
    const packed = packUint4(values);
    expect(Array.from(packed)).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    const unpacked = unpackUint4(packed, 16);
    expect(unpacked).toBeInstanceOf(Uint8Array);
    expect(Array.from(unpacked)).toEqual(values);
  });

  it('handles odd lengths', () => {
    expect(Array.from(packUint4([15, 0, 9]))).toEqual([0x0f, 0x09]);
    expect(Array.from(unpackUint4(new Uint8Array([0x0f, 0x09]), 3))).toEqual([15, 0, 9]);
  });

  it('rejects values out of range', () => {
    expect(() => packUint4([16])).toThrow(RangeError);
    expect(() => packUint4([-1])).toThrow(RangeError);
  });
});

describe('packedInt4ByteLength', () => {
  it('rounds up', () => {
    expect([0, 1, 2, 3, 4].map(packedInt4ByteLength)).toEqual([0, 1, 1, 2, 2]);
  });
});
