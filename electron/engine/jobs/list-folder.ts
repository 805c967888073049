/**
 * One folder's entries for the file browser (`studio:fs.list`), the one handler that Electron IPC and `serve`
 * share. Hidden entries (dot files) are listed too, flagged: the browser hides them unless asked, but it can say
 * they are there (a home folder often holds nothing else, and an empty list reads as a dead end).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FsEntry, FsListing } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';

/** At most this many entries (a huge folder is cut); visible ones come first, so hidden ones are cut first. */
export const MAX_FS_ENTRIES = 2000;

/** Lists a folder: visible entries, then hidden ones; within each, folders first, then files, by name. */
export async function listFolder(folder: string): Promise<FsListing> {
  const resolved = path.resolve(folder);
  let dirents: fs.Dirent[];
  try {
    dirents = await fs.promises.readdir(resolved, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new StudioError('IO', `No such file or folder: ${resolved}. Check the path.`);
    if (code === 'ENOTDIR') throw new StudioError('IO', `${resolved} is a file, not a folder.`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new StudioError('IO', `Permission denied listing ${resolved}.`);
    throw new StudioError('IO', `Cannot list ${resolved}: ${(error as Error).message}`);
  }
  const entries: FsEntry[] = [];
  for (const d of dirents) {
    const full = path.join(resolved, d.name);
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    let bytes: number | undefined;
    if (d.isSymbolicLink() || isFile) {
      try {
        const st = await fs.promises.stat(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
        if (isFile) bytes = st.size;
      } catch {
        continue;
      }
    }
    const hidden = d.name.startsWith('.') ? { hidden: true as const } : {};
    if (isDir) entries.push({ name: d.name, path: full, kind: 'folder', ...hidden });
    else if (isFile)
      entries.push({
        name: d.name,
        path: full,
        kind: 'file',
        ...(bytes !== undefined ? { bytes } : {}),
        ...hidden,
      });
  }
  entries.sort(
    (a, b) =>
      Number(a.hidden ?? false) - Number(b.hidden ?? false) ||
      (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1),
  );
  const parent = path.dirname(resolved);
  return {
    path: resolved,
    parent: parent === resolved ? null : parent,
    entries: entries.slice(0, MAX_FS_ENTRIES),
  };
}
