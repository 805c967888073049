import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../errors.js';
import { placeNew, removeQuietly, tempPathFor } from '../onnx/atomic-files.js';
import { dataFolderFailure } from './data-dir.js';
import { processStart, thisHost } from './process-identity.js';
import { isProcessRunning } from './stale-temp-files.js';

/*
 * A lock between processes on one file of the data folder that every host rewrites whole (the recent list): the
 * app beside `onnx-studio serve`, or two serves. Without it, two processes reading, changing and writing the file
 * at once each write their own list and one's entries are lost.
 *
 * The lock is `<file>.lock`, made with O_EXCL (of two processes, one makes it) and holding its holder's record:
 * an id new for each acquisition, the host (name, boot, process-id space) and the process (pid, start time).
 * A holder killed while holding leaves its lock, so a waiter takes it over once it is sure the holder is gone:
 * - this host: only when the process is gone (or its pid is another process's now). Never by age: a live holder
 *   whose event loop is blocked still holds, and taking its lock would let two change the file at once.
 * - another host, or a record that cannot be read: its processes cannot be checked, so when this waiter has seen
 *   the very same record unchanged for LOCK_STALE_MS by its own monotonic clock. The file's time tells only whether
 *   it changed, never its age: a file server's clock may be minutes off this one's.
 * The id, not the file's inode, tells whether the lock on the name is still the one judged stale: a file system
 * gives a removed file's inode to the next file made at once, so a lock made meanwhile by another waiter would
 * read as the dead one.
 */

/** How long another host's lock must stay unchanged, as this waiter sees it, before it is taken as left behind. */
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

/** A lock as read: its record's text and file time, and its holder when the record is whole. */
interface SeenLock {
  text: string;
  mtimeNs: bigint;
  holder: Holder | undefined;
}

/** The acquisitions of this process now holding a lock: a lock of this process with another id was left behind. */
const held = new Set<string>();

/**
 * Errors of rename that waiting does not cure: the data folder cannot be written. Not EPERM on Windows, where it
 * mostly means another program (an antivirus, the indexer) has the file open for a moment: that is waited out.
 */
const CANNOT_WRITE = new Set(
  process.platform === 'win32' ? ['EACCES', 'EROFS'] : ['EACCES', 'EPERM', 'EROFS'],
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes the lock with our record; false when it is there already. A lock made but not written is removed. */
async function create(lock: string, mine: Holder): Promise<boolean> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(lock, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw dataFolderFailure(error, path.dirname(lock));
  }
  try {
    await fs.promises.writeFile(handle, JSON.stringify(mine));
    await handle.close();
    return true;
  } catch (error) {
    // An empty lock (a full disk) would be waited on by every later change; no other waiter takes a record
    // this fresh, so the name is still ours to remove.
    await handle.close().catch(() => undefined);
    removeQuietly(lock);
    throw dataFolderFailure(error, path.dirname(lock));
  }
}

/** The lock at `file` as it is now (one open file, so text and time belong together); undefined when gone. */
function readLock(file: string): SeenLock | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const { mtimeNs } = fs.fstatSync(fd, { bigint: true });
    const text = fs.readFileSync(fd, 'utf8');
    return { text, mtimeNs, holder: parseHolder(text) };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    const whole =
      typeof parsed.id === 'string' && typeof parsed.pid === 'number' && typeof parsed.hostname === 'string';
    return whole ? (parsed as Holder) : undefined;
  } catch {
    return undefined; // Being written, or damaged.
  }
}

/**
 * What makes one lock that very lock: its id, or for a record without one (an empty lock of a full disk) its text
 * byte for byte; with its file time, which a lock keeps when moved aside and back.
 */
const identity = (seen: SeenLock) => `${seen.holder?.id ?? `unreadable:${seen.text}`}@${seen.mtimeNs}`;

/** Whether a lock held by `holder` is on this host, where its process can be checked. */
function onThisHost(holder: Holder, here: Holder): boolean {
  return (
    holder.hostname === here.hostname &&
    holder.bootId === here.bootId &&
    holder.pidNamespace === here.pidNamespace
  );
}

/** Whether the process of a lock of this host is gone: not running, or its pid is a later process's. */
function holderGone(holder: Holder): boolean {
  if (holder.pid === process.pid && holder.start === processStart(process.pid)) return !held.has(holder.id);
  if (!isProcessRunning(holder.pid)) return true;
  const start = processStart(holder.pid);
  return holder.start !== undefined && start !== undefined && holder.start !== start;
}

/**
 * Removes the lock on `lock` if it is the one `isOurs` names (true then). It is moved aside first and read there:
 * a lock made since by another process, which a remove by name would take, is put back. Throws at once where the
 * data folder cannot be written; other failures (Windows' EBUSY while another process reads it, the lock gone)
 * leave the lock to the next try. Synchronous on purpose (a few system calls on a small file): no other waiter
 * of this process runs between reading the lock, moving it and putting it back, so only another process can
 * change the name meanwhile, within those few calls.
 */
function removeIf(lock: string, isOurs: (seen: SeenLock | undefined) => boolean): boolean {
  if (!isOurs(readLock(lock))) return false;
  const aside = tempPathFor(lock); // A temp file's name: the start-up sweep removes it if we die holding it.
  try {
    fs.renameSync(lock, aside);
  } catch (error) {
    removeQuietly(aside);
    if (CANNOT_WRITE.has((error as NodeJS.ErrnoException).code ?? ''))
      throw dataFolderFailure(error, path.dirname(lock));
    return false;
  }
  const ours = isOurs(readLock(aside));
  if (!ours) {
    try {
      placeNew(aside, lock);
    } catch {
      // The name was taken in the instant it was free: that process holds the lock now, beside the holder of the
      // one moved aside - the one overlap this lock cannot rule out (no rename moves a file only if unchanged).
      // It needs another process to change the lock between our read and our rename, then a third to make it
      // before we put it back; the moved lock's holder, releasing, finds a lock not its own and leaves it.
    }
  }
  removeQuietly(aside);
  return ours;
}

/** The IO error of a lock held past LOCK_WAIT_MS: which file, whose, and when the user may remove it. */
function heldTooLong(lock: string, seen: SeenLock | undefined): StudioError {
  const holder = seen?.holder;
  const whose = holder
    ? `ONNX Studio process ${holder.pid} on ${holder.hostname}`
    : 'a process that left no readable record in it';
  return new StudioError(
    'IO',
    `${lock} has been held by ${whose} for more than ${LOCK_WAIT_MS / 1000} s. If no ONNX Studio (the app or ` +
      `onnx-studio serve, on any machine) uses the data folder ${path.dirname(lock)}, remove ${lock} and retry.`,
  );
}

async function acquire(lock: string, mine: Holder): Promise<void> {
  const deadline = performance.now() + LOCK_WAIT_MS;
  // The lock this waiter is timing (another host's, or unreadable): since when it has seen it unchanged.
  let watched: { key: string; since: number } | undefined;
  let pause = 10;
  for (;;) {
    if (await create(lock, mine)) return;
    const seen = readLock(lock);
    if (seen) {
      let stale: boolean;
      if (seen.holder && onThisHost(seen.holder, mine)) stale = holderGone(seen.holder);
      else {
        if (watched?.key !== identity(seen)) watched = { key: identity(seen), since: performance.now() };
        stale = performance.now() - watched.since >= LOCK_STALE_MS;
      }
      // Removed: made again at once. Not (another's lock now, or the file system busy): waited on as any.
      if (stale && removeIf(lock, (now) => now !== undefined && identity(now) === identity(seen))) continue;
    }
    if (performance.now() > deadline) throw heldTooLong(lock, seen);
    await sleep(pause * (0.5 + Math.random()));
    pause = Math.min(100, pause * 1.5);
  }
}

/**
 * Runs `work` holding the lock on `file` (`<file>.lock`), across processes; the lock is removed after, whatever
 * `work` did. Throws an IO error if the lock stays held by another for LOCK_WAIT_MS, and the data folder's
 * failure (dataFolderFailure) if the lock cannot be made or taken over there.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const mine: Holder = {
    id: randomUUID(),
    ...thisHost(),
    pid: process.pid,
    start: processStart(process.pid),
  };
  held.add(mine.id);
  try {
    await acquire(lock, mine);
    try {
      return await work();
    } finally {
      // Moved aside before it is removed: a lock taken over meanwhile is its new holder's and goes back. A lock
      // that cannot be removed is not this change's failure: this process's next change takes it over (held),
      // another's names it when it gives up.
      try {
        removeIf(lock, (now) => now?.holder?.id === mine.id);
      } catch {
        // Left as said above.
      }
    }
  } finally {
    held.delete(mine.id);
  }
}
