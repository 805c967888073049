/**
 * Serves the built renderer (out/renderer) on 127.0.0.1 for tests with the mock host, with the headers the
 * desktop app's app:// protocol sends (CSP, cross-origin isolation), so a build that breaks under them fails
 * here too. `workspace-files/<key>/<target>` answers with the digits sample model, so browser benchmarks
 * (onnxruntime-web) have a real model to run, and its `external-data` listing with none.
 */
import { test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, relative, resolve, sep } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const RENDERER_DIR = resolve(REPO_ROOT, 'out/renderer');
export const DIGITS_DIR = resolve(REPO_ROOT, 'electron/engine/testing/fixtures/digits');

/** Keep in step with RENDERER_CSP in electron/main/app-protocol.ts (not imported: that file loads electron). */
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

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

export interface StaticRenderer {
  origin: string;
  close(): Promise<void>;
}

export async function startStaticRenderer(): Promise<StaticRenderer> {
  if (!existsSync(resolve(RENDERER_DIR, 'index.html'))) {
    throw new Error(
      `No built renderer in ${RENDERER_DIR}. Run: npx vite build --config renderer/vite.config.ts`,
    );
  }
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (/^\/workspace-files\/[^/]+\/[^/]+\/external-data$/.test(pathname)) {
      // The digits sample keeps its weights in the .onnx file: no external data files.
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end('{"files":[]}');
      return;
    }
    const file = pathname.startsWith('/workspace-files/')
      ? resolve(DIGITS_DIR, 'digits.onnx')
      : resolve(RENDERER_DIR, `.${sep}${pathname === '/' ? 'index.html' : pathname}`);
    if (!file.startsWith(DIGITS_DIR) && relative(RENDERER_DIR, file).startsWith('..')) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': RENDERER_CSP,
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
          'Cross-Origin-Resource-Policy': 'same-origin',
        });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Serves the built renderer for the calling spec file (started before its tests, closed after): its origin. */
export function useStaticRenderer(): { readonly origin: string } {
  let server: StaticRenderer | undefined;
  test.beforeAll(async () => {
    server = await startStaticRenderer();
  });
  test.afterAll(async () => {
    await server?.close();
  });
  return {
    get origin() {
      if (!server) throw new Error('The static renderer is not started (use it inside a test).');
      return server.origin;
    },
  };
}
