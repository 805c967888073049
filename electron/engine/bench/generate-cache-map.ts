/**
 * Which output of a decoder feeds each of its cache inputs at the next step of a generation (`bench --generate`):
 * `present.N.key` -> `past_key_values.N.key` (Optimum's exports), `present.N.value` -> `past.N.value` (older GPT-2
 * style), `present_N` -> `past_N`. By name first: the input's `past_key_values` / `past` prefix read as `present`;
 * else by layer number and part (key / value), among the outputs of the input's rank that name no other input. A
 * cache input left without an output is refused: the loop would have nothing to feed it at the second step.
 * Pure: names and declared shapes only.
 */
import { cacheSlot } from '../../../shared/cache-dims.js';
import { StudioError } from '../errors.js';

export interface NamedShape {
  name: string;
  shape: readonly (number | string | null)[];
}

/** One cache input and the output that holds its next value. */
export interface CachePair {
  input: string;
  output: string;
}

/** `past_key_values.3.key` -> `present.3.key`; `past.3.value` -> `present.3.value`; `past_3` -> `present_3`. */
function presentNames(input: string): string[] {
  const names = [
    input.replace(/^past_key_values?(?=[._])/i, 'present'),
    input.replace(/^past(?=[._])/i, 'present'),
    input.replace(/^past_key_values?(?=[._])/i, 'present_key_values'),
    input.replace(/^pkv(?=[._])/i, 'present'),
    input.replace(/past/i, 'present'),
  ];
  return [...new Set(names)].filter((n) => n !== input);
}

/**
 * The output that holds each cache input's next value, in the order of `cacheInputs`. `label` names the model in
 * the refusal, which lists every cache input left without one and the outputs there are.
 */
export function mapCacheOutputs(
  cacheInputs: readonly NamedShape[],
  outputs: readonly NamedShape[],
  label: string,
): CachePair[] {
  const outputNames = new Set(outputs.map((o) => o.name));
  const taken = new Set<string>();
  const pairs = new Map<string, string>();
  // By name first, for every input, so that the fallback never takes an output a name claims.
  for (const input of cacheInputs) {
    const byName = presentNames(input.name).find((n) => outputNames.has(n) && !taken.has(n));
    if (byName) {
      pairs.set(input.name, byName);
      taken.add(byName);
    }
  }
  for (const input of cacheInputs) {
    if (pairs.has(input.name)) continue;
    const slot = cacheSlot(input.name);
    if (slot.layer === undefined) continue;
    const fits = outputs.filter((o) => {
      if (taken.has(o.name) || o.shape.length !== input.shape.length) return false;
      const other = cacheSlot(o.name);
      return other.layer === slot.layer && other.part === slot.part;
    });
    if (fits.length === 1) {
      pairs.set(input.name, fits[0]!.name);
      taken.add(fits[0]!.name);
    }
  }
  const missing = cacheInputs.filter((i) => !pairs.has(i.name));
  if (missing.length > 0) {
    const listed = missing.map((i) => `'${i.name}'`).join(', ');
    throw new StudioError(
      'BAD_INPUT',
      `--generate feeds each cache input the matching output of the step before, but ${label} has no output for ` +
        `${listed} (looked for ${presentNames(missing[0]!.name)
          .map((n) => `'${n}'`)
          .join(' or ')}, or an output of the same layer and key/value). Its outputs: ` +
        `${outputs.map((o) => `'${o.name}'`).join(', ') || 'none'}. Export the decoder with its present.N.key/value outputs.`,
    );
  }
  return cacheInputs.map((i) => ({ input: i.name, output: pairs.get(i.name)! }));
}
