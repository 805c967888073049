/**
 * The renderer's `app://` URLs, without any Electron import, so the IPC handlers (ipc.ts) that check who is
 * calling load under plain Node too (their tests run without the Electron binary). app-protocol.ts serves
 * the scheme and re-exports these.
 */
export const APP_SCHEME = 'app';
/** The one host the scheme serves. URLs look like `app://renderer/index.html`. */
export const APP_HOST = 'renderer';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** True when `url` is a page of our renderer; IPC handlers only answer frames showing such a page. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    // Compare scheme and host rather than `origin`: WHATWG URL reports `null` as the origin of custom schemes.
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}
