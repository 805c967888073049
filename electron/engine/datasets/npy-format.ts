import type { DatasetDtype } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { dtypeBytes } from './element-convert.js';

/*
 * The NumPy `.npy` format (numpy.lib.format, versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version,
 * a little-endian header length (2 bytes in 1.0, 4 bytes after), then an ASCII (3.0: UTF-8) Python dict
 * literal `{'descr': '<f4', 'fortran_order': False, 'shape': (360, 1, 8, 8), }` padded with spaces and a
 * newline so that the data starts at a multiple of 64 bytes. The data follows as one contiguous block.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The longest header accepted; numpy itself refuses headers over 10,000 bytes unless told otherwise. */
const MAX_HEADER_BYTES = 1 << 20;

/** npy type codes (without byte order) -> dataset dtype. */
const NPY_TYPES: Record<string, DatasetDtype> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};

export interface NpyHeader {
  dtype: DatasetDtype;
  /** Byte order of the elements (single-byte types report true). */
  littleEndian: boolean;
  shape: number[];
  /** Offset of the first data byte from the start of the `.npy` (header included). */
  dataOffset: number;
  /** Bytes of data the header promises: element count times element size. */
  dataBytes: number;
}

/** Bytes needed to know the whole header's length: magic (6), version (2) and a 4-byte length (2.0+). */
export const NPY_PREFIX_BYTES = 12;

/**
 * The total header length (data offset) from the first bytes of a `.npy`, or an error naming `label` when
 * they are not a `.npy` prefix. `prefix` must hold at least 10 bytes (12 for versions 2 and 3).
 */
export function npyHeaderLength(prefix: Uint8Array, label: string): number {
  if (prefix.length < 10 || MAGIC.some((b, i) => prefix[i] !== b)) {
    throw new StudioError('BAD_REQUEST', `${label} is not a .npy file (it does not start with \\x93NUMPY). Save arrays with numpy.save.`);
  }
  const major = prefix[6]!;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let length: number;
  if (major === 1) length = 10 + view.getUint16(8, true);
  else if (major === 2 || major === 3) {
    if (prefix.length < 12) throw new StudioError('BAD_REQUEST', `${label} is truncated inside its .npy header.`);
    length = 12 + view.getUint32(8, true);
  } else {
    throw new StudioError('BAD_REQUEST', `${label} is .npy format version ${major}.${prefix[7]}, which ONNX Studio cannot read (1.0 to 3.0 are supported).`);
  }
  if (length > MAX_HEADER_BYTES) throw new StudioError('BAD_REQUEST', `${label} claims a ${length}-byte .npy header; the file is corrupt.`);
  return length;
}

/** Parses a whole `.npy` header (`bytes` holds at least `npyHeaderLength` bytes). */
export function parseNpyHeader(bytes: Uint8Array, label: string): NpyHeader {
  const dataOffset = npyHeaderLength(bytes, label);
  if (bytes.length < dataOffset) throw new StudioError('BAD_REQUEST', `${label} is truncated inside its .npy header.`);
  const start = bytes[6] === 1 ? 10 : 12;
  const text = new TextDecoder(bytes[6] === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  const bad = (what: string) => new StudioError('BAD_REQUEST', `${label} has an unreadable .npy header (${what}): ${text.trim()}`);

  const descrMatch = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) {
      throw new StudioError('BAD_REQUEST', `${label} holds a structured (record) array; save one plain numeric array per input instead.`);
    }
    throw bad('no descr');
  }
  const descr = descrMatch[2]!;
  const order = descr[0] ?? '';
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  const dtype = NPY_TYPES[code === '?' ? 'b1' : code];
  if (!dtype) {
    throw new StudioError(
      'BAD_REQUEST',
      `${label} holds '${descr}' data; ONNX Studio reads float16/32/64, int8/16/32/64, uint8/16/32/64 and bool arrays. ` +
        `Convert it, e.g. with arr.astype(numpy.float32).`,
    );
  }
  const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const littleEndian = order === '>' ? false : order === '=' ? hostLittle : true;

  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw bad('no fortran_order');
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) throw bad('no shape');
  const parts = shapeMatch[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.some((p) => !/^\d+L?$/.test(p))) throw bad('shape is not a tuple of integers');
  const shape = parts.map((p) => Number.parseInt(p, 10));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw bad('a dimension is too large');
  if (fortran[1] === 'True' && shape.filter((d) => d > 1).length > 1) {
    throw new StudioError(
      'BAD_REQUEST',
      `${label} is stored in Fortran (column-major) order, which ONNX Studio does not read. ` +
        `Re-save it in C order: numpy.save(path, numpy.ascontiguousarray(arr)).`,
    );
  }
  const elements = shape.reduce((a, b) => a * b, 1);
  const dataBytes = elements * dtypeBytes(dtype);
  if (!Number.isSafeInteger(dataBytes)) throw bad('the array is impossibly large');
  return { dtype, littleEndian, shape, dataOffset, dataBytes };
}

/** npy `descr` for a dtype in the given byte order. */
export function npyDescr(dtype: DatasetDtype, littleEndian = true): string {
  const code = Object.entries(NPY_TYPES).find(([, t]) => t === dtype)![0];
  if (dtypeBytes(dtype) === 1) return `|${code}`;
  return `${littleEndian ? '<' : '>'}${code}`;
}

/**
 * A `.npy` (format 1.0) for `data` (raw element bytes in the byte order `descr` says), as numpy.save writes
 * it. Used by tests to make fixtures, and to write arrays for users.
 */
export function encodeNpy(data: Uint8Array, shape: readonly number[], descr: string, fortranOrder = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}

/** A `.npy` of a typed array in host (little-endian) order; float16 arrays are Uint16Array bit patterns. */
export function encodeNpyArray(array: ArrayBufferView, dtype: DatasetDtype, shape: readonly number[]): Uint8Array {
  return encodeNpy(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), shape, npyDescr(dtype));
}
