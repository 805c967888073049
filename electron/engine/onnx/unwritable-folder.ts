/**
 * Whether a destination folder can be written, checked before the work: `tune` writes its variant and its
 * `.tune.json` only once the search has ended (and `tune --emit`, `collect` and the output folders of `run` and
 * `demo` check so too), so a folder that is missing or cannot be written would otherwise be found minutes later,
 * with every trial's result lost. The check is a real write (a hidden folder made and removed at once), so a
 * read-only file system, missing permissions and a pseudo file system are all caught, whoever runs it (root
 * passes a permission check that a read-only mount still refuses).
 */
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../errors.js';

/** A write error as the user reads it. */
function reasonOf(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'a read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOENT':
      return 'the file system does not let files be made there';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** The nearest existing path from `at` upwards (`at` itself when it exists). */
function nearestExisting(at: string): string {
  for (let dir = at; ; dir = path.dirname(dir)) {
    if (fs.existsSync(dir) || path.dirname(dir) === dir) return dir;
  }
}

/**
 * Refuses (BAD_REQUEST, exit 2) a destination folder that cannot be written: `dir` itself when it exists, else
 * the nearest existing folder above it, where it would be made (or, with `mustExist`, refuses it as missing, as
 * an export does). `what` names the destination in the message: `-o /x/t.onnx`, `the sweep folder /x/s`.
 */
export function refuseUnwritableFolder(dir: string, what: string, options: { mustExist: boolean }): void {
  const resolved = path.resolve(dir);
  const at = nearestExisting(resolved);
  if (at !== resolved && options.mustExist)
    throw new StudioError(
      'BAD_REQUEST',
      `Cannot write ${what}: the folder ${resolved} does not exist. Choose an existing folder.`,
    );
  if (!fs.statSync(at).isDirectory())
    throw new StudioError(
      'BAD_REQUEST',
      `Cannot write ${what}: ${at} is a file, not a folder. Choose another path.`,
    );
  let probe: string | undefined;
  try {
    probe = fs.mkdtempSync(path.join(at, '.onnx-studio-write-check-'));
  } catch (error) {
    throw new StudioError(
      'BAD_REQUEST',
      `Cannot write ${what}: the folder ${at} cannot be written (${reasonOf(error)}). Choose another folder.`,
      { detail: error instanceof Error ? error.message : String(error) },
    );
  } finally {
    if (probe) fs.rmSync(probe, { recursive: true, force: true });
  }
}
