import {
  dimMayBeEmpty,
  dimTerms,
  isCacheInput,
  isCacheSwitchName,
  modelDimNames,
} from '../../../shared/cache-dims.js';
import { layerRangeName } from '../../../shared/input-groups.js';
import {
  guessInputSpec,
  inputSpecProblem,
  isNamedDim,
  isPositionIdsName,
  specFromGuesses,
  type InputGuess,
} from '../../../shared/input-spec.js';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { shellQuote } from '../../../shared/shell-quote.js';

/*
 * inspect on a decoder exported with a KV cache (Optimum's decoder_with_past / merged decoder): what the cache
 * inputs are, the past length and what every command guesses for it (input-spec.ts: 0, the first step), the dims
 * sized as sums of it, and the flags that time one decode step instead. Said in a few lines above the tables.
 */

/**
 * A past length for the decode-step command: a past worth timing, and the guess for a sequence elsewhere. Less where
 * the model's position table has fewer rows (decodePast).
 */
const DECODE_PAST = 128;

/** Where the text's first column ends: the label and its padding, as inspect's other header lines. */
const INDENT = ' '.repeat(12);

/** The past length: its dim's name (undefined where unnamed), its axis, and what commands guess for it. */
interface PastDim {
  name: string | undefined;
  axis: number;
  guess: { value: number; reason: string };
}

function pastDimOf(inputs: readonly TensorSummary[], guesses: readonly InputGuess[]): PastDim | undefined {
  for (const [k, input] of inputs.entries())
    for (const axis of input.shape.keys()) {
      if (!dimMayBeEmpty(input, axis)) continue;
      const d = input.shape[axis];
      return { name: isNamedDim(d) ? d : undefined, axis, guess: guesses[k]!.dims[axis]! };
    }
  return undefined;
}

/**
 * The lines, or none for a model without a KV cache. `KV cache    8 cache inputs (past_key_values.0..3.key/value):
 * a decoder; past length past_sequence_length, guessed 0 (a first step, nothing cached)`, the sums and the cache
 * switch, and `One decode step: onnx-studio bench MODEL --dim past_sequence_length=128 --dim sequence_length=1`.
 */
export function kvCacheLines(model: string, inputs: readonly TensorSummary[]): string[] {
  const cache = inputs.filter(isCacheInput);
  if (cache.length === 0) return [];
  // The guesses every command makes without --dim: one source for what is said here.
  const guesses = guessInputSpec(inputs);
  const past = pastDimOf(inputs, guesses);
  const names = modelDimNames(inputs);
  const sums = new Map<string, { input: string; terms: (string | number)[]; value: number }>();
  inputs.forEach((input, k) =>
    input.shape.forEach((d, axis) => {
      const terms = isNamedDim(d) ? dimTerms(d, names) : undefined;
      if (terms && !sums.has(d as string))
        sums.set(d as string, { input: input.name, terms, value: guesses[k]!.dims[axis]!.value });
    }),
  );
  const cacheSwitch = inputs.find((i) => isCacheSwitchName(i.name));
  const lines = [
    `KV cache    decoder, ${cache.length} cache input${cache.length === 1 ? '' : 's'} (${layerRangeName(cache.map((i) => i.name))}); ` +
      (past
        ? `past length ${past.name ?? `dim ${past.axis} (unnamed)`}, guessed ${past.guess.value} (first step)`
        : "no dim reads as the past length: give the cache inputs' shapes with --shape"),
  ];
  const said = [
    ...[...sums].map(([dim, s]) => {
      // A total length (`total_sequence_length`) says what it adds up: a sum's name says it already.
      const terms = s.terms.join(' + ');
      return `${s.input}: ${dim}${dim === terms ? '' : ` (${terms})`} sized as the sum, guessed ${s.value}`;
    }),
    ...(cacheSwitch ? [`${cacheSwitch.name} follows the past (off at 0)`] : []),
  ];
  if (said.length > 0) lines.push(`${INDENT}${said.join('; ')}`);
  // The new tokens' dim: the sum's term that is not the past (sequence_length), set to 1 for one step.
  const fresh = [...sums.values()]
    .flatMap((s) => s.terms)
    .find((t): t is string => typeof t === 'string' && t !== past?.name);
  const step = past?.name ? decodePast(inputs, past.name, fresh) : undefined;
  if (past?.name && step !== undefined)
    lines.push(
      `${INDENT}One decode step: onnx-studio bench ${shellQuote(model)} --dim ${past.name}=${step}` +
        (fresh ? ` --dim ${fresh}=1` : ''),
    );
  return lines;
}

/**
 * The past for the decode-step command: DECODE_PAST, or less where a position table bounds it (one token after a
 * past of 128 is position 128, past the rows of a 128-row table: bench refused the command inspect gave). Each
 * candidate is checked with the rules bench applies to --dim (guessInputSpec, inputSpecProblem); undefined when none
 * passes (the model needs more than --dim, such as --shape for an input of unknown rank).
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
