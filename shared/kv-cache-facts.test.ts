import { describe, expect, it } from 'vitest';
import { kvCacheFacts, kvCacheLabel } from './kv-cache-facts.js';
import type { TensorSummary } from './model-summary.js';

/** An Optimum decoder's inputs with the cache of `layers` layers, each input of `kv`'s shape. */
function decoderInputs(
  layers: number,
  kv: TensorSummary['shape'] = ['batch_size', 2, 'past_sequence_length', 8],
) {
  return [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    {
      name: 'attention_mask',
      dtype: 'int64',
      shape: ['batch_size', 'past_sequence_length + sequence_length'],
    },
    ...Array.from({ length: layers }, (_, n) =>
      ['key', 'value'].map((part) => ({ name: `past_key_values.${n}.${part}`, dtype: 'float32', shape: kv })),
    ).flat(),
  ] satisfies TensorSummary[];
}

describe('the facts of a KV cache', () => {
  it("names a 32-layer decoder's 64 cache inputs as one, with its past length, sum and decode step", () => {
    const facts = kvCacheFacts(decoderInputs(32))!;
    expect(facts).toEqual({
      cacheInputs: 64,
      groups: ['past_key_values.0..31.key/value'],
      pastLength: { dim: 'past_sequence_length', axis: 2, guess: 0 },
      sumDims: [
        {
          dim: 'past_sequence_length + sequence_length',
          input: 'attention_mask',
          terms: ['past_sequence_length', 'sequence_length'],
          guess: 128,
        },
      ],
      decodeStep: { past_sequence_length: 128, sequence_length: 1 },
    });
    expect(kvCacheLabel(facts)).toBe('past_key_values.0..31.key/value');
    // One layer's two inputs are named as one too.
    expect(kvCacheFacts(decoderInputs(1))!.groups).toEqual(['past_key_values.0.key/value']);
  });

  it('has none for a model without a cache input', () => {
    expect(kvCacheFacts([{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224] }])).toBeUndefined();
    // A time series' past_values of rank 3 is no cache.
    expect(
      kvCacheFacts([{ name: 'past_values', dtype: 'float32', shape: ['b', 'past', 4] }]),
    ).toBeUndefined();
  });

  it('names cache inputs of other shapes by group, and says an unnamed past gives no decode step', () => {
    // Keys stored transposed ([batch, heads, head_dim, past]) beside values: two groups.
    const inputs: TensorSummary[] = [0, 1, 2].flatMap((n) => [
      { name: `past_key_values.${n}.key`, dtype: 'float32', shape: ['b', 4, 16, 'past_sequence_length'] },
      { name: `past_key_values.${n}.value`, dtype: 'float32', shape: ['b', 4, 'past_sequence_length', 16] },
    ]);
    const facts = kvCacheFacts(inputs)!;
    expect(facts.groups).toEqual(['past_key_values.0..2.key', 'past_key_values.0..2.value']);
    expect(kvCacheLabel(facts)).toBe('past_key_values.0..2.key, past_key_values.0..2.value');
    expect(facts.pastLength).toEqual({ dim: 'past_sequence_length', axis: 3, guess: 0 });
    const unnamed = kvCacheFacts(decoderInputs(2, ['batch_size', 2, null, 8]))!;
    expect(unnamed.pastLength).toEqual({ axis: 2, guess: 0 });
    expect(unnamed.decodeStep).toBeUndefined();
  });

  it("takes a past one less than a position table's rows, and the merged export's switch", () => {
    const inputs: TensorSummary[] = [
      ...decoderInputs(2),
      {
        name: 'position_ids',
        dtype: 'int64',
        shape: ['batch_size', 'sequence_length'],
        indexes: { table: 'embed_positions.weight', rows: 64 },
      },
      { name: 'use_cache_branch', dtype: 'bool', shape: [1] },
    ];
    const facts = kvCacheFacts(inputs)!;
    expect(facts.decodeStep).toEqual({ past_sequence_length: 63, sequence_length: 1 });
    expect(facts.cacheSwitch).toBe('use_cache_branch');
  });
});
