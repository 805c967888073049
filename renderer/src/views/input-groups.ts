/**
 * The inputs the input spec form shows as one fieldset: a decoder exported with a KV cache has two cache inputs
 * per layer (`past_key_values.N.key` and `.value`), all of one dtype and declared shape, and a 32-layer model
 * showed 64 identical fieldsets. The form's fields set a dim of every member at once; the spec still holds one
 * shape per input.
 */
import type { InputSpec } from '../../../shared/input-spec.js';
import type { TensorSummary } from '../../../shared/model-summary.js';

/** Fewer alike inputs than this keep a fieldset each: two are no list to scroll through. */
export const MIN_GROUP = 3;

/**
 * The form's fieldsets, in the order of the inputs, each as the names of its inputs (one, or a group's, the first
 * standing for all). A group is 3 or more inputs of the same dtype and declared shape, with no values of their own
 * (floats) and the same shape in `spec`: a saved spec that gives two of them different shapes keeps them apart,
 * so that no field shows one size while the spec holds another.
 */
export function inputGroups(inputs: readonly TensorSummary[], spec: InputSpec): string[][] {
  const byKey = new Map<string, string[]>();
  const keys = inputs.map((input) => {
    const alike =
      !input.rankUnknown &&
      spec.values?.[input.name] === undefined &&
      JSON.stringify([input.dtype, input.shape, spec.shapes[input.name] ?? null]);
    const key = alike || `input:${input.name}`;
    byKey.set(key, [...(byKey.get(key) ?? []), input.name]);
    return key;
  });
  const groups: string[][] = [];
  const shown = new Set<string>();
  inputs.forEach((input, k) => {
    const members = byKey.get(keys[k]!)!;
    if (members.length < MIN_GROUP) groups.push([input.name]);
    else if (!shown.has(keys[k]!)) {
      shown.add(keys[k]!);
      groups.push(members);
    }
  });
  return groups;
}

/** A group's names as its legend says them: all of 3, else the first and the last (`a.0.key … a.31.value`). */
export function groupNames(names: readonly string[]): string {
  return names.length <= MIN_GROUP ? names.join(', ') : `${names[0]} … ${names.at(-1)}`;
}
