import { describe, expect, it } from 'vitest';
import type { VariantRecipe, WorkspaceVariant } from './workspace.js';
import { variantSteps, withPruneOutcome } from './variant-naming.js';

const quantize = (method: string): VariantRecipe => ({
  operation: 'quantize',
  method,
  common: {},
  options: {},
});
const prune = (method: string, sparsity: number): VariantRecipe => ({
  operation: 'prune',
  method,
  common: { sparsity },
  options: {},
});
const made = (id: string, parent: string, recipe: VariantRecipe) =>
  ({ id, parent, recipe }) as WorkspaceVariant;

describe('variantSteps', () => {
  it("names each step's file after the model and every step so far, oldest first", () => {
    const variants = [
      made('a', 'original', prune('structured', 0.2)),
      made('b', 'a', quantize('int8-dynamic')),
    ];
    const steps = variantSteps(
      { model: { path: '/m/My Net.v2.onnx', fileBytes: 1, mtimeMs: 0 }, variants },
      'b',
      quantize('fp16'),
    );
    expect(steps.map((s) => s.fileName)).toEqual([
      'My Net.v2-structured20.onnx',
      'My Net.v2-structured20-int8-dynamic.onnx',
      'My Net.v2-structured20-int8-dynamic-fp16.onnx',
    ]);
    expect(steps.map((s) => s.recipe.method)).toEqual(['structured', 'int8-dynamic', 'fp16']);
  });

  it('takes the stem after either separator, and ends on a workspace whose parents form a loop', () => {
    const model = { path: 'C:\\models\\net.ONNX', fileBytes: 1, mtimeMs: 0 };
    expect(variantSteps({ model, variants: [] }, 'original', quantize('int4')).at(0)?.fileName).toBe(
      'net-int4.onnx',
    );
    const loop = [made('a', 'b', quantize('int4')), made('b', 'a', quantize('fp16'))];
    expect(variantSteps({ model, variants: loop }, 'a', quantize('int8-weight')).length).toBe(17);
  });
});

describe('withPruneOutcome', () => {
  const outcome = (target: number, achieved: number, nodes = 2, channels = 8) => ({
    targetSparsity: target,
    achievedSparsity: achieved,
    prunedNodes: nodes,
    removedChannels: channels,
  });
  it('says a prune that changed nothing, so Compare does not show it as a pruned model', () => {
    expect(withPruneOutcome('structured 10%', outcome(0.1, 0, 0, 0))).toBe('structured 10% (nothing pruned)');
  });
  it('gives the sparsity reached where rounding kept more than a point more than asked', () => {
    expect(withPruneOutcome('structured 30%', outcome(0.3, 0.25))).toBe('structured 30% (pruned 25%)');
    expect(withPruneOutcome('structured 30%', outcome(0.3, 0.295))).toBe('structured 30%');
    expect(withPruneOutcome('magnitude 50%', outcome(0.5, 0.5))).toBe('magnitude 50%');
  });
});
