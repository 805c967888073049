/**
 * Inputs the data may leave out: those whose values the user set in the input spec (`--value sr=16000`, the
 * app's Model view), such as a sample rate beside audio data that holds only the audio. Every sample feeds them
 * the spec's values, and a note says so. A guessed value never fills data: data without an input it needs is
 * still refused, naming it.
 */
import type * as ort from 'onnxruntime-node';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { seededRandom, syntheticTensor } from '../runtime/synthetic-feeds.js';
import type { DatasetSource } from './dataset-source.js';
import type { Sample } from './sample-source.js';

/** Whether the input spec gives this input values the user chose (not the shared guess). */
export function fillableFromSpec(input: ResolvedInput): boolean {
  return input.values !== undefined && input.valuesGuess === undefined && !input.rankUnknown;
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

/** `set the value of 'sr' (--value sr=V, a recipe's inputs.values, the app's Model view)`. */
export function setValuesOf(inputs: readonly ResolvedInput[]): string {
  const names = inputs.map((i) => `'${i.name}'`);
  const listed = names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return (
    `set the value${inputs.length === 1 ? '' : 's'} of ${listed} ` +
    `(${inputs.map((i) => `--value ${i.name}=V`).join(' ')}, a recipe's inputs.values, the app's Model view)`
  );
}

/**
 * What to set so that a one-array file (a .npy, an image folder) fits a model of several inputs: the inputs that
 * look settable, by name, where setting them leaves it exactly one input to feed (`set the value of 'sr' (--value
 * sr=V, ...), and it feeds 'audio'`); else `unnamed`, the advice without names.
 */
export function oneArrayAdvice(inputs: readonly ResolvedInput[], unnamed: string): string {
  const unset = inputs.filter((i) => !fillableFromSpec(i));
  const settable = unset.filter(looksSettable);
  const fed = unset.filter((i) => !looksSettable(i));
  if (fed.length !== 1 || settable.length === 0) return unnamed;
  return `${setValuesOf(settable)}, and it feeds '${fed[0]!.name}'`;
}

/**
 * The inputs a one-array file (a .npy, an image folder) feeds, when the model has more: the one input the spec
 * does not fill, or undefined where that is not exactly one.
 */
export function singleDataInput(inputs: readonly ResolvedInput[]): ResolvedInput | undefined {
  const fromData = inputs.filter((i) => !fillableFromSpec(i));
  return inputs.length > 1 && fromData.length === 1 ? fromData[0] : undefined;
}

/** `source` with `absent` inputs added to every sample from the spec's values, and a note naming them. */
export function withSpecFilledInputs(source: DatasetSource, absent: readonly ResolvedInput[]): DatasetSource {
  if (absent.length === 0) return source;
  const described = absent.map((i) => `'${i.name}' ${describeSpecValues(i)}`);
  const note =
    `the data has no ${absent.length === 1 ? 'array' : 'arrays'} for ${described.join(', ')}: every sample feeds ` +
    `${absent.length === 1 ? 'it' : 'them'} the value${absent.length === 1 ? '' : 's'} the input spec sets.`;
  const samples = async function* (signal?: AbortSignal): AsyncIterable<Sample> {
    // A range is drawn per sample from a fixed seed, so a rerun feeds the same values.
    const next = seededRandom(0);
    for await (const sample of source.samples(signal)) {
      const inputs: Record<string, ort.Tensor> = { ...sample.inputs };
      for (const input of absent) inputs[input.name] ??= syntheticTensor(input, next);
      yield { ...sample, inputs };
    }
  };
  return Object.assign(Object.create(source) as DatasetSource, {
    samples,
    notes: [...source.notes, note],
  });
}

function describeSpecValues(input: ResolvedInput): string {
  const v = input.values!;
  return v.kind === 'constant' ? `(= ${v.value})` : `(${v.min} to ${v.max})`;
}
