/**
 * Runs a recipe document: finds its source model and data by name + sha256, then executes the steps in order
 * on the current model (each transform writes a new file in the output folder; bench and eval measure the
 * current model; export copies it under a chosen name). The CLI's `run` drives it; every step goes through
 * the same engine functions as the single commands, so a recipe reproduces a variant byte for byte.
 */
import fs from 'node:fs';
import type { BenchParams, BenchReport } from '../../../shared/bench.js';
import type { RecipeStep } from '../../../shared/recipe.js';
import { benchParams } from '../bench/run-benchmark.js';
import { openDataset } from '../datasets/open-dataset.js';
import { StudioError } from '../errors.js';
import { type EvalReport, evaluateModel } from '../evaluate/evaluate-model.js';
import { removeQuietly, tempPathFor, writeFailure } from '../onnx/atomic-files.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { removeCreatedFolder } from '../onnx/output-folder.js';
import { refuseOverwritingInput } from '../onnx/output-guard.js';
import { saveModel } from '../onnx/save-model.js';
import { type PruneReport, pruneModel } from '../prune/prune-model.js';
import { type QuantizeReport, quantizeModel } from '../quantize/quantize-model.js';
import { isGuessNote, resolveInputSpecs } from '../runtime/input-specs.js';
import { planRecipe, type RecipePlan, type RecipeRunSetup, stepNumber } from './recipe-plan.js';

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

/**
 * Copies a model (and rewrites its external data beside the copy) atomically under a new name. `preloaded` is
 * the model as the caller already loaded it (the run's source, after its checks).
 */
async function exportModel(
  model: string,
  target: string,
  signal?: AbortSignal,
  preloaded?: LoadedModel,
): Promise<number> {
  const loaded = preloaded ?? (await loadModel(model));
  refuseOverwritingInput(loaded, target);
  if (loaded.externalDataBytes === 0) {
    const temp = tempPathFor(target);
    try {
      await fs.promises.copyFile(model, temp);
      await fs.promises.rename(temp, target);
    } catch (error) {
      removeQuietly(temp);
      throw writeFailure(error, target);
    }
    return loaded.fileBytes;
  }
  await inlineExternalData(loaded.proto, loaded.dir);
  const saved = await saveModel(loaded.proto, target, {
    force: true,
    externalData: { thresholdBytes: 1024 },
    ...(signal ? { signal } : {}),
  });
  return saved.outputBytes + saved.externalDataBytes;
}

export async function runRecipe(options: RunRecipeOptions): Promise<RunRecipeResult> {
  // Every note is passed on once: each step's guesses (the same dims, step after step) and the run's warnings.
  const notes: string[] = [];
  const warn = (message: string) => {
    if (notes.includes(message)) return;
    notes.push(message);
    options.warn?.(message);
  };
  const plan = await planRecipe({ ...options, warn });
  try {
    return await runSteps(options, plan, notes, warn);
  } catch (error) {
    // A run that fails (a full disk, a cancellation) leaves no empty output folder of its own making behind;
    // one holding the models of finished steps stays.
    removeCreatedFolder(options.outDir, plan.createdOutDir);
    throw error;
  }
}

async function runSteps(
  options: RunRecipeOptions,
  plan: RecipePlan,
  notes: string[],
  warn: (message: string) => void,
): Promise<RunRecipeResult> {
  const { recipe, signal } = options;
  const source = plan.source;
  // The source as the checks loaded it: the first step uses it instead of loading it again (a transform changes
  // it, so no later step can). Not kept past that step, nor through a first bench or eval, which do not use it.
  let checkedSource = plan.sourceModel;
  delete plan.sourceModel;
  // The first transform records the source's hash; it was just computed, so it is handed on, not redone.
  const sourceHash = (input: string) => (input === source ? { sourceSha256: plan.sourceSha256 } : {});
  const shapes = {
    shapes: recipe.inputs.shapes ?? {},
    dims: recipe.inputs.dims ?? {},
    ...(recipe.inputs.values ? { values: recipe.inputs.values } : {}),
  };
  let current = source;
  const results: RunRecipeResult['steps'] = [];
  for (const [index, step] of recipe.steps.entries()) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'The recipe run was cancelled.');
    options.onStepStart?.(index, step);
    const started = performance.now();
    const preloaded =
      index === 0 && (step.kind === 'quantize' || step.kind === 'prune' || step.kind === 'export')
        ? checkedSource
        : undefined;
    checkedSource = undefined;
    const loaded = preloaded ? { loaded: preloaded } : {};
    const progress = (done: number, total: number | undefined) =>
      options.onProgress?.(total ? Math.min(1, done / total) : 0);
    let result: StepResult;
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
              shapes,
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
            inputs: recipe.inputs,
            ...sourceHash(current),
            ...loaded,
            force: true,
            onProgress: (p) => progress(p.done, p.total),
            ...(calibration ? { calibration } : {}),
            ...(signal ? { signal } : {}),
          });
          result = { kind: 'quantize', output: report.output, report };
        } else {
          const report = await pruneModel({
            input: current,
            output,
            method: step.method,
            common: step.common,
            options: step.options,
            ...sourceHash(current),
            ...loaded,
            force: true,
            onProgress: (p) => progress(p.done, p.total),
            ...(signal ? { signal } : {}),
          });
          result = { kind: 'prune', output: report.output, report };
        }
        current = result.output;
        break;
      }
      case 'bench': {
        const params = benchParams({
          models: step.baseline && current !== source ? [source, current] : [current],
          iterations: step.iterations,
          warmup: step.warmup,
          ep: step.ep,
          ...shapes,
        });
        result = { kind: 'bench', model: current, report: await options.bench(params, (f) => options.onProgress?.(f)) };
        break;
      }
      case 'eval': {
        const { spec, baseDir } = plan.datasets[index]!;
        const report = await evaluateModel({
          model: current,
          data: spec,
          baseDir,
          shapes,
          onProgress: progress,
          ...(step.reference && current !== source ? { reference: source } : {}),
          ...(signal ? { signal } : {}),
        });
        result = { kind: 'eval', model: current, report };
        break;
      }
      case 'export': {
        const output = plan.outputs[index]!; // not the source: checked before the first step
        result = { kind: 'export', output, bytes: await exportModel(current, output, signal, preloaded) };
        break;
      }
    }
    // The guesses a step made (dims nothing set, values of synthetic data) are the run's warnings too.
    if (result.kind !== 'export') for (const note of result.report.notes) if (isGuessNote(note)) warn(note);
    results.push({ ...result, step: stepNumber(index), seconds: (performance.now() - started) / 1000 });
  }
  return { source, model: current, steps: results, notes };
}
