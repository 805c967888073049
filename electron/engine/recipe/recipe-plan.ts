/**
 * Everything a recipe run checks before its first step: the source model and every step's data (found by name,
 * checked by sha256), the recipe's inputs against the source, and every file the run will write. A missing or
 * changed file, a typo in `inputs.dims` or an earlier run's output is said at once, not after the first steps'
 * minutes, and a refused run writes nothing (not even its output folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import type { MethodSpec } from '../../../shared/options/option-spec.js';
import { QUANTIZE_METHOD_SPECS } from '../../../shared/options/quantize-options.js';
import type { DatasetRef, Recipe, RecipeStep } from '../../../shared/recipe.js';
import { stepSlug } from '../../../shared/variant-naming.js';
import { StudioError } from '../errors.js';
import { CLI_OUT_FOLDER, outputExists } from '../onnx/output-exists.js';
import { openDataset } from '../datasets/open-dataset.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { makeOutputFolder, refuseFileAsFolder } from '../onnx/output-folder.js';
import { sameFile } from '../onnx/output-guard.js';
import { refuseUnknownDims, resolveInputSpecs } from '../runtime/input-specs.js';
import { ownIdsGraded } from '../../../shared/own-ids.js';
import { summarizeInterface } from '../inspect/inspect-model.js';
import { findRecordedFile, resolveDatasetRef } from './dataset-ref.js';
import { sha256Model, sha256Path } from './file-hash.js';
import {
  checkStepsUpFront,
  evaluatesSource,
  type ProbeProviders,
  unlabelledSourceEval,
} from './step-checks.js';
import { inStep, stepNumber, stoppedBeforeFirst } from './step-messages.js';

export interface RecipeRunSetup {
  recipe: Recipe;
  /** The folder of the recipe file: where the source and data are looked for last. */
  recipeDir: string;
  /** The source model, when it is not beside the recipe under its recorded name. */
  model?: string;
  /** Where transformed models and exports are written (created once every check passed). */
  outDir: string;
  /** Replace files an earlier run left in `outDir`; without it an existing output stops the run before it starts. */
  force?: boolean;
  /** More folders to look for data files in, searched before the recipe's folder. */
  dataDirs?: string[];
  /** Use a source or data file whose sha256 differs from the recorded one, with a warning. */
  allowChanged?: boolean;
  signal?: AbortSignal;
  warn?: (message: string) => void;
  /** Probes the execution providers (the CLI asks its engine process): a bench step's `ep` is checked up front. */
  providers?: ProbeProviders;
}

export interface RecipePlan {
  source: string;
  sourceSha256: string;
  /** Per step (by position in `recipe.steps`): the file it writes, for transforms and exports. */
  outputs: (string | undefined)[];
  /** Per step: its data on this machine, for a quantize step with calibration data and for eval. */
  datasets: ({ spec: DatasetSpec; baseDir: string } | undefined)[];
  /**
   * The source as the checks loaded it, for the first step to use instead of loading it again (runRecipe takes
   * it, and drops it when the first step does not read the model here).
   */
  sourceModel?: LoadedModel;
  /** The topmost folder the plan created for `outDir` (none when it existed): removed if the run fails empty. */
  createdOutDir?: string;
}

export { stepNumber };

function datasetOf(step: RecipeStep): { ref: DatasetRef; role: string } | undefined {
  if (step.kind === 'quantize' && step.calibration)
    return { ref: step.calibration, role: 'calibration data' };
  if (step.kind === 'eval') return { ref: step.evaluation, role: 'evaluation data' };
  return undefined;
}

export async function planRecipe(options: RecipeRunSetup): Promise<RecipePlan> {
  try {
    return await checkAndPlan(options);
  } catch (error) {
    // Stopped while hashing the source or a step's data: no step had started, whichever step the data is for.
    if (error instanceof StudioError && error.code === 'CANCELLED')
      throw new StudioError('CANCELLED', stoppedBeforeFirst(options.recipe.steps), { cause: error });
    throw error;
  }
}

async function checkAndPlan(options: RecipeRunSetup): Promise<RecipePlan> {
  const { recipe, signal } = options;
  const outDirExisted = refuseFileAsFolder(options.outDir, '--out');
  refuseStackedQuantization(recipe.steps);
  const common = {
    allowChanged: options.allowChanged ?? false,
    ...(options.warn ? { warn: options.warn } : {}),
    ...(signal ? { signal } : {}),
  };

  // The source. Its hash needs the parsed model (external data files count), which the inputs check reuses, and
  // the first step after it.
  const source: { loaded?: LoadedModel } = {};
  const hashModel = async (file: string) => {
    source.loaded = await loadModel(file);
    return sha256Model(file, source.loaded.proto, signal);
  };
  const found = options.model
    ? await findRecordedFile(
        { ...recipe.source, name: path.basename(options.model) },
        {
          ...common,
          role: 'source model',
          hash: hashModel,
          dirs: [path.dirname(path.resolve(options.model))],
          missingHint: 'Check the --model path.',
        },
      )
    : await findRecordedFile(recipe.source, {
        ...common,
        role: 'source model',
        hash: hashModel,
        dirs: [options.recipeDir],
        missingHint: 'Put it there, or pass its path with --model PATH.',
      });

  // The recipe's input spec names the source's inputs and dims, as --shape / --dim / --value must.
  const { shapes, dims, values } = recipe.inputs;
  if (shapes || dims || values) {
    const { namedDims } = resolveInputSpecs(source.loaded!.proto, {
      ...(shapes ? { shapes } : {}),
      ...(dims ? { dims } : {}),
      ...(values ? { values } : {}),
      origin: 'recipe',
    });
    refuseUnknownDims(dims, [namedDims], 'recipe');
  }

  // Each step's own fields (op types, excluded nodes, the provider), before the data is hashed: cheap, and a
  // step that fails on them must not find out after the earlier steps wrote their models.
  await checkStepsUpFront(recipe, source.loaded!, options.providers);

  // Every step's data, each file hashed once however many steps name it.
  const hashes = new Map<string, Promise<string>>();
  const hash = (file: string) => {
    if (!hashes.has(file)) hashes.set(file, sha256Path(file, signal));
    return hashes.get(file)!;
  };
  const dirs = [...(options.dataDirs ?? []), options.recipeDir];
  const datasets: RecipePlan['datasets'] = [];
  for (const [index, step] of recipe.steps.entries()) {
    const data = datasetOf(step);
    if (!data) continue;
    try {
      datasets[index] = await resolveDatasetRef(data.ref, {
        ...common,
        role: data.role,
        hash,
        dirs,
        missingHint: 'Put it there, or pass the folder that holds it with --data-dir DIR.',
      });
      if (evaluatesSource(recipe, index))
        await refuseUnlabelledData(datasets[index]!, source.loaded!, recipe, index);
    } catch (error) {
      throw inStep(error, index, step);
    }
  }

  const outputs = plannedOutputs(options, found.path);
  const created = await makeOutputFolder(options.outDir, '--out', {
    existed: outDirExisted,
    force: options.force === true,
  });
  return {
    source: found.path,
    sourceSha256: found.sha256,
    outputs,
    datasets,
    ...(source.loaded ? { sourceModel: source.loaded } : {}),
    ...(created !== undefined ? { createdOutDir: created } : {}),
  };
}

/**
 * An eval step that evaluates the source (before any transform) on data that may hold labels (a .npz, a .jsonl,
 * an image folder): opened here, as the step will open it, and refused before step 1 when it holds none, in the
 * words step-checks.ts uses for data that certainly holds none. Opening runs no inference: it reads a .npz's
 * directory, a .jsonl's line count and first line, a folder's listing.
 */
async function refuseUnlabelledData(
  data: NonNullable<RecipePlan['datasets'][number]>,
  source: LoadedModel,
  recipe: Recipe,
  index: number,
): Promise<void> {
  const { shapes, dims, values } = recipe.inputs;
  const { inputs } = resolveInputSpecs(source.proto, {
    shapes: shapes ?? {},
    dims: dims ?? {},
    ...(values ? { values } : {}),
    origin: 'recipe',
  });
  const opened = await openDataset(data.spec, inputs, { baseDir: data.baseDir });
  if (!opened.hasLabels && !ownIdsGraded(data.spec, summarizeInterface(source.proto.graph!)))
    throw unlabelledSourceEval(data.spec, index);
}

/**
 * Refuses a quantize or prune step after a step whose method writes quantization ops (`quantizedOutput` of its
 * spec), before any step runs: every quantization method refuses such a model (quantize-model.ts), and pruning
 * finds no float weight in it (prune-model.ts refuses it too), so the run would write the first step's model and
 * fail at the later one. Recipes recorded before those refusals could stack them (int8, then fp16). An fp16 step
 * writes none: a quantize or prune step after it runs.
 */
function refuseStackedQuantization(steps: RecipeRunSetup['recipe']['steps']): void {
  const first = steps.findIndex((s) => s.kind === 'quantize' && writesQuantizationOps(s.method));
  const again =
    first < 0 ? -1 : steps.findIndex((s, i) => i > first && (s.kind === 'quantize' || s.kind === 'prune'));
  if (again < 0) return;
  const at = `Step ${stepNumber(again)} (${steps[again]!.kind}): steps[${again}]`;
  throw new StudioError(
    'BAD_REQUEST',
    steps[again]!.kind === 'prune'
      ? `${at} prunes the model step ${stepNumber(first)} already quantized: pruning reads float weights and would ` +
          'find none there, so it would prune nothing. Prune the float model, then quantize: move the prune step ' +
          `before step ${stepNumber(first)}.`
      : `${at} quantizes the model step ${stepNumber(first)} already quantized: ` +
          'every method takes a float model, so the run would stop there. Make the variant from the float model instead ' +
          '(one quantize step).',
  );
}

function writesQuantizationOps(method: string): boolean {
  const spec: MethodSpec | undefined = (QUANTIZE_METHOD_SPECS as Record<string, MethodSpec>)[method];
  return spec?.quantizedOutput === true;
}

/**
 * Every file the run will write. None may be the source or another step's (--force cannot allow these); one an
 * earlier run left is replaced only with --force.
 */
function plannedOutputs(options: RecipeRunSetup, source: string): RecipePlan['outputs'] {
  const { recipe, outDir } = options;
  const stem = path.basename(recipe.source.name, path.extname(recipe.source.name));
  const outputs = recipe.steps.map((step, index) =>
    // A transform's model: `<source stem>.<step number>-<method slug>.onnx` (docs/cli.md, Recipes).
    step.kind === 'quantize' || step.kind === 'prune'
      ? path.join(outDir, `${stem}.${stepNumber(index)}-${stepSlug(step)}.onnx`)
      : step.kind === 'export'
        ? path.join(outDir, step.name)
        : undefined,
  );
  const planned = new Set<string>();
  for (const [index, output] of outputs.entries()) {
    if (!output) continue;
    const n = stepNumber(index);
    if (sameFile(output, source))
      throw new StudioError(
        'BAD_REQUEST',
        `Step ${n} would write over the source model ${source}: choose another export name or --out.`,
      );
    if (planned.has(path.resolve(output)))
      throw new StudioError(
        'BAD_REQUEST',
        `Step ${n} would write ${output}, which an earlier step writes: give the export another name.`,
      );
    planned.add(path.resolve(output));
  }
  if (!options.force) {
    for (const output of outputs) {
      const existing = output && [output, `${output}.data`].find((f) => fs.existsSync(f));
      if (existing) throw outputExists(existing, CLI_OUT_FOLDER, { why: "an earlier run's output?" });
    }
  }
  return outputs;
}
