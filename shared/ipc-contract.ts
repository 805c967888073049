/**
 * The IPC contract between the renderer and the Electron main process, declared once and typed at both
 * ends: `electron/main/ipc.ts` registers exactly these handlers, `electron/preload/preload.cts` exposes
 * exactly `StudioApi`, and the renderer talks to it through its `StudioHost`.
 *
 * Rules every method follows:
 * - Requests are validated in main with the zod schema below before anything else sees them.
 * - Every response is a `Result<T>`: errors are values, never thrown across IPC (Electron keeps only the
 *   message of a thrown error, and a rejected promise in the renderer is easy to forget).
 * - Request schemas use no defaults or transforms, so a request's input type equals its parsed type and
 *   the preload can send exactly the type main receives.
 *
 * The renderer should import this file with `import type` only: the schemas pull in zod, which the UI
 * bundle does not need.
 */
import { z } from 'zod';
import type { Result, StudioErrorInfo } from './errors.js';
import type { ModelSummary } from './model-summary.js';

// ---------------------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------------------

/**
 * Every channel name, namespaced `studio:<area>.<verb>` so they cannot collide with a library's channels.
 * The sandboxed preload cannot load this file at runtime, so it keeps a copy typed as `typeof IPC_CHANNELS`:
 * a typo or a renamed channel fails to compile there.
 */
export const IPC_CHANNELS = {
  /** Request/response: read a model and summarize it. */
  modelInspect: 'studio:model.inspect',
  /** Request/response: show the native Open dialog for a model. */
  modelOpenDialog: 'studio:model.openDialog',
  /** Request/response: start a long-running job; its progress arrives as `jobEvent`s. */
  jobStart: 'studio:job.start',
  /** Request/response: ask a running job to stop. */
  jobCancel: 'studio:job.cancel',
  /** Event, main → renderer: one `JobEvent`. */
  jobEvent: 'studio:job.event',
  /** Event, main → renderer: the user chose a menu command the renderer carries out (e.g. File > Open…). */
  menuCommand: 'studio:menu.command',
} as const;

// ---------------------------------------------------------------------------------------------------------
// Request schemas (validated in main before any handler runs)
// ---------------------------------------------------------------------------------------------------------

/**
 * A file path from the renderer. Absolute (POSIX `/…`, Windows `C:\…` or UNC `\\…`) because a relative path
 * would silently resolve against the main process's working directory; NUL bytes are refused because the
 * OS would truncate the path at them.
 */
export const absolutePathSchema = z
  .string()
  .min(1, 'The path is empty.')
  .max(4096, 'The path is longer than 4096 characters.')
  .refine((p) => !p.includes('\0'), 'The path contains a NUL character.')
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p), 'The path must be absolute.');

export const inspectModelRequestSchema = z.strictObject({
  /** Absolute path of the `.onnx` file. The file is only read, never written. */
  path: absolutePathSchema,
});

export const openModelDialogRequestSchema = z.strictObject({});

/** The kinds of job the engine runs; each kind's options are validated by the engine's method registry. */
export const JOB_KINDS = ['quantize', 'prune', 'bench', 'evaluate'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const jobSpecSchema = z.strictObject({
  kind: z.enum(JOB_KINDS),
  /** Absolute path of the model the job reads. Originals are never written; outputs go elsewhere. */
  modelPath: absolutePathSchema,
  /**
   * Method options. Only their shape (a plain object) is checked here; the engine validates them against the
   * option schema its registry holds for `kind`, so the GUI, CLI and recipes share one definition.
   */
  options: z.record(z.string(), z.unknown()),
});

export const cancelJobRequestSchema = z.strictObject({
  jobId: z.string().min(1).max(200),
});

export type InspectModelRequest = z.infer<typeof inspectModelRequestSchema>;
export type OpenModelDialogRequest = z.infer<typeof openModelDialogRequestSchema>;
export type JobSpec = z.infer<typeof jobSpecSchema>;
export type CancelJobRequest = z.infer<typeof cancelJobRequestSchema>;

// ---------------------------------------------------------------------------------------------------------
// Request/response methods
// ---------------------------------------------------------------------------------------------------------

/** Method channel → request type → response value type. Every response travels as `Result<response>`. */
export interface IpcMethods {
  [IPC_CHANNELS.modelInspect]: { request: InspectModelRequest; response: ModelSummary };
  /** `null` when the user closed the dialog without choosing a file. */
  [IPC_CHANNELS.modelOpenDialog]: { request: OpenModelDialogRequest; response: string | null };
  [IPC_CHANNELS.jobStart]: { request: JobSpec; response: { jobId: string } };
  /** `cancelled` is false when the job had already finished (or never existed); that is not an error. */
  [IPC_CHANNELS.jobCancel]: { request: CancelJobRequest; response: { cancelled: boolean } };
}

export type IpcMethodChannel = keyof IpcMethods;
export type IpcRequest<C extends IpcMethodChannel> = IpcMethods[C]['request'];
export type IpcResponse<C extends IpcMethodChannel> = Result<IpcMethods[C]['response']>;

/** The schema main parses each method's payload with; the mapped type keeps it in step with `IpcMethods`. */
export const IPC_REQUEST_SCHEMAS: { [C in IpcMethodChannel]: z.ZodType<IpcRequest<C>> } = {
  [IPC_CHANNELS.modelInspect]: inspectModelRequestSchema,
  [IPC_CHANNELS.modelOpenDialog]: openModelDialogRequestSchema,
  [IPC_CHANNELS.jobStart]: jobSpecSchema,
  [IPC_CHANNELS.jobCancel]: cancelJobRequestSchema,
};

// ---------------------------------------------------------------------------------------------------------
// Events (main → renderer)
// ---------------------------------------------------------------------------------------------------------

/** Menu commands main forwards to the renderer, which owns the flow (e.g. open → inspect → show). */
export type MenuCommand = 'open-model';

interface JobEventBase {
  /** The id `studio:job.start` returned. */
  jobId: string;
  /** Per-job sequence number: 0 for the first event, +1 for each next one, so gaps and reordering show. */
  seq: number;
  /** When the engine emitted the event, in ms since the Unix epoch. */
  timeMs: number;
}

/** Throttled to about 10 Hz per job, so a fast loop cannot flood the renderer. */
export interface JobProgressEvent extends JobEventBase {
  type: 'progress';
  /** Completed fraction of the whole job, 0 to 1. */
  fraction: number;
  /** Short human-readable stage, e.g. `calibrating` or `warming up`. */
  stage: string;
}

export interface JobLogEvent extends JobEventBase {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Measurements for charts. Samples are batched: a 10,000-run benchmark sends a few events, not 10,000. */
export interface JobMetricEvent extends JobEventBase {
  type: 'metric';
  /** Metric name, e.g. `latency` or `top1`. */
  name: string;
  /** Unit of `values`, e.g. `ms`, `bytes`, `ratio` (0 to 1) or `count`. */
  unit: string;
  /** One or more samples, in the order they were measured. */
  values: number[];
}

/** Terminal: the job finished; `result`'s type depends on the job kind. */
export interface JobResultEvent<R = unknown> extends JobEventBase {
  type: 'result';
  result: R;
}

/** Terminal: the job failed; `error.message` says what was wrong and what to do. */
export interface JobFailedEvent extends JobEventBase {
  type: 'failed';
  error: StudioErrorInfo;
}

/** Terminal: the job stopped because `studio:job.cancel` asked it to. */
export interface JobCancelledEvent extends JobEventBase {
  type: 'cancelled';
}

/** Every job emits any number of progress/log/metric events, then exactly one terminal event. */
export type JobEvent<R = unknown> =
  JobProgressEvent | JobLogEvent | JobMetricEvent | JobResultEvent<R> | JobFailedEvent | JobCancelledEvent;

export type JobEventType = JobEvent['type'];
export type TerminalJobEvent<R = unknown> = JobResultEvent<R> | JobFailedEvent | JobCancelledEvent;

export function isTerminalJobEvent<R>(event: JobEvent<R>): event is TerminalJobEvent<R> {
  return event.type === 'result' || event.type === 'failed' || event.type === 'cancelled';
}

/** Event channel → payload. */
export interface IpcEvents {
  [IPC_CHANNELS.jobEvent]: JobEvent;
  [IPC_CHANNELS.menuCommand]: MenuCommand;
}

export type IpcEventChannel = keyof IpcEvents;

// ---------------------------------------------------------------------------------------------------------
// The preload API (`window.studio`)
// ---------------------------------------------------------------------------------------------------------

/** Stops a subscription. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A file the user dropped or picked in the page. Typed structurally (a DOM `File` fits) so `shared/` needs
 * no DOM types.
 */
export interface DroppedFile {
  readonly name: string;
  readonly size: number;
}

/**
 * What the preload exposes as `window.studio`: a narrow, typed surface. The renderer never sees
 * `ipcRenderer` itself, so a compromised page can call these methods and nothing else. No method rejects;
 * failures come back as `{ ok: false, error }`.
 */
export interface StudioApi {
  /** Summarize the model at an absolute path. */
  inspectModel(path: string): Promise<Result<ModelSummary>>;
  /** Show the native Open dialog; the value is the chosen path, or `null` if the user cancelled. */
  openModelDialog(): Promise<Result<string | null>>;
  startJob(spec: JobSpec): Promise<Result<{ jobId: string }>>;
  cancelJob(jobId: string): Promise<Result<{ cancelled: boolean }>>;
  /**
   * The absolute path of a dropped file (Electron's `webUtils.getPathForFile`, since sandboxed pages no
   * longer see `File.path`). Empty string when the file has no path on disk, e.g. one built in the page.
   */
  getPathForFile(file: DroppedFile): string;
  /** Subscribe to every job's events; filter by `jobId`. */
  onJobEvent(listener: (event: JobEvent) => void): Unsubscribe;
  onMenuCommand(listener: (command: MenuCommand) => void): Unsubscribe;
}
