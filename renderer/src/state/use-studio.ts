/**
 * The controller between the views and the host: it owns the studio state, feeds host events into the
 * reducer, keeps the workspace fresh, and turns user intentions (open, queue recipes, benchmark, evaluate,
 * export, cancel) into contract calls. Views get `state`, the derived `variants`, and `actions`; none of
 * them starts a job itself.
 */
import {
  type BenchSettings,
  type FollowUp,
  finishedUnknownJobs,
  pipelineJobActions,
  pipelineRequests,
  pipelineStepTitles,
  type RecipeRequest,
} from './pipeline-requests.js';
import {
  benchTitle,
  evaluateTitle,
  exportTitle,
  jobTitle,
  targetLabel,
  workspaceTargetName,
} from './job-titles.js';
import { startTransition, useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';
import type { InputSpec } from '../../../shared/input-spec.js';
import type {
  AppInfo,
  DatasetCheckProgress,
  DatasetCheckReport,
  ExperimentSetRequest,
  JobEvent,
  JobInfo,
  JobSpec,
} from '../../../shared/ipc-contract.js';
import type { ExportJobResult } from '../../../shared/job-results.js';
import { measuredTargets } from '../../../shared/job-targets.js';
import { ORIGINAL_TARGET, type DatasetRole, type Workspace } from '../../../shared/workspace.js';
import { makeStepTitle } from '../../../shared/job-titles.js';
import { baseName } from '../format.js';
import type { StudioHost } from '../host/studio-host.js';
import { WebBenchCancelled, type WebBenchReport, type WebProvider } from '../webbench/ort-web-bench.js';
import { runWebBenchInWorker } from '../webbench/web-bench-client.js';
import { loadWebBenchModel } from '../webbench/web-bench-models.js';
import {
  initialState,
  isActive,
  serveStopKind,
  studioReducer,
  type JobRecord,
  type StudioJobKind,
  type StudioState,
} from './studio-state.js';
import { deriveVariants, type Variant } from './variants.js';
import { checkingTitle, queueOutcome, type QueueOutcome } from './queue-pipelines.js';
import { webBenchOutcome, webBenchRecordRequest } from './web-bench-record.js';
import { newCheckId } from './check-ids.js';
import { loadPageJobs, pageJobId, savePageJobs } from './page-jobs.js';

export type { BenchSettings, FollowUp, RecipeRequest };

export const DEFAULT_BENCH: BenchSettings = { ep: 'cpu', warmup: 10, iterations: 200, profile: true };

export interface WebBenchSettings {
  provider: WebProvider;
  warmup: number;
  iterations: number;
}

export type ModelView =
  | { kind: 'empty' }
  | { kind: 'loading'; path: string }
  /** `openError`: another model could not be opened; the open one stays, with the error beside it. */
  | { kind: 'loaded'; openError?: { title: string; error: StudioErrorInfo } }
  | { kind: 'failed'; title: string; error: StudioErrorInfo };

export type ExportOutcome = { ok: true; value: ExportJobResult } | { ok: false; error: StudioErrorInfo };

/**
 * How the page follows a data check it waits for: aborting `signal` cancels the check in the engine (and the
 * answer is a CANCELLED error at once); `onProgress` hears its counts (`studio:dataset.checkProgress`).
 */
export interface CheckWatch {
  signal: AbortSignal;
  onProgress?: (progress: DatasetCheckProgress) => void;
  /** A series of checks goes on to the next one (`queueRecipes`: the next recipe's pipeline). */
  onNext?: (forWhat: string) => void;
}

export type ActionOutcome = { ok: true } | { ok: false; error: StudioErrorInfo };

export interface StudioActions {
  openModel(path: string): Promise<void>;
  openSample(): Promise<void>;
  /** Show an error: beside the open model when there is one (it stays open), else in its place. */
  showError(title: string, error: StudioErrorInfo): void;
  /** Hide the error shown beside the open model. */
  dismissError(): void;
  /**
   * One pipeline per recipe (make, then the follow-ups), run and kept by the backend, which checks the data
   * first: with a `watch`, each pipeline's data check reports its progress, and Cancel stops it and queues no
   * further recipe.
   */
  queueRecipes(recipes: RecipeRequest[], followUp?: FollowUp, watch?: CheckWatch): Promise<QueueOutcome>;
  /**
   * Cancel a `pipeline.start` the workspace lists as in flight (`startsInFlight`: sent before a reload, or by
   * another tab) by its `checkId`: the pipelines not started by then are not.
   */
  /** Undefined once cancelled; the backend's message when it could not cancel. */
  cancelQueueing(checkId: string): Promise<string | undefined>;
  /** Run an interrupted, failed or cancelled pipeline again from its first unfinished step. */
  rerunPipeline(pipelineId: string): Promise<void>;
  /** `names`: display names the workspace may not have yet (a variant that was just made). */
  benchmark(targets: string[], settings: BenchSettings, names?: Record<string, string>): Promise<void>;
  evaluate(targets: string[], data: DatasetSpecInput, names?: Record<string, string>): Promise<void>;
  webBenchmark(targets: string[], settings: WebBenchSettings): Promise<void>;
  exportVariant(
    target: string,
    outputPath: string,
    confirm: { overwrite: boolean; replaceOriginal: boolean },
  ): Promise<ExportOutcome>;
  /** Give a variant a new display name (the workspace keeps names unique). */
  renameVariant(target: string, name: string): Promise<ActionOutcome>;
  /** Delete a variant's file and every result that measured it. */
  removeVariant(target: string): Promise<ActionOutcome>;
  /** Save the open model's input spec (confirmed: jobs may run). */
  saveInputSpec(spec: InputSpec): Promise<ActionOutcome>;
  /** Keep datasets by role in the open model's experiment. */
  saveDatasets(datasets: Partial<Record<DatasetRole, DatasetSpecInput>>): Promise<ActionOutcome>;
  /**
   * Check data against the open model (shapes, dtypes, labels) before a job uses it. With a `watch`, aborting its
   * signal cancels the check in the engine (the answer is a CANCELLED error at once), and its progress is heard.
   */
  checkDataset(
    role: DatasetRole,
    spec: DatasetSpecInput,
    watch?: CheckWatch,
  ): Promise<Result<DatasetCheckReport>>;
  /** Auto-optimize: a tune job with these options (shared/options/tune-options.ts) on the experiment's data. */
  tune(options: Record<string, unknown>): Promise<string | undefined>;
  cancel(jobId: string): Promise<void>;
  clearFinishedJobs(): void;
  refreshWorkspace(): Promise<void>;
}

export interface Studio {
  state: StudioState;
  variants: Variant[];
  view: ModelView;
  /** What the host is and can do; null until it answered. */
  appInfo: AppInfo | null;
  actions: StudioActions;
}

/** How often batched job events are applied (ms). */
const FLUSH_MS = 200;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The title of a job the page did not start itself, when the backend gave it none (a backend of an older
 * version): the same builder as every other path (shared/job-titles.ts), so it never shows a variant's id.
 */
export function titleForSpec(spec: JobSpec, names: (target: string) => string | undefined): string {
  return jobTitle(spec, names);
}

export function useStudio(host: StudioHost): Studio {
  // The page's own jobs from before a reload are listed again (page-jobs.ts); the backend's come from syncJobs.
  const [state, dispatch] = useReducer(studioReducer, initialState, (first) => ({
    ...first,
    jobs: loadPageJobs(),
  }));
  useEffect(() => savePageJobs(state.jobs), [state.jobs]);
  const [view, setView] = useState<ModelView>({ kind: 'empty' });
  const [appInfo, setAppInfo] = useState<AppInfo | null>(null);
  const variants = useMemo(() => deriveVariants(state), [state]);
  const stateRef = useRef(state);
  stateRef.current = state;
  const variantsRef = useRef(variants);
  variantsRef.current = variants;
  const latestOpen = useRef(0);
  const waiters = useRef(new Map<string, (job: JobRecord) => void>());
  const webRuns = useRef(new Map<string, AbortController>());

  // A target's name in a title: a variant's, a trial's, or "a removed variant"; never its id.
  const nameOf = useCallback(
    (target: string) =>
      targetLabel(
        target,
        (t) =>
          variantsRef.current.find((v) => v.id === t)?.label ??
          workspaceTargetName(stateRef.current.workspace, t),
      ),
    [],
  );

  const refreshWorkspace = useCallback(async () => {
    const model = stateRef.current.model;
    if (!model) return;
    const result = await host.getWorkspace(model.path);
    if (result.ok) dispatch({ type: 'workspace-loaded', workspace: result.value });
  }, [host]);

  /**
   * Catches up with the backend's jobs (after a reload, a reconnect), each under the title the backend
   * started it with (the one the page gave it: shared/job-titles.ts); a job without one is titled here by the
   * same builder, its variants by display name, never by id: each job's own workspace (the open model's or
   * another's) says which name an id has. A running benchmark's samples so far come with it (`metrics`).
   */
  const syncJobs = useCallback(async () => {
    // Jobs the user cleared stay cleared (the reducer skips them), also a listing's for another tab's job.
    const result = await host.listJobs();
    if (!result.ok) return;
    const untitled = result.value.filter((info) => !info.title);
    const workspaces = new Map<string, Workspace>();
    for (const modelPath of new Set(untitled.map((info) => info.spec.modelPath))) {
      const ws = await host.getWorkspace(modelPath);
      if (ws.ok) workspaces.set(modelPath, ws.value);
    }
    const titles: Record<string, string> = {};
    for (const info of result.value) {
      if (info.title) {
        titles[info.jobId] = info.title;
        continue;
      }
      const ws = workspaces.get(info.spec.modelPath);
      const stepTitles = pipelineStepTitles(ws?.pipelines ?? []);
      const names = (target: string) => workspaceTargetName(ws, target) ?? (ws ? undefined : nameOf(target));
      titles[info.jobId] = stepTitles[info.jobId] ?? titleForSpec(info.spec, names);
    }
    dispatch({ type: 'jobs-synced', jobs: result.value as JobInfo[], titles });
  }, [host, nameOf]);

  /**
   * Job events are applied in batches, at most every FLUSH_MS, as a transition: a benchmark streams samples
   * and progress for every model ten times a second, and re-rendering the charts for each event would keep
   * the page's main thread busy (long tasks over 50 ms). A transition lets React render in slices and keeps
   * clicks (Cancel) responsive.
   */
  const pendingEvents = useRef<JobEvent[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const queueEvent = useCallback((event: JobEvent) => {
    pendingEvents.current.push(event);
    if (flushTimer.current !== undefined) return;
    flushTimer.current = setTimeout(() => {
      flushTimer.current = undefined;
      const events = pendingEvents.current;
      pendingEvents.current = [];
      startTransition(() => dispatch({ type: 'job-events', events }));
    }, FLUSH_MS);
  }, []);
  /** Applies the events still waiting for their batch now (before what must follow them). */
  const flushEvents = useCallback(() => {
    if (flushTimer.current !== undefined) clearTimeout(flushTimer.current);
    flushTimer.current = undefined;
    const events = pendingEvents.current;
    pendingEvents.current = [];
    if (events.length > 0) dispatch({ type: 'job-events', events });
  }, []);
  useEffect(
    () => () => {
      if (flushTimer.current !== undefined) clearTimeout(flushTimer.current);
    },
    [],
  );

  // Host events: job events into the reducer; workspace changes of the open model refetch it.
  useEffect(() => host.onJobEvent(queueEvent), [host, queueEvent]);
  useEffect(
    () =>
      host.onWorkspaceChanged((change) => {
        if (change.modelPath === stateRef.current.model?.path) void refreshWorkspace();
      }),
    [host, refreshWorkspace],
  );
  useEffect(() => {
    let live = true;
    void host.appInfo().then((r) => {
      if (live && r.ok) setAppInfo(r.value);
    });
    void syncJobs();
    // After `serve` comes back, catch up on what happened meanwhile.
    const withConnection = host as StudioHost & {
      onConnectionChange?: (l: (s: string) => void) => () => void;
      onOtherJobs?: (l: () => void) => () => void;
    };
    const off = withConnection.onConnectionChange?.((s) => {
      if (s === 'connected') {
        void syncJobs();
        void refreshWorkspace();
      }
      // serve stopped: its jobs and pipelines say so, as the banner does (a job that ended just before keeps its end).
      const how = serveStopKind(s);
      if (how) {
        flushEvents();
        dispatch({ type: 'serve-stopped', how, atMs: Date.now() });
      }
    });
    // serve: a job another tab started is listed here too, with its progress and Cancel (ws-host.ts).
    const offOther = withConnection.onOtherJobs?.(() => void syncJobs());
    return () => {
      live = false;
      off?.();
      offOther?.();
    };
  }, [host, syncJobs, refreshWorkspace, flushEvents]);

  const submit = useCallback(
    async (
      kind: StudioJobKind & JobSpec['kind'],
      title: string,
      spec: JobSpec,
      extra: { targets?: string[]; measured?: boolean } = {},
    ): Promise<string | undefined> => {
      const result = await host.startJob(spec);
      const atMs = Date.now();
      // What it measures: a failed evaluation of one variant is not made old news by another variant's.
      const targets = extra.targets ?? measuredTargets(spec);
      if (!result.ok) {
        dispatch({
          type: 'job-submit-failed',
          jobId: pageJobId('failed'),
          kind,
          title,
          modelPath: spec.modelPath,
          error: result.error,
          atMs,
          targets,
        });
        return undefined;
      }
      dispatch({
        type: 'job-submitted',
        jobId: result.value.jobId,
        kind,
        title,
        modelPath: spec.modelPath,
        atMs,
        targets,
        ...(extra.measured && spec.kind === 'bench'
          ? { measurement: { engine: 'onnxruntime-node' as const, provider: spec.ep ?? 'cpu' } }
          : {}),
      });
      return result.value.jobId;
    },
    [host],
  );

  const showError = useCallback((title: string, error: StudioErrorInfo) => {
    setView(
      stateRef.current.model
        ? { kind: 'loaded', openError: { title, error } }
        : { kind: 'failed', title, error },
    );
  }, []);

  const openModel = useCallback(
    async (path: string) => {
      const request = ++latestOpen.current;
      // Marks for DevTools' timeline and e2e/scripts/measure-model-open.ts: how long parsing took, and
      // (with ModelSummaryView's mark) how long the page took to show the result.
      performance.mark('studio:open-model');
      setView({ kind: 'loading', path });
      const [summary, workspace] = await Promise.all([host.inspectModel(path), host.getWorkspace(path)]);
      performance.mark('studio:model-parsed');
      if (request !== latestOpen.current) return;
      if (!summary.ok) {
        showError(`Could not open ${baseName(path)}`, summary.error);
        return;
      }
      // A workspace that cannot be read must not stop the model from opening: it opens without variants.
      dispatch({
        type: 'model-opened',
        summary: summary.value,
        workspace: workspace.ok ? workspace.value : null,
      });
      setView({ kind: 'loaded' });
    },
    [host, showError],
  );

  const openSample = useCallback(async () => {
    const info = appInfo ?? (await host.appInfo().then((r) => (r.ok ? r.value : null)));
    const sample = info?.sample;
    if (!sample) {
      setView({
        kind: 'failed',
        title: 'The sample model is not installed',
        error: {
          code: 'IO',
          message:
            'This installation has no bundled sample model (digits.onnx). Reinstall ONNX Studio, or open any .onnx model of your own.',
        },
      });
      return;
    }
    // The sample's datasets come with its workspace (the backend keeps them there), never to other models.
    await openModel(sample.modelPath);
  }, [appInfo, host, openModel]);

  const benchmark = useCallback(
    async (targets: string[], settings: BenchSettings, names: Record<string, string> = {}) => {
      const model = stateRef.current.model;
      if (!model || targets.length === 0) return;
      const label = (t: string) => names[t] ?? nameOf(t);
      const spec: JobSpec = {
        kind: 'bench',
        modelPath: model.path,
        targets,
        ep: settings.ep as NonNullable<Extract<JobSpec, { kind: 'bench' }>['ep']>,
        warmup: settings.warmup,
        iterations: settings.iterations,
        profile: settings.profile,
      };
      const title = benchTitle(targets.map(label), settings.ep);
      await submit('bench', title, spec, { targets, measured: true });
    },
    [submit, nameOf],
  );

  const evaluate = useCallback(
    async (targets: string[], data: DatasetSpecInput, names: Record<string, string> = {}) => {
      const model = stateRef.current.model;
      if (!model) return;
      for (const target of targets) {
        const spec: JobSpec = {
          kind: 'evaluate',
          modelPath: model.path,
          target,
          data: { spec: data },
          ...(target !== ORIGINAL_TARGET ? { reference: ORIGINAL_TARGET } : {}),
        };
        await submit('evaluate', evaluateTitle(names[target] ?? nameOf(target)), spec);
      }
    },
    [submit, nameOf],
  );

  const tune = useCallback(
    async (options: Record<string, unknown>) => {
      const model = stateRef.current.model;
      if (!model) return undefined;
      return submit('tune', 'Auto-optimize', { kind: 'tune', modelPath: model.path, options });
    },
    [submit],
  );

  /**
   * Runs `call` under a fresh check id: the check's progress goes to `watch.onProgress`, and aborting
   * `watch.signal` cancels it in the engine (`studio:dataset.cancelCheck`). The answer is still the backend's:
   * a cancel that came too late (a pipeline.start whose checks had ended) leaves it `ok`, and the caller
   * must count that as done, not as cancelled.
   */
  const watchedCheck = useCallback(
    async <T>(watch: CheckWatch, call: (checkId: string) => Promise<Result<T>>): Promise<Result<T>> => {
      if (watch.signal.aborted) {
        return { ok: false, error: { code: 'CANCELLED', message: 'The data check was cancelled.' } };
      }
      const checkId = newCheckId();
      // Subscribed before the request goes out, so no early count is missed.
      const off = host.onDatasetCheckProgress((progress) => {
        if (progress.checkId === checkId) watch.onProgress?.(progress);
      });
      const onAbort = () => void host.cancelDatasetCheck(checkId);
      watch.signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await call(checkId);
      } finally {
        watch.signal.removeEventListener('abort', onAbort);
        off();
      }
    },
    [host],
  );

  const queueRecipes = useCallback(
    async (recipes: RecipeRequest[], followUp?: FollowUp, watch?: CheckWatch): Promise<QueueOutcome> => {
      const model = stateRef.current.model;
      if (!model || recipes.length === 0) return { queued: 0, cancelled: false, started: [] };
      const pipelines = pipelineRequests(model.path, recipes, followUp);
      // The pipelines' own titles, as the backend records them (shared/job-titles.ts makeStepTitle).
      const titles = pipelines.map((p) =>
        makeStepTitle(p.make, p.make.source ? nameOf(p.make.source) : undefined),
      );
      // One request for all of them: the backend owns every pipeline at once, so a reload while the first one's
      // data is checked loses none. Its progress says which pipeline it checks.
      let shown = 0;
      const progress: CheckWatch | undefined = watch && {
        signal: watch.signal,
        onProgress: (p) => {
          if (p.item !== undefined && p.item !== shown)
            watch.onNext?.(checkingTitle(titles, (shown = p.item)));
          watch.onProgress?.(p);
        },
      };
      try {
        if (watch?.signal.aborted) return { queued: 0, cancelled: true, started: [] };
        watch?.onNext?.(checkingTitle(titles, 0));
        const result = progress
          ? await watchedCheck(progress, (checkId) => host.startPipelines({ pipelines, checkId }))
          : await host.startPipelines({ pipelines });
        return queueOutcome(result, recipes.length, watch?.signal.aborted === true, (i, error) =>
          dispatch({
            type: 'job-submit-failed',
            jobId: pageJobId('failed'),
            kind: recipes[i]!.kind,
            title: titles[i]!,
            modelPath: model.path,
            error,
            atMs: Date.now(),
          }),
        );
      } finally {
        void refreshWorkspace();
      }
    },
    [host, nameOf, refreshWorkspace, watchedCheck],
  );

  const rerunPipeline = useCallback(
    async (pipelineId: string) => {
      const model = stateRef.current.model;
      if (!model) return;
      const result = await host.rerunPipeline({ modelPath: model.path, pipelineId });
      if (!result.ok)
        setView({ kind: 'failed', title: 'Could not run the pipeline again', error: result.error });
      void refreshWorkspace();
    },
    [host, refreshWorkspace],
  );

  const cancelQueueing = useCallback(
    async (checkId: string) => {
      const cancelled = await host.cancelDatasetCheck(checkId);
      // The backend announces the start's end too; this shows it without waiting for that.
      await refreshWorkspace();
      return cancelled.ok ? undefined : cancelled.error.message;
    },
    [host, refreshWorkspace],
  );

  // Jobs the backend started for a pipeline: show them in the job list (benchmarks stream live). One that
  // ended before the page saw it running is fetched from the backend's job list, once.
  const askedForJobs = useRef(new Set<string>());
  useEffect(() => {
    const pipelines = state.workspace?.pipelines ?? [];
    // A job the page has shown once is never fetched back (e.g. after "Clear finished").
    for (const job of state.jobs) askedForJobs.current.add(job.jobId);
    for (const action of pipelineJobActions(state, pipelines, Date.now())) dispatch(action);
    const missing = finishedUnknownJobs(state, pipelines).filter((id) => !askedForJobs.current.has(id));
    if (missing.length === 0) return;
    for (const id of missing) askedForJobs.current.add(id);
    void syncJobs();
  }, [state, syncJobs]);

  // Jobs that ended: resolve whoever waits on them.
  useEffect(() => {
    for (const job of state.jobs) {
      if (isActive(job)) continue;
      const waiter = waiters.current.get(job.jobId);
      if (waiter) {
        waiters.current.delete(job.jobId);
        waiter(job);
      }
    }
  }, [state.jobs]);

  const waitFor = useCallback(
    (jobId: string) =>
      new Promise<JobRecord>((resolve) => {
        const job = stateRef.current.jobs.find((j) => j.jobId === jobId);
        if (job && !isActive(job)) resolve(job);
        else waiters.current.set(jobId, resolve);
      }),
    [],
  );

  const exportVariant = useCallback(
    async (
      target: string,
      outputPath: string,
      confirm: { overwrite: boolean; replaceOriginal: boolean },
    ): Promise<ExportOutcome> => {
      const model = stateRef.current.model;
      if (!model) return { ok: false, error: { code: 'BAD_REQUEST', message: 'Open a model first.' } };
      const spec: JobSpec = {
        kind: 'export',
        modelPath: model.path,
        target,
        outputPath,
        ...(confirm.overwrite ? { overwrite: true } : {}),
        ...(confirm.replaceOriginal ? { replaceOriginal: true } : {}),
      };
      const title = exportTitle(nameOf(target), outputPath);
      const result = await host.startJob(spec);
      if (!result.ok) return { ok: false, error: result.error };
      dispatch({
        type: 'job-submitted',
        jobId: result.value.jobId,
        kind: 'export',
        title,
        modelPath: model.path,
        atMs: Date.now(),
      });
      const job = await waitFor(result.value.jobId);
      if (job.status === 'done') return { ok: true, value: job.result as ExportJobResult };
      return {
        ok: false,
        error: job.error ?? {
          code: 'CANCELLED',
          message: 'The export was cancelled; the destination was not changed.',
        },
      };
    },
    [host, nameOf, waitFor],
  );

  const webBenchmark = useCallback(
    async (targets: string[], settings: WebBenchSettings) => {
      const model = stateRef.current.model;
      const workspace = stateRef.current.workspace;
      if (!model || targets.length === 0) return;
      const jobId = pageJobId('web');
      const controller = new AbortController();
      webRuns.current.set(jobId, controller);
      let seq = 0;
      // Through the same batching as engine events, so streamed samples cost the page the same.
      const emit = (body: DistributiveOmit<JobEvent, 'jobId' | 'seq' | 'timeMs'>) =>
        queueEvent({ ...body, jobId, seq: seq++, timeMs: Date.now() } as JobEvent);
      dispatch({
        type: 'job-submitted',
        jobId,
        kind: 'web-bench',
        title: `Browser benchmark ${targets.map(nameOf).join(' + ')} (onnxruntime-web, ${settings.provider})`,
        modelPath: model.path,
        targets,
        measurement: { engine: 'onnxruntime-web', provider: settings.provider },
        atMs: Date.now(),
      });
      try {
        if (!workspace) {
          emit({
            type: 'failed',
            error: {
              code: 'IO',
              message:
                'The model’s workspace could not be read, so the page cannot load the model. Reopen the model and try again.',
            },
          });
          return;
        }
        emit({ type: 'progress', fraction: 0, stage: 'loading models' });
        const models = [];
        // The .onnx file and the external data each model reads, read before the bytes move to the worker.
        const modelBytes = [];
        for (const target of targets) {
          const loaded = await loadWebBenchModel(workspace.key, target, nameOf(target), {
            baseUrl: document.baseURI,
            signal: controller.signal,
          });
          if (!loaded.ok) {
            emit({ type: 'failed', error: { code: 'IO', message: loaded.message } });
            return;
          }
          models.push(loaded.model);
          modelBytes.push(loaded.modelBytes);
        }
        // The model's input spec, as the engine benchmark feeds it (the page runs nothing until it is set).
        const inputs = workspace.experiment?.inputs;
        const report = await runWebBenchInWorker(models, {
          ...settings,
          ...(inputs ? { inputs } : {}),
          checkAgainstWasm: settings.provider === 'webgpu',
          signal: controller.signal,
          onProgress: (fraction, stage) => emit({ type: 'progress', fraction, stage }),
          onSamples: (index, values) =>
            emit({ type: 'metric', name: `latency/${index}`, unit: 'ms', values }),
        });
        // A model that failed is named with its error; the others are measured and recorded.
        const outcome = webBenchOutcome(report);
        if ('failed' in outcome) {
          emit({ type: 'failed', error: { code: 'ORT', message: outcome.failed } });
          return;
        }
        for (const message of outcome.warnings) emit({ type: 'log', level: 'warn', message });
        const recordId = await storeWebBench(host, model.path, targets, modelBytes, report);
        emit({
          type: 'result',
          result: { report, ...(recordId ? { recordId } : {}) },
          ...(outcome.partial !== undefined ? { partial: outcome.partial } : {}),
        });
      } catch (error) {
        if (error instanceof WebBenchCancelled || controller.signal.aborted) emit({ type: 'cancelled' });
        else {
          emit({
            type: 'failed',
            error: {
              code: 'ORT',
              message: `onnxruntime-web (${settings.provider}) could not run the model: ${error instanceof Error ? error.message : String(error)}`,
            },
          });
        }
      } finally {
        webRuns.current.delete(jobId);
      }
    },
    [host, nameOf, queueEvent],
  );

  /** Changes one variant of the open model's workspace, then shows the workspace as it is now. */
  const changeVariant = useCallback(
    async (
      change: (modelPath: string) => Promise<{ ok: true } | { ok: false; error: StudioErrorInfo }>,
    ): Promise<ActionOutcome> => {
      const model = stateRef.current.model;
      if (!model) return { ok: false, error: { code: 'BAD_REQUEST', message: 'Open a model first.' } };
      const result = await change(model.path);
      if (!result.ok) return result;
      await refreshWorkspace();
      return { ok: true };
    },
    [refreshWorkspace],
  );

  const renameVariant = useCallback(
    (target: string, name: string) =>
      changeVariant((modelPath) => host.renameVariant({ modelPath, variantId: target, name })),
    [host, changeVariant],
  );

  const removeVariant = useCallback(
    (target: string) => changeVariant((modelPath) => host.removeVariant({ modelPath, variantId: target })),
    [host, changeVariant],
  );

  const cancel = useCallback(
    async (jobId: string) => {
      dispatch({ type: 'cancel-requested', jobId });
      const web = webRuns.current.get(jobId);
      if (web) {
        web.abort();
        return;
      }
      const result = await host.cancelJob(jobId);
      if (!result.ok)
        dispatch({ type: 'job-note', jobId, message: `Could not cancel: ${result.error.message}` });
    },
    [host],
  );

  // Menu and OS requests: open a model, open the sample.
  useEffect(() => host.onModelOpenRequest((r) => void openModel(r.path)), [host, openModel]);

  const saveInputSpec = useCallback(
    async (spec: InputSpec): Promise<ActionOutcome> => {
      const model = stateRef.current.model;
      if (!model) return { ok: false, error: { code: 'BAD_REQUEST', message: 'Open a model first.' } };
      const result = await host.setExperiment({ modelPath: model.path, inputs: spec, confirmInputs: true });
      if (!result.ok) return result;
      dispatch({ type: 'workspace-loaded', workspace: result.value });
      return { ok: true };
    },
    [host],
  );

  const saveDatasets = useCallback(
    async (datasets: Partial<Record<DatasetRole, DatasetSpecInput>>): Promise<ActionOutcome> => {
      const model = stateRef.current.model;
      if (!model) return { ok: false, error: { code: 'BAD_REQUEST', message: 'Open a model first.' } };
      const request: ExperimentSetRequest['datasets'] = {};
      for (const role of ['calibration', 'evaluation'] as const) {
        const spec = datasets[role];
        if (spec) request[role] = { data: { spec } };
      }
      const result = await host.setExperiment({ modelPath: model.path, datasets: request });
      if (!result.ok) return result;
      dispatch({ type: 'workspace-loaded', workspace: result.value });
      return { ok: true };
    },
    [host],
  );

  const checkDataset = useCallback(
    async (
      role: DatasetRole,
      spec: DatasetSpecInput,
      watch?: CheckWatch,
    ): Promise<Result<DatasetCheckReport>> => {
      const model = stateRef.current.model;
      if (!model) return { ok: false, error: { code: 'BAD_REQUEST', message: 'Open a model first.' } };
      const request = { modelPath: model.path, role, data: { spec } };
      // The id names this check to the backend, whose cancel stops the engine reading the data.
      const result = watch
        ? await watchedCheck(watch, (checkId) => host.checkDataset({ ...request, checkId }))
        : await host.checkDataset(request);
      if (!result.ok) return result;
      // What follows a check acts on the open model: a Cancel, or another model opened meanwhile, stops it.
      if (watch?.signal.aborted) {
        return { ok: false, error: { code: 'CANCELLED', message: 'The data check was cancelled.' } };
      }
      if (stateRef.current.model?.path !== model.path) {
        return {
          ok: false,
          error: {
            code: 'CANCELLED',
            message: `Another model was opened while the data of ${model.path} was checked: nothing was done with it.`,
          },
        };
      }
      return result;
    },
    [host, watchedCheck],
  );

  const actions = useMemo<StudioActions>(
    () => ({
      openModel,
      openSample,
      showError,
      dismissError: () => setView({ kind: 'loaded' }),
      queueRecipes,
      cancelQueueing,
      rerunPipeline,
      benchmark,
      evaluate,
      tune,
      webBenchmark,
      exportVariant,
      renameVariant,
      removeVariant,
      cancel,
      clearFinishedJobs: () => dispatch({ type: 'jobs-cleared' }),
      refreshWorkspace,
      saveInputSpec,
      saveDatasets,
      checkDataset,
    }),
    [
      openModel,
      openSample,
      showError,
      queueRecipes,
      cancelQueueing,
      rerunPipeline,
      benchmark,
      evaluate,
      tune,
      webBenchmark,
      exportVariant,
      renameVariant,
      removeVariant,
      cancel,
      refreshWorkspace,
      saveInputSpec,
      saveDatasets,
      checkDataset,
    ],
  );

  return { state, variants, view, appInfo, actions };
}

/** Store a browser benchmark in the workspace, so it is in the comparison, the report and after a restart. */
async function storeWebBench(
  host: StudioHost,
  modelPath: string,
  targets: string[],
  bytes: number[],
  report: WebBenchReport,
): Promise<string | undefined> {
  const stored = await host.addBenchRecord(webBenchRecordRequest(modelPath, targets, bytes, report));
  return stored.ok ? stored.value.id : undefined;
}
