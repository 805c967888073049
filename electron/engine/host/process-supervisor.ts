import path from 'node:path';
import { isEngineToHostMessage, type EnginePhase } from './engine-protocol.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { isTerminalJobEvent, type JobEvent, type TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { StudioError, toErrorInfo } from '../errors.js';
import type { EngineExit, EngineTransport } from './engine-transport.js';

/** Starts a job in the child; the rest of the message (the request, the task) is the child protocol's. */
export interface StartMessage {
  type: 'start';
  id: string;
}

/** Asks the child to stop a job at its next check; the engine and task protocols spell it the same. */
export interface CancelMessage {
  type: 'cancel';
  id: string;
}

export interface SupervisorOptions<Start extends StartMessage> {
  /** Starts the child (`forkEngine`, or a utilityProcess launcher in Electron). */
  launch: () => EngineTransport<Start | CancelMessage>;
  /** Names the process in messages: "The engine process crashed ...", "The task process did not start ...". */
  kind: 'engine' | 'task';
  /** How long the child may take to say `ready` before it is killed (ms). */
  startTimeoutMs: number;
  /** How long a cancelled job may take to end before the child is killed (ms). */
  cancelGraceMs: number;
  /** Each line the child prints (onnxruntime's native log, crash reports). */
  onOutput?: ((line: string) => void) | undefined;
  /** A job ended and the child lives on (a pool hands it to the next task here). */
  onJobEnd?: () => void;
  /** The child is gone and every job that was in it has ended. */
  onExit?: () => void;
}

export interface SupervisedJob<Start extends StartMessage> {
  /** Sent to the child as is; its `id` is the job's id. */
  message: Start;
  /** What the job does, for messages: `benchmarking`, `quantizing`. */
  work: string;
  /** The models it reads, named in a crash message until the child reports the one it is on. */
  models: readonly string[];
  /** What to do after a crash, said after what happened (default: check the model, start again). */
  advice?: string;
  /** Progress, log and metric events; the terminal event is what `run` resolves with. */
  onEvent?: ((event: JobEvent) => void) | undefined;
}

interface JobState {
  id: string;
  work: string;
  models: readonly string[];
  advice: string;
  phase: EnginePhase | 'starting';
  /** The model the child last said it is on. */
  model?: string;
  lastSeq: number;
  onEvent: ((event: JobEvent) => void) | undefined;
  resolve: (event: TerminalJobEvent) => void;
  cancelRequested: boolean;
  graceTimer?: NodeJS.Timeout;
}

/** Why the supervisor killed its child, when it did; decides what the jobs it held are told. */
type KillReason = { reason: 'cancel'; job: JobState } | { reason: 'start-timeout' } | { reason: 'stop' };

const OUTPUT_TAIL_LINES = 30;

const DEFAULT_ADVICE =
  'The model may be malformed or too large for the memory available: check it with `onnx-studio inspect`, ' +
  'then start the job again (it gets a fresh process).';

function describeExit(exit: EngineExit): string {
  if (exit.error) return `could not be started (${exit.error})`;
  if (exit.signal) return `crashed (${exit.signal})`;
  return `exited unexpectedly (exit code ${exit.code})`;
}

function modelsOf(job: JobState): string {
  const models = job.model !== undefined ? [job.model] : job.models;
  return models.map((m) => path.basename(m)).join(', ');
}

/** "while benchmarking mlp.onnx (phase: measuring)": what a job was doing when its process went away. */
function whereIs(job: JobState): string {
  const models = modelsOf(job);
  return `while ${job.work}${models ? ` ${models}` : ''} (phase: ${job.phase})`;
}

/**
 * The one wording for a job whose process went away under it (ENGINE_CRASHED): what happened, where the job
 * was, and what to do next.
 */
function crashMessage(
  kind: string,
  job: JobState,
  exit: EngineExit,
  killed: KillReason | undefined,
  limits: { startTimeoutMs: number; cancelGraceMs: number },
): string {
  const where = whereIs(job);
  if (killed?.reason === 'start-timeout') {
    return (
      `The ${kind} process did not start within ${Math.round(limits.startTimeoutMs / 1000)} s ${where}. ` +
      'Try again; if it keeps happening, run onnx-studio with --verbose to see its output.'
    );
  }
  if (killed?.reason === 'cancel') {
    const other = modelsOf(killed.job);
    return (
      `The ${kind} process was stopped ${where}: a cancelled job (${killed.job.work}${other ? ` ${other}` : ''}) ` +
      `did not stop within ${limits.cancelGraceMs} ms, and ending it meant ending the process. Start this job again.`
    );
  }
  return `The ${kind} process ${describeExit(exit)} ${where}. ${job.advice}`;
}

/** The terminal event of a job whose process could not even be launched. */
export function launchFailed(jobId: string, error: unknown): TerminalJobEvent {
  return { jobId, seq: 0, timeMs: Date.now(), type: 'failed', error: toErrorInfo(error) };
}

/**
 * One child process (the engine process or a task process) and the jobs running in it, from the owner's side.
 * The child speaks the engine protocol back (`ready`, `phase`, `event`); this class guarantees every job
 * exactly one terminal event, whatever the child does:
 * - Messages wait until the child says `ready`; if it does not within `startTimeoutMs` it is killed, and its
 *   jobs fail with ENGINE_CRASHED saying so.
 * - `cancel` asks the child to stop the job at its next check; if the job has not ended after
 *   `cancelGraceMs` (a native call that does not return) the child is killed and the job ends `cancelled`.
 * - If the child dies (a native crash, out of memory, killed), every job in it that was not being cancelled
 *   fails with ENGINE_CRASHED naming the model and phase it was in, with the last lines it printed as detail.
 * A supervisor is single-use: once its child is gone, the owner starts a new one.
 */
export class ProcessSupervisor<Start extends StartMessage> {
  private readonly options: SupervisorOptions<Start>;
  private readonly transport: EngineTransport<Start | CancelMessage>;
  private readonly jobs = new Map<string, JobState>();
  /** Messages waiting for `ready`. */
  private readonly pending: (Start | CancelMessage)[] = [];
  /** The last lines the child printed, for crash reports. */
  private readonly outputTail: string[] = [];
  private partialLine = '';
  private isReady = false;
  private exit: EngineExit | undefined;
  private killed: KillReason | undefined;
  private readonly startTimer: NodeJS.Timeout;
  private readonly gone: Promise<void>;
  private markGone!: () => void;

  /** Launches the child; throws a StudioError when it cannot be launched at all. */
  constructor(options: SupervisorOptions<Start>) {
    this.options = options;
    try {
      this.transport = options.launch();
    } catch (error) {
      if (error instanceof StudioError) throw error;
      throw new StudioError(
        'ENGINE_CRASHED',
        `The ${options.kind} process could not be started: ${error instanceof Error ? error.message : String(error)}. Try again.`,
      );
    }
    this.gone = new Promise<void>((resolve) => (this.markGone = resolve));
    this.transport.onMessage((message) => this.onMessage(message));
    this.transport.onOutput((chunk) => this.onChunk(chunk));
    this.transport.onExit((exit) => this.onExit(exit));
    this.startTimer = setTimeout(() => {
      if (this.isReady || this.exit) return;
      this.kill({ reason: 'start-timeout' });
    }, options.startTimeoutMs);
    // A child that never starts must not keep the owner alive on its own.
    this.startTimer.unref();
  }

  /** The child's process id, once known. */
  get pid(): number | undefined {
    return this.transport.pid;
  }

  /** Whether the child is still running (it may not have said `ready` yet). */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Jobs started here and not yet ended. */
  get activeJobs(): number {
    return this.jobs.size;
  }

  /** Starts a job in the child; resolves with its terminal event (never rejects). */
  run(job: SupervisedJob<Start>): Promise<TerminalJobEvent> {
    return new Promise<TerminalJobEvent>((resolve) => {
      const state: JobState = {
        id: job.message.id,
        work: job.work,
        models: job.models,
        advice: job.advice ?? DEFAULT_ADVICE,
        phase: this.isReady ? 'queued' : 'starting',
        lastSeq: -1,
        onEvent: job.onEvent,
        resolve,
        cancelRequested: false,
      };
      if (this.exit) {
        // The owner raced the child's death: tell the job what happened to the process it was given.
        resolve(this.crashEvent(state, this.exit));
        return;
      }
      this.jobs.set(state.id, state);
      this.send(job.message);
    });
  }

  /**
   * Asks a job to stop. Returns false when it is not running here. A job that does not end within the grace
   * period is ended by killing the child (other jobs in it then fail with ENGINE_CRASHED, saying why).
   */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.cancelRequested) return true;
    job.cancelRequested = true;
    const queued = this.pending.findIndex((m) => m.type === 'start' && m.id === id);
    if (queued >= 0) {
      // The child has not started yet, so it never saw the job.
      this.pending.splice(queued, 1);
      this.finish(job, { jobId: id, seq: job.lastSeq + 1, timeMs: Date.now(), type: 'cancelled' });
      return true;
    }
    this.send({ type: 'cancel', id });
    job.graceTimer = setTimeout(() => {
      if (this.jobs.has(id)) this.kill({ reason: 'cancel', job });
    }, this.options.cancelGraceMs);
    return true;
  }

  /** Ends the child (disposal, or a pool retiring an idle process); jobs in it end `cancelled`. */
  stop(): Promise<void> {
    for (const job of this.jobs.values()) job.cancelRequested = true;
    this.kill({ reason: 'stop' });
    return this.gone;
  }

  private kill(reason: KillReason): void {
    if (this.exit) return;
    // The first reason stands: a start timeout is not restated as a stop.
    this.killed ??= reason;
    this.transport.kill();
  }

  private send(message: Start | CancelMessage): void {
    if (this.exit) return;
    if (!this.isReady) {
      this.pending.push(message);
      return;
    }
    try {
      this.transport.send(message);
    } catch {
      // The channel closed under us: the child is dying, and its exit ends the jobs it held.
    }
  }

  private onMessage(message: unknown): void {
    if (!isEngineToHostMessage(message)) {
      this.onLine(`[${this.options.kind} supervisor] ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        this.isReady = true;
        clearTimeout(this.startTimer);
        for (const job of this.jobs.values()) if (job.phase === 'starting') job.phase = 'queued';
        for (const m of this.pending.splice(0)) this.send(m);
        return;
      }
      case 'phase': {
        const job = this.jobs.get(message.id);
        if (!job) return;
        job.phase = message.phase;
        if (message.model !== undefined) job.model = message.model;
        return;
      }
      case 'event': {
        const event = message.event;
        const job = this.jobs.get(event.jobId);
        if (!job) return;
        job.lastSeq = event.seq;
        if (isTerminalJobEvent(event)) this.finish(job, event);
        else job.onEvent?.(event);
        return;
      }
    }
  }

  private finish(job: JobState, event: TerminalJobEvent): void {
    if (!this.jobs.delete(job.id)) return;
    clearTimeout(job.graceTimer);
    if (!this.exit) this.options.onJobEnd?.();
    job.resolve(event);
  }

  private crashEvent(job: JobState, exit: EngineExit): TerminalJobEvent {
    const error: StudioErrorInfo = {
      code: 'ENGINE_CRASHED',
      message: crashMessage(this.options.kind, job, exit, this.killed, this.options),
    };
    if (this.outputTail.length > 0) error.detail = `Last output of the ${this.options.kind} process:\n${this.outputTail.join('\n')}`;
    return { jobId: job.id, seq: job.lastSeq + 1, timeMs: Date.now(), type: 'failed', error };
  }

  private onChunk(chunk: string): void {
    const lines = (this.partialLine + chunk).split(/\r?\n/);
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    this.outputTail.push(line);
    if (this.outputTail.length > OUTPUT_TAIL_LINES) this.outputTail.shift();
    this.options.onOutput?.(line);
  }

  private onExit(exit: EngineExit): void {
    if (this.partialLine) this.onLine(this.partialLine);
    this.partialLine = '';
    this.exit = exit;
    clearTimeout(this.startTimer);
    this.pending.length = 0;
    for (const job of [...this.jobs.values()]) {
      if (job.cancelRequested) this.finish(job, { jobId: job.id, seq: job.lastSeq + 1, timeMs: Date.now(), type: 'cancelled' });
      else this.finish(job, this.crashEvent(job, exit));
    }
    this.options.onExit?.();
    this.markGone();
  }
}
