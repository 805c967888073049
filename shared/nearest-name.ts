/**
 * The real name closest to a mistyped one, for "did you mean" in every message that refuses a name: node names
 * (`--exclude-nodes`), op types, a recipe's keys. One rule: the same name case aside, or within two edits (one
 * for a name of two letters).
 */
import { closest, distance } from 'fastest-levenshtein';

/** How far (edits) a typed name may be from a real one to be suggested, as for mistyped flags. */
const MAX_EDITS = 2;

/** The real name closest to `typed` (case aside, or within two edits), if any. */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const lower = typed.toLowerCase();
  const sameButCase = names.find((n) => n.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  const near = closest(typed, names as string[]);
  return distance(typed, near) <= Math.min(MAX_EDITS, Math.max(1, typed.length - 1)) ? near : undefined;
}
