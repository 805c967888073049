import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLatencyMetricName } from '../../../shared/latency-stats.js';
import { ENGINE_TEST_HOOKS_ENV } from './engine-protocol.js';
import type { JobEvent } from '../../../shared/ipc-contract.js';
import { benchParams } from '../bench/run-benchmark.js';
import { waitForEvent } from '../testing/job-events.js';
import { buildCnn, buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { EngineClient } from './engine-client.js';
import { forkEngine } from './engine-transport.js';

/*
 * These tests fork real engine processes (from the TypeScript sources, through tsx) and crash them for real:
 * process.abort() in the engine, not a simulated exit in this process.
 */

const withHooks = { ...process.env, [ENGINE_TEST_HOOKS_ENV]: '1' };

/** Each job's events have its id, and seq 0, 1, 2, ... with exactly one terminal event, last. */
function expectWellFormed(events: JobEvent[], jobId: string): void {
  expect(events.length).toBeGreaterThan(0);
  events.forEach((e, i) => {
    expect(e.jobId).toBe(jobId);
    expect(e.seq).toBe(i);
  });
  const terminal = events.filter((e) => e.type === 'result' || e.type === 'failed' || e.type === 'cancelled');
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)).toBe(terminal[0]);
}

describe('EngineClient with a forked engine process', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let mlp: string;
  let cnn: string;
  let client: EngineClient;
  const output: string[] = [];

  beforeAll(() => {
    tmp = makeTempDir();
    mlp = path.join(tmp.dir, 'mlp.onnx');
    cnn = path.join(tmp.dir, 'cnn.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    fs.writeFileSync(cnn, modelBytes(buildCnn()));
    client = new EngineClient({ launch: () => forkEngine({ env: withHooks }), cancelGraceMs: 300, onOutput: (line) => output.push(line) });
  });
  afterAll(async () => {
    await client.dispose();
    tmp.cleanup();
  });

  it('runs concurrent jobs in one process and routes their streamed events by id', async () => {
    const stats = await client.call('ping', {});
    expect(stats.pid).toBe(client.pid);
    const eventsA: JobEvent[] = [];
    const eventsB: JobEvent[] = [];
    const a = client.start('bench', benchParams({ models: [mlp, cnn], warmup: 1, iterations: 20, intraOpThreads: 1 }), (e) => eventsA.push(e));
    const b = client.start('bench', benchParams({ models: [cnn], warmup: 0, iterations: 5, intraOpThreads: 1 }), (e) => eventsB.push(e));
    const [endA, endB] = await Promise.all([a.done, b.done]);
    expect(endA.type).toBe('result');
    expect(endB.type).toBe('result');
    expectWellFormed(eventsA, a.id);
    expectWellFormed(eventsB, b.id);
    if (endA.type !== 'result' || endB.type !== 'result') return;
    expect(endA.result.results.map((r) => r.model)).toEqual([mlp, cnn]);
    expect(endA.result.comparisons).toHaveLength(1);
    expect(endB.result.results[0]?.iterations).toBe(5);
    // Latency samples stream as batched metric events, one series per model, adding up to the iterations.
    const counts = [0, 0];
    for (const e of eventsA) {
      if (e.type !== 'metric') continue;
      const i = parseLatencyMetricName(e.name);
      expect(e.unit).toBe('ms');
      if (i !== undefined) counts[i] = (counts[i] ?? 0) + e.values.length;
    }
    expect(counts).toEqual([20, 20]);
    expect(eventsA.some((e) => e.type === 'log' && /spinning/.test(e.message))).toBe(true);
    // Both jobs ran in the same process.
    expect(client.pid).toBe(stats.pid);
  });

  it('reports the execution providers, probed in the engine process', async () => {
    const providers = await client.call('providers', {});
    expect(providers.map((p) => p.name)).toEqual(['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml']);
    expect(providers[0]).toMatchObject({ name: 'cpu', available: true });
    for (const p of providers.filter((x) => !x.available)) expect(p.hint).toBeTruthy();
  });

  it('fails every job in flight with ENGINE_CRASHED naming model and phase when the process dies, then restarts', async () => {
    const before = await client.call('ping', {});
    const measuring = waitForEvent((e) => e.type === 'metric');
    const bench = client.start('bench', benchParams({ models: [mlp], warmup: 0, durationMs: 60_000, intraOpThreads: 1 }), measuring.listener);
    await measuring.seen;
    const crash = client.start('testCrash', { mode: 'abort' });
    const [benchEnd, crashEnd] = await Promise.all([bench.done, crash.done]);
    expect(benchEnd.type).toBe('failed');
    expect(crashEnd.type).toBe('failed');
    if (benchEnd.type !== 'failed' || crashEnd.type !== 'failed') return;
    expect(benchEnd.error.code).toBe('ENGINE_CRASHED');
    // SIGABRT where there are signals; an exit code on Windows.
    expect(benchEnd.error.message).toMatch(/The engine process (crashed \(SIGABRT\)|exited unexpectedly \(exit code \d+\)) while benchmarking /);
    // Models are named by file name, as in every crash message.
    expect(benchEnd.error.message).toContain(`benchmarking ${path.basename(mlp)} (phase: measuring)`);
    expect(crashEnd.error.code).toBe('ENGINE_CRASHED');
    expect(client.activeJobs).toBe(0);
    // The next request starts a fresh process.
    const after = await client.call('ping', {});
    expect(after.pid).not.toBe(before.pid);
    expect(client.pid).toBe(after.pid);
  });

  it('cancels a benchmark at its next iteration without killing the process', async () => {
    const before = await client.call('ping', {});
    const measuring = waitForEvent((e) => e.type === 'metric');
    const events: JobEvent[] = [];
    const job = client.start('bench', benchParams({ models: [mlp], warmup: 0, iterations: 10_000_000, intraOpThreads: 1 }), (e) => {
      events.push(e);
      measuring.listener(e);
    });
    await measuring.seen;
    expect(client.cancel(job.id)).toBe(true);
    const end = await job.done;
    expect(end.type).toBe('cancelled');
    expectWellFormed(events, job.id);
    expect(client.cancel(job.id)).toBe(false);
    expect((await client.call('ping', {})).pid).toBe(before.pid);
  });

  it('kills the process when a cancelled job is stuck in a call that never returns, and recovers', async () => {
    const before = await client.call('ping', {});
    const stuck = client.start('testCrash', { mode: 'hang' });
    // Give the engine time to enter the hang before queueing a ping behind it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const bystander = client.start('ping', {});
    expect(client.cancel(stuck.id)).toBe(true);
    const [stuckEnd, bystanderEnd] = await Promise.all([stuck.done, bystander.done]);
    expect(stuckEnd.type).toBe('cancelled');
    expect(bystanderEnd.type).toBe('failed');
    if (bystanderEnd.type === 'failed') {
      expect(bystanderEnd.error.code).toBe('ENGINE_CRASHED');
      expect(bystanderEnd.error.message).toMatch(/did not stop within 300 ms/);
    }
    expect((await client.call('ping', {})).pid).not.toBe(before.pid);
  });

  it('turns a failed job into a StudioError from call() and a signal into CANCELLED', async () => {
    await expect(client.call('bench', benchParams({ models: [path.join(tmp.dir, 'missing.onnx')] }))).rejects.toMatchObject({ code: 'IO' });
    const controller = new AbortController();
    const measuring = waitForEvent((e) => e.type === 'metric');
    const pending = client.call('bench', benchParams({ models: [mlp], warmup: 0, iterations: 10_000_000, intraOpThreads: 1 }), {
      signal: controller.signal,
      onEvent: measuring.listener,
    });
    await measuring.seen;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('EngineClient without test hooks', () => {
  it('refuses test-only requests, cancels jobs before the engine starts, and ends jobs on dispose', async () => {
    const client = new EngineClient();
    try {
      const early = client.start('ping', {});
      expect(client.cancel(early.id)).toBe(true);
      expect((await early.done).type).toBe('cancelled');
      const refused = await client.start('testCrash', { mode: 'abort' }).done;
      expect(refused.type).toBe('failed');
      if (refused.type === 'failed') expect(refused.error).toMatchObject({ code: 'BAD_REQUEST' });
      const late = client.start('providers', {});
      await client.dispose();
      expect((await late.done).type).toBe('cancelled');
      expect(client.pid).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });
});
