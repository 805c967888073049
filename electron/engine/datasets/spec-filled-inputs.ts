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
