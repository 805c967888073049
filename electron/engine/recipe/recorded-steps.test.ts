import { create } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { RECIPE_METADATA_KEY } from '../../../shared/recipe.js';
import { recordedSteps } from './recorded-steps.js';

const withRecipe = (value: string) =>
  create(ModelProtoSchema, { metadataProps: [{ key: RECIPE_METADATA_KEY, value }] });

describe('recordedSteps', () => {
  it('reads the quantize and prune steps in order, with their options, even from a recipe that cannot run', () => {
    const steps = [
      { kind: 'quantize', method: 'int8-static', common: { excludeNodes: ['a'] }, options: {} },
      { kind: 'prune', method: 'structured', common: { sparsity: 0.1 } },
    ];
    // No version, source or inputs: readRecordedRecipe refuses it, but the steps still say how it was made.
    expect(recordedSteps(withRecipe(JSON.stringify({ steps })))).toEqual(steps);
  });

  it('leaves out steps without a kind or a method name', () => {
    const steps = [{ kind: 'quantize' }, { kind: 'export', method: 'x' }, { kind: 'prune', method: 3 }, null];
    expect(recordedSteps(withRecipe(JSON.stringify({ steps })))).toEqual([]);
  });

  it('finds none without a recipe, or in metadata that is not JSON', () => {
    expect(recordedSteps(create(ModelProtoSchema, {}))).toEqual([]);
    expect(recordedSteps(withRecipe('{not json'))).toEqual([]);
    expect(recordedSteps(withRecipe('{"steps": {}}'))).toEqual([]);
  });
});
