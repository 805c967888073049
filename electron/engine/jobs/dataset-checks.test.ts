import { describe, expect, it } from 'vitest';
import type {
  DatasetCheckProgress,
  DatasetCheckReport,
  DatasetCheckRequest,
} from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
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
