import fs from 'node:fs';

/** Bytes per read call: large enough that a big model takes few trips to the thread pool. */
const READ_CHUNK = 64 << 20;

/**
 * Reads the first `size` bytes of a file (its size from a stat) into one Buffer, in reads of up to
 * 64 MiB. fs.promises.readFile reads 512 KiB at a time, one thread-pool round trip and promise each: 40
 * for a 20 MB model, 800 for a 400 MB one. A file that shrank since the stat is read as it is now; one
 * that grew is read up to the stated size (a model rewritten while it is opened cannot be read right
 * either way, and the decoder reports what it finds).
 */
export async function readWholeFile(file: string, size: number): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(size);
    let filled = 0;
    while (filled < size) {
      const length = Math.min(READ_CHUNK, size - filled);
      const { bytesRead } = await handle.read(buffer, filled, length, filled);
      if (bytesRead === 0) return buffer.subarray(0, filled);
      filled += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}
