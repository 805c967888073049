/**
 * A strict object's refusal of keys it does not take, in words that say what to type: zod's own ("Unrecognized
 * key: \"iteratons\"") leaves the user to find the right spelling in the docs. Used by recipes, whose keys are
 * typed by hand.
 */
import { z } from 'zod';
import { nearestName } from './nearest-name.js';

/** `unknown key 'iteratons' (did you mean 'iterations'?); it takes kind, iterations, warmup, ep, baseline`. */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const quoted = (items: readonly string[]) => items.map((k) => `'${k}'`).join(', ');
  const near = [...new Set(keys.map((k) => nearestName(k, known)).filter((k) => k !== undefined))];
  const didYouMean = near.length > 0 ? ` (did you mean ${quoted(near)}?)` : '';
  const takes = known.length > 0 ? `; it takes ${known.join(', ')}` : '; it takes no keys';
  return `unknown key${keys.length > 1 ? 's' : ''} ${quoted(keys)}${didYouMean}${takes}`;
}

/** The keys an object schema takes, or none for another schema. */
export function objectKeys(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** `z.strictObject` whose unknown keys are refused with `unknownKeysMessage`. */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys, Object.keys(shape)) : undefined,
  });
}
