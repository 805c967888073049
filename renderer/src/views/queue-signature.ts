/**
 * What one click on Optimize's Queue submits, as a key: the recipes (method, options, source, calibration data)
 * and what follows each (benchmark settings, evaluation data). The view remembers the key of the last set it
 * queued in full, so a second click on an unchanged selection does not silently queue the same jobs again.
 */
import type { FollowUp, RecipeRequest } from '../state/pipeline-requests.js';

/** Object keys sorted at every depth, so the same selection gives the same key whatever order it was built in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function queueSignature(recipes: readonly RecipeRequest[], then: FollowUp): string {
  return JSON.stringify(canonical({ recipes, then }));
}
