import { describe, expect, it } from 'vitest';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { groupNames, inputGroups } from './input-groups.js';

const kv = ['batch_size', 2, 'past_sequence_length', 8];
const cache = (layers: number): TensorSummary[] =>
  Array.from({ length: layers }, (_, n) =>
    ['key', 'value'].map((t) => ({ name: `past_key_values.${n}.${t}`, dtype: 'float32', shape: kv })),
  ).flat();
const decoder: TensorSummary[] = [
  { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'past_sequence_length + sequence_length'] },
  ...cache(4),
];
const ids = { kind: 'range', min: 0, max: 31 } as const;
const spec = { shapes: {}, values: { input_ids: ids, attention_mask: ids } };

describe('the input groups of the spec form', () => {
  it("shows a KV cache's alike inputs as one fieldset, where the first of them stood", () => {
    // The user test: a 32-layer decoder showed 64 identical fieldsets.
    expect(inputGroups(decoder, spec)).toEqual([
      ['input_ids'],
      ['attention_mask'],
      cache(4).map((i) => i.name),
    ]);
    expect(groupNames(cache(32).map((i) => i.name))).toBe('past_key_values.0.key … past_key_values.31.value');
    expect(groupNames(['a', 'b', 'c'])).toBe('a, b, c');
  });

  it('keeps apart inputs that differ: dtype, declared shape, values, a saved shape, or fewer than 3', () => {
    const odd = (name: string, change: Partial<TensorSummary>) =>
      decoder.map((i) => (i.name === name ? { ...i, ...change } : i));
    const apart = (inputs: TensorSummary[], s: typeof spec = spec) =>
      inputGroups(inputs, s).filter((g) => g.length === 1 && g[0]!.startsWith('past'));
    expect(apart(odd('past_key_values.1.key', { dtype: 'float16' }))).toEqual([['past_key_values.1.key']]);
    expect(
      apart(odd('past_key_values.2.value', { shape: ['batch_size', 2, 'past_sequence_length', 16] })),
    ).toEqual([['past_key_values.2.value']]);
    expect(apart(odd('past_key_values.0.key', { rankUnknown: true }))).toEqual([['past_key_values.0.key']]);
    // A saved spec that gives one of them another shape: its own field, not one that hides it.
    const saved = { ...spec, shapes: { 'past_key_values.3.value': [1, 2, 7, 8] } };
    expect(apart(decoder, saved)).toEqual([['past_key_values.3.value']]);
    const valued = { ...spec, values: { ...spec.values, 'past_key_values.0.key': ids } };
    expect(apart(decoder, valued)).toEqual([['past_key_values.0.key']]);
    // Two alike inputs keep a fieldset each.
    expect(inputGroups(decoder.slice(0, 4), spec)).toHaveLength(4);
  });
});
