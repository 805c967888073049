/**
 * Folders the user chose files in lately, newest first, kept in the page's localStorage so the file browser
 * can offer them next time, with the folders of the models the host remembers as recently opened (opened by
 * drop, the start screen or a native dialog too). Pure list logic (tested) plus a tiny storage wrapper that
 * tolerates a page without storage.
 */
const KEY = 'onnx-studio.recent-folders';
export const MAX_RECENT_FOLDERS = 6;

/** `folder` first, without duplicates, at most MAX_RECENT_FOLDERS. */
export function withRecentFolder(list: readonly string[], folder: string): string[] {
  return [folder, ...list.filter((f) => f !== folder)].slice(0, MAX_RECENT_FOLDERS);
}

/** The folders to offer: those chosen in the browser first, then those of recent models; once each. */
export function recentFolderChoices(chosen: readonly string[], modelFolders: readonly string[]): string[] {
  return [...new Set([...chosen, ...modelFolders])].slice(0, MAX_RECENT_FOLDERS);
}

/**
 * The folders the file browser tries to open, first to last (one may since be gone): `start` (where the
 * field that opened it points), else beside the open model, else the folder used last, the first of the
 * recent folders (chosen in the browser, or of the model opened last, which the host keeps whatever opened
 * it); the home folder last.
 */
export function browserStartFolders(places: {
  start?: string | undefined;
  modelFolder?: string | undefined;
  recent: readonly string[];
  home: string;
}): string[] {
  const beside = places.modelFolder ?? places.recent[0] ?? places.home;
  return [...new Set([places.start ?? beside, beside, places.home])];
}

/** A folder as a button names it: under the home folder with `~`, as a shell does, to keep it short. */
export function displayFolder(folder: string, home: string | undefined): string {
  // A home of `/` (a container, the mock host) would turn every path into `~/…`: no shorter, and misleading.
  if (!home || home === '/') return folder;
  if (folder === home) return '~';
  const sep = home.includes('\\') && !home.includes('/') ? '\\' : '/';
  const base = home.endsWith(sep) ? home : `${home}${sep}`;
  return folder.startsWith(base) ? `~${sep}${folder.slice(base.length)}` : folder;
}

export function loadRecentFolders(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter((f): f is string => typeof f === 'string').slice(0, MAX_RECENT_FOLDERS)
      : [];
  } catch {
    return [];
  }
}

export function rememberFolder(folder: string): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(withRecentFolder(loadRecentFolders(), folder)));
  } catch {
    // No storage (private mode, a locked-down page): the browser simply offers no recent folders.
  }
}
