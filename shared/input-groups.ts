/**
 * Alike inputs and outputs shown as one: a decoder exported with a KV cache has two cache inputs per layer
 * (`past_key_values.N.key` and `.value`) and two cache outputs (`present.N.key`, `.value`), all of one dtype and
 * declared shape, and a 32-layer model showed 64 identical fieldsets in the input spec form, 64 rows in inspect's
 * and eval's tables and 64 shapes in a benchmark's caption. The form's fields set a dim of every member at once
 * (the spec still holds one shape per input); the CLI and the app's captions say a group once. JSON keeps each.
 */
import { isCacheInput } from './cache-dims.js';
import type { InputSpec } from './input-spec.js';
import { shortShapes } from './input-spec.js';
import type { FedShape } from './latency-stats.js';
import { fedShapesOf } from './latency-stats.js';
import type { TensorSummary } from './model-summary.js';

/** Fewer alike inputs than this keep a fieldset each: two are no list to scroll through. */
export const MIN_GROUP = 3;

/**
 * `items` in order, each alone or, where MIN_GROUP or more share a key, as one group where the first of them
 * stood. An item whose key is `false` is never grouped.
 */
export function groupAlike<T>(items: readonly T[], keyOf: (item: T) => string | false): T[][] {
  const keys = items.map(keyOf);
  const byKey = new Map<string, T[]>();
  items.forEach((item, k) => {
    const key = keys[k];
    if (key !== false && key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), item]);
  });
  const groups: T[][] = [];
  const shown = new Set<string>();
  items.forEach((item, k) => {
    const key = keys[k];
    const members = key === false || key === undefined ? undefined : byKey.get(key);
    if (!members || members.length < MIN_GROUP) groups.push([item]);
    else if (!shown.has(key as string)) {
      shown.add(key as string);
      groups.push(members);
    }
  });
  return groups;
}

/**
 * The form's fieldsets, in the order of the inputs, each as the names of its inputs (one, or a group's, the first
 * standing for all). A group is 3 or more inputs of the same dtype and declared shape, with no values of their own
 * (floats) and the same shape in `spec`: a saved spec that gives two of them different shapes keeps them apart,
 * so that no field shows one size while the spec holds another.
 */
export function inputGroups(inputs: readonly TensorSummary[], spec: InputSpec): string[][] {
  return groupAlike(
    inputs,
    (input) =>
      !input.rankUnknown &&
      spec.values?.[input.name] === undefined &&
      JSON.stringify([input.dtype, input.shape, spec.shapes[input.name] ?? null]),
  ).map((group) => group.map((input) => input.name));
}

/** A group's names as its legend says them: all of 3, else the first and the last (`a.0.key … a.31.value`). */
export function groupNames(names: readonly string[]): string {
  return names.length <= MIN_GROUP ? names.join(', ') : `${names[0]} … ${names.at(-1)}`;
}

/**
 * The KV cache tensors of a list (cache-dims.ts `isCacheInput`: a cache's name, 4 dims or more) grouped where
 * MIN_GROUP or more share `alike` (dtype and shape, as the caller sees them); every other item stands alone. A
 * model's one or two cache tensors (one layer) stay as they are: nothing to shorten.
 */
export function cacheGroups<T extends { name: string; shape: readonly unknown[] }>(
  items: readonly T[],
  alike: (item: T) => string,
): T[][] {
  return groupAlike(items, (item) => isCacheInput(item) && alike(item));
}

/** `past_key_values.` `0` `.key`: a name split at its first number (the layer of a cache tensor). */
const LAYERED = /^(.*?)(\d+)(.*)$/;

/**
 * A group of layered names in a few characters: `past_key_values.0..31.key/value` where the names are every layer
 * lo..hi of one prefix, each with the same suffixes; else groupNames' first and last. Not `present.*`: the range
 * says how many layers and that none is missing.
 */
export function layerRangeName(names: readonly string[]): string {
  const parts = names.map((n) => LAYERED.exec(n));
  const prefix = parts[0]?.[1];
  if (names.length < 2 || parts.some((p) => !p || p[1] !== prefix)) return groupNames(names);
  const layers = parts.map((p) => Number(p![2]));
  const suffixes = [...new Set(parts.map((p) => p![3]!))];
  const lo = Math.min(...layers);
  const hi = Math.max(...layers);
  const pairs = new Set(parts.map((p) => `${Number(p![2])}|${p![3]}`));
  // Every layer of the range with every suffix, once: 0..31 must not hide a missing layer 7.
  if (pairs.size !== names.length || names.length !== (hi - lo + 1) * suffixes.length)
    return groupNames(names);
  return `${prefix}${lo === hi ? lo : `${lo}..${hi}`}${joinSuffixes(suffixes)}`;
}

/** `.key`, `.value` -> `.key/value`: what the suffixes share at their start, said once. */
function joinSuffixes(suffixes: readonly string[]): string {
  if (suffixes.length === 1) return suffixes[0]!;
  let common = 0;
  const first = suffixes[0]!;
  while (common < first.length && suffixes.every((s) => s[common] === first[common])) common++;
  return first.slice(0, common) + suffixes.map((s) => s.slice(common)).join('/');
}

/** `past_key_values.0..31.key/value (64 inputs)`: a group as one line of a table names it. */
export function groupLabel(names: readonly string[], noun: string): string {
  return names.length === 1 ? names[0]! : `${layerRangeName(names)} (${names.length} ${noun})`;
}

/**
 * shortShapes (input-spec.ts) with a KV cache's alike inputs said once: `input_ids 1x128, attention_mask 1x128,
 * past_key_values.0..31.key/value (64) 1x4x0x16`, where the 64 were each listed. Inputs are alike when fed the same
 * shapes and values (and dtype, where recorded). Reports and CSV files keep every input.
 */
export function groupedShortShapes(
  inputs: readonly (Pick<FedShape, 'name' | 'shape' | 'shapes' | 'values'> & { dtype?: string })[],
): string {
  const groups = cacheGroups(inputs, (i) =>
    JSON.stringify([i.dtype ?? null, fedShapesOf(i), i.values ?? null]),
  );
  if (groups.length === inputs.length) return shortShapes(inputs);
  const shown = groups.map((g) =>
    g.length === 1 ? g[0]! : { ...g[0]!, name: `${layerRangeName(g.map((i) => i.name))} (${g.length})` },
  );
  // shortShapes names no input of a list of one: a group must still say what it is.
  return shown.length === 1 ? `${shown[0]!.name} ${shortShapes(shown)}` : shortShapes(shown);
}

/**
 * Inputs or outputs named for a sentence, each with what it says after its name (`detail`, '' for nothing): one
 * alone as `'attention_mask' (= 1)`, a KV cache's alike ones (cacheGroups: 3 or more of one detail) as their group,
 * `past_key_values.0..31.key/value (64 inputs, each empty: past_sequence_length 0)`. The one way notes and warnings
 * name several inputs or outputs: a note that named each of a decoder's 64 cache inputs was a paragraph.
 */
export function namedGroups<T extends { name: string; shape: readonly unknown[] }>(
  items: readonly T[],
  noun: 'inputs' | 'outputs',
  detail: (item: T) => string = () => '',
): string[] {
  return cacheGroups(items, detail).map((group) => {
    const said = detail(group[0]!);
    if (group.length === 1) return `'${group[0]!.name}'${said ? ` (${said})` : ''}`;
    return `${layerRangeName(group.map((i) => i.name))} (${group.length} ${noun}${said ? `, each ${said}` : ''})`;
  });
}

/** `a`, `a and b`, `a, b and c`: namedGroups' phrases in a sentence. */
export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;
}
