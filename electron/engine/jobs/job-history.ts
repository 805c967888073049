import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isRecord } from '../../../shared/is-record.js';
import type { JobInfo, JobState } from '../../../shared/ipc-contract.js';
import { JsonDataFile } from '../workspace/json-data-file.js';
import { type HostIdentity, processStart, thisHost } from '../workspace/process-identity.js';
import { isProcessRunning } from '../workspace/stale-temp-files.js';

/*
 * The job history: the jobs that ran in this data folder, kept across restarts, so the job list of the app or of
 * `serve` started again still shows what ran (the job manager remembers only the jobs of its own run).
 *
 * Several hosts may share the data folder (the app beside `serve`, `serve` in a container or on another machine),
 * and nothing locks a file between processes: two hosts changing one file lose each other's jobs. So each history
 * (each backend) writes only its own file, `<data folder>/jobs/<host>-<pid>-<id>.json`, and reads all of them:
 *
 *   { "version": 2, "owner": { "id", "hostname", "pid", "start"?, "bootId"?, "pidNamespace"? },
 *     "heartbeatAt": 1700000000000, "closed"?: true, "jobs": [JobInfo, …] }
 *
 * A job is written when it is queued, when it starts and when it ends. While its file has jobs not ended, the owner
 * writes it again every HEARTBEAT_MS (its heartbeat). A job not ended whose owner is gone was cut off (ONNX Studio
 * was killed or crashed under it): the history reads it as interrupted (`cut off`, shared/pipeline-interruption.ts).
 * An owner is gone when it closed its file, when (on this host, in this process-id space) its process no longer
 * runs or another process, started at another time, now has its id, and otherwise (another host, or a start time
 * this system cannot tell) when its heartbeat is older than HEARTBEAT_STALE_MS. A job stopped because ONNX Studio
 * was closing ended `cancelled` with `interrupted: 'closing'` (JobManager.cancelAll).
 *
 * When a history starts, it takes over the files of owners that are gone: it claims each by renaming it (of two
 * hosts starting at once, one gets it), keeps its jobs in its own file (those not ended, cut off) and removes the
 * claimed file. The single `<data folder>/jobs.json` of earlier versions, `{ "version": 1, "jobs": [{ "pid",
 * "owner", "job" }] }`, is read as well and taken over the same way once none of its jobs runs.
 *
 * Each file keeps the jobs not ended and the newest ended ones, MAX_KEPT_JOBS in all. What is kept of a job is what
 * the job list shows: not its metric samples, and not its result, which is in the workspace (the variant, the
 * benchmark or evaluation record), except an export's (small, and the list reads it: an export that asked before
 * replacing a file wrote nothing, and is not listed).
 */

/** The most jobs a history file keeps, and the job list shows of other runs: never dropping one not ended. */
export const MAX_KEPT_JOBS = 200;
/** How often an owner with jobs not ended writes its file again. */
export const HEARTBEAT_MS = 30_000;
/**
 * How old an owner's heartbeat may be before its jobs read as cut off, where its process cannot be checked: ten
 * heartbeats, room for a busy host and for the clocks of two machines that differ a little.
 */
export const HEARTBEAT_STALE_MS = 5 * 60_000;
const LEGACY_VERSION = 1;
const HISTORY_VERSION = 2;
const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
/** How often the history folder is read again when a file it listed was gone before it was read. */
const SOURCES_ATTEMPTS = 5;
/** A listed history file that was gone before it was read (see `sources`). */
const VANISHED = Symbol('vanished');
/** The files of the history folder: owners' files, and those claimed to be taken over (`<file>.<id>.claim`). */
const HISTORY_FILE = /^[^.].*\.(json|claim)$/;

/** Who writes a history file: a history (id) of a process (pid, start) of a host. */
export interface JobOwner extends HostIdentity {
  id: string;
  pid: number;
  /** When the process started, as the system tells of any process (Linux: /proc/PID/stat); absent elsewhere. */
  start?: string;
}

/** The histories of this process still open: a job of one of them runs (or waits) in this process. */
const openOwners = new Set<string>();

/** A job as the history wrote it, or undefined for an entry that is not one (damaged, edited by hand). */
function parseJob(job: unknown): JobInfo | undefined {
  if (!isRecord(job)) return undefined;
  const spec = job.spec;
  const ok =
    typeof job.jobId === 'string' &&
    isRecord(spec) &&
    typeof spec.kind === 'string' &&
    typeof spec.modelPath === 'string' &&
    (JOB_STATES as readonly unknown[]).includes(job.state) &&
    typeof job.createdAt === 'number' &&
    typeof job.lastSeq === 'number' &&
    (job.terminal === undefined || isRecord(job.terminal));
  return ok ? (job as unknown as JobInfo) : undefined;
}

function parseOwner(owner: unknown): JobOwner | undefined {
  if (!isRecord(owner)) return undefined;
  const optional = (v: unknown) => v === undefined || typeof v === 'string';
  const ok =
    typeof owner.id === 'string' &&
    typeof owner.hostname === 'string' &&
    typeof owner.pid === 'number' &&
    Number.isSafeInteger(owner.pid) &&
    optional(owner.start) &&
    optional(owner.bootId) &&
    optional(owner.pidNamespace);
  return ok ? (owner as unknown as JobOwner) : undefined;
}

/** What the job list shows of a job (see above). */
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

/** A job of a history file, and whether its owner still runs it (for a job not ended). */
interface Entry {
  job: JobInfo;
  alive: boolean;
}

/** A history file as read: its jobs, and whether it may be taken over (its owner is gone). */
interface Source {
  file: string;
  entries: Entry[];
  gone: boolean;
}

/**
 * Of two copies of a job (a history took over the file of an owner it thought gone, which wrote again after):
 * an end beats a job still run, which beats a cut off; then the later state.
 */
function better(a: Entry, b: Entry): Entry {
  const rank = (e: Entry) =>
    e.job.terminal
      ? e.job.terminal.type === 'cancelled' && e.job.terminal.interrupted === 'cut off'
        ? 1
        : 3
      : e.alive
        ? 2
        : 1;
  const byRank = rank(a) - rank(b);
  return byRank > 0 || (byRank === 0 && a.job.lastSeq >= b.job.lastSeq) ? a : b;
}

function merged(sources: readonly Source[]): Map<string, Entry> {
  const byId = new Map<string, Entry>();
  for (const entry of sources.flatMap((s) => s.entries)) {
    const other = byId.get(entry.job.jobId);
    byId.set(entry.job.jobId, other ? better(other, entry) : entry);
  }
  return byId;
}

/** The jobs not ended and the newest ended ones, MAX_KEPT_JOBS in all (or every job not ended), oldest first. */
export function keptNewest(jobs: Iterable<JobInfo>): JobInfo[] {
  const all = [...jobs].sort((a, b) => a.createdAt - b.createdAt);
  const ended = all.filter((j) => j.terminal);
  const drop = new Set(ended.slice(0, Math.max(0, all.length - MAX_KEPT_JOBS)));
  return all.filter((j) => !drop.has(j));
}

export interface JobHistoryOptions {
  now?: () => number;
  /** When a process of this system started (tests stand in another). */
  processStart?: (pid: number) => string | undefined;
}

export class JobHistory {
  /** The folder of the owners' files, beside the single file of earlier versions. */
  readonly dir: string;
  private readonly owner: JobOwner;
  private readonly data: JsonDataFile;
  private readonly now: () => number;
  private readonly processStart: (pid: number) => string | undefined;
  /** This history's jobs (and those it took over), by id, as its file keeps them. */
  private readonly jobs = new Map<string, JobInfo>();
  private dirty = false;
  private hasFile = false;
  private closed = false;
  private writing: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private failed = false;
  /** The takeover `start` began: what lists the jobs waits for it, so a file being claimed is never missed. */
  private takeover: Promise<void> = Promise.resolve();

  /** `file`: the data folder's `jobs.json` (data-dir.ts); the history keeps its files in `jobs/` beside it. */
  constructor(
    readonly file: string,
    options: JobHistoryOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.processStart = options.processStart ?? processStart;
    this.dir = path.join(path.dirname(file), path.basename(file, '.json'));
    this.owner = { id: randomUUID(), ...thisHost(), pid: process.pid, start: this.processStart(process.pid) };
    const name = `${this.owner.hostname.replace(/[^\w-]+/g, '_')}-${process.pid}-${this.owner.id.slice(0, 8)}`;
    this.data = new JsonDataFile(path.join(this.dir, `${name}.json`));
    openOwners.add(this.owner.id);
  }

  /**
   * At the backend's start: takes over the files of owners that are gone (their jobs not ended were cut off) and
   * the single file of earlier versions. Never throws: a failure is logged.
   */
  start(): Promise<void> {
    this.takeover = this.takeOver();
    return this.takeover;
  }

  private async takeOver(): Promise<void> {
    try {
      const claimed: string[] = [];
      for (const source of await this.sources()) {
        if (!source.gone) continue;
        const base = path.basename(source.file).replace(/(\.[\w-]+\.claim)+$/, '');
        const claim = path.join(this.dir, `${base}.${this.owner.id}.claim`);
        try {
          await fs.promises.mkdir(this.dir, { recursive: true });
          await fs.promises.rename(source.file, claim);
        } catch {
          continue; // Another host took it over first (or it cannot be moved: it stays to read).
        }
        const taken = await this.source(claim);
        const atMs = this.now();
        for (const { job } of taken && taken !== VANISHED ? taken.entries : []) {
          const theirs: Entry = { job: job.terminal ? job : cutOff(job, atMs), alive: false };
          const mine = this.jobs.get(job.jobId);
          this.jobs.set(job.jobId, mine ? better({ job: mine, alive: true }, theirs).job : theirs.job);
        }
        claimed.push(claim);
      }
      if (claimed.length === 0) return;
      this.changed();
      await this.settled();
      // Kept in this history's file: the claimed ones go. Where it could not be written, they stay to read.
      if (!this.failed) await Promise.all(claimed.map((claim) => fs.promises.rm(claim, { force: true })));
    } catch (error) {
      this.warn(error);
    }
  }

  /** Keeps a job's state (queued, running, ended): written soon, with the others that changed meanwhile. */
  record(info: JobInfo): void {
    this.jobs.set(info.jobId, kept(info));
    this.changed();
  }

  /**
   * The jobs of the history but those of `known` (the job manager's, which it reports itself), newest first, as
   * `studio:job.list` reports them: ended, or interrupted when cut off, the newest MAX_KEPT_JOBS. Another host's
   * job that still runs (the app beside `serve`) is its own to list and cancel.
   */
  async list(known: ReadonlySet<string>): Promise<JobInfo[]> {
    await this.takeover;
    const atMs = this.now();
    return [...merged(await this.sources()).values()]
      .filter((e) => !known.has(e.job.jobId))
      .flatMap((e) => (e.job.terminal ? [e.job] : e.alive ? [] : [cutOff(e.job, atMs)]))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, MAX_KEPT_JOBS);
  }

  /**
   * The ids of the jobs not ended whose owner still runs them: queued or running in this process or in another
   * host's (the app beside `serve`). Any other job not ended was cut off. A job this history has not written yet
   * is not among them: the job manager knows its own.
   */
  async running(): Promise<Set<string>> {
    await this.takeover;
    const entries = [...merged(await this.sources()).values()];
    return new Set(entries.filter((e) => !e.job.terminal && e.alive).map((e) => e.job.jobId));
  }

  /** Waits until every state recorded so far is written (or failed), and closes the history. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.hasFile || this.jobs.size > 0) this.changed();
    await this.settled();
    openOwners.delete(this.owner.id);
  }

  /** Resolves once every state recorded so far is written, or failed. */
  private async settled(): Promise<void> {
    while (this.writing) await this.writing;
    await this.data.settled();
  }

  private changed(): void {
    this.dirty = true;
    this.writing ??= this.write();
    // A heartbeat while jobs are not ended (and the history is open).
    const beating = !this.closed && [...this.jobs.values()].some((j) => !j.terminal);
    if (beating && !this.heartbeat) {
      this.heartbeat = setInterval(() => this.changed(), HEARTBEAT_MS);
      this.heartbeat.unref();
    } else if (!beating && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private async write(): Promise<void> {
    try {
      await this.data.change(() => {
        // Taken at the last moment: every state recorded meanwhile goes in this write.
        this.dirty = false;
        const jobs = keptNewest(this.jobs.values());
        const keep = new Set(jobs.map((j) => j.jobId));
        for (const id of [...this.jobs.keys()]) if (!keep.has(id)) this.jobs.delete(id);
        const document = {
          version: HISTORY_VERSION,
          owner: this.owner,
          heartbeatAt: this.now(),
          ...(this.closed ? { closed: true } : {}),
          jobs,
        };
        return { document, value: undefined };
      });
      this.hasFile = true;
      this.failed = false;
    } catch (error) {
      this.warn(error);
    } finally {
      this.writing = this.dirty ? this.write() : undefined;
    }
  }

  /** Every history file of the data folder (this history's too), as read now. */
  private async sources(): Promise<Source[]> {
    for (let attempt = 1; ; attempt++) {
      let names: string[] = [];
      try {
        names = (await fs.promises.readdir(this.dir)).filter((name) => HISTORY_FILE.test(name));
      } catch {
        // No folder yet: no owner wrote one.
      }
      const files = [this.file, ...names.map((name) => path.join(this.dir, name))];
      const read = await Promise.all(files.map((file) => this.source(file)));
      // A listed file gone before it was read was claimed meanwhile (another host took it over, or ended its
      // takeover): its jobs moved to a file this listing lacks, so the folder is read again.
      const vanished = read.some((s, i) => s === VANISHED && i > 0);
      if (!vanished || attempt === SOURCES_ATTEMPTS)
        return read.flatMap((s) => (s && s !== VANISHED ? [s] : []));
    }
  }

  /**
   * A history file; VANISHED when it is gone (renamed or removed since it was listed); undefined when it is
   * damaged, unreadable or a newer ONNX Studio's (left as it is).
   */
  private async source(file: string): Promise<Source | typeof VANISHED | undefined> {
    let document: unknown;
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.promises.stat(file)).mtimeMs;
      document = JSON.parse(await fs.promises.readFile(file, 'utf8')) as unknown;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? VANISHED : undefined;
    }
    if (!isRecord(document) || !Array.isArray(document.jobs)) return undefined;
    const version = document.version;
    if (version === HISTORY_VERSION) {
      const owner = parseOwner(document.owner);
      const heartbeatAt = typeof document.heartbeatAt === 'number' ? document.heartbeatAt : mtimeMs;
      if (!owner) return undefined;
      const alive = document.closed !== true && this.runs(owner, heartbeatAt);
      const entries = document.jobs.flatMap((value) => {
        const job = parseJob(value);
        return job ? [{ job, alive }] : [];
      });
      return { file, entries, gone: !alive && owner.id !== this.owner.id };
    }
    if (version !== undefined && version !== LEGACY_VERSION) return undefined;
    // The single file of earlier versions: a job of each process, judged by its id, the file's time its heartbeat.
    const entries = document.jobs.flatMap((value) => {
      const job = isRecord(value) && typeof value.pid === 'number' ? parseJob(value.job) : undefined;
      if (!job || !isRecord(value)) return [];
      const pid = value.pid as number;
      const alive = pid !== process.pid && isProcessRunning(pid) && this.now() - mtimeMs < HEARTBEAT_STALE_MS;
      return [{ job, alive }];
    });
    return { file, entries, gone: !entries.some((e) => !e.job.terminal && e.alive) };
  }

  /** Whether an owner that has not closed its file still runs (see above). */
  private runs(owner: JobOwner, heartbeatAt: number): boolean {
    if (openOwners.has(owner.id)) return true;
    const here = this.owner;
    const samePids =
      owner.hostname === here.hostname &&
      owner.bootId === here.bootId &&
      owner.pidNamespace === here.pidNamespace;
    if (samePids) {
      // This process, its history closed; or one before it with its id, gone.
      if (owner.pid === process.pid) return false;
      if (!isProcessRunning(owner.pid)) return false;
      const start = this.processStart(owner.pid);
      if (owner.start !== undefined && start !== undefined) return owner.start === start;
    }
    return this.now() - heartbeatAt < HEARTBEAT_STALE_MS;
  }

  /** Jobs run as before without their history: said once, until a write succeeds again. */
  private warn(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    console.warn(
      `[jobs] Cannot keep the job history in ${this.dir}: ${(error as Error).message ?? String(error)} ` +
        'Jobs run as usual, but a restart will not list the ones that ran.',
    );
  }
}
