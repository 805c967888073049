import { describe, expect, it } from 'vitest';
import type { TensorSummary } from './model-summary.js';
import {
  groupedShortShapes,
  groupLabel,
  groupNames,
  inputGroups,
  layerRangeName,
  listWords,
  namedGroups,
} from './input-groups.js';

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

describe('the KV cache in captions and tables', () => {
  const fed = (layers: number, past = 0) => [
    { name: 'input_ids', shape: [1, 128], values: { kind: 'range', min: 0, max: 31 } as const },
    { name: 'attention_mask', shape: [1, 128 + past] },
    ...cache(layers).map((i) => ({ name: i.name, shape: [1, 2, past, 8] })),
  ];

  it('names every layer lo..hi of one prefix with its suffixes, and falls back where one is missing', () => {
    const names = cache(32).map((i) => i.name);
    expect(layerRangeName(names)).toBe('past_key_values.0..31.key/value');
    expect(groupLabel(names, 'inputs')).toBe('past_key_values.0..31.key/value (64 inputs)');
    expect(layerRangeName(['present.0.key', 'present.1.key', 'present.2.key'])).toBe('present.0..2.key');
    expect(layerRangeName(['past_0', 'past_1', 'past_2'])).toBe('past_0..2');
    // A missing layer 7 is not hidden behind 0..31: first and last instead.
    const gap = names.filter((n) => !n.startsWith('past_key_values.7.'));
    expect(layerRangeName(gap)).toBe('past_key_values.0.key … past_key_values.31.value');
    expect(layerRangeName(['key_cache.0', 'value_cache.0', 'key_cache.1'])).toBe(
      'key_cache.0, value_cache.0, key_cache.1',
    );
    expect(groupLabel(['logits'], 'outputs')).toBe('logits');
  });

  it("says a decoder's alike cache inputs once in a benchmark's shapes", () => {
    expect(groupedShortShapes(fed(4))).toBe(
      'input_ids 1x128=0..31, attention_mask 1x128, past_key_values.0..3.key/value (8) 1x2x0x8',
    );
    // Only cache inputs group: three alike images keep their names.
    const images = ['a', 'b', 'c'].map((name) => ({ name, shape: [1, 3, 8, 8] }));
    expect(groupedShortShapes(images)).toBe('a 1x3x8x8, b 1x3x8x8, c 1x3x8x8');
    // One layer's two cache inputs, or a single cache-like name, are no list to shorten.
    expect(groupedShortShapes(fed(1))).toBe(
      'input_ids 1x128=0..31, attention_mask 1x128, past_key_values.0.key 1x2x0x8, past_key_values.0.value 1x2x0x8',
    );
    expect(groupedShortShapes([{ name: 'past_key_values', shape: [1, 2, 5, 8] }])).toBe('1x2x5x8');
    // A cache input fed another shape stands apart, named.
    const odd = fed(4).map((i) => (i.name === 'past_key_values.2.value' ? { ...i, shape: [1, 2, 1, 8] } : i));
    expect(groupedShortShapes(odd)).toContain('past_key_values.2.value 1x2x1x8');
    expect(groupedShortShapes(odd)).toContain('past_key_values.0.key … past_key_values.3.value (7) 1x2x0x8');
    // A list of the cache alone still names it.
    expect(groupedShortShapes(fed(4).slice(2))).toBe('past_key_values.0..3.key/value (8) 1x2x0x8');
  });
});

describe('inputs and outputs named in a sentence', () => {
  const cache = (layers: number, shape: readonly unknown[] = [1, 2, 0, 8]) =>
    Array.from({ length: layers }, (_, n) =>
      ['key', 'value'].map((part) => ({ name: `past_key_values.${n}.${part}`, shape })),
    ).flat();

  it("names a decoder's alike cache inputs as their group, with what each says, and the others each", () => {
    const inputs = [{ name: 'attention_mask', shape: [1, 12] }, ...cache(32)];
    const detail = (i: { name: string }) =>
      i.name === 'attention_mask' ? '= 1' : 'empty: past_sequence_length 0';
    expect(namedGroups(inputs, 'inputs', detail)).toEqual([
      "'attention_mask' (= 1)",
      'past_key_values.0..31.key/value (64 inputs, each empty: past_sequence_length 0)',
    ]);
    // Without details: the names and the count.
    expect(namedGroups(inputs, 'inputs')).toEqual([
      "'attention_mask'",
      'past_key_values.0..31.key/value (64 inputs)',
    ]);
    expect(listWords(namedGroups(inputs, 'inputs'))).toBe(
      "'attention_mask' and past_key_values.0..31.key/value (64 inputs)",
    );
  });

  it('keeps apart what says something else, and names a layer or two, or what is no cache, each', () => {
    const detail = (i: { name: string }) => (i.name === 'past_key_values.3.value' ? 'odd' : '');
    expect(namedGroups(cache(4), 'inputs', detail)).toEqual([
      'past_key_values.0.key … past_key_values.3.key (7 inputs)',
      "'past_key_values.3.value' (odd)",
    ]);
    expect(namedGroups(cache(1), 'inputs')).toEqual(["'past_key_values.0.key'", "'past_key_values.0.value'"]);
    // Rank 3 is no cache: a time series' three past_values stay named.
    const series = ['past_values_0', 'past_values_1', 'past_values_2'].map((name) => ({
      name,
      shape: [1, 8, 2],
    }));
    expect(namedGroups(series, 'inputs')).toHaveLength(3);
    expect(listWords(['a'])).toBe('a');
    expect(listWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
