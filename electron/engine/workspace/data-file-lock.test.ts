/**
 * The data folder's file lock (data-file-lock.ts): one holder at a time even when several waiters break a dead
 * lock at once, a live holder on this host never taken over however long it holds, another host's lock judged
 * on the waiter's own clock, and a data folder that cannot be written reported at once instead of retried.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fsError } from '../testing/fs-faults.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { LOCK_STALE_MS, LOCK_WAIT_MS, withFileLock } from './data-file-lock.js';
import { processStart, thisHost } from './process-identity.js';

let tmp: ReturnType<typeof makeTempDir>;
let file: string;
let lock: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-lock-');
  file = path.join(tmp.dir, 'recent.json');
  lock = `${file}.lock`;
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  tmp.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A process id that no process has now: one that just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

/** A lock left by a process of this host that is gone (`pid`, by default one just exited). */
function writeDeadLock(pid = deadPid()): void {
  fs.writeFileSync(lock, JSON.stringify({ id: randomId(), ...thisHost(), pid }));
}
const randomId = () => Math.random().toString(16).slice(2);

/** Makes the waiters' monotonic clock (performance.now) run `ms` ahead from now on. */
function advanceClock(ms: number): void {
  const real = performance.now.bind(performance);
  vi.spyOn(performance, 'now').mockImplementation(() => real() + ms);
}

/** Rejects with 'still waiting' if `promise` has not settled in `ms`: a hang fails the test instead of timing it out. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`still waiting after ${ms} ms`);
    }),
  ]);
}

describe('withFileLock', () => {
  it('gives the lock to one waiter at a time when three break a dead lock at once (100 rounds)', async () => {
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      // A change's own file work, during which another holder would show.
      await fs.promises.writeFile(file, String(inside));
      await sleep(1);
      inside--;
    };
    const gone = deadPid();
    for (let round = 0; round < 100; round++) {
      writeDeadLock(gone);
      await Promise.all([withFileLock(file, work), withFileLock(file, work), withFileLock(file, work)]);
      expect(most, `round ${round}`).toBe(1);
    }
    expect(fs.readdirSync(tmp.dir)).toEqual(['recent.json']);
  }, 60_000);

  it('reports a data folder it cannot write at once when a dead lock cannot be moved', async () => {
    writeDeadLock();
    // The data folder refuses every rename (the lock moves with either call).
    vi.spyOn(fs.promises, 'rename').mockRejectedValue(fsError('EROFS', 'rename', lock));
    vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw fsError('EROFS', 'rename', lock);
    });
    const work = vi.fn(async () => undefined);
    await expect(within(withFileLock(file, work), 3000)).rejects.toThrow(
      /cannot write its data folder .*read-only/,
    );
    expect(work).not.toHaveBeenCalled();
  });

  it('waits between tries when a dead lock cannot be moved for a while, and gives up at the deadline', async () => {
    writeDeadLock();
    // Windows' word for a file another process has open: worth another try, but not at once, forever.
    const asyncRename = vi.spyOn(fs.promises, 'rename').mockRejectedValue(fsError('EBUSY', 'rename', lock));
    const syncRename = vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw fsError('EBUSY', 'rename', lock);
    });
    const renames = () => asyncRename.mock.calls.length + syncRename.mock.calls.length;
    const waiting = withFileLock(file, async () => undefined).catch((e: unknown) => e);
    await sleep(1000);
    expect(renames()).toBeGreaterThan(2);
    expect(renames()).toBeLessThan(60);
    advanceClock(LOCK_WAIT_MS + 1000);
    expect(await within(waiting, 3000)).toMatchObject({ code: 'IO', message: expect.stringContaining(lock) });
  });

  it('takes over a lock of this very process that no change of it holds (a release that failed)', async () => {
    const start = processStart(process.pid);
    fs.writeFileSync(lock, JSON.stringify({ id: 'released', ...thisHost(), pid: process.pid, start }));
    await within(
      withFileLock(file, async () => undefined),
      3000,
    );
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('leaves no lock when the holder record cannot be written', async () => {
    const realOpen = fs.promises.open;
    vi.spyOn(fs.promises, 'writeFile').mockImplementation(async (target) => {
      // As a full disk does: the file is made, its text is not written.
      if (typeof target === 'string') await (await realOpen(target, 'wx')).close();
      throw fsError('ENOSPC', 'write');
    });
    await expect(
      within(
        withFileLock(file, async () => undefined),
        3000,
      ),
    ).rejects.toThrow(/cannot write its data folder .*the disk is full/);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('never takes over a live holder of this host, however old its lock, and takes it at once when it dies', async () => {
    const held = path.join(tmp.dir, 'held');
    const module = pathToFileURL(path.join(import.meta.dirname, 'data-file-lock.ts')).href;
    const script = `
      const fs = await import('node:fs');
      const { withFileLock } = await import(${JSON.stringify(module)});
      const [file, held] = process.argv.slice(-2);
      await withFileLock(file, async () => {
        fs.writeFileSync(held, '');
        await new Promise((r) => setTimeout(r, 60_000));
      });`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, file, held],
      { stdio: 'inherit' },
    );
    children.push(child);
    for (let waited = 0; !fs.existsSync(held); waited += 20) {
      if (waited > 20_000) throw new Error('the holder process did not take the lock');
      await sleep(20);
    }
    const record = fs.readFileSync(lock, 'utf8');
    expect(JSON.parse(record)).toMatchObject({ pid: child.pid });
    // Held for an hour by the file's time, and longer than LOCK_STALE_MS by the waiter's clock.
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(lock, old, old);
    advanceClock(LOCK_STALE_MS + 1000);
    let ran = false;
    const waiting = withFileLock(file, async () => {
      ran = true;
    });
    await sleep(1500);
    expect(ran).toBe(false);
    expect(fs.readFileSync(lock, 'utf8')).toBe(record);
    child.kill('SIGKILL');
    await within(waiting, 3000);
    expect(ran).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  }, 40_000);

  it("judges another host's lock by how long this waiter saw it unchanged, not by the file's time", async () => {
    fs.writeFileSync(lock, JSON.stringify({ id: 'other', hostname: 'elsewhere', pid: process.pid }));
    // Its server's clock an hour ahead of or behind this one's: the file's time says nothing.
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(lock, old, old);
    let ran = false;
    const waiting = withFileLock(file, async () => {
      ran = true;
    });
    await sleep(500);
    expect(ran).toBe(false);
    advanceClock(LOCK_STALE_MS + 1000);
    await within(waiting, 3000);
    expect(ran).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('gives up after LOCK_WAIT_MS naming the lock, its holder and what to do', async () => {
    fs.writeFileSync(lock, JSON.stringify({ id: 'live', ...thisHost(), pid: process.ppid }));
    const waiting = withFileLock(file, async () => undefined);
    advanceClock(LOCK_WAIT_MS + 1000);
    const error = await within(waiting, 3000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO' });
    expect((error as Error).message).toContain(lock);
    expect((error as Error).message).toContain(`process ${process.ppid} on ${thisHost().hostname}`);
    expect((error as Error).message).toMatch(/If no ONNX Studio .* uses the data folder .*, remove /);
  });
});
