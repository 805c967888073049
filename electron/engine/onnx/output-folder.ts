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

/** Creates the folder (and its parents), with the refusal above or an IO error that names it. */
export async function makeOutputFolder(dir: string, flag: string): Promise<void> {
  refuseFileAsFolder(dir, flag);
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new StudioError(
      'IO',
      `Cannot create ${flag} ${path.resolve(dir)}: ${(error as Error).message}. Choose another folder.`,
    );
  }
}
