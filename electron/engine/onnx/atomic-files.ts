import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StudioError } from '../errors.js';

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

/** Renames each temp file onto its target, in the order given. */
export function commitTempFiles(pairs: [temp: string, target: string][]): void {
  for (const [temp, target] of pairs) {
    fs.renameSync(temp, target);
    temporaries.delete(temp);
  }
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

/** Writes a small file (JSON, reports) atomically; file-system refusals become IO errors (writeFailure). */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await fs.promises.writeFile(temp, data, { flag: 'wx' });
    await fs.promises.rename(temp, target);
    temporaries.delete(temp);
  } catch (error) {
    removeQuietly(temp);
    throw writeFailure(error, path.resolve(target));
  }
}

/**
 * Copies a file atomically (a temp file beside the target, then a rename); refusals become IO errors. Returns the
 * bytes copied. With a `signal`, an abort that lands before the rename wins: the temp file is removed and it throws
 * CANCELLED (`cancelled` is the message), leaving nothing. With `onProgress`, the copy goes a chunk at a time,
 * reporting the bytes copied of the source's size after each, and an abort stops it between chunks (without,
 * the file system copies it whole, as fast as it can).
 */
export async function copyFileAtomic(
  source: string,
  target: string,
  options: {
    signal?: AbortSignal;
    cancelled?: string;
    onProgress?: (copied: number, total: number) => void;
  } = {},
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
    // Nothing is awaited between that check and the rename: the file is either whole in place or not there.
    fs.renameSync(temp, target);
    temporaries.delete(temp);
  } catch (error) {
    removeQuietly(temp);
    // An abort fails a streamed copy with the stream's own error: it is the cancellation all the same.
    if (signal?.aborted) throw cancelled();
    throw writeFailure(error, path.resolve(target));
  }
  return copied;
}
