/**
 * Messages between the job manager's side and a task process (task-process.ts), which runs the engine's
 * file-to-file capabilities (inspect, quantize, prune, evaluate) away from the process that serves the UI.
 * Both ends are Node (a `child_process.fork` child, or an Electron utility process), so these types stay
 * here rather than in `shared/`.
 *
 * The task process answers with the engine protocol's messages (`ready`, `phase`, `event`:
 * `EngineToHostMessage` of ../host/engine-protocol.ts), sent through the engine's own `JobEmitter`, so events
 * are numbered, throttled and terminated exactly as the benchmark engine's are.
 */
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { InputValues } from '../../../shared/input-spec.js';
import type { TaskRequest as EvalTask } from '../../../shared/eval-tasks.js';
import type { DatasetRole } from '../../../shared/workspace.js';
import type { TestCrashMode } from '../host/engine-protocol.js';
import type { InputsOrigin } from '../runtime/input-specs.js';

export interface ShapeHints {
  shapes?: Record<string, number[]>;
  dims?: Record<string, number>;
  values?: Record<string, InputValues>;
  /** Where they came from, as the job spec's `inputsOrigin` says (absent: the app's input spec). */
  origin?: InputsOrigin;
}

export type TaskRequest =
  | { kind: 'inspect'; path: string }
  /** The Graph view's data of a model (inspect/model-graph.ts). */
  | { kind: 'graph'; path: string }
  /** What a variant changed against its original (diff/diff-models.ts). */
  | { kind: 'diff'; original: string; variant: string }
  | {
      kind: 'quantize';
      input: string;
      output: string;
      method: string;
      common: Record<string, unknown>;
      options: Record<string, unknown>;
      calibration?: { spec: DatasetSpecInput; baseDir: string } & ShapeHints;
      force: boolean;
    }
  | {
      kind: 'prune';
      input: string;
      output: string;
      method: string;
      common: Record<string, unknown>;
      options: Record<string, unknown>;
      force: boolean;
    }
  | ({
      kind: 'evaluate';
      model: string;
      /** What messages call the model: a variant's name (default: its file name). */
      label?: string;
      data: DatasetSpecInput;
      baseDir: string;
      reference?: string;
      task?: EvalTask;
      limit?: number;
    } & ShapeHints)
  /** Check data against a model before a job uses it (datasets/check-dataset.ts). */
  | ({ kind: 'checkDataset'; model: string; data: DatasetSpecInput; baseDir: string; role: DatasetRole; name?: string } & ShapeHints)
  /**
   * Whether onnxruntime can load a model: a session created on it and released, nothing run. Fails MODEL_INVALID
   * with onnxruntime's reason and what to do (runtime/load-failure.ts).
   */
  | { kind: 'loadCheck'; path: string }
  /** Re-save a model elsewhere (a variant with external data: the data file is rewritten under the new name). */
  | { kind: 'export'; input: string; output: string; force: boolean }
  /** Test only (refused unless the process was started with ONNX_STUDIO_ENGINE_TEST_HOOKS=1). */
  | { kind: 'testCrash'; mode: TestCrashMode }
  /** Test only: a cancellable loop that reports progress every 10 ms for `ms`. */
  | { kind: 'testSleep'; ms: number };

export type TaskKind = TaskRequest['kind'];

/**
 * The metric a `checkDataset` task reports its samples with: `values` = [samples read, samples to read (0 when
 * not known)], throttled in the task process (CHECK_PROGRESS_INTERVAL_MS), so a check of 20,000 samples sends
 * a few dozen messages, not 20,000. The backend turns it into `studio:dataset.checkProgress` events.
 */
export const CHECK_PROGRESS_METRIC = 'data-check/samples';
export const CHECK_PROGRESS_INTERVAL_MS = 100;

export type HostToTaskMessage =
  { type: 'start'; id: string; task: TaskRequest } | { type: 'cancel'; id: string };

export function isHostToTaskMessage(value: unknown): value is HostToTaskMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') return false;
  if (m.type === 'cancel') return true;
  return (
    m.type === 'start' &&
    typeof m.task === 'object' &&
    m.task !== null &&
    typeof (m.task as { kind?: unknown }).kind === 'string'
  );
}
