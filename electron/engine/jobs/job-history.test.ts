import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobInfo, JobSpec } from '../../../shared/ipc-contract.js';
import type { ExportJobResult, VariantJobResult } from '../../../shared/job-results.js';
import { interruptedJobNote } from '../../../shared/pipeline-interruption.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import { waitForEvent } from '../testing/job-events.js';
import { dataPaths } from '../workspace/data-dir.js';
import { isProcessRunning } from '../workspace/stale-temp-files.js';
import { JobHistory, MAX_KEPT_JOBS } from './job-history.js';
import type { StudioBackend } from './studio-backend.js';

/** The id of a process that has ended (one killed under its jobs). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(isProcessRunning(child.pid!)).toBe(false);
  return child.pid!;
}

async function listJobs(backend: StudioBackend): Promise<JobInfo[]> {
  const listed = await backend.dispatch('studio:job.list', {});
  if (!listed.ok) throw new Error(listed.error.message);
  return listed.value;
}

async function start(backend: StudioBackend, spec: JobSpec): Promise<string> {
  const started = await backend.dispatch('studio:job.start', spec);
  if (!started.ok) throw new Error(started.error.message);
  return started.value.jobId;
}

/** A job as an earlier run wrote it to the history. */
function keptJob(jobId: string, createdAt: number, state: JobInfo['state'] = 'succeeded'): JobInfo {
  const job: JobInfo = {
    jobId,
    spec: { kind: 'quantize', modelPath: '/m/a.onnx', method: 'int8-dynamic' } as JobSpec,
    state,
    createdAt,
    startedAt: createdAt + 1,
    lastSeq: 1,
    title: `Quantize ${jobId}`,
    progress: { fraction: 0.5, stage: 'quantizing' },
  };
  if (state === 'succeeded')
    job.terminal = { type: 'result', result: { big: 'x' }, jobId, seq: 1, timeMs: createdAt + 5 };
  return job;
}

describe('the job history', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('onnx-studio-history-');
  });
  afterEach(() => tmp.cleanup());

  it('lists the jobs of an earlier run after a restart: finished, and interrupted by the stop', async () => {
    const model = path.join(tmp.dir, 'digits.onnx');
    fs.copyFileSync(tinyDigits().modelPath, model);
    const first = testBackend(tmp.dir);
    let quantized: string;
    let exported: string;
    let benched: string;
    try {
      quantized = await start(first, { kind: 'quantize', modelPath: model, method: 'int8-dynamic' });
      const made = await first.jobs.whenDone(quantized);
      expect(made?.type).toBe('result');
      const variant = (made as { result: VariantJobResult<unknown> }).result.variant;
      const destination = path.join(tmp.dir, 'taken.onnx');
      fs.writeFileSync(destination, 'x');
      exported = await start(first, {
        kind: 'export',
        modelPath: model,
        target: variant.id,
        outputPath: destination,
      });
      const asked = await first.jobs.whenDone(exported);
      expect(asked).toMatchObject({ type: 'result', result: { written: false, reason: 'exists' } });
      // A long benchmark, running when ONNX Studio closes.
      const measuring = waitForEvent((e) => e.type === 'metric');
      first.jobs.onEvent(measuring.listener);
      benched = await start(first, { kind: 'bench', modelPath: model, durationMs: 600_000, warmup: 0 });
      await measuring.seen;
    } finally {
      await first.dispose();
    }

    const second = testBackend(tmp.dir);
    try {
      const jobs = await listJobs(second);
      expect(jobs.map((j) => j.jobId)).toEqual([benched, exported, quantized]);
      const [bench, exportJob, quantize] = jobs as [JobInfo, JobInfo, JobInfo];
      expect(quantize).toMatchObject({ state: 'succeeded', title: expect.stringContaining('int8-dynamic') });
      expect(quantize.startedAt).toBeGreaterThanOrEqual(quantize.createdAt);
      expect(quantize.endedAt).toBeGreaterThanOrEqual(quantize.startedAt!);
      // The variant is in the workspace; the history keeps what the list shows.
      expect(quantize.terminal).toMatchObject({ type: 'result', result: null });
      // An export that asked before writing is not listed as done: its result says so.
      expect((exportJob.terminal as { result: ExportJobResult }).result.written).toBe(false);
      expect(bench).toMatchObject({
        state: 'cancelled',
        terminal: { type: 'cancelled', interrupted: 'closing' },
      });
      expect(bench.metrics).toBeUndefined();
      expect(bench.progress?.fraction).toBeGreaterThan(0);

      // The new run's jobs come first, the earlier run's after them, each once.
      const again = await start(second, { kind: 'quantize', modelPath: model, method: 'fp16' });
      await second.jobs.whenDone(again);
      expect((await listJobs(second)).map((j) => j.jobId)).toEqual([again, benched, exported, quantized]);
    } finally {
      await second.dispose();
    }
    const file = JSON.parse(fs.readFileSync(dataPaths(path.join(tmp.dir, 'data')).jobs, 'utf8')) as {
      jobs: { job: JobInfo }[];
    };
    expect(file.jobs).toHaveLength(4);
  }, 60_000);

  it('lists a job that was running when ONNX Studio was killed as interrupted, cut off, and writes it so', async () => {
    const file = dataPaths(path.join(tmp.dir, 'data')).jobs;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const running = keptJob('j-running', 2000, 'running');
    const queued = keptJob('j-queued', 3000, 'queued');
    const done = keptJob('j-done', 1000);
    const dead = deadPid();
    const entries = [done, running, queued].map((job) => ({ pid: dead, owner: 'o-1', job }));
    // Another host (the app beside serve) runs this one now: it is that host's to list.
    const elsewhere = { pid: process.ppid, owner: 'o-2', job: keptJob('j-elsewhere', 4000, 'running') };
    fs.writeFileSync(file, JSON.stringify({ version: 1, jobs: [...entries, elsewhere] }));

    const backend = testBackend(tmp.dir);
    try {
      const jobs = await listJobs(backend);
      expect(jobs.map((j) => [j.jobId, j.state])).toEqual([
        ['j-queued', 'cancelled'],
        ['j-running', 'cancelled'],
        ['j-done', 'succeeded'],
      ]);
      expect(jobs[1]).toMatchObject({
        title: 'Quantize j-running',
        startedAt: 2001,
        lastSeq: 2,
        terminal: { type: 'cancelled', interrupted: 'cut off', jobId: 'j-running', seq: 2 },
      });
      // Never ended: the time of its end is unknown.
      expect(jobs[1]!.endedAt).toBeUndefined();
      expect(interruptedJobNote('cut off')).toMatch(/stopped before this job finished/);
    } finally {
      await backend.dispose();
    }
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { jobs: { job: JobInfo }[] };
    expect(kept.jobs.map((k) => k.job.terminal?.type ?? k.job.state)).toEqual([
      'result',
      'cancelled',
      'cancelled',
      'running',
    ]);
  });

  it(`keeps the newest ${MAX_KEPT_JOBS} jobs, written together, and none of their metric samples`, async () => {
    const file = path.join(tmp.dir, 'data', 'jobs.json');
    const history = new JobHistory(file);
    await history.start();
    for (let i = 0; i < MAX_KEPT_JOBS + 10; i++)
      history.record({
        ...keptJob(`j-${i}`, 1000 + i),
        metrics: [{ name: 'latency/0', unit: 'ms', values: [1] }],
      });
    await history.close();
    const listed = await new JobHistory(file).list(new Set(['j-209']));
    expect(listed).toHaveLength(MAX_KEPT_JOBS - 1);
    expect(listed[0]!.jobId).toBe('j-208');
    expect(listed.at(-1)!.jobId).toBe('j-10');
    expect(listed.some((j) => 'metrics' in j)).toBe(false);
  });

  it('leaves alone a history a newer ONNX Studio wrote, and reads a damaged one as empty', async () => {
    const file = path.join(tmp.dir, 'jobs.json');
    const newer = JSON.stringify({ version: 99, jobs: [] });
    fs.writeFileSync(file, newer);
    const history = new JobHistory(file);
    history.record(keptJob('j-1', 1000));
    await history.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(newer);
    expect(await history.list(new Set())).toEqual([]);

    fs.writeFileSync(file, '{"version": 1, "jobs": [{"pid": "x"}, ');
    expect(await new JobHistory(file).list(new Set())).toEqual([]);
  });
});
