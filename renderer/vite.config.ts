// Builds the renderer for the `app://` scheme: `base: './'` makes asset URLs relative, so the same build
// works from `app://renderer/`, from `onnx-studio serve` (under its token prefix), from the e2e test server,
// and from any folder.
import react from '@vitejs/plugin-react';
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * onnxruntime-web, copied into the build as released (`out/renderer/ort/`) and loaded by the page on first
 * use (renderer/src/webbench/ort-loader.ts), never from a CDN: the app works offline and under a
 * `default-src 'self'` CSP (plus 'wasm-unsafe-eval' to compile WebAssembly).
 *
 * Why copied rather than bundled: with threads (cross-origin isolated pages), onnxruntime-web starts Web
 * Workers from its own module URL. Bundled, that module is a chunk importing the app's entry chunk, so each
 * worker would boot the whole UI and fail on `document`. The released `ort.bundle.min.mjs` is
 * self-contained and finds its .wasm next to itself. The JSEP .wasm carries both the `wasm` and `webgpu`
 * execution providers.
 */
const ORT_FILES = ['ort.bundle.min.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];
// The package exports each .wasm by name (not its package.json), so resolve one of those.
const ORT_DIST = dirname(
  createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'),
);
const CONTENT_TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

function onnxruntimeWebFiles(): Plugin {
  return {
    name: 'onnx-studio:onnxruntime-web',
    // Dev server: answer …/ort/<file> from node_modules.
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = /\/ort\/([\w.-]+)$/.exec(req.url?.split('?')[0] ?? '')?.[1];
        if (!name || !ORT_FILES.includes(name)) return next();
        res.setHeader(
          'Content-Type',
          CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
        );
        createReadStream(join(ORT_DIST, name)).pipe(res);
      });
    },
    // Build: copy them into out/renderer/ort/.
    generateBundle() {
      for (const name of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(join(ORT_DIST, name)) });
      }
    },
  };
}

/**
 * Stamps each build with the time it started: the page gets it as `__RENDERER_BUILD__` and the build writes
 * it to `build.json` beside the page, which `onnx-studio serve` reads when it starts (RENDERER_BUILD_FILE in
 * shared/ws-protocol.ts). A page and a server whose stamps differ come from different builds (ONNX Studio was
 * rebuilt or updated while serve ran), so the page says which of the two to restart instead of failing on
 * requests the other side no longer reads.
 */
function buildStamp(): Plugin {
  const stamp = new Date().toISOString();
  return {
    name: 'onnx-studio:build-stamp',
    config: () => ({ define: { __RENDERER_BUILD__: JSON.stringify(stamp) } }),
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'build.json',
        source: `${JSON.stringify({ build: stamp })}\n`,
      });
    },
  };
}

export default defineConfig({
  // Absolute, so the config works whatever directory `vite` is started from.
  root: import.meta.dirname,
  base: './',
  plugins: [react(), onnxruntimeWebFiles(), buildStamp()],
  // The browser benchmark's worker is an ES module (it imports onnxruntime-web at run time).
  worker: { format: 'es' },
  build: {
    outDir: '../out/renderer',
    // The output folder is outside `root`, where Vite will not empty it unless asked.
    emptyOutDir: true,
    sourcemap: true,
    // React and the app shell make the startup chunk; recharts comes with the chart views (App.tsx loads
    // them lazily) and onnxruntime-web on demand from ort/.
    chunkSizeWarningLimit: 900,
  },
  server: { host: '127.0.0.1', strictPort: true },
});
