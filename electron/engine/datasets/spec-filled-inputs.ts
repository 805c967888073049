/**
 * Inputs the data may leave out: those whose values the user set in the input spec (`--value sr=16000`, the
 * app's Model view), such as a sample rate beside audio data that holds only the audio, and those the spec makes
 * empty (a KV cache at past length 0, beside data that holds token ids: an empty tensor has no values to guess).
 * Every sample feeds them the spec's values, and a note says so. A guessed value never fills data: data without
 * an input it needs is still refused, naming it.
 */
import type * as ort from 'onnxruntime-node';
import { guessedDimsNote, type ResolvedInput, valuesField } from '../runtime/input-specs.js';
import { type InputValues, isNamedDim, valuesText } from '../../../shared/input-spec.js';
import {
  dimMayBeEmpty,
  dimTerms,
  isCacheSwitchName,
  modelDimNames,
  sizesByName,
  sumOf,
} from '../../../shared/cache-dims.js';
import { valueFlagText } from '../../../shared/cli-command.js';
import { listWords, namedGroups } from '../../../shared/input-groups.js';
import { seededRandom, syntheticTensor } from '../runtime/synthetic-feeds.js';
import type { DatasetSource } from './dataset-source.js';
import type { Sample } from './sample-source.js';

/** Whether the input spec gives this input values the user chose (not the shared guess). */
export function fillableFromSpec(input: ResolvedInput): boolean {
  if (input.rankUnknown) return false;
  return (input.values !== undefined && input.valuesGuess === undefined) || isEmptyInput(input);
}

/** Whether the spec makes the input empty: a dim of 0, which only a KV cache's past length may be (cache-dims.ts). */
function isEmptyInput(input: ResolvedInput): boolean {
  return input.dims.some(
    (d, axis) => d === 0 && dimMayBeEmpty({ name: input.name, shape: input.declared }, axis),
  );
}

/**
 * Whether an input looks like one a user sets rather than one the data holds: an integer or bool input that
 * synthetic data guesses values for (a sample rate, a mask), or a single number the model fixes as one (a float
 * threshold of shape [] or [1]; a few floats, [1, 4], are as likely a tiny model's features). The messages about
 * data that lacks an input offer `--value` for these.
 */
export function looksSettable(input: ResolvedInput): boolean {
  if (input.rankUnknown) return false;
  if (input.valuesGuess !== undefined) return true;
  return input.declared.every((d) => d === 1);
}

/**
 * `set the value of 'sr' (--value sr=V, a recipe's inputs.values, the app's Model view)`; where the spec came from the
 * app or a recipe, in the words of the place it is set there, without flags (`set the values of 'attention_mask' and
 * 'position_ids' in the Model view's input spec (attention_mask = 1, position_ids positions from 0)`).
 */
export function setValuesOf(inputs: readonly ResolvedInput[]): string {
  const what = `set the value${inputs.length === 1 ? '' : 's'} of ${listed(inputs.map((i) => `'${i.name}'`))}`;
  const origin = inputs[0]?.origin;
  if (origin === 'app' || origin === 'recipe') {
    const known = inputs.flatMap((i) => {
      const v = knownValues(i);
      return v ? [valueWords(i, v)] : [];
    });
    return `${what} in ${valuesField(origin)}${known.length > 0 ? ` (${known.join(', ')})` : ''}`;
  }
  const flags = inputs.map((i) => `--value ${i.name}=${valueHint(i)}`).join(' ');
  return `${what} (${flags}, a recipe's inputs.values, the app's Model view)`;
}

/** `set the values of the inputs it does not hold (--value NAME=V, ...)`: setValuesOf's advice without names. */
function setValuesOfUnnamed(inputs: readonly ResolvedInput[], which: string): string {
  const origin = inputs[0]?.origin;
  return origin === 'app' || origin === 'recipe'
    ? `set the values of ${which} in ${valuesField(origin)}`
    : `set the values of ${which} (--value NAME=V, a recipe's inputs.values, the app's Model view)`;
}

/** A mask, as shared/input-spec.ts guessValues tells one (its guess: every position on). */
const MASK_NAME = /mask/i;

/**
 * The guessed values advice may name as they are: those whose form a user cannot tell from V, positions (0, 1, 2,
 * ...; `V` led a user to a number) and a merged decoder's cache switch, and a mask's ones (what fits data without
 * padding); not a sample rate or a single number, which the user must know. Undefined for the others.
 */
function knownValues(input: ResolvedInput): InputValues | undefined {
  const v = input.valuesGuess !== undefined ? input.values : undefined;
  if (v?.kind === 'positions') return v;
  if (v?.kind === 'constant' && (isCacheSwitchName(input.name) || MASK_NAME.test(input.name))) return v;
  return undefined;
}

/** What to put after `--value NAME=`: the known values (`positions`, `1`, a cache switch's `false`), else V. */
function valueHint(input: ResolvedInput): string {
  const v = knownValues(input);
  if (v?.kind === 'constant' && input.ortType === 'bool') return v.value !== 0 ? 'true' : 'false';
  return v ? valueFlagText(v) : 'V';
}

/** Values as the Model view's spec line says them: `attention_mask = 1`, `use_cache_branch all false`. */
function valueWords(input: ResolvedInput, v: InputValues): string {
  if (v.kind === 'positions') return `${input.name} ${valuesText(v)}`;
  if (input.ortType === 'bool')
    return `${input.name} ${v.kind === 'range' ? 'random true/false' : v.value !== 0 ? 'all true' : 'all false'}`;
  return v.kind === 'constant' ? `${input.name} = ${v.value}` : `${input.name} in ${valuesText(v)}`;
}

/**
 * Of inputs that all have values, the one whose values are drawn at random (a range: token ids, image bytes), which
 * synthetic data feeds in place of data; the others' values are settings (a mask of ones, positions 0..n-1, a cache
 * switch, a sample rate). Undefined unless exactly one, an empty input (a past of 0) never.
 */
function drawnAtRandom(inputs: readonly ResolvedInput[]): ResolvedInput | undefined {
  const drawn = inputs.filter((i) => !isEmptyInput(i) && i.values?.kind === 'range');
  return drawn.length === 1 ? drawn[0] : undefined;
}

/**
 * What to set so that a one-array file (a .npy, an image folder) fits a model of several inputs: the inputs that
 * look settable, by name, where setting them leaves it exactly one input to feed (`set the value of 'sr' (--value
 * sr=V, ...), and it feeds 'audio'`); where every input the spec leaves open looks settable (a decoder's token ids
 * have a guess too), the one drawn at random is the data's (`set the values of 'attention_mask' and 'position_ids'
 * (...), and it feeds 'input_ids'`). Else the advice without names: set the values of `which` (`the other inputs`).
 * The same words as the .npz refusal's (input-match.ts checkInputNames), in the words of where the spec came from.
 */
export function oneArrayAdvice(inputs: readonly ResolvedInput[], which: string): string {
  const unset = inputs.filter((i) => !fillableFromSpec(i));
  const data = unset.filter((i) => !looksSettable(i));
  const fed = data.length === 0 ? drawnAtRandom(unset) : data.length === 1 ? data[0] : undefined;
  const settable = unset.filter((i) => i !== fed);
  if (!fed || settable.length === 0) return setValuesOfUnnamed(inputs, which);
  return `${setValuesOf(settable)}, and it feeds '${fed.name}'`;
}

/**
 * The input a one-array file (a .npy, an image folder) feeds, when the model has more: the one input the spec does
 * not fill (audio beside a set sample rate). Where the spec sets every input's values, as the app's Model view saves
 * them (token ids too: its form is prefilled with a range of ids, and the user who sets a decoder's mask and
 * positions saves that with them), the one drawn at random (drawnAtRandom): the data holds it, as a .npz holding an
 * input feeds it instead of the spec's values. Undefined where neither tells exactly one.
 */
export function singleDataInput(inputs: readonly ResolvedInput[]): ResolvedInput | undefined {
  if (inputs.length <= 1) return undefined;
  const fromData = inputs.filter((i) => !fillableFromSpec(i));
  if (fromData.length === 1) return fromData[0];
  return fromData.length === 0 ? drawnAtRandom(inputs) : undefined;
}

/**
 * `source` with `absent` inputs added to every sample from the spec's values, and a note naming them. `inputs` are
 * all the model's inputs: a named dim of an absent input takes each sample's size of that dim in the inputs the
 * data holds (a mask beside ids of 16 tokens is 16 long, whatever the spec's guess, and lines of several lengths
 * each get their own); a dim the data cannot tell keeps the spec's size, and when that is a guess a warning says
 * so (guessedDimsNote).
 */
export function withSpecFilledInputs(
  source: DatasetSource,
  absent: readonly ResolvedInput[],
  inputs: readonly ResolvedInput[],
): DatasetSource {
  if (absent.length === 0) return source;
  const fromData = inputs.filter((i) => !absent.includes(i));
  const holders = new Map<string, string>();
  for (const input of fromData)
    for (const d of namedDims(input)) if (!holders.has(d)) holders.set(d, input.name);
  const sized = [...new Set(absent.flatMap((i) => namedDims(i).filter((d) => holders.has(d))))];
  // A decoder's 64 empty cache inputs are one group (shared/input-groups.ts), not 64 names.
  const described = namedGroups(
    absent.map((input) => ({ input, name: input.name, shape: input.declared })),
    'inputs',
    (a) => describeSpecValues(a.input),
  );
  const sizedLike =
    sized.length === 0
      ? ''
      : `, at each sample's own ${listed(sized.map((d) => `'${d}'`))} (as in ${listed([...new Set(sized.map((d) => `'${holders.get(d)}'`))])})`;
  const note =
    `the data has no ${absent.length === 1 ? 'array' : 'arrays'} for ${listWords(described)}: every sample feeds ` +
    `${absent.length === 1 ? 'it' : 'them'} the value${absent.length === 1 ? '' : 's'} the input spec sets${sizedLike}.`;
  const terms = modelDimNames(inputs.map((i) => ({ shape: i.declared })));
  // Guessed dims of the absent inputs that no input of the data has: fed at the guess, which the warning names.
  const untold = [
    ...new Set(
      absent.flatMap((i) =>
        // A sum's size is the data's and the spec's terms (`past + sequence`): a term guessed is listed itself.
        (i.guessedDims ?? []).filter(
          (g) => g.name === undefined || (!holders.has(g.name) && !dimTerms(g.name, terms)),
        ),
      ),
    ),
  ];
  const specSizes = sizesByName(
    inputs.map((i) => ({ name: i.name, shape: i.declared })),
    Object.fromEntries(inputs.map((i) => [i.name, i.dims])),
  );
  const samples = async function* (signal?: AbortSignal): AsyncIterable<Sample> {
    // A range is drawn per sample from a fixed seed, so a rerun feeds the same values.
    const next = seededRandom(0);
    for await (const sample of source.samples(signal)) {
      const sizes = sampleSizes(fromData, sample);
      // A mask over the past and the new tokens is as long as both: the data's tokens, the spec's past.
      for (const [name] of specSizes) {
        const parts = sizes.has(name) ? undefined : dimTerms(name, terms);
        const total = parts && sumOf(parts, (t) => sizes.get(t) ?? specSizes.get(t));
        if (total !== undefined) sizes.set(name, total);
      }
      const filled: Record<string, ort.Tensor> = { ...sample.inputs };
      for (const input of absent) filled[input.name] ??= syntheticTensor(sizedBy(input, sizes), next);
      yield { ...sample, inputs: filled };
    }
  };
  return Object.assign(Object.create(source) as DatasetSource, {
    samples,
    notes: [...source.notes, note, ...(untold.length > 0 ? [guessedDimsNote(untold)] : [])],
  });
}

function namedDims(input: ResolvedInput): string[] {
  return input.declared.filter(isNamedDim);
}

/** The size of every named dim in a sample, read from the inputs the data holds. */
function sampleSizes(fromData: readonly ResolvedInput[], sample: Sample): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const input of fromData) {
    const dims = sample.inputs[input.name]?.dims;
    if (!dims || dims.length !== input.declared.length) continue;
    input.declared.forEach((d, axis) => {
      if (isNamedDim(d) && !sizes.has(d)) sizes.set(d, dims[axis]!);
    });
  }
  return sizes;
}

/** `input` with each named dim at the sample's size of it; other dims keep the spec's. */
function sizedBy(input: ResolvedInput, sizes: ReadonlyMap<string, number>): ResolvedInput {
  const dims = input.dims.map((size, axis) => {
    const d = input.declared[axis];
    return typeof d === 'string' ? (sizes.get(d) ?? size) : size;
  });
  return dims.every((d, i) => d === input.dims[i]) ? input : { ...input, dims };
}

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** What the spec feeds an input the data lacks, said in the note's parentheses: `= 1`, `empty: past_sequence_length 0`. */
function describeSpecValues(input: ResolvedInput): string {
  const v = input.values;
  if (!v || isEmptyInput(input))
    return `empty: ${input.declared
      .map((d, i) => (input.dims[i] === 0 ? `${typeof d === 'string' && d !== '' ? d : `dim ${i}`} 0` : ''))
      .filter(Boolean)
      .join(', ')}`;
  // Positions follow each sample's own length: syntheticTensor fills the dims sizedBy gave it.
  if (v.kind === 'positions') return `positions from ${v.start} along each sample's last axis`;
  return v.kind === 'constant' ? `= ${v.value}` : `${v.min} to ${v.max}`;
}
