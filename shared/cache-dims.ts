/**
 * The dims of a language model's KV cache, as Hugging Face Optimum and onnxruntime-genai export them:
 * `past_key_values.0.key [batch_size, heads, past_sequence_length, head_dim]`, and an attention mask over the past
 * and the new tokens, `[batch_size, "past_sequence_length + sequence_length"]` (or `total_sequence_length`). Such a
 * model's first step has an empty past: a past length of 0 is the one size 0 an input spec takes (elsewhere a 0 dim
 * makes an empty tensor, and a benchmark would time no work). A dim named as a sum is sized as the sum of its
 * terms, so that the mask fits the past and the new tokens (a mask of 128 beside a past of 128 and 128 new tokens
 * failed in the model's first Mul).
 *
 * Plain data and pure functions, shared by the input spec (input-spec.ts), the engine and the app.
 */

/** A dim named as the length of the cache of earlier steps: `past_sequence_length`, `past_seq_len`, `cache_length`. */
const PAST_LENGTH_NAMES = /^(past|cache|cached|kv_?cache)(_|$)|^past[a-z]*_?(len|length|seq|sequence)/i;
/**
 * An input that holds a cache of earlier steps: `past_key_values.0.key` (Optimum, onnxruntime-genai), `past.0.value`,
 * `past_key_values.0.decoder.key`, `past_key.3`, `past_0` (older GPT-2 exports), `key_cache.1`, `cache_v`. Not a
 * time series' `past_values` of rank 2 or 3: a cache also has 4 dims or more (cacheInput).
 */
const CACHE_INPUT_NAMES =
  /^(past_key_values?|pkv|past|present)[._]\d+[._](decoder[._])?(key|value|k|v)$|^past_(key|value)s?([._]?\d+)?$|^past_\d+$|^(key|value|kv)_?cache([._]\d+)?$|^cache_(k|v|key|value)([._]\d+)?$/i;
/** A total length, past and new tokens together (onnxruntime-genai's `total_sequence_length`). */
const TOTAL_LENGTH_NAMES = /^total_?(seq|sequence)_?(len|length)$/i;
/** A sequence length of the new tokens: the term a total adds to the past. */
const NEW_LENGTH_NAMES = /^(seq|sequence)_?(len|length)$/i;

/** True for a dim name that reads as a past (cache) length, and is not a sum. */
export function isPastLengthName(name: string): boolean {
  return !name.includes('+') && PAST_LENGTH_NAMES.test(name.trim());
}

/** True for an input that reads as a KV cache: named as one (`past_key_values.0.key`), of 4 dims or more. */
export function isCacheInput(input: { name: string; shape: readonly unknown[] }): boolean {
  return input.shape.length >= 4 && CACHE_INPUT_NAMES.test(input.name);
}

/** A dim with no name of its own: unknown, or an exporter's `unk__12` / `dim_3`. */
function unnamedDim(d: number | string | null | undefined): boolean {
  return typeof d !== 'number' && (d === null || d === undefined || /^(|unk__\d+|dim_?\d+|\?)$/i.test(d));
}

/**
 * Whether axis `index` of `input` may be 0 (and is guessed 0): an open dim of a KV cache input (isCacheInput) that
 * reads as a past length by its name, or, unnamed, its axis 2 ([batch, heads, past, head_dim]). One rule for the
 * guess, the CLI, the app and data. Nothing else: a time series' `past_values [batch, past_length]` is no cache, and
 * an empty one would be timed doing no work.
 */
export function dimMayBeEmpty(
  input: { name: string; shape: readonly (number | string | null)[] },
  index: number,
): boolean {
  const d = input.shape[index];
  if ((typeof d === 'number' && d >= 0) || !isCacheInput(input)) return false;
  if (typeof d === 'string' && !unnamedDim(d)) return isPastLengthName(d);
  return input.shape.length === 4 && index === 2;
}

/**
 * The terms of a dim named as a sum, `past_sequence_length + sequence_length` (names or whole numbers), or
 * undefined when the name is not one.
 */
export function sumTerms(name: string): (string | number)[] | undefined {
  if (!name.includes('+')) return undefined;
  const terms = name.split('+').map((t) => t.trim());
  if (terms.some((t) => t === '')) return undefined;
  return terms.map((t) => (/^\d+$/.test(t) ? Number(t) : t));
}

/**
 * The terms a dim adds up to, given the named dims of the model: a sum's (`past + sequence`), or a total length's
 * (`total_sequence_length` is the past and the new tokens where the model names both). Undefined for any other dim
 * or where a term is not a dim of the model.
 */
export function dimTerms(name: string, modelDims: ReadonlySet<string>): (string | number)[] | undefined {
  const terms = sumTerms(name);
  if (terms) return terms.every((t) => typeof t === 'number' || modelDims.has(t)) ? terms : undefined;
  if (!TOTAL_LENGTH_NAMES.test(name)) return undefined;
  const past = [...modelDims].find(isPastLengthName);
  const fresh = [...modelDims].find((d) => NEW_LENGTH_NAMES.test(d));
  return past && fresh ? [past, fresh] : undefined;
}

/** The named dims of a model's inputs. */
export function modelDimNames(
  inputs: readonly { shape: readonly (number | string | null)[] }[],
): Set<string> {
  const names = new Set<string>();
  for (const input of inputs)
    for (const d of input.shape) if (typeof d === 'string' && d !== '') names.add(d);
  return names;
}

/**
 * The size `shapes` gives each named dim, from the first input that has it: what a sum's terms are read from
 * (input-spec.ts's namedDimSizes also tells two sizes of one name apart; here the first stands).
 */
export function sizesByName(
  inputs: readonly { name: string; shape: readonly (number | string | null)[] }[],
  shapes: Readonly<Record<string, readonly number[]>>,
): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const input of inputs) {
    const shape = shapes[input.name];
    input.shape.forEach((d, axis) => {
      if (typeof d === 'string' && d !== '' && shape?.[axis] !== undefined && !sizes.has(d))
        sizes.set(d, shape[axis]!);
    });
  }
  return sizes;
}

/** The value of a sum's terms where every named term has a size, else undefined. */
export function sumOf(
  terms: readonly (string | number)[],
  sizeOf: (name: string) => number | undefined,
): number | undefined {
  let total = 0;
  for (const t of terms) {
    const size = typeof t === 'number' ? t : sizeOf(t);
    if (size === undefined) return undefined;
    total += size;
  }
  return total;
}

/** `past_sequence_length (5) + sequence_length (128)`: a sum's terms with their sizes, for messages and reasons. */
export function describeSum(
  terms: readonly (string | number)[],
  sizeOf: (name: string) => number | undefined,
): string {
  return terms.map((t) => (typeof t === 'number' ? String(t) : `${t} (${sizeOf(t)})`)).join(' + ');
}

/**
 * Why the shapes give a dim named as a sum (or a total length) another size than its terms add up to, or
 * undefined when they fit or cannot be told: `Input 'attention_mask': dim 'past_sequence_length +
 * sequence_length' is 128, but past_sequence_length (128) + sequence_length (128) is 256.`
 */
export function sumDimProblem(
  inputs: readonly { name: string; shape: readonly (number | string | null)[] }[],
  shapes: Readonly<Record<string, readonly number[]>>,
): string | undefined {
  const names = modelDimNames(inputs);
  const sizes = sizesByName(inputs, shapes);
  const sizeOf = (name: string) => sizes.get(name);
  for (const input of inputs) {
    const shape = shapes[input.name];
    for (const [axis, d] of input.shape.entries()) {
      if (typeof d !== 'string' || shape?.[axis] === undefined) continue;
      const terms = dimTerms(d, names);
      const total = terms && sumOf(terms, sizeOf);
      if (total === undefined || total === shape[axis]) continue;
      return (
        `Input '${input.name}': dim '${d}' is ${shape[axis]}, but ${describeSum(terms!, sizeOf)} is ${total}. ` +
        `Give it ${total}, or change the sizes it adds up.`
      );
    }
  }
  return undefined;
}

/** Optimum's merged decoder's switch between its with-past and first-step branches (`use_cache_branch`). */
const CACHE_SWITCH_NAMES = /^use_?cache(_?branch)?$/i;

/** True for an input name that reads as a merged decoder's cache switch. */
export function isCacheSwitchName(name: string): boolean {
  return CACHE_SWITCH_NAMES.test(name);
}

/** The past length the shapes give a model with a KV cache, or undefined when it has none. */
export function pastLengthIn(
  inputs: readonly { name: string; shape: readonly (number | string | null)[] }[],
  shapes: Readonly<Record<string, readonly number[]>>,
): number | undefined {
  for (const input of inputs) {
    const shape = shapes[input.name];
    if (!shape) continue;
    for (const axis of input.shape.keys()) if (dimMayBeEmpty(input, axis)) return shape[axis];
  }
  return undefined;
}

/**
 * Why a cache switch's values do not fit the past, or undefined: off (or random) beside a past of some steps, the
 * first-step branch reads no cache while the mask spans the past and the new tokens (every run failed in the
 * model's first Mul). At a past of 0 either branch runs: the with-past one concatenates an empty cache.
 */
export function cacheSwitchProblem(
  inputs: readonly { name: string; shape: readonly (number | string | null)[] }[],
  shapes: Readonly<Record<string, readonly number[]>>,
  values: Readonly<Record<string, { kind: string; value?: number }>>,
): string | undefined {
  const past = pastLengthIn(inputs, shapes);
  if (past === undefined || past === 0) return undefined;
  for (const input of inputs) {
    const v = values[input.name];
    if (!isCacheSwitchName(input.name) || !v) continue;
    if (v.kind === 'constant' && v.value !== 0) continue;
    return (
      `Input '${input.name}' is ${v.kind === 'constant' ? 'off' : 'random'}, but the past holds ${past} steps: ` +
      `the merged decoder's first-step branch reads no cache. Set it on (true), or make the past length 0.`
    );
  }
  return undefined;
}

/**
 * The layer (first number) of a cache tensor's name and which part it holds, where the name says:
 * `past_key_values.3.value` -> layer 3, value (the last word that names a part: `key` comes first there).
 */
export function cacheSlot(name: string): { layer?: number; part?: 'key' | 'value' } {
  const layer = /\d+/.exec(name)?.[0];
  const word = name
    .toLowerCase()
    .split(/[._]/)
    .findLast((t) => /^(keys?|k|values?|v)$/.test(t));
  const part = word === undefined ? undefined : word.startsWith('k') ? 'key' : 'value';
  return { ...(layer !== undefined ? { layer: Number(layer) } : {}), ...(part ? { part } : {}) };
}

/**
 * True for an output that is a KV cache's next value: `present.3.key` (or `present_3`), of 4 dims or more,
 * beside a cache input (isCacheInput) of its rank, layer and part (`past_key_values.3.key`). Its values are the
 * keys and values of attention, compared as values: no axis of it holds classes to take the argmax of.
 */
export function isCacheOutput(
  output: { name: string; shape: readonly unknown[] },
  inputs: readonly { name: string; shape: readonly unknown[] }[],
): boolean {
  if (output.shape.length < 4 || !(/present/i.test(output.name) || CACHE_INPUT_NAMES.test(output.name)))
    return false;
  const slot = cacheSlot(output.name);
  return inputs.some((input) => {
    if (!isCacheInput(input) || input.shape.length !== output.shape.length) return false;
    const other = cacheSlot(input.name);
    return other.layer === slot.layer && other.part === slot.part;
  });
}
