import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import { JobManager, type JobContext, type JobLane } from './job-manager.js';

interface Spec {
  name: string;
  lane: JobLane;
  exclusive?: boolean;
  run?: (ctx: JobContext) => Promise<unknown>;
}

/** A job that waits until released, so tests control when it ends. */
function gate() {
  let release!: (value?: unknown) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<unknown>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { promise, release, fail };
}

function manager(options: { now?: () => number; progressIntervalMs?: number } = {}) {
  const started: string[] = [];
  const jobs = new JobManager<Spec>({
    execute: (spec, ctx) => {
      started.push(spec.name);
      return spec.run ? spec.run(ctx) : Promise.resolve(spec.name);
    },
    laneOf: (spec) => spec.lane,
    isExclusive: (spec) => spec.exclusive ?? false,
    ...options,
  });
  const events: JobEvent[] = [];
  jobs.onEvent((e) => events.push(e));
  return { jobs, started, events, of: (id: string) => events.filter((e) => e.jobId === id) };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('JobManager', () => {
  it('numbers events from 0 and ends every job with exactly one terminal event', async () => {
    const { jobs, of } = manager();
    const ok = jobs.start({
      name: 'ok',
      lane: 'transform',
      run: async (ctx) => (ctx.log('info', 'hello'), ctx.metric('m', 'ms', [1, 2]), 42),
    });
    const bad = jobs.start({
      name: 'bad',
      lane: 'inspect',
      run: async () => Promise.reject(new StudioError('MODEL_PARSE', 'broken: re-export it')),
    });
    const thrown = jobs.start({
      name: 'sync-throw',
      lane: 'inspect',
      run: () => {
        throw new Error('boom');
      },
    });
    await jobs.whenIdle();
    for (const { jobId } of [ok, bad, thrown]) {
      const events = of(jobId);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events.filter((e) => ['result', 'failed', 'cancelled'].includes(e.type))).toHaveLength(1);
      expect(['result', 'failed', 'cancelled']).toContain(events.at(-1)!.type);
    }
    expect(of(ok.jobId).at(-1)).toMatchObject({ type: 'result', result: 42 });
    expect(of(ok.jobId).map((e) => e.type)).toEqual(['progress', 'log', 'metric', 'result']);
    expect(of(bad.jobId).at(-1)).toMatchObject({
      type: 'failed',
      error: { code: 'MODEL_PARSE', message: 'broken: re-export it' },
    });
    expect(of(thrown.jobId).at(-1)).toMatchObject({
      type: 'failed',
      error: { code: 'INTERNAL', message: 'boom' },
    });
    expect(await ok.done).toMatchObject({ type: 'result', result: 42 });
  });

  it('ignores anything an executor reports after its job ended', async () => {
    const { jobs, of } = manager();
    let late!: JobContext;
    const job = jobs.start({ name: 'x', lane: 'transform', run: async (ctx) => ((late = ctx), 'done') });
    await job.done;
    late.progress(0.5, 'late');
    late.log('info', 'late');
    expect(of(job.jobId).at(-1)!.type).toBe('result');
  });

  it('runs inference jobs one at a time, in order, while inspect jobs run at once', async () => {
    const { jobs, started } = manager();
    const a = gate();
    const b = gate();
    jobs.start({ name: 'eval-a', lane: 'inference', run: () => a.promise });
    jobs.start({ name: 'eval-b', lane: 'inference', run: () => b.promise });
    jobs.start({ name: 'inspect', lane: 'inspect' });
    jobs.start({ name: 'quantize', lane: 'transform' });
    await tick();
    expect(started).toEqual(['eval-a', 'inspect', 'quantize']);
    a.release();
    await tick();
    expect(started).toEqual(['eval-a', 'inspect', 'quantize', 'eval-b']);
    b.release();
    await jobs.whenIdle();
    expect(jobs.list().every((j) => j.state === 'succeeded')).toBe(true);
  });

  it('runs an exclusive job (a benchmark) alone and holds back heavy jobs queued after it', async () => {
    const { jobs, started, of } = manager();
    const q = gate();
    const bench = gate();
    jobs.start({ name: 'quantize', lane: 'transform', run: () => q.promise });
    const b = jobs.start({ name: 'bench', lane: 'inference', exclusive: true, run: () => bench.promise });
    jobs.start({ name: 'prune', lane: 'transform' });
    jobs.start({ name: 'inspect', lane: 'inspect' });
    await tick();
    // The benchmark waits for the running quantization; the prune queued after it waits for the benchmark.
    expect(started).toEqual(['quantize', 'inspect']);
    expect(of(b.jobId)[0]).toMatchObject({ type: 'progress', stage: 'queued', fraction: 0 });
    q.release();
    await tick();
    expect(started).toEqual(['quantize', 'inspect', 'bench']);
    bench.release();
    await jobs.whenIdle();
    expect(started).toEqual(['quantize', 'inspect', 'bench', 'prune']);
  });

  it('throttles progress of one stage to the interval, but passes a new stage at once', async () => {
    let now = 0;
    const { jobs, of } = manager({ now: () => now, progressIntervalMs: 100 });
    const job = jobs.start({
      name: 'p',
      lane: 'transform',
      run: async (ctx) => {
        for (let i = 0; i < 1000; i++) {
          now += 1; // 1000 updates over 1 s
          ctx.progress(i / 1000, 'quantizing');
        }
        ctx.progress(1, 'saving');
        return 'ok';
      },
    });
    await job.done;
    const progress = of(job.jobId).filter((e) => e.type === 'progress');
    const quantizing = progress.filter((e) => e.type === 'progress' && e.stage === 'quantizing');
    // ~10 Hz over one second: about 10 events, never 1000.
    expect(quantizing.length).toBeGreaterThanOrEqual(9);
    expect(quantizing.length).toBeLessThanOrEqual(11);
    expect(progress.at(-1)).toMatchObject({ stage: 'saving', fraction: 1 });
    const withEta = quantizing.filter((e) => e.type === 'progress' && e.etaMs !== undefined);
    expect(withEta.length).toBeGreaterThan(0);
  });

  it('cancels a queued job at once and a running job through its signal', async () => {
    const { jobs, of } = manager();
    const first = jobs.start({
      name: 'long',
      lane: 'inference',
      run: (ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new StudioError('CANCELLED', 'stopped')));
        }),
    });
    const queued = jobs.start({ name: 'waiting', lane: 'inference' });
    await tick();
    expect(jobs.cancel(queued.jobId)).toBe(true);
    expect(await queued.done).toMatchObject({ type: 'cancelled' });
    expect(of(queued.jobId).map((e) => e.type)).toEqual(['progress', 'cancelled']);
    expect(jobs.cancel(first.jobId)).toBe(true);
    expect(await first.done).toMatchObject({ type: 'cancelled' });
    expect(jobs.cancel(first.jobId)).toBe(false);
    expect(jobs.cancel('no-such-job')).toBe(false);
    expect(jobs.list().find((j) => j.jobId === first.jobId)).toMatchObject({
      state: 'cancelled',
      terminal: { type: 'cancelled' },
    });
  });

  it('ends the jobs it stops while ONNX Studio closes as interrupted, and a Cancel as cancelled', async () => {
    const { jobs } = manager();
    const abortable = (ctx: JobContext) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new StudioError('CANCELLED', 'stopped')));
      });
    const cancelled = jobs.start({ name: 'cancelled', lane: 'transform', run: abortable });
    jobs.cancel(cancelled.jobId);
    expect(await cancelled.done).not.toHaveProperty('interrupted');
    const running = jobs.start({ name: 'running', lane: 'inference', run: abortable });
    const queued = jobs.start({ name: 'queued', lane: 'inference' });
    await jobs.cancelAll('closing');
    expect(await running.done).toMatchObject({ type: 'cancelled', interrupted: 'closing' });
    expect(await queued.done).toMatchObject({ type: 'cancelled', interrupted: 'closing' });
    expect(jobs.list().find((j) => j.jobId === running.jobId)?.terminal).toMatchObject({
      interrupted: 'closing',
    });
  });

  it('tells each state of a job as it changes (queued, running, ended), without its metric samples', async () => {
    const { jobs } = manager();
    const states: [string, string, boolean][] = [];
    jobs.onStateChange((info) => states.push([info.jobId, info.state, 'metrics' in info]));
    const release = gate();
    const first = jobs.start({
      name: 'first',
      lane: 'inference',
      run: (ctx) => (ctx.metric('latency/0', 'ms', [1]), release.promise),
    });
    const second = jobs.start({ name: 'second', lane: 'inference' });
    release.release('ok');
    await second.done;
    expect(states).toEqual([
      [first.jobId, 'queued', false],
      [first.jobId, 'running', false],
      [second.jobId, 'queued', false],
      [first.jobId, 'succeeded', false],
      [second.jobId, 'running', false],
      [second.jobId, 'succeeded', false],
    ]);
  });

  it('reports a job whose engine died as failed, and runs the next job normally (crash recovery is per job)', async () => {
    const { jobs } = manager();
    const crashed = jobs.start({
      name: 'crash',
      lane: 'inference',
      run: async () => {
        throw new StudioError(
          'ENGINE_CRASHED',
          'The engine process crashed (SIGABRT) while benchmarking m.onnx (phase: measuring).',
        );
      },
    });
    const next = jobs.start({ name: 'after', lane: 'inference' });
    expect(await crashed.done).toMatchObject({ type: 'failed', error: { code: 'ENGINE_CRASHED' } });
    expect(await next.done).toMatchObject({ type: 'result', result: 'after' });
  });

  it('lists active jobs first with their last progress', async () => {
    const { jobs } = manager();
    const g = gate();
    const running = jobs.start({
      name: 'r',
      lane: 'transform',
      run: async (ctx) => (ctx.progress(0.25, 'working'), g.promise),
    });
    await tick();
    const [info] = jobs.list();
    expect(info).toMatchObject({
      jobId: running.jobId,
      state: 'running',
      progress: { fraction: 0.25, stage: 'working' },
    });
    g.release();
    await jobs.whenIdle();
  });
});

describe('JobManager replay for a page that attaches late', () => {
  it("lists a running job's title and its metric samples so far, and drops them when it ends", async () => {
    const { jobs, of } = manager();
    const wait = gate();
    const { jobId } = jobs.start(
      {
        name: 'bench',
        lane: 'inference',
        run: async (ctx) => {
          ctx.metric('latency/0', 'ms', [1, 2]);
          ctx.metric('latency/1', 'ms', [3]);
          ctx.metric('latency/0', 'ms', [4]);
          await wait.promise;
          return 'done';
        },
      },
      { title: 'Benchmark original + int8-dynamic (onnxruntime-node, cpu)' },
    );
    await tick();
    const info = jobs.list().find((j) => j.jobId === jobId)!;
    expect(info.title).toBe('Benchmark original + int8-dynamic (onnxruntime-node, cpu)');
    expect(info.metrics).toEqual([
      { name: 'latency/0', unit: 'ms', values: [1, 2, 4] },
      { name: 'latency/1', unit: 'ms', values: [3] },
    ]);
    // Everything up to lastSeq is in the figures: the last event sent is the last metric.
    expect(of(jobId).at(-1)).toMatchObject({ type: 'metric', seq: info.lastSeq });
    wait.release();
    await jobs.whenDone(jobId);
    const ended = jobs.list().find((j) => j.jobId === jobId)!;
    expect(ended.title).toBe('Benchmark original + int8-dynamic (onnxruntime-node, cpu)');
    expect(ended.metrics).toBeUndefined();
  });
});

