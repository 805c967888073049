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
import {
  checkCancelled,
  type CheckCounts,
  type DatasetCheckCache,
  type DatasetCheckTask,
} from './dataset-check-cache.js';
import { CHECK_PROGRESS_METRIC } from './task-protocol.js';

export type { CheckCounts };

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
 * with a CANCELLED error. `onCounts` hears the samples read (throttled by the task process). `resolved` is the
 * request already resolved by the caller (`datasetCheckTask`), so the check runs the very task it was keyed by.
 */
export async function checkDatasetInTask(
  deps: ExecutorDeps,
  request: DatasetCheckRequest,
  signal?: AbortSignal,
  onCounts?: CheckCounts,
  resolved?: DatasetCheckTask,
): Promise<DatasetCheckReport> {
  const task = resolved ?? (await datasetCheckTask(deps, request));
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

/**
 * The data checks the page started with a `checkId`, so `studio:dataset.cancelCheck` can stop one in the
 * engine (not only stop waiting for it), as `studio:job.cancel` stops a job, and so its progress reaches the
 * page (`studio:dataset.checkProgress`, through `onProgress`). With a cache, a check whose request and files
 * are unchanged since it last passed answers that report instead of reading the data again, and one sent while
 * the same check runs waits for that one.
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
      /** `item`: which pipeline of a `studio:pipeline.start` the check is for (its progress says so). */
      check: (request: DatasetCheckRequest, item?: number) => Promise<DatasetCheckReport>,
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
      return await work(async (request, item) => {
        if (controller.signal.aborted) throw checkCancelled();
        return this.checkOnce(request, controller.signal, (done, total) => {
          if (controller.signal.aborted) return;
          this.report({ checkId, done, total, role: request.role, ...(item !== undefined ? { item } : {}) });
        });
      }, controller.signal);
    } finally {
      // A cancel removed this check's entry already; a new check may have taken the id since.
      if (this.running.get(checkId) === controller) this.running.delete(checkId);
    }
  }

  /**
   * One check, through the cache when there is one: its kept report, or that of the same check running now,
   * else the check runs (see `DatasetCheckCache.check`). A failed or cancelled check throws, so it is never kept.
   */
  private async checkOnce(
    request: DatasetCheckRequest,
    signal?: AbortSignal,
    onCounts?: CheckCounts,
  ): Promise<DatasetCheckReport> {
    if (!this.cache) return this.runOne(this.deps, request, signal, onCounts);
    // Resolved once (the workspace read): the key, the stamp of its files and the check itself are of this one
    // task, so an input spec saved while it runs is the next check's, never a mix of two in one kept report.
    const task = await datasetCheckTask(this.deps, request);
    return this.cache.check(
      task,
      (runSignal, runCounts) => this.runOne(this.deps, request, runSignal, runCounts, task),
      signal,
      onCounts,
    );
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
