/**
 * Messages between the page and the browser-benchmark worker (web-bench.worker.ts). The benchmark runs in a
 * dedicated worker so that onnxruntime-web's WebAssembly compile, session creation and every timed run
 * stay off the page's thread: in the page they made 600–1,000 ms main-thread tasks on a 2-core machine.
 */
import type { InputSpec } from '../../../shared/input-spec.js';
import type { WebBenchModel, WebBenchReport, WebProvider } from './ort-web-bench.js';

export interface StartWebBench {
  type: 'start';
  /** The page's base URL: onnxruntime-web is loaded from `ort/` under it. */
  baseUrl: string;
  models: WebBenchModel[];
  provider: WebProvider;
  warmup: number;
  iterations: number;
  checkAgainstWasm: boolean;
  /** The model's input spec (shapes, integer values); without it open dims are 1. */
  inputs?: InputSpec;
}

export type WebBenchWorkerMessage =
  | { type: 'progress'; fraction: number; stage: string }
  | { type: 'samples'; index: number; values: number[] }
  | { type: 'done'; report: WebBenchReport }
  | { type: 'failed'; message: string };
