import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.js';
import { listFolder } from './list-folder.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-list-folder-');
});
afterEach(() => tmp.cleanup());

describe('listFolder', () => {
  it('reports hidden entries flagged, after the visible ones, so the browser can say they are there', async () => {
    // A home folder like the one a new user of `serve` sees: hidden folders and files, and a little else.
    fs.mkdirSync(path.join(tmp.dir, '.cache'));
    fs.mkdirSync(path.join(tmp.dir, '.config'));
    fs.writeFileSync(path.join(tmp.dir, '.bashrc'), 'x');
    fs.mkdirSync(path.join(tmp.dir, 'models'));
    fs.writeFileSync(path.join(tmp.dir, 'net.onnx'), 'abc');
    const listing = await listFolder(tmp.dir);
    expect(listing.path).toBe(path.resolve(tmp.dir));
    expect(listing.entries.map((e) => [e.name, e.kind, e.hidden ?? false])).toEqual([
      ['models', 'folder', false],
      ['net.onnx', 'file', false],
      ['.cache', 'folder', true],
      ['.config', 'folder', true],
      ['.bashrc', 'file', true],
    ]);
    expect(listing.entries.find((e) => e.name === 'net.onnx')).toMatchObject({ bytes: 3 });
    // Visible entries carry no flag at all: the wire format of a folder without dot files is unchanged.
    expect(listing.entries[0]).not.toHaveProperty('hidden');
  });

  it('says which folder it cannot list, and why', async () => {
    await expect(listFolder(path.join(tmp.dir, 'missing'))).rejects.toThrow(/No such file or folder/);
    fs.writeFileSync(path.join(tmp.dir, 'file.txt'), '');
    await expect(listFolder(path.join(tmp.dir, 'file.txt'))).rejects.toThrow(/is a file, not a folder/);
  });
});
