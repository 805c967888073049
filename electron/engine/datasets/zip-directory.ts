import type fs from 'node:fs';
import { StudioError } from '../errors.js';

/*
 * Just enough of the ZIP format (APPNOTE.TXT) to read `.npz` files: the end-of-central-directory record
 * (with its ZIP64 variant, which numpy writes for large arrays), the central directory entries, and each
 * entry's local header to find where its data starts. Entries are stored (method 0) or deflated (method 8);
 * numpy's savez and savez_compressed write nothing else.
 */

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Absolute file offset of the entry's (possibly compressed) data. */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function readAt(handle: fs.promises.FileHandle, position: number, length: number): Promise<DataView> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return new DataView(buffer.buffer, buffer.byteOffset, bytesRead);
}

function u64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('64-bit zip field too large');
  return Number(value);
}

/** Lists a zip file's entries (with their data offsets) from its central directory. */
export async function readZipDirectory(handle: fs.promises.FileHandle, fileSize: number, label: string): Promise<ZipEntry[]> {
  const corrupt = (what: string) =>
    new StudioError('BAD_REQUEST', `${label} is not a readable .npz (zip) file: ${what}. Re-save it with numpy.savez.`);
  try {
    // The end record is 22 bytes plus a comment of up to 65535 bytes, at the very end of the file.
    const tailLength = Math.min(fileSize, 22 + 0xffff);
    const tailStart = fileSize - tailLength;
    const tail = await readAt(handle, tailStart, tailLength);
    let eocd = -1;
    for (let i = tail.byteLength - 22; i >= 0; i--) {
      if (tail.getUint32(i, true) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt('no end-of-central-directory record');
    let entries = tail.getUint16(eocd + 10, true);
    let cdSize = tail.getUint32(eocd + 12, true);
    let cdOffset = tail.getUint32(eocd + 16, true);
    if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locatorAt = eocd - 20;
      if (locatorAt < 0 || tail.getUint32(locatorAt, true) !== ZIP64_LOCATOR) throw corrupt('missing ZIP64 locator');
      const zip64At = u64(tail, locatorAt + 8);
      const record = await readAt(handle, zip64At, 56);
      if (record.byteLength < 56 || record.getUint32(0, true) !== ZIP64_EOCD) throw corrupt('bad ZIP64 end record');
      entries = u64(record, 32);
      cdSize = u64(record, 40);
      cdOffset = u64(record, 48);
    }
    if (cdOffset + cdSize > fileSize) throw corrupt('the central directory lies past the end of the file');
    if (cdSize > 64 * 1024 * 1024) throw corrupt('the central directory is implausibly large');
    const cd = await readAt(handle, cdOffset, cdSize);
    const out: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (p + 46 > cd.byteLength || cd.getUint32(p, true) !== CENTRAL) throw corrupt('bad central directory entry');
      const flags = cd.getUint16(p + 8, true);
      const method = cd.getUint16(p + 10, true);
      const crc32 = cd.getUint32(p + 16, true);
      let compressedSize = cd.getUint32(p + 20, true);
      let uncompressedSize = cd.getUint32(p + 24, true);
      const nameLength = cd.getUint16(p + 28, true);
      const extraLength = cd.getUint16(p + 30, true);
      const commentLength = cd.getUint16(p + 32, true);
      let localOffset = cd.getUint32(p + 42, true);
      const nameBytes = new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLength);
      const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(nameBytes);
      // ZIP64 extended information: the 64-bit values of exactly the fields that hold 0xffffffff, in order.
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      while (e + 4 <= extraEnd) {
        const id = cd.getUint16(e, true);
        const size = cd.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncompressedSize === 0xffffffff) {
            uncompressedSize = u64(cd, q);
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = u64(cd, q);
            q += 8;
          }
          if (localOffset === 0xffffffff) localOffset = u64(cd, q);
        }
        e += 4 + size;
      }
      if (flags & 0x1) throw new StudioError('BAD_REQUEST', `${label}: entry '${name}' is encrypted; ONNX Studio reads unencrypted .npz files only.`);
      if (method !== 0 && method !== 8) {
        throw new StudioError(
          'BAD_REQUEST',
          `${label}: entry '${name}' uses zip compression method ${method}; only stored and deflate entries (numpy.savez / savez_compressed) are supported.`,
        );
      }
      const local = await readAt(handle, localOffset, 30);
      if (local.byteLength < 30 || local.getUint32(0, true) !== LOCAL) throw corrupt(`bad local header for '${name}'`);
      const dataOffset = localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
      if (dataOffset + compressedSize > fileSize) throw corrupt(`entry '${name}' lies past the end of the file`);
      out.push({ name, method, crc32, compressedSize, uncompressedSize, dataOffset });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return out;
  } catch (error) {
    if (error instanceof StudioError) throw error;
    throw corrupt((error as Error).message);
  }
}
