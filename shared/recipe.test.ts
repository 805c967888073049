import { describe, expect, it } from 'vitest';
import { noCalibrationDataMessage, parseRecipe } from './recipe.js';

/*
 * A recipe's errors name the bad field by its path and, inside a step, by the step's number from 1: the number
 * progress lines, file names and `steps[].step` give it. The CLI's `run` and the app's recorded recipes both
 * read recipes through parseRecipe.
 */

const recipe = {
  version: 1,
  source: { name: 'model.onnx', sha256: 'a'.repeat(64) },
  steps: [
    { kind: 'quantize', method: 'int4', common: {}, options: { blockSize: 32 } },
    { kind: 'export', name: 'small.onnx' },
  ],
};

const messageOf = (value: unknown): string => {
  const parsed = parseRecipe(value);
  if (parsed.ok) throw new Error('the recipe was accepted');
  return parsed.message;
};

describe('parseRecipe', () => {
  it('accepts a sound recipe', () => {
    expect(parseRecipe(recipe).ok).toBe(true);
  });

  it("numbers a step's issue from 1, with the path that counts from 0", () => {
    const first = { ...recipe, steps: [{ ...recipe.steps[0], options: { blockSize: 7 } }, recipe.steps[1]] };
    expect(messageOf(first)).toMatch(
      /^step 1 \(steps\.0\.options\.blockSize\): block size must be one of 16, /,
    );
    const second = { ...recipe, steps: [recipe.steps[0], { kind: 'export', name: '../x.onnx' }] };
    expect(messageOf(second)).toMatch(/^step 2 \(steps\.1\.name\): a file name, not a path/);
    const method = { ...recipe, steps: [{ ...recipe.steps[0], method: 'int3' }] };
    expect(messageOf(method)).toMatch(/^step 1 \(steps\.0\.method\): unknown quantize method 'int3'/);
    // An unknown kind names the kinds there are, in the recipe's words (not the validator's).
    const kind = { ...recipe, steps: [recipe.steps[0], { kind: 'deploy', name: 'x.onnx' }] };
    expect(messageOf(kind)).toBe(
      'step 2 (steps.1.kind): a step\'s kind is one of prune, quantize, bench, eval, export, not "deploy"',
    );
    expect(messageOf({ ...recipe, steps: [{ name: 'x.onnx' }] })).toContain(', and this step has none');
  });

  it('answers a misspelt key, method or version with the right spelling and what the place takes', () => {
    expect(messageOf({ ...recipe, stepz: [] })).toBe(
      "recipe: unknown key 'stepz' (did you mean 'steps'?); it takes version, tool, source, inputs, steps",
    );
    const bench = { ...recipe, steps: [{ kind: 'bench', iteratons: 10 }] };
    expect(messageOf(bench)).toBe(
      "step 1 (steps.0): unknown key 'iteratons' (did you mean 'iterations'?); it takes kind, iterations, warmup, ep, baseline",
    );
    const common = { ...recipe, steps: [{ ...recipe.steps[0], common: { excludeNode: ['a'] } }] };
    expect(messageOf(common)).toMatch(
      /^step 1 \(steps\.0\.common\): unknown key 'excludeNode' \(did you mean 'excludeNodes'\?\); it takes .*excludeNodes/,
    );
    const method = { ...recipe, steps: [{ ...recipe.steps[0], method: 'int8-dynamc' }] };
    expect(messageOf(method)).toMatch(
      /unknown quantize method 'int8-dynamc' \(did you mean 'int8-dynamic'\?\)/,
    );
    expect(messageOf({ ...recipe, version: 2 })).toBe(
      'version: this onnx-studio runs recipes of version 1, not 2',
    );
    const { version: _version, ...unversioned } = recipe;
    expect(messageOf(unversioned)).toBe('version: missing: a recipe starts with "version": 1');
    // A misspelt key is said once, by its "did you mean", not also as the key missing.
    const { steps, ...stepless } = recipe;
    expect(messageOf({ ...stepless, setps: steps })).toBe(
      "recipe: unknown key 'setps' (did you mean 'steps'?); it takes version, tool, source, inputs, steps",
    );
    // A key not given at all: "missing", not the validator's "expected string, received undefined".
    expect(messageOf({ ...recipe, steps: [{ kind: 'quantize' }] })).toBe(
      'step 1 (steps.0.method): missing (string)',
    );
    expect(messageOf({ ...recipe, source: { name: 'm.onnx' } })).toBe(
      'source.sha256: missing: the sha256 of the file, as 64 lower-case hex digits',
    );
  });

  it('tells a key of the wrong type from a key not given: what it expected and what the recipe has', () => {
    const bench = (fields: Record<string, unknown>) => ({ ...recipe, steps: [{ kind: 'bench', ...fields }] });
    expect(messageOf(bench({ iterations: '100' }))).toBe(
      "step 1 (steps.0.iterations): expected number, got string '100'",
    );
    expect(messageOf(bench({ warmup: '10' }))).toBe(
      "step 1 (steps.0.warmup): expected number, got string '10'",
    );
    expect(messageOf(bench({ iterations: null }))).toBe(
      'step 1 (steps.0.iterations): expected number, got null',
    );
    const evaluation = { spec: { kind: 'synthetic', samples: 4 }, files: [] };
    expect(messageOf({ ...recipe, steps: [{ kind: 'eval', evaluation, reference: 'model.onnx' }] })).toBe(
      "step 1 (steps.0.reference): expected boolean, got string 'model.onnx'",
    );
    expect(messageOf({ ...recipe, inputs: { dims: { seq: '16' } } })).toBe(
      "inputs.dims.seq: expected number, got string '16'",
    );
    expect(messageOf({ ...recipe, inputs: { dims: { seq: 16.5 } } })).toBe(
      'inputs.dims.seq: expected a whole number, got 16.5',
    );
    // Inside a step's common and options, in the same words.
    const prune = { kind: 'prune', method: 'magnitude', common: { sparsity: '0.5' }, options: {} };
    expect(messageOf({ ...recipe, steps: [prune] })).toBe(
      "step 1 (steps.0.common.sparsity): expected number, got string '0.5'",
    );
    // A key not given is still "missing".
    expect(messageOf({ ...recipe, steps: [{ ...prune, common: {} }] })).toBe(
      'step 1 (steps.0.common.sparsity): missing (number)',
    );
  });

  it('says which method takes an option given to another, and where a common option goes', () => {
    const dynamic = { kind: 'quantize', method: 'int8-dynamic', common: {}, options: { blockSize: 32 } };
    expect(messageOf({ ...recipe, steps: [dynamic] })).toBe(
      "step 1 (steps.0.options): unknown key 'blockSize'; it takes form; 'blockSize' applies to int4 only, not int8-dynamic",
    );
    const prune = {
      kind: 'prune',
      method: 'magnitude',
      common: { sparsity: 0.5 },
      options: { scope: 'global' },
    };
    expect(messageOf({ ...recipe, steps: [prune] })).toMatch(
      /^step 1 \(steps\.0\.options\): unknown key 'scope'; it takes .*; 'scope' goes in common, not options$/,
    );
    const int4 = { kind: 'quantize', method: 'int4', common: { blockSize: 32 }, options: {} };
    expect(messageOf({ ...recipe, steps: [int4] })).toMatch(
      /^step 1 \(steps\.0\.common\): unknown key 'blockSize'; it takes .*; 'blockSize' goes in options, not common$/,
    );
  });

  it('refuses calibration data for a method that reads none, as quantize refuses --calib-data for it', () => {
    const calibration = { spec: { kind: 'synthetic', samples: 4 }, files: [] };
    for (const method of ['int8-dynamic', 'int8-weight', 'int4', 'fp16']) {
      const step = { kind: 'quantize', method, common: {}, options: {}, calibration };
      expect(messageOf({ ...recipe, steps: [step] })).toBe(
        `step 1 (steps.0.calibration): 'calibration' applies to int8-static only (the data it calibrates on), not ${method}, which reads no data: leave it out`,
      );
    }
    const staticStep = { kind: 'quantize', method: 'int8-static', common: {}, options: {}, calibration };
    expect(parseRecipe({ ...recipe, steps: [staticStep] }).ok).toBe(true);
    // One sentence for both places, each naming what was given in its own words (quantize-prune.test.ts).
    expect(noCalibrationDataMessage('fp16', ['--seed', '--shape'])).toBe(
      '--seed, --shape apply to int8-static only (the data it calibrates on), not fp16, which reads no data: leave them out',
    );
  });

  it('names an issue outside the steps by its path alone', () => {
    expect(messageOf({ ...recipe, source: { name: 'model.onnx', sha256: 'xyz' } })).toMatch(
      /^source\.sha256: /,
    );
    expect(messageOf({ ...recipe, steps: [] })).toMatch(/^steps: /);
  });
});
