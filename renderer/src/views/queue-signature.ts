/**
 * What one click on Optimize's Queue submits, as a key: the recipes (method, options, source, calibration data)
 * and what follows each (benchmark settings, evaluation data). The view remembers the key of the last set it
 * queued in full, so a second click on an unchanged selection does not silently queue the same jobs again.
 */
import { canonicalJson } from '../../../shared/canonical-json.js';
import type { FollowUp, RecipeRequest } from '../state/pipeline-requests.js';

export function queueSignature(recipes: readonly RecipeRequest[], then: FollowUp): string {
  return canonicalJson({ recipes, then });
}
