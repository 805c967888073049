import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StudioError } from '../errors.js';

/**
 * Temporary-file-then-rename helpers. Temporary files live in the destination folder (a rename across file
 * systems is not atomic) and carry a recognizable, hidden name so a crash leaves something a user can
 * identify and delete.
 */
export function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** Renames each temp file onto its target, in the order given. */
export function commitTempFiles(pairs: [temp: string, target: string][]): void {
  for (const [temp, target] of pairs) fs.renameSync(temp, target);
}

export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Best effort: the error that brought us here matters more.
  }
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
  } catch (error) {
    removeQuietly(temp);
    throw writeFailure(error, path.resolve(target));
  }
}

/** Copies a file atomically (a temp file beside the target, then a rename); refusals become IO errors. */
export async function copyFileAtomic(source: string, target: string): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await fs.promises.copyFile(source, temp, fs.constants.COPYFILE_EXCL);
    await fs.promises.rename(temp, target);
  } catch (error) {
    removeQuietly(temp);
    throw writeFailure(error, path.resolve(target));
  }
}
