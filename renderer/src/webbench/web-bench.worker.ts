/**
 * The browser benchmark's worker: runs `runWebBench` on the models the page sends and reports progress,
 * latency samples and the result as messages. One worker per benchmark; the page cancels by terminating
 * it, which also frees the WebAssembly memory and GPU buffers at once.
 */
import { runWebBench } from './ort-web-bench.js';
import { setOrtBaseUrl } from './ort-loader.js';
import type { StartWebBench, WebBenchWorkerMessage } from './web-bench-messages.js';

// The page is typed with the DOM library; this is the part of a dedicated worker's scope used here.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<StartWebBench>) => void) | null;
  postMessage(message: WebBenchWorkerMessage): void;
};

scope.onmessage = (event) => {
  const start = event.data;
  if (start.type !== 'start') return;
  setOrtBaseUrl(start.baseUrl);
  const post = (message: WebBenchWorkerMessage) => scope.postMessage(message);
  runWebBench(start.models, {
    provider: start.provider,
    warmup: start.warmup,
    iterations: start.iterations,
    checkAgainstWasm: start.checkAgainstWasm,
    ...(start.inputs ? { inputs: start.inputs } : {}),
    onProgress: (fraction, stage) => post({ type: 'progress', fraction, stage }),
    onSamples: (index, values) => post({ type: 'samples', index, values }),
  }).then(
    (report) => post({ type: 'done', report }),
    (error: unknown) =>
      post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
};
