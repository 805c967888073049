import { randomUUID } from 'node:crypto';
import type { JobEvent, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { childEntry, forkEngine, type EngineLauncher, type EngineTransport } from '../host/engine-transport.js';
import { launchFailed, ProcessSupervisor } from '../host/process-supervisor.js';
import type { HostToTaskMessage, TaskKind, TaskRequest } from './task-protocol.js';

/** The task process entry (task-process.js beside this module, or its source through tsx). */
export function defaultTaskEntry(): { entry: string; execArgv: string[] } {
  return childEntry(import.meta.url, 'task-process');
}

/** Starts a task process with `child_process.fork` (the engine host's transport, pointed at our entry). */
export function forkTaskProcess(env?: NodeJS.ProcessEnv): EngineTransport<HostToTaskMessage> {
  const { entry, execArgv } = defaultTaskEntry();
  return forkEngine<HostToTaskMessage>({ entry, execArgv, ...(env ? { env } : {}) });
}

type TaskStart = Extract<HostToTaskMessage, { type: 'start' }>;

export interface TaskPoolOptions {
  /** Starts a task process (default: `forkTaskProcess()`; Electron passes a utilityProcess launcher). */
  launch?: EngineLauncher<HostToTaskMessage>;
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

const WORK: Record<TaskKind, string> = {
  inspect: 'reading',
  quantize: 'quantizing',
  prune: 'pruning',
  evaluate: 'evaluating',
  export: 'exporting',
  checkDataset: 'checking the data',
  graph: 'reading the graph',
  diff: 'comparing with the original',
  loadCheck: 'loading the model in onnxruntime',
  testCrash: 'running a test crash',
  testSleep: 'running a test task',
};

function taskModel(task: TaskRequest): string | undefined {
  switch (task.kind) {
    case 'inspect':
    case 'graph':
    case 'loadCheck':
      return task.path;
    case 'diff':
      return task.variant;
    case 'quantize':
    case 'prune':
    case 'export':
      return task.input;
    case 'evaluate':
    case 'checkDataset':
      return task.model;
    default:
      return undefined;
  }
}

/**
 * Runs tasks in task processes, each process one task at a time. Processes are started on demand, kept warm
 * while idle (so opening a model does not pay for a process start), at most `maxProcesses` at once, and
 * replaced after a crash. Each process's lifecycle (start timeout, cancel then kill after `cancelGraceMs`,
 * ENGINE_CRASHED naming the model and phase) is its `ProcessSupervisor`'s; this class only decides which
 * process runs a task and how long an idle one lives.
 */
export class TaskPool {
  private readonly launch: EngineLauncher<HostToTaskMessage>;
  private readonly cancelGraceMs: number;
  private readonly startTimeoutMs: number;
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;
  private readonly onOutput: ((line: string) => void) | undefined;
  private readonly maxProcesses: number;
  /** Tasks waiting for a process when `maxProcesses` are busy. */
  private readonly waiting: (() => void)[] = [];
  private readonly idle: ProcessSupervisor<TaskStart>[] = [];
  /** Every live process, busy or idle, with its idle timer while it is idle. */
  private readonly all = new Map<ProcessSupervisor<TaskStart>, NodeJS.Timeout | undefined>();
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
    return [...this.all.keys()].flatMap((p) => (p.alive && p.pid !== undefined ? [p.pid] : []));
  }

  /** Runs one task; resolves with its terminal event (never rejects). */
  async run(task: TaskRequest, options: RunTaskOptions = {}): Promise<TerminalJobEvent> {
    // Bounded: a flood of requests (many inspects at once) must not fork a process each.
    while (this.idle.length === 0 && this.all.size >= this.maxProcesses && !this.disposed) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return this.runNow(task, options);
  }

  private async runNow(task: TaskRequest, options: RunTaskOptions): Promise<TerminalJobEvent> {
    const id = randomUUID();
    if (this.disposed) return { jobId: id, seq: 0, timeMs: Date.now(), type: 'cancelled' };
    let proc: ProcessSupervisor<TaskStart>;
    try {
      proc = this.acquire();
    } catch (error) {
      return launchFailed(id, error);
    }
    const model = taskModel(task);
    const done = proc.run({
      message: { type: 'start', id, task },
      work: WORK[task.kind],
      models: model === undefined ? [] : [model],
      onEvent: options.onEvent,
    });
    const signal = options.signal;
    if (!signal) return done;
    const onAbort = () => proc.cancel(id);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await done;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Ends every task process; tasks in flight end `cancelled`. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const wake of this.waiting.splice(0)) wake();
    this.idle.length = 0;
    await Promise.all([...this.all.keys()].map((proc) => proc.stop()));
  }

  private acquire(): ProcessSupervisor<TaskStart> {
    let proc = this.idle.pop();
    while (proc && !proc.alive) proc = this.idle.pop();
    if (proc) {
      clearTimeout(this.all.get(proc));
      this.all.set(proc, undefined);
      return proc;
    }
    return this.start();
  }

  private start(): ProcessSupervisor<TaskStart> {
    const proc: ProcessSupervisor<TaskStart> = new ProcessSupervisor<TaskStart>({
      launch: this.launch,
      kind: 'task',
      startTimeoutMs: this.startTimeoutMs,
      cancelGraceMs: this.cancelGraceMs,
      onOutput: this.onOutput,
      onJobEnd: () => this.release(proc),
      onExit: () => this.forget(proc),
    });
    this.all.set(proc, undefined);
    return proc;
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  private release(proc: ProcessSupervisor<TaskStart>): void {
    if (this.waiting.length > 0 && !this.disposed) {
      // Someone is waiting for a process: hand this one over warm.
      this.idle.push(proc);
      this.wakeOne();
      return;
    }
    if (this.disposed || this.idle.length >= this.maxIdle) {
      void proc.stop();
      return;
    }
    const idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(proc);
      if (i >= 0) this.idle.splice(i, 1);
      void proc.stop();
    }, this.idleTimeoutMs);
    idleTimer.unref();
    this.all.set(proc, idleTimer);
    this.idle.push(proc);
  }

  /** The process is gone (crashed, killed, retired): a slot is free again. */
  private forget(proc: ProcessSupervisor<TaskStart>): void {
    clearTimeout(this.all.get(proc));
    this.all.delete(proc);
    const i = this.idle.indexOf(proc);
    if (i >= 0) this.idle.splice(i, 1);
    this.wakeOne();
  }
}
