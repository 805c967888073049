import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.js';
import { readWholeFile } from './read-whole-file.js';

describe('readWholeFile', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('read-whole-');
  });
  afterEach(() => tmp.cleanup());

  it('reads a file whole, as a Buffer', async () => {
    const file = path.join(tmp.dir, 'a.bin');
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
    fs.writeFileSync(file, bytes);
    const read = await readWholeFile(file, bytes.byteLength);
    expect(Buffer.isBuffer(read)).toBe(true);
    expect(read.equals(bytes)).toBe(true);
    expect((await readWholeFile(file, 0)).byteLength).toBe(0);
  });

  it('returns what is there when the file shrank since its size was taken', async () => {
    const file = path.join(tmp.dir, 'b.bin');
    fs.writeFileSync(file, Buffer.from([1, 2, 3]));
    expect([...(await readWholeFile(file, 10))]).toEqual([1, 2, 3]);
  });

  it('tells a listener what has arrived after each read, starting small and ending with the whole file', async () => {
    const file = path.join(tmp.dir, 'c.bin');
    const bytes = Buffer.from(Array.from({ length: (3 << 20) + 5 }, (_, i) => (i * 13) & 0xff));
    fs.writeFileSync(file, bytes);
    const seen: number[] = [];
    const read = await readWholeFile(file, bytes.byteLength, (buffer, filled) => {
      expect(buffer.subarray(0, filled).equals(bytes.subarray(0, filled))).toBe(true);
      seen.push(filled);
    });
    expect(read.equals(bytes)).toBe(true);
    expect(seen).toEqual([1 << 20, 3 << 20, (3 << 20) + 5]);
  });

  it('waits for the read under way and closes the file when the listener throws', async () => {
    const file = path.join(tmp.dir, 'd.bin');
    fs.writeFileSync(file, Buffer.alloc(3 << 20));
    await expect(
      readWholeFile(file, 3 << 20, () => {
        throw new Error('listener failed');
      }),
    ).rejects.toThrow('listener failed');
  });

  it('fails like fs on a missing file', async () => {
    await expect(readWholeFile(path.join(tmp.dir, 'none'), 1)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
