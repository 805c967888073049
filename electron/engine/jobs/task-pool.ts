import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isEngineToHostMessage, type EnginePhase } from '../../../shared/engine-protocol.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { isTerminalJobEvent, type JobEvent, type TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import { forkEngine, type EngineExit, type EngineTransport } from '../host/engine-transport.js';
import type { HostToTaskMessage, TaskKind, TaskRequest } from './task-protocol.js';

/**
 * Where the task process entry is: the compiled `task-process.js` beside this module when running from
 * `out/`, or `task-process.ts` through tsx when running from sources (tests), so a test never forks a stale
 * build. Mirrors `defaultEngineEntry` of the engine host.
 */
export function defaultTaskEntry(): { entry: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./task-process.js', import.meta.url));
  if (fs.existsSync(js)) return { entry: js, execArgv: [] };
  const ts = fileURLToPath(new URL('./task-process.ts', import.meta.url));
  if (fs.existsSync(ts)) {
    let tsx: string;
    try {
      tsx = createRequire(import.meta.url).resolve('tsx');
    } catch {
      throw new StudioError(
        'INTERNAL',
        'The task process is not built and tsx is not installed: run `npm run build`.',
      );
    }
    return { entry: ts, execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  throw new StudioError('INTERNAL', `The task process entry is missing (${js}): run \`npm run build\`.`);
}

/** Starts a task process with `child_process.fork` (the engine host's transport, pointed at our entry). */
export function forkTaskProcess(env?: NodeJS.ProcessEnv): EngineTransport {
  const { entry, execArgv } = defaultTaskEntry();
  return forkEngine({ entry, execArgv, ...(env ? { env } : {}) });
}

export interface TaskPoolOptions {
  /** Starts a task process (default: `forkTaskProcess()`; Electron passes a utilityProcess launcher). */
  launch?: () => EngineTransport;
  /** How long a cancelled task may take to stop before its process is killed (ms, default 2000). */
  cancelGraceMs?: number;
  /** How long a new process may take to say `ready` (ms, default 60 s). */
  startTimeoutMs?: number;
  /** Idle processes kept warm for the next task (default 1). */
  maxIdle?: number;
  /** An idle process is ended after this long without work (ms, default 120 s). */
  idleTimeoutMs?: number;
  /** Each line a task process prints (onnxruntime's native log, crash reports). */
  onOutput?: (line: string) => void;
  /** At most this many task processes at once; further tasks wait for one to be free (default 4). */
  maxProcesses?: number;
}

export interface RunTaskOptions {
  signal?: AbortSignal;
  /** Progress, log and metric events; the terminal event is what `run` resolves with. */
  onEvent?: (event: JobEvent) => void;
}

interface RunningTask {
  id: string;
  task: TaskRequest;
  phase: EnginePhase | 'starting';
  model?: string;
  lastSeq: number;
  cancelRequested: boolean;
  graceTimer?: NodeJS.Timeout;
  onEvent: ((event: JobEvent) => void) | undefined;
  resolve: (event: TerminalJobEvent) => void;
}

interface TaskProcess {
  transport: EngineTransport;
  ready: boolean;
  exited: boolean;
  pending: HostToTaskMessage[];
  job: RunningTask | undefined;
  outputTail: string[];
  partialLine: string;
  killedBecause?: 'cancel' | 'start-timeout' | 'dispose' | 'idle';
  startTimer?: NodeJS.Timeout;
  idleTimer?: NodeJS.Timeout;
  exitedPromise: Promise<void>;
  markExited: () => void;
}

const WORK: Record<TaskKind, string> = {
  inspect: 'reading',
  quantize: 'quantizing',
  prune: 'pruning',
  evaluate: 'evaluating',
  export: 'exporting',
  testCrash: 'running a test crash',
  testSleep: 'running a test task',
};

function taskModel(task: TaskRequest): string | undefined {
  switch (task.kind) {
    case 'inspect':
      return task.path;
    case 'quantize':
    case 'prune':
    case 'export':
      return task.input;
    case 'evaluate':
      return task.model;
    default:
      return undefined;
  }
}

function describeExit(exit: EngineExit): string {
  if (exit.error) return `could not be started (${exit.error})`;
  if (exit.signal) return `crashed (${exit.signal})`;
  return `exited unexpectedly (exit code ${exit.code})`;
}

/**
 * Runs tasks in task processes, each process one task at a time. Processes are started on demand, kept warm
 * while idle (so opening a model does not pay for a process start), and replaced after a crash:
 * - If a process dies under a task (a native crash, out of memory, killed), the task fails with
 *   ENGINE_CRASHED saying which model and which phase; the next task gets a fresh process.
 * - Cancelling asks the task to stop at its next check; if it has not ended after `cancelGraceMs` (a native
 *   call that does not return), its process is killed and the task ends `cancelled`.
 */
export class TaskPool {
  private readonly launch: () => EngineTransport;
  private readonly cancelGraceMs: number;
  private readonly startTimeoutMs: number;
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;
  private readonly onOutput: ((line: string) => void) | undefined;
  private readonly maxProcesses: number;
  /** Tasks waiting for a process when `maxProcesses` are busy. */
  private readonly waiting: (() => void)[] = [];
  private readonly idle: TaskProcess[] = [];
  private readonly all = new Set<TaskProcess>();
  private disposed = false;

  constructor(options: TaskPoolOptions = {}) {
    this.launch = options.launch ?? (() => forkTaskProcess());
    this.cancelGraceMs = options.cancelGraceMs ?? 2000;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.maxIdle = options.maxIdle ?? 1;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.onOutput = options.onOutput;
    this.maxProcesses = Math.max(1, options.maxProcesses ?? 4);
  }

  /** Process ids of the live task processes (busy and idle). */
  get pids(): number[] {
    return [...this.all].flatMap((p) => (p.exited || p.transport.pid === undefined ? [] : [p.transport.pid]));
  }

  /** Runs one task; resolves with its terminal event (never rejects). */
  async run(task: TaskRequest, options: RunTaskOptions = {}): Promise<TerminalJobEvent> {
    // Bounded: a flood of requests (many inspects at once) must not fork a process each.
    while (this.idle.length === 0 && this.all.size >= this.maxProcesses && !this.disposed) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return this.runNow(task, options);
  }

  private runNow(task: TaskRequest, options: RunTaskOptions): Promise<TerminalJobEvent> {
    const id = randomUUID();
    return new Promise<TerminalJobEvent>((resolve) => {
      const job: RunningTask = {
        id,
        task,
        phase: 'starting',
        lastSeq: -1,
        cancelRequested: false,
        onEvent: options.onEvent,
        resolve,
      };
      const model = taskModel(task);
      if (model !== undefined) job.model = model;
      if (this.disposed) {
        resolve({ jobId: id, seq: 0, timeMs: Date.now(), type: 'cancelled' });
        return;
      }
      let proc: TaskProcess;
      try {
        proc = this.acquire();
      } catch (error) {
        const info: StudioErrorInfo =
          error instanceof StudioError
            ? error.toInfo()
            : {
                code: 'ENGINE_CRASHED',
                message: `A task process could not be started: ${String(error)}. Try again.`,
              };
        resolve({ jobId: id, seq: 0, timeMs: Date.now(), type: 'failed', error: info });
        return;
      }
      proc.job = job;
      this.send(proc, { type: 'start', id, task });
      const signal = options.signal;
      if (signal) {
        const onAbort = () => this.cancel(proc, job);
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          const original = job.resolve;
          job.resolve = (event) => {
            signal.removeEventListener('abort', onAbort);
            original(event);
          };
        }
      }
    });
  }

  /** Ends every task process; tasks in flight end `cancelled`. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const exits: Promise<void>[] = [];
    for (const proc of this.all) {
      proc.killedBecause ??= 'dispose';
      if (proc.job) proc.job.cancelRequested = true;
      proc.transport.kill();
      exits.push(proc.exitedPromise);
    }
    this.idle.length = 0;
    await Promise.all(exits);
  }

  private acquire(): TaskProcess {
    let proc = this.idle.pop();
    while (proc && proc.exited) proc = this.idle.pop();
    if (proc) {
      clearTimeout(proc.idleTimer);
      return proc;
    }
    return this.start();
  }

  private start(): TaskProcess {
    const transport = this.launch();
    let markExited!: () => void;
    const proc: TaskProcess = {
      transport,
      ready: false,
      exited: false,
      pending: [],
      job: undefined,
      outputTail: [],
      partialLine: '',
      exitedPromise: new Promise<void>((r) => (markExited = r)),
      markExited: () => markExited(),
    };
    this.all.add(proc);
    transport.onMessage((message) => this.onMessage(proc, message));
    transport.onOutput((chunk) => this.onChunk(proc, chunk));
    transport.onExit((exit) => this.onExit(proc, exit));
    proc.startTimer = setTimeout(() => {
      if (proc.ready || proc.exited) return;
      proc.killedBecause ??= 'start-timeout';
      transport.kill();
    }, this.startTimeoutMs);
    proc.startTimer.unref();
    return proc;
  }

  private send(proc: TaskProcess, message: HostToTaskMessage): void {
    if (proc.exited) return;
    if (!proc.ready) {
      proc.pending.push(message);
      return;
    }
    try {
      // The transport's type names the engine's messages; the task process reads these instead.
      proc.transport.send(message as never);
    } catch {
      // The channel closed under us: the exit handler fails the task.
    }
  }

  private cancel(proc: TaskProcess, job: RunningTask): void {
    if (job.cancelRequested || proc.job !== job) return;
    job.cancelRequested = true;
    this.send(proc, { type: 'cancel', id: job.id });
    job.graceTimer = setTimeout(() => {
      if (proc.job !== job || proc.exited) return;
      proc.killedBecause ??= 'cancel';
      proc.transport.kill();
    }, this.cancelGraceMs);
  }

  private onMessage(proc: TaskProcess, message: unknown): void {
    if (!isEngineToHostMessage(message)) {
      this.onLine(proc, `[task pool] ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        proc.ready = true;
        clearTimeout(proc.startTimer);
        for (const m of proc.pending.splice(0)) this.send(proc, m);
        if (proc.job?.phase === 'starting') proc.job.phase = 'queued';
        return;
      }
      case 'phase': {
        const job = proc.job;
        if (!job || job.id !== message.id) return;
        job.phase = message.phase;
        if (message.model !== undefined) job.model = message.model;
        return;
      }
      case 'event': {
        const job = proc.job;
        const event = message.event;
        if (!job || job.id !== event.jobId) return;
        job.lastSeq = event.seq;
        if (isTerminalJobEvent(event)) this.finish(proc, job, event);
        else job.onEvent?.(event);
        return;
      }
    }
  }

  private finish(proc: TaskProcess, job: RunningTask, event: TerminalJobEvent): void {
    if (proc.job !== job) return;
    clearTimeout(job.graceTimer);
    proc.job = undefined;
    if (!proc.exited) this.release(proc);
    job.resolve(event);
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  private release(proc: TaskProcess): void {
    if (this.waiting.length > 0 && !this.disposed) {
      // Someone is waiting for a process: hand this one over warm.
      this.idle.push(proc);
      this.wakeOne();
      return;
    }
    if (this.disposed || this.idle.length >= this.maxIdle) {
      proc.killedBecause ??= 'idle';
      proc.transport.kill();
      return;
    }
    proc.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(proc);
      if (i >= 0) this.idle.splice(i, 1);
      proc.killedBecause ??= 'idle';
      proc.transport.kill();
    }, this.idleTimeoutMs);
    proc.idleTimer.unref();
    this.idle.push(proc);
  }

  private onChunk(proc: TaskProcess, chunk: string): void {
    const lines = (proc.partialLine + chunk).split(/\r?\n/);
    proc.partialLine = lines.pop() ?? '';
    for (const line of lines) this.onLine(proc, line);
  }

  private onLine(proc: TaskProcess, line: string): void {
    if (line.trim() === '') return;
    proc.outputTail.push(line);
    if (proc.outputTail.length > 30) proc.outputTail.shift();
    this.onOutput?.(line);
  }

  private onExit(proc: TaskProcess, exit: EngineExit): void {
    if (proc.partialLine) this.onLine(proc, proc.partialLine);
    proc.partialLine = '';
    proc.exited = true;
    clearTimeout(proc.startTimer);
    clearTimeout(proc.idleTimer);
    this.all.delete(proc);
    const i = this.idle.indexOf(proc);
    if (i >= 0) this.idle.splice(i, 1);
    const job = proc.job;
    if (job) {
      const base = { jobId: job.id, seq: job.lastSeq + 1, timeMs: Date.now() };
      if (job.cancelRequested) this.finish(proc, job, { ...base, type: 'cancelled' });
      else {
        const error: StudioErrorInfo = {
          code: 'ENGINE_CRASHED',
          message: this.crashMessage(proc, job, exit),
        };
        if (proc.outputTail.length > 0)
          error.detail = `Last output of the task process:\n${proc.outputTail.join('\n')}`;
        this.finish(proc, job, { ...base, type: 'failed', error });
      }
    }
    // A slot is free again.
    this.wakeOne();
    proc.markExited();
  }

  private crashMessage(proc: TaskProcess, job: RunningTask, exit: EngineExit): string {
    const where = `while ${WORK[job.task.kind]}${job.model ? ` ${path.basename(job.model)}` : ''} (phase: ${job.phase})`;
    if (proc.killedBecause === 'start-timeout') {
      return `The task process did not start within ${Math.round(this.startTimeoutMs / 1000)} s ${where}. Try again; if it keeps happening, run onnx-studio with --verbose to see its output.`;
    }
    return (
      `The task process ${describeExit(exit)} ${where}. The model may be malformed or too large for the memory available: ` +
      'check it with `onnx-studio inspect`, then start the job again (it gets a fresh process).'
    );
  }
}
