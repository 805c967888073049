/**
 * The message protocol between the main side (the CLI, Electron's main process, `serve`) and the engine
 * process that runs inference. Declared once here and typed at both ends; `electron/engine/host/` implements
 * both ends for Node (`child_process.fork`), and the Electron launcher (`utilityProcess.fork`) sends exactly the
 * same messages.
 *
 * The conversation:
 * - The engine says `ready` once it listens.
 * - The main side sends `start` with a fresh request id; the engine answers with job events keyed by that id
 *   (`event.jobId === id`): any number of `progress`/`log`/`metric` events, then exactly one terminal event
 *   (`result`, `failed` or `cancelled`). The events are the app's `JobEvent`s, so the job manager can forward
 *   them to the renderer unchanged.
 * - The engine also sends `phase` messages, unthrottled, whenever a job moves on (e.g. from `creating session`
 *   to `measuring`). They are not for display: if the engine process dies, the main side uses the last phase
 *   to say which model and which phase the crash happened in.
 * - `cancel` asks a job to stop; the engine stops it at the next iteration. A native call that never returns
 *   cannot see the request, so the main side kills the process after a grace period.
 *
 * Every message is plain JSON data (no typed arrays, no bigint) so it crosses `process.send`, Electron's
 * structured clone and a WebSocket alike. Messages are checked with the type guards at the bottom before use.
 *
 * Only the main side's engine code and the engine process use this file. What they carry that the app and
 * the page also need (bench params and reports, execution providers) is domain, in shared/bench.ts.
 */
import { isRecord } from '../../../shared/is-record.js';
import type { BenchParams, BenchReport, ProviderStatus } from '../../../shared/bench.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { JobEvent } from '../../../shared/ipc-contract.js';

// ---------------------------------------------------------------------------------------------------------
// Engine state and test hooks
// ---------------------------------------------------------------------------------------------------------

export interface EngineStats {
  pid: number;
  /** Resident memory now (bytes). */
  rssBytes: number;
  heapUsedBytes: number;
  uptimeMs: number;
}

/** Test-only ways to misbehave, to prove crash recovery and kill-on-cancel. Refused unless the engine was
 * started with `ONNX_STUDIO_ENGINE_TEST_HOOKS=1`. */
export const TEST_CRASH_MODES = ['abort', 'exit', 'hang'] as const;
export type TestCrashMode = (typeof TEST_CRASH_MODES)[number];

/** Env var that enables the `testCrash` request in the engine process (tests set it; nothing else should). */
export const ENGINE_TEST_HOOKS_ENV = 'ONNX_STUDIO_ENGINE_TEST_HOOKS';

// ---------------------------------------------------------------------------------------------------------
// Methods and messages
// ---------------------------------------------------------------------------------------------------------

/** Method name → params → result value. */
export interface EngineMethods {
  bench: { params: BenchParams; result: BenchReport };
  /** Lists every known execution provider and probes those onnxruntime lists by creating a tiny session. */
  providers: { params: Record<string, never>; result: ProviderStatus[] };
  ping: { params: Record<string, never>; result: EngineStats };
  /** Test only: `abort` calls process.abort(), `exit` exits, `hang` blocks the event loop forever like a
   * native call that never returns. */
  testCrash: { params: { mode: TestCrashMode }; result: never };
}

export type EngineMethod = keyof EngineMethods;
export type EngineParams<M extends EngineMethod> = EngineMethods[M]['params'];
export type EngineResult<M extends EngineMethod> = EngineMethods[M]['result'];

export type EngineRequest = { [M in EngineMethod]: { method: M; params: EngineParams<M> } }[EngineMethod];

/** What a job is doing, for crash messages and progress stages. */
export type EnginePhase =
  | 'queued'
  | 'loading model'
  | 'probing providers'
  | 'creating session'
  | 'first run'
  | 'warmup'
  | 'measuring'
  | 'profiling'
  | 'releasing'
  | 'running';

/** Main side → engine. */
export type HostToEngineMessage =
  | { type: 'start'; id: string; request: EngineRequest }
  | { type: 'cancel'; id: string };

/** Engine → main side. `event.jobId` is the request id. */
export type EngineToHostMessage =
  | { type: 'ready'; pid: number; testHooks: boolean }
  | { type: 'phase'; id: string; phase: EnginePhase; model?: string }
  | { type: 'event'; event: JobEvent };

/** The error a job fails with when the engine process dies under it. */
export interface EngineCrashInfo extends StudioErrorInfo {
  code: 'ENGINE_CRASHED';
}

const ENGINE_METHOD_NAMES: readonly string[] = ['bench', 'providers', 'ping', 'testCrash'] satisfies EngineMethod[];

/** Structural check of a message arriving at the engine (params are validated per method afterwards). */
export function isHostToEngineMessage(value: unknown): value is HostToEngineMessage {
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '') return false;
  if (value.type === 'cancel') return true;
  if (value.type !== 'start' || !isRecord(value.request)) return false;
  return typeof value.request.method === 'string' && ENGINE_METHOD_NAMES.includes(value.request.method) && isRecord(value.request.params);
}

/** Structural check of a message arriving from the engine. */
export function isEngineToHostMessage(value: unknown): value is EngineToHostMessage {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return typeof value.pid === 'number';
    case 'phase':
      return typeof value.id === 'string' && typeof value.phase === 'string';
    case 'event':
      return isRecord(value.event) && typeof value.event.jobId === 'string' && typeof value.event.type === 'string' && typeof value.event.seq === 'number';
    default:
      return false;
  }
}
