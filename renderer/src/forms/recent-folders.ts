/**
 * Folders the user chose files in lately, newest first, kept in the page's localStorage so the file browser
 * can offer them next time. Pure list logic (tested) plus a tiny storage wrapper that tolerates a page
 * without storage.
 */
const KEY = 'onnx-studio.recent-folders';
export const MAX_RECENT_FOLDERS = 6;

/** `folder` first, without duplicates, at most MAX_RECENT_FOLDERS. */
export function withRecentFolder(list: readonly string[], folder: string): string[] {
  return [folder, ...list.filter((f) => f !== folder)].slice(0, MAX_RECENT_FOLDERS);
}

export function loadRecentFolders(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string').slice(0, MAX_RECENT_FOLDERS) : [];
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
