/**
 * The renderer's state: the open model, its workspace (variants and every result, as the backend persists
 * them), the jobs of this session, and the latency samples of benchmarks that are still streaming. One pure
 * reducer turns host answers and events into state, so every view reads one source and the flow is testable
 * without a DOM.
 *
 * The workspace is the source of truth for results: when a job ends, the backend records its result and
 * says `workspaceChanged`, and the page fetches the workspace again. Until then (a few ms), and while a
 * benchmark runs, the page shows what the job events carried: `live` runs.
 *
 * Job events can arrive before `startJob` has answered with the job's id, so events for unknown jobs wait in
 * `earlyEvents` and are replayed when the job is registered.
 */
import { isRecord } from '../../../shared/is-record.js';
import type { BenchReport } from '../../../shared/bench.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { JobEvent, JobInfo, JobKind, JobLogEvent } from '../../../shared/ipc-contract.js';
import { measuredTargets } from '../../../shared/job-targets.js';
import { latencyStatsOf, parseLatencyMetricName, type LatencyStats } from '../../../shared/latency-stats.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import { interruptedPipeline, type PipelineInterruption } from '../../../shared/pipeline-interruption.js';
import { resolvedFailures } from './job-outcomes.js';
import { isPageJob } from './page-job-id.js';

export type Engine = 'onnxruntime-node' | 'onnxruntime-web';

/** Which runtime and provider measured a latency: onnxruntime-node with `cpu`, onnxruntime-web with `webgpu`... */
export interface MeasurementSource {
  engine: Engine;
  provider: string;
}

export function measurementKey(source: MeasurementSource): string {
  return `${source.engine}/${source.provider}`;
}

/** The engine's job kinds, plus benchmarks the page runs itself with onnxruntime-web. */
export type StudioJobKind = JobKind | 'web-bench';
export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobRecord {
  jobId: string;
  kind: StudioJobKind;
  title: string;
  /** The original model whose workspace the job belongs to. */
  modelPath: string;
  /**
   * The targets the job measures (`measuredTargets`): a benchmark's, baseline first (metric `latency/<i>` is
   * `targets[i]`), an evaluation's one. Empty for other jobs, and when the page does not know them.
   */
  targets: string[];
  /** Who measures, for benchmarks. */
  measurement?: MeasurementSource;
  status: JobStatus;
  /** 0..1. */
  fraction: number;
  stage: string;
  /** The backend's estimate of the time left (ms), when it has one. */
  etaMs?: number;
  /** When the estimate was made (ms since the epoch), so the page can count it down. */
  etaAtMs?: number;
  submittedAtMs: number;
  /** When the job left the queue; the page's own ETA counts from here. */
  runningSinceMs?: number;
  finishedAtMs?: number;
  error?: StudioErrorInfo;
  /** Warnings and errors the job logged, newest last. */
  notes: string[];
  /** What of its work a job that ended could not do (`JobResultEvent.partial`): it partly failed. */
  partial?: string;
  cancelRequested: boolean;
  lastSeq: number;
  /** The terminal result, for jobs whose caller waits on it (export). */
  result?: unknown;
  /**
   * It ended because ONNX Studio stopped under it, not by a Cancel: `closing` (the app quit, onnx-studio serve was
   * stopped), `cut off` (killed or crashed; found so after a restart). shared/pipeline-interruption.ts says why.
   */
  interrupted?: PipelineInterruption;
}

/** Latency samples of one benchmark as they stream, per target, and its final figures once it ends. */
export interface LiveRun {
  jobId: string;
  modelPath: string;
  source: MeasurementSource;
  targets: string[];
  samples: Record<string, number[]>;
  /** Final figures per target from the job's result, shown until the workspace has the record. */
  final?: Record<string, LatencyStats>;
  /** The workspace record the result was stored as. */
  recordId?: string;
}

export interface StudioState {
  model: ModelSummary | null;
  workspace: Workspace | null;
  /** Newest last. */
  jobs: JobRecord[];
  live: LiveRun[];
  earlyEvents: JobEvent[];
  /**
   * Jobs the user removed with "Clear finished": a later job listing (a reconnect, another tab's catch-up) does
   * not bring them back. A reload forgets them, and lists every job again.
   */
  clearedJobIds?: string[];
}

export const MAX_LIVE_SAMPLES = 50_000;
const MAX_EARLY_EVENTS = 500;
const MAX_NOTES = 20;

/**
 * Jobs whose info notes explain their result: a variant's ("Nothing to quantize: ...", "opset raised to 13"), and
 * an evaluation's, which say what the figure rests on (an input the data lacks fed the spec's value, samples left
 * out for NaN, values float16 could not hold). A user test found those nowhere on the page.
 */
const EXPLAINED_KINDS: ReadonlySet<StudioJobKind> = new Set(['quantize', 'prune', 'evaluate']);

/**
 * Which log lines a job lists as notes: warnings and errors of every job, and the info notes of jobs that
 * make a variant. Other jobs' info notes restate the settings the app already shows (a benchmark's threads,
 * spinning and profiling), and debug lines are not for users.
 */
function shownAsNote(kind: StudioJobKind, level: JobLogEvent['level']): boolean {
  return level === 'warn' || level === 'error' || (level === 'info' && EXPLAINED_KINDS.has(kind));
}
const MAX_FINISHED_JOBS = 50;
/**
 * Failed jobs are kept apart from that limit, until the user clears the list: the status bar counts them, and
 * trimming them with the rest made "13 failed" drop to "5 failed" while new jobs ran, the failures the user
 * never opened gone. This bound only guards against a runaway loop of failures.
 */
const MAX_FAILED_JOBS = 1000;
/** Cleared ids remembered: the backend lists at most its last 50 ended jobs, so a few hundred is plenty. */
const MAX_CLEARED_IDS = 500;

export const initialState: StudioState = {
  model: null,
  workspace: null,
  jobs: [],
  live: [],
  earlyEvents: [],
};

export type StudioAction =
  | { type: 'model-opened'; summary: ModelSummary; workspace: Workspace | null }
  | { type: 'workspace-loaded'; workspace: Workspace }
  | {
      type: 'job-submitted';
      jobId: string;
      kind: StudioJobKind;
      title: string;
      modelPath: string;
      targets?: string[];
      measurement?: MeasurementSource;
      atMs: number;
    }
  | {
      type: 'job-submit-failed';
      jobId: string;
      kind: StudioJobKind;
      title: string;
      modelPath: string;
      error: StudioErrorInfo;
      atMs: number;
      targets?: string[];
    }
  | { type: 'job-event'; event: JobEvent }
  /** Several events at once: the page batches them so a streaming benchmark re-renders a few times a second. */
  | { type: 'job-events'; events: JobEvent[] }
  | { type: 'jobs-synced'; jobs: JobInfo[]; titles: Record<string, string> }
  | { type: 'cancel-requested'; jobId: string }
  /** A message about a job from the page itself (e.g. cancelling it failed). */
  | { type: 'job-note'; jobId: string; message: string }
  | { type: 'jobs-cleared' }
  /**
   * onnx-studio serve stopped (`closing`: it said so as it closed, Ctrl+C) or was found restarted (`cut off`):
   * the jobs it ran ended with it, and its pipelines read as it records them (serveStopped).
   */
  | { type: 'serve-stopped'; how: PipelineInterruption; atMs: number };

/**
 * What a connection state of the serve host (ws-host.ts `ConnectionState`) says of the jobs serve was running:
 * `closing` when serve said it stops (it cancels them), `cut off` when it came back from a restart (another
 * build, or a new token: the process that ran them is gone); undefined when the page cannot tell (a dropped
 * connection: they may still run) or they go on.
 */
export function serveStopKind(connection: string): PipelineInterruption | undefined {
  if (connection === 'stopped') return 'closing';
  if (connection === 'outdated' || connection === 'expired') return 'cut off';
  return undefined;
}

export function isActive(job: JobRecord): boolean {
  return job.status === 'queued' || job.status === 'running';
}

export function studioReducer(state: StudioState, action: StudioAction): StudioState {
  switch (action.type) {
    case 'model-opened':
      return {
        ...state,
        model: action.summary,
        workspace: action.workspace,
        live: state.live.filter((run) => run.modelPath === action.summary.path && !run.recordId),
      };
    case 'workspace-loaded': {
      if (!state.model || action.workspace.model.path !== state.model.path) return state;
      const recorded = new Set(action.workspace.benchmarks.map((b) => b.id));
      // Runs whose record arrived are shown from the workspace now.
      const live = state.live.filter((run) => !(run.recordId && recorded.has(run.recordId)));
      return { ...state, workspace: action.workspace, live };
    }
    case 'job-submitted': {
      // A listing (another tab's catch-up, a reconnect) may have brought the job in before its start answered:
      // the record stays, with what only the submitter knows added.
      const listed = state.jobs.find((j) => j.jobId === action.jobId);
      if (listed) {
        const known = {
          ...listed,
          title: action.title,
          targets: action.targets ?? listed.targets,
          ...(action.measurement ? { measurement: action.measurement } : {}),
        };
        const jobs = state.jobs.map((j) => (j === listed ? known : j));
        // The listing resumed an engine benchmark's live run already (resumeLive); any other starts here, but
        // only while the job runs: one that ended had its run finished and dropped, and a new one stayed "live".
        const hasLive = state.live.some((r) => r.jobId === action.jobId);
        const live =
          action.measurement && !hasLive && isActive(listed)
            ? [
                ...state.live,
                {
                  jobId: action.jobId,
                  modelPath: action.modelPath,
                  source: action.measurement,
                  targets: known.targets,
                  samples: {},
                },
              ]
            : state.live;
        return { ...state, jobs, live };
      }
      const job: JobRecord = {
        jobId: action.jobId,
        kind: action.kind,
        title: action.title,
        modelPath: action.modelPath,
        targets: action.targets ?? [],
        status: 'queued',
        fraction: 0,
        stage: 'queued',
        submittedAtMs: action.atMs,
        notes: [],
        cancelRequested: false,
        lastSeq: -1,
        ...(action.measurement ? { measurement: action.measurement } : {}),
      };
      let next: StudioState = { ...state, jobs: trimJobs([...state.jobs, job]) };
      if (action.measurement) {
        next = {
          ...next,
          live: [
            ...next.live,
            {
              jobId: action.jobId,
              modelPath: action.modelPath,
              source: action.measurement,
              targets: job.targets,
              samples: {},
            },
          ],
        };
      }
      const early = state.earlyEvents.filter((e) => e.jobId === action.jobId);
      if (early.length > 0) {
        next = { ...next, earlyEvents: state.earlyEvents.filter((e) => e.jobId !== action.jobId) };
        for (const event of early.sort((a, b) => a.seq - b.seq)) next = applyJobEvent(next, event);
      }
      return next;
    }
    case 'job-submit-failed':
      return {
        ...state,
        jobs: trimJobs([
          ...state.jobs,
          {
            jobId: action.jobId,
            kind: action.kind,
            title: action.title,
            modelPath: action.modelPath,
            targets: action.targets ?? [],
            status: 'failed',
            fraction: 0,
            stage: 'not started',
            submittedAtMs: action.atMs,
            finishedAtMs: action.atMs,
            error: action.error,
            notes: [],
            cancelRequested: false,
            lastSeq: -1,
          },
        ]),
      };
    case 'job-event':
      return applyJobEvent(state, action.event);
    case 'job-events':
      return action.events.reduce(applyJobEvent, state);
    case 'jobs-synced':
      return syncJobs(state, action.jobs, action.titles);
    case 'cancel-requested':
      return updateJob(state, action.jobId, (job) => ({ ...job, cancelRequested: true }));
    case 'job-note':
      return updateJob(state, action.jobId, (job) => ({
        ...job,
        notes: [...job.notes, action.message].slice(-MAX_NOTES),
      }));
    case 'serve-stopped':
      return serveStopped(state, action.how, action.atMs);
    case 'jobs-cleared': {
      const cleared = state.jobs.filter((j) => !isActive(j)).map((j) => j.jobId);
      return {
        ...state,
        jobs: state.jobs.filter(isActive),
        clearedJobIds: [...(state.clearedJobIds ?? []), ...cleared].slice(-MAX_CLEARED_IDS),
      };
    }
  }
}

/**
 * Succeeded and cancelled jobs beyond the newest 50 are dropped, oldest first; active ones always stay, and
 * failed ones stay (up to MAX_FAILED_JOBS) until the user clears the list.
 *
 * A failure a later run made good (state/job-outcomes.ts) is trimmed with the finished jobs, by its age: kept
 * apart, it outlived the success that made it good (newer, but trimmed by the limit of 50), and the bar counted
 * it as failed again ("2 failed" for an export that had since succeeded). Oldest first by submission, so the
 * failure always goes before (or with) the rerun that made it good.
 */
function trimJobs(jobs: JobRecord[]): JobRecord[] {
  const resolved = resolvedFailures(jobs);
  const standing = (j: JobRecord) => j.status === 'failed' && !resolved.has(j.jobId);
  const ended = jobs
    .filter((j) => !isActive(j) && !standing(j))
    .sort((a, b) => a.submittedAtMs - b.submittedAtMs);
  const failed = jobs.filter(standing);
  const drop = new Set(
    [
      ...ended.slice(0, Math.max(0, ended.length - MAX_FINISHED_JOBS)),
      ...failed.slice(0, Math.max(0, failed.length - MAX_FAILED_JOBS)),
    ].map((j) => j.jobId),
  );
  return drop.size === 0 ? jobs : jobs.filter((j) => !drop.has(j.jobId));
}

function updateJob(state: StudioState, jobId: string, update: (job: JobRecord) => JobRecord): StudioState {
  const index = state.jobs.findIndex((j) => j.jobId === jobId);
  if (index < 0) return state;
  const jobs = state.jobs.slice();
  jobs[index] = update(jobs[index] as JobRecord);
  return { ...state, jobs };
}

function updateLive(state: StudioState, jobId: string, update: (run: LiveRun) => LiveRun): StudioState {
  const index = state.live.findIndex((r) => r.jobId === jobId);
  if (index < 0) return state;
  const live = state.live.slice();
  live[index] = update(live[index] as LiveRun);
  return { ...state, live };
}


function applyJobEvent(state: StudioState, event: JobEvent): StudioState {
  const job = state.jobs.find((j) => j.jobId === event.jobId);
  if (!job) return { ...state, earlyEvents: [...state.earlyEvents, event].slice(-MAX_EARLY_EVENTS) };
  // Duplicates (a reconnecting socket may resend) and events after the terminal one are dropped.
  if (event.seq <= job.lastSeq || !isActive(job)) return state;
  const seen: JobRecord = { ...job, lastSeq: event.seq };

  switch (event.type) {
    case 'progress': {
      const running = event.stage !== 'queued';
      const next: JobRecord = {
        ...seen,
        status: running ? 'running' : 'queued',
        fraction: event.fraction,
        stage: event.stage,
      };
      if (running && seen.runningSinceMs === undefined) next.runningSinceMs = event.timeMs;
      if (event.etaMs !== undefined) {
        next.etaMs = event.etaMs;
        next.etaAtMs = event.timeMs;
      } else {
        delete next.etaMs;
        delete next.etaAtMs;
      }
      return updateJob(state, job.jobId, () => next);
    }
    case 'log':
      return updateJob(state, job.jobId, () =>
        shownAsNote(seen.kind, event.level)
          ? { ...seen, notes: [...seen.notes, event.message].slice(-MAX_NOTES) }
          : seen,
      );
    case 'metric': {
      const withJob = updateJob(state, job.jobId, () =>
        seen.status === 'queued'
          ? { ...seen, status: 'running', runningSinceMs: seen.runningSinceMs ?? event.timeMs }
          : seen,
      );
      const index = parseLatencyMetricName(event.name);
      const target = index === undefined ? undefined : job.targets[index];
      if (target === undefined) return withJob;
      return updateLive(withJob, job.jobId, (run) => {
        const samples = (run.samples[target] ?? []).concat(event.values);
        if (samples.length > MAX_LIVE_SAMPLES) samples.splice(0, samples.length - MAX_LIVE_SAMPLES);
        return { ...run, samples: { ...run.samples, [target]: samples } };
      });
    }
    case 'failed':
      return dropLive(
        updateJob(state, job.jobId, () => ({
          ...seen,
          status: 'failed',
          error: event.error,
          finishedAtMs: event.timeMs,
        })),
        job.jobId,
      );
    case 'cancelled':
      return dropLive(
        updateJob(state, job.jobId, () => ({
          ...seen,
          status: 'cancelled',
          finishedAtMs: event.timeMs,
          ...(event.interrupted ? { interrupted: event.interrupted } : {}),
        })),
        job.jobId,
      );
    case 'result': {
      const done = updateJob(state, job.jobId, () => ({
        ...seen,
        status: 'done',
        fraction: 1,
        stage: 'done',
        finishedAtMs: event.timeMs,
        result: event.result,
        ...(event.partial !== undefined ? { partial: event.partial } : {}),
      }));
      return finishLive(done, job, event.result);
    }
  }
}

/**
 * onnx-studio serve stopped: the jobs it ran (every job but the page's own browser benchmarks, which run in the
 * page) end interrupted, saying why, as the banner says, instead of running on with a countdown and a Cancel that
 * can reach nothing; they and the open model's running pipelines read as serve records them (interrupted, not
 * cancelled: shared/pipeline-interruption.ts; its job history lists the jobs so after a restart), and a queueing
 * it was doing is over. A restarted serve reports the same.
 */
function serveStopped(state: StudioState, how: PipelineInterruption, atMs: number): StudioState {
  let next = state;
  for (const job of state.jobs) {
    if (!isActive(job) || isPageJob(job.jobId)) continue;
    next = dropLive(
      updateJob(next, job.jobId, ({ etaMs: _eta, etaAtMs: _at, ...rest }) => ({
        ...rest,
        status: 'cancelled',
        stage: 'stopped',
        finishedAtMs: atMs,
        interrupted: how,
      })),
      job.jobId,
    );
  }
  const ws = next.workspace;
  if (!ws) return next;
  const running = (ws.pipelines ?? []).some((p) => p.status === 'running');
  if (!running && !ws.startsInFlight?.length) return next;
  const { startsInFlight: _starts, ...rest } = ws;
  return {
    ...next,
    workspace: {
      ...rest,
      ...(ws.pipelines ? { pipelines: ws.pipelines.map((p) => interruptedPipeline(p, how)) } : {}),
    },
  };
}

function dropLive(state: StudioState, jobId: string): StudioState {
  return state.live.some((r) => r.jobId === jobId)
    ? { ...state, live: state.live.filter((r) => r.jobId !== jobId) }
    : state;
}

/**
 * A benchmark's result: keep its final figures beside the streamed samples until the workspace record
 * arrives. Engine jobs answer `{report, recordId}`; browser runs answer the same shape built by the page.
 */
function finishLive(state: StudioState, job: JobRecord, result: unknown): StudioState {
  if (!job.measurement) return state;
  const report =
    isRecord(result) && isRecord(result.report) ? (result.report as Partial<BenchReport>) : undefined;
  const results = Array.isArray(report?.results) ? report.results : [];
  const final: Record<string, LatencyStats> = {};
  results.forEach((r, i) => {
    // A browser benchmark's result names its model's place (`index`): a model before it may have failed.
    const target = job.targets[isRecord(r) && typeof r.index === 'number' ? r.index : i];
    if (target === undefined || !isRecord(r) || typeof r.p50Ms !== 'number') return;
    final[target] = latencyStatsOf(r);
  });
  const recordId = isRecord(result) && typeof result.recordId === 'string' ? result.recordId : undefined;
  if (recordId && state.workspace?.benchmarks.some((b) => b.id === recordId))
    return dropLive(state, job.jobId);
  return updateLive(state, job.jobId, (run) => ({ ...run, final, ...(recordId ? { recordId } : {}) }));
}

/**
 * Jobs the backend knows and this page does not (after a reload or reconnect): add them, update the rest. A
 * running benchmark comes back live: its samples so far (`info.metrics`, up to `info.lastSeq`) start its live
 * run, and the events that arrived meanwhile (`earlyEvents`) continue it from there.
 */
function syncJobs(state: StudioState, infos: JobInfo[], titles: Record<string, string>): StudioState {
  let next = state;
  const cleared = new Set(state.clearedJobIds ?? []);
  for (const info of infos) {
    if (cleared.has(info.jobId)) continue;
    const known = next.jobs.find((j) => j.jobId === info.jobId);
    const status: JobStatus =
      info.state === 'succeeded'
        ? 'done'
        : info.state === 'failed'
          ? 'failed'
          : info.state === 'cancelled'
            ? 'cancelled'
            : info.state;
    if (known) {
      // Events missed while disconnected: take the backend's view if it is further along.
      if (info.lastSeq > known.lastSeq && isActive(known)) {
        next = updateJob(next, info.jobId, (j) => recordFromInfo(info, j.title, status, j));
        next = resumeLive(next, info);
      }
      continue;
    }
    next = {
      ...next,
      jobs: trimJobs([...next.jobs, recordFromInfo(info, titles[info.jobId] ?? info.spec.kind, status)]),
    };
    next = resumeLive(next, info);
    const early = next.earlyEvents.filter((e) => e.jobId === info.jobId);
    if (early.length > 0) {
      // Those up to `lastSeq` are in the backend's figures already: applyJobEvent drops them by their seq.
      next = { ...next, earlyEvents: next.earlyEvents.filter((e) => e.jobId !== info.jobId) };
      for (const event of early.sort((a, b) => a.seq - b.seq)) next = applyJobEvent(next, event);
    }
  }
  return next;
}

/** Who measures a benchmark job of the engine: onnxruntime-node with the spec's provider. */
function engineMeasurement(info: JobInfo): MeasurementSource | undefined {
  return info.spec.kind === 'bench' ? { engine: 'onnxruntime-node', provider: info.spec.ep ?? 'cpu' } : undefined;
}

/**
 * A running benchmark's live run from the backend's figures so far: its samples per target, replacing what
 * the page had (the backend's are complete up to `info.lastSeq`, the page's may have gaps).
 */
function resumeLive(state: StudioState, info: JobInfo): StudioState {
  const source = engineMeasurement(info);
  if (!source || (info.state !== 'running' && info.state !== 'queued')) return state;
  const targets = measuredTargets(info.spec);
  const samples: Record<string, number[]> = {};
  for (const metric of info.metrics ?? []) {
    const index = parseLatencyMetricName(metric.name);
    const target = index === undefined ? undefined : targets[index];
    if (target === undefined) continue;
    samples[target] = (samples[target] ?? []).concat(metric.values).slice(-MAX_LIVE_SAMPLES);
  }
  const run: LiveRun = { jobId: info.jobId, modelPath: info.spec.modelPath, source, targets, samples };
  const others = state.live.filter((r) => r.jobId !== info.jobId);
  return { ...state, live: [...others, run] };
}

function recordFromInfo(info: JobInfo, title: string, status: JobStatus, base?: JobRecord): JobRecord {
  const terminal = info.terminal;
  const record: JobRecord = {
    notes: [],
    cancelRequested: false,
    ...base,
    jobId: info.jobId,
    kind: info.spec.kind,
    title,
    modelPath: info.spec.modelPath,
    targets: measuredTargets(info.spec),
    ...(engineMeasurement(info) ? { measurement: engineMeasurement(info) } : {}),
    status,
    fraction: status === 'done' ? 1 : (info.progress?.fraction ?? 0),
    stage: info.progress?.stage ?? (status === 'queued' ? 'queued' : status),
    // A job the page already shows keeps its place: only a job first seen here takes the backend's time.
    submittedAtMs: base?.submittedAtMs ?? info.createdAt,
    lastSeq: info.lastSeq,
  };
  if (info.startedAt !== undefined) record.runningSinceMs = info.startedAt;
  if (info.endedAt !== undefined) record.finishedAtMs = info.endedAt;
  if (terminal?.type === 'failed') record.error = terminal.error;
  if (terminal?.type === 'result') record.result = terminal.result;
  // A job of an earlier run that ONNX Studio stopped under (the backend's job history).
  if (terminal?.type === 'cancelled' && terminal.interrupted) record.interrupted = terminal.interrupted;
  return record;
}
