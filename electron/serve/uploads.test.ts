/**
 * Where an upload lands: under its own name in its batch folder, only if that name is still free. The name is
 * taken as commitTempFiles takes an output's (placeNew): by a hard link, or, where the file system makes none
 * (FAT and exFAT, which Windows reports as EISDIR), by creating it exclusively, then renaming over that claim.
 */
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { receiveUpload } from './uploads.js';

const BATCH = '0123456789abcdef';

function upload(uploadsDir: string, name: string, body: string) {
  const req = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage;
  const url = new URL(`http://localhost/t/upload?name=${encodeURIComponent(name)}&batch=${BATCH}`);
  return receiveUpload(req, url, uploadsDir);
}

/** Has every hard link fail as the file system `code` says it makes none. */
function noHardLinks(code: string) {
  const refusal = () => Object.assign(new Error(`${code}: link`), { code, syscall: 'link' });
  vi.spyOn(fs, 'linkSync').mockImplementation(() => {
    throw refusal();
  });
  vi.spyOn(fs.promises, 'link').mockImplementation(() => Promise.reject(refusal()));
}

describe('an upload on a file system without hard links', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('onnx-studio-uploads-');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    tmp.cleanup();
  });

  it.each(['EISDIR', 'EOPNOTSUPP', 'EPERM'])(
    'is stored under its name when link says %s, with no temp file left',
    async (code) => {
      noHardLinks(code);
      const answer = await upload(tmp.dir, 'model.onnx', 'model bytes');
      const target = path.join(tmp.dir, BATCH, 'model.onnx');
      expect(answer).toEqual({ status: 200, body: { ok: true, value: { path: target, bytes: 11 } } });
      expect(fs.readFileSync(target, 'utf8')).toBe('model bytes');
      expect(fs.readdirSync(path.dirname(target))).toEqual(['model.onnx']);
    },
  );

  it('never replaces a file of that name that another upload stored meanwhile', async () => {
    noHardLinks('EISDIR');
    const target = path.join(tmp.dir, BATCH, 'w.bin');
    // The other upload finishes just as this one's body has been written.
    const open = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation((file, ...rest) => {
      if (path.resolve(String(file)) === target && !fs.existsSync(target)) fs.writeFileSync(target, 'theirs');
      return open(file, ...rest);
    });
    const answer = await upload(tmp.dir, 'w.bin', 'mine');
    expect(answer).toMatchObject({ status: 409, body: { ok: false, error: { code: 'BAD_REQUEST' } } });
    expect(fs.readFileSync(target, 'utf8')).toBe('theirs');
    expect(fs.readdirSync(path.dirname(target))).toEqual(['w.bin']);
  });
});
