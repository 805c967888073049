/**
 * int4 / uint4 packing as ONNX stores it: two elements per byte, the first element in the low
 * nibble and the second in the high nibble; an odd count leaves the last high nibble zero.
 */

/** Bytes needed for `count` packed 4-bit elements. */
export function packedInt4ByteLength(count: number): number {
  return Math.ceil(count / 2);
}

function packNibbles(values: ArrayLike<number>, min: number, max: number, out?: Uint8Array): Uint8Array {
  const n = values.length;
  const byteLength = packedInt4ByteLength(n);
  let dst: Uint8Array;
  if (out === undefined) {
    dst = new Uint8Array(byteLength);
  } else {
    if (out.length !== byteLength) {
      throw new RangeError(`Output has ${out.length} bytes, expected ${byteLength} for ${n} 4-bit values.`);
    }
    dst = out;
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v >= min && v <= max && (v | 0) === v)) {
      throw new RangeError(`Value ${v} at index ${i} is not an integer in [${min}, ${max}].`);
    }
    const j = i >> 1;
    if ((i & 1) === 0) dst[j] = v & 0x0f;
    else dst[j] = dst[j]! | ((v & 0x0f) << 4);
  }
  return dst;
}

function checkPackedLength(packed: ArrayLike<number>, count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`Invalid element count ${count}.`);
  const need = packedInt4ByteLength(count);
  if (packed.length < need) {
    throw new RangeError(`${count} 4-bit values need ${need} bytes, got ${packed.length}.`);
  }
}

/** Packs int4 values (integers in [-8, 7]) two per byte. Throws RangeError on a value out of range. */
export function packInt4(values: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  return packNibbles(values, -8, 7, out);
}

/** Packs uint4 values (integers in [0, 15]) two per byte. Throws RangeError on a value out of range. */
export function packUint4(values: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  return packNibbles(values, 0, 15, out);
}

/**
 * Unpacks `count` sign-extended int4 values from `packed` (bytes 0..255; a `Uint8Array` or the
 * entries of `int32_data`). Throws RangeError when `packed` is too short.
 */
export function unpackInt4(packed: ArrayLike<number>, count: number, out?: Int8Array): Int8Array {
  checkPackedLength(packed, count);
  const dst = out ?? new Int8Array(count);
  if (dst.length !== count) throw new RangeError(`Output has ${dst.length} elements, expected ${count}.`);
  for (let i = 0; i < count; i++) {
    const byte = packed[i >> 1]!;
    const nibble = (i & 1) === 0 ? byte & 0x0f : (byte >> 4) & 0x0f;
    dst[i] = (nibble ^ 8) - 8;
  }
  return dst;
}

/** Unpacks `count` uint4 values from `packed`. Throws RangeError when `packed` is too short. */
export function unpackUint4(packed: ArrayLike<number>, count: number, out?: Uint8Array): Uint8Array {
  checkPackedLength(packed, count);
  const dst = out ?? new Uint8Array(count);
  if (dst.length !== count) throw new RangeError(`Output has ${dst.length} elements, expected ${count}.`);
  for (let i = 0; i < count; i++) {
    const byte = packed[i >> 1]!;
    dst[i] = (i & 1) === 0 ? byte & 0x0f : (byte >> 4) & 0x0f;
  }
  return dst;
}
