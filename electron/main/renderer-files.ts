/**
 * Serving the built renderer's files safely, shared by the `app://` protocol (app-protocol.ts) and
 * `onnx-studio serve`. No Electron imports here, so the serve host runs under plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
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
  '.onnx': 'application/octet-stream',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a URL path names, or `null` when it would escape `root`. The URL parser already folds `..`
 * segments, but percent-decoding can reintroduce them (`%2e%2e%2f`), so the decoded path is resolved and
 * checked again. Backslashes are refused outright (a Windows path separator in a URL is never legitimate).
 */
export function resolveInsideRoot(root: string, urlPathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const candidate = path.resolve(root, `.${path.sep}${decoded}`);
  const rel = path.relative(root, candidate);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  return candidate;
}

/**
 * The built renderer (`out/renderer`, made by `npm run build:renderer`): beside the compiled main process,
 * in a packaged app's resources, or found by walking up from this module to the repository's `out/`.
 */
export function findRendererDir(): string | undefined {
  const candidates: string[] = [];
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources)
    candidates.push(
      path.join(resources, 'app.asar', 'out', 'renderer'),
      path.join(resources, 'app', 'out', 'renderer'),
    );
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    candidates.push(path.join(dir, 'out', 'renderer'));
    if (path.basename(dir) === 'out') candidates.push(path.join(dir, 'renderer'));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return candidates.find(
    (c) => fs.existsSync(path.join(c, 'index.html')) && fs.existsSync(path.join(c, 'assets')),
  );
}
