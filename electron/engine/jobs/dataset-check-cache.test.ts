import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  DatasetCheckReport,
  DatasetCheckRequest,
  JobEvent,
  TerminalJobEvent,
} from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import {
  checkCancelled,
  checkedPaths,
  DatasetCheckCache,
  type CheckCounts,
  type DatasetCheckTask,
  type RunCheck,
} from './dataset-check-cache.js';
import { checkDatasetInTask, DatasetChecks } from './experiment.js';
import type { ExecutorDeps } from './job-executors.js';
import { runTask as runTaskHere } from './task-handlers.js';
import type { TaskRequest } from './task-protocol.js';
import type { RunTaskOptions } from './task-pool.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-check-cache-');
  fs.writeFileSync(path.join(tmp.dir, 'model.onnx'), 'model');
  fs.writeFileSync(path.join(tmp.dir, 'inputs.npy'), 'inputs');
  fs.writeFileSync(path.join(tmp.dir, 'labels.npy'), 'labels');
  for (const [cls, file] of [
    ['cat', '1.png'],
    ['cat', '2.png'],
    ['dog', '3.png'],
  ]) {
    fs.mkdirSync(path.join(tmp.dir, 'images', cls!), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'images', cls!, file!), 'png');
  }
});
afterEach(() => tmp.cleanup());

const npyTask = (change: Partial<DatasetCheckTask> = {}): DatasetCheckTask => ({
  kind: 'checkDataset',
  model: path.join(tmp.dir, 'model.onnx'),
  data: { kind: 'npy', path: 'inputs.npy', labels: 'labels.npy' },
  baseDir: tmp.dir,
  role: 'evaluation',
  shapes: { input: [1, 3] },
  ...change,
});
const imagesTask = (): DatasetCheckTask => npyTask({ data: { kind: 'images', path: 'images' } });

/** Moves a file's times by `ms` (as `touch` does), content unchanged. */
function touch(file: string, ms = 5_000): void {
  const { atime, mtime } = fs.statSync(file);
  fs.utimesSync(file, atime, new Date(mtime.getTime() + ms));
}

const report = (name: string) =>
  ({
    identity: { name, samples: 1, sha256: 'x' },
    inputs: [],
    hasLabels: true,
    warnings: [],
  }) as DatasetCheckReport;

describe('the key of a data check', () => {
  it('names the model and the data files, resolved against the base folder', () => {
    expect(checkedPaths(npyTask())).toEqual(
      ['model.onnx', 'inputs.npy', 'labels.npy'].map((f) => path.join(tmp.dir, f)),
    );
    expect(checkedPaths(npyTask({ data: { kind: 'synthetic', samples: 4 } }))).toEqual([
      path.join(tmp.dir, 'model.onnx'),
    ]);
  });

  it('stays the same while nothing changes, whatever the order of the request keys', async () => {
    const cache = new DatasetCheckCache();
    const key = await cache.keyOf(npyTask());
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await cache.keyOf(npyTask())).toBe(key);
    const { data: _data, ...rest } = npyTask();
    const reordered: DatasetCheckTask = {
      data: { labels: 'labels.npy', path: 'inputs.npy', kind: 'npy' },
      ...rest,
    };
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(npyTask()));
    expect(await cache.keyOf(reordered)).toBe(key);
  });

  it('changes with anything the report depends on in the request', async () => {
    const cache = new DatasetCheckCache();
    const key = await cache.keyOf(npyTask());
    const changes: Partial<DatasetCheckTask>[] = [
      { shapes: { input: [1, 4] } },
      { values: { input: { kind: 'constant', value: 1 } } },
      { role: 'calibration' },
      { name: 'my data' },
      { data: { kind: 'npy', path: 'inputs.npy' } },
      { data: { kind: 'npy', path: 'inputs.npy', labels: 'labels.npy', limit: 3 } },
    ];
    for (const change of changes)
      expect(await cache.keyOf(npyTask(change)), JSON.stringify(change)).not.toBe(key);
  });

  it('changes when a file is touched, rewritten, or replaced by another of the same size', async () => {
    const cache = new DatasetCheckCache();
    const inputs = path.join(tmp.dir, 'inputs.npy');
    let key = await cache.keyOf(npyTask());
    touch(inputs);
    expect(await cache.keyOf(npyTask())).not.toBe(key);

    key = await cache.keyOf(npyTask());
    // Same size, same mtime put back: the ctime still tells.
    const { atime, mtime } = fs.statSync(inputs);
    await new Promise((resolve) => setTimeout(resolve, 20));
    fs.writeFileSync(inputs, 'INPUTS');
    fs.utimesSync(inputs, atime, mtime);
    expect(await cache.keyOf(npyTask())).not.toBe(key);

    key = await cache.keyOf(npyTask());
    fs.writeFileSync(path.join(tmp.dir, 'other.npy'), 'inputs');
    fs.renameSync(path.join(tmp.dir, 'other.npy'), inputs);
    expect(await cache.keyOf(npyTask())).not.toBe(key);

    key = await cache.keyOf(npyTask());
    touch(path.join(tmp.dir, 'model.onnx'));
    expect(await cache.keyOf(npyTask())).not.toBe(key);
  });

  it('changes when an image folder gains, loses or renames an image, or one is rewritten', async () => {
    const cache = new DatasetCheckCache();
    const cat = path.join(tmp.dir, 'images', 'cat');
    const steps: (() => void)[] = [
      () => fs.writeFileSync(path.join(cat, '4.png'), 'png'),
      () => fs.rmSync(path.join(cat, '4.png')),
      () => fs.renameSync(path.join(cat, '1.png'), path.join(cat, '0.png')),
      () => touch(path.join(tmp.dir, 'images', 'dog', '3.png')),
      () => fs.mkdirSync(path.join(tmp.dir, 'images', 'bird')),
    ];
    for (const step of steps) {
      const key = await cache.keyOf(imagesTask());
      step();
      expect(await cache.keyOf(imagesTask()), step.toString()).not.toBe(key);
    }
  });

  it('is undefined when a file is missing: such a check always runs', async () => {
    const cache = new DatasetCheckCache();
    fs.rmSync(path.join(tmp.dir, 'labels.npy'));
    expect(await cache.keyOf(npyTask())).toBeUndefined();
    expect(await cache.keyOf(npyTask({ model: path.join(tmp.dir, 'gone.onnx') }))).toBeUndefined();
  });
});

describe('the kept checks', () => {
  it('answers a copy, and forgets the least recently used past its size', () => {
    const cache = new DatasetCheckCache(2);
    cache.keep('a', { report: report('a'), counts: { done: 4, total: 4 } });
    cache.keep('b', { report: report('b') });
    const a = cache.get('a')!;
    expect(a).toEqual({ report: report('a'), counts: { done: 4, total: 4 } });
    a.report.warnings.push('changed by a caller');
    expect(cache.get('a')!.report.warnings).toEqual([]);
    // 'a' was used last: 'b' goes when 'c' comes.
    cache.keep('c', { report: report('c') });
    expect(cache.count).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.report.identity.name).toBe('a');
    expect(cache.get('c')?.report.identity.name).toBe('c');
  });
});

/** Counts the keys `cache` has computed (each a stat of every file its check reads). */
function countKeys(cache: DatasetCheckCache): { keyed: number } {
  const counter = { keyed: 0 };
  const keyOf = cache.keyOf.bind(cache);
  vi.spyOn(cache, 'keyOf').mockImplementation(async (task) => {
    const key = await keyOf(task);
    counter.keyed++;
    return key;
  });
  return counter;
}

/** Until `cache` has computed `n` keys, and what the checks do next without reading a file has been done. */
async function keyed(counter: { keyed: number }, n: number): Promise<void> {
  await expect.poll(() => counter.keyed).toBe(n);
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Checks the test ends one by one: each reports "0 of 3", then waits for the test to `pass` it (reporting
 * "3 of 3") or `fail` it; one whose signal aborts ends with CANCELLED a turn later, as a task process winds down.
 */
function heldRuns() {
  const runs: {
    signal: AbortSignal | undefined;
    pass: (name: string) => void;
    fail: (error: unknown) => void;
  }[] = [];
  const run: RunCheck = (signal, onCounts) =>
    new Promise<DatasetCheckReport>((resolve, reject) => {
      onCounts?.(0, 3);
      signal?.addEventListener('abort', () => setTimeout(() => reject(checkCancelled()), 5));
      runs.push({
        signal,
        pass: (name) => {
          onCounts?.(3, 3);
          resolve(report(name));
        },
        fail: reject,
      });
    });
  return { runs, run };
}

/** A check's counts, as its caller hears them. */
function heard(): { counts: [number, number][]; onCounts: CheckCounts } {
  const counts: [number, number][] = [];
  return { counts, onCounts: (done, total) => counts.push([done, total]) };
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('checks of the same data at the same moment', () => {
  it('read it once: each check that waited takes a copy of the report, its counts replayed', async () => {
    const cache = new DatasetCheckCache();
    const counter = countKeys(cache);
    const { runs, run } = heldRuns();
    const [first, second, third] = [heard(), heard(), heard()];
    const checks = [first, second, third].map((h) => cache.check(npyTask(), run, undefined, h.onCounts));
    await keyed(counter, 3);
    expect(runs).toHaveLength(1);
    expect(cache.runningCount).toBe(1);
    // Every check waiting on the run hears its counts as they come, one that joins late its last ones at once.
    expect(first.counts).toEqual([[0, 3]]);
    expect(second.counts).toEqual([[0, 3]]);
    runs[0]!.pass('shared');
    const reports = await Promise.all(checks);
    expect(reports.map((r) => r.identity.name)).toEqual(['shared', 'shared', 'shared']);
    expect(second.counts).toEqual([
      [0, 3],
      [3, 3],
    ]);
    expect(third.counts).toEqual(second.counts);
    reports[0]!.warnings.push('changed by a caller');
    expect(reports[1]!.warnings).toEqual([]);
    expect(cache.runningCount).toBe(0);
    // Kept, as a check run alone is.
    expect(cache.count).toBe(1);
    expect((await cache.check(npyTask(), run)).identity.name).toBe('shared');
    expect(runs).toHaveLength(1);
  });

  it('leaves the run to the others when one is cancelled: that one stops waiting at once', async () => {
    const cache = new DatasetCheckCache();
    const counter = countKeys(cache);
    const { runs, run } = heldRuns();
    const page = new AbortController();
    const pipeline = new AbortController();
    const started = settled(cache.check(npyTask(), run, page.signal));
    const waiting = settled(cache.check(npyTask(), run, pipeline.signal));
    const other = heard();
    const remaining = cache.check(npyTask(), run, undefined, other.onCounts);
    await keyed(counter, 3);
    expect(runs).toHaveLength(1);
    // The check that started the run is cancelled: it answers CANCELLED before the run ends, and the run goes on.
    page.abort();
    expect(await started).toEqual({ error: expect.objectContaining({ code: 'CANCELLED' }) });
    // So does one that waited on it.
    pipeline.abort();
    expect(await waiting).toEqual({ error: expect.objectContaining({ code: 'CANCELLED' }) });
    expect(runs[0]!.signal!.aborted).toBe(false);
    runs[0]!.pass('read once');
    expect((await remaining).identity.name).toBe('read once');
    expect(other.counts).toEqual([
      [0, 3],
      [3, 3],
    ]);
    expect(runs).toHaveLength(1);
    expect(cache.count).toBe(1);
  });

  it('stops the run once every check waiting on it is cancelled, and forgets it at once', async () => {
    const cache = new DatasetCheckCache();
    const counter = countKeys(cache);
    const { runs, run } = heldRuns();
    const cancels = [new AbortController(), new AbortController()];
    const checks = cancels.map((c) => settled(cache.check(npyTask(), run, c.signal)));
    await keyed(counter, 2);
    cancels[0]!.abort();
    expect(runs[0]!.signal!.aborted).toBe(false);
    cancels[1]!.abort();
    expect(runs[0]!.signal!.aborted).toBe(true);
    for (const outcome of await Promise.all(checks)) {
      expect(outcome).toEqual({ error: expect.objectContaining({ code: 'CANCELLED' }) });
    }
    // Winding down, it is no one's to wait on: the next check reads the data itself.
    expect(cache.runningCount).toBe(0);
    const next = cache.check(npyTask(), run);
    await keyed(counter, 3);
    expect(runs).toHaveLength(2);
    runs[1]!.pass('again');
    expect((await next).identity.name).toBe('again');
    expect(cache.count).toBe(1);
  });

  it('answers a check already cancelled CANCELLED without starting a run', async () => {
    const cache = new DatasetCheckCache();
    const { runs, run } = heldRuns();
    await expect(cache.check(npyTask(), run, AbortSignal.abort())).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(runs).toHaveLength(0);
    expect(cache.runningCount).toBe(0);
  });

  it("never takes another's failure or cancellation: a check that waited runs its own", async () => {
    const cache = new DatasetCheckCache();
    const counter = countKeys(cache);
    const { runs, run } = heldRuns();
    // The run stopped under everyone (the task pool shut down): its starter answers that; the waiter reads.
    let started = settled(cache.check(npyTask(), run));
    let waiting = settled(cache.check(npyTask(), run));
    await keyed(counter, 2);
    runs[0]!.fail(new StudioError('CANCELLED', 'Cancelled.'));
    expect(await started).toEqual({ error: expect.objectContaining({ code: 'CANCELLED' }) });
    await expect.poll(() => runs.length).toBe(2);
    runs[1]!.pass('its own');
    expect(await waiting).toEqual({
      value: expect.objectContaining({ identity: expect.objectContaining({ name: 'its own' }) }),
    });
    expect(cache.count).toBe(1);

    // The run failed (a task process killed); the waiter's own check fails too: with its own error.
    cache.keep('unrelated', { report: report('unrelated') });
    touch(path.join(tmp.dir, 'inputs.npy'));
    started = settled(cache.check(npyTask(), run));
    waiting = settled(cache.check(npyTask(), run));
    await keyed(counter, 6);
    expect(runs).toHaveLength(3);
    runs[2]!.fail(new StudioError('ENGINE_CRASHED', 'The task process stopped.'));
    expect(await started).toEqual({ error: expect.objectContaining({ code: 'ENGINE_CRASHED' }) });
    await expect.poll(() => runs.length).toBe(4);
    runs[3]!.fail(new StudioError('BAD_REQUEST', 'labels.npy holds 2 labels but 3 samples'));
    expect(await waiting).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    // Neither failure was kept.
    expect(cache.count).toBe(2);
  });

  it('gives a check that waited no report of files changed while they were read', async () => {
    const cache = new DatasetCheckCache();
    const counter = countKeys(cache);
    const { runs, run } = heldRuns();
    const started = cache.check(npyTask(), run);
    const waiting = cache.check(npyTask(), run);
    await keyed(counter, 2);
    touch(path.join(tmp.dir, 'labels.npy'));
    // The check that started the run answers what it read, as a check run alone does; it is not kept.
    runs[0]!.pass('mixed');
    expect((await started).identity.name).toBe('mixed');
    await expect.poll(() => runs.length).toBe(2);
    runs[1]!.pass('as the files are now');
    expect((await waiting).identity.name).toBe('as the files are now');
    expect((await cache.check(npyTask(), run)).identity.name).toBe('as the files are now');
    expect(runs).toHaveLength(2);
  });
});

describe('a data folder that cannot be listed', () => {
  it('has no key, so every check of it runs and none is kept', async () => {
    const cache = new DatasetCheckCache();
    const cat = path.join(tmp.dir, 'images', 'cat');
    const readdir = fs.promises.readdir;
    const spy = vi.spyOn(fs.promises, 'readdir').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      if (p === cat)
        return Promise.reject(
          Object.assign(new Error(`EMFILE: too many open files, scandir '${cat}'`), { code: 'EMFILE' }),
        );
      return (readdir as (...args: unknown[]) => Promise<unknown>)(p, ...rest);
    }) as typeof fs.promises.readdir);
    try {
      expect(await cache.keyOf(imagesTask())).toBeUndefined();
      let runs = 0;
      const run: RunCheck = async () => {
        runs++;
        return report('listed');
      };
      await cache.check(imagesTask(), run);
      await cache.check(imagesTask(), run);
      expect(runs).toBe(2);
      expect(cache.count).toBe(0);
      expect(cache.runningCount).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(await cache.keyOf(imagesTask())).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the checks of the backend, through the cache', () => {
  const sample = tinyDigits();
  /** Four 8x8 grey digits in two class folders, for the digits model. */
  async function digitImages(): Promise<string> {
    const root = path.join(tmp.dir, 'digit-images');
    for (const [cls, file] of [
      ['0', 'a.png'],
      ['0', 'b.png'],
      ['1', 'c.png'],
      ['1', 'd.png'],
    ]) {
      fs.mkdirSync(path.join(root, cls!), { recursive: true });
      const pixels = Buffer.alloc(64, cls === '0' ? 40 : 200);
      await sharp(pixels, { raw: { width: 8, height: 8, channels: 1 } })
        .png()
        .toFile(path.join(root, cls!, file!));
    }
    return root;
  }

  /**
   * The engine's side of a check, in this process: the workspace's input spec as a store answers it (each read
   * counted), and the task pool running each task through the task process's own handler.
   */
  function inProcess() {
    const reads = { workspace: 0, targets: 0 };
    const ran: TaskRequest[] = [];
    const deps = {
      store: {
        get: async () => {
          reads.workspace++;
          return { experiment: { inputs: { shapes: { input: [1, 1, 8, 8] } } } };
        },
        resolveTarget: async (modelPath: string) => {
          reads.targets++;
          return { path: path.resolve(modelPath) };
        },
      },
      tasks: {
        run: async (task: TaskRequest, options?: RunTaskOptions): Promise<TerminalJobEvent> => {
          ran.push(task);
          const base = { jobId: 'check', seq: 0, timeMs: 0 };
          try {
            const result = await runTaskHere(
              task,
              {
                signal: options?.signal ?? new AbortController().signal,
                progress: () => {},
                metric: (name, unit, values) =>
                  options?.onEvent?.({ ...base, type: 'metric', name, unit, values } as JobEvent),
                log: () => {},
                phase: () => {},
              },
              { testHooks: false },
            );
            return { ...base, type: 'result', result };
          } catch (error) {
            if (!(error instanceof StudioError)) throw error;
            return { ...base, type: 'failed', error: error.toInfo() };
          }
        },
      },
    } as unknown as ExecutorDeps;
    return { deps, reads, ran };
  }

  const digitsRequest = (spec: DatasetCheckRequest['data']['spec']): DatasetCheckRequest => ({
    modelPath: sample.modelPath,
    role: 'evaluation',
    data: { spec },
  });
  const npyData = { kind: 'npy' as const, path: sample.inputsPath, labels: sample.labelsPath };

  it('reads the workspace once per check: the key, the stamp and the check itself are of one task', async () => {
    const { deps, reads, ran } = inProcess();
    const checks = new DatasetChecks(deps, checkDatasetInTask, undefined, new DatasetCheckCache());
    const report = await checks.check(digitsRequest(npyData));
    expect(report).toMatchObject({ identity: { samples: 360 }, labels: { count: 360, min: 0, max: 9 } });
    expect(ran).toHaveLength(1);
    expect(reads).toEqual({ workspace: 1, targets: 1 });
    // Reused: resolved once more (its key is of the workspace as it is now), not read.
    expect(await checks.check(digitsRequest(npyData))).toEqual(report);
    expect(ran).toHaveLength(1);
    expect(reads).toEqual({ workspace: 2, targets: 2 });
  });

  it("reads the data once for the page's check and a pipeline's sent at the same moment", async () => {
    const { deps, ran } = inProcess();
    const events: { checkId: string; done: number; total: number }[] = [];
    const checks = new DatasetChecks(
      deps,
      checkDatasetInTask,
      ({ checkId, done, total }) => events.push({ checkId, done, total }),
      new DatasetCheckCache(),
    );
    const [page, pipeline] = await Promise.all([
      checks.check({ ...digitsRequest(npyData), checkId: 'page' }),
      checks.run('p1', (check) => check(digitsRequest(npyData))),
    ]);
    expect(pipeline).toEqual(page);
    expect(ran).toHaveLength(1);
    // The pipeline's check reports as a reused check does.
    expect(events.filter((e) => e.checkId === 'p1')).toEqual([
      { checkId: 'p1', done: 0, total: 360 },
      { checkId: 'p1', done: 360, total: 360 },
    ]);
    expect(events.filter((e) => e.checkId === 'page').at(-1)).toEqual({
      checkId: 'page',
      done: 360,
      total: 360,
    });
  });

  it("keeps a pipeline's check waiting when the page's Cancel stops the check it waits on", async () => {
    const { deps } = inProcess();
    const { runs, run } = heldRuns();
    const cache = new DatasetCheckCache();
    const counter = countKeys(cache);
    const checks = new DatasetChecks(
      deps,
      (_d, _r, signal, onCounts) => run(signal, onCounts),
      undefined,
      cache,
    );
    const page = settled(checks.check({ ...digitsRequest(npyData), checkId: 'page' }));
    const pipeline = checks.run('p1', (check) => check(digitsRequest(npyData)));
    await keyed(counter, 2);
    expect(checks.cancel('page')).toBe(true);
    expect(await page).toEqual({ error: expect.objectContaining({ code: 'CANCELLED' }) });
    expect(runs[0]!.signal!.aborted).toBe(false);
    runs[0]!.pass('digits');
    expect((await pipeline).identity.name).toBe('digits');
    expect(runs).toHaveLength(1);
  });

  it('runs the check of a folder that cannot be listed, which says so, and keeps none until it can be', async () => {
    const root = await digitImages();
    const { deps, ran } = inProcess();
    const checks = new DatasetChecks(deps, checkDatasetInTask, undefined, new DatasetCheckCache());
    const images = digitsRequest({ kind: 'images', path: root });
    const readdir = fs.promises.readdir;
    const spy = vi.spyOn(fs.promises, 'readdir').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      if (p === root) {
        const error = new Error(`EMFILE: too many open files, scandir '${root}'`);
        return Promise.reject(Object.assign(error, { code: 'EMFILE' }));
      }
      return (readdir as (...args: unknown[]) => Promise<unknown>)(p, ...rest);
    }) as typeof fs.promises.readdir);
    try {
      for (let i = 0; i < 2; i++) {
        await expect(checks.check(images)).rejects.toMatchObject({
          code: 'IO',
          message: `Cannot list ${root}: EMFILE: too many open files, scandir '${root}'`,
        });
      }
      // Each ran: a failure is never kept.
      expect(ran).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
    const report = await checks.check(images);
    expect(report).toMatchObject({ identity: { samples: 4 }, labels: { count: 4, min: 0, max: 1 } });
    expect(await checks.check(images)).toEqual(report);
    expect(ran).toHaveLength(3);
  });
});
