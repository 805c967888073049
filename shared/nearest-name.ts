/**
 * The real name closest to a mistyped one, for "did you mean" in every message that refuses a name: node names
 * (`--exclude-nodes`), op types, a recipe's keys. One rule: the same name case aside; else, for what is typed
 * at 3 characters or more, the shortest name that starts with it, then one that contains it (a name typed short:
 * `l0_q` is `l0_q_mm`, not `l0_gd`, which is as few edits away); else within two edits (one for a name of two
 * letters).
 */
import { closest, distance } from 'fastest-levenshtein';

/** How far (edits) a typed name may be from a real one to be suggested, as for mistyped flags. */
const MAX_EDITS = 2;
/** How long a typed name must be to be read as the start or a part of a real one. */
const MIN_PART = 3;

/** The real name closest to `typed` (case aside, one it starts or is part of, or within two edits), if any. */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const lower = typed.toLowerCase();
  const sameButCase = names.find((n) => n.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  if (typed.length >= MIN_PART) {
    const shortest = (found: string[]) => found.sort((a, b) => a.length - b.length)[0];
    const part = (test: (name: string) => boolean) => shortest(names.filter((n) => test(n.toLowerCase())));
    const named = part((n) => n.startsWith(lower)) ?? part((n) => n.includes(lower));
    if (named !== undefined) return named;
  }
  const near = closest(typed, names as string[]);
  return distance(typed, near) <= Math.min(MAX_EDITS, Math.max(1, typed.length - 1)) ? near : undefined;
}
