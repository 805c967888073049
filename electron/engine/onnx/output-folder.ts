import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../errors.js';

/*
 * The folder a command writes several files into (`run --out`, `demo --out`). A path that is a file, or lies
 * below one, is the user's mistake (exit 2), not the internal EEXIST / ENOTDIR that mkdir throws for it.
 */

/** The first existing path from `dir` upwards that is not a folder, if any (`dir` itself, or a parent). */
function fileInTheWay(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      return fs.statSync(at).isDirectory() ? undefined : at;
    } catch {
      if (path.dirname(at) === at) return undefined;
    }
  }
}

/**
 * Refuses a folder path that is a file or lies below one. Cheap: commands call it before their slow checks,
 * so the mistake is said first.
 */
export function refuseFileAsFolder(dir: string, flag: string): void {
  const file = fileInTheWay(dir);
  if (file === undefined) return;
  const resolved = path.resolve(dir);
  throw new StudioError(
    'BAD_REQUEST',
    file === resolved
      ? `${flag} ${resolved} is a file; give a folder.`
      : `${flag} ${resolved} is inside ${file}, which is a file; give a folder.`,
  );
}

/**
 * Why `mkdir -p dir` failed. Node's recursive mkdir says ENOENT when it cannot create a missing parent (in a
 * read-only or forbidden folder), which reads as "the path does not exist": the folder that refused is the
 * nearest existing one above `dir`, and asking it whether it can be written to gives the real reason.
 */
function mkdirFailure(dir: string, error: unknown): { code: string | undefined; at: string } {
  const code = (error as NodeJS.ErrnoException).code;
  let parent = path.dirname(path.resolve(dir));
  while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
  if (code !== 'ENOENT') return { code, at: parent };
  try {
    fs.accessSync(parent, fs.constants.W_OK | fs.constants.X_OK);
    return { code, at: parent };
  } catch (refusal) {
    return { code: (refusal as NodeJS.ErrnoException).code ?? code, at: parent };
  }
}

/**
 * Creates the folder (and its parents), with the refusal above or an IO error that says why it cannot.
 * Returns the topmost folder it created (undefined when `dir` existed), for `removeCreatedFolder`.
 */
export async function makeOutputFolder(dir: string, flag: string): Promise<string | undefined> {
  refuseFileAsFolder(dir, flag);
  try {
    return await fs.promises.mkdir(dir, { recursive: true });
  } catch (error) {
    const resolved = path.resolve(dir);
    const { code, at } = mkdirFailure(dir, error);
    const why =
      code === 'EROFS'
        ? `${at} is on a read-only file system`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission denied in ${at}`
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? 'the disk is full'
            : (error as Error).message;
    throw new StudioError('IO', `Cannot create ${flag} ${resolved}: ${why}. Choose another folder.`, {
      detail: (error as Error).message,
    });
  }
}

/**
 * Undoes makeOutputFolder after a failure: removes `dir` and the parents it created (up to `created`, what
 * makeOutputFolder returned) while they are empty. A folder holding anything (a finished step's model) stays.
 */
export function removeCreatedFolder(dir: string, created: string | undefined): void {
  if (created === undefined) return;
  const top = path.resolve(created);
  for (let at = path.resolve(dir); at === top || at.startsWith(top + path.sep); at = path.dirname(at)) {
    try {
      fs.rmdirSync(at);
    } catch {
      return; // not empty, or already gone
    }
  }
}
