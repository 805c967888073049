import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_TEST_HOOKS_ENV } from '../host/engine-protocol.js';
import type { JobEvent } from '../../../shared/ipc-contract.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import { TaskPool, forkTaskProcess } from './task-pool.js';

// Real task processes (forked through tsx): crashes are real crashes, not simulations in this process.
const pool = new TaskPool({
  launch: () => forkTaskProcess({ ...process.env, [ENGINE_TEST_HOOKS_ENV]: '1' }),
  cancelGraceMs: 500,
  maxIdle: 1,
});
afterAll(() => pool.dispose());

describe('TaskPool', () => {
  it('runs a task in a task process and keeps the process warm for the next one', async () => {
    const sample = tinyDigits();
    const end = await pool.run({ kind: 'inspect', path: sample.modelPath });
    expect(end.type).toBe('result');
    const summary = (end as { result: ModelSummary }).result;
    expect(summary.inputs[0]?.name).toBeTruthy();
    expect(path.basename(summary.path)).toBe('digits.onnx');
    const pids = pool.pids;
    expect(pids).toHaveLength(1);
    const again = await pool.run({ kind: 'testSleep', ms: 1 });
    expect((again as { result: { pid: number } }).result.pid).toBe(pids[0]);
  });

  it('turns a native crash into ENGINE_CRASHED naming the phase, and the next task gets a fresh process', async () => {
    const before = pool.pids[0];
    const end = await pool.run({ kind: 'testCrash', mode: 'abort' });
    expect(end).toMatchObject({ type: 'failed', error: { code: 'ENGINE_CRASHED' } });
    const message = (end as { error: { message: string } }).error.message;
    expect(message).toMatch(/crashed \(SIGABRT\)/);
    expect(message).toMatch(/phase: running/);
    expect(message).toMatch(/start the job again/);
    const next = await pool.run({ kind: 'testSleep', ms: 1 });
    expect(next.type).toBe('result');
    expect((next as { result: { pid: number } }).result.pid).not.toBe(before);
  });

  it('cancels a task at its next check, with progress streaming before', async () => {
    const controller = new AbortController();
    const events: JobEvent[] = [];
    const running = pool.run(
      { kind: 'testSleep', ms: 30_000 },
      {
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (events.length === 2) controller.abort();
        },
      },
    );
    const end = await running;
    expect(end.type).toBe('cancelled');
    expect(events.every((e) => e.type === 'progress')).toBe(true);
  });

  it('kills a task that does not stop (a native call that never returns) after the grace period', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = pool.run({ kind: 'testCrash', mode: 'hang' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const end = await running;
    expect(end.type).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    const next = await pool.run({ kind: 'testSleep', ms: 1 });
    expect(next.type).toBe('result');
  });

  it('never runs more processes than maxProcesses: extra tasks wait for a free one', async () => {
    const bounded = new TaskPool({
      launch: () => forkTaskProcess({ ...process.env, [ENGINE_TEST_HOOKS_ENV]: '1' }),
      maxProcesses: 1,
    });
    try {
      const ends = await Promise.all([1, 2, 3].map(() => bounded.run({ kind: 'testSleep', ms: 50 })));
      const pids = ends.map((e) => (e as { result: { pid: number } }).result.pid);
      expect(new Set(pids).size).toBe(1);
      expect(bounded.pids.length).toBeLessThanOrEqual(1);
    } finally {
      await bounded.dispose();
    }
  });

  it('refuses test-only tasks in a process started without the test hooks', async () => {
    const plain = new TaskPool({
      launch: () => forkTaskProcess({ ...process.env, [ENGINE_TEST_HOOKS_ENV]: '' }),
    });
    try {
      const end = await plain.run({ kind: 'testCrash', mode: 'abort' });
      expect(end).toMatchObject({ type: 'failed', error: { code: 'BAD_REQUEST' } });
    } finally {
      await plain.dispose();
    }
  });
});
