import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  DatasetCheckProgress,
  DatasetCheckReport,
  DatasetCheckRequest,
} from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { DatasetCheckCache } from './dataset-check-cache.js';
import { DatasetChecks } from './experiment.js';
import type { ExecutorDeps } from './job-executors.js';

/** A check that runs until it is aborted, then ends a turn later (as a task process winds down). */
function slowCheck(_deps: ExecutorDeps, _request: DatasetCheckRequest, signal?: AbortSignal) {
  return new Promise<DatasetCheckReport>((_resolve, reject) => {
    signal?.addEventListener('abort', () =>
      setTimeout(() => reject(new StudioError('CANCELLED', 'The data check was cancelled.')), 10),
    );
  });
}

describe('DatasetChecks', () => {
  it('keeps a new check under a reused id cancellable while the cancelled one winds down', async () => {
    const checks = new DatasetChecks({} as ExecutorDeps, slowCheck);
    const request = {
      modelPath: '/m.onnx',
      role: 'evaluation',
      data: { spec: { kind: 'synthetic' } },
      checkId: 'a',
    } as DatasetCheckRequest;
    const first = checks.check(request).catch((e: unknown) => e);
    expect(checks.cancel('a')).toBe(true);
    const second = checks.check(request).catch((e: unknown) => e);
    // The first check ends after the second took its id: the second must stay registered.
    expect(await first).toMatchObject({ code: 'CANCELLED' });
    expect(checks.cancel('a')).toBe(true);
    expect(await second).toMatchObject({ code: 'CANCELLED' });
    expect(checks.cancel('a')).toBe(false);
  });
});

/** A check that reports the counts it is given, then answers (or stops at once when aborted). */
function countingCheck(counts: [number, number][]) {
  return async (
    _deps: ExecutorDeps,
    request: DatasetCheckRequest,
    signal?: AbortSignal,
    onCounts?: (done: number, total: number) => void,
  ): Promise<DatasetCheckReport> => {
    for (const [done, total] of counts) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'The data check was cancelled.');
      onCounts?.(done, total);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return { hasLabels: request.role === 'evaluation' } as DatasetCheckReport;
  };
}

describe('DatasetChecks progress', () => {
  const request = (role: 'calibration' | 'evaluation', checkId?: string) =>
    ({
      modelPath: '/m.onnx',
      role,
      data: { spec: { kind: 'synthetic' } },
      ...(checkId ? { checkId } : {}),
    }) as DatasetCheckRequest;

  it('reports the counts of a check with an id under that id, and only what the contract allows', async () => {
    const events: DatasetCheckProgress[] = [];
    const checks = new DatasetChecks(
      {} as ExecutorDeps,
      // A negative or fractional count (a task process gone wrong) never reaches the page.
      countingCheck([
        [0, 10],
        [4, 10],
        [-1, 10],
        [5.5, 10],
        [10, 10],
      ]),
      (p) => events.push(p),
    );
    await checks.check(request('evaluation', 'c1'));
    expect(events).toEqual([
      { checkId: 'c1', done: 0, total: 10, role: 'evaluation' },
      { checkId: 'c1', done: 4, total: 10, role: 'evaluation' },
      { checkId: 'c1', done: 10, total: 10, role: 'evaluation' },
    ]);
    // A check without an id has no one to report to.
    events.length = 0;
    await checks.check(request('evaluation'));
    expect(events).toEqual([]);
  });

  it('runs several checks under one id: one Cancel stops the one running and the ones after it', async () => {
    const events: DatasetCheckProgress[] = [];
    const ran: string[] = [];
    const counting = countingCheck([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    const checks = new DatasetChecks(
      {} as ExecutorDeps,
      (deps, r, signal, onCounts) => {
        ran.push(r.role);
        return r.role === 'calibration' ? counting(deps, r, signal, onCounts) : slowCheck(deps, r, signal);
      },
      (p) => events.push(p),
    );
    // Both checks finish uncancelled: the progress of each names its data.
    const quick = new DatasetChecks(
      {} as ExecutorDeps,
      countingCheck([
        [0, 2],
        [2, 2],
      ]),
      (p) => events.push(p),
    );
    const facts = await quick.run('p1', async (check) => {
      await check(request('calibration'));
      return (await check(request('evaluation'))).hasLabels;
    });
    expect(facts).toBe(true);
    expect(events.map((e) => [e.checkId, e.role, e.done])).toEqual([
      ['p1', 'calibration', 0],
      ['p1', 'calibration', 2],
      ['p1', 'evaluation', 0],
      ['p1', 'evaluation', 2],
    ]);

    // Cancelled while the second check reads: it stops; the work answers CANCELLED.
    events.length = 0;
    const work = checks
      .run('p2', async (check) => {
        await check(request('calibration'));
        await check(request('evaluation'));
        return 'done';
      })
      .catch((e: unknown) => e);
    await expect.poll(() => ran).toEqual(['calibration', 'evaluation']);
    expect(checks.cancel('p2')).toBe(true);
    expect(await work).toMatchObject({ code: 'CANCELLED' });

    // Cancelled between two checks: the second never starts.
    ran.length = 0;
    const between = checks
      .run('p3', async (check) => {
        await check(request('calibration'));
        checks.cancel('p3');
        await check(request('evaluation'));
        return 'done';
      })
      .catch((e: unknown) => e);
    expect(await between).toMatchObject({ code: 'CANCELLED' });
    expect(ran).toEqual(['calibration']);
  });
});

describe('a Cancel after the last check ended', () => {
  it('still reaches the work through its signal, so pipeline.start records nothing', async () => {
    const checks = new DatasetChecks(
      {} as ExecutorDeps,
      countingCheck([
        [0, 1],
        [1, 1],
      ]),
    );
    const recorded: string[] = [];
    const outcome = await checks
      .run('late', async (check, signal) => {
        await check({
          modelPath: '/m.onnx',
          role: 'evaluation',
          data: { spec: { kind: 'synthetic' } },
        } as DatasetCheckRequest);
        // The page's Cancel arrives here: the checks ended, the pipeline is not recorded yet.
        expect(checks.cancel('late')).toBe(true);
        if (signal?.aborted) throw new StudioError('CANCELLED', 'The data check was cancelled.');
        recorded.push('pipeline');
        return 'recorded';
      })
      .catch((e: unknown) => e);
    expect(outcome).toMatchObject({ code: 'CANCELLED' });
    expect(recorded).toEqual([]);
  });
});

describe('DatasetChecks with a cache', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  /** The workspace's input spec, as the fake store answers it. */
  let shapes: Record<string, number[]>;
  beforeEach(() => {
    tmp = makeTempDir('onnx-studio-dataset-checks-');
    for (const file of ['model.onnx', 'inputs.npy', 'labels.npy', 'other.npy']) {
      fs.writeFileSync(path.join(tmp.dir, file), file);
    }
    shapes = { input: [1, 8] };
  });
  afterEach(() => tmp.cleanup());

  const deps = () =>
    ({
      store: {
        get: async () => ({ experiment: { inputs: { shapes } } }),
        resolveTarget: async () => ({ path: path.join(tmp.dir, 'model.onnx') }),
      },
    }) as unknown as ExecutorDeps;
  const request = (file = 'inputs.npy', checkId?: string) =>
    ({
      modelPath: path.join(tmp.dir, 'model.onnx'),
      role: 'evaluation',
      data: {
        spec: { kind: 'npy', path: path.join(tmp.dir, file), labels: path.join(tmp.dir, 'labels.npy') },
      },
      ...(checkId ? { checkId } : {}),
    }) as DatasetCheckRequest;

  /** DatasetChecks whose check counts its runs and reports reading 0, then 3 of 3 samples. */
  function counted(size?: number) {
    const runs: DatasetCheckRequest[] = [];
    const events: DatasetCheckProgress[] = [];
    const reading = countingCheck([
      [0, 3],
      [3, 3],
    ]);
    const checks = new DatasetChecks(
      deps(),
      (d, r, signal, onCounts) => {
        runs.push(r);
        return reading(d, r, signal, onCounts);
      },
      (p) => events.push(p),
      new DatasetCheckCache(size),
    );
    return { checks, runs, events };
  }

  it('reads the data once for the page and every pipeline, and replays the counts under each id', async () => {
    const { checks, runs, events } = counted();
    const first = await checks.check(request('inputs.npy', 'page'));
    expect(await checks.check(request())).toEqual(first);
    const pipelines = await Promise.all(
      ['p1', 'p2', 'p3'].map((id) => checks.run(id, async (check) => (await check(request())).hasLabels)),
    );
    expect(pipelines).toEqual([true, true, true]);
    expect(runs).toHaveLength(1);
    // A reused check with an id reports "0 of 3", then "3 of 3", as a quick check does.
    expect(events.filter((e) => e.checkId === 'p2')).toEqual([
      { checkId: 'p2', done: 0, total: 3, role: 'evaluation' },
      { checkId: 'p2', done: 3, total: 3, role: 'evaluation' },
    ]);
  });

  it('runs again when a file it read is touched or rewritten, or the input spec changes', async () => {
    const { checks, runs } = counted();
    const inputs = path.join(tmp.dir, 'inputs.npy');
    await checks.check(request());
    const { atime, mtime } = fs.statSync(inputs);
    fs.utimesSync(inputs, atime, new Date(mtime.getTime() + 5_000));
    await checks.check(request());
    expect(runs).toHaveLength(2);
    fs.writeFileSync(inputs, 'rewritten');
    await checks.check(request());
    expect(runs).toHaveLength(3);
    shapes = { input: [1, 16] };
    await checks.check(request());
    expect(runs).toHaveLength(4);
    // Each of these is kept in turn: the same request on the same files now is not read again.
    await checks.check(request());
    expect(runs).toHaveLength(4);
  });

  it('keeps no check that failed, was cancelled, or read a file that is missing', async () => {
    let outcome: 'fail' | 'cancel' | 'pass' = 'fail';
    let runs = 0;
    const checks = new DatasetChecks(
      deps(),
      async (_d, r) => {
        runs++;
        if (outcome === 'fail')
          throw new StudioError('BAD_REQUEST', 'labels.npy holds 2 labels but 3 samples');
        if (outcome === 'cancel') throw new StudioError('CANCELLED', 'The data check was cancelled.');
        return { hasLabels: r.role === 'evaluation' } as DatasetCheckReport;
      },
      undefined,
      new DatasetCheckCache(),
    );
    await expect(checks.check(request())).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(checks.check(request())).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(runs).toBe(2);
    outcome = 'cancel';
    await expect(checks.check(request())).rejects.toMatchObject({ code: 'CANCELLED' });
    outcome = 'pass';
    await checks.check(request());
    expect(runs).toBe(4);
    // Without its labels file the check cannot be stamped: it runs every time (and fails, in real life).
    fs.rmSync(path.join(tmp.dir, 'labels.npy'));
    await checks.check(request());
    await checks.check(request());
    expect(runs).toBe(6);
  });

  it("runs the task it was keyed by: an input spec saved while it runs is the next check's", async () => {
    let runs = 0;
    const checks = new DatasetChecks(
      deps(),
      async (_d, _r, _signal, _onCounts, task) => {
        // The task process reads the spec it is given; the user saves another one while the check runs.
        const read = task!.shapes!.input!;
        if (runs++ === 0) shapes = { input: [1, 16] };
        return {
          hasLabels: true,
          inputs: [{ name: 'input', dtype: 'float32', shape: read }],
        } as DatasetCheckReport;
      },
      undefined,
      new DatasetCheckCache(),
    );
    expect((await checks.check(request())).inputs[0]!.shape).toEqual([1, 8]);
    // The spec saved meanwhile is checked anew...
    expect((await checks.check(request())).inputs[0]!.shape).toEqual([1, 16]);
    expect(runs).toBe(2);
    // ...and the first check was kept under the spec it read: back to it, nothing is read again.
    shapes = { input: [1, 8] };
    expect((await checks.check(request())).inputs[0]!.shape).toEqual([1, 8]);
    expect(runs).toBe(2);
  });

  it('keeps the last checks only: past its size, the least recently used one runs again', async () => {
    const { checks, runs } = counted(2);
    for (const file of ['inputs.npy', 'other.npy', 'inputs.npy']) await checks.check(request(file));
    expect(runs.map((r) => path.basename(r.data.spec.kind === 'npy' ? r.data.spec.path : ''))).toEqual([
      'inputs.npy',
      'other.npy',
    ]);
    // A third dataset pushes out 'other.npy' (inputs.npy was used last).
    fs.writeFileSync(path.join(tmp.dir, 'third.npy'), 'third');
    await checks.check(request('third.npy'));
    await checks.check(request('inputs.npy'));
    await checks.check(request('other.npy'));
    expect(runs.map((r) => path.basename(r.data.spec.kind === 'npy' ? r.data.spec.path : ''))).toEqual([
      'inputs.npy',
      'other.npy',
      'third.npy',
      'other.npy',
    ]);
  });
});
