import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from './data-dir.js';

/*
 * Temporary files that a killed process left in the data folder. Every temporary file the product writes is
 * named by tempPathFor (onnx/atomic-files.ts) with the id of the process writing it, and is renamed into place
 * or removed by that process. A process that is killed (a task process the supervisor stops after its grace
 * period, a crash, a power cut) leaves its temporary files behind: hidden, often hundreds of MB (a streamed
 * transform's scratch file), and nothing else would ever remove them. When the backend starts, the ones whose
 * process is no longer running are removed.
 */

/** tempPathFor's names: `.<target's name>.<pid>.<8 hex digits>.tmp`. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** The target and the writing process of a temporary file named by tempPathFor; undefined for any other name. */
export function parseTempPath(file: string): { target: string; pid: number } | undefined {
  const match = TEMP_NAME.exec(path.basename(file));
  if (!match) return undefined;
  const pid = Number(match[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { target: path.join(path.dirname(file), match[1]!), pid };
}

/** Whether a process of this id runs on this machine (one we may not signal runs too). */
export function isProcessRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How long a temporary file must have gone unwritten before it counts as left behind: a process id names a
 * process of this machine only, and a data folder shared with another machine or container (serve in a
 * container, a network home folder) holds live files of processes this one cannot see.
 */
export const STALE_AFTER_MS = 60 * 60 * 1000;

export interface StaleTempFiles {
  removed: string[];
  bytes: number;
}

/**
 * Removes the temporary files of processes that no longer run from the data folder: its own files (the recent
 * list's, the job history's) and its workspaces' (workspace.json, variants and their scratch files), once
 * unwritten for STALE_AFTER_MS. Files of running processes (a job of this or another app, a `serve` sharing the
 * folder), files written lately and every other file are kept. Asynchronous, one file at a time, so a large
 * folder on a slow disk holds up nothing else. Best effort: a file or folder that cannot be read or removed is
 * left as it is.
 */
export async function removeStaleTempFiles(dataDir: string, nowMs = Date.now()): Promise<StaleTempFiles> {
  const out: StaleTempFiles = { removed: [], bytes: 0 };
  await sweep(dataDir, 0, nowMs, out);
  // <key>/workspace.json and <key>/variants/*.
  await sweep(dataPaths(dataDir).workspaces, 2, nowMs, out);
  // The job history's files, one per host (job-history.ts keeps them in jobs/ beside jobs.json).
  await sweep(path.join(dataDir, 'jobs'), 0, nowMs, out);
  return out;
}

async function sweep(dir: string, depth: number, nowMs: number, out: StaleTempFiles): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth > 0) await sweep(file, depth - 1, nowMs, out);
      continue;
    }
    const temp = entry.isFile() ? parseTempPath(file) : undefined;
    if (!temp || isProcessRunning(temp.pid)) continue;
    try {
      const { size, mtimeMs } = await fs.promises.stat(file);
      if (nowMs - mtimeMs < STALE_AFTER_MS) continue;
      await fs.promises.rm(file);
      out.removed.push(file);
      out.bytes += size;
    } catch {
      // Gone meanwhile, or not ours to remove: left as it is.
    }
  }
}
