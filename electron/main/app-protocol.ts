/**
 * The `app://` scheme that serves the built renderer (`out/renderer/`).
 *
 * Why not `file://`: every file:// page shares one opaque origin and may read any other local file the
 * process can; a custom standard scheme gives the UI its own origin (`app://renderer`), lets IPC handlers
 * check who is calling, and lets us attach a Content-Security-Policy header to every response.
 */
import { protocol } from 'electron';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { WORKSPACE_FILES_SEGMENT } from '../../shared/workspace.js';
import type { WorkspaceStore } from '../engine/workspace/workspace-store.js';
import { answerWorkspaceFile } from '../serve/workspace-files.js';
import { APP_HOST, APP_SCHEME } from './app-url.js';
import { contentTypeFor, resolveInsideRoot } from './renderer-files.js';

export { resolveInsideRoot } from './renderer-files.js';

export { APP_ENTRY_URL, APP_HOST, APP_SCHEME, isAppUrl } from './app-url.js';

/**
 * Scripts only from our own files (no inline script, no eval) plus WebAssembly compilation, which
 * onnxruntime-web needs to benchmark in the page; workers from our files or blob: URLs (onnxruntime-web's
 * proxy worker); inline styles because React sets `style` attributes; images may be data:/blob: URLs
 * generated in the page (chart exports).
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' blob: data:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every response: the CSP, and cross-origin isolation (SharedArrayBuffer for threaded WASM). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': RENDERER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Must run before `app` is ready: Chromium fixes scheme privileges at startup. `standard` gives the scheme
 * real origins and relative-URL resolution; `secure` makes it a secure context like https (WebGPU needs
 * one); `supportFetchAPI` lets the page `fetch()` its own assets and workspace models; `stream` serves
 * large model files without buffering them whole.
 */
export function registerAppSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

/**
 * Serve files under `rootDir` at `app://renderer/…`, and workspace models at
 * `app://renderer/workspace-files/<key>/<target>`, with their external data under `.../external-data/`
 * (only models a workspace knows and the data files they name, never a path from the URL; workspace-files.ts,
 * shared with serve). Call after `app` is ready.
 */
export function registerAppProtocol(rootDir: string, store: WorkspaceStore): void {
  const root = resolve(rootDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return textResponse(404, 'Not found');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] === WORKSPACE_FILES_SEGMENT) return workspaceFile(store, segments.slice(1));
    const filePath = resolveInsideRoot(root, url.pathname === '/' ? '/index.html' : url.pathname);
    if (filePath === null) return textResponse(403, 'Forbidden');
    try {
      const body = await readFile(filePath);
      return new Response(body, {
        status: 200,
        headers: { 'Content-Type': contentTypeFor(filePath), ...SECURITY_HEADERS },
      });
    } catch {
      return textResponse(404, 'Not found');
    }
  });
}

/** A workspace model, its external data listing or one of its data files, as serve answers them (workspace-files.ts). */
async function workspaceFile(store: WorkspaceStore, segments: string[]): Promise<Response> {
  const answer = await answerWorkspaceFile(store, segments);
  if (answer.type === 'error') return textResponse(answer.status, answer.message);
  if (answer.type === 'json')
    return new Response(JSON.stringify(answer.value), {
      status: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8', ...SECURITY_HEADERS },
    });
  try {
    const info = await stat(answer.file);
    if (!info.isFile()) return textResponse(404, 'Not found');
    const body = Readable.toWeb(createReadStream(answer.file)) as ReadableStream<Uint8Array>;
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(info.size),
        ...SECURITY_HEADERS,
      },
    });
  } catch {
    return textResponse(404, 'Not found');
  }
}

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
