import { describe, expect, it } from 'vitest';
import type { BenchInputInfo } from '../../../shared/bench.js';
import { benchInputRows } from './bench-input-table.js';

/** A decoder's inputs as bench records them: ids, mask and `layers` layers of cache, at a past of 0. */
const decoder = (layers: number): BenchInputInfo[] => [
  { name: 'input_ids', dtype: 'int64', shape: [1, 128], guessed: 'sequence_length=128' },
  { name: 'attention_mask', dtype: 'int64', shape: [1, 128] },
  ...Array.from({ length: layers }, (_, n) =>
    ['key', 'value'].map((part) => ({
      name: `past_key_values.${n}.${part}`,
      dtype: 'float32',
      shape: [1, 2, 0, 8],
      guessed: 'past_sequence_length=0',
    })),
  ).flat(),
];

describe("bench's Inputs table on a decoder with a KV cache", () => {
  it('shows the alike cache inputs of 4 layers as one row, named by their layer range', () => {
    expect(benchInputRows(decoder(4), true)).toEqual([
      ['input_ids', 'int64', '[1, 128]', 'sequence_length=128'],
      ['attention_mask', 'int64', '[1, 128]', ''],
      ['past_key_values.0..3.key/value (8 inputs)', 'float32', '[1, 2, 0, 8]', 'past_sequence_length=0'],
    ]);
    expect(benchInputRows(decoder(32), false).at(-1)).toEqual([
      'past_key_values.0..31.key/value (64 inputs)',
      'float32',
      '[1, 2, 0, 8]',
    ]);
  });

  it('keeps a row each where they differ, for one layer, and for a single cache-like name', () => {
    // One fed another past, one guessed otherwise: each stands apart, the other 6 still one row.
    const odd = decoder(4).map((i) =>
      i.name === 'past_key_values.2.value'
        ? { ...i, shape: [1, 2, 5, 8] }
        : i.name === 'past_key_values.3.key'
          ? { ...i, guessed: 'batch_size=1' }
          : i,
    );
    expect(benchInputRows(odd, false).map((r) => r[0])).toEqual([
      'input_ids',
      'attention_mask',
      'past_key_values.0.key … past_key_values.3.value (6 inputs)',
      'past_key_values.2.value',
      'past_key_values.3.key',
    ]);
    // One layer's two cache inputs are no list to shorten.
    expect(benchInputRows(decoder(1), false).map((r) => r[0])).toEqual([
      'input_ids',
      'attention_mask',
      'past_key_values.0.key',
      'past_key_values.0.value',
    ]);
    const single = [{ name: 'past_key_values', dtype: 'float32', shape: [1, 2, 5, 8] }];
    expect(benchInputRows(single, false)).toEqual([['past_key_values', 'float32', '[1, 2, 5, 8]']]);
    // Alike inputs that are no cache (three images) keep their rows.
    const images = ['a', 'b', 'c'].map((name) => ({ name, dtype: 'float32', shape: [1, 3, 8, 8] }));
    expect(benchInputRows(images, false).map((r) => r[0])).toEqual(['a', 'b', 'c']);
  });
});
