import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { buildKvCacheLm } from '../testing/kv-cache-lm.js';
import { makeModel } from '../testing/model-fixtures.js';
import { resolveInputSpecs } from './input-specs.js';
import { guessedValuesNote, seededRandom, syntheticFeed, syntheticTensor } from './synthetic-feeds.js';

/** One input of the given type and shape, passed through. */
function oneInput(name: string, type: DataType, shape: (number | string)[]) {
  return makeModel(
    create(GraphProtoSchema, {
      name: 'one',
      input: [makeValueInfo(name, type, shape)],
      output: [makeValueInfo('out', type, shape)],
      node: [makeNode('Identity', [name], ['out'])],
    }),
  );
}

describe('synthetic feeds take their values from the shared guesses', () => {
  it('draws a uint8 image over the whole byte range, and says so', () => {
    const { inputs } = resolveInputSpecs(oneInput('image', DataType.UINT8, ['n', 'h', 'w', 3]));
    expect(inputs[0]).toMatchObject({ dims: [1, 224, 224, 3], values: { kind: 'range', min: 0, max: 255 } });
    const pixels = syntheticFeed(inputs, seededRandom(0)).image?.data as Uint8Array;
    expect(pixels.reduce((a, b) => Math.max(a, b))).toBe(255);
    expect(pixels.reduce((a, b) => Math.min(a, b))).toBe(0);
    expect(guessedValuesNote(inputs)).toContain(
      "'image' (uint8) with random whole numbers 0-255 (image bytes: 0 to 255)",
    );
  });

  it('feeds a mask all on and names it: all on means the opposite to a key_padding_mask', () => {
    const { inputs } = resolveInputSpecs(oneInput('attention_mask', DataType.INT64, ['batch', 'sequence']));
    expect(inputs[0]).toMatchObject({
      values: { kind: 'constant', value: 1 },
      valuesGuess: 'a mask: every position on',
    });
    expect(
      [...(syntheticFeed(inputs, seededRandom(0)).attention_mask?.data as BigInt64Array)].every(
        (v) => v === 1n,
      ),
    ).toBe(true);
    expect(guessedValuesNote(inputs)).toContain(
      "'attention_mask' (int64) with 1 (a mask: every position on)",
    );
  });

  it('has no fill of its own for integer and bool inputs: resolveInputSpecs gives them values', () => {
    const { inputs } = resolveInputSpecs(oneInput('ids', DataType.INT64, [1, 8]));
    const bare = { ...inputs[0]!, values: undefined, valuesGuess: undefined };
    expect(() => syntheticTensor(bare, seededRandom(0))).toThrow(
      "Input 'ids' (int64) has no values for synthetic data: resolve it with resolveInputSpecs.",
    );
    expect(guessedValuesNote([bare])).toBeUndefined();
  });

  it('fills strings with text and floats with noise, naming only the strings', () => {
    const { inputs } = resolveInputSpecs(oneInput('text', DataType.STRING, [2]));
    expect(inputs[0]?.values).toBeUndefined();
    expect(syntheticFeed(inputs, seededRandom(0)).text?.data).toEqual(['sample 0', 'sample 1']);
    expect(guessedValuesNote(inputs)).toContain("'text' (string) with the text 'sample N'");
    const floats = resolveInputSpecs(oneInput('x', DataType.FLOAT, [1, 4])).inputs;
    expect(syntheticFeed(floats, seededRandom(0)).x?.type).toBe('float32');
    expect(guessedValuesNote(floats)).toBeUndefined();
  });
});

describe("a decoder's position_ids", () => {
  const model = buildKvCacheLm({ vocab: 32, positionIds: true });
  const positionsOf = (inputs: ReturnType<typeof resolveInputSpecs>['inputs']) => {
    const input = inputs.find((i) => i.name === 'position_ids')!;
    return { input, fed: [...(syntheticFeed(inputs, seededRandom(0)).position_ids!.data as BigInt64Array)] };
  };

  it('are fed 0, 1, 2, ... along the sequence in every row, not random ids, and the note says so', () => {
    // Before: ids 0..255 over the rows of the position table, so the model saw random positions.
    const { inputs } = resolveInputSpecs(model, { dims: { batch_size: 2, sequence_length: 4 } });
    const { input, fed } = positionsOf(inputs);
    expect(input).toMatchObject({
      dims: [2, 4],
      values: { kind: 'positions', start: 0 },
      valuesGuess: 'positions 0..n-1 along the sequence',
    });
    expect(fed).toEqual([0n, 1n, 2n, 3n, 0n, 1n, 2n, 3n]);
    expect(guessedValuesNote(inputs)).toContain(
      "'position_ids' (int64) with positions from 0 along the last axis (positions 0..n-1 along the sequence)",
    );
  });

  it('start after a past, and where the user sets them, from where they say', () => {
    const after = resolveInputSpecs(model, { dims: { sequence_length: 3, past_sequence_length: 5 } });
    expect(positionsOf(after.inputs).fed).toEqual([5n, 6n, 7n]);
    const set = resolveInputSpecs(model, {
      dims: { sequence_length: 3 },
      values: { position_ids: { kind: 'positions', start: 2 } },
    });
    const chosen = positionsOf(set.inputs);
    expect(chosen.fed).toEqual([2n, 3n, 4n]);
    expect(chosen.input.valuesGuess).toBeUndefined();
  });
});
