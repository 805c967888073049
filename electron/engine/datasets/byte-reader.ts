import fs from 'node:fs';
import zlib from 'node:zlib';
import { StudioError } from '../errors.js';

/**
 * Sequential reading of a byte range in pieces of the caller's choosing, so arrays are read a batch of
 * samples at a time instead of whole. Plain files (and stored zip entries) are read with positional reads
 * on one file handle; deflated zip entries are inflated as a stream with bounded buffering.
 */
export interface ByteReader {
  /** Bytes not yet read. */
  readonly remaining: number;
  /** The next `n` bytes (a fresh buffer the caller may keep), or an error when fewer are left. */
  read(n: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function truncated(label: string, wanted: number, got: number): StudioError {
  return new StudioError('BAD_REQUEST', `${label} is truncated: expected ${wanted} more bytes, found ${got}. Re-create the file.`);
}

/** `size` bytes of an open file from `start`, read with positional reads (the handle is shared, not owned). */
export class FileRangeReader implements ByteReader {
  private position: number;
  private readonly end: number;

  constructor(
    private readonly handle: fs.promises.FileHandle,
    start: number,
    size: number,
    private readonly label: string,
    private readonly ownsHandle = false,
  ) {
    this.position = start;
    this.end = start + size;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  async read(n: number): Promise<Uint8Array> {
    if (n > this.remaining) throw truncated(this.label, n, this.remaining);
    const buffer = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buffer, done, n - done, this.position + done);
      if (bytesRead === 0) throw truncated(this.label, n, done);
      done += bytesRead;
    }
    this.position += n;
    return new Uint8Array(buffer.buffer, buffer.byteOffset, n);
  }

  async close(): Promise<void> {
    if (this.ownsHandle) await this.handle.close();
  }
}

/**
 * The inflated bytes of a raw-deflate stream stored at `[start, start + compressedSize)` of `file` (a zip
 * entry). The CRC-32 of everything read is checked against `crc32` once the last byte has been read.
 */
export class InflateReader implements ByteReader {
  private readonly raw: fs.ReadStream;
  private readonly stream: zlib.InflateRaw;
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private consumed = 0;
  private crc = 0;

  constructor(
    file: string,
    start: number,
    compressedSize: number,
    private readonly uncompressedSize: number,
    private readonly crc32: number,
    private readonly label: string,
  ) {
    this.raw = fs.createReadStream(file, { start, end: start + compressedSize - 1, highWaterMark: 256 * 1024 });
    this.stream = zlib.createInflateRaw({ chunkSize: 256 * 1024 });
    this.raw.on('error', (error) => this.stream.destroy(error));
    this.raw.pipe(this.stream);
    this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  get remaining(): number {
    return this.uncompressedSize - this.consumed;
  }

  async read(n: number): Promise<Uint8Array> {
    if (n > this.remaining) throw truncated(this.label, n, this.remaining);
    while (this.pendingBytes < n) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.chunks.next();
      } catch (error) {
        throw new StudioError('BAD_REQUEST', `${this.label} is corrupt: ${(error as Error).message}. Re-create the file.`);
      }
      if (next.done) throw truncated(this.label, n, this.pendingBytes);
      this.pending.push(next.value);
      this.pendingBytes += next.value.length;
    }
    const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const out = new Uint8Array(n);
    out.set(joined.subarray(0, n));
    const rest = joined.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.crc = zlib.crc32(out, this.crc);
    this.consumed += n;
    if (this.consumed === this.uncompressedSize && this.crc >>> 0 !== this.crc32 >>> 0) {
      throw new StudioError('BAD_REQUEST', `${this.label} is corrupt (CRC-32 mismatch). Re-create the file.`);
    }
    return out;
  }

  async close(): Promise<void> {
    // pipe() does not end the source when the destination goes away: close both, so no descriptor lingers.
    this.raw.destroy();
    this.stream.destroy();
  }
}
