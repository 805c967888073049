import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.js';
import { makeOutputFolder, refuseFileAsFolder } from './output-folder.js';

/*
 * The folder `run --out` and `demo --out` write into: claimed, so that two commands making one new folder at once
 * do not both go on into it, and made without Node's recursive mkdir, which never settles on a pseudo file
 * system (/proc) and held the command at 100% CPU past Ctrl+C.
 */

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-output-folder-');
});
afterEach(() => tmp.cleanup());

const claimLost = (out: string) =>
  `--out ${out} already exists (another command made it after this one started). Choose another --out folder ` +
  'or pass --force to write into it.';

describe('makeOutputFolder: the claim', () => {
  it('of two commands making one new folder at once, one goes on and the other is refused', async () => {
    const out = path.join(tmp.dir, 'a', 'out');
    const results = await Promise.allSettled([
      makeOutputFolder(out, '--out'),
      makeOutputFolder(out, '--out'),
    ]);
    const made = results.filter((r) => r.status === 'fulfilled');
    expect(made).toHaveLength(1);
    // The topmost folder the winner made itself: `a` is made by whichever gets there first.
    expect([path.join(tmp.dir, 'a'), out]).toContain(made[0]!.value);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'BAD_REQUEST', message: claimLost(out) },
    });
    expect(fs.statSync(out).isDirectory()).toBe(true);
  });

  it('a folder missing when the command looked and there now is refused, unless --force', async () => {
    const out = path.join(tmp.dir, 'out');
    const existed = refuseFileAsFolder(out, '--out');
    expect(existed).toBe(false);
    fs.mkdirSync(out); // the other command, meanwhile
    await expect(makeOutputFolder(out, '--out', { existed })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: claimLost(out),
    });
    expect(await makeOutputFolder(out, '--out', { existed, force: true })).toBeUndefined();
    // A folder that was there when the command looked is written into: its files are claimed one by one.
    expect(refuseFileAsFolder(out, '--out')).toBe(true);
    expect(await makeOutputFolder(out, '--out', { existed: true })).toBeUndefined();
  });
});

describe.runIf(fs.existsSync('/proc/self'))('makeOutputFolder on a pseudo file system', () => {
  it(
    'refuses /proc/x and /proc/x/y at once (exit 2), as tune --emit does, and does not hang',
    { timeout: 5000 },
    async () => {
      for (const out of ['/proc/onnx-studio-out', '/proc/onnx-studio-out/deeper']) {
        await expect(makeOutputFolder(out, '--out')).rejects.toMatchObject({
          code: 'BAD_REQUEST',
          message:
            `Cannot write --out ${out}: the folder /proc cannot be written (the file system does not let files be ` +
            'made there). Choose another folder.',
        });
      }
    },
  );
});
