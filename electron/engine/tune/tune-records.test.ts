/**
 * Auto-optimize runs when ONNX Studio stops under them, through the real backend: one stopped by its closing (the
 * app quit, `serve` stopped with Ctrl+C) is recorded interrupted, `closing`, not cancelled; one left running by a
 * killed process reads interrupted, `cut off`, once the backend starts again on the data folder, with its
 * finished trials kept. Both as the job list says of their job (jobs/job-history.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../shared/ipc-contract.js';
import { interruptedTuneNote } from '../../../shared/pipeline-interruption.js';
import type { TuneRecord, Workspace } from '../../../shared/workspace.js';
import { HEARTBEAT_MS, HEARTBEAT_STALE_MS } from '../jobs/job-history.js';
import type { StudioBackend } from '../jobs/studio-backend.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { writeOutlierMlpCase } from '../testing/tune-fixtures.js';
import { dataPaths } from '../workspace/data-dir.js';
import { isProcessRunning } from '../workspace/stale-temp-files.js';

/** The id of a process that has ended (one killed under its jobs). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(isProcessRunning(child.pid!)).toBe(false);
  return child.pid!;
}

async function workspace(backend: StudioBackend, modelPath: string): Promise<Workspace> {
  const r = await backend.dispatch('studio:workspace.get', { modelPath });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function listJobs(backend: StudioBackend): Promise<JobInfo[]> {
  const listed = await backend.dispatch('studio:job.list', {});
  if (!listed.ok) throw new Error(listed.error.message);
  return listed.value;
}

/** A run as the workspace keeps it while it searches, with one trial ended. */
function runningRecord(id: string, jobId: string): TuneRecord {
  return {
    id,
    jobId,
    startedAt: '2025-01-01T10:00:00.000Z',
    status: 'running',
    objective: 'latency',
    budget: { kind: 'min-cosine', cosine: 0.99 },
    data: { evaluation: 'data.npy', calibration: 'data.npy' },
    trials: [
      {
        index: 0,
        name: 'int8-dynamic',
        recipe: { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} },
        status: 'done',
        cosine: 0.999,
        meetsBudget: true,
        seconds: 1.5,
      },
    ],
  };
}

/** A job as a process wrote it to the job history while it ran. */
function keptRunning(jobId: string, modelPath: string, pid: number) {
  const job: JobInfo = {
    jobId,
    spec: { kind: 'tune', modelPath, options: { minCosine: 0.99 } },
    state: 'running',
    createdAt: 1000,
    startedAt: 1001,
    lastSeq: 3,
    title: 'Auto-optimize',
  };
  return { pid, owner: `owner-${jobId}`, job };
}

describe('Auto-optimize runs ONNX Studio stopped under', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let files: ReturnType<typeof writeOutlierMlpCase>;
  beforeEach(() => {
    tmp = makeTempDir('onnx-studio-tune-records-');
    files = writeOutlierMlpCase(tmp.dir, { samples: 8 });
  });
  afterEach(() => tmp.cleanup());

  it('a restart finds a run left running by a killed process interrupted, cut off, its trials kept', async () => {
    const first = testBackend(tmp.dir);
    await first.store.update(files.model, (w) => {
      w.tunes = [
        runningRecord('t-killed', 'job-killed'),
        runningRecord('t-elsewhere', 'job-elsewhere'),
        runningRecord('t-unknown', 'job-unknown'),
      ];
    });
    await first.dispose();
    // The killed process's job, and one that another host (a live process: the app beside serve) still runs.
    const history = dataPaths(path.join(tmp.dir, 'data')).jobs;
    const jobs = [
      keptRunning('job-killed', files.model, deadPid()),
      keptRunning('job-elsewhere', files.model, process.ppid),
    ];
    fs.writeFileSync(history, JSON.stringify({ version: 1, jobs }));

    const restarted = testBackend(tmp.dir);
    try {
      const tunes = (await workspace(restarted, files.model)).tunes!;
      const killed = tunes.find((t) => t.id === 't-killed')!;
      expect(killed).toMatchObject({ status: 'interrupted', interrupted: 'cut off' });
      expect(killed.trials.map((t) => t.name)).toEqual(['int8-dynamic']);
      expect(Date.parse(killed.endedAt!)).toBeGreaterThan(Date.parse(killed.startedAt));
      // A run whose job the history never kept (its write failed, or an older ONNX Studio wrote the record).
      expect(tunes.find((t) => t.id === 't-unknown')).toMatchObject({
        status: 'interrupted',
        interrupted: 'cut off',
      });
      // Another host's run is its own: still searching.
      expect(tunes.find((t) => t.id === 't-elsewhere')!.status).toBe('running');
      // Saved so, and the job list says the same of its job.
      const onDisk = await restarted.store.get(files.model);
      expect(onDisk.tunes!.find((t) => t.id === 't-killed')).toMatchObject({
        status: 'interrupted',
        interrupted: 'cut off',
      });
      const job = (await listJobs(restarted)).find((j) => j.jobId === 'job-killed');
      expect(job?.terminal).toMatchObject({ type: 'cancelled', interrupted: 'cut off' });
      expect(interruptedTuneNote('cut off', 1)).toBe(
        'Interrupted: ONNX Studio stopped before this search finished (it was killed or crashed); its finished trial is kept. Start Auto-optimize to search again.',
      );
    } finally {
      await restarted.dispose();
    }
  }, 60_000);

  it("another host's run is its own while its heartbeat is fresh, and cut off once it is stale", async () => {
    const setup = testBackend(tmp.dir);
    await setup.store.update(files.model, (w) => {
      w.tunes = [runningRecord('t-fresh', 'job-fresh'), runningRecord('t-stale', 'job-stale')];
    });
    await setup.dispose();
    // serve in a container or on another machine: its process ids are not this host's to check.
    const folder = path.join(tmp.dir, 'data', 'jobs');
    fs.mkdirSync(folder, { recursive: true });
    const elsewhere = (jobId: string, heartbeatAt: number) =>
      fs.writeFileSync(
        path.join(folder, `${jobId}.json`),
        JSON.stringify({
          version: 2,
          owner: { id: `owner-${jobId}`, hostname: 'another-host', pid: process.pid },
          heartbeatAt,
          jobs: [keptRunning(jobId, files.model, process.pid).job],
        }),
      );
    elsewhere('job-fresh', Date.now() - HEARTBEAT_MS);
    elsewhere('job-stale', Date.now() - HEARTBEAT_STALE_MS - 1000);

    const backend = testBackend(tmp.dir);
    try {
      const tunes = (await workspace(backend, files.model)).tunes!;
      expect(tunes.find((t) => t.id === 't-fresh')!.status).toBe('running');
      expect(tunes.find((t) => t.id === 't-stale')).toMatchObject({
        status: 'interrupted',
        interrupted: 'cut off',
      });
    } finally {
      await backend.dispose();
    }
  }, 60_000);

  it('a run stopped by ONNX Studio closing is recorded interrupted, closing, not cancelled', async () => {
    const backend = testBackend(tmp.dir);
    let tuneJob: string;
    try {
      const started = await backend.dispatch('studio:job.start', {
        kind: 'tune',
        modelPath: files.model,
        options: { minCosine: 0.9, maxTrials: 8 },
        evaluation: { spec: { kind: 'npy', path: path.basename(files.data) }, baseDir: tmp.dir },
      });
      if (!started.ok) throw new Error(started.error.message);
      tuneJob = started.value.jobId;
      // Closed while a trial's job runs (the search waits on it): after one trial ended, so it has one to keep.
      for (;;) {
        const record = (await backend.store.get(files.model)).tunes?.[0];
        const trialRunning = backend.jobs
          .list()
          .some((j) => j.state === 'running' && j.spec.kind !== 'tune' && j.spec.kind !== 'inspect');
        if ((record?.trials.length ?? 0) >= 1 && trialRunning) break;
        expect(backend.jobs.list().find((j) => j.jobId === tuneJob)?.state).toBe('running');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await backend.dispose();
    }

    const restarted = testBackend(tmp.dir);
    try {
      const record = (await workspace(restarted, files.model)).tunes![0]!;
      expect(record).toMatchObject({ status: 'interrupted', interrupted: 'closing' });
      expect(record.trials.length).toBeGreaterThanOrEqual(1);
      expect(record.endedAt).toBeDefined();
      const job = (await listJobs(restarted)).find((j) => j.jobId === tuneJob);
      expect(job?.terminal).toMatchObject({ type: 'cancelled', interrupted: 'closing' });
    } finally {
      await restarted.dispose();
    }
  }, 120_000);
});
