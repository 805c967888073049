import { randomUUID } from 'node:crypto';
import { isRecord } from '../../../shared/is-record.js';
import type { JobInfo, JobState } from '../../../shared/ipc-contract.js';
import { JsonDataFile } from '../workspace/json-data-file.js';
import { isProcessRunning } from '../workspace/stale-temp-files.js';

/*
 * The job history: the jobs that ran in this data folder, kept across restarts, so the job list of the app or of
 * `serve` started again still shows what ran (the job manager remembers only the jobs of its own run). Kept in
 * `<data folder>/jobs.json` (data-dir.ts), oldest first, the newest MAX_KEPT_JOBS:
 *
 *   { "version": 1, "jobs": [{ "pid": 4242, "owner": "…", "job": JobInfo }, …] }
 *
 * A job is written when it is queued, when it starts and when it ends, so a job still queued or running when its
 * process was killed (or crashed) is in the file unfinished: its process is gone, and the history reads it as
 * interrupted (`cut off`, shared/pipeline-interruption.ts) and writes it so at the next start. A job stopped
 * because ONNX Studio was closing ended `cancelled` with `interrupted: 'closing'` (JobManager.cancelAll).
 *
 * What is kept of a job is what the job list shows: not its metric samples, and not its result, which is in the
 * workspace (the variant, the benchmark or evaluation record), except an export's (small, and the list reads it:
 * an export that asked before replacing a file wrote nothing, and is not listed). Two hosts sharing the data
 * folder (the app and `serve`) each write their own jobs into the one file (json-data-file.ts re-reads it for
 * every change) and list each other's finished ones.
 */

/** The most jobs kept: the newest. */
export const MAX_KEPT_JOBS = 200;
const HISTORY_VERSION = 1;
const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** A job as the file keeps it, with the process (and the history in it) that ran it. */
interface KeptJob {
  pid: number;
  owner: string;
  job: JobInfo;
}

/** The histories of this process still open: a job of one of them runs (or waits) in this process. */
const openOwners = new Set<string>();

/** A kept job as it was written, or undefined for an entry that is not one (damaged, edited by hand). */
function parseKept(value: unknown): KeptJob | undefined {
  if (!isRecord(value) || !isRecord(value.job)) return undefined;
  const { pid, owner, job } = value;
  const spec = job.spec;
  const ok =
    typeof pid === 'number' &&
    Number.isSafeInteger(pid) &&
    typeof owner === 'string' &&
    typeof job.jobId === 'string' &&
    isRecord(spec) &&
    typeof spec.kind === 'string' &&
    typeof spec.modelPath === 'string' &&
    (JOB_STATES as readonly unknown[]).includes(job.state) &&
    typeof job.createdAt === 'number' &&
    typeof job.lastSeq === 'number' &&
    (job.terminal === undefined || isRecord(job.terminal));
  return ok ? (value as unknown as KeptJob) : undefined;
}

/** The jobs of the file, oldest first; undefined when it is a newer ONNX Studio's (left as it is). */
function keptJobs(document: unknown): KeptJob[] | undefined {
  if (!isRecord(document)) return [];
  if (typeof document.version === 'number' && document.version > HISTORY_VERSION) return undefined;
  if (!Array.isArray(document.jobs)) return [];
  return document.jobs.flatMap((entry) => parseKept(entry) ?? []);
}

/** What the history keeps of a job's state (see above). */
function kept(info: JobInfo): JobInfo {
  const { metrics: _metrics, ...job } = info;
  if (job.terminal?.type === 'result' && job.spec.kind !== 'export')
    job.terminal = { ...job.terminal, result: null };
  return job;
}

/** A job that never ended because ONNX Studio stopped without a word (killed, crashed): interrupted, cut off. */
function cutOff(job: JobInfo, atMs: number): JobInfo {
  const seq = job.lastSeq + 1;
  return {
    ...job,
    state: 'cancelled',
    lastSeq: seq,
    terminal: { type: 'cancelled', interrupted: 'cut off', jobId: job.jobId, seq, timeMs: atMs },
  };
}

export class JobHistory {
  private readonly data: JsonDataFile;
  /** This history's mark on the jobs it writes (a process id alone does not tell two backends of one process apart). */
  private readonly owner = randomUUID();
  /** Job states not written yet, by job id: written together with the next write. */
  private pending = new Map<string, JobInfo>();
  private writing: Promise<void> | undefined;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.data = new JsonDataFile(file);
    openOwners.add(this.owner);
  }

  /**
   * At the backend's start: the jobs the file has unfinished whose process is gone were cut off (ONNX Studio was
   * killed or crashed under them), and are written so. Never throws: a failure is logged.
   */
  async start(): Promise<void> {
    try {
      await this.data.change((document) => {
        const jobs = keptJobs(document);
        if (!jobs?.some((k) => this.cutOff(k))) return { value: undefined };
        const atMs = this.now();
        const marked = jobs.map((k) => (this.cutOff(k) ? { ...k, job: cutOff(k.job, atMs) } : k));
        return { document: { version: HISTORY_VERSION, jobs: marked }, value: undefined };
      });
    } catch (error) {
      this.warn(error);
    }
  }

  /** Keeps a job's state (queued, running, ended): written soon, with the others that changed meanwhile. */
  record(info: JobInfo): void {
    this.pending.set(info.jobId, kept(info));
    this.writing ??= this.write();
  }

  /**
   * The jobs of the history but those of `known` (the job manager's, which it reports itself), newest first, as
   * `studio:job.list` reports them: ended, or interrupted when cut off. Another host's job that still runs (the
   * app beside `serve`) is its own to list and cancel.
   */
  async list(known: ReadonlySet<string>): Promise<JobInfo[]> {
    const atMs = this.now();
    const jobs = (keptJobs(await this.data.read()) ?? []).filter((k) => !known.has(k.job.jobId));
    return jobs
      .flatMap((k) => (k.job.terminal ? [k.job] : this.cutOff(k) ? [cutOff(k.job, atMs)] : []))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * The ids of the jobs the file has unfinished whose process (and history) is still open: queued or running in
   * this process or in another host's (the app beside `serve`). Any other unfinished job was cut off. A job this
   * history has not written yet is not among them: the job manager knows its own.
   */
  async running(): Promise<Set<string>> {
    const jobs = keptJobs(await this.data.read()) ?? [];
    return new Set(jobs.filter((k) => !k.job.terminal && !this.cutOff(k)).map((k) => k.job.jobId));
  }

  /** Waits until every state recorded so far is written (or failed), and closes the history. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.data.settled();
    openOwners.delete(this.owner);
  }

  /** An unfinished job whose process (or history, in this process) is gone. */
  private cutOff(k: KeptJob): boolean {
    if (k.job.terminal) return false;
    if (k.pid === process.pid) return !openOwners.has(k.owner);
    return !isProcessRunning(k.pid);
  }

  private async write(): Promise<void> {
    try {
      await this.data.change((document) => {
        const jobs = keptJobs(document);
        // Taken at the last moment: every state recorded while the file was read goes in this write.
        const batch = this.pending;
        this.pending = new Map();
        if (!jobs) return { value: undefined };
        const byId = new Map(jobs.map((k) => [k.job.jobId, k]));
        for (const job of batch.values()) byId.set(job.jobId, { pid: process.pid, owner: this.owner, job });
        const all = [...byId.values()].sort((a, b) => a.job.createdAt - b.job.createdAt);
        return { document: { version: HISTORY_VERSION, jobs: all.slice(-MAX_KEPT_JOBS) }, value: undefined };
      });
      this.failed = false;
    } catch (error) {
      this.warn(error);
    } finally {
      this.writing = this.pending.size > 0 ? this.write() : undefined;
    }
  }

  /** Jobs run as before without their history: said once, until a write succeeds again. */
  private warn(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    console.warn(
      `[jobs] Cannot keep the job history in ${this.file}: ${(error as Error).message ?? String(error)} ` +
        'Jobs run as usual, but a restart will not list the ones that ran.',
    );
  }
}
