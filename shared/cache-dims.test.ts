import { describe, expect, it } from 'vitest';
import {
  cacheSlot,
  cacheSwitchProblem,
  dimMayBeEmpty,
  dimTerms,
  isCacheOutput,
  isPastLengthName,
  sumDimProblem,
  sumTerms,
} from './cache-dims.js';
import { guessInputSpec, inputSpecProblem, specFromGuesses } from './input-spec.js';
import type { TensorSummary } from './model-summary.js';

/** An Optimum `decoder_with_past_model.onnx`'s inputs (merged: with `use_cache_branch`). */
function decoderInputs(merged = false): TensorSummary[] {
  const kv = ['batch_size', 4, 'past_sequence_length', 16];
  return [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    {
      name: 'attention_mask',
      dtype: 'int64',
      shape: ['batch_size', 'past_sequence_length + sequence_length'],
    },
    { name: 'past_key_values.0.key', dtype: 'float32', shape: kv },
    { name: 'past_key_values.0.value', dtype: 'float32', shape: kv },
    ...(merged ? [{ name: 'use_cache_branch', dtype: 'bool', shape: [1] }] : []),
  ];
}

describe('KV cache dims', () => {
  it('reads past lengths by name, not sums or other lengths', () => {
    for (const name of [
      'past_sequence_length',
      'past_seq_len',
      'past_key_values_length',
      'cache_length',
      'pastlen',
    ])
      expect(isPastLengthName(name), name).toBe(true);
    for (const name of [
      'past_sequence_length + sequence_length',
      'sequence_length',
      'total_sequence_length',
      'passage_len',
    ])
      expect(isPastLengthName(name), name).toBe(false);
  });

  it('reads no past where the model has no KV cache: a time series, an input named cache, a shape of no rank', () => {
    // Review: `past_values [batch, past_sequence_length]` was fed [1, 0] and timed doing no work.
    const series = { name: 'past_values', dtype: 'float32', shape: ['batch_size', 'past_sequence_length'] };
    expect(dimMayBeEmpty(series, 1)).toBe(false);
    expect(specFromGuesses(guessInputSpec([series])).shapes.past_values).toEqual([1, 128]);
    const cache = { name: 'cache', dtype: 'float32', shape: [null, null, null, null] };
    expect([1, 2, 3].map((i) => dimMayBeEmpty(cache, i))).toEqual([false, false, false]);
    expect(dimMayBeEmpty({ name: 'past_key', shape: [] }, 0)).toBe(false);
    // An unnamed cache: its past axis (2) only, as the guess reads it.
    const unnamed = { name: 'past_key_values.0.key', shape: [null, null, null, null] };
    expect([1, 2, 3].map((i) => dimMayBeEmpty(unnamed, i))).toEqual([false, true, false]);
  });

  it('lets only a past length be empty: by its name, or unnamed past the batch axis of a cache input', () => {
    const kv = { name: 'past_key_values.0.key', shape: ['batch_size', 4, 'past_sequence_length', 16] };
    expect([0, 1, 2, 3].map((i) => dimMayBeEmpty(kv, i))).toEqual([false, false, true, false]);
    const unnamed = { name: 'past_key_values.0.key', shape: [null, 4, 'unk__7', 16] };
    expect([0, 2].map((i) => dimMayBeEmpty(unnamed, i))).toEqual([false, true]);
    // Older GPT-2 exports: past_0 [2, batch, heads, past_seq_len, head_dim].
    expect(dimMayBeEmpty({ name: 'past_0', shape: [2, 'batch', 12, 'past_seq_len', 64] }, 3)).toBe(true);
    expect(dimMayBeEmpty({ name: 'x', shape: ['batch', null] }, 1)).toBe(false);
  });

  it('reads sums of dims and numbers, and a total length as the past and the new tokens', () => {
    expect(sumTerms('past_sequence_length + 1')).toEqual(['past_sequence_length', 1]);
    expect(sumTerms('a +')).toBeUndefined();
    const names = new Set(['past_sequence_length', 'sequence_length']);
    expect(dimTerms('past_sequence_length + sequence_length', names)).toEqual([
      'past_sequence_length',
      'sequence_length',
    ]);
    expect(dimTerms('total_sequence_length', names)).toEqual(['past_sequence_length', 'sequence_length']);
    // A term that is no dim of the model is not a sum the spec can check.
    expect(dimTerms('past_sequence + sequence', names)).toBeUndefined();
    expect(dimTerms('total_sequence_length', new Set(['sequence_length']))).toBeUndefined();
  });

  it('guesses a first step: an empty past, a mask as long as the new tokens, the cache switch off', () => {
    const guesses = guessInputSpec(decoderInputs(true));
    const spec = specFromGuesses(guesses);
    expect(spec.shapes).toEqual({
      input_ids: [1, 128],
      attention_mask: [1, 128],
      'past_key_values.0.key': [1, 4, 0, 16],
      'past_key_values.0.value': [1, 4, 0, 16],
      use_cache_branch: [1],
    });
    expect(spec.values?.use_cache_branch).toEqual({ kind: 'constant', value: 0 });
    expect(guesses[1]!.dims[1]!.reason).toBe('the sum past_sequence_length (0) + sequence_length (128)');
    expect(guesses[2]!.dims[2]!.reason).toContain('a cache of earlier steps: 0');
    expect(inputSpecProblem(decoderInputs(true), spec)).toBeUndefined();
  });

  it('follows a past length the user set: the mask adds it, the cache switch turns on', () => {
    const inputs = decoderInputs(true).map((i) => ({
      ...i,
      shape: i.shape.map((d) => (d === 'past_sequence_length' ? 5 : d)),
    }));
    const spec = specFromGuesses(guessInputSpec(inputs, {}, { past_sequence_length: 5 }));
    expect(spec.shapes.attention_mask).toEqual([1, 133]);
    expect(spec.values?.use_cache_branch).toEqual({ kind: 'constant', value: 1 });
  });

  it('refuses a 0 anywhere but a past length, and a mask that is not the past and the new tokens', () => {
    const inputs = decoderInputs();
    const spec = specFromGuesses(guessInputSpec(inputs));
    expect(inputSpecProblem(inputs, { ...spec, shapes: { ...spec.shapes, input_ids: [0, 128] } })).toBe(
      "Input 'input_ids': batch_size must be at least 1 (only a KV cache's past length may be 0).",
    );
    const short = { ...spec.shapes, attention_mask: [1, 100] };
    expect(inputSpecProblem(inputs, { ...spec, shapes: short })).toBe(
      "Input 'attention_mask': dim 'past_sequence_length + sequence_length' is 100, but past_sequence_length (0) + " +
        'sequence_length (128) is 128. Give it 128, or change the sizes it adds up.',
    );
    expect(sumDimProblem(inputs, spec.shapes)).toBeUndefined();
  });

  it('refuses a merged export cache switch off (or random) beside a past, and takes either at a past of 0', () => {
    const inputs = decoderInputs(true);
    const shapes = (past: number) => ({
      input_ids: [1, 8],
      attention_mask: [1, past + 8],
      'past_key_values.0.key': [1, 4, past, 16],
      'past_key_values.0.value': [1, 4, past, 16],
      use_cache_branch: [1],
    });
    const off = { use_cache_branch: { kind: 'constant', value: 0 } };
    const on = { use_cache_branch: { kind: 'constant', value: 1 } };
    expect(cacheSwitchProblem(inputs, shapes(0), off)).toBeUndefined();
    expect(cacheSwitchProblem(inputs, shapes(0), on)).toBeUndefined();
    expect(cacheSwitchProblem(inputs, shapes(3), on)).toBeUndefined();
    expect(cacheSwitchProblem(inputs, shapes(3), off)).toBe(
      "Input 'use_cache_branch' is off, but the past holds 3 steps: the merged decoder's first-step branch reads no " +
        'cache. Set it on (true), or make the past length 0.',
    );
    expect(cacheSwitchProblem(inputs, shapes(3), { use_cache_branch: { kind: 'range', value: 0 } })).toMatch(
      /is random/,
    );
  });

  it('cuts guessed positions to the position table: 128 new tokens after a past of 5 passed a 128-row table', () => {
    const inputs: TensorSummary[] = [
      ...decoderInputs(),
      {
        name: 'position_ids',
        dtype: 'int64',
        shape: ['batch_size', 'sequence_length'],
        indexes: { table: 'wpe', rows: 128 },
      },
    ];
    const past5 = inputs.map((i) => ({
      ...i,
      shape: i.shape.map((d) => (d === 'past_sequence_length' ? 5 : d)),
    }));
    const guesses = guessInputSpec(past5, {}, { past_sequence_length: 5 });
    const spec = specFromGuesses(guesses);
    expect(spec.shapes).toMatchObject({
      input_ids: [1, 123],
      position_ids: [1, 123],
      attention_mask: [1, 128],
    });
    expect(spec.values?.position_ids).toEqual({ kind: 'positions', start: 5 });
    expect(guesses[0]!.dims[1]!.reason).toContain("at most 123: positions 5..127 of the 128 rows of 'wpe'");
    // Positions the user set start where they say.
    const own = specFromGuesses(guessInputSpec(inputs, { position_ids: { kind: 'positions', start: 100 } }));
    expect(own.shapes.input_ids).toEqual([1, 28]);
  });

  // The Model view's form re-guesses over the model's own names with the sizes the user typed: it must land where
  // the CLI's `--dim past_sequence_length=5` does (user test: the form kept 128 and refused to save).
  it('guesses around sizes given by name as the CLI does, and never cuts a size that was given', () => {
    const inputs: TensorSummary[] = [
      ...decoderInputs(),
      {
        name: 'position_ids',
        dtype: 'int64',
        shape: ['batch_size', 'sequence_length'],
        indexes: { table: 'wpe', rows: 128 },
      },
    ];
    const guesses = guessInputSpec(inputs, {}, { past_sequence_length: 5 });
    expect(specFromGuesses(guesses)).toEqual({
      shapes: {
        input_ids: [1, 123],
        attention_mask: [1, 128],
        'past_key_values.0.key': [1, 4, 5, 16],
        'past_key_values.0.value': [1, 4, 5, 16],
        position_ids: [1, 123],
      },
      values: {
        input_ids: { kind: 'range', min: 0, max: 99 },
        attention_mask: { kind: 'constant', value: 1 },
        position_ids: { kind: 'positions', start: 5 },
      },
    });
    expect(guesses[0]!.dims[1]).toMatchObject({ value: 123, source: 'table' });
    expect(guesses[0]!.dims[1]!.reason).toMatch(
      /, at most 123: positions 5\.\.127 of the 128 rows of 'wpe'$/,
    );
    expect(guesses[2]!.dims[2]).toMatchObject({ value: 5, source: 'set' });
    expect(guesses[4]!.values?.reason).toBe('positions from 5, after the past of 5');
    // A sequence the user gave stays as given, and the spec it makes says what to do.
    const given = guessInputSpec(inputs, {}, { past_sequence_length: 5, sequence_length: 128 });
    expect(given[0]!.dims[1]).toMatchObject({ value: 128, source: 'set' });
    expect(inputSpecProblem(inputs, specFromGuesses(given))).toBe(
      "Input 'position_ids' indexes the 128 rows of 'wpe': its values go from 0 to 127, and positions from 5 over " +
        '128 steps reach 132, past them (every run would fail there). At most 123 tokens after a past of 5: set ' +
        'sequence_length to 123 or less, or the past lower.',
    );
  });

  it('guesses ids over the table at a decode step of one token, not a setting of 1', () => {
    const ids = { name: 'input_ids', dtype: 'int64', shape: [1, 1], indexes: { table: 'wte', rows: 256 } };
    expect(guessInputSpec([ids])[0]!.values!.values).toEqual({ kind: 'range', min: 0, max: 255 });
  });
});

describe('KV cache outputs', () => {
  const kv = ['batch_size', 4, 'past_sequence_length + sequence_length', 16];
  it('tells the present outputs that mirror cache inputs by layer and part, of their rank', () => {
    const inputs = decoderInputs();
    expect(isCacheOutput({ name: 'present.0.key', shape: kv }, inputs)).toBe(true);
    expect(isCacheOutput({ name: 'present.0.value', shape: kv }, inputs)).toBe(true);
    // No such layer, another rank, logits, or a model without cache inputs: none is a cache output.
    expect(isCacheOutput({ name: 'present.1.key', shape: kv }, inputs)).toBe(false);
    expect(isCacheOutput({ name: 'present.0.key', shape: kv.slice(1) }, inputs)).toBe(false);
    expect(isCacheOutput({ name: 'logits', shape: [1, 2, 3, 4] }, inputs)).toBe(false);
    expect(isCacheOutput({ name: 'present.0.key', shape: kv }, inputs.slice(0, 2))).toBe(false);
    // Older GPT-2 exports stack key and value: present_3 beside past_3.
    const gpt2 = [{ name: 'past_3', shape: [2, 1, 4, 'past', 16] }];
    expect(isCacheOutput({ name: 'present_3', shape: [2, 1, 4, 'total', 16] }, gpt2)).toBe(true);
    expect(isCacheOutput({ name: 'present_2', shape: [2, 1, 4, 'total', 16] }, gpt2)).toBe(false);
  });

  it('reads the layer and the part from the last word that names one', () => {
    expect(cacheSlot('past_key_values.3.value')).toEqual({ layer: 3, part: 'value' });
    expect(cacheSlot('present.12.decoder.key')).toEqual({ layer: 12, part: 'key' });
    expect(cacheSlot('present_3')).toEqual({ layer: 3 });
  });
});
