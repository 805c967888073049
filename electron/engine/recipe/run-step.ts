/**
 * One step of a recipe run (run-recipe.ts drives them in order): a transform writes the step's planned file from
 * the current model, bench and eval measure the current model, export copies it. Every step goes through the
 * same engine functions as the single commands, so a recipe reproduces a variant byte for byte.
 */
import type { BenchParams, BenchReport } from '../../../shared/bench.js';
import type { RecipeStep } from '../../../shared/recipe.js';
import { benchParams } from '../bench/run-benchmark.js';
import { openDataset } from '../datasets/open-dataset.js';
import { type EvalReport, evaluateModel } from '../evaluate/evaluate-model.js';
import { copyFileAtomic } from '../onnx/atomic-files.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { refuseOverwritingInput } from '../onnx/output-guard.js';
import { saveModel } from '../onnx/save-model.js';
import { type PruneReport, pruneModel } from '../prune/prune-model.js';
import { type QuantizeReport, quantizeModel } from '../quantize/quantize-model.js';
import { resolveInputSpecs } from '../runtime/input-specs.js';
import type { RecipePlan, RecipeRunSetup } from './recipe-plan.js';

export interface RunRecipeOptions extends RecipeRunSetup {
  /** Runs a benchmark in an isolated engine process (the CLI passes its EngineClient). */
  bench: (params: BenchParams, onProgress: (fraction: number) => void) => Promise<BenchReport>;
  /** A step begins: its position in `recipe.steps` (its number is `stepNumber(index)`). */
  onStepStart?: (index: number, step: RecipeStep) => void;
  onProgress?: (fraction: number) => void;
}

export type StepResult =
  | { kind: 'quantize'; output: string; report: QuantizeReport }
  | { kind: 'prune'; output: string; report: PruneReport }
  | { kind: 'bench'; model: string; report: BenchReport }
  | { kind: 'eval'; model: string; report: EvalReport }
  | { kind: 'export'; output: string; bytes: number };

export interface RunRecipeResult {
  source: string;
  /** The model the last transform produced (the source when there was none). */
  model: string;
  /** `step`: the step's number, from 1, as in progress lines and file names. */
  steps: (StepResult & { step: number; seconds: number })[];
  /** What the run warned about (values it guessed, changed data used anyway), once each, in order. */
  notes: string[];
}

/** What a step runs on: the run's options and plan, and where the run is. */
export interface StepContext {
  options: RunRecipeOptions;
  plan: RecipePlan;
  /** The recipe's input spec, as every step passes it on. */
  shapes: {
    shapes: Record<string, number[]>;
    dims: Record<string, number>;
    values?: NonNullable<RunRecipeOptions['recipe']['inputs']['values']>;
  };
  /** The source model's path. */
  source: string;
  /** The source's hash for the transform that reads it (recorded in its recipe), else nothing. */
  sourceHash: (input: string) => { sourceSha256?: string };
  /** The model the step reads: the source, or the last transform's output. */
  current: string;
  index: number;
  step: RecipeStep;
  /** The current model as the checks loaded it (the source, for a first step that reads it), if any. */
  preloaded: LoadedModel | undefined;
}

/**
 * Copies a model (and rewrites its external data beside the copy) atomically under a new name. `preloaded` is
 * the model as the caller already loaded it (the run's source, after its checks). Without `force`, a file that
 * appeared at the name since the run's checks is refused, not replaced.
 */
async function exportModel(
  model: string,
  target: string,
  force: boolean,
  signal?: AbortSignal,
  preloaded?: LoadedModel,
): Promise<number> {
  const loaded = preloaded ?? (await loadModel(model));
  refuseOverwritingInput(loaded, target);
  if (loaded.externalDataBytes === 0) {
    // A Ctrl+C that lands before the rename wins (no file, exit 130): one during the copy was ignored before.
    await copyFileAtomic(model, target, {
      replace: force,
      ...(signal ? { signal, cancelled: 'Exporting was cancelled.' } : {}),
    });
    return loaded.fileBytes;
  }
  await inlineExternalData(loaded.proto, loaded);
  const saved = await saveModel(loaded.proto, target, {
    force,
    externalData: { thresholdBytes: 1024 },
    ...(signal ? { signal } : {}),
  });
  return saved.outputBytes + saved.externalDataBytes;
}

export async function runStep(context: StepContext): Promise<StepResult> {
  const { options, plan, shapes, source, sourceHash, current, index, step, preloaded } = context;
  const { signal } = options;
  const loaded = preloaded ? { loaded: preloaded } : {};
  const progress = (done: number, total: number | undefined) =>
    options.onProgress?.(total ? Math.min(1, done / total) : 0);
  switch (step.kind) {
    case 'quantize':
    case 'prune': {
      const output = plan.outputs[index]!;
      if (step.kind === 'quantize') {
        let calibration;
        const data = plan.datasets[index];
        if (data) {
          const { inputs, notes: dimNotes } = resolveInputSpecs(
            (preloaded ?? (await loadModel(current))).proto,
            { ...shapes, origin: 'recipe' },
          );
          calibration = await openDataset(data.spec, inputs, { baseDir: data.baseDir });
          // Real data brings its own shapes: the dims nothing set matter to synthetic samples only, and then
          // they go into the report's notes with the data's own (as `quantize --calib-data synthetic` does).
          if (data.spec.kind === 'synthetic' && dimNotes.length > 0)
            calibration = Object.assign(calibration, { notes: [...dimNotes, ...calibration.notes] });
        }
        const report = await quantizeModel({
          input: current,
          output,
          method: step.method,
          common: step.common,
          options: step.options,
          inputs: options.recipe.inputs,
          ...sourceHash(current),
          ...loaded,
          force: options.force === true,
          onProgress: (p) => progress(p.done, p.total),
          ...(calibration ? { calibration } : {}),
          ...(signal ? { signal } : {}),
        });
        return { kind: 'quantize', output: report.output, report };
      } else {
        const report = await pruneModel({
          input: current,
          output,
          method: step.method,
          common: step.common,
          options: step.options,
          ...sourceHash(current),
          ...loaded,
          force: options.force === true,
          onProgress: (p) => progress(p.done, p.total),
          ...(signal ? { signal } : {}),
        });
        return { kind: 'prune', output: report.output, report };
      }
    }
    case 'bench': {
      const params = benchParams({
        models: step.baseline && current !== source ? [source, current] : [current],
        iterations: step.iterations,
        warmup: step.warmup,
        ep: step.ep,
        ...shapes,
      });
      return {
        kind: 'bench',
        model: current,
        report: await options.bench(params, (f) => options.onProgress?.(f)),
      };
    }
    case 'eval': {
      const { spec, baseDir } = plan.datasets[index]!;
      const report = await evaluateModel({
        model: current,
        data: spec,
        baseDir,
        shapes: { ...shapes, origin: 'recipe' },
        onProgress: progress,
        ...(step.reference && current !== source ? { reference: source } : {}),
        ...(signal ? { signal } : {}),
      });
      return { kind: 'eval', model: current, report };
    }
    case 'export': {
      const output = plan.outputs[index]!; // not the source: checked before the first step
      return {
        kind: 'export',
        output,
        bytes: await exportModel(current, output, options.force === true, signal, preloaded),
      };
    }
  }
}
