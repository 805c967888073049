/**
 * What each kind of job does: resolve its targets in the workspace, run the work where it belongs (the
 * benchmark engine process for `bench`, a task process for the rest), and record what it made or measured
 * in the workspace. Errors are StudioErrors whose message says what to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatCliCommand, recipeCommand } from '../../../shared/cli-command.js';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { BenchParams, BenchReport } from '../../../shared/bench.js';
import type {
  BenchJobSpec,
  EvaluateJobSpec,
  ExportJobSpec,
  InspectJobSpec,
  JobSpec,
  PruneJobSpec,
  QuantizeJobSpec,
} from '../../../shared/ipc-contract.js';
import type { EvalReportInfo, PruneReportInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import type {
  BenchJobResult,
  EvaluateJobResult,
  ExportJobResult,
  VariantJobResult,
} from '../../../shared/job-results.js';
import { latencyStatsOf, parseLatencyMetricName, thinSamples } from '../../../shared/latency-stats.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import {
  ORIGINAL_TARGET,
  type BenchTargetResult,
  type DatasetIdentity,
  type VariantRecipe,
  type Workspace,
} from '../../../shared/workspace.js';
import { dataFileOf } from '../../../shared/data-file-name.js';
import { StageTicker } from '../bench/loading-stage.js';
import { removeProfileTraces } from '../bench/profile-trace.js';
import { benchParams } from '../bench/run-benchmark.js';
import { StudioError } from '../errors.js';
import type { EvalReport } from '../evaluate/evaluate-model.js';
import type { EngineClient } from '../host/engine-client.js';
import { copyFileAtomic, removeQuietly } from '../onnx/atomic-files.js';
import { errorOfInfo, existingPathOf } from '../onnx/output-exists.js';
import { fileMayHaveExternalData, sameFile } from '../onnx/output-guard.js';
import type { PruneReport } from '../prune/prune-model.js';
import type { QuantizeReport } from '../quantize/quantize-model.js';
import type { RecentModels } from '../workspace/recent-models.js';
import type { WorkspaceStore } from '../workspace/workspace-store.js';
import type { JobContext, JobLane } from './job-manager.js';
import type { TaskPool } from './task-pool.js';
import type { TaskRequest } from './task-protocol.js';
import { methodCatalog } from './method-catalog.js';
import { findSampleDir } from './sample-model.js';
import { defaultVariantName, variantSteps, withPruneOutcome } from '../../../shared/variant-naming.js';
import { checkExport } from '../../../shared/export-checks.js';
import { calibrationSpecOf, parseDatasetSpec } from '../../../shared/dataset-spec.js';
import { datasetIdentity } from '../datasets/dataset-identity.js';
import { experimentDatasetFor, withExperimentInputs } from '../../../shared/experiment.js';
import { runTuneJob } from '../tune/tune-job.js';
import type { TuneJobs } from '../tune/tune-jobs.js';

// The engine's reports must fit the shared result types the renderer reads: if a field changes type in the
// engine, these lines stop compiling.
type Assignable<T, U extends T> = U;
export type _QuantizeReportFits = Assignable<QuantizeReportInfo, QuantizeReport>;
export type _PruneReportFits = Assignable<PruneReportInfo, PruneReport>;
export type _EvalReportFits = Assignable<EvalReportInfo, EvalReport>;

export interface ExecutorDeps {
  store: WorkspaceStore;
  recent: RecentModels;
  tasks: TaskPool;
  engine: EngineClient;
  /** Runs other jobs (a tune job's trials) through the backend's job manager. */
  jobs?: TuneJobs;
}

/** Which lane a job runs in (see job-manager.ts). */
export function laneOf(spec: JobSpec): JobLane {
  switch (spec.kind) {
    case 'inspect':
      return 'inspect';
    case 'bench':
    case 'evaluate':
      return 'inference';
    case 'quantize':
      // Calibration runs the model on every sample: that is inference, and it would disturb a benchmark.
      return spec.calibration ? 'inference' : 'transform';
    case 'prune':
    case 'export':
      return 'transform';
    case 'tune':
      return 'orchestrate';
  }
}

/** Benchmarks run alone, so nothing of ours competes with them for the CPU. */
export function isExclusive(spec: JobSpec): boolean {
  return spec.kind === 'bench';
}

/**
 * Forwards a process's progress to the job. A loading stage (bench/loading-stage.ts) is sent once, by a process
 * whose event loop the session creation then blocks, so its seconds are ticked here, where the loop is free.
 */
export function progressForwarder(ctx: Pick<JobContext, 'progress'>): {
  progress: (fraction: number, stage: string) => void;
  stop: () => void;
} {
  let at = 0;
  const ticker = new StageTicker((text) => ctx.progress(at, text));
  return {
    progress: (fraction, stage) => {
      at = fraction;
      ticker.set(stage);
    },
    stop: () => ticker.stop(),
  };
}

/** Runs a task in a task process, forwarding its events; returns its result or throws its error. */
export async function runTask<R>(deps: ExecutorDeps, task: TaskRequest, ctx: JobContext): Promise<R> {
  const forward = progressForwarder(ctx);
  const end = await deps.tasks
    .run(task, {
      signal: ctx.signal,
      onEvent: (event) => {
        if (event.type === 'progress') forward.progress(event.fraction, event.stage);
        else if (event.type === 'log') ctx.log(event.level, event.message);
        else if (event.type === 'metric') ctx.metric(event.name, event.unit, event.values);
      },
    })
    .finally(forward.stop);
  switch (end.type) {
    case 'result':
      return end.result as R;
    case 'failed':
      throw errorOfInfo(end.error);
    case 'cancelled':
      throw new StudioError('CANCELLED', 'Cancelled.');
  }
}

function throwIfCancelled(ctx: JobContext): void {
  if (ctx.signal.aborted) throw new StudioError('CANCELLED', 'Cancelled.');
}

/** Reads and summarizes a model in a task process, and remembers it (recent list, workspace summary). */
export async function inspectInTask(
  deps: ExecutorDeps,
  modelPath: string,
  ctx?: JobContext,
): Promise<ModelSummary> {
  const summary = ctx
    ? await runTask<ModelSummary>(deps, { kind: 'inspect', path: modelPath }, ctx)
    : await runTask<ModelSummary>(deps, { kind: 'inspect', path: modelPath }, detachedContext());
  await Promise.all([deps.recent.add(modelPath), deps.store.setSummary(modelPath, summary)]);
  return summary;
}

export function detachedContext(): JobContext {
  return {
    jobId: 'request',
    signal: new AbortController().signal,
    progress: () => {},
    log: () => {},
    metric: () => {},
  };
}

function dataBaseDir(modelPath: string, baseDir: string | undefined): string {
  return baseDir ?? path.dirname(path.resolve(modelPath));
}

/** A dataset spec with its relative paths made absolute (for commands that run from anywhere). */
function absoluteSpec(spec: DatasetSpecInput, baseDir: string): DatasetSpecInput {
  const abs = (p: string) => path.resolve(baseDir, p);
  switch (spec.kind) {
    case 'synthetic':
      return spec;
    case 'npy':
    case 'npz':
      return {
        ...spec,
        path: abs(spec.path),
        ...(spec.labels !== undefined ? { labels: abs(spec.labels) } : {}),
      };
    case 'jsonl':
    case 'images':
      return { ...spec, path: abs(spec.path) };
  }
}

/**
 * The `onnx-studio` command(s) that make the variant from the original model, one per line (a variant of a
 * variant needs its parent's command first). Outputs are suggested next to the original model, but the bundled
 * sample's folder is the installation's (the demo's commands wrote into it): for the sample, in the current
 * folder, by file name alone.
 */
export function variantCliCommand(
  ws: Workspace,
  recipe: VariantRecipe,
  parent: string,
): { command: string; output: string } {
  const modelDir = path.dirname(path.resolve(ws.model.path));
  const dir = modelDir === findSampleDir() ? '' : path.dirname(ws.model.path);
  let input = ws.model.path;
  const lines: string[] = [];
  for (const step of variantSteps(ws, parent, recipe)) {
    const output = path.join(dir, step.fileName);
    lines.push(formatCliCommand(recipeCommand(step.recipe, input, output, methodCatalog())));
    input = output;
  }
  return { command: lines.join('\n'), output: input };
}

async function makeVariant<R extends QuantizeReportInfo | PruneReportInfo>(
  deps: ExecutorDeps,
  spec: QuantizeJobSpec | PruneJobSpec,
  ctx: JobContext,
): Promise<VariantJobResult<R>> {
  const parent = spec.source ?? ORIGINAL_TARGET;
  const source = await deps.store.resolveTarget(spec.modelPath, parent);
  const slot = await deps.store.newVariantSlot(spec.modelPath, spec.method);
  const common = spec.common ?? {};
  const options = spec.options ?? {};
  let recipe: VariantRecipe;
  let task: TaskRequest;
  if (spec.kind === 'quantize') {
    const baseDir = spec.calibration ? dataBaseDir(spec.modelPath, spec.calibration.baseDir) : undefined;
    // Without a labels file, which calibration never reads: recorded, the recipe asked `run` for it, and the
    // command below (whose --calib-data takes no --labels) recorded another recipe, so made another file.
    const calibration = spec.calibration ? calibrationSpecOf(spec.calibration.spec) : undefined;
    recipe = {
      operation: 'quantize',
      method: spec.method,
      common,
      options,
      ...(calibration && baseDir
        ? { calibration: { spec: absoluteSpec(calibration, baseDir), baseDir } }
        : {}),
      ...(spec.shapes ? { shapes: spec.shapes } : {}),
      ...(spec.dims ? { dims: spec.dims } : {}),
      ...(spec.values ? { values: spec.values } : {}),
    };
    task = {
      kind: 'quantize',
      input: source.path,
      output: slot.path,
      method: spec.method,
      common,
      options,
      force: false,
      ...(calibration && baseDir
        ? {
            calibration: {
              spec: calibration,
              baseDir,
              ...(spec.shapes ? { shapes: spec.shapes } : {}),
              ...(spec.dims ? { dims: spec.dims } : {}),
              ...(spec.values ? { values: spec.values } : {}),
              ...(spec.inputsOrigin ? { origin: spec.inputsOrigin } : {}),
            },
          }
        : {}),
    };
  } else {
    recipe = { operation: 'prune', method: spec.method, common, options };
    task = {
      kind: 'prune',
      input: source.path,
      output: slot.path,
      method: spec.method,
      common,
      options,
      force: false,
    };
  }
  let report: R;
  try {
    report = await runTask<R>(deps, task, ctx);
    throwIfCancelled(ctx);
  } catch (error) {
    removeQuietly(slot.path);
    throw error;
  }
  ctx.progress(0.98, 'recording');
  const named = defaultVariantName(
    spec,
    parent === ORIGINAL_TARGET ? undefined : (source.variant?.name ?? parent),
  );
  const variant = await deps.store.addVariant(spec.modelPath, slot, {
    name: spec.name ?? (spec.kind === 'prune' ? withPruneOutcome(named, report as PruneReportInfo) : named),
    parent,
    recipe,
    report,
    reproduce: (ws) => variantCliCommand(ws, recipe, parent),
  });
  return { report, variant };
}

/**
 * What messages call a resolved target: a variant by its name, as everywhere in the app, not by its file in the
 * workspace; the original by its file (undefined: the default).
 */
function messageLabel(model: { variant?: { name: string } }): string | undefined {
  return model.variant?.name;
}

async function bench(deps: ExecutorDeps, spec: BenchJobSpec, ctx: JobContext): Promise<BenchJobResult> {
  const targets = spec.targets ?? [ORIGINAL_TARGET];
  if (new Set(targets).size !== targets.length) {
    throw new StudioError('BAD_REQUEST', 'A target is listed twice in the benchmark. List each model once.');
  }
  const models: string[] = [];
  const labels: Record<string, string> = {};
  for (const target of targets) {
    const model = await deps.store.resolveTarget(spec.modelPath, target);
    models.push(model.path);
    const label = messageLabel(model);
    if (label !== undefined) labels[model.path] = label;
  }
  let data: BenchParams['data'] | undefined;
  if (spec.data?.kind === 'synthetic')
    data = { kind: 'synthetic', samples: spec.data.samples, seed: spec.data.seed };
  else if (spec.data?.kind === 'dataset') {
    data = {
      kind: 'dataset',
      spec: spec.data.data.spec,
      baseDir: dataBaseDir(spec.modelPath, spec.data.data.baseDir),
      maxSamples: spec.data.maxSamples,
    };
  }
  const params = benchParams({
    models,
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    ...(spec.ep !== undefined ? { ep: spec.ep } : {}),
    ...(spec.intraOpThreads !== undefined ? { intraOpThreads: spec.intraOpThreads } : {}),
    ...(spec.interOpThreads !== undefined ? { interOpThreads: spec.interOpThreads } : {}),
    ...(spec.optLevel !== undefined ? { optLevel: spec.optLevel } : {}),
    ...(spec.allowSpinning !== undefined ? { allowSpinning: spec.allowSpinning } : {}),
    ...(spec.warmup !== undefined ? { warmup: spec.warmup } : {}),
    ...(spec.iterations !== undefined ? { iterations: spec.iterations } : {}),
    ...(spec.durationMs !== undefined ? { durationMs: spec.durationMs } : {}),
    ...(spec.shapes !== undefined ? { shapes: spec.shapes } : {}),
    ...(spec.dims !== undefined ? { dims: spec.dims } : {}),
    ...(spec.values !== undefined ? { values: spec.values } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(spec.profile !== undefined ? { profile: spec.profile } : {}),
  });
  const samples: number[][] = targets.map(() => []);
  const forward = progressForwarder(ctx);
  const report: BenchReport = await deps.engine
    .call('bench', params, {
      signal: ctx.signal,
      onEvent: (event) => {
        if (event.type === 'progress') forward.progress(event.fraction, event.stage);
        else if (event.type === 'log') ctx.log(event.level, event.message);
        else if (event.type === 'metric') {
          ctx.metric(event.name, event.unit, event.values);
          const index = parseLatencyMetricName(event.name);
          if (index !== undefined) samples[index]?.push(...event.values);
        }
      },
    })
    .finally(forward.stop);
  // The app keeps the profiles' aggregates; the traces (several MB per model and run) would pile up.
  await removeProfileTraces(report.results.map((r) => r.profile?.traceFile));
  throwIfCancelled(ctx);
  const results: BenchTargetResult[] = report.results.map((r, i) => {
    const result: BenchTargetResult = {
      target: targets[i]!,
      modelBytes: r.modelBytes,
      ...latencyStatsOf(r),
      throughput: r.throughput,
      peakRssBytes: r.peakRssBytes,
      samples: thinSamples(samples[i] ?? []),
    };
    if (r.profile) {
      const { traceFile: _removed, ...aggregates } = r.profile;
      result.profile = aggregates;
    }
    return result;
  });
  const s = report.settings;
  const fed = report.results[0]?.inputs;
  const dataset = await benchDataset(deps, spec, s.samples, ctx.signal);
  const record = await deps.store.addBenchRecord(spec.modelPath, {
    engine: 'onnxruntime-node',
    provider: s.ep,
    label: `onnxruntime-node ${s.ep}${s.threads > 0 ? `, ${s.threads} threads` : ''}`,
    results,
    settings: s,
    ...(fed ? { inputs: fed } : {}),
    ...(dataset ? { dataset } : {}),
    notes: report.notes,
  });
  return { report, recordId: record.id, samples: results.map((r) => r.samples ?? []) };
}

/**
 * The data a benchmark was fed from, for its record: with it, Compare knows the data decided the shapes and
 * does not hold them against the input spec (input-spec.ts `measuredOffSpec`). Named as the experiment names
 * it, as an evaluation's is. None for synthetic feeds, a synthetic dataset included: those are shaped by the
 * input spec, so a spec changed since must still flag them.
 */
async function benchDataset(
  deps: ExecutorDeps,
  spec: BenchJobSpec,
  /** The samples the runs cycled through (the report's `settings.samples`). */
  samples: number,
  signal: AbortSignal,
): Promise<DatasetIdentity | undefined> {
  if (spec.data?.kind !== 'dataset') return undefined;
  const parsed = parseDatasetSpec(spec.data.data.spec);
  if (!parsed.ok || parsed.spec.kind === 'synthetic') return undefined;
  const named = experimentDatasetFor(await deps.store.get(spec.modelPath), spec.data.data);
  const baseDir = dataBaseDir(spec.modelPath, spec.data.data.baseDir);
  try {
    return await datasetIdentity(parsed.spec, baseDir, samples, named?.name, signal);
  } catch (error) {
    // The figures are measured by now: a file gone or unreadable since only costs the record its data's hash
    // (Compare then holds its shapes against the spec, as for a record of before). A Cancel still cancels.
    if (signal.aborted) throw error;
    return undefined;
  }
}

async function evaluate(
  deps: ExecutorDeps,
  spec: EvaluateJobSpec,
  ctx: JobContext,
): Promise<EvaluateJobResult> {
  const target = spec.target ?? ORIGINAL_TARGET;
  const model = await deps.store.resolveTarget(spec.modelPath, target);
  const reference =
    spec.reference !== undefined ? await deps.store.resolveTarget(spec.modelPath, spec.reference) : undefined;
  if (reference && reference.path === model.path) {
    throw new StudioError(
      'BAD_REQUEST',
      'The reference is the model being evaluated. Compare a variant with the original instead.',
    );
  }
  const label = messageLabel(model);
  const report = await runTask<EvalReportInfo>(
    deps,
    {
      kind: 'evaluate',
      model: model.path,
      ...(label !== undefined ? { label } : {}),
      data: spec.data.spec,
      baseDir: dataBaseDir(spec.modelPath, spec.data.baseDir),
      ...(reference ? { reference: reference.path } : {}),
      ...(spec.task !== undefined ? { task: spec.task } : {}),
      ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
      ...(spec.shapes ? { shapes: spec.shapes } : {}),
      ...(spec.dims ? { dims: spec.dims } : {}),
      ...(spec.values ? { values: spec.values } : {}),
      ...(spec.inputsOrigin ? { origin: spec.inputsOrigin } : {}),
    },
    ctx,
  );
  throwIfCancelled(ctx);
  const baseDir = dataBaseDir(spec.modelPath, spec.data.baseDir);
  const parsed = parseDatasetSpec(spec.data.spec);
  const named = experimentDatasetFor(await deps.store.get(spec.modelPath), spec.data);
  const dataset = parsed.ok
    ? await datasetIdentity(parsed.spec, baseDir, report.samples, named?.name, ctx.signal)
    : undefined;
  const record = await deps.store.addEvalRecord(spec.modelPath, {
    target,
    ...(spec.reference !== undefined ? { reference: spec.reference } : {}),
    ...(dataset ? { dataset } : {}),
    ...(report.inputs ? { inputs: report.inputs } : {}),
    report,
  });
  return { report, recordId: record.id };
}

/** A file that appeared at an export's destination after its check: the app's words, not the CLI's --force. */
function appearedWhileExporting(file: string): StudioError {
  return new StudioError(
    'BAD_REQUEST',
    `${file} appeared while this export ran (another export or a command wrote it), so nothing was replaced. ` +
      'Export again to choose whether to replace it.',
  );
}

/**
 * The export task's (saveModel's) refusal of a file that appeared, reworded for the app from the path it carries
 * (not its CLI words, which say --force); other errors as they are.
 */
export function inAppWords(error: unknown): unknown {
  const existing = existingPathOf(error);
  return existing === undefined ? error : appearedWhileExporting(existing);
}

async function exportVariant(
  deps: ExecutorDeps,
  spec: ExportJobSpec,
  ctx: JobContext,
): Promise<ExportJobResult> {
  const destination = path.resolve(spec.outputPath);
  const source = await deps.store.resolveTarget(spec.modelPath, spec.target);
  // A model with external data names its data file (any name, not only MODEL.onnx.data): a copy of the .onnx
  // alone would point at nothing, so it is re-saved, writing both under the new name (DEST.onnx.data).
  const withData = fileMayHaveExternalData(source.path);
  const check = checkExport({
    destination,
    variantPath: source.path,
    modelPath: spec.modelPath,
    exists: fs.existsSync(destination),
    ...(withData
      ? { dataFile: { path: dataFileOf(destination), exists: fs.existsSync(dataFileOf(destination)) } }
      : {}),
    isFolder: fs.statSync(destination, { throwIfNoEntry: false })?.isDirectory() === true,
    sameFile,
    ...(spec.overwrite !== undefined ? { overwrite: spec.overwrite } : {}),
    ...(spec.replaceOriginal !== undefined ? { replaceOriginal: spec.replaceOriginal } : {}),
  });
  if (check.kind === 'refuse') throw new StudioError('BAD_REQUEST', check.message);
  if (check.kind === 'ask')
    return {
      written: false,
      reason: check.reason,
      path: destination,
      ...(check.replaces ? { replaces: check.replaces } : {}),
    };
  if (!fs.existsSync(path.dirname(destination))) {
    throw new StudioError(
      'IO',
      `The folder ${path.dirname(destination)} does not exist. Choose an existing folder.`,
    );
  }
  // What the check allowed to be replaced; a file that appears there meanwhile (another export, another tune -o)
  // is refused when the files are put in place, not replaced.
  const replace = spec.overwrite === true || spec.replaceOriginal === true;
  let bytes: number;
  let dataFile: string | undefined;
  try {
    if (withData) {
      const saved = await runTask<{ path: string; bytes: number; dataFile?: string }>(
        deps,
        { kind: 'export', input: source.path, output: destination, force: replace },
        ctx,
      );
      bytes = saved.bytes;
      dataFile = saved.dataFile;
    } else {
      bytes = await copyFileAtomic(source.path, destination, {
        replace,
        exists: appearedWhileExporting,
        signal: ctx.signal,
        cancelled: 'Export was cancelled; nothing was written.',
        onProgress: (copied, total) => ctx.progress(total > 0 ? copied / total : 1, 'copying'),
      });
    }
  } catch (error) {
    throw inAppWords(error);
  }
  const ws = await deps.store.get(spec.modelPath);
  const cliCommand = source.variant ? source.variant.cliCommand : `# the original model: ${ws.model.path}`;
  return {
    written: true,
    path: destination,
    bytes,
    cliCommand,
    ...(dataFile !== undefined ? { dataFile } : {}),
  };
}

/** Runs one job of any kind; a job that states no input shapes runs with its model's experiment input spec. */
export async function executeJob(deps: ExecutorDeps, given: JobSpec, ctx: JobContext): Promise<unknown> {
  const filled =
    given.kind === 'bench' || given.kind === 'quantize' || given.kind === 'evaluate'
      ? withExperimentInputs(given, await deps.store.get(given.modelPath))
      : given;
  // The experiment's input spec, taken where the job gives none, is the app's whatever origin the job named.
  const spec: JobSpec =
    filled !== given && 'inputsOrigin' in filled ? { ...filled, inputsOrigin: 'app' } : filled;
  switch (spec.kind) {
    case 'inspect':
      return inspectInTask(deps, (spec satisfies InspectJobSpec).modelPath, ctx);
    case 'quantize':
      return makeVariant<QuantizeReportInfo>(deps, spec, ctx);
    case 'prune':
      return makeVariant<PruneReportInfo>(deps, spec, ctx);
    case 'bench':
      return bench(deps, spec, ctx);
    case 'evaluate':
      return evaluate(deps, spec, ctx);
    case 'export':
      return exportVariant(deps, spec, ctx);
    case 'tune':
      return runTuneJob(
        { ...deps, providers: (signal) => deps.engine.call('providers', {}, { signal }) },
        spec,
        ctx,
      );
  }
}
