/**
 * The TrialRunner of `tune` on the studio's jobs: every trial is an ordinary quantize or prune job (a variant in
 * the workspace, with its recipe), evaluated and benchmarked by ordinary jobs. The job manager's lanes decide
 * what runs together: a trial's quantization can run while another is evaluated, and a benchmark always runs
 * alone, interleaved with the original, so parallel work never skews latency.
 */
import type { JobSpec } from '../../../shared/ipc-contract.js';
import type { TuneJobs } from './tune-jobs.js';

export type { TuneJobs };
import type { BenchJobResult, EvaluateJobResult, VariantJobResult } from '../../../shared/job-results.js';
import type { PruneReportInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import type { TuneOptions } from '../../../shared/options/tune-options.js';
import type { TrialRecipe } from '../../../shared/tune.js';
import { openDataset } from '../datasets/open-dataset.js';
import { StudioError } from '../errors.js';
import { loadModel } from '../onnx/load-model.js';
import { analyzeSensitivity } from '../quantize/sensitivity.js';
import { resolveInputSpecs, type ShapeOverrides } from '../runtime/input-specs.js';
import { parseDatasetSpec } from '../../../shared/dataset-spec.js';
import type { TrialRunner } from './tune-search.js';

/** A dataset as jobs name it: its spec and the folder its relative paths resolve against. */
export type TuneDataRef = Extract<JobSpec, { kind: 'evaluate' }>['data'];
type DataRef = TuneDataRef;

export interface TuneRunnerSetup {
  jobs: TuneJobs;
  modelPath: string;
  options: TuneOptions;
  calibration: DataRef;
  evaluation: DataRef;
  /** Input spec for the sensitivity analysis (the jobs read the experiment's). */
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

export function backendTrialRunner(setup: TuneRunnerSetup): TrialRunner {
  const { jobs, modelPath, options } = setup;
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
              ...jobInputs(setup.inputs),
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
      const made = await jobs.run<VariantJobResult<QuantizeReportInfo | PruneReportInfo>>(spec, name);
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
          ...jobInputs(setup.inputs),
          ...(options.evalSamples !== undefined ? { limit: options.evalSamples } : {}),
        },
        'Evaluation',
      );
      const fidelity = result.report.fidelity;
      if (!fidelity)
        throw new StudioError('INTERNAL', 'The evaluation measured no fidelity against the original.');
      const cosine = Math.min(fidelity.cosine, ...(fidelity.outputs ?? []).map((o) => o.cosine));
      return {
        cosine,
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
          ...(options.threads > 0 ? { intraOpThreads: options.threads } : {}),
        },
        'Benchmark',
      );
      const [original, variant] = result.report.results;
      if (!original || !variant)
        throw new StudioError('INTERNAL', 'The benchmark returned fewer results than models.');
      return { p50Ms: variant.p50Ms, p50Ratio: variant.p50Ms / original.p50Ms };
    },
    async remove(variantId: string) {
      await jobs.removeVariant(modelPath, variantId);
    },
    async sensitivity(recipe: TrialRecipe) {
      const model = await loadModel(modelPath);
      const { inputs } = resolveInputSpecs(model.proto, setup.inputs);
      const open = (ref: DataRef) => {
        const parsed = parseDatasetSpec(ref.spec);
        if (!parsed.ok) throw new StudioError('BAD_REQUEST', `Invalid dataset: ${parsed.message}`);
        return openDataset(parsed.spec, inputs, ref.baseDir ? { baseDir: ref.baseDir } : {});
      };
      const report = await analyzeSensitivity({
        modelPath,
        calibration: await open(setup.calibration),
        data: await open(setup.evaluation),
        options: recipe.options,
        common: recipe.common,
        ...(setup.signal ? { signal: setup.signal } : {}),
      });
      return report.rows;
    },
  };
}
