/**
 * The transform steps a variant's metadata records (`onnx_studio.recipe`), read on their own: a recipe that
 * cannot run again (its calibration data was not opened from a dataset spec, so readRecordedRecipe refuses it)
 * still says how its variant was made. `onnx-studio explain` reads its last step (explain-facts.ts) and the
 * options of its last quantize step (kept-float.ts) from here.
 */
import type { ModelProto } from 'onnx-buf';
import { RECIPE_METADATA_KEY } from '../../../shared/recipe.js';

/** A recorded quantize or prune step as far as it is known without validating it: its method and options. */
export interface RecordedStep {
  kind: 'quantize' | 'prune';
  method: string;
  common?: unknown;
  options?: unknown;
}

/**
 * The quantize and prune steps of the variant's recorded recipe, in order (the last made its nodes); none when
 * it records no recipe or one that is not JSON. Steps without a kind or a method name are left out.
 */
export function recordedSteps(model: ModelProto): RecordedStep[] {
  const entry = model.metadataProps.find((p) => p.key === RECIPE_METADATA_KEY);
  let steps: unknown;
  try {
    steps = entry ? (JSON.parse(entry.value) as { steps?: unknown }).steps : undefined;
  } catch {
    return [];
  }
  if (!Array.isArray(steps)) return [];
  return (steps as unknown[]).filter(
    (s): s is RecordedStep =>
      typeof s === 'object' &&
      s !== null &&
      'kind' in s &&
      (s.kind === 'quantize' || s.kind === 'prune') &&
      'method' in s &&
      typeof s.method === 'string',
  );
}
