import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  isEngineToHostMessage,
  type EngineMethod,
  type EngineParams,
  type EnginePhase,
  type EngineRequest,
  type EngineResult,
  type HostToEngineMessage,
} from '../../../shared/engine-protocol.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { isTerminalJobEvent, type JobEvent, type TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import { forkEngine, type EngineExit, type EngineLauncher, type EngineTransport } from './engine-transport.js';

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

interface EngineProcess {
  transport: EngineTransport;
  ready: boolean;
  exited: boolean;
  /** Messages waiting for `ready`. */
  pending: HostToEngineMessage[];
  jobs: Set<string>;
  /** The last lines it printed, for crash reports. */
  outputTail: string[];
  partialLine: string;
  /** Why we killed it, when we did. */
  killedBecause?: { reason: 'cancel'; job: JobState } | { reason: 'start-timeout' } | { reason: 'dispose' };
  startTimer?: NodeJS.Timeout;
  exitedPromise: Promise<void>;
  markExited: () => void;
}

interface JobState {
  id: string;
  method: EngineMethod;
  /** What the job does, for messages: `benchmarking`, `probing execution providers`. */
  work: string;
  /** The models the request names (bench), used until the engine reports a phase. */
  models: string[];
  phase: EnginePhase | 'starting engine';
  model?: string;
  lastSeq: number;
  onEvent: ((event: JobEvent) => void) | undefined;
  resolve: (event: TerminalJobEvent) => void;
  proc: EngineProcess;
  cancelRequested: boolean;
  graceTimer?: NodeJS.Timeout;
}

const OUTPUT_TAIL_LINES = 30;

const WORK: Record<EngineMethod, string> = {
  bench: 'benchmarking',
  providers: 'probing execution providers',
  ping: 'answering a ping',
  testCrash: 'running a test crash',
};

function describeExit(exit: EngineExit): string {
  if (exit.error) return `could not be started (${exit.error})`;
  if (exit.signal) return `crashed (${exit.signal})`;
  return `exited unexpectedly (exit code ${exit.code})`;
}

/**
 * The main side's handle on the engine process. It starts the process on the first request, sends typed
 * requests with fresh ids, routes the streamed events back to each job's listener by id, and guarantees
 * every job exactly one terminal event:
 * - If the process dies (a native crash, out of memory, killed), every job in flight fails with
 *   ENGINE_CRASHED, saying which model and which phase it was in; the next request starts a fresh process.
 * - `cancel` asks the engine to stop the job at its next iteration; if the job has not ended after
 *   `cancelGraceMs` (a native call that does not return), the process is killed and the job ends `cancelled`.
 */
export class EngineClient {
  private readonly launch: EngineLauncher;
  private readonly cancelGraceMs: number;
  private readonly startTimeoutMs: number;
  private readonly onOutput: ((line: string) => void) | undefined;
  private current: EngineProcess | undefined;
  private readonly jobs = new Map<string, JobState>();

  constructor(options: EngineClientOptions = {}) {
    this.launch = options.launch ?? (() => forkEngine());
    this.cancelGraceMs = options.cancelGraceMs ?? 2000;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.onOutput = options.onOutput;
  }

  /** The engine process's id, while one is running. */
  get pid(): number | undefined {
    return this.current?.transport.pid;
  }

  /** Jobs started and not yet ended. */
  get activeJobs(): number {
    return this.jobs.size;
  }

  /** Starts a job; its events go to `onEvent` (the terminal one included) and `done` resolves with the last. */
  start<M extends EngineMethod>(method: M, params: EngineParams<M>, onEvent?: EngineEventListener<M>): EngineJob<M> {
    const id = randomUUID();
    let resolve!: (event: TerminalJobEvent) => void;
    const done = new Promise<TerminalJobEvent>((r) => (resolve = r));
    let proc: EngineProcess;
    try {
      proc = this.ensureProcess();
    } catch (error) {
      const info: StudioErrorInfo =
        error instanceof StudioError ? error.toInfo() : { code: 'ENGINE_CRASHED', message: `The engine process could not be started: ${String(error)}` };
      const event: TerminalJobEvent = { jobId: id, seq: 0, timeMs: Date.now(), type: 'failed', error: info };
      onEvent?.(event as JobEvent<EngineResult<M>>);
      resolve(event);
      return { id, done: done as Promise<TerminalJobEvent<EngineResult<M>>> };
    }
    const models = method === 'bench' ? ((params as EngineParams<'bench'>).models ?? []) : [];
    const job: JobState = {
      id,
      method,
      work: WORK[method],
      models,
      phase: proc.ready ? 'queued' : 'starting engine',
      lastSeq: -1,
      onEvent: onEvent as ((event: JobEvent) => void) | undefined,
      resolve,
      proc,
      cancelRequested: false,
    };
    this.jobs.set(id, job);
    proc.jobs.add(id);
    this.send(proc, { type: 'start', id, request: { method, params } as EngineRequest });
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
        throw new StudioError(end.error.code, end.error.message, end.error.detail === undefined ? undefined : { detail: end.error.detail });
      case 'cancelled':
        throw new StudioError('CANCELLED', 'Cancelled.');
    }
  }

  /**
   * Asks a job to stop. Returns false when it had already ended (or never existed). A job that does not end
   * within the grace period is ended by killing its process (other jobs in it then fail with ENGINE_CRASHED).
   */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.cancelRequested) return true;
    job.cancelRequested = true;
    const proc = job.proc;
    const queued = proc.pending.findIndex((m) => m.type === 'start' && m.id === id);
    if (queued >= 0) {
      // The process has not started yet, so the engine never saw the job.
      proc.pending.splice(queued, 1);
      this.finish(job, { jobId: id, seq: job.lastSeq + 1, timeMs: Date.now(), type: 'cancelled' });
      return true;
    }
    this.send(proc, { type: 'cancel', id });
    job.graceTimer = setTimeout(() => {
      if (!this.jobs.has(id) || proc.exited) return;
      proc.killedBecause ??= { reason: 'cancel', job };
      proc.transport.kill();
    }, this.cancelGraceMs);
    return true;
  }

  /** Stops the engine process; jobs in flight end `cancelled`. The next request starts a fresh process. */
  async dispose(): Promise<void> {
    const proc = this.current;
    if (!proc) return;
    this.current = undefined;
    proc.killedBecause ??= { reason: 'dispose' };
    for (const id of proc.jobs) {
      const job = this.jobs.get(id);
      if (job) job.cancelRequested = true;
    }
    proc.transport.kill();
    await proc.exitedPromise;
  }

  private ensureProcess(): EngineProcess {
    if (this.current && !this.current.exited) return this.current;
    const transport = this.launch();
    let markExited!: () => void;
    const proc: EngineProcess = {
      transport,
      ready: false,
      exited: false,
      pending: [],
      jobs: new Set(),
      outputTail: [],
      partialLine: '',
      exitedPromise: new Promise<void>((r) => (markExited = r)),
      markExited: () => markExited(),
    };
    transport.onMessage((message) => this.onMessage(proc, message));
    transport.onOutput((chunk) => this.onChunk(proc, chunk));
    transport.onExit((exit) => this.onExit(proc, exit));
    proc.startTimer = setTimeout(() => {
      if (proc.ready || proc.exited) return;
      proc.killedBecause ??= { reason: 'start-timeout' };
      transport.kill();
    }, this.startTimeoutMs);
    proc.startTimer.unref();
    this.current = proc;
    return proc;
  }

  private send(proc: EngineProcess, message: HostToEngineMessage): void {
    if (proc.exited) return;
    if (!proc.ready) {
      proc.pending.push(message);
      return;
    }
    try {
      proc.transport.send(message);
    } catch {
      // The channel closed under us: the process is dying, and its exit fails the jobs it held.
    }
  }

  private onMessage(proc: EngineProcess, message: unknown): void {
    if (!isEngineToHostMessage(message)) {
      this.onLine(proc, `[engine client] ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        proc.ready = true;
        clearTimeout(proc.startTimer);
        const pending = proc.pending.splice(0);
        for (const m of pending) this.send(proc, m);
        for (const id of proc.jobs) {
          const job = this.jobs.get(id);
          if (job?.phase === 'starting engine') job.phase = 'queued';
        }
        return;
      }
      case 'phase': {
        const job = this.jobs.get(message.id);
        if (!job || job.proc !== proc) return;
        job.phase = message.phase;
        if (message.model !== undefined) job.model = message.model;
        return;
      }
      case 'event': {
        const event = message.event;
        const job = this.jobs.get(event.jobId);
        if (!job || job.proc !== proc) return;
        job.lastSeq = event.seq;
        if (isTerminalJobEvent(event)) this.finish(job, event);
        else job.onEvent?.(event);
        return;
      }
    }
  }

  private finish(job: JobState, event: TerminalJobEvent): void {
    if (!this.jobs.has(job.id)) return;
    clearTimeout(job.graceTimer);
    this.jobs.delete(job.id);
    job.proc.jobs.delete(job.id);
    job.onEvent?.(event);
    job.resolve(event);
  }

  private onChunk(proc: EngineProcess, chunk: string): void {
    const lines = (proc.partialLine + chunk).split(/\r?\n/);
    proc.partialLine = lines.pop() ?? '';
    for (const line of lines) this.onLine(proc, line);
  }

  private onLine(proc: EngineProcess, line: string): void {
    if (line.trim() === '') return;
    proc.outputTail.push(line);
    if (proc.outputTail.length > OUTPUT_TAIL_LINES) proc.outputTail.shift();
    this.onOutput?.(line);
  }

  private onExit(proc: EngineProcess, exit: EngineExit): void {
    if (proc.partialLine) this.onLine(proc, proc.partialLine);
    proc.partialLine = '';
    proc.exited = true;
    clearTimeout(proc.startTimer);
    if (this.current === proc) this.current = undefined;
    const detail = proc.outputTail.length > 0 ? `Last output of the engine process:\n${proc.outputTail.join('\n')}` : undefined;
    for (const id of [...proc.jobs]) {
      const job = this.jobs.get(id);
      if (!job) continue;
      const base = { jobId: id, seq: job.lastSeq + 1, timeMs: Date.now() };
      if (job.cancelRequested) {
        this.finish(job, { ...base, type: 'cancelled' });
        continue;
      }
      const error: StudioErrorInfo = { code: 'ENGINE_CRASHED', message: this.crashMessage(job, proc, exit) };
      if (detail !== undefined) error.detail = detail;
      this.finish(job, { ...base, type: 'failed', error });
    }
    proc.markExited();
  }

  private crashMessage(job: JobState, proc: EngineProcess, exit: EngineExit): string {
    const model = job.model ?? (job.models.length > 0 ? job.models.join(', ') : undefined);
    const where = `while ${job.work}${model ? ` ${model}` : ''} (phase: ${job.phase})`;
    const killed = proc.killedBecause;
    if (killed?.reason === 'cancel') {
      const other = killed.job.model ?? killed.job.models.map((m) => path.basename(m)).join(', ');
      return (
        `The engine process was stopped ${where}: a cancelled job (${killed.job.work}${other ? ` ${other}` : ''}) did not stop ` +
        `within ${this.cancelGraceMs} ms, and ending it meant ending the process. Start this job again.`
      );
    }
    if (killed?.reason === 'start-timeout') {
      return `The engine process did not start within ${Math.round(this.startTimeoutMs / 1000)} s ${where}. Try again; if it keeps happening, run with --verbose to see its output.`;
    }
    const advice =
      job.method === 'bench' || job.method === 'providers'
        ? ' onnxruntime may have hit a malformed model, an execution provider failure or a lack of memory; ' +
          'check the model with `onnx-studio inspect`, try --ep cpu or a smaller --shape. The next request starts a fresh engine.'
        : ' The next request starts a fresh engine.';
    return `The engine process ${describeExit(exit)} ${where}.${advice}`;
  }
}
