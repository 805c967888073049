import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StudioError } from '../errors.js';
import { outputExists } from './output-exists.js';

/**
 * The temporary files (and folders) of this process that may still be on disk: every name tempPathFor gave
 * until it is committed or removed, and what trackTemporary was told. An exit that cannot wait for the normal
 * clean-up (a second Ctrl+C, see cli/bin.ts) removes them first (removeTemporariesNow).
 */
const temporaries = new Set<string>();

/**
 * Temporary-file-then-rename helpers. Temporary files live in the destination folder (a rename across file
 * systems is not atomic) and carry a recognizable, hidden name so a crash leaves something a user can
 * identify and delete.
 */
export function tempPathFor(target: string): string {
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  temporaries.add(temp);
  return temp;
}

/**
 * The refusal of an output that is already there, without --force (exit 2): the start-time checks' words, and
 * what a commit says when the file appeared after them (another job writing the same output). Declared once, for
 * every surface, in output-exists.ts; named here too for the writers that already import it with the commit.
 */
export { outputExists } from './output-exists.js';

export interface CommitOptions {
  /**
   * Whether a file at a target is replaced (--force). Without, a target that exists when the commit comes is
   * refused with `exists` and nothing is committed: a check at the start cannot see a file that another job
   * writes meanwhile, and a plain rename would replace that job's output without a word.
   */
  replace: boolean;
  /** The refusal, in the words of the caller's start-time check (default: outputExists). */
  exists?: (file: string) => StudioError;
}

/**
 * Errors of link() that say the file system makes no hard links (FAT and exFAT say EPERM on Linux, ENOTSUP on
 * macOS; libuv reads Windows' ERROR_INVALID_FUNCTION as EISDIR; some network and FUSE file systems say
 * EOPNOTSUPP or ENOSYS). A temp file made by this process in a folder it can write is no other reason for them.
 */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EISDIR']);

/**
 * Puts `temp` at `target` only if nothing is there, atomically: a hard link fails with EEXIST when the name is
 * taken, where a rename would replace it (the temp name is removed by the caller once every file is placed).
 * Where the file system makes no hard links, the name is claimed first by creating it exclusively (O_EXCL,
 * atomic there too), then the temp file is renamed over that empty claim: still no other output is ever
 * replaced, but for that instant a reader sees an empty file (and a crash then, a power cut or SIGKILL, would
 * leave it, to be removed by hand). Throws EEXIST when the name is taken. Used by commitTempFiles and by serve's
 * uploads (serve/uploads.ts).
 */
export function placeNew(temp: string, target: string): void {
  try {
    fs.linkSync(temp, target);
    return;
  } catch (error) {
    if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  fs.closeSync(fs.openSync(target, 'wx'));
  try {
    fs.renameSync(temp, target);
    temporaries.delete(temp);
  } catch (error) {
    fs.rmSync(target, { force: true });
    throw error;
  }
}

/** Device and inode of a file, to tell whether a name still holds the file this process put there. */
function identity(file: string): string | undefined {
  const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return stat ? `${stat.dev}:${stat.ino}` : undefined;
}

/** A file this process put in place, as it was then: to be taken back only while the name still holds it. */
export interface PlacedFile {
  target: string;
  id: string | undefined;
}

/** The files `targets` name now, as placed by this process (an export that a later output's refusal undoes). */
export function placedFiles(targets: readonly string[]): PlacedFile[] {
  return targets.map((target) => ({ target, id: identity(target) }));
}

/**
 * Removes the files this process placed, newest first, each only while its name still holds what was placed
 * (another job may have replaced it since, and its file is not ours to remove). Best effort: the refusal that
 * brought us here matters more.
 */
export function takeBack(placed: readonly PlacedFile[]): void {
  for (const { target, id } of [...placed].reverse()) {
    try {
      if (id !== undefined && identity(target) === id) fs.unlinkSync(target);
    } catch {
      // Best effort (see above).
    }
  }
}

/**
 * Moves each temp file to its target, in the order given (data files before the model that names them), with
 * no await in between. With `replace`, each is renamed over whatever is there. Without, each must find its
 * target free: if one is taken, the files already placed are taken back (those still holding what this call
 * put there), so a loser leaves neither a half-replaced output nor its temp files (the caller removes those),
 * and `exists(target)` is thrown.
 */
export function commitTempFiles(pairs: [temp: string, target: string][], options: CommitOptions): void {
  if (options.replace) {
    for (const [temp, target] of pairs) {
      fs.renameSync(temp, target);
      temporaries.delete(temp);
    }
    return;
  }
  const placed: PlacedFile[] = [];
  try {
    for (const [temp, target] of pairs) {
      // The temp file's inode, which the target holds once placed (linked or renamed).
      const id = identity(temp);
      placeNew(temp, target);
      placed.push({ target, id });
    }
  } catch (error) {
    takeBack(placed);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const taken = pairs[placed.length]![1];
      throw (options.exists ?? outputExists)(taken);
    }
    throw error;
  }
  // Every output is in place; the temp names that still link to them go.
  for (const [temp] of pairs) removeQuietly(temp);
}

export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
    temporaries.delete(file);
  } catch {
    // Best effort: the error that brought us here matters more.
  }
}

/**
 * Has removeTemporariesNow remove `file` (a file or a whole folder) if the process must exit before its own
 * clean-up runs; call the function it returns once that clean-up is done.
 */
export function trackTemporary(file: string): () => void {
  temporaries.add(file);
  return () => temporaries.delete(file);
}

/**
 * Removes every temporary file and folder of this process that may still be there, synchronously: the last thing
 * before an exit that cannot wait (a second Ctrl+C). A name that was renamed into place meanwhile is gone, so a
 * finished output is never touched.
 */
export function removeTemporariesNow(): void {
  for (const file of temporaries) {
    try {
      fs.rmSync(file, { recursive: true, force: true });
    } catch {
      // Best effort: the process is exiting.
    }
  }
  temporaries.clear();
}

/**
 * A turn of the event loop that polls for I/O, so that an abort from outside (the CLI's signal handlers, a job's
 * cancel message) that has arrived has landed once it resolves. One setImmediate is not such a turn: awaited
 * from an I/O callback (any awaited fs promise) it runs before the loop polls again, which missed a Ctrl+C at
 * the end of a save in every run of a user test. Two always have a poll between them.
 */
export async function pollTurn(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * What a failure to write `target` (or a temporary or scratch file beside it) means to the user: the file
 * system's refusals (a full disk, a read-only or forbidden folder, a path through a file) are the
 * destination's fault, said with what to do (IO, exit 2); anything else, StudioErrors included, is returned
 * as it is. The one mapping every writer of output files uses.
 */
export function writeFailure(error: unknown, target: string): unknown {
  if (error instanceof StudioError) return error;
  const e = error as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (typeof code !== 'string' || e?.syscall === undefined) return error;
  const options = { detail: e.message, cause: error };
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new StudioError(
        'IO',
        `The disk is full while writing ${target}. Free some space and retry.`,
        options,
      );
    case 'EROFS':
      return new StudioError(
        'IO',
        `Cannot write ${target}: the file system is read-only. Choose a folder you can write to.`,
        options,
      );
    case 'EACCES':
    case 'EPERM':
      return new StudioError(
        'IO',
        `Permission denied writing ${target}. Choose a folder you can write to.`,
        options,
      );
    default:
      // Any other refusal (a virtual folder such as /proc, a path through a file): still the destination.
      return new StudioError(
        'IO',
        `Cannot write ${target} (${code}: ${e.syscall} failed). Choose a folder you can write to.`,
        options,
      );
  }
}

/**
 * Writes a small file (JSON, reports) atomically; file-system refusals become IO errors (writeFailure). It
 * replaces a file at `target` (state files are rewritten in place) unless `options.replace` is false: then a
 * file there is refused as commitTempFiles refuses it.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: CommitOptions = { replace: true },
): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await fs.promises.writeFile(temp, data, { flag: 'wx' });
    if (options.replace) {
      await fs.promises.rename(temp, target);
      temporaries.delete(temp);
    } else commitTempFiles([[temp, target]], options);
  } catch (error) {
    removeQuietly(temp);
    throw writeFailure(error, path.resolve(target));
  }
}

/**
 * Writes small files that belong together (a report's HTML and JSON) as one output: each to a temp file first,
 * then all put in place at once (commitTempFiles). Without `options.replace`, a target that is taken (also one
 * that appeared meanwhile) leaves none of them placed, so a reader never finds one without the other.
 */
export async function writeFilesAtomic(
  files: readonly [target: string, data: string | Uint8Array][],
  options: CommitOptions = { replace: true },
): Promise<void> {
  const pairs: [temp: string, target: string][] = [];
  let writing = files[0]?.[0] ?? '';
  try {
    for (const [target, data] of files) {
      writing = target;
      const temp = tempPathFor(target);
      pairs.push([temp, target]);
      await fs.promises.writeFile(temp, data, { flag: 'wx' });
    }
    commitTempFiles(pairs, options);
  } catch (error) {
    for (const [temp] of pairs) removeQuietly(temp);
    throw writeFailure(error, path.resolve(writing));
  }
}

/**
 * Copies a file atomically (a temp file beside the target, then commitTempFiles: a file at the target is replaced
 * only with `replace`); refusals become IO errors. Returns the bytes copied. With a `signal`, an abort that lands
 * before the commit wins: the temp file is removed and it throws CANCELLED (`cancelled` is the message), leaving
 * nothing. With `onProgress`, the copy goes a chunk at a time, reporting the bytes copied of the source's size
 * after each, and an abort stops it between chunks (without, the file system copies it whole, as fast as it can).
 */
export async function copyFileAtomic(
  source: string,
  target: string,
  options: CommitOptions & {
    signal?: AbortSignal;
    cancelled?: string;
    onProgress?: (copied: number, total: number) => void;
  },
): Promise<number> {
  const { signal, onProgress } = options;
  const cancelled = () => new StudioError('CANCELLED', options.cancelled ?? 'Copying was cancelled.');
  if (signal?.aborted) throw cancelled();
  const total = onProgress ? (await fs.promises.stat(source)).size : 0;
  const temp = tempPathFor(target);
  let copied = 0;
  try {
    if (onProgress) {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          copied += chunk.length;
          onProgress(copied, total);
          done(null, chunk);
        },
      });
      await pipeline(
        fs.createReadStream(source),
        counter,
        fs.createWriteStream(temp, { flags: 'wx' }),
        signal ? { signal } : {},
      );
    } else {
      await fs.promises.copyFile(source, temp, fs.constants.COPYFILE_EXCL);
      copied = (await fs.promises.stat(temp)).size;
    }
    if (signal) {
      await pollTurn();
      if (signal.aborted) throw cancelled();
    }
    // Nothing is awaited between that check and the commit: the file is either whole in place or not there.
    commitTempFiles([[temp, target]], options);
  } catch (error) {
    removeQuietly(temp);
    // An abort fails a streamed copy with the stream's own error: it is the cancellation all the same.
    if (signal?.aborted) throw cancelled();
    throw writeFailure(error, path.resolve(target));
  }
  return copied;
}
