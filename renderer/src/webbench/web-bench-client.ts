/**
 * Runs the browser benchmark in a dedicated worker (web-bench.worker.ts) with the same options and result
 * as `runWebBench`, so the page's thread only receives messages while onnxruntime-web works.
 *
 * The models' bytes are moved to the worker, not copied (a copy of a large model would itself block the
 * page): their buffers are empty once this is called.
 */
import {
  WebBenchCancelled,
  type WebBenchModel,
  type WebBenchOptions,
  type WebBenchReport,
} from './ort-web-bench.js';
import type { StartWebBench, WebBenchWorkerMessage } from './web-bench-messages.js';

export function runWebBenchInWorker(
  models: readonly WebBenchModel[],
  options: WebBenchOptions,
): Promise<WebBenchReport> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new WebBenchCancelled());
      return;
    }
    const worker = new Worker(new URL('./web-bench.worker.ts', import.meta.url), {
      type: 'module',
      name: 'onnxruntime-web benchmark',
    });
    const finish = () => {
      worker.terminate();
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(new WebBenchCancelled());
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<WebBenchWorkerMessage>) => {
      const message = event.data;
      if (message.type === 'progress') options.onProgress?.(message.fraction, message.stage);
      else if (message.type === 'samples') options.onSamples?.(message.index, message.values);
      else if (message.type === 'done') {
        finish();
        resolve(message.report);
      } else {
        finish();
        reject(new Error(message.message));
      }
    };
    worker.onerror = (event) => {
      finish();
      reject(
        new Error(
          `The benchmark worker could not start (${event.message || 'no message'}). Reload the page; if it persists, rebuild the renderer (npm run build:renderer).`,
        ),
      );
    };
    const start: StartWebBench = {
      type: 'start',
      baseUrl: document.baseURI,
      // External data goes as URLs: onnxruntime-web fetches the files in the worker.
      models: models.map((m) => ({
        name: m.name,
        bytes: m.bytes,
        ...(m.externalData ? { externalData: m.externalData } : {}),
      })),
      provider: options.provider,
      warmup: options.warmup,
      iterations: options.iterations,
      checkAgainstWasm: options.checkAgainstWasm ?? false,
      ...(options.inputs ? { inputs: options.inputs } : {}),
    };
    worker.postMessage(
      start,
      start.models.map((m) => m.bytes.buffer as ArrayBuffer),
    );
  });
}
