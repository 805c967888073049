import fs from 'node:fs';

/** Bytes per read call without a listener: large enough that a big model takes few trips to the thread pool. */
const READ_CHUNK = 64 << 20;
/** With a listener, reads start small so that its work starts early, and double up to this. */
const FIRST_LISTENED_CHUNK = 1 << 20;
const MAX_LISTENED_CHUNK = 16 << 20;

/**
 * Reads the first `size` bytes of a file (its size from a stat) into one Buffer, in reads of up to
 * 64 MiB. fs.promises.readFile reads 512 KiB at a time, one thread-pool round trip and promise each: 40
 * for a 20 MB model, 800 for a 400 MB one. A file that shrank since the stat is read as it is now; one
 * that grew is read up to the stated size (a model rewritten while it is opened cannot be read right
 * either way, and the decoder reports what it finds).
 *
 * `onRead(buffer, filled)` is called after each read with the bytes so far, while the next read already
 * runs in the thread pool: work it does on the first `filled` bytes overlaps reading the rest.
 */
export async function readWholeFile(
  file: string,
  size: number,
  onRead?: (buffer: Buffer, filled: number) => void,
): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  let pending: Promise<fs.promises.FileReadResult<Buffer>> | undefined;
  try {
    const buffer = Buffer.allocUnsafeSlow(size);
    let filled = 0;
    let chunk = onRead ? FIRST_LISTENED_CHUNK : READ_CHUNK;
    const readFrom = (at: number) => handle.read(buffer, at, Math.min(chunk, size - at), at);
    if (size > 0) pending = readFrom(0);
    while (pending) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return buffer.subarray(0, filled);
      filled += bytesRead;
      if (onRead) chunk = Math.min(chunk * 2, MAX_LISTENED_CHUNK);
      if (filled < size) pending = readFrom(filled);
      onRead?.(buffer, filled);
    }
    return buffer;
  } finally {
    // Only when onRead threw: the read under way must end before the file is closed.
    if (pending) await pending.catch(() => undefined);
    await handle.close();
  }
}
