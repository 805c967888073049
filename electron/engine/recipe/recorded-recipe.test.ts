import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../../shared/recipe.js';
import { extendRecipe } from './recorded-recipe.js';

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
