import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../errors.js';
import { outputExists } from './output-exists.js';
import { refuseUnwritableFolder } from './unwritable-folder.js';

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
 * so the mistake is said first. Returns whether the folder is there already: makeOutputFolder's `existed`.
 */
export function refuseFileAsFolder(dir: string, flag: string): boolean {
  const file = fileInTheWay(dir);
  const resolved = path.resolve(dir);
  if (file === undefined) return fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory() === true;
  throw new StudioError(
    'BAD_REQUEST',
    file === resolved
      ? `${flag} ${resolved} is a file; give a folder.`
      : `${flag} ${resolved} is inside ${file}, which is a file; give a folder.`,
  );
}

/**
 * Why making `dir` failed. A mkdir may say ENOENT where it cannot create a folder (Node's recursive one does in a
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
 * Creates the folder (and its parents), with the refusal above or an error that says why it cannot. Returns the
 * topmost folder it created (undefined when `dir` existed), for `removeCreatedFolder`.
 *
 * The folder is claimed: `existed` is whether it was there when the command first looked (refuseFileAsFolder's
 * answer; default, whether it is there now). A folder missing then is made here by a mkdir that fails if the
 * name is taken, so of two commands making one new folder at once only one goes on; without `force`, the other
 * is refused (exit 2), as a file already there is. Into a folder that existed, each output file is still put
 * in place only if its name is free (commitTempFiles).
 *
 * Each missing folder is made on its own, never by a recursive mkdir: Node 20's never settles where mkdir says
 * ENOENT below an existing folder (a pseudo file system such as /proc), and then no Ctrl+C stopped the command.
 */
export async function makeOutputFolder(
  dir: string,
  flag: string,
  options: { existed?: boolean; force?: boolean } = {},
): Promise<string | undefined> {
  const there = refuseFileAsFolder(dir, flag);
  const resolved = path.resolve(dir);
  const existed = options.existed ?? there;
  const claimLost = () =>
    outputExists(
      resolved,
      { another: `${flag} folder`, proceed: 'pass --force', effect: 'write into it' },
      { named: flag, why: 'another command made it after this one started' },
    );
  const missing: string[] = [];
  if (!there)
    for (let at = resolved; !fs.existsSync(at) && path.dirname(at) !== at; at = path.dirname(at))
      missing.unshift(at);
  if (missing.length === 0) {
    if (!existed && !options.force) throw claimLost();
    return undefined;
  }
  const made: string[] = [];
  try {
    for (const at of missing) {
      try {
        await fs.promises.mkdir(at);
        made.push(at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw mkdirError(dir, flag, error);
        // Made meanwhile by someone else: a parent is shared, the folder itself was claimed by another command.
        refuseFileAsFolder(at, flag);
        if (at === resolved && !options.force) throw claimLost();
      }
    }
  } catch (error) {
    // Nothing made is left behind: the folders made on the way go again, deepest first, while empty.
    removeCreatedFolder(made.at(-1) ?? resolved, made[0]);
    throw error;
  }
  return made[0];
}

/** The error for a mkdir of `dir` (or of a parent on the way) that failed: what to do, and why if known. */
function mkdirError(dir: string, flag: string, error: unknown): StudioError {
  const resolved = path.resolve(dir);
  const { code, at } = mkdirFailure(dir, error);
  // ENOENT below a folder that exists and lets us in: a file system that makes no files (procfs, sysfs). Said as
  // `tune --emit` says it, by its check (a real write there), which words it.
  if (code === 'ENOENT' && fs.existsSync(at))
    refuseUnwritableFolder(at, `${flag} ${resolved}`, { mustExist: true });
  const why =
    code === 'EROFS'
      ? `${at} is on a read-only file system`
      : code === 'EACCES' || code === 'EPERM'
        ? `permission denied in ${at}`
        : code === 'ENOSPC' || code === 'EDQUOT'
          ? 'the disk is full'
          : (error as Error).message;
  return new StudioError('IO', `Cannot create ${flag} ${resolved}: ${why}. Choose another folder.`, {
    detail: (error as Error).message,
  });
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
