import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobInfo, JobSpec } from '../../../shared/ipc-contract.js';
import type { ExportJobResult, VariantJobResult } from '../../../shared/job-results.js';
import { interruptedJobNote } from '../../../shared/pipeline-interruption.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import { waitForEvent } from '../testing/job-events.js';
import { dataPaths } from '../workspace/data-dir.js';
import { isProcessRunning } from '../workspace/stale-temp-files.js';
import {
  HEARTBEAT_MS,
  HEARTBEAT_STALE_MS,
  JobHistory,
  type JobOwner,
  keptNewest,
  MAX_KEPT_JOBS,
} from './job-history.js';
import { processStart, thisHost } from '../workspace/process-identity.js';
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
    // The second run took over the first's file: one file, every job once.
    const files = historyFiles(path.join(tmp.dir, 'data', 'jobs'));
    expect(files).toHaveLength(1);
    expect(files[0]!.jobs).toHaveLength(4);
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
    // A job of it still runs: the file of an earlier version stays as it is until none does.
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1, jobs: [...entries, elsewhere] });
  });

  it('takes over the file of an earlier version once none of its jobs runs', async () => {
    const file = dataPaths(path.join(tmp.dir, 'data')).jobs;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const dead = deadPid();
    const jobs = [keptJob('j-done', 1000), keptJob('j-running', 2000, 'running')];
    fs.writeFileSync(
      file,
      JSON.stringify({ version: 1, jobs: jobs.map((job) => ({ pid: dead, owner: 'o', job })) }),
    );
    const history = new JobHistory(file);
    await history.start();
    await history.close();
    expect(fs.existsSync(file)).toBe(false);
    const files = historyFiles(path.join(path.dirname(file), 'jobs'));
    expect(files.map((f) => f.jobs.map((j) => [j.jobId, j.terminal?.type]))).toEqual([
      [
        ['j-done', 'result'],
        ['j-running', 'cancelled'],
      ],
    ]);
    expect((await new JobHistory(file).list(new Set())).map((j) => [j.jobId, j.state])).toEqual([
      ['j-running', 'cancelled'],
      ['j-done', 'succeeded'],
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
    const newer = JSON.stringify({ version: 99, jobs: [keptJob('j-newer', 500)] });
    fs.writeFileSync(file, newer);
    fs.mkdirSync(path.join(tmp.dir, 'jobs'));
    fs.writeFileSync(path.join(tmp.dir, 'jobs', 'newer.json'), newer);
    fs.writeFileSync(path.join(tmp.dir, 'jobs', 'damaged.json'), '{"version": 2, "jobs": [{"pid": "x"}, ');
    const history = new JobHistory(file);
    await history.start();
    history.record(keptJob('j-1', 1000));
    await history.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(newer);
    expect(fs.readFileSync(path.join(tmp.dir, 'jobs', 'newer.json'), 'utf8')).toBe(newer);
    expect((await new JobHistory(file).list(new Set())).map((j) => j.jobId)).toEqual(['j-1']);

    fs.writeFileSync(file, '{"version": 1, "jobs": [{"pid": "x"}, ');
    expect((await new JobHistory(file).list(new Set())).map((j) => j.jobId)).toEqual(['j-1']);
  });

  it('keeps a job not ended past the limit, dropping the oldest ended ones instead', async () => {
    const file = path.join(tmp.dir, 'jobs.json');
    const history = new JobHistory(file);
    // An Auto-optimize run is older than every job of its trials.
    history.record(keptJob('j-search', 500, 'running'));
    for (let i = 0; i < MAX_KEPT_JOBS + 10; i++) history.record(keptJob(`j-${i}`, 1000 + i));
    await waitUntil(() => historyFiles(history.dir)[0]?.jobs.some((j) => j.jobId === 'j-209'));
    const other = new JobHistory(file);
    expect(await other.running()).toEqual(new Set(['j-search']));
    const [mine] = historyFiles(history.dir);
    expect(mine!.jobs).toHaveLength(MAX_KEPT_JOBS);
    expect(mine!.jobs.map((j) => j.jobId).slice(0, 2)).toEqual(['j-search', 'j-11']);
    expect(
      keptNewest([keptJob('a', 3), keptJob('b', 1, 'running'), keptJob('c', 2)]).map((j) => j.jobId),
    ).toEqual(['b', 'c', 'a']);
    await history.close();
    await other.close();
  });

  it('loses no job of two hosts writing the history at once', async () => {
    const data = path.join(tmp.dir, 'data');
    const file = dataPaths(data).jobs;
    const host = pathToFileURL(path.join(import.meta.dirname, 'job-history.ts')).href;
    const script = `
      const { JobHistory } = await import(${JSON.stringify(host)});
      const [file, tag] = process.argv.slice(-2);
      const h = new JobHistory(file);
      await h.start();
      for (let i = 0; i < 40; i++) {
        const jobId = tag + '-' + i;
        h.record({ jobId, spec: { kind: 'bench', modelPath: '/m.onnx' }, state: 'succeeded', createdAt: Date.now(),
          lastSeq: 1, terminal: { type: 'result', jobId, seq: 1, timeMs: Date.now(), result: null } });
        await new Promise((r) => setTimeout(r, 3));
      }
      await h.close();`;
    const run = (tag: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script, file, tag],
          {
            stdio: 'inherit',
          },
        );
        child.on('exit', resolve);
      });
    // Two processes, and two histories of this one, at once.
    const a = new JobHistory(file);
    const b = new JobHistory(file);
    const inProcess = async (h: JobHistory, tag: string) => {
      for (let i = 0; i < 40; i++) {
        h.record(keptJob(`${tag}-${i}`, Date.now()));
        await new Promise((r) => setTimeout(r, 3));
      }
      await h.close();
    };
    const [codeA, codeB] = await Promise.all([run('A'), run('B'), inProcess(a, 'C'), inProcess(b, 'D')]);
    expect([codeA, codeB]).toEqual([0, 0]);
    const listed = await new JobHistory(file).list(new Set());
    for (const tag of ['A', 'B', 'C', 'D'])
      expect(
        listed.filter((j) => j.jobId.startsWith(`${tag}-`)),
        tag,
      ).toHaveLength(40);
  }, 60_000);

  it('reads a job as cut off when another process, started at another time, has its process id now', async () => {
    const dir = path.join(tmp.dir, 'jobs');
    const starts = (pid: number) => `started-${pid}`;
    const alive = process.ppid;
    // The owners ran on this host, in this process-id space.
    const here = { ...thisHost(), pid: alive };
    writeOwner(dir, 'reused', { ...here, start: 'started-before' }, Date.now(), [
      keptJob('j-reused', 1000, 'running'),
    ]);
    writeOwner(dir, 'same', { ...here, start: starts(alive) }, 0, [keptJob('j-same', 2000, 'running')]);
    writeOwner(dir, 'unknown', { ...here }, Date.now(), [keptJob('j-unknown', 3000, 'running')]);
    writeOwner(dir, 'gone', { ...here, pid: deadPid() }, Date.now(), [keptJob('j-gone', 4000, 'running')]);
    const history = new JobHistory(path.join(tmp.dir, 'jobs.json'), { processStart: starts });
    // Its process started when the owner's did: running, however old its heartbeat. Where the system cannot
    // tell the start, the fresh heartbeat says so.
    expect(await history.running()).toEqual(new Set(['j-same', 'j-unknown']));
    expect((await history.list(new Set())).map((j) => [j.jobId, j.terminal])).toEqual([
      ['j-gone', expect.objectContaining({ interrupted: 'cut off' })],
      ['j-reused', expect.objectContaining({ interrupted: 'cut off' })],
    ]);
  });

  it('still lists the jobs of a file another history claims between listing the folder and reading it', async () => {
    const dir = path.join(tmp.dir, 'jobs');
    const gone = { hostname: 'another-host', pid: process.pid, start: 'x' };
    writeOwner(dir, 'gone', gone, 0, [keptJob('j-ended', 1000)]);
    const owned = path.join(dir, 'gone.json');
    // Not started: this history lists the folder without taking anything over.
    const history = new JobHistory(path.join(tmp.dir, 'jobs.json'));
    const readFile = fs.promises.readFile;
    let claimed = false;
    const spy = vi.spyOn(fs.promises, 'readFile').mockImplementation(async (file, options) => {
      if (file === owned && !claimed) {
        // Another history claims it right now: the name just listed is gone, its jobs are in the claim.
        claimed = true;
        await fs.promises.rename(owned, path.join(dir, 'gone.other-owner.claim'));
      }
      return readFile(file, options as BufferEncoding);
    });
    try {
      expect((await history.list(new Set())).map((j) => j.jobId)).toEqual(['j-ended']);
      expect(claimed).toBe(true);
    } finally {
      spy.mockRestore();
      await history.close();
    }
  });

  it.runIf(process.platform === 'linux')('tells the start of a process of this system', () => {
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    expect(processStart(process.ppid)).not.toBe(processStart(process.pid));
    expect(processStart(deadPid())).toBeUndefined();
  });

  it("reads another host's job by its heartbeat: running while fresh, cut off once stale, then taken over", async () => {
    const dir = path.join(tmp.dir, 'jobs');
    let now = 10_000_000;
    const elsewhere = { hostname: 'another-host', pid: process.pid, start: 'x' };
    writeOwner(dir, 'fresh', elsewhere, now - HEARTBEAT_MS, [keptJob('j-fresh', 1000, 'running')]);
    writeOwner(dir, 'stale', elsewhere, now - HEARTBEAT_STALE_MS, [
      keptJob('j-stale', 2000, 'running'),
      keptJob('j-ended', 1500),
    ]);
    const history = new JobHistory(path.join(tmp.dir, 'jobs.json'), { now: () => now });
    expect(await history.running()).toEqual(new Set(['j-fresh']));
    expect((await history.list(new Set())).map((j) => [j.jobId, j.state])).toEqual([
      ['j-stale', 'cancelled'],
      ['j-ended', 'succeeded'],
    ]);
    await history.start();
    // The stale owner's file is this history's now; the fresh one's is its own.
    expect(fs.existsSync(path.join(dir, 'stale.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'fresh.json'))).toBe(true);
    expect(await history.running()).toEqual(new Set(['j-fresh']));
    now += HEARTBEAT_STALE_MS;
    expect(await history.running()).toEqual(new Set());
    await history.close();
  });

  it('writes its heartbeat while a job of it is not ended, and stops once they ended', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let now = 1_000;
      const history = new JobHistory(path.join(tmp.dir, 'jobs.json'), { now: () => now });
      history.record(keptJob('j-1', 1000, 'running'));
      await waitUntil(() => historyFiles(history.dir)[0]?.heartbeatAt === 1_000);
      now = 50_000;
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await waitUntil(() => historyFiles(history.dir)[0]?.heartbeatAt === 50_000);
      history.record(keptJob('j-1', 1000));
      await waitUntil(() => historyFiles(history.dir)[0]?.jobs[0]?.state === 'succeeded');
      expect(vi.getTimerCount()).toBe(0);
      await history.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

interface OwnerFile {
  heartbeatAt: number;
  closed?: boolean;
  jobs: JobInfo[];
}

/** The history files of a folder. */
function historyFiles(dir: string): OwnerFile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as OwnerFile);
}

/** A history file as another owner wrote it. */
function writeOwner(
  dir: string,
  name: string,
  owner: Omit<JobOwner, 'id'>,
  heartbeatAt: number,
  jobs: JobInfo[],
): void {
  fs.mkdirSync(dir, { recursive: true });
  const document = { version: 2, owner: { id: `owner-${name}`, ...owner }, heartbeatAt, jobs };
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(document));
}

async function waitUntil(done: () => boolean | undefined): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 500) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
