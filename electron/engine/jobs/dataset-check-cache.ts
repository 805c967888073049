/**
 * Data checks already done, so a dataset is read once per change instead of once per request: the Optimize
 * view checks its data, then each pipeline it queues checks the same data again before it is recorded, and on
 * a large image folder every check is minutes of decoding and hashing.
 *
 * A check is kept under a key of everything its report depends on: the task the check runs (model file, data
 * spec, base folder, role, dataset name, input shapes and values) and a stamp of every file it reads (path,
 * size, mtime, ctime and inode of the model and of each file and folder of the data, folders walked). The key
 * is computed afresh, with fresh stats, for each request, so a rewritten, touched, added or removed file, or a
 * file that cannot be stat'ed, finds no kept report and the check runs again. A check whose key is that of one
 * running now waits for that one instead of reading the data alongside it (see `check`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../../shared/canonical-json.js';
import type { DatasetCheckReport } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import type { TaskRequest } from './task-protocol.js';

/** What a data check runs in its task process: all of the request it depends on, resolved. */
export type DatasetCheckTask = Extract<TaskRequest, { kind: 'checkDataset' }>;

/** Samples read of samples to read (0: not known), as the check's task process reports them. */
export type CheckCounts = (done: number, total: number) => void;

/** Runs the check of a task: `signal` stops it (it then throws), `onCounts` hears its counts. */
export type RunCheck = (
  signal: AbortSignal | undefined,
  onCounts: CheckCounts | undefined,
) => Promise<DatasetCheckReport>;

/** Reports kept: a session checks a handful of datasets; each report is a few hundred bytes. */
export const DATASET_CHECK_CACHE_SIZE = 32;

/** A check that passed, as kept. */
export interface KeptCheck {
  report: DatasetCheckReport;
  /** The last counts it reported (samples read, samples to read), for a page that waits on a reused check. */
  counts?: { done: number; total: number };
}

/** The error of a check stopped by its caller. */
export function checkCancelled(): StudioError {
  return new StudioError('CANCELLED', 'The data check was cancelled.');
}

/** How a check that others may wait on ended: its report, and whether it was kept; or its error. */
type Outcome = { check: KeptCheck; kept: boolean } | { error: unknown };

/** A check running now, and the checks waiting on it (the one that started it included). */
interface Running {
  readonly key: string;
  /** The run's own stop, aborted when the last check waiting on it stops waiting. */
  readonly stop: AbortController;
  /** Checks waiting on it that were not cancelled. */
  waiting: number;
  /** Where the counts of the run go as they come: every check waiting on it. */
  readonly listeners: Set<CheckCounts>;
  /** The run's last counts, told to a check that joins it. */
  last?: { done: number; total: number };
  /** Never rejects. */
  readonly outcome: Promise<Outcome>;
}

/**
 * The last `size` checks that passed, by the key of what they depend on (the least recently used goes first),
 * and the checks running now, by the same key.
 */
export class DatasetCheckCache {
  private readonly kept = new Map<string, KeptCheck>();
  private readonly running = new Map<string, Running>();

  constructor(private readonly size = DATASET_CHECK_CACHE_SIZE) {}

  /**
   * The report of a check of `task`: the kept one when its files are unchanged since it passed; else that of
   * the same check running now, once it passes; else `run` runs it, and it is kept when it passes with its
   * files unchanged from start to end. `signal` stops this check (CANCELLED); `onCounts` hears its counts, a
   * reused check's replayed at once.
   *
   * Who owns a running check: no one check alone. It runs on a stop of its own, and is stopped only when every
   * check waiting on it, the one that started it included, has been cancelled. A cancelled check stops waiting
   * at once (CANCELLED) and leaves the run to the others: the checks waiting on one run are the same check of
   * the same files, so a Cancel says that one caller no longer needs the report, not that the others do not. If
   * the check that started it owned the run, the page's Cancel of the Optimize view's check would throw away
   * the read the pipelines queued meanwhile wait on, and each would start it over; once no one waits, the run
   * is stopped, so no task process reads data no one wants, and it is forgotten at once, so a new check starts
   * its own run instead of waiting on one that is winding down.
   *
   * A check that waited takes the run's report only when it passed and was kept (its files held from start to
   * end). Otherwise it runs its own check, once, not waiting on another: a failure is never kept, in sequence
   * or at the same time, as it may not be this check's (a task process killed, the pool shut down, a file
   * rewritten while it was read), and if its own data is bad it fails with its own error.
   */
  async check(
    task: DatasetCheckTask,
    run: RunCheck,
    signal?: AbortSignal,
    onCounts?: CheckCounts,
  ): Promise<DatasetCheckReport> {
    return this.checkOnce(task, run, signal, onCounts, true);
  }

  private async checkOnce(
    task: DatasetCheckTask,
    run: RunCheck,
    signal: AbortSignal | undefined,
    onCounts: CheckCounts | undefined,
    mayWait: boolean,
  ): Promise<DatasetCheckReport> {
    const key = await this.keyOf(task);
    if (signal?.aborted) throw checkCancelled();
    // A check whose files cannot be stat'ed (or a folder listed) always runs, alone, and is not kept: its own
    // read meets the same failure and reports it ("Cannot list <folder>: EMFILE ..."), or passes.
    if (key === undefined) return run(signal, onCounts);
    const kept = this.get(key);
    if (kept) return replay(kept, onCounts);
    const running = this.running.get(key);
    if (running && mayWait) {
      // Hearing the run's counts as they come: a page whose check joins a pipeline's long read shows it moving.
      const outcome = await this.wait(running, signal, onCounts);
      // Its counts were heard as they came, the last included: the report alone is left to give.
      if ('check' in outcome && outcome.kept) return structuredClone(outcome.check.report);
      return this.checkOnce(task, run, signal, onCounts, false);
    }
    if (running) return (await this.runAndKeep(key, task, run, signal, onCounts)).check.report;
    const outcome = await this.start(key, task, run, signal, onCounts);
    if ('error' in outcome) throw outcome.error;
    // A copy, as each check that waited gets: the caller may change it before the others take theirs.
    return structuredClone(outcome.check.report);
  }

  /**
   * The key of a check of `task` on its files as they are now (stat'ed, not read); undefined when one cannot be
   * stat'ed (or a folder of it listed): such a check always runs, and is not kept.
   */
  async keyOf(task: DatasetCheckTask): Promise<string | undefined> {
    try {
      const stamps = await Promise.all(checkedPaths(task).map(stampOf));
      return createHash('sha256')
        .update(canonicalJson({ task, files: stamps.flat() }))
        .digest('hex');
    } catch {
      return undefined;
    }
  }

  /** The kept check under `key` (a copy: the caller may change it), now the most recently used. */
  get(key: string): KeptCheck | undefined {
    const kept = this.kept.get(key);
    if (!kept) return undefined;
    this.kept.delete(key);
    this.kept.set(key, kept);
    return structuredClone(kept);
  }

  /** Keeps a check that passed; past `size` checks, the least recently used is forgotten. */
  keep(key: string, check: KeptCheck): void {
    this.kept.delete(key);
    this.kept.set(key, structuredClone(check));
    while (this.kept.size > this.size) this.kept.delete(this.kept.keys().next().value!);
  }

  /** How many checks are kept. */
  get count(): number {
    return this.kept.size;
  }

  /** How many checks are running now that others may wait on. */
  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Starts the check of `task` under `key` on a stop of its own, and waits for it as `wait` does (the starter
   * counted, and hearing its counts, before it runs); others with that key wait on it until it ends.
   */
  private start(
    key: string,
    task: DatasetCheckTask,
    run: RunCheck,
    signal: AbortSignal | undefined,
    onCounts: CheckCounts | undefined,
  ): Promise<Outcome> {
    let settle!: (outcome: Outcome) => void;
    const running: Running = {
      key,
      stop: new AbortController(),
      waiting: 0,
      listeners: new Set(),
      outcome: new Promise<Outcome>((resolve) => (settle = resolve)),
    };
    this.running.set(key, running);
    const waited = this.wait(running, signal, onCounts);
    const counts: CheckCounts = (done, total) => {
      running.last = { done, total };
      for (const listener of running.listeners) listener(done, total);
    };
    void this.runAndKeep(key, task, run, running.stop.signal, counts)
      .catch((error: unknown): Outcome => ({ error }))
      .then((outcome) => {
        // Forgotten once kept (or not), so no check starts a second run between its end and its keeping; one
        // stopped for want of checks waiting was forgotten then, and a new run may hold the key now.
        if (this.running.get(key) === running) this.running.delete(key);
        settle(outcome);
      });
    return waited;
  }

  /**
   * Waits for `running` to end, counted among the checks that need it (with `onCounts`, hearing its counts as
   * they come). `signal` stops the wait at once with CANCELLED; the run itself is stopped only when no check
   * is left waiting on it.
   */
  private wait(running: Running, signal?: AbortSignal, onCounts?: CheckCounts): Promise<Outcome> {
    running.waiting++;
    if (onCounts) {
      running.listeners.add(onCounts);
      if (running.last) onCounts(running.last.done, running.last.total);
    }
    return new Promise<Outcome>((resolve, reject) => {
      let done = false;
      const leave = () => {
        done = true;
        signal?.removeEventListener('abort', cancelled);
        if (onCounts) running.listeners.delete(onCounts);
        running.waiting--;
      };
      const cancelled = () => {
        if (done) return;
        leave();
        if (running.waiting === 0) {
          if (this.running.get(running.key) === running) this.running.delete(running.key);
          running.stop.abort();
        }
        reject(checkCancelled());
      };
      if (signal?.aborted) cancelled();
      else signal?.addEventListener('abort', cancelled, { once: true });
      void running.outcome.then((outcome) => {
        if (done) return;
        leave();
        resolve(outcome);
      });
    });
  }

  /**
   * Runs a check and keeps it when it passes under a key that held from start to end: a file rewritten while it
   * was read may have been read in either version.
   */
  private async runAndKeep(
    key: string,
    task: DatasetCheckTask,
    run: RunCheck,
    signal: AbortSignal | undefined,
    onCounts: CheckCounts | undefined,
  ): Promise<{ check: KeptCheck; kept: boolean }> {
    let counts: KeptCheck['counts'];
    const report = await run(signal, (done, total) => {
      counts = { done, total };
      onCounts?.(done, total);
    });
    const check: KeptCheck = { report, ...(counts ? { counts } : {}) };
    const kept = key === (await this.keyOf(task));
    if (kept) this.keep(key, check);
    return { check, kept };
  }
}

/**
 * A kept report, answered as a check that read everything at once: its first and last counts are replayed, so
 * a page waiting on it sees "0 of N", then "N of N" (as a quick check reports), and ends its progress as usual.
 */
function replay(kept: KeptCheck, onCounts: CheckCounts | undefined): DatasetCheckReport {
  if (kept.counts) {
    onCounts?.(0, kept.counts.total);
    onCounts?.(kept.counts.done, kept.counts.total);
  }
  return kept.report;
}

/**
 * The paths a check reads, resolved as the dataset readers resolve them: the model (its inputs and outputs),
 * and the data's file or folder and its labels file. Synthetic data has no files.
 */
export function checkedPaths(task: DatasetCheckTask): string[] {
  const data = task.data as { path?: string; labels?: string };
  const files = [data.path, data.labels].filter((p): p is string => p !== undefined);
  return [task.model, ...files.map((p) => path.resolve(task.baseDir, p))];
}

/**
 * One line per file or folder at `target` (folders walked, hidden entries included: the dataset's identity
 * hashes them too): `path size mtime ctime inode`. A folder's own line changes when an entry is added, removed
 * or renamed in it; ctime catches a file rewritten in place with its old mtime put back (`cp -p`, `touch -d`).
 * Throws when anything cannot be stat'ed.
 */
async function stampOf(target: string): Promise<string[]> {
  const walked = new Set<string>();
  const visit = async (p: string): Promise<string[]> => {
    const stat = await fs.promises.stat(p);
    const line = `${p}\t${stat.size}\t${stat.mtimeMs}\t${stat.ctimeMs}\t${stat.ino}`;
    // Links to folders are followed, as the image reader does; one back up the tree must not walk forever.
    const id = `${stat.dev}:${stat.ino}`;
    if (!stat.isDirectory() || walked.has(id)) return [line];
    walked.add(id);
    // A folder's entries are stat'ed together: on libuv's thread pool they overlap instead of queueing one by one.
    const names = (await fs.promises.readdir(p)).sort();
    const below = await Promise.all(names.map((name) => visit(path.join(p, name))));
    return [line, ...below.flat()];
  };
  return visit(target);
}
