import type { ModelProto } from 'onnx-buf';
import type { Recipe } from '../../../shared/recipe.js';
import { readRecordedRecipe } from '../recipe/recorded-recipe.js';

/** The recipe a variant recorded; fails the test when there is none or it does not validate. */
export function recordedRecipe(model: ModelProto): Recipe {
  const recorded = readRecordedRecipe(model);
  if (recorded.kind !== 'recipe') throw new Error(`no usable recipe: ${recorded.kind === 'unreadable' ? recorded.reason : 'none'}`);
  return recorded.recipe;
}

/** The last step of the recipe a variant recorded (the step that made it). */
export function lastRecordedStep(model: ModelProto): Record<string, unknown> {
  return recordedRecipe(model).steps.at(-1)!;
}
