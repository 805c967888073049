/**
 * The loading phase of a benchmark or an evaluation: onnxruntime's session creation reports no fraction, and on
 * a 1 GB model it takes 40 s or more (a user test: "0% · starting" for 40 s, "0% · loading" for 45 s). What it
 * can say is what it is doing and how big that is, `loading model.onnx (1.07 GiB with its data) into
 * onnxruntime`, and for how long: ` · 23 s`, ticked every second (StageTicker).
 * onnxruntime-node creates a session synchronously (1.30: the native load blocks the event loop for its whole
 * 11 s on the 1 GB fixture), so no timer can tick in the process that loads. The seconds are added where the
 * event loop is free, by whoever shows the stage: the CLI of `bench` (the engine host loads), the app's job
 * (the task or engine process loads). The loading process sends the stage once per model.
 */
import path from 'node:path';
import { loadingWords, saysLoading, tickSeconds, withElapsed } from '../../../shared/loading-words.js';

/** How often the elapsed seconds are said again. */
export const LOADING_TICK_MS = 1000;

/** A model as loadModel measured it: the .onnx file and the external data beside it. */
export interface LoadingModel {
  path: string;
  fileBytes: number;
  externalDataBytes: number;
}

const RUNTIME = 'onnxruntime';

/** Whether a progress stage is loadingStage's (its fraction then means nothing: the CLI shows no bar). */
export function isLoadingStage(stage: string): boolean {
  return saysLoading(stage, RUNTIME);
}

/** `loading model.onnx (1.07 GiB with its data) into onnxruntime`; `label` names a variant. */
export function loadingStage(model: LoadingModel, label?: string): string {
  const name = label ?? path.basename(model.path);
  return loadingWords(name, model.fileBytes + model.externalDataBytes, model.externalDataBytes > 0, RUNTIME);
}

export { withElapsed };

/** One turn of the event loop: IPC messages get written, signal handlers (Ctrl+C) run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Says the loading stage, then runs `create` (a session creation). The creation blocks the event loop and cannot
 * be interrupted, so a Cancel is checked (`checkCancelled` throws) on each side of it, after a turn of the loop
 * that lets the stage go out and a Ctrl+C asked during the load be heard: a Cancel then returns as soon as the
 * creation does, with what it made released.
 */
export async function whileLoading<T>(
  model: LoadingModel,
  report: (stage: string) => void,
  create: () => Promise<T>,
  options: { label?: string; checkCancelled?: () => void; release?: (made: T) => Promise<void> } = {},
): Promise<T> {
  report(loadingStage(model, options.label));
  await turn();
  options.checkCancelled?.();
  const made = await create();
  await turn();
  try {
    options.checkCancelled?.();
  } catch (error) {
    await options.release?.(made);
    throw error;
  }
  return made;
}

/**
 * Shows stages as they come, and a loading stage (isLoadingStage) with the seconds it has lasted, again every
 * LOADING_TICK_MS until the next stage or stop(): for a host whose event loop is free while another process
 * (or nothing, in the loading process itself) loads.
 */
export class StageTicker {
  private stopTicking: (() => void) | undefined;

  constructor(private readonly show: (text: string) => void) {}

  set(stage: string): void {
    this.stop();
    if (!isLoadingStage(stage)) {
      this.show(stage);
      return;
    }
    this.stopTicking = tickSeconds((seconds) => this.show(withElapsed(stage, seconds)), LOADING_TICK_MS);
  }

  stop(): void {
    this.stopTicking?.();
    this.stopTicking = undefined;
  }
}
