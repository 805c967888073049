/**
 * Data checks already done, so a dataset is read once per change instead of once per request: the Optimize
 * view checks its data, then each pipeline it queues checks the same data again before it is recorded, and on
 * a large image folder every check is minutes of decoding and hashing.
 *
 * A check is kept under a key of everything its report depends on: the task the check runs (model file, data
 * spec, base folder, role, dataset name, input shapes and values) and a stamp of every file it reads (path,
 * size, mtime, ctime and inode of the model and of each file and folder of the data, folders walked). The key
 * is computed afresh, with fresh stats, for each request, so a rewritten, touched, added or removed file, or a
 * file that cannot be stat'ed, finds no kept report and the check runs again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../../shared/canonical-json.js';
import type { DatasetCheckReport } from '../../../shared/ipc-contract.js';
import type { TaskRequest } from './task-protocol.js';

/** What a data check runs in its task process: all of the request it depends on, resolved. */
export type DatasetCheckTask = Extract<TaskRequest, { kind: 'checkDataset' }>;

/** Reports kept: a session checks a handful of datasets; each report is a few hundred bytes. */
export const DATASET_CHECK_CACHE_SIZE = 32;

/** A check that passed, as kept. */
export interface KeptCheck {
  report: DatasetCheckReport;
  /** The last counts it reported (samples read, samples to read), for a page that waits on a reused check. */
  counts?: { done: number; total: number };
}

/** The last `size` checks that passed, by the key of what they depend on; the least recently used goes first. */
export class DatasetCheckCache {
  private readonly kept = new Map<string, KeptCheck>();

  constructor(private readonly size = DATASET_CHECK_CACHE_SIZE) {}

  /**
   * The key of a check of `task` on its files as they are now (stat'ed, not read); undefined when one cannot be
   * stat'ed: such a check always runs, and is not kept.
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
