import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeQuietly, tempPathFor } from '../onnx/atomic-files.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { dataPaths } from './data-dir.js';
import { isProcessRunning, parseTempPath, removeStaleTempFiles, STALE_AFTER_MS } from './stale-temp-files.js';

/** The id of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(isProcessRunning(child.pid!)).toBe(false);
  return child.pid!;
}

/**
 * A temporary file tempPathFor names for `target`, as the process `pid` would have written it, last written
 * `ageMs` ago (by default long enough to count as left behind).
 */
function tempFile(target: string, pid: number, bytes = 16, ageMs = 2 * STALE_AFTER_MS): string {
  const ours = tempPathFor(target);
  removeQuietly(ours);
  const file = ours.replace(`.${process.pid}.`, `.${pid}.`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, new Uint8Array(bytes));
  const then = new Date(Date.now() - ageMs);
  fs.utimesSync(file, then, then);
  return file;
}

describe('stale temporary files', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it("reads the target and the process from tempPathFor's names, and nothing from other names", () => {
    const target = path.join(tmp.dir, 'v-1-fp16.onnx.weights');
    const temp = tempPathFor(target);
    removeQuietly(temp);
    expect(parseTempPath(temp)).toEqual({ target, pid: process.pid });
    for (const name of [
      'workspace.json',
      '.workspace.json',
      'v-1.onnx.tmp',
      '.a.12.xyz.tmp',
      '.a.0.0123abcd.tmp',
    ])
      expect(parseTempPath(path.join(tmp.dir, name)), name).toBeUndefined();
  });

  it("removes the temporary files of processes that ended, keeping a running one's and every other file", async () => {
    const dataDir = path.join(tmp.dir, 'data');
    const variants = path.join(dataPaths(dataDir).workspaces, 'big-b2917485f900', 'variants');
    const dead = deadPid();
    // What a killed fp16 job left (its scratch file), a killed export's variant and workspace file, the recent list's.
    const stale = [
      tempFile(path.join(variants, 'v-ff529b46e9-fp16.onnx.weights'), dead, 4096),
      tempFile(path.join(variants, 'v-cdfea424fb-fp16.onnx'), dead),
      tempFile(path.join(variants, '..', 'workspace.json'), dead),
      tempFile(dataPaths(dataDir).recent, dead),
      tempFile(path.join(dataDir, 'jobs', 'host-123-0123abcd.json'), dead),
    ];
    const kept = [
      tempFile(path.join(variants, 'v-0123456789-int8.onnx.weights'), process.pid),
      tempFile(path.join(variants, 'v-0123456789-int4.onnx'), process.ppid),
      path.join(variants, 'v-cdfea424fb-fp16.onnx'),
      path.join(variants, '.hidden-but-not-ours.tmp'),
      path.join(variants, '..', 'workspace.json'),
    ];
    for (const file of kept.slice(2)) fs.writeFileSync(file, 'x');
    const result = await removeStaleTempFiles(dataDir);
    expect(result.removed.sort()).toEqual(stale.map((f) => path.resolve(f)).sort());
    expect(result.bytes).toBe(4096 + 4 * 16);
    for (const file of stale) expect(fs.existsSync(file), file).toBe(false);
    for (const file of kept) expect(fs.existsSync(file), file).toBe(true);
  });

  it("keeps a file written lately, whose process may run where this one cannot see it (another container's serve)", async () => {
    const dataDir = path.join(tmp.dir, 'data');
    const variants = path.join(dataPaths(dataDir).workspaces, 'm-0123456789ab', 'variants');
    const fresh = tempFile(path.join(variants, 'v-3-fp16.onnx.weights'), deadPid(), 16, 60_000);
    expect((await removeStaleTempFiles(dataDir)).removed).toEqual([]);
    expect(fs.existsSync(fresh)).toBe(true);
  });

  it('a missing data folder has nothing to remove', async () => {
    expect(await removeStaleTempFiles(path.join(tmp.dir, 'none'))).toEqual({ removed: [], bytes: 0 });
  });

  it('are removed after the backend starts, without holding up its start or its requests', async () => {
    const dataDir = path.join(tmp.dir, 'data');
    const variants = path.join(dataPaths(dataDir).workspaces, 'm-0123456789ab', 'variants');
    const stale = tempFile(path.join(variants, 'v-1-fp16.onnx.weights'), deadPid(), 64);
    const live = tempFile(path.join(variants, 'v-2-fp16.onnx.weights'), process.pid);
    const backend = testBackend(tmp.dir);
    try {
      // The constructor only started the sweep (it walked the whole folder before it returned).
      expect(fs.existsSync(stale)).toBe(true);
      expect((await backend.dispatch('studio:recent.list', {})).ok).toBe(true);
      expect(await backend.staleTempSweep).toEqual({ removed: [path.resolve(stale)], bytes: 64 });
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
    } finally {
      await backend.dispose();
    }
  });

  it('is asynchronous: nothing is read or removed before the caller goes on', async () => {
    const dataDir = path.join(tmp.dir, 'data');
    const stale = tempFile(dataPaths(dataDir).recent, deadPid());
    const sweep = removeStaleTempFiles(dataDir);
    expect(fs.existsSync(stale)).toBe(true);
    expect((await sweep).removed).toEqual([path.resolve(stale)]);
  });
});
