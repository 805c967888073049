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

  it('fails like fs on a missing file', async () => {
    await expect(readWholeFile(path.join(tmp.dir, 'none'), 1)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
