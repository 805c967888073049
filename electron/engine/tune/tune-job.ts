/**
 * The app's Auto-optimize: a `tune` job. It runs the same search as `onnx-studio tune` (run-tune.ts), its trials
 * as ordinary jobs of the backend, and keeps a record in the workspace (`tunes`) that every ended trial updates,
 * so the app draws trials as they come and a reload still shows them. Data and input shapes default to the
 * model's experiment. The chosen variant stays in the workspace as an ordinary variant, renamed `tuned: ...`.
 * Only a search that ended chooses: on Cancel the finished trials are kept, their variants under their trial
 * names and none chosen (as `onnx-studio tune` writes nothing then), and so they are when ONNX Studio stops the
 * run (closing: it reads interrupted, not cancelled) or is killed under it (cut off, tune-records.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ProviderStatus } from '../../../shared/bench.js';
import { measuresNothingAlone } from '../../../shared/own-ids.js';
import type { TuneJobSpec } from '../../../shared/ipc-contract.js';
import type { TuneJobResult } from '../../../shared/job-results.js';
import { budgetOf, tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import { trialNumbered } from '../../../shared/tune.js';
import type { TuneRecord, Workspace } from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import type { WorkspaceStore } from '../workspace/workspace-store.js';
import { stopOnAbort, type TuneJobs } from './tune-jobs.js';
import type { JobContext } from '../jobs/job-manager.js';
import type { TaskPool } from '../jobs/task-pool.js';
import { checkOnnxruntimeLoads, runTune } from './run-tune.js';

type DataRef = NonNullable<TuneJobSpec['evaluation']>;

const describe = (ref: DataRef, name?: string) =>
  name ?? ('path' in ref.spec && typeof ref.spec.path === 'string' ? ref.spec.path : String(ref.spec.kind));

function recordOf(ws: Workspace, id: string): TuneRecord {
  const record = ws.tunes?.find((t) => t.id === id);
  if (!record) throw new StudioError('INTERNAL', `The tune record ${id} is missing from the workspace.`);
  return record;
}

/**
 * A run that stopped before its search ended: cancelled (by the user), or interrupted when ONNX Studio stopped it
 * while closing (shared/pipeline-interruption.ts); a restart finds one it never got to write so (killed, crashed)
 * cut off (tune-records.ts).
 */
function stopped(r: TuneRecord, ctx: JobContext): void {
  const how = ctx.interrupted?.();
  r.status = how === undefined ? 'cancelled' : 'interrupted';
  if (how !== undefined) r.interrupted = how;
}

/** What a tune job needs of the backend (a narrow part of the executors' dependencies). */
export interface TuneJobDeps {
  store: WorkspaceStore;
  jobs?: TuneJobs;
  /**
   * The execution providers where benchmarks run (probed in the engine process), to refuse an unavailable one
   * before the search; without it the trials' failures say so.
   */
  providers?: (signal: AbortSignal) => Promise<ProviderStatus[]>;
  /** Task processes, to check that onnxruntime loads the model before the run is recorded and searched. */
  tasks?: Pick<TaskPool, 'run'>;
}

/** The app's words for a provider the run cannot use: what to do is in the app, not on a command line. */
function unavailableInApp(status: ProviderStatus): StudioError {
  const reason = status.reason?.trim() ?? 'unknown reason';
  return new StudioError(
    'BAD_REQUEST',
    `The ${status.name} execution provider is not available here: ${/[.!?]$/.test(reason) ? reason : `${reason}.`}` +
      `${status.hint ? ` ${status.hint}` : ''} Auto-optimize measures every trial's latency on it, so no trial could ` +
      `run: start it again on cpu (the default, always available) or on a provider that Compare's "Execution ` +
      `provider" list offers.`,
    status.reason === undefined ? undefined : { detail: status.reason },
  );
}

export async function runTuneJob(
  deps: TuneJobDeps,
  spec: TuneJobSpec,
  ctx: JobContext,
): Promise<TuneJobResult> {
  if (!deps.jobs) throw new StudioError('INTERNAL', 'This host cannot start the jobs a tune run needs.');
  const parsed = tuneOptionsSchema.safeParse(spec.options);
  if (!parsed.success)
    throw new StudioError(
      'BAD_REQUEST',
      `Invalid Auto-optimize options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
    );
  const options = parsed.data;
  const budget = budgetOf(options);
  if (!budget.ok) throw new StudioError('BAD_REQUEST', budget.message);
  // Refused before the run is recorded and before its search, as `onnx-studio tune --ep` is: every trial's
  // benchmark would fail alike, and the run would end as a budget miss after calibrating each candidate.
  if (options.ep !== 'cpu' && deps.providers) {
    const status = (await deps.providers(ctx.signal)).find((p) => p.name === options.ep);
    if (status && !status.available) throw unavailableInApp(status);
  }
  // A model onnxruntime cannot load (a custom operator, a too-new opset) would fail every trial alike.
  if (deps.tasks) await checkOnnxruntimeLoads(deps.tasks, spec.modelPath, ctx.signal);
  const ws = await deps.store.get(spec.modelPath);
  const datasets = ws.experiment?.datasets ?? {};
  // The experiment's datasets were checked when they were set (studio:experiment.set).
  const evaluation = spec.evaluation ?? (datasets.evaluation?.data as DataRef | undefined);
  if (!evaluation)
    throw new StudioError(
      'BAD_REQUEST',
      'Auto-optimize needs evaluation data: fill in the evaluation data in Optimize (2. Data).',
    );
  const calibration = spec.calibration ?? (datasets.calibration?.data as DataRef | undefined) ?? evaluation;
  // Data that may carry labels (an .npz, a .jsonl, an image folder) is taken at its word here, before the run is
  // recorded; runTune opens it and refuses the budget if the labels turn out missing. A language model's real ids
  // need none (shared/own-ids.ts), by the model's last summary; runTune decides on its own inspection.
  if (budget.budget.kind === 'accuracy-drop' && measuresNothingAlone(evaluation.spec, ws.model?.summary))
    throw new StudioError(
      'BAD_REQUEST',
      "An accuracy budget needs labels: give the test set labels, or use a cosine budget. (A language model's real token ids need none.)",
    );
  const inputs = {
    ...(spec.shapes
      ? { shapes: spec.shapes }
      : ws.experiment?.inputs?.shapes
        ? { shapes: ws.experiment.inputs.shapes }
        : {}),
    ...(spec.dims ? { dims: spec.dims } : {}),
    ...(spec.values
      ? { values: spec.values }
      : ws.experiment?.inputs?.values
        ? { values: ws.experiment.inputs.values }
        : {}),
    // Set in the app (the form, or the Model view): its trials' messages name the Model view, not flags.
    origin: 'app' as const,
  };

  const id = randomUUID().slice(0, 8);
  const record: TuneRecord = {
    id,
    jobId: ctx.jobId,
    startedAt: new Date().toISOString(),
    status: 'running',
    objective: options.objective,
    budget: budget.budget,
    data: {
      evaluation: describe(evaluation, spec.evaluation ? undefined : datasets.evaluation?.name),
      calibration: describe(
        calibration,
        spec.calibration ? undefined : (datasets.calibration?.name ?? datasets.evaluation?.name),
      ),
    },
    trials: [],
  };
  await deps.store.update(spec.modelPath, (w) => {
    w.tunes = [...(w.tunes ?? []), record];
  });
  const update = (mutate: (r: TuneRecord) => void) =>
    deps.store.update(spec.modelPath, (w) => mutate(recordOf(w, id)));
  let ended = 0;
  try {
    const { outcome } = await runTune({
      // Cancel stops the search, and a trial between two jobs starts no next one (as in the CLI).
      jobs: stopOnAbort(deps.jobs, ctx.signal),
      modelPath: spec.modelPath,
      options,
      budget: budget.budget,
      evaluation,
      calibration,
      inputs,
      dataNames: {
        ...(!spec.evaluation && datasets.evaluation?.name ? { evaluation: datasets.evaluation.name } : {}),
        ...(!spec.calibration && datasets.calibration?.name
          ? { calibration: datasets.calibration.name }
          : {}),
      },
      // Once known, the record names the data as the outcome will: no calibration data where no recipe
      // tried calibrates (the form shows none then either).
      onData: (data) =>
        void update((r) => {
          r.data = {
            evaluation: data.evaluation.name,
            ...(data.calibration ? { calibration: data.calibration.name } : {}),
          };
        }),
      signal: ctx.signal,
      onStage: (text) => ctx.progress(Math.min(0.99, ended / options.maxTrials), text),
      onTrial: (trial, done) => {
        if (!done) return;
        ended++;
        void update((r) => {
          r.trials = [...r.trials.filter((t) => t.index !== trial.index), { ...trial }].sort(
            (a, b) => a.index - b.index,
          );
        });
      },
    });
    // None when the search was stopped (tune-search.ts): its best trial so far keeps its trial's name.
    const chosen = trialNumbered(outcome, outcome.chosen);
    if (chosen?.variantId) {
      await deps.store.update(spec.modelPath, (w) => {
        const variant = w.variants.find((v) => v.id === chosen.variantId);
        if (variant) variant.name = `tuned: ${chosen.name}`.slice(0, 120);
      });
    }
    await update((r) => {
      if (outcome.stoppedBy === 'cancelled') stopped(r, ctx);
      else r.status = 'done';
      r.endedAt = new Date().toISOString();
      r.trials = outcome.trials;
      r.original = outcome.original;
      r.outcome = outcome;
      if (chosen?.variantId) r.chosenVariantId = chosen.variantId;
    });
    if (outcome.stoppedBy === 'cancelled')
      throw new StudioError('CANCELLED', 'Auto-optimize was cancelled; its finished trials are kept.');
    return { tuneId: id, outcome, ...(chosen?.variantId ? { chosenVariantId: chosen.variantId } : {}) };
  } catch (error) {
    const cancelled = error instanceof StudioError && error.code === 'CANCELLED';
    await update((r) => {
      if (r.status !== 'running') return;
      if (cancelled) stopped(r, ctx);
      else r.status = 'failed';
      r.endedAt = new Date().toISOString();
      if (!cancelled) r.error = error instanceof Error ? error.message : String(error);
    });
    throw error;
  }
}
