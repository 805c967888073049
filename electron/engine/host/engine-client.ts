import { randomUUID } from 'node:crypto';
import type { EngineMethod, EngineParams, EngineRequest, EngineResult, HostToEngineMessage } from './engine-protocol.js';
import type { JobEvent, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { StudioError, errorFromInfo } from '../errors.js';
import { forkEngine, type EngineLauncher } from './engine-transport.js';
import { launchFailed, ProcessSupervisor } from './process-supervisor.js';

export interface EngineClientOptions {
  /** Starts an engine process (default: `forkEngine()`, i.e. `child_process.fork`). */
  launch?: EngineLauncher;
  /** How long a cancelled job may take to stop before its process is killed (ms, default 2000). */
  cancelGraceMs?: number;
  /** How long a new process may take to say `ready` before it is killed (ms, default 60 s). */
  startTimeoutMs?: number;
  /** Each line the engine process prints (onnxruntime's native log, crash reports). */
  onOutput?: (line: string) => void;
}

/** A started job. `done` never rejects: it resolves with the job's one terminal event. */
export interface EngineJob<M extends EngineMethod> {
  readonly id: string;
  readonly done: Promise<TerminalJobEvent<EngineResult<M>>>;
}

export type EngineEventListener<M extends EngineMethod> = (event: JobEvent<EngineResult<M>>) => void;

type EngineStart = Extract<HostToEngineMessage, { type: 'start' }>;

const WORK: Record<EngineMethod, string> = {
  bench: 'benchmarking',
  providers: 'probing execution providers',
  ping: 'answering a ping',
  testCrash: 'running a test crash',
};

/** What to do after a crash: inference can fail in onnxruntime itself, a ping only in the process. */
const ADVICE: Record<EngineMethod, string> = {
  bench:
    'onnxruntime may have hit a malformed model, an execution provider failure or a lack of memory: check the model ' +
    'with `onnx-studio inspect`, try --ep cpu or a smaller --shape, then start the job again (it gets a fresh engine).',
  providers:
    'onnxruntime may have hit an execution provider failure: try again (it gets a fresh engine), or run onnx-studio with --verbose ' +
    'to see its output.',
  ping: 'Try again: the next request starts a fresh engine.',
  testCrash: 'Try again: the next request starts a fresh engine.',
};

/**
 * The main side's handle on the engine process. It starts the process on the first request, sends typed
 * requests with fresh ids, routes the streamed events back to each job's listener by id, and guarantees
 * every job exactly one terminal event. The process's lifecycle (start timeout, cancel then kill, the crash
 * message) is `ProcessSupervisor`'s; what is the engine's own is that one process runs every job, so:
 * - If the process dies, every job in flight fails with ENGINE_CRASHED; the next request starts a fresh one.
 * - A cancelled job that does not stop within `cancelGraceMs` is ended by killing the process, which ends
 *   the other jobs in it too (they are told why).
 */
export class EngineClient {
  private readonly launch: EngineLauncher;
  private readonly cancelGraceMs: number;
  private readonly startTimeoutMs: number;
  private readonly onOutput: ((line: string) => void) | undefined;
  private current: ProcessSupervisor<EngineStart> | undefined;
  /** The process each job started and not yet ended runs in. */
  private readonly jobs = new Map<string, ProcessSupervisor<EngineStart>>();

  constructor(options: EngineClientOptions = {}) {
    this.launch = options.launch ?? (() => forkEngine());
    this.cancelGraceMs = options.cancelGraceMs ?? 2000;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.onOutput = options.onOutput;
  }

  /** The engine process's id, while one is running. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  /** Jobs started and not yet ended. */
  get activeJobs(): number {
    return this.jobs.size;
  }

  /** Starts a job; its events go to `onEvent` (the terminal one included) and `done` resolves with the last. */
  start<M extends EngineMethod>(method: M, params: EngineParams<M>, onEvent?: EngineEventListener<M>): EngineJob<M> {
    const id = randomUUID();
    const listener = onEvent as ((event: JobEvent) => void) | undefined;
    let ended: Promise<TerminalJobEvent>;
    try {
      const proc = this.process();
      this.jobs.set(id, proc);
      ended = proc
        .run({
          message: { type: 'start', id, request: { method, params } as EngineRequest },
          work: WORK[method],
          models: method === 'bench' ? ((params as EngineParams<'bench'>).models ?? []) : [],
          advice: ADVICE[method],
          onEvent: listener,
        })
        .finally(() => this.jobs.delete(id));
    } catch (error) {
      ended = Promise.resolve(launchFailed(id, error));
    }
    const done = ended.then((event) => {
      listener?.(event);
      return event;
    });
    return { id, done: done as Promise<TerminalJobEvent<EngineResult<M>>> };
  }

  /**
   * Runs a job to its end: resolves with its result, or throws a StudioError (CANCELLED when `signal`
   * aborted it, ENGINE_CRASHED when the process died, or the job's own error).
   */
  async call<M extends EngineMethod>(
    method: M,
    params: EngineParams<M>,
    options: { signal?: AbortSignal; onEvent?: EngineEventListener<M> } = {},
  ): Promise<EngineResult<M>> {
    const { signal, onEvent } = options;
    const job = this.start(method, params, onEvent);
    const onAbort = () => this.cancel(job.id);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let end: TerminalJobEvent<EngineResult<M>>;
    try {
      end = await job.done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    switch (end.type) {
      case 'result':
        return end.result;
      case 'failed':
        throw errorFromInfo(end.error);
      case 'cancelled':
        throw new StudioError('CANCELLED', 'Cancelled.');
    }
  }

  /**
   * Asks a job to stop. Returns false when it had already ended (or never existed). A job that does not end
   * within the grace period is ended by killing its process (other jobs in it then fail with ENGINE_CRASHED).
   */
  cancel(id: string): boolean {
    return this.jobs.get(id)?.cancel(id) ?? false;
  }

  /** Stops the engine process; jobs in flight end `cancelled`. The next request starts a fresh process. */
  async dispose(): Promise<void> {
    const proc = this.current;
    if (!proc) return;
    this.current = undefined;
    await proc.stop();
  }

  private process(): ProcessSupervisor<EngineStart> {
    if (this.current?.alive) return this.current;
    const proc: ProcessSupervisor<EngineStart> = new ProcessSupervisor<EngineStart>({
      launch: this.launch,
      kind: 'engine',
      startTimeoutMs: this.startTimeoutMs,
      cancelGraceMs: this.cancelGraceMs,
      onOutput: this.onOutput,
      onExit: () => {
        if (this.current === proc) this.current = undefined;
      },
    });
    this.current = proc;
    return proc;
  }
}
