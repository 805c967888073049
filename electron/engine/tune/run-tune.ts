/**
 * A whole tuning run on the studio's jobs: inspect the model, measure the original's accuracy (with labels),
 * pick the candidate recipes, search. The CLI's `tune` and the app's Auto-optimize job both run this; they differ
 * only in where the chosen variant goes (a file, or the workspace).
 */
import type { ProviderStatus } from '../../../shared/bench.js';
import { calibrationSpecOf } from '../../../shared/dataset-spec.js';
import type { EvaluateJobResult } from '../../../shared/job-results.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { echoesOwnIds, ownIdsGraded } from '../../../shared/own-ids.js';
import type { TuneBudget, TuneOptions } from '../../../shared/options/tune-options.js';
import {
  appTuneSetting,
  describeBudget,
  trialNumbered,
  tuneCalibrates,
  type NameTuneSetting,
  type TuneData,
  type TuneOutcome,
  type TuneTrial,
} from '../../../shared/tune.js';
import { errorFromInfo, StudioError } from '../errors.js';
import type { TaskPool } from '../jobs/task-pool.js';
import { providerUnavailableError } from '../runtime/execution-providers.js';
import type { ShapeOverrides } from '../runtime/input-specs.js';
import { checkTuneData, refuseUnlabelledAccuracyBudget } from './tune-data.js';
import { tuneCandidates } from './tune-candidates.js';
import { backendTrialRunner, jobSpecInputs, type TuneDataRef, type TuneJobs } from './tune-runner.js';
import { runTuneSearch, type TrialRunner, withdrawChoice } from './tune-search.js';

export interface TuneRequest {
  jobs: TuneJobs;
  modelPath: string;
  options: TuneOptions;
  budget: TuneBudget;
  /**
   * The evaluation data. Where it has labels (as the data layer reads them, as eval does: a labels file, an
   * .npz's 'labels' array, class sub-folders, .jsonl "label"s), trials are measured for accuracy too; without,
   * by fidelity alone, and an accuracy budget is refused before the search.
   */
  evaluation: TuneDataRef;
  calibration: TuneDataRef;
  inputs: ShapeOverrides;
  /**
   * The providers where benchmarks run (the engine process: probing here would load onnxruntime into this
   * one), to refuse an unavailable --ep before the search; without it the trials' failures say so.
   */
  providers?: () => Promise<ProviderStatus[]>;
  /**
   * Task processes, to check before the search that onnxruntime loads the model (a session is created there,
   * never in this process); without them a model onnxruntime refuses fails every trial alike.
   */
  tasks?: Pick<TaskPool, 'run'>;
  /** How reasons name an option to set (default: the app's form labels; the CLI passes its flags). */
  nameSetting?: NameTuneSetting;
  /** How messages name the data (the CLI's flags: `--data`, `--calib-data`). */
  dataFlags?: { evaluation: string; calibration: string };
  /** The names the data goes by (the app's experiment names); default: its files' names. */
  dataNames?: { evaluation?: string; calibration?: string };
  /** Once the data is checked, before the search: which data the run measures and calibrates on. */
  onData?: (data: TuneData) => void;
  signal?: AbortSignal;
  onStage?: (text: string) => void;
  onTrial?: (trial: TuneTrial, ended: boolean) => void;
}

/**
 * Refuses a model onnxruntime cannot load (a custom operator, an opset newer than it supports, a broken graph):
 * MODEL_INVALID with onnxruntime's reason and what to do, as `bench` and `quantize` say it. Every trial would
 * otherwise fail alike, and the run end as a budget miss naming the trials' temporary files.
 */
export async function checkOnnxruntimeLoads(
  tasks: Pick<TaskPool, 'run'>,
  modelPath: string,
  signal?: AbortSignal,
): Promise<void> {
  const end = await tasks.run({ kind: 'loadCheck', path: modelPath }, signal ? { signal } : {});
  if (end.type === 'failed') throw errorFromInfo(end.error);
  if (end.type === 'cancelled') throw new StudioError('CANCELLED', 'Cancelled.');
}

export async function runTune(request: TuneRequest): Promise<{ outcome: TuneOutcome; runner: TrialRunner }> {
  const { jobs, modelPath, options, budget, inputs } = request;
  const say = request.onStage ?? (() => {});
  const summary = await jobs.run<ModelSummary>({ kind: 'inspect', modelPath }, 'Inspecting the model');
  // Refused once here rather than by every trial alike (which would end as a budget miss): the provider every
  // benchmark asks for, and data that does not fit the model.
  if (options.ep !== 'cpu' && request.providers) {
    const status = (await request.providers()).find((p) => p.name === options.ep);
    if (status && !status.available) throw providerUnavailableError(status);
  }
  if (request.tasks) await checkOnnxruntimeLoads(request.tasks, modelPath, request.signal);
  // Calibration data is read only by int8-static (and the fallbacks built on it): where no such recipe is
  // tried, it is neither checked nor named as used.
  const calibrates = tuneCalibrates(summary);
  const names = request.dataNames ?? {};
  const [evaluationFacts, calibrationFacts] = await checkTuneData(
    modelPath,
    inputs,
    [
      {
        flag: request.dataFlags?.evaluation ?? 'The evaluation data',
        ref: request.evaluation,
        ...(names.evaluation !== undefined ? { name: names.evaluation } : {}),
      },
      ...(calibrates
        ? [
            {
              flag: request.dataFlags?.calibration ?? 'The calibration data',
              ref: request.calibration,
              ...(names.calibration !== undefined ? { name: names.calibration } : {}),
            },
          ]
        : []),
    ],
    request.signal,
  );
  const evaluated = evaluationFacts!.identity;
  const data: TuneData = {
    evaluation: evaluated,
    ...(options.evalSamples !== undefined && options.evalSamples < evaluated.samples
      ? { evalSamples: options.evalSamples }
      : {}),
    ...(calibrationFacts ? { calibration: calibrationFacts.identity } : {}),
  };
  request.onData?.(data);
  // A language model's real ids grade it without labels (next-token accuracy, shared/own-ids.ts).
  const ownIds = !evaluationFacts!.hasLabels && ownIdsGraded(request.evaluation.spec, summary);
  refuseUnlabelledAccuracyBudget(budget, evaluationFacts!, request.dataFlags?.evaluation, ownIds);
  const labelled = evaluationFacts!.hasLabels || ownIds;
  if (labelled) say('evaluate the original');
  const base = labelled
    ? await jobs.run<EvaluateJobResult>(
        {
          kind: 'evaluate',
          modelPath,
          data: request.evaluation,
          ...jobSpecInputs(inputs),
          ...(options.evalSamples !== undefined ? { limit: options.evalSamples } : {}),
        },
        'Evaluating the original',
      )
    : undefined;
  const echoed = base?.report.nextToken;
  if (budget.kind === 'accuracy-drop' && echoed && echoesOwnIds(echoed))
    throw new StudioError(
      'BAD_REQUEST',
      `The original ranks each position's own id first at ${(echoed.ownIdShare! * 100).toFixed(1)}% of the positions and ` +
        `the next id at ${(echoed.accuracy * 100).toFixed(1)}%: it reads as a masked LM or an autoencoder, for which ` +
        'next-token accuracy says nothing and a budget on it cannot be broken. Give labels, or a cosine budget instead.',
      { cliHint: 'Use --min-cosine C instead of --max-accuracy-drop.' },
    );
  if (budget.kind === 'accuracy-drop' && base?.report.accuracy === undefined)
    throw new StudioError(
      'BAD_REQUEST',
      `No accuracy could be measured on this data (${base?.report.taskReason ?? 'it has no labels'}). Give labels, or a cosine budget instead.`,
    );
  const original = {
    bytes: summary.fileBytes + summary.externalDataBytes,
    ...(base?.report.accuracy !== undefined ? { accuracy: base.report.accuracy } : {}),
    ...(base?.report.task === 'next-token' ? { accuracyTask: 'next-token' as const } : {}),
  };
  const plan = tuneCandidates(summary, options, request.nameSetting ?? appTuneSetting);
  if (plan.candidates.length === 0)
    throw new StudioError(
      'BAD_REQUEST',
      `No recipe suits this model: ${plan.skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}.`,
    );
  say(
    `budget: ${describeBudget(budget)}; objective: ${options.objective}; ${plan.candidates.length} recipes to try`,
  );
  for (const s of plan.skipped) say(`  not ${s.name}: ${s.why}`);
  const runner = backendTrialRunner({
    jobs,
    modelPath,
    options,
    calibration: { ...request.calibration, spec: calibrationSpecOf(request.calibration.spec) },
    evaluation: request.evaluation,
    inputs,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const outcome = await runTuneSearch({
    model: modelPath,
    options,
    budget,
    original,
    candidates: plan.candidates,
    runner,
    notes: plan.skipped.map((s) => `Not ${s.name}: ${s.why}.`),
    onStage: say,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onTrial ? { onTrial: request.onTrial } : {}),
  });
  outcome.data = data;
  await benchChosen(outcome, runner, say, request.onTrial);
  return { outcome, runner };
}

/**
 * The size objective's search benchmarks no trial: the chosen one is benchmarked against the original at the
 * end, so the CLI and the app both say its latency and whether it is slower. A Cancel during it ends the run
 * as cancelled (the trials stand, none chosen).
 */
export async function benchChosen(
  outcome: TuneOutcome,
  runner: TrialRunner,
  say: (text: string) => void,
  onTrial?: (trial: TuneTrial, ended: boolean) => void,
): Promise<void> {
  const chosen = trialNumbered(outcome, outcome.chosen);
  if (outcome.stoppedBy === 'cancelled' || !chosen?.variantId || chosen.p50Ratio !== undefined) return;
  say(`benchmark ${chosen.name} against the original`);
  const started = performance.now();
  try {
    Object.assign(chosen, await runner.bench(chosen.variantId));
    // Not in `seconds` (the search's): said beside it, so the two add up to the run's time (a user test).
    outcome.benchSeconds = (performance.now() - started) / 1000;
  } catch (error) {
    if (!(error instanceof StudioError && error.code === 'CANCELLED')) throw error;
    // Stopped before it was measured: no choice, as a search stopped earlier makes none (tune-search.ts).
    outcome.stoppedBy = 'cancelled';
    withdrawChoice(outcome);
    return;
  }
  onTrial?.(chosen, true);
}
