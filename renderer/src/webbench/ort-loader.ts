/**
 * Loads onnxruntime-web on first use: the released, self-contained `ort.bundle.min.mjs` that the build copies
 * to `ort/` beside the page (see renderer/vite.config.ts), which fetches its .wasm from the same folder.
 * WASM runs multi-threaded where the page is cross-origin isolated (threads need SharedArrayBuffer; both
 * app:// and `serve` send the headers), else on one thread.
 */
import type * as Ort from 'onnxruntime-web';

/** Threads for WASM inference: up to 4 where SharedArrayBuffer exists, else 1. */
export function wasmThreads(): number {
  return globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
}

/** Where the build puts onnxruntime-web, relative to the page. */
export const ORT_MODULE_PATH = 'ort/ort.bundle.min.mjs';

let ortPromise: Promise<typeof Ort> | undefined;
/** The page's base URL; a worker has no document and is told it (web-bench.worker.ts). */
let baseUrl: string | undefined;

export function setOrtBaseUrl(url: string): void {
  baseUrl = url;
}

export function loadOrt(): Promise<typeof Ort> {
  ortPromise ??= (
    import(/* @vite-ignore */ new URL(ORT_MODULE_PATH, baseUrl ?? document.baseURI).href) as Promise<
      typeof Ort
    >
  ).then(
    (ort) => {
      ort.env.wasm.numThreads = wasmThreads();
      ort.env.logLevel = 'error';
      return ort;
    },
    (error: unknown) => {
      ortPromise = undefined;
      throw new Error(
        `onnxruntime-web could not be loaded from ${ORT_MODULE_PATH} (${error instanceof Error ? error.message : String(error)}). The app's files are incomplete: rebuild the renderer (npm run build:renderer).`,
      );
    },
  );
  return ortPromise;
}
