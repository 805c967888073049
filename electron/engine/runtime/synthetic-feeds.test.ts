import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
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
