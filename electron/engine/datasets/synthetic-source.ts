import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import {
  guessedValuesNote,
  largeSyntheticInputNotes,
  refuseUnallocatableInputs,
  seededRandom,
  syntheticFeed,
} from '../runtime/synthetic-feeds.js';
import type { Sample, SampleSource } from './sample-source.js';

/** `--data synthetic --samples N --seed S`: seeded random inputs shaped from the model, no labels. */
export function syntheticSource(
  inputs: ResolvedInput[],
  options: { samples: number; seed: number; held?: number },
): SampleSource {
  if (!Number.isInteger(options.samples) || options.samples < 1) {
    throw new StudioError('BAD_REQUEST', `--samples must be a whole number of at least 1, got ${options.samples}.`);
  }
  // An input too large to make is refused here, before a session is opened or anything allocated.
  refuseUnallocatableInputs(inputs, options.held === undefined ? {} : { held: options.held });
  const guessed = guessedValuesNote(inputs);
  return {
    count: options.samples,
    notes: [...(guessed ? [guessed] : []), ...largeSyntheticInputNotes(inputs)],
    describe: () => `synthetic (${options.samples} samples, seed ${options.seed})`,
    async *samples(signal?: AbortSignal): AsyncIterable<Sample> {
      const next = seededRandom(options.seed);
      for (let index = 0; index < options.samples; index++) {
        if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled.');
        yield { index, inputs: syntheticFeed(inputs, next) };
      }
    },
  };
}
