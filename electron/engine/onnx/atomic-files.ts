import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

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

/** Writes a small file (JSON, reports) atomically. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await fs.promises.writeFile(temp, data, { flag: 'wx' });
    await fs.promises.rename(temp, target);
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
}
