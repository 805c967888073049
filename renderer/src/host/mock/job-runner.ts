/**
 * The mock host's job lifecycle, as the real job manager runs one: queued, progress events about every 100 ms
 * with an ETA, metrics kept on the job while it runs, then a result, a failure or a cancel, and the pipeline
 * runner told when it ends. Each job kind (start-job.ts) only says how long it takes and what it makes.
 */
import type { Result } from '../../../../shared/errors.js';
import type { JobEvent, JobInfo, JobSpec } from '../../../../shared/ipc-contract.js';
import { jobTitle, workspaceTargetName } from '../../../../shared/job-titles.js';
import type { MockWorkspaces } from './workspaces.js';
import type { MockJob, MockState } from './state.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EventBody = DistributiveOmit<JobEvent, 'jobId' | 'seq' | 'timeMs'>;

/** Run a job: progress events every ~100 ms over `durationMs`, `onTick` per step, then `finish`. */
export type RunJob = (
  spec: JobSpec,
  durationMs: number,
  stage: string,
  finish: () => Result<unknown>,
  onTick?: (fraction: number, emit: (e: EventBody) => void) => void,
) => string;

/** What every job kind works with: the backend's state, its workspaces, and the runner. */
export interface MockJobContext {
  state: MockState;
  workspaces: MockWorkspaces;
  runJob: RunJob;
}

export function mockJobRunner(state: MockState, workspaces: MockWorkspaces): RunJob {
  const { listeners, jobs, jobEnds } = state;
  const { workspaceFor } = workspaces;

  const runJob: RunJob = (
    spec: JobSpec,
    durationMs: number,
    stage: string,
    finish: () => Result<unknown>,
    onTick?: (fraction: number, emit: (e: EventBody) => void) => void,
  ): string => {
    state.counter += 1;
    const jobId = `mock-job-${state.counter}`;
    let seq = 0;
    const info: JobInfo = { jobId, spec, state: 'queued', createdAt: Date.now(), lastSeq: -1 };
    // Titled and replayed as the backend does: its title from the workspace's names, its metrics kept while it runs.
    info.title = jobTitle(spec, (t) => workspaceTargetName(workspaceFor(spec.modelPath), t));
    const emit = (body: EventBody) => {
      const event = { ...body, jobId, seq: seq++, timeMs: Date.now() } as JobEvent;
      info.lastSeq = event.seq;
      if (event.type === 'metric') {
        const kept = (info.metrics ??= []).find((m) => m.name === event.name);
        if (kept) kept.values.push(...event.values);
        else info.metrics.push({ name: event.name, unit: event.unit, values: [...event.values] });
      }
      if (event.type === 'result' || event.type === 'failed' || event.type === 'cancelled')
        delete info.metrics;
      if (event.type === 'progress')
        info.progress = {
          fraction: event.fraction,
          stage: event.stage,
          ...(event.etaMs !== undefined ? { etaMs: event.etaMs } : {}),
        };
      for (const l of listeners.job) l(event);
      const settle = jobEnds.get(jobId);
      if (settle && (event.type === 'result' || event.type === 'failed' || event.type === 'cancelled')) {
        jobEnds.delete(jobId);
        settle(
          event.type === 'result'
            ? { status: 'done', result: event.result }
            : event.type === 'failed'
              ? { status: 'failed', error: event.error }
              : { status: 'cancelled' },
        );
      }
    };
    const started = Date.now();
    let cancelled = false;
    const job: MockJob = {
      info,
      cancel: () => {
        cancelled = true;
      },
    };
    jobs.set(jobId, job);
    const step = () => {
      if (cancelled) {
        info.state = 'cancelled';
        info.endedAt = Date.now();
        emit({ type: 'cancelled' });
        return;
      }
      const fraction = Math.min(1, (Date.now() - started) / durationMs);
      if (fraction < 1) {
        info.state = 'running';
        info.startedAt ??= Date.now();
        onTick?.(fraction, emit);
        const elapsed = Date.now() - started;
        emit({
          type: 'progress',
          fraction,
          stage,
          ...(fraction > 0.05 ? { etaMs: (elapsed * (1 - fraction)) / fraction } : {}),
        });
        job.timer = setTimeout(step, 100);
        return;
      }
      onTick?.(1, emit);
      const result = finish();
      info.endedAt = Date.now();
      if (result.ok) {
        info.state = 'succeeded';
        emit({ type: 'result', result: result.value });
      } else {
        info.state = 'failed';
        emit({ type: 'failed', error: result.error });
      }
    };
    // Start after the caller has the id, like the real job manager (events may still race the answer).
    setTimeout(() => {
      emit({ type: 'progress', fraction: 0, stage: 'queued' });
      job.timer = setTimeout(step, 50);
    }, 0);
    return jobId;
  };

  return runJob;
}
