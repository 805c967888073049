import { describe, expect, it } from 'vitest';
import type { VariantRecipe, Workspace, WorkspaceVariant } from './workspace.js';
import { uniqueVariantName, variantSteps, withPruneOutcome } from './variant-naming.js';

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
  it("names the variant's file after the model and every step, and the steps before it after that file", () => {
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
      'My Net.v2-structured20-int8-dynamic-fp16.step1.onnx',
      'My Net.v2-structured20-int8-dynamic-fp16.step2.onnx',
      'My Net.v2-structured20-int8-dynamic-fp16.onnx',
    ]);
    expect(steps.map((s) => s.recipe.method)).toEqual(['structured', 'int8-dynamic', 'fp16']);
  });

  it("gives every variant's command files of its own, so each runs after another in one folder (a user test)", () => {
    const model = { path: '/m/cnn.onnx', fileBytes: 1, mtimeMs: 0 };
    const files = (variants: WorkspaceVariant[]) =>
      variants.map((v, i) =>
        variantSteps({ model, variants: variants.slice(0, i) }, v.parent, v.recipe).map((s) => s.fileName),
      );
    // structured 30%, then int8-static of it twice (the second is "… + int8-static (2)"), int8-dynamic twice.
    const variants = [
      made('s', 'original', prune('structured', 0.3)),
      made('q1', 's', quantize('int8-static')),
      made('q2', 's', quantize('int8-static')),
      made('d1', 'original', quantize('int8-dynamic')),
      made('d2', 'original', quantize('int8-dynamic')),
    ];
    const commands = files(variants);
    expect(commands).toEqual([
      ['cnn-structured30.onnx'],
      ['cnn-structured30-int8-static.step1.onnx', 'cnn-structured30-int8-static.onnx'],
      ['cnn-structured30-int8-static-2.step1.onnx', 'cnn-structured30-int8-static-2.onnx'],
      ['cnn-int8-dynamic.onnx'],
      ['cnn-int8-dynamic-2.onnx'],
    ]);
    const all = commands.flat();
    expect(new Set(all).size).toBe(all.length);
    // A variant made later takes none of those names either, whatever the earlier ones were made from.
    const next = variantSteps({ model, variants }, 'q1', quantize('fp16')).map((s) => s.fileName);
    expect(next).toEqual([
      'cnn-structured30-int8-static-fp16.step1.onnx',
      'cnn-structured30-int8-static-fp16.step2.onnx',
      'cnn-structured30-int8-static-fp16.onnx',
    ]);
    expect(variantSteps({ model, variants }, 'original', quantize('int8-dynamic')).at(-1)?.fileName).toBe(
      'cnn-int8-dynamic-3.onnx',
    );
  });

  it('never gives a file another variant\'s recorded command writes, after the variant before it is removed', () => {
    const model = { path: '/m/net.onnx', fileBytes: 1, mtimeMs: 0 };
    // The first int8-dynamic (net-int8-dynamic.onnx) was removed; the second's command writes the -2 file.
    const second = { ...made('v2', 'original', quantize('int8-dynamic')), cliOutput: 'net-int8-dynamic-2.onnx' };
    const third = variantSteps({ model, variants: [second] }, 'original', quantize('int8-dynamic'));
    expect(third.at(-1)!.fileName).toBe('net-int8-dynamic.onnx');
    // Worked out again from the names alone (no record), the second would read as the plain name, and the third
    // would write the second's file.
    const { cliOutput: _recorded, ...unrecorded } = second;
    const guessed = variantSteps({ model, variants: [unrecorded] }, 'original', quantize('int8-dynamic'));
    expect(guessed.at(-1)!.fileName).toBe('net-int8-dynamic-2.onnx');
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

describe('a new name and a rename tell names apart by one rule', () => {
  it('gives a new variant " (2)" for a name taken but for its case, or what the app calls the original', () => {
    const ws = { variants: [{ name: 'FP16' }] } as unknown as Pick<Workspace, 'variants'>;
    expect(uniqueVariantName(ws, 'fp16')).toBe('fp16 (2)');
    expect(uniqueVariantName(ws, 'the original')).toBe('the original (2)');
    expect(uniqueVariantName(ws, 'int8-dynamic')).toBe('int8-dynamic');
  });
});
