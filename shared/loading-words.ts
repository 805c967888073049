import { formatBytes } from './format-bytes.js';

/*
 * How a stage that reports no fraction is said: a runtime loading a model (onnxruntime-node's session creation in
 * the engine, onnxruntime-web's in the browser benchmark), with how much it loads, and, ticked by whoever shows
 * it, how long it has taken so far: `loading int4.onnx (1.07 GiB with its data) into onnxruntime · 23 s`.
 */

const LOADING_PREFIX = 'loading ';

/** `loading NAME (SIZE[ with its data]) into RUNTIME`. */
export function loadingWords(name: string, bytes: number, withData: boolean, runtime: string): string {
  return `${LOADING_PREFIX}${name} (${formatBytes(bytes)}${withData ? ' with its data' : ''}) into ${runtime}`;
}

/** Whether a stage is loadingWords' for `runtime`. */
export function saysLoading(stage: string, runtime: string): boolean {
  return stage.startsWith(LOADING_PREFIX) && stage.endsWith(` into ${runtime}`);
}

/** The stage with the seconds it has lasted: `... into onnxruntime · 23 s`. */
export function withElapsed(stage: string, seconds: number): string {
  return `${stage} · ${Math.floor(seconds)} s`;
}

/**
 * Calls `say` with the seconds since now (0 at once), then every `everyMs`, until the returned stop is called: the
 * one ticker of a stage that reports no fraction, in the engine's hosts and in the page. It never keeps a Node
 * process alive.
 */
export function tickSeconds(say: (seconds: number) => void, everyMs = 1000): () => void {
  const started = performance.now();
  say(0);
  const timer = setInterval(() => say((performance.now() - started) / 1000), everyMs);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
