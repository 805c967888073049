import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { EnginePhase, EngineToHostMessage } from './engine-protocol.js';
import type { JobEvent } from '../../../shared/ipc-contract.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A job event without the fields the emitter fills in. */
export type JobEventBody = DistributiveOmit<JobEvent, 'jobId' | 'seq' | 'timeMs'>;

/** Progress events are throttled to this interval (about 10 Hz), except when the stage changes. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * Sends one job's events in the engine process: numbers them (`seq` from 0), stamps the time, throttles
 * progress, and makes sure exactly one terminal event goes out (later calls are ignored).
 */
export class JobEmitter {
  private seq = 0;
  private lastProgressAt = -Infinity;
  private lastStage = '';
  private finished = false;

  constructor(
    readonly jobId: string,
    private readonly send: (message: EngineToHostMessage) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  private emit(body: JobEventBody): void {
    if (this.finished) return;
    if (body.type === 'result' || body.type === 'failed' || body.type === 'cancelled') this.finished = true;
    const event = { ...body, jobId: this.jobId, seq: this.seq++, timeMs: this.now() } as JobEvent;
    this.send({ type: 'event', event });
  }

  /** Unthrottled and not a job event: where the job is, for the main side's crash messages. */
  phase(phase: EnginePhase, model?: string): void {
    if (this.finished) return;
    this.send(model === undefined ? { type: 'phase', id: this.jobId, phase } : { type: 'phase', id: this.jobId, phase, model });
  }

  progress(fraction: number, stage: string): void {
    const now = this.now();
    if (stage === this.lastStage && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastStage = stage;
    this.lastProgressAt = now;
    this.emit({ type: 'progress', fraction: Math.max(0, Math.min(1, fraction)), stage });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message });
  }

  metric(name: string, unit: string, values: number[]): void {
    this.emit({ type: 'metric', name, unit, values });
  }

  result(result: unknown): void {
    this.emit({ type: 'result', result });
  }

  failed(error: StudioErrorInfo): void {
    this.emit({ type: 'failed', error });
  }

  cancelled(): void {
    this.emit({ type: 'cancelled' });
  }
}
