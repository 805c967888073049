/**
 * The recent list shared by every host on one data folder (the app beside `onnx-studio serve`, two serves): each
 * change holds `recent.json.lock` (data-file-lock.ts), so hosts adding models at once lose none of each other's,
 * and a lock left by a host that was killed is taken over rather than waited on (the lock's own cases, another
 * machine's lock among them, are data-file-lock.test.ts's).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.js';
import { thisHost } from './process-identity.js';
import { LOCK_STALE_MS } from './data-file-lock.js';
import { RecentModels } from './recent-models.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-recent-');
});
afterEach(() => tmp.cleanup());

/**
 * Adds `count` models named `<tag>-<i>` to the recent list `file` in another process, once `go` exists: the
 * processes start their adds together, not as each finishes starting.
 */
function addInAnotherProcess(file: string, go: string, tag: string, count: number): Promise<number | null> {
  const module = pathToFileURL(path.join(import.meta.dirname, 'recent-models.ts')).href;
  const script = `
    const fs = await import('node:fs');
    const { RecentModels } = await import(${JSON.stringify(module)});
    const [file, go, tag, count] = process.argv.slice(-4);
    const recent = new RecentModels(file);
    while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 2));
    for (let i = 0; i < Number(count); i++) await recent.add('/models/' + tag + '-' + i + '.onnx');`;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, file, go, tag, String(count)],
      { stdio: 'inherit' },
    );
    child.on('exit', resolve);
  });
}

describe('RecentModels across processes', () => {
  it('loses no entry of three processes adding models at once', async () => {
    const file = path.join(tmp.dir, 'data', 'recent.json');
    const go = path.join(tmp.dir, 'go');
    const tags = ['A', 'B', 'C'];
    // 12 in all: the most the list keeps, so every one must still be listed.
    const running = Promise.all(tags.map((tag) => addInAnotherProcess(file, go, tag, 4)));
    // Time for the processes to start (tsx compiles the module), then all at once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    fs.writeFileSync(go, '');
    expect(await running).toEqual([0, 0, 0]);
    const listed = await new RecentModels(file).list();
    const expected = tags.flatMap((tag) => [0, 1, 2, 3].map((i) => `/models/${tag}-${i}.onnx`));
    expect([...listed].sort()).toEqual(expected.sort());
    // Each process's adds keep their order (newest first), and no lock or temp file is left.
    expect(listed.filter((p) => p.includes('/A-'))).toEqual([3, 2, 1, 0].map((i) => `/models/A-${i}.onnx`));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['recent.json']);
  }, 60_000);

  it('takes over a lock whose process is gone, at once', async () => {
    const file = path.join(tmp.dir, 'recent.json');
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ id: 'dead', ...thisHost(), pid: gone }));
    const started = Date.now();
    expect(await new RecentModels(file).add('/m.onnx')).toEqual(['/m.onnx']);
    expect(Date.now() - started).toBeLessThan(LOCK_STALE_MS / 2);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});
