/**
 * What the file browser lists of a folder: the entries it offers (folders, and files of the kinds asked for),
 * hidden ones (dot files) only when asked, and how many it hides, so that a folder holding nothing else (a home
 * folder) says what is there instead of reading as empty. Pure, so it is tested without a page.
 */
import type { FsEntry } from '../../../shared/ipc-contract.js';

export interface HiddenCount {
  folders: number;
  files: number;
}

export interface ShownEntries {
  shown: FsEntry[];
  /** The hidden entries among those offered, shown or not. */
  hidden: HiddenCount;
  /** Whether the folder offers anything besides hidden entries. */
  anyVisible: boolean;
}

/**
 * The entries to list: folders always; files matching `extensions` (all files without, or when saving, where
 * a file is picked to name the new one); hidden entries only with `showHidden`.
 */
export function shownEntries(
  entries: readonly FsEntry[],
  options: { extensions?: readonly string[]; allFiles?: boolean; showHidden: boolean },
): ShownEntries {
  const offered = entries.filter(
    (e) =>
      e.kind === 'folder' ||
      options.allFiles === true ||
      !options.extensions ||
      options.extensions.some((x) => e.name.toLowerCase().endsWith(`.${x.toLowerCase()}`)),
  );
  const hiddenOnes = offered.filter((e) => e.hidden);
  return {
    shown: options.showHidden ? offered : offered.filter((e) => !e.hidden),
    hidden: {
      folders: hiddenOnes.filter((e) => e.kind === 'folder').length,
      files: hiddenOnes.filter((e) => e.kind === 'file').length,
    },
    anyVisible: offered.length > hiddenOnes.length,
  };
}

const plural = (n: number, word: string) => `${n} hidden ${word}${n === 1 ? '' : 's'}`;

/** "3 hidden folders", "1 hidden folder and 2 hidden files"; empty when there are none. */
export function describeHidden({ folders, files }: HiddenCount): string {
  return [folders > 0 ? plural(folders, 'folder') : '', files > 0 ? plural(files, 'file') : '']
    .filter(Boolean)
    .join(' and ');
}

/** The line of a folder with nothing to list but hidden entries (not shown), or nothing at all. */
export function emptyFolderMessage(extensions: readonly string[] | undefined, hidden: HiddenCount): string {
  const kinds = extensions ? `${extensions.map((x) => `.${x}`).join(', ')} files or ` : '';
  return `No ${kinds}folders here${hidden.folders + hidden.files > 0 ? ' besides hidden ones' : ''}.`;
}

/** The line under the list while a folder has hidden entries: how many, and whether they are listed. */
export function hiddenNote(hidden: HiddenCount, showHidden: boolean): string {
  const what = describeHidden(hidden);
  return showHidden ? `Showing ${what}.` : `${what} (names starting with “.”) not shown.`;
}
