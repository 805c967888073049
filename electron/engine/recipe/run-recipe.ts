/**
 * Runs a recipe document: finds its source model and data by name + sha256, then executes the steps in order
 * on the current model (each transform writes a new file in the output folder; bench and eval measure the
 * current model; export copies it under a chosen name). The CLI's `run` drives it; every step goes through
 * the same engine functions as the single commands, so a recipe reproduces a variant byte for byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchParams, BenchReport } from '../../../shared/bench.js';
import type { Recipe, RecipeStep } from '../../../shared/recipe.js';
import { benchParams } from '../bench/run-benchmark.js';
import { openDataset } from '../datasets/open-dataset.js';
import { StudioError } from '../errors.js';
import { type EvalReport, evaluateModel } from '../evaluate/evaluate-model.js';
import { removeQuietly, tempPathFor } from '../onnx/atomic-files.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { loadModel } from '../onnx/load-model.js';
import { refuseOverwritingInput, sameFile } from '../onnx/output-guard.js';
import { saveModel } from '../onnx/save-model.js';
import { type PruneReport, pruneModel } from '../prune/prune-model.js';
import { type QuantizeReport, quantizeModel } from '../quantize/quantize-model.js';
import { resolveInputSpecs } from '../runtime/input-specs.js';
import { findRecordedFile, resolveDatasetRef } from './dataset-ref.js';
import { sha256Model } from './file-hash.js';
import { stepSlug } from '../../../shared/variant-naming.js';

export interface RunRecipeOptions {
  recipe: Recipe;
  /** The folder of the recipe file: where the source and data are looked for first. */
  recipeDir: string;
  /** The source model, when it is not beside the recipe under its recorded name. */
  model?: string;
  /** Where transformed models and exports are written (created if missing). */
  outDir: string;
  /** Replace files an earlier run left in `outDir`; without it an existing output stops the run before it starts. */
  force?: boolean;
  /** More folders to look for data files in (after `--data-dir`, the recipe's folder). */
  dataDirs?: string[];
  /** Use a source or data file whose sha256 differs from the recorded one, with a warning. */
  allowChanged?: boolean;
  signal?: AbortSignal;
  /** Runs a benchmark in an isolated engine process (the CLI passes its EngineClient). */
  bench: (params: BenchParams, onProgress: (fraction: number) => void) => Promise<BenchReport>;
  onStepStart?: (index: number, step: RecipeStep) => void;
  onProgress?: (fraction: number) => void;
  warn?: (message: string) => void;
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
  steps: (StepResult & { index: number; seconds: number })[];
}


/** Copies a model (and rewrites its external data beside the copy) atomically under a new name. */
async function exportModel(model: string, target: string, signal?: AbortSignal): Promise<number> {
  const loaded = await loadModel(model);
  refuseOverwritingInput(loaded, target);
  if (loaded.externalDataBytes === 0) {
    const temp = tempPathFor(target);
    try {
      await fs.promises.copyFile(model, temp);
      await fs.promises.rename(temp, target);
    } catch (error) {
      removeQuietly(temp);
      throw new StudioError('IO', `Cannot write ${target}: ${(error as Error).message}`);
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
  const { recipe, signal } = options;
  const warn = options.warn ?? (() => {});
  const dataDirs = [...(options.dataDirs ?? []), options.recipeDir];
  // A model's hash covers its external data files too.
  const hashModel = async (file: string) => sha256Model(file, (await loadModel(file)).proto, signal);
  const sourceOptions = {
    role: 'source model',
    allowChanged: options.allowChanged ?? false,
    warn,
    hash: hashModel,
    ...(signal ? { signal } : {}),
  };
  const found = options.model
    ? await findRecordedFile({ ...recipe.source, name: path.basename(options.model) }, { ...sourceOptions, dirs: [path.dirname(path.resolve(options.model))] })
    : await findRecordedFile(recipe.source, { ...sourceOptions, dirs: [options.recipeDir] });
  const source = found.path;
  // The first transform records the source's hash; it was just computed, so it is handed on, not redone.
  const sourceHash = (input: string) => (input === source ? { sourceSha256: found.sha256 } : {});
  await fs.promises.mkdir(options.outDir, { recursive: true });
  const stem = path.basename(recipe.source.name, path.extname(recipe.source.name));
  const shapes = {
    shapes: recipe.inputs.shapes ?? {},
    dims: recipe.inputs.dims ?? {},
    ...(recipe.inputs.values ? { values: recipe.inputs.values } : {}),
  };
  const resolveOptions = (role: string) => ({
    dirs: dataDirs,
    role,
    allowChanged: options.allowChanged ?? false,
    warn,
    ...(signal ? { signal } : {}),
  });
  // Every file the run will write, named before any step runs: an earlier run's outputs are replaced only on
  // request, and a refusal comes now rather than after the first steps' minutes.
  const outputOf = (step: RecipeStep, index: number): string | undefined =>
    step.kind === 'quantize' || step.kind === 'prune'
      ? path.join(options.outDir, `${stem}.${index + 1}-${stepSlug(step)}.onnx`)
      : step.kind === 'export'
        ? path.join(options.outDir, step.name)
        : undefined;
  const planned = new Set<string>();
  for (const [index, step] of recipe.steps.entries()) {
    const output = outputOf(step, index);
    if (!output) continue;
    // Refused now, before the first step, rather than when the step comes (--force cannot allow these).
    if (sameFile(output, source))
      throw new StudioError('BAD_REQUEST', `Step ${index + 1} would write over the source model ${source}: choose another export name or --out.`);
    if (planned.has(path.resolve(output)))
      throw new StudioError('BAD_REQUEST', `Step ${index + 1} would write ${output}, which an earlier step writes: give the export another name.`);
    planned.add(path.resolve(output));
  }
  if (!options.force) {
    for (const [index, step] of recipe.steps.entries()) {
      const output = outputOf(step, index);
      const existing = output && [output, `${output}.data`].find((f) => fs.existsSync(f));
      if (existing)
        throw new StudioError(
          'BAD_REQUEST',
          `${existing} already exists (an earlier run's output?). Pass --force to replace it, or --out another folder.`,
        );
    }
  }
  let current = source;
  const results: RunRecipeResult['steps'] = [];
  for (const [index, step] of recipe.steps.entries()) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'The recipe run was cancelled.');
    options.onStepStart?.(index, step);
    const started = performance.now();
    const progress = (done: number, total: number | undefined) =>
      options.onProgress?.(total ? Math.min(1, done / total) : 0);
    let result: StepResult;
    switch (step.kind) {
      case 'quantize':
      case 'prune': {
        const output = outputOf(step, index)!;
        if (step.kind === 'quantize') {
          let calibration;
          if (step.calibration) {
            const { spec, baseDir } = await resolveDatasetRef(step.calibration, resolveOptions('calibration data'));
            const { inputs, notes } = resolveInputSpecs((await loadModel(current)).proto, shapes);
            // Real data brings its own shapes: the dims nothing set matter to synthetic samples only.
            if (spec.kind === 'synthetic') for (const note of notes) warn(note);
            calibration = await openDataset(spec, inputs, { baseDir });
          }
          const report = await quantizeModel({
            input: current,
            output,
            method: step.method,
            common: step.common,
            options: step.options,
            inputs: recipe.inputs,
            ...sourceHash(current),
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
        const { spec, baseDir } = await resolveDatasetRef(step.evaluation, resolveOptions('evaluation data'));
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
        const output = outputOf(step, index)!; // not the source: checked before the first step
        result = { kind: 'export', output, bytes: await exportModel(current, output, signal) };
        break;
      }
    }
    results.push({ ...result, index, seconds: (performance.now() - started) / 1000 });
  }
  return { source, model: current, steps: results };
}
