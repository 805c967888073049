import { describe, expect, it } from 'vitest';
import { cacheSlot } from '../../../shared/cache-dims.js';
import { mapCacheOutputs } from './generate-cache-map.js';

const kv = ['batch_size', 4, 'past_sequence_length', 64];
const present = ['batch_size', 4, 'past_sequence_length + 1', 64];
const named = (names: string[], shape: readonly (number | string)[] = kv) =>
  names.map((name) => ({ name, shape }));
const logits = { name: 'logits', shape: ['batch_size', 'sequence_length', 32000] };

describe('which output feeds each cache input at the next step', () => {
  it("maps Optimum's past_key_values.N.key/value to present.N.key/value, whatever the outputs' order", () => {
    const inputs = named([
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
    ]);
    const outputs = [
      logits,
      ...named(['present.1.value', 'present.1.key', 'present.0.value', 'present.0.key'], present),
    ];
    expect(mapCacheOutputs(inputs, outputs, 'm')).toEqual([
      { input: 'past_key_values.0.key', output: 'present.0.key' },
      { input: 'past_key_values.0.value', output: 'present.0.value' },
      { input: 'past_key_values.1.key', output: 'present.1.key' },
      { input: 'past_key_values.1.value', output: 'present.1.value' },
    ]);
  });

  it('maps the past.N / present.N style and GPT-2 past_N / present_N', () => {
    expect(
      mapCacheOutputs(
        named(['past.0.key', 'past.0.value']),
        [logits, ...named(['present.0.key', 'present.0.value'], present)],
        'm',
      ),
    ).toEqual([
      { input: 'past.0.key', output: 'present.0.key' },
      { input: 'past.0.value', output: 'present.0.value' },
    ]);
    const five = ['2', 'batch', 12, 'past_sequence_length', 64];
    expect(
      mapCacheOutputs(
        named(['past_0', 'past_1'], five),
        [logits, ...named(['present_0', 'present_1'], five)],
        'm',
      ),
    ).toEqual([
      { input: 'past_0', output: 'present_0' },
      { input: 'past_1', output: 'present_1' },
    ]);
  });

  it('falls back to the layer number and key/value where the names differ otherwise', () => {
    const inputs = named(['key_cache.0', 'value_cache.0', 'key_cache.1', 'value_cache.1']);
    const outputs = [logits, ...named(['out_k.1', 'out_v.1', 'out_k.0', 'out_v.0'], present)];
    expect(mapCacheOutputs(inputs, outputs, 'm')).toEqual([
      { input: 'key_cache.0', output: 'out_k.0' },
      { input: 'value_cache.0', output: 'out_v.0' },
      { input: 'key_cache.1', output: 'out_k.1' },
      { input: 'value_cache.1', output: 'out_v.1' },
    ]);
    expect(cacheSlot('past_key_values.12.decoder.value')).toEqual({ layer: 12, part: 'value' });
  });

  it('refuses, naming each cache input without an output and the outputs there are', () => {
    const inputs = named(['past_key_values.0.key', 'past_key_values.0.value']);
    expect(() =>
      mapCacheOutputs(inputs, [logits, ...named(['present.0.key'], present)], 'decoder.onnx'),
    ).toThrow(
      "--generate feeds each cache input the matching output of the step before, but decoder.onnx has no output for 'past_key_values.0.value' " +
        "(looked for 'present.0.value' or 'present_key_values.0.value', or an output of the same layer and key/value). " +
        "Its outputs: 'logits', 'present.0.key'.",
    );
  });
});
