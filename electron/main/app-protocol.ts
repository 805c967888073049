/**
 * The `app://` scheme that serves the built renderer (`out/renderer/`).
 *
 * Why not `file://`: every file:// page shares one opaque origin and may read any other local file the
 * process can; a custom standard scheme gives the UI its own origin (`app://renderer`), lets IPC handlers
 * check who is calling, and lets us attach a Content-Security-Policy header to every response.
 */
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
/** The one host the scheme serves. URLs look like `app://renderer/index.html`. */
export const APP_HOST = 'renderer';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * Scripts only from our own files (no inline script, no eval); inline styles are allowed because React sets
 * `style` attributes; images may be data:/blob: URLs generated in the page.
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * Must run before `app` is ready: Chromium fixes scheme privileges at startup. `standard` gives the scheme
 * real origins and relative-URL resolution; `secure` makes it a secure context like https; `supportFetchAPI`
 * lets the page `fetch()` its own assets.
 */
export function registerAppSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serve files under `rootDir` at `app://renderer/…`. Call after `app` is ready. */
export function registerAppProtocol(rootDir: string): void {
  const root = resolve(rootDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return textResponse(404, 'Not found');
    const filePath = resolveInsideRoot(root, url.pathname === '/' ? '/index.html' : url.pathname);
    if (filePath === null) return textResponse(403, 'Forbidden');
    try {
      const body = await readFile(filePath);
      return new Response(body, {
        status: 200,
        headers: {
          'Content-Type': CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream',
          'Content-Security-Policy': RENDERER_CSP,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return textResponse(404, 'Not found');
    }
  });
}

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

/**
 * The file a URL path names, or `null` when it would escape `root`. The URL parser already folds `..`
 * segments, but percent-decoding can reintroduce them (`%2e%2e%2f`), so the decoded path is resolved and
 * checked again.
 */
export function resolveInsideRoot(root: string, urlPathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const candidate = resolve(root, `.${sep}${decoded}`);
  const rel = relative(root, candidate);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return candidate;
}

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
