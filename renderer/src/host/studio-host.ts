/**
 * Everything the views need from the outside world. Views receive a `StudioHost` and never touch
 * `window.studio` (or a socket) directly, so the same views run in Electron, against `onnx-studio serve`,
 * and in tests with a mock.
 */
import type { Result } from '../../../shared/errors.js';
import type { JobEvent, JobSpec, MenuCommand, Unsubscribe } from '../../../shared/ipc-contract.js';
import type { ModelSummary } from '../../../shared/model-summary.js';

export interface StudioHost {
  /** Which implementation is running; useful in diagnostics, not for branching in views. */
  readonly kind: 'electron' | 'mock';
  /** Summarize the model at an absolute path. Never rejects; failures are `{ ok: false }`. */
  inspectModel(path: string): Promise<Result<ModelSummary>>;
  /** Let the user pick a model; the value is its path, or `null` if they cancelled. */
  openModelDialog(): Promise<Result<string | null>>;
  startJob(spec: JobSpec): Promise<Result<{ jobId: string }>>;
  cancelJob(jobId: string): Promise<Result<{ cancelled: boolean }>>;
  /** Where a dropped file lives on disk, or `null` when it has no path (e.g. dragged out of a browser). */
  getPathForFile(file: File): string | null;
  onJobEvent(listener: (event: JobEvent) => void): Unsubscribe;
  onMenuCommand(listener: (command: MenuCommand) => void): Unsubscribe;
}
