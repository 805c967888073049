/**
 * The TrialRunner of `tune` on the studio's jobs: every trial is an ordinary quantize or prune job (a variant in
 * the workspace, with its recipe), evaluated and benchmarked by ordinary jobs. The job manager's lanes decide
 * what runs together: a trial's quantization can run while another is evaluated, and a benchmark always runs
 * alone, interleaved with the original, so parallel work never skews latency.
 */
import type { JobSpec } from '../../../shared/ipc-contract.js';
import type { TuneJobs } from './tune-jobs.js';

/**
 * The worst top-1 agreement over the class-score outputs (eval leaves it null on other outputs), if any, and
 * whether it is a share of positions (eval's `top1Positions`: per-token scores), not of samples.
 */
export function worstTop1Agreement(
  outputs: readonly { top1Agreement: number | null; top1Positions?: number }[],
): { top1Agreement?: number; top1PerPosition?: boolean } {
  const scored = outputs.filter((o) => o.top1Agreement !== null && o.top1Agreement !== undefined);
  const worst = scored.sort((a, b) => a.top1Agreement! - b.top1Agreement!)[0];
  if (!worst) return {};
  return {
    top1Agreement: worst.top1Agreement!,
    ...(worst.top1Positions !== undefined ? { top1PerPosition: true } : {}),
  };
}

export type { TuneJobs };
import type { BenchJobResult, EvaluateJobResult, VariantJobResult } from '../../../shared/job-results.js';
import type { PruneReportInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import type { TuneOptions } from '../../../shared/options/tune-options.js';
import type { TrialRecipe } from '../../../shared/tune.js';
import { BENCH_DATASET_FEEDS } from '../../../shared/bench.js';
import { StudioError } from '../errors.js';
import { loadModel } from '../onnx/load-model.js';
import { analyzeSensitivity } from '../quantize/sensitivity.js';
import { isGuessNote, type ShapeOverrides } from '../runtime/input-specs.js';
import { worstFidelity } from '../evaluate/fidelity-metrics.js';
import { openTuneData, type TuneDataRef } from './tune-data.js';
import { benchTitle, evaluateTitle, UNKNOWN_VARIANT } from '../../../shared/job-titles.js';
import type { TrialRunner } from './tune-search.js';

export type { TuneDataRef };
type DataRef = TuneDataRef;

export interface TuneRunnerSetup {
  jobs: TuneJobs;
  modelPath: string;
  options: TuneOptions;
  calibration: DataRef;
  evaluation: DataRef;
  /** The input spec of the trials' jobs and of the sensitivity analysis; its origin names it in their messages. */
  inputs: ShapeOverrides;
  signal?: AbortSignal;
}

/** The input spec fields of a job (shapes, dims, values), leaving out the empty ones. */
export function jobInputs(inputs: ShapeOverrides): {
  shapes?: Record<string, number[]>;
  dims?: Record<string, number>;
  values?: NonNullable<ShapeOverrides['values']>;
} {
  const some = <T extends object>(v: T | undefined) => v !== undefined && Object.keys(v).length > 0;
  return {
    ...(some(inputs.shapes) ? { shapes: inputs.shapes! } : {}),
    ...(some(inputs.dims) ? { dims: inputs.dims! } : {}),
    ...(some(inputs.values) ? { values: inputs.values! } : {}),
  };
}

/**
 * The input fields of a quantize or evaluate job (jobInputs), with where they came from: `onnx-studio tune`'s
 * trials then name `--shape` and `--dim` in their messages, and hold data to them, as the command itself does.
 * A benchmark's params carry no origin (jobInputs alone).
 */
export function jobSpecInputs(inputs: ShapeOverrides): ReturnType<typeof jobInputs> & {
  inputsOrigin?: NonNullable<ShapeOverrides['origin']>;
} {
  const own = jobInputs(inputs);
  return Object.keys(own).length > 0 && inputs.origin ? { ...own, inputsOrigin: inputs.origin } : own;
}

/**
 * Adds guesses (dims and values nothing set) to an outcome's notes, first, where commands put guesses, and each
 * once: the CLI says those of synthetic data before the search, and the trials' jobs report them again.
 */
export function addGuessNotes(notes: string[], guesses: readonly string[]): void {
  notes.unshift(...guesses.filter((g, i) => !notes.includes(g) && guesses.indexOf(g) === i));
}

export function backendTrialRunner(setup: TuneRunnerSetup): TrialRunner {
  const { jobs, modelPath, options } = setup;
  const guessed = new Set<string>();
  const keepGuesses = (notes: readonly string[] | undefined) => {
    for (const note of notes ?? []) if (isGuessNote(note)) guessed.add(note);
  };
  // Each trial's variant by the trial's name: its jobs are titled so (`Evaluate int8-static minmax
  // per-channel`), never by the variant's id, which means nothing in the job list.
  const trialNames = new Map<string, string>();
  const nameOf = (variantId: string) => trialNames.get(variantId) ?? UNKNOWN_VARIANT;
  return {
    async make(recipe: TrialRecipe, name: string) {
      const spec: JobSpec =
        recipe.kind === 'quantize'
          ? {
              kind: 'quantize',
              modelPath,
              method: recipe.method,
              common: recipe.common,
              options: recipe.options,
              name,
              ...jobSpecInputs(setup.inputs),
              ...(recipe.method === 'int8-static' ? { calibration: setup.calibration } : {}),
            }
          : {
              kind: 'prune',
              modelPath,
              method: recipe.method,
              common: recipe.common,
              options: recipe.options,
              name,
            };
      // Not the trial's name: a failure reads the same for every trial (tune-search.ts compares them).
      const made = await jobs.run<VariantJobResult<QuantizeReportInfo | PruneReportInfo>>(
        spec,
        recipe.kind === 'quantize' ? 'Quantization' : 'Pruning',
      );
      trialNames.set(made.variant.id, name);
      return { variantId: made.variant.id, bytes: made.report.outputBytes };
    },
    async evaluate(variantId: string) {
      const result = await jobs.run<EvaluateJobResult>(
        {
          kind: 'evaluate',
          modelPath,
          target: variantId,
          data: setup.evaluation,
          reference: 'original',
          ...jobSpecInputs(setup.inputs),
          ...(options.evalSamples !== undefined ? { limit: options.evalSamples } : {}),
        },
        'Evaluation',
        evaluateTitle(nameOf(variantId)),
      );
      keepGuesses(result.report.notes);
      const fidelity = result.report.fidelity;
      if (!fidelity)
        throw new StudioError('INTERNAL', 'The evaluation measured no fidelity against the original.');
      // The cosine budget reads the float outputs; bool and integer ones are judged by their share of equal
      // values (fidelity-metrics.ts), and stand in for the cosine only where every output is one.
      const worst = worstFidelity(fidelity.outputs ?? [fidelity]);
      return {
        cosine: worst.cosine ?? worst.agreement ?? fidelity.cosine,
        ...(worst.agreement !== undefined
          ? { agreement: worst.agreement, discreteOutputs: worst.discreteOutputs }
          : {}),
        ...(worst.cosine === undefined && worst.agreement !== undefined ? { cosineIsAgreement: true } : {}),
        ...worstTop1Agreement(fidelity.outputs ?? [fidelity]),
        ...(result.report.accuracy !== undefined ? { accuracy: result.report.accuracy } : {}),
      };
    },
    async bench(variantId: string) {
      const result = await jobs.run<BenchJobResult>(
        {
          kind: 'bench',
          modelPath,
          targets: ['original', variantId],
          iterations: options.iterations,
          ep: options.ep,
          ...jobInputs(setup.inputs),
          // On the evaluation data, as `bench --data` feeds it (its first samples, cycled through): at the
          // user's shapes and values, not at guessed ones (a decoder's sequence beyond its position table).
          data: { kind: 'dataset', data: setup.evaluation, maxSamples: BENCH_DATASET_FEEDS },
          ...(options.threads > 0 ? { intraOpThreads: options.threads } : {}),
        },
        'Benchmark',
        benchTitle(['original', nameOf(variantId)], options.ep),
      );
      keepGuesses(result.report.notes);
      const [original, variant] = result.report.results;
      if (!original || !variant)
        throw new StudioError('INTERNAL', 'The benchmark returned fewer results than models.');
      // Judged in the benchmark, as Compare judges it: faster only beyond this run's noise.
      const judged = result.report.comparisons[0];
      return {
        p50Ms: variant.p50Ms,
        p50Ratio: judged?.p50Ratio ?? variant.p50Ms / original.p50Ms,
        latencyVerdict: judged?.latencyVerdict ?? 'same',
        ...(judged?.latencyUnreliable ? { latencyUnreliable: true } : {}),
      };
    },
    guesses() {
      return [...guessed];
    },
    async remove(variantId: string) {
      await jobs.removeVariant(modelPath, variantId);
    },
    async sensitivity(recipe: TrialRecipe) {
      const model = (await loadModel(modelPath)).proto;
      const report = await analyzeSensitivity({
        modelPath,
        calibration: await openTuneData(model, setup.inputs, setup.calibration),
        data: await openTuneData(model, setup.inputs, setup.evaluation),
        options: recipe.options,
        common: recipe.common,
        ...(setup.signal ? { signal: setup.signal } : {}),
      });
      return report.rows;
    },
  };
}
