/**
 * The recipe a variant carries in its `metadata_props` (`onnx_studio.recipe`): the whole chain of transform
 * steps from the source model, so `onnx-studio recipe VARIANT.onnx` prints something `run` can execute.
 */
import { create } from '@bufbuild/protobuf';
import { type ModelProto, StringStringEntryProtoSchema } from 'onnx-buf';
import { isRecord } from '../../../shared/is-record.js';
import {
  parseRecipe,
  readsCalibrationData,
  RECIPE_METADATA_KEY,
  RECIPE_VERSION,
  type FileRef,
  type Recipe,
  type RecipeInputs,
  type TransformStep,
} from '../../../shared/recipe.js';

export type RecordedRecipe =
  | { kind: 'none' }
  | { kind: 'recipe'; recipe: Recipe }
  /** Metadata that is not a recipe this version can run (not JSON, an older format, ...), and why. */
  | { kind: 'unreadable'; reason: string };

export function readRecordedRecipe(model: ModelProto): RecordedRecipe {
  const entry = model.metadataProps.find((p) => p.key === RECIPE_METADATA_KEY);
  if (!entry) return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(entry.value);
  } catch {
    return { kind: 'unreadable', reason: `its ${RECIPE_METADATA_KEY} metadata is not JSON` };
  }
  if (json && typeof json === 'object' && !('version' in json) && 'operation' in json) {
    return { kind: 'unreadable', reason: 'it was recorded by an ONNX Studio older than recipe files (no source hash)' };
  }
  const parsed = parseRecipe(withoutUnreadCalibration(json));
  return parsed.ok ? { kind: 'recipe', recipe: parsed.recipe } : { kind: 'unreadable', reason: parsed.message };
}

/**
 * A variant made before recipes refused it may record a `calibration` for a quantize step whose method reads no
 * data (`--calib-data` given to int8-dynamic, a hand-written recipe run): the data changed nothing in the model, so
 * the block is left out and the recipe runs without asking for that file, where validation would refuse it.
 */
function withoutUnreadCalibration(json: unknown): unknown {
  if (!isRecord(json) || !Array.isArray(json.steps)) return json;
  const steps = json.steps.map((step: unknown) => {
    if (!isRecord(step) || step.kind !== 'quantize' || typeof step.method !== 'string') return step;
    if (!('calibration' in step) || readsCalibrationData(step.method) !== false) return step;
    const { calibration: _unread, ...rest } = step;
    return rest;
  });
  return { ...json, steps };
}

/**
 * The recipe of a model made from `input` by `step`: the input's own recipe (when it has a readable one)
 * extended by the step, or a new recipe whose source is the input itself.
 */
export function extendRecipe(
  recorded: RecordedRecipe,
  /** The input model itself: the source when it records no usable recipe. */
  inputFile: FileRef | undefined,
  step: TransformStep,
  inputs: RecipeInputs = {},
): Recipe {
  const previous = recorded.kind === 'recipe' ? recorded.recipe : undefined;
  const merged: RecipeInputs = {};
  const shapes = { ...previous?.inputs.shapes, ...inputs.shapes };
  const dims = { ...previous?.inputs.dims, ...inputs.dims };
  if (Object.keys(shapes).length > 0) merged.shapes = shapes;
  if (Object.keys(dims).length > 0) merged.dims = dims;
  const values = { ...previous?.inputs.values, ...inputs.values };
  if (Object.keys(values).length > 0) merged.values = values;
  return {
    version: RECIPE_VERSION,
    tool: 'onnx-studio',
    source: previous?.source ?? inputFile ?? missingSource(),
    inputs: merged,
    steps: [...(previous?.steps.filter((s) => s.kind === 'quantize' || s.kind === 'prune') ?? []), step],
  };
}

function missingSource(): never {
  throw new Error('extendRecipe: an input without a recorded recipe needs its own file reference');
}

/** Writes the recipe into the model's metadata, replacing any earlier one. */
export function writeRecipe(model: ModelProto, recipe: Recipe): void {
  const value = JSON.stringify(recipe);
  const existing = model.metadataProps.find((p) => p.key === RECIPE_METADATA_KEY);
  if (existing) existing.value = value;
  else model.metadataProps.push(create(StringStringEntryProtoSchema, { key: RECIPE_METADATA_KEY, value }));
}
