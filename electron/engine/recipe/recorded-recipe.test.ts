import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../../shared/recipe.js';
import { makeGraph, makeModel } from '../testing/model-fixtures.js';
import { extendRecipe, readRecordedRecipe, writeRecipe } from './recorded-recipe.js';

describe('extendRecipe', () => {
  it('records the values synthetic data was filled with, so a run makes the same calibration', () => {
    const source = { name: 'speech.onnx', sha256: 'a'.repeat(64) };
    const step = { kind: 'quantize' as const, method: 'int8-weight', common: {}, options: {} };
    const first = extendRecipe({ kind: 'none' }, source, step, { dims: { samples: 16000 }, values: { sr: { kind: 'constant', value: 16000 } } });
    expect(first.inputs).toEqual({ dims: { samples: 16000 }, values: { sr: { kind: 'constant', value: 16000 } } });
    // A later step keeps the earlier inputs and adds its own.
    const second = extendRecipe({ kind: 'recipe', recipe: first }, undefined, step, { values: { ids: { kind: 'range', min: 0, max: 9 } } });
    expect(second.inputs.values).toEqual({ sr: { kind: 'constant', value: 16000 }, ids: { kind: 'range', min: 0, max: 9 } });
    // The recipe document validates with them.
    expect(parseRecipe(JSON.parse(JSON.stringify(second))).ok).toBe(true);
  });
});

describe('readRecordedRecipe', () => {
  it('leaves out the calibration a variant recorded for a method that reads none, so its recipe runs', () => {
    const model = makeModel(makeGraph('empty', { nodes: [], inputs: [], outputs: [] }));
    const calibration = {
      spec: { kind: 'npz', path: 'calib.npz' },
      files: [{ name: 'calib.npz', sha256: 'b'.repeat(64) }],
    };
    // As a variant made before recipes refused it records it (written as JSON, not through the recipe type).
    writeRecipe(model, {
      version: 1,
      tool: 'onnx-studio',
      source: { name: 'encoder.onnx', sha256: 'a'.repeat(64) },
      inputs: {},
      steps: [{ kind: 'quantize', method: 'int8-dynamic', common: {}, options: {}, calibration }],
    } as never);
    const read = readRecordedRecipe(model);
    if (read.kind !== 'recipe') throw new Error(`not read: ${JSON.stringify(read)}`);
    expect(read.recipe.steps[0]).not.toHaveProperty('calibration');
    // int8-static's calibration is kept: it needs it.
    writeRecipe(model, {
      ...read.recipe,
      steps: [{ ...read.recipe.steps[0]!, method: 'int8-static', calibration }],
    } as never);
    const kept = readRecordedRecipe(model);
    expect(kept.kind === 'recipe' && kept.recipe.steps[0]).toMatchObject({
      method: 'int8-static',
      calibration,
    });
  });
});
