import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { StudioError } from '../errors.js';
import { processStart, thisHost } from './process-identity.js';
import { placeNew, removeQuietly, tempPathFor } from '../onnx/atomic-files.js';
import { isProcessRunning } from './stale-temp-files.js';

/*
 * A lock between processes on one file of the data folder, for a document every host rewrites whole (the recent
 * list): the app beside `onnx-studio serve`, or two serves, on one data folder. JsonDataFile orders the changes of
 * one process; without this, two processes reading, changing and writing the file at once each write their own
 * list and one's entry is lost.
 *
 * The lock is `<file>.lock`, made with O_EXCL (of two processes, one makes it) and holding who made it, as the job
 * history names an owner (jobs/job-history.ts: host, boot, process-id space, pid and when the process started).
 * A lock is left behind when its holder is killed between making and removing it, so a waiter takes it over once
 * the holder is gone: on this host (same boot and process-id space), when its process no longer runs or another
 * process, started at another time, has its id; anywhere, when the lock is older than LOCK_STALE_MS (a holder
 * only reads and writes a small file, well within that; another machine's processes cannot be checked).
 */

/** How old a lock may get before it is taken over whoever holds it (see above). */
export const LOCK_STALE_MS = 10_000;
/** How long a change waits for the lock before it gives up with an IO error that says which file to remove. */
export const LOCK_WAIT_MS = 3 * LOCK_STALE_MS;

interface Holder {
  id: string;
  hostname: string;
  bootId?: string;
  pidNamespace?: string;
  pid: number;
  start?: string;
}

/** A lock as a waiter found it: its file's identity (device and inode) and age, and its holder if readable. */
interface SeenLock {
  inode: string;
  ageMs: number;
  holder: Holder | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inodeOf(file: string): Promise<string | undefined> {
  try {
    const stat = await fs.promises.stat(file, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

/** The lock as it is now, or undefined when there is none (released meanwhile). */
async function seeLock(lock: string): Promise<SeenLock | undefined> {
  let stat: fs.BigIntStats;
  let text: string;
  try {
    stat = await fs.promises.stat(lock, { bigint: true });
    text = await fs.promises.readFile(lock, 'utf8');
  } catch {
    return undefined;
  }
  let holder: Holder | undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (
      typeof parsed.id === 'string' &&
      typeof parsed.pid === 'number' &&
      typeof parsed.hostname === 'string'
    )
      holder = parsed as Holder;
  } catch {
    // Made but not written yet (or damaged): judged by its age alone.
  }
  return { inode: `${stat.dev}:${stat.ino}`, ageMs: Date.now() - Number(stat.mtimeMs), holder };
}

/** Whether the holder of a lock is gone (see above), so the lock may be taken over. */
function isStale(seen: SeenLock, here: Omit<Holder, 'id'>): boolean {
  if (seen.ageMs >= LOCK_STALE_MS) return true;
  const holder = seen.holder;
  if (!holder) return false;
  const samePids =
    holder.hostname === here.hostname &&
    holder.bootId === here.bootId &&
    holder.pidNamespace === here.pidNamespace;
  if (!samePids) return false;
  if (!isProcessRunning(holder.pid)) return true;
  const start = processStart(holder.pid);
  return holder.start !== undefined && start !== undefined && holder.start !== start;
}

/**
 * Removes a lock judged stale, only if the name still holds that lock: it is moved aside first (a rename, which
 * of two waiters one wins), and a lock that turns out to be another, taken since, is put back if its name is
 * still free. The name aside is a temp file's (tempPathFor), so a waiter killed here leaves nothing that the
 * backend's start (stale-temp-files.ts) does not remove.
 */
async function breakLock(lock: string, seen: SeenLock): Promise<void> {
  const aside = tempPathFor(lock);
  try {
    await fs.promises.rename(lock, aside);
  } catch {
    removeQuietly(aside);
    return; // Another waiter moved it first, or it was released.
  }
  if ((await inodeOf(aside)) !== seen.inode) {
    try {
      placeNew(aside, lock);
    } catch {
      // Taken again meanwhile: the holder we moved finds its lock gone when it releases, and removes nothing.
    }
  }
  removeQuietly(aside);
}

/**
 * Runs `work` holding the lock on `file` (`<file>.lock`), across processes; the lock is removed after, whatever
 * `work` did. Throws an IO error if the lock stays held by a live process for LOCK_WAIT_MS.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const here = { ...thisHost(), pid: process.pid, start: processStart(process.pid) };
  const mine: Holder = { id: randomUUID(), ...here };
  const text = JSON.stringify(mine);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fs.promises.writeFile(lock, text, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await seeLock(lock);
    if (seen && isStale(seen, here)) await breakLock(lock, seen);
    else if (Date.now() > deadline)
      throw new StudioError(
        'IO',
        `${lock} has been held by another ONNX Studio (process ${seen?.holder?.pid ?? 'unknown'}) for too long. ` +
          'If no other ONNX Studio uses this data folder, remove that file and retry.',
      );
    else await sleep(5 + Math.random() * 20);
  }
  try {
    return await work();
  } finally {
    // Only our own: a lock taken over because this one was judged stale is its new holder's.
    const now = await seeLock(lock);
    if (now?.holder?.id === mine.id) removeQuietly(lock);
  }
}
