import { randomUUID } from 'node:crypto';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { JobEvent, JobInfo, JobState, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import type { PipelineInterruption } from '../../../shared/pipeline-interruption.js';
import { toEngineErrorInfo } from '../errors.js';

/*
 * The job manager: ids, a queue with lanes, numbered events with exactly one terminal event each, progress
 * throttled to about 10 Hz, cancellation. It knows nothing about what a job does (an executor function does
 * that) nor about who listens (Electron IPC, the `serve` WebSocket, the demo command, tests), so it runs
 * unchanged under plain Node.
 *
 * Lanes keep jobs from disturbing each other's measurements:
 * - `inference` (benchmarks, evaluations, calibrated quantization) runs one at a time;
 * - `transform` (quantize, prune, export) runs one at a time, beside inference;
 * - `inspect` runs at once (two at a time), so opening a model never waits behind a long job;
 * - `orchestrate` (an Auto-optimize run) starts other jobs and waits for them, so it holds none of their lanes;
 * and an `exclusive` job (a benchmark) starts only when no other inference or transform job is running, and
 * holds back the jobs queued after it until it ends: a benchmark never shares the CPU with our own work.
 */

export type JobLane = 'inspect' | 'transform' | 'inference' | 'orchestrate';

/** What an executor gets: the job's id and signal, and where to report. */
export interface JobContext {
  readonly jobId: string;
  /** Aborted when the job is cancelled. */
  readonly signal: AbortSignal;
  /**
   * Why ONNX Studio stopped the job, once it did (`closing`: `cancelAll` while the app or `serve` closes), so an
   * executor that records its own end (Auto-optimize) says interrupted, not cancelled; undefined while it runs and
   * when someone cancelled it. Absent where nothing stops jobs that way.
   */
  interrupted?(): PipelineInterruption | undefined;
  /** Completed fraction of the whole job (0..1) and its stage; throttled by the manager. */
  progress(fraction: number, stage: string): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  metric(name: string, unit: string, values: number[]): void;
}

/** Runs one job to its end: returns its result, or throws (a StudioError, CANCELLED when it stopped early). */
export type JobExecutor<S> = (spec: S, context: JobContext) => Promise<unknown>;

export interface JobManagerOptions<S> {
  execute: JobExecutor<S>;
  laneOf: (spec: S) => JobLane;
  /** Jobs that must run alone (default: none). */
  isExclusive?: (spec: S) => boolean;
  /** How many jobs of each lane run at once (default inspect 2, transform 1, inference 1). */
  concurrency?: Partial<Record<JobLane, number>>;
  /** Minimum interval between progress events of one job with the same stage (ms, default 100). */
  progressIntervalMs?: number;
  /** Ended jobs remembered for `list()` (default 50). */
  keepEnded?: number;
  now?: () => number;
}

export type JobListener = (event: JobEvent) => void;

/** Told a job's state each time it changes: queued, running, ended (the job history keeps these). */
export type JobStateListener = (info: JobInfo) => void;

/**
 * The metric samples a running job keeps for a page that attaches late (a reload): per metric name, at most
 * this many, the newest (the page's live chart keeps as many).
 */
export const MAX_KEPT_METRIC_VALUES = 50_000;

/** What `start` may say of a job besides its spec. */
export interface JobStartOptions {
  /** The job's title as the job list shows it (shared/job-titles.ts); `list()` reports it. */
  title?: string;
}

interface Job<S> {
  id: string;
  spec: S;
  lane: JobLane;
  exclusive: boolean;
  state: JobState;
  title?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  seq: number;
  controller: AbortController;
  lastProgressAt: number;
  lastStage: string;
  progress?: { fraction: number; stage: string; etaMs?: number };
  terminal?: TerminalJobEvent;
  /** Set when ONNX Studio stops it (closing): it ends `cancelled` with this, not as cancelled by the user. */
  interrupted?: PipelineInterruption;
  /** Metric samples so far, while the job runs (dropped when it ends): replayed to a page that attaches late. */
  metrics: Map<string, { unit: string; values: number[] }>;
  done: Promise<TerminalJobEvent>;
  resolveDone: (event: TerminalJobEvent) => void;
}

const DEFAULT_CONCURRENCY: Record<JobLane, number> = { inspect: 2, transform: 1, inference: 1, orchestrate: 1 };

/** Below these the ETA would be noise. */
const ETA_MIN_FRACTION = 0.03;
const ETA_MIN_ELAPSED_MS = 500;

export class JobManager<S> {
  private readonly execute: JobExecutor<S>;
  private readonly laneOf: (spec: S) => JobLane;
  private readonly isExclusive: (spec: S) => boolean;
  private readonly concurrency: Record<JobLane, number>;
  private readonly progressIntervalMs: number;
  private readonly keepEnded: number;
  private readonly now: () => number;
  private readonly jobs = new Map<string, Job<S>>();
  /** Queued jobs in arrival order. */
  private readonly queue: Job<S>[] = [];
  private readonly running = new Set<Job<S>>();
  private readonly ended: Job<S>[] = [];
  private readonly listeners = new Set<JobListener>();
  private readonly stateListeners = new Set<JobStateListener>();
  private idleWaiters: (() => void)[] = [];

  constructor(options: JobManagerOptions<S>) {
    this.execute = options.execute;
    this.laneOf = options.laneOf;
    this.isExclusive = options.isExclusive ?? (() => false);
    this.concurrency = { ...DEFAULT_CONCURRENCY, ...options.concurrency };
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.keepEnded = options.keepEnded ?? 50;
    this.now = options.now ?? Date.now;
  }

  /** Every event of every job, in order per job. Listeners must not throw (errors are logged and ignored). */
  onEvent(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Each job's state when it is queued, when it starts running and when it ends (what `list()` reports of it,
   * without its metric samples). Listeners must not throw (errors are logged and ignored).
   */
  onStateChange(listener: JobStateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Queues a job; it starts as soon as its lane allows. */
  start(spec: S, options: JobStartOptions = {}): { jobId: string; done: Promise<TerminalJobEvent> } {
    const id = randomUUID();
    let resolveDone!: (event: TerminalJobEvent) => void;
    const done = new Promise<TerminalJobEvent>((r) => (resolveDone = r));
    const job: Job<S> = {
      id,
      spec,
      lane: this.laneOf(spec),
      exclusive: this.isExclusive(spec),
      state: 'queued',
      ...(options.title !== undefined ? { title: options.title } : {}),
      createdAt: this.now(),
      seq: 0,
      metrics: new Map(),
      controller: new AbortController(),
      lastProgressAt: -Infinity,
      lastStage: '',
      done,
      resolveDone,
    };
    this.jobs.set(id, job);
    this.queue.push(job);
    this.stateChanged(job);
    this.pump();
    // Say so when the job has to wait, so the UI shows "queued" rather than nothing. Deferred to the next
    // tick so the caller can learn the id (and subscribe) before the first event.
    if (job.state === 'queued')
      queueMicrotask(() => job.state === 'queued' && this.emitProgress(job, 0, 'queued', true));
    return { jobId: id, done };
  }

  /**
   * Asks a job to stop. A queued job ends `cancelled` at once; a running one is aborted and ends when its
   * executor returns. False when the job had already ended or never existed.
   */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || job.terminal) return false;
    if (job.state === 'queued') {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
      this.finish(job, { type: 'cancelled' });
      this.pump();
      return true;
    }
    job.controller.abort();
    return true;
  }

  /** Queued and running jobs, then recently ended ones (newest first). */
  list(): JobInfo[] {
    const active = [...this.jobs.values()].filter((j) => !j.terminal);
    return [...active, ...[...this.ended].reverse()].map((j) => this.info(j));
  }

  /** The one terminal event of a job (resolves when it ends). */
  whenDone(jobId: string): Promise<TerminalJobEvent> | undefined {
    return this.jobs.get(jobId)?.done ?? this.ended.find((j) => j.id === jobId)?.done;
  }

  /** Resolves when no job is queued or running. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Cancels every queued and running job and waits for them to end. With `interrupted` (ONNX Studio is closing),
   * the jobs it stops end `cancelled` saying so: nobody cancelled them.
   */
  async cancelAll(interrupted?: PipelineInterruption): Promise<void> {
    const stopping = [...this.queue, ...this.running];
    if (interrupted !== undefined) for (const job of stopping) job.interrupted = interrupted;
    for (const job of stopping) this.cancel(job.id);
    await this.whenIdle();
  }

  private info(job: Job<S>): JobInfo {
    const info: JobInfo = {
      jobId: job.id,
      spec: job.spec as JobInfo['spec'],
      state: job.state,
      createdAt: job.createdAt,
      lastSeq: job.seq - 1,
    };
    if (job.startedAt !== undefined) info.startedAt = job.startedAt;
    if (job.endedAt !== undefined) info.endedAt = job.endedAt;
    if (job.title !== undefined) info.title = job.title;
    if (job.progress) info.progress = { ...job.progress };
    if (job.terminal) info.terminal = job.terminal;
    if (!job.terminal && job.metrics.size > 0) {
      info.metrics = [...job.metrics].map(([name, m]) => ({ name, unit: m.unit, values: m.values.slice() }));
    }
    return info;
  }

  private canStart(job: Job<S>, runningByLane: Record<JobLane, number>, exclusiveRunning: boolean): boolean {
    if (runningByLane[job.lane] >= this.concurrency[job.lane]) return false;
    if (job.lane === 'inspect') return true;
    if (exclusiveRunning) return false;
    if (job.exclusive) return runningByLane.inference === 0 && runningByLane.transform === 0;
    return true;
  }

  /** Starts every queued job that may start now, in arrival order. */
  private pump(): void {
    const runningByLane: Record<JobLane, number> = { inspect: 0, transform: 0, inference: 0, orchestrate: 0 };
    let exclusiveRunning = false;
    for (const job of this.running) {
      runningByLane[job.lane]++;
      if (job.exclusive) exclusiveRunning = true;
    }
    let exclusiveWaiting = false;
    for (const job of [...this.queue]) {
      // Nothing heavy overtakes a waiting exclusive job, or it could wait forever.
      if (exclusiveWaiting && job.lane !== 'inspect') continue;
      if (this.canStart(job, runningByLane, exclusiveRunning)) {
        this.queue.splice(this.queue.indexOf(job), 1);
        runningByLane[job.lane]++;
        if (job.exclusive) exclusiveRunning = true;
        this.run(job);
      } else if (job.exclusive) {
        exclusiveWaiting = true;
      }
    }
    if (this.queue.length === 0 && this.running.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private run(job: Job<S>): void {
    job.state = 'running';
    job.startedAt = this.now();
    this.running.add(job);
    this.emitProgress(job, 0, 'starting', true);
    this.stateChanged(job);
    const context: JobContext = {
      jobId: job.id,
      signal: job.controller.signal,
      interrupted: () => job.interrupted,
      progress: (fraction, stage) => this.emitProgress(job, fraction, stage, false),
      log: (level, message) => this.emit(job, { type: 'log', level, message }),
      metric: (name, unit, values) => {
        if (job.terminal) return;
        this.keepMetric(job, name, unit, values);
        this.emit(job, { type: 'metric', name, unit, values });
      },
    };
    let outcome: Promise<unknown>;
    try {
      outcome = this.execute(job.spec, context);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (result) => this.finish(job, { type: 'result', result }),
      (error: unknown) => {
        const info: StudioErrorInfo = toEngineErrorInfo(error);
        // A cancelled job may end with CANCELLED, or with ENGINE_CRASHED when its process had to be killed.
        const cancelled =
          job.controller.signal.aborted && (info.code === 'CANCELLED' || info.code === 'ENGINE_CRASHED');
        this.finish(job, cancelled ? { type: 'cancelled' } : { type: 'failed', error: info });
      },
    );
  }

  private emitProgress(job: Job<S>, fraction: number, stage: string, force: boolean): void {
    if (job.terminal) return;
    const now = this.now();
    if (!force && stage === job.lastStage && now - job.lastProgressAt < this.progressIntervalMs) return;
    job.lastStage = stage;
    job.lastProgressAt = now;
    const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
    const progress: { fraction: number; stage: string; etaMs?: number } = { fraction: f, stage };
    if (job.startedAt !== undefined) {
      const elapsed = now - job.startedAt;
      if (f >= ETA_MIN_FRACTION && f < 1 && elapsed >= ETA_MIN_ELAPSED_MS)
        progress.etaMs = Math.round((elapsed * (1 - f)) / f);
    }
    job.progress = progress;
    this.emit(job, { type: 'progress', ...progress });
  }

  private keepMetric(job: Job<S>, name: string, unit: string, values: readonly number[]): void {
    const kept = job.metrics.get(name) ?? { unit, values: [] };
    for (const v of values) kept.values.push(v);
    if (kept.values.length > MAX_KEPT_METRIC_VALUES)
      kept.values.splice(0, kept.values.length - MAX_KEPT_METRIC_VALUES);
    kept.unit = unit;
    job.metrics.set(name, kept);
  }

  private emit(job: Job<S>, body: DistributiveOmit<JobEvent, 'jobId' | 'seq' | 'timeMs'>): void {
    if (job.terminal) return;
    this.dispatch({ ...body, jobId: job.id, seq: job.seq++, timeMs: this.now() } as JobEvent);
  }

  private stateChanged(job: Job<S>): void {
    if (this.stateListeners.size === 0) return;
    const { metrics: _metrics, ...info } = this.info(job);
    for (const listener of this.stateListeners) {
      try {
        listener(info);
      } catch (error) {
        console.error('[jobs] a job state listener threw:', error);
      }
    }
  }

  private dispatch(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('[jobs] a job event listener threw:', error);
      }
    }
  }

  private finish(job: Job<S>, body: DistributiveOmit<TerminalJobEvent, 'jobId' | 'seq' | 'timeMs'>): void {
    if (job.terminal) return;
    const interrupted = body.type === 'cancelled' && job.interrupted ? { interrupted: job.interrupted } : {};
    const terminal = {
      ...body,
      ...interrupted,
      jobId: job.id,
      seq: job.seq++,
      timeMs: this.now(),
    } as TerminalJobEvent;
    job.terminal = terminal;
    job.state = terminal.type === 'result' ? 'succeeded' : terminal.type;
    job.endedAt = terminal.timeMs;
    job.metrics.clear();
    this.running.delete(job);
    this.jobs.delete(job.id);
    this.ended.push(job);
    if (this.ended.length > this.keepEnded) this.ended.shift();
    this.stateChanged(job);
    this.dispatch(terminal);
    job.resolveDone(terminal);
    this.pump();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
