/**
 * The one implementation of the contract (shared/ipc-contract.ts), host-independent: Electron's ipc.ts and
 * the `serve` WebSocket both validate a request, call `dispatch`, and fan out `onEvent`. It owns the job
 * manager, the workspace store, the recent list, the task processes and the benchmark engine process.
 * Native dialogs are the one thing a host adds (`hostHandlers`); `serve` has none and says what to use instead.
 */
import os from 'node:os';
import { int8Support } from '../bench/int8-support.js';
import { collectSweep } from '../sweep/collect-sweep.js';
import type { TuneJobs } from '../tune/tune-jobs.js';
import { cutOffTunes, markTunesCutOff } from '../tune/tune-records.js';
import path from 'node:path';
import type { Result } from '../../../shared/errors.js';
import { variantInUseMessage } from '../../../shared/job-targets.js';
import {
  PipelineRefusal,
  PipelineRunner,
  type PipelineJobOutcome,
} from '../../../shared/pipeline-runner.js';
import type { Workspace } from '../../../shared/workspace.js';
import {
  IPC_CHANNELS,
  parseIpcRequest,
  type AppInfo,
  type IpcMethodChannel,
  type IpcMethods,
  type IpcRequest,
  type IpcResponse,
  type JobSpec,
  type SampleModelInfo,
  type StudioEvent,
} from '../../../shared/ipc-contract.js';
import { StudioError, errorFromInfo, toErrorInfo } from '../errors.js';
import { EngineClient } from '../host/engine-client.js';
import { buildReport, saveReport } from '../report/report-files.js';
import { dataPaths } from '../workspace/data-dir.js';
import { removeStaleTempFiles, type StaleTempFiles } from '../workspace/stale-temp-files.js';
import { RecentModels } from '../workspace/recent-models.js';
import { newId, workspaceKey, WorkspaceStore } from '../workspace/workspace-store.js';
import {
  detachedContext,
  executeJob,
  inspectInTask,
  isExclusive,
  laneOf,
  runTask,
  type ExecutorDeps,
} from './job-executors.js';
import type { ModelGraph } from '../../../shared/model-graph.js';
import type { ModelDiff } from '../../../shared/model-diff.js';
import { JobHistory } from './job-history.js';
import { JobManager, type JobLane } from './job-manager.js';
import { listFolder } from './list-folder.js';
import { activeJobReading } from './job-targets.js';
import { sampleExperiment } from '../../../shared/experiment.js';
import { jobTitle, workspaceTargetName } from '../../../shared/job-titles.js';
import { DatasetCheckCache } from './dataset-check-cache.js';
import { checkDatasetInTask, DatasetChecks, setExperiment } from './experiment.js';
import { sampleModel } from './sample-model.js';
import { TaskPool } from './task-pool.js';

export type HostHandler<C extends IpcMethodChannel> = (
  request: IpcRequest<C>,
  context: unknown,
) => Promise<IpcMethods[C]['response']>;
export type HostHandlers = { [C in IpcMethodChannel]?: HostHandler<C> };

export interface StudioBackendOptions {
  /** Where workspaces and the recent list live (the user data folder; a temp folder in tests). */
  dataDir: string;
  host: AppInfo['host'];
  version: string;
  capabilities: AppInfo['capabilities'];
  /** Handlers the host answers itself (native dialogs). Anything else here overrides the default. */
  hostHandlers?: HostHandlers;
  /** The benchmark engine (default: a fresh `EngineClient` forking the engine process). */
  engine?: EngineClient;
  /** Task processes (default: a fresh `TaskPool` with `child_process.fork`). */
  tasks?: TaskPool;
  /** The bundled sample (default: found on disk; `null` for none). */
  sample?: SampleModelInfo | null;
  concurrency?: Partial<Record<JobLane, number>>;
}

type Handler<C extends IpcMethodChannel> = (
  request: IpcRequest<C>,
  context: unknown,
) => Promise<IpcMethods[C]['response']>;

/** How often a model's load check looks again whether the benchmarks it waits for have ended. */
const LOAD_CHECK_WAIT_MS = 500;

export class StudioBackend {
  readonly store: WorkspaceStore;
  readonly recent: RecentModels;
  readonly jobs: JobManager<JobSpec>;
  /** The jobs that ran in this data folder, kept across restarts (`studio:job.list` lists them too). */
  readonly history: JobHistory;
  /**
   * The removal of what killed processes left in the data folder, started with the backend and awaited by
   * nothing it serves (a large folder on a slow disk would hold up the start): its files are other processes',
   * never this one's. Never rejects; a failure is logged.
   */
  readonly staleTempSweep: Promise<StaleTempFiles | undefined>;
  readonly engine: EngineClient;
  readonly tasks: TaskPool;
  readonly pipelines: PipelineRunner;
  /** Data checks in flight, by the id the page gave them (`studio:dataset.cancelCheck`). */
  readonly checks: DatasetChecks;
  /**
   * Runs a job to its end (its result, or its error as a StudioError) and removes variants: what a caller that
   * drives several jobs needs (the demo, `tune`, `trial`, and a tune job's trials).
   */
  readonly runner: TuneJobs;
  private readonly deps: ExecutorDeps;
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  private readonly handlers: { [C in IpcMethodChannel]: Handler<C> };
  private readonly options: StudioBackendOptions;

  constructor(options: StudioBackendOptions) {
    this.options = options;
    const paths = dataPaths(options.dataDir);
    // What killed processes left (a cancelled job's scratch file can weigh GBs).
    this.staleTempSweep = removeStaleTempFiles(options.dataDir).catch((error: unknown) => {
      console.warn(`[backend] Could not remove stale temporary files from ${options.dataDir}:`, error);
      return undefined;
    });
    this.history = new JobHistory(paths.jobs);
    // Jobs left unfinished by a process that was killed read as interrupted from now on.
    void this.history.start();
    this.store = new WorkspaceStore(paths.workspaces);
    this.recent = new RecentModels(paths.recent);
    this.engine = options.engine ?? new EngineClient();
    this.tasks = options.tasks ?? new TaskPool();
    this.deps = { store: this.store, recent: this.recent, tasks: this.tasks, engine: this.engine };
    this.checks = new DatasetChecks(
      this.deps,
      checkDatasetInTask,
      (progress) => this.emit({ channel: IPC_CHANNELS.datasetCheckProgress, payload: progress }),
      // The Optimize view checks its data, then each pipeline it queues checks it again: read it once.
      new DatasetCheckCache(),
    );
    this.jobs = new JobManager<JobSpec>({
      execute: (spec, ctx) => executeJob(this.deps, spec, ctx),
      laneOf,
      isExclusive,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    // A tune job's trials are jobs of this manager too: they show in the job list and keep the lanes' rules.
    this.runner = {
      run: async (spec, what, title) => {
        const { done } = this.jobs.start(spec, { title: title ?? (await this.titleOf(spec)) });
        const end = await done;
        if (end.type === 'result') return end.result as never;
        if (end.type === 'cancelled') throw new StudioError('CANCELLED', `${what} was cancelled.`);
        throw errorFromInfo(end.error, `${what} failed: ${end.error.message}`);
      },
      removeVariant: async (modelPath, variantId) => {
        const removed = await this.dispatch(IPC_CHANNELS.workspaceRemoveVariant, { modelPath, variantId });
        if (!removed.ok) throw new StudioError(removed.error.code, removed.error.message);
      },
    };
    this.deps.jobs = this.runner;
    this.pipelines = new PipelineRunner({
      startJob: (spec, title) => {
        const { jobId, done } = this.jobs.start(spec, title !== undefined ? { title } : {});
        return {
          jobId,
          done: done.then((end): PipelineJobOutcome => {
            if (end.type === 'result') return { status: 'done', result: end.result };
            if (end.type === 'failed') return { status: 'failed', error: end.error };
            return { status: 'cancelled' };
          }),
        };
      },
      update: async (modelPath, mutate) => {
        await this.store.update(modelPath, mutate);
      },
      newId: () => newId('p'),
      now: () => new Date().toISOString(),
      // The pages read the starts in flight with the workspace (`studio:workspace.get`): they read it again.
      startsChanged: (modelPath) =>
        this.emit({
          channel: IPC_CHANNELS.workspaceChanged,
          payload: { modelPath: path.resolve(modelPath), key: workspaceKey(modelPath) },
        }),
    });
    this.jobs.onEvent((event) => this.emit({ channel: IPC_CHANNELS.jobEvent, payload: event }));
    this.jobs.onStateChange((info) => this.history.record(info));
    this.store.onChange((change) => this.emit({ channel: IPC_CHANNELS.workspaceChanged, payload: change }));
    this.recent.onChange((paths) => this.emit({ channel: IPC_CHANNELS.recentChanged, payload: paths }));
    this.handlers = {
      ...this.defaultHandlers(),
      ...(options.hostHandlers as Partial<{ [C in IpcMethodChannel]: Handler<C> }>),
    };
  }

  /**
   * A job's title, its targets named from its model's workspace (shared/job-titles.ts): the title the page
   * gives the job it submits, so a reloaded page that finds the job in `studio:job.list` shows the same one.
   */
  private async titleOf(spec: JobSpec): Promise<string> {
    let ws: Workspace | undefined;
    try {
      ws = spec.kind === 'inspect' ? undefined : await this.store.get(spec.modelPath);
    } catch {
      ws = undefined; // The job itself says what is wrong with the model; the title names what it can.
    }
    return jobTitle(spec, (target) => workspaceTargetName(ws, target));
  }

  /** Every event for the UI (job events, workspace and recent-list changes). */
  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates a payload from the UI with the contract's schema and runs the method. Never throws: failures
   * are `{ ok: false, error }`. `context` is passed to host handlers (Electron: the IPC event).
   */
  async dispatch<C extends IpcMethodChannel>(
    channel: C,
    payload: unknown,
    context?: unknown,
  ): Promise<IpcResponse<C>> {
    const parsed = parseIpcRequest(channel, payload);
    if (!parsed.ok) return parsed;
    try {
      const handler = this.handlers[channel] as Handler<C>;
      return { ok: true, value: await handler(parsed.value, context) } as IpcResponse<C>;
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) } as Result<never>;
    }
  }

  /**
   * Stops every job (they end interrupted: ONNX Studio is closing) and data check, keeps the job history, and
   * ends the engine and task processes.
   */
  async dispose(): Promise<void> {
    // First, so a pipeline between two steps queues no step after the jobs are cancelled; awaited after the
    // cancel (their running steps end with it), before the processes its jobs would run in go.
    const pipelinesEnded = this.pipelines.stopAll();
    this.checks.cancelAll();
    await this.jobs.cancelAll('closing');
    await pipelinesEnded;
    await Promise.all([this.engine.dispose(), this.tasks.dispose(), this.history.close()]);
  }

  appInfo(): AppInfo {
    const info: AppInfo = {
      version: this.options.version,
      host: this.options.host,
      platform: process.platform,
      capabilities: this.options.capabilities,
      dataDir: this.options.dataDir,
      homeDir: os.homedir(),
      int8: int8Support(),
    };
    const sample = this.sample();
    if (sample) info.sample = sample;
    return info;
  }

  /**
   * The bundled sample, found on disk once: every workspace read asks for it (to seed the sample's own
   * experiment), and finding it walks up folders checking files.
   */
  private sampleInfo: { value: SampleModelInfo | undefined } | undefined;
  private sample(): SampleModelInfo | undefined {
    this.sampleInfo ??= {
      value: this.options.sample === undefined ? sampleModel() : (this.options.sample ?? undefined),
    };
    return this.sampleInfo.value;
  }

  /**
   * A workspace, with pipelines and Auto-optimize runs that a restart cut off marked as interrupted (and saved
   * so). The bundled sample's workspace gets the sample's datasets the first time: they belong to it and to no
   * other model.
   */
  private async workspace(modelPath: string): Promise<Workspace> {
    const ws = await this.store.get(modelPath);
    const sample = this.sample();
    const seedSample =
      sample !== undefined && path.resolve(modelPath) === path.resolve(sample.modelPath) && !ws.experiment;
    const tunesCutOff = await cutOffTunes(ws.tunes, () => this.runningJobs());
    if (!seedSample && !this.pipelines.reconcile(ws) && tunesCutOff.size === 0) return ws;
    await this.store.update(modelPath, (w) => {
      this.pipelines.reconcile(w);
      markTunesCutOff(w, tunesCutOff, new Date().toISOString());
      if (seedSample && !w.experiment) w.experiment = sampleExperiment(sample, new Date().toISOString());
    });
    return this.store.get(modelPath);
  }

  /** The jobs queued or running here, or in another process on this data folder (its job history says). */
  private async runningJobs(): Promise<Set<string>> {
    const here = this.jobs.list().filter((j) => j.state === 'queued' || j.state === 'running');
    const elsewhere = await this.history.running();
    for (const j of here) elsewhere.add(j.jobId);
    return elsewhere;
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('[backend] an event listener threw:', error);
      }
    }
  }

  private defaultHandlers(): { [C in IpcMethodChannel]: Handler<C> } {
    const noDialog = async (): Promise<never> => {
      throw new StudioError(
        'BAD_REQUEST',
        'There are no native file dialogs in the browser: choose the file in the file browser, type its path, or drop it on the page to upload it.',
      );
    };
    const handlers: { [C in IpcMethodChannel]: Handler<C> } = {
      [IPC_CHANNELS.modelInspect]: (request) => inspectInTask(this.deps, request.path),
      [IPC_CHANNELS.modelGraph]: async (request) => {
        const { path: file } = await this.store.resolveTarget(request.modelPath, request.target);
        return runTask<ModelGraph>(this.deps, { kind: 'graph', path: file }, detachedContext());
      },
      // Once per opened model, off the UI: a model onnxruntime refuses (a custom operator, a too-new opset) is
      // said in the Model view before any benchmark or evaluation fails on it.
      [IPC_CHANNELS.modelLoadCheck]: async (request) => {
        // A session made beside a running benchmark would skew its timings (a second process building a graph
        // on the same cores): the check waits until no benchmark runs.
        while (this.jobs.list().some((j) => j.spec.kind === 'bench' && (j.state === 'running' || j.state === 'queued')))
          await new Promise((resolve) => setTimeout(resolve, LOAD_CHECK_WAIT_MS));
        try {
          await runTask(this.deps, { kind: 'loadCheck', path: path.resolve(request.path) }, detachedContext());
          return { loadable: true };
        } catch (error) {
          if (error instanceof StudioError && error.code === 'MODEL_INVALID') {
            return { loadable: false, problem: toErrorInfo(error) };
          }
          throw error;
        }
      },
      [IPC_CHANNELS.modelDiff]: async (request) => {
        const { path: variant, variant: record } = await this.store.resolveTarget(
          request.modelPath,
          request.variantId,
        );
        if (!record) throw new StudioError('BAD_REQUEST', 'Choose a variant to compare with the original.');
        const diff = await runTask<ModelDiff>(
          this.deps,
          { kind: 'diff', original: path.resolve(request.modelPath), variant },
          detachedContext(),
        );
        const skippedNodes = 'skippedNodes' in record.report ? record.report.skippedNodes : [];
        return { ...diff, skippedNodes };
      },
      [IPC_CHANNELS.modelOpenDialog]: noDialog,
      [IPC_CHANNELS.dialogOpenPath]: noDialog,
      [IPC_CHANNELS.dialogSavePath]: noDialog,
      [IPC_CHANNELS.fsList]: (request) => listFolder(request.path),
      [IPC_CHANNELS.jobStart]: async (spec) => ({
        jobId: this.jobs.start(spec, { title: await this.titleOf(spec) }).jobId,
      }),
      [IPC_CHANNELS.jobCancel]: async (request) => ({ cancelled: this.jobs.cancel(request.jobId) }),
      // This run's jobs, then those of earlier runs in this data folder (the job history).
      [IPC_CHANNELS.jobList]: async () => {
        const current = this.jobs.list();
        return [...current, ...(await this.history.list(new Set(current.map((j) => j.jobId))))];
      },
      // Each pipeline's data is checked before any of its steps is queued (nothing half-run); under the
      // request's `checkId` the checks report their progress and `studio:dataset.cancelCheck` stops them, and the
      // pipelines not started by then (a Cancel after a check ended still stops its pipeline).
      [IPC_CHANNELS.pipelineStart]: async ({ pipelines, checkId }) =>
        this.checks.run(checkId, (check, signal) =>
          this.pipelines.startChecked(pipelines, check, () => signal?.aborted === true, checkId),
        ),
      [IPC_CHANNELS.pipelineRerun]: async (request) => {
        try {
          return await this.pipelines.rerun(await this.workspace(request.modelPath), request.pipelineId);
        } catch (error) {
          if (error instanceof PipelineRefusal) throw new StudioError('BAD_REQUEST', error.message);
          throw error;
        }
      },
      [IPC_CHANNELS.sweepCollect]: (request) => collectSweep(request.dir),
      // With the pipeline.starts of this model still checking their data: a reloaded page sees and can cancel them.
      [IPC_CHANNELS.workspaceGet]: async (request) => {
        const ws = await this.workspace(request.modelPath);
        const starts = this.pipelines.startsInFlight(ws, (a, b) => workspaceKey(a) === workspaceKey(b));
        return starts.length > 0 ? { ...ws, startsInFlight: starts } : ws;
      },
      [IPC_CHANNELS.workspaceList]: () => this.store.list(),
      [IPC_CHANNELS.workspaceRenameVariant]: (request) =>
        this.store.renameVariant(request.modelPath, request.variantId, request.name),
      [IPC_CHANNELS.workspaceRemoveVariant]: async (request) => {
        // A job reading the file (or about to) would fail halfway, or lose its result's variant.
        const busy = activeJobReading(this.jobs.list(), request.modelPath, request.variantId);
        if (busy) {
          throw new StudioError('BAD_REQUEST', variantInUseMessage(busy));
        }
        return { removed: await this.store.removeVariant(request.modelPath, request.variantId) };
      },
      [IPC_CHANNELS.workspaceAddBenchRecord]: async (request) => {
        const ws = await this.store.get(request.modelPath);
        for (const r of request.results) await this.store.resolveTarget(ws.model.path, r.target);
        return this.store.addBenchRecord(request.modelPath, {
          engine: request.engine,
          provider: request.provider,
          label: request.label,
          results: request.results,
          ...(request.inputs ? { inputs: request.inputs } : {}),
          notes: request.notes ?? [],
        });
      },
      [IPC_CHANNELS.experimentSet]: (request) => setExperiment(this.deps, request),
      [IPC_CHANNELS.datasetCheck]: (request) => this.checks.check(request),
      [IPC_CHANNELS.datasetCheckCancel]: async (request) => ({
        cancelled: this.checks.cancel(request.checkId),
      }),
      [IPC_CHANNELS.reportBuild]: async (request) =>
        buildReport(await this.store.get(request.modelPath), this.options.version),
      [IPC_CHANNELS.reportSave]: async (request) =>
        saveReport(
          await this.store.get(request.modelPath),
          this.options.version,
          request.outputDir,
          request.overwrite ?? false,
        ),
      [IPC_CHANNELS.methodsList]: async () => (await import('./method-catalog.js')).methodCatalog(),
      [IPC_CHANNELS.engineProviders]: () => this.engine.call('providers', {}),
      [IPC_CHANNELS.recentList]: () => this.recent.list(),
      [IPC_CHANNELS.recentClear]: async () => {
        await this.recent.clear();
        return {};
      },
      [IPC_CHANNELS.appInfo]: async () => this.appInfo(),
    };
    return handlers;
  }
}
