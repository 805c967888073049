/**
 * The experiment of a model (shared/workspace.ts `Experiment`) on the backend's side: storing it, checking
 * data against the model before a job is queued, and applying the input spec to every job that does not
 * state its own shapes. The experiment is the backend's data: the page only asks to change it.
 */
import path from 'node:path';
import {
  datasetCheckProgressSchema,
  type DatasetCheckProgress,
  type DatasetCheckReport,
  type DatasetCheckRequest,
  type ExperimentSetRequest,
} from '../../../shared/ipc-contract.js';
import { applyExperimentChange, experimentDatasetFor } from '../../../shared/experiment.js';
import { inputSpecProblem } from '../../../shared/input-spec.js';
import type { Workspace } from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import type { ExecutorDeps } from './job-executors.js';
import { detachedContext, inspectInTask, runTask } from './job-executors.js';
import { type DatasetCheckCache, type DatasetCheckTask, type KeptCheck } from './dataset-check-cache.js';
import { CHECK_PROGRESS_METRIC } from './task-protocol.js';

/** Samples read of samples to read (0: not known), as the check's task process reports them. */
export type CheckCounts = (done: number, total: number) => void;

/** Applies an `studio:experiment.set` request to the workspace; the input spec is checked against the model. */
export async function setExperiment(deps: ExecutorDeps, request: ExperimentSetRequest): Promise<Workspace> {
  if (request.inputs) {
    const ws = await deps.store.get(request.modelPath);
    const summary = ws.model.summary ?? (await inspectInTask(deps, request.modelPath));
    const problem = inputSpecProblem(summary.inputs, request.inputs);
    if (problem) throw new StudioError('BAD_INPUT', `${problem} Correct the input spec and save it again.`);
  }
  await deps.store.update(request.modelPath, (ws) => {
    ws.experiment = applyExperimentChange(ws.experiment, request, new Date().toISOString());
  });
  return deps.store.get(request.modelPath);
}

/**
 * What a data check runs in its task process: the request resolved against the workspace (the model file of
 * its target, the experiment's input spec and its name for the data). All a check's report depends on, with
 * the files it reads.
 */
export async function datasetCheckTask(
  deps: ExecutorDeps,
  request: DatasetCheckRequest,
): Promise<DatasetCheckTask> {
  const ws = await deps.store.get(request.modelPath);
  const model = await deps.store.resolveTarget(request.modelPath, request.target ?? 'original');
  const inputs = ws.experiment?.inputs;
  const named = experimentDatasetFor(ws, request.data);
  return {
    kind: 'checkDataset',
    model: model.path,
    data: request.data.spec,
    baseDir: request.data.baseDir ?? path.dirname(path.resolve(request.modelPath)),
    role: request.role,
    ...(named ? { name: named.name } : {}),
    ...(inputs ? { shapes: inputs.shapes, ...(inputs.values ? { values: inputs.values } : {}) } : {}),
  };
}

/**
 * `studio:dataset.check`: opens the data against the model in a task process, with the experiment's spec.
 * `signal` stops it (the task process is asked to stop, then killed after the pool's grace period): it ends
 * with a CANCELLED error. `onCounts` hears the samples read (throttled by the task process).
 */
export async function checkDatasetInTask(
  deps: ExecutorDeps,
  request: DatasetCheckRequest,
  signal?: AbortSignal,
  onCounts?: CheckCounts,
): Promise<DatasetCheckReport> {
  const task = await datasetCheckTask(deps, request);
  if (signal?.aborted) throw checkCancelled();
  try {
    return await runTask<DatasetCheckReport>(deps, task, {
      ...detachedContext(),
      ...(signal ? { signal } : {}),
      metric: (name, _unit, values) => {
        if (name === CHECK_PROGRESS_METRIC && values.length === 2) onCounts?.(values[0]!, values[1]!);
      },
    });
  } catch (error) {
    if (signal?.aborted && error instanceof StudioError && error.code === 'CANCELLED') throw checkCancelled();
    throw error;
  }
}

function checkCancelled(): StudioError {
  return new StudioError('CANCELLED', 'The data check was cancelled.');
}

/**
 * The data checks the page started with a `checkId`, so `studio:dataset.cancelCheck` can stop one in the
 * engine (not only stop waiting for it), as `studio:job.cancel` stops a job, and so its progress reaches the
 * page (`studio:dataset.checkProgress`, through `onProgress`). With a cache, a check whose request and files
 * are unchanged since it last passed answers that report instead of reading the data again.
 */
export class DatasetChecks {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly deps: ExecutorDeps,
    /** What runs one check (a test gives its own). */
    private readonly runOne: typeof checkDatasetInTask = checkDatasetInTask,
    /** Where progress goes (the backend's `studio:dataset.checkProgress` events). */
    private readonly onProgress: (progress: DatasetCheckProgress) => void = () => {},
    /** Checks that passed, shared by `studio:dataset.check` and the pipelines' checks (without: every check runs). */
    private readonly cache?: DatasetCheckCache,
  ) {}

  /** Runs a check; one with a `checkId` can be cancelled by it until it ends, and reports its progress. */
  async check(request: DatasetCheckRequest): Promise<DatasetCheckReport> {
    const { checkId, ...rest } = request;
    return this.run(checkId, (check) => check(rest));
  }

  /**
   * Runs `work`, which may run several checks (a pipeline's calibration, then evaluation data) through `check`:
   * with a `checkId`, all of them are cancelled by that id until `work` ends, and report their progress under it.
   * `signal` (with a `checkId`) tells `work` a cancel came after its last check ended, before it acted on them.
   */
  async run<T>(
    checkId: string | undefined,
    work: (
      check: (request: DatasetCheckRequest) => Promise<DatasetCheckReport>,
      signal?: AbortSignal,
    ) => Promise<T>,
  ): Promise<T> {
    if (checkId === undefined) return work((request) => this.checkOnce(request));
    // Registered before the first await, so a cancel sent right after the request finds it.
    if (this.running.has(checkId)) {
      throw new StudioError(
        'BAD_REQUEST',
        `A data check with the id ${checkId} is already running. This is a bug in the page that sent it; reload it and try again.`,
      );
    }
    const controller = new AbortController();
    this.running.set(checkId, controller);
    try {
      return await work(async (request) => {
        if (controller.signal.aborted) throw checkCancelled();
        return this.checkOnce(request, controller.signal, (done, total) => {
          if (controller.signal.aborted) return;
          this.report({ checkId, done, total, role: request.role });
        });
      }, controller.signal);
    } finally {
      // A cancel removed this check's entry already; a new check may have taken the id since.
      if (this.running.get(checkId) === controller) this.running.delete(checkId);
    }
  }

  /**
   * One check: the kept report when the cache holds one for this request on these files, else the check runs,
   * and is kept when it passes with nothing it depends on changed meanwhile. A failed or cancelled check throws,
   * so it is never kept.
   */
  private async checkOnce(
    request: DatasetCheckRequest,
    signal?: AbortSignal,
    onCounts?: CheckCounts,
  ): Promise<DatasetCheckReport> {
    if (!this.cache) return this.runOne(this.deps, request, signal, onCounts);
    const key = await this.keyOf(request);
    const kept = key === undefined ? undefined : this.cache.get(key);
    if (kept) return reuse(kept, signal, onCounts);
    let counts: KeptCheck['counts'];
    const report = await this.runOne(this.deps, request, signal, (done, total) => {
      counts = { done, total };
      onCounts?.(done, total);
    });
    // `runOne` resolves the request itself: an input spec saved (or a file rewritten) while the check ran means
    // the report may be of either version, so it is kept only under a key that held from start to end.
    if (key !== undefined && key === (await this.keyOf(request))) {
      this.cache.keep(key, { report, ...(counts ? { counts } : {}) });
    }
    return report;
  }

  private async keyOf(request: DatasetCheckRequest): Promise<string | undefined> {
    return this.cache?.keyOf(await datasetCheckTask(this.deps, request));
  }

  /** Stops the running check with this id; false when there is none (it ended, or never started). */
  cancel(checkId: string): boolean {
    const controller = this.running.get(checkId);
    if (!controller) return false;
    this.running.delete(checkId);
    controller.abort();
    return true;
  }

  /** Stops every running check (the backend is shutting down). */
  cancelAll(): void {
    for (const id of [...this.running.keys()]) this.cancel(id);
  }

  /** Counts come from a task process: only what the contract allows reaches the page. */
  private report(progress: DatasetCheckProgress): void {
    const parsed = datasetCheckProgressSchema.safeParse(progress);
    if (parsed.success) this.onProgress(parsed.data);
  }
}

/**
 * A kept report, answered as a check that read everything at once: its first and last counts are replayed, so
 * a page waiting on it sees "0 of N", then "N of N" (as a quick check reports), and ends its progress as usual.
 */
function reuse(
  kept: KeptCheck,
  signal: AbortSignal | undefined,
  onCounts: CheckCounts | undefined,
): DatasetCheckReport {
  if (signal?.aborted) throw checkCancelled();
  if (kept.counts) {
    onCounts?.(0, kept.counts.total);
    onCounts?.(kept.counts.done, kept.counts.total);
  }
  return kept.report;
}
