/**
 * What a decoder exported with a KV cache (Optimum's decoder_with_past / merged decoder) is, as facts: its cache
 * inputs and their groups, the past length and what every command guesses for it (input-spec.ts: 0, the first
 * step), the dims sized as sums of it, a merged export's cache switch, and the sizes that time one decode step.
 * One source for inspect's `KV cache` lines, inspect --json's `kvCache` and the app's Model view, so that they
 * say the same. Pure: the model's inputs as inspect summarizes them.
 */
import { dimMayBeEmpty, dimTerms, isCacheInput, isCacheSwitchName, modelDimNames } from './cache-dims.js';
import { layerRangeName } from './input-groups.js';
import {
  guessInputSpec,
  inputSpecProblem,
  isNamedDim,
  isPositionIdsName,
  specFromGuesses,
} from './input-spec.js';
import type { TensorSummary } from './model-summary.js';

/** inspect --json's `kvCache` (docs/cli.md, inspect). */
export interface KvCacheFacts {
  /** How many inputs are a KV cache's (cache-dims.ts isCacheInput). */
  cacheInputs: number;
  /**
   * The cache inputs named by group, alike ones (one dtype and declared shape) as their layer range:
   * `past_key_values.0..31.key/value`; an encoder-decoder's self and cross attention caches are two.
   */
  groups: string[];
  /**
   * The dim that reads as the past length: its name (absent where the model leaves it unnamed), its axis in the
   * cache inputs, and the size every command guesses for it where nothing sets it (0: the first step). Absent
   * where no dim reads as one (the cache inputs' shapes then need --shape).
   */
  pastLength?: { dim?: string; axis: number; guess: number };
  /**
   * Dims named as a sum with the past (`past_sequence_length + sequence_length`, or a total length): the first
   * input that has each, its terms, and the size it is guessed at (the terms' guesses added up).
   */
  sumDims: { dim: string; input: string; terms: (string | number)[]; guess: number }[];
  /** A merged decoder's switch between its with-past and first-step branches (`use_cache_branch`), if any. */
  cacheSwitch?: string;
  /**
   * The dims that time one decode step, past first: `{past_sequence_length: 128, sequence_length: 1}`, each a
   * `--dim` bench takes. Absent where the past length is unnamed or no past passes bench's checks.
   */
  decodeStep?: Record<string, number>;
}

/**
 * A past length for the decode step: a past worth timing, and the guess for a sequence elsewhere. Less where the
 * model's position table has fewer rows (decodePast).
 */
export const DECODE_PAST = 128;

/** The facts, or undefined for a model without a KV cache input. */
export function kvCacheFacts(inputs: readonly TensorSummary[]): KvCacheFacts | undefined {
  const cache = inputs.filter(isCacheInput);
  if (cache.length === 0) return undefined;
  // The guesses every command makes without --dim: one source for what is said.
  const guesses = guessInputSpec(inputs);
  const pastLength = pastLengthOf(inputs, (k, axis) => guesses[k]!.dims[axis]!.value);
  const names = modelDimNames(inputs);
  const sumDims: KvCacheFacts['sumDims'] = [];
  inputs.forEach((input, k) =>
    input.shape.forEach((d, axis) => {
      const terms = isNamedDim(d) ? dimTerms(d, names) : undefined;
      if (terms && !sumDims.some((s) => s.dim === d))
        sumDims.push({ dim: d as string, input: input.name, terms, guess: guesses[k]!.dims[axis]!.value });
    }),
  );
  const cacheSwitch = inputs.find((i) => isCacheSwitchName(i.name))?.name;
  // The new tokens' dim: the sum's term that is not the past (sequence_length), 1 for one step.
  const fresh = sumDims
    .flatMap((s) => s.terms)
    .find((t): t is string => typeof t === 'string' && t !== pastLength?.dim);
  const step = pastLength?.dim ? decodePast(inputs, pastLength.dim, fresh) : undefined;
  return {
    cacheInputs: cache.length,
    groups: cacheGroupNames(cache),
    ...(pastLength ? { pastLength } : {}),
    sumDims,
    ...(cacheSwitch ? { cacheSwitch } : {}),
    ...(step !== undefined
      ? { decodeStep: { [pastLength!.dim!]: step, ...(fresh ? { [fresh]: 1 } : {}) } }
      : {}),
  };
}

/** `past_key_values.0..31.key/value`: the cache inputs named as one, or by group where their shapes differ. */
export function kvCacheLabel(facts: KvCacheFacts): string {
  return facts.groups.join(', ');
}

/** The first cache dim that may be empty (cache-dims.ts dimMayBeEmpty): the past length, with its guess. */
function pastLengthOf(
  inputs: readonly TensorSummary[],
  guessOf: (input: number, axis: number) => number,
): KvCacheFacts['pastLength'] {
  for (const [k, input] of inputs.entries())
    for (const axis of input.shape.keys()) {
      if (!dimMayBeEmpty(input, axis)) continue;
      const d = input.shape[axis];
      return { ...(isNamedDim(d) ? { dim: d } : {}), axis, guess: guessOf(k, axis) };
    }
  return undefined;
}

/**
 * Alike cache inputs (one dtype and declared shape), each kind named by its layer range, in the order they first
 * come: a 1-layer model's two are `past_key_values.0.key/value`, as 32 layers' 64 are `past_key_values.0..31.key/value`.
 */
function cacheGroupNames(cache: readonly TensorSummary[]): string[] {
  const byKind = new Map<string, string[]>();
  for (const input of cache) {
    const kind = JSON.stringify([input.dtype, input.shape]);
    byKind.set(kind, [...(byKind.get(kind) ?? []), input.name]);
  }
  return [...byKind.values()].map(layerRangeName);
}

/**
 * The past for the decode step: DECODE_PAST, or less where a position table bounds it (one token after a past of
 * 128 is position 128, past the rows of a 128-row table: bench refused the command inspect gave). Each candidate
 * is checked with the rules bench applies to --dim (guessInputSpec, inputSpecProblem); undefined when none passes
 * (the model needs more than --dim, such as --shape for an input of unknown rank).
 */
function decodePast(
  inputs: readonly TensorSummary[],
  pastName: string,
  fresh: string | undefined,
): number | undefined {
  const bounds = [DECODE_PAST];
  for (const input of inputs) {
    if (input.indexes && isPositionIdsName(input.name)) bounds.push(input.indexes.rows - 1);
    for (const table of input.positionTables ?? []) bounds.push(table.longest - 1, table.rows - 1);
  }
  const candidates = [...new Set(bounds)].filter((p) => p >= 0 && p <= DECODE_PAST).sort((a, b) => b - a);
  return candidates.find((p) => {
    const sizes = { [pastName]: p, ...(fresh ? { [fresh]: 1 } : {}) };
    return inputSpecProblem(inputs, specFromGuesses(guessInputSpec(inputs, {}, sizes))) === undefined;
  });
}
