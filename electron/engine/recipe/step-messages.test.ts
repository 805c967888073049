/**
 * A recipe step's messages in the recipe's terms: the flags of single commands become the step's fields, the
 * step prefixes its errors, a stopped run says what it left; and the up-front check of a bench step's provider
 * (with the probe injected, so that it does not depend on this machine's GPUs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../../shared/bench.js';
import { parseRecipe, type RecipeInput, type RecipeStep } from '../../../shared/recipe.js';
import { StudioError } from '../errors.js';
import { loadModel } from '../onnx/load-model.js';
import { buildCnn, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { checkStepsUpFront } from './step-checks.js';
import { inRecipeTerms, inStep, stepNote, stoppedAt } from './step-messages.js';

function recipeOf(steps: RecipeInput['steps']) {
  const parsed = parseRecipe({ version: 1, source: { name: 'cnn.onnx', sha256: '0'.repeat(64) }, steps });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.recipe;
}

describe('recipe step messages', () => {
  const recipe = recipeOf([
    { kind: 'prune', method: 'structured', common: { sparsity: 0.3 } },
    {
      kind: 'quantize',
      method: 'int8-static',
      calibration: { spec: { kind: 'synthetic', samples: 4, seed: 0 }, files: [] },
    },
    { kind: 'bench' },
  ]);
  const [prune, quantize, bench] = recipe.steps as [RecipeStep, RecipeStep, RecipeStep];

  it("names the step's fields for the flags of its options, and leaves the run's own flags", () => {
    expect(inRecipeTerms("--exclude-nodes names 'x'; leave --op-types out", 1, quantize)).toBe(
      "steps[1].common.excludeNodes names 'x'; leave steps[1].common.opTypes out",
    );
    // A switch is said with the value it sets; a method option is under `options`.
    expect(inRecipeTerms('pass --no-optimize or --calib-method minmax', 1, quantize)).toBe(
      'pass steps[1].options.optimize: false or steps[1].options.calibMethod minmax',
    );
    expect(inRecipeTerms('--round-to 16 (see --data-dir)', 0, prune)).toBe(
      'steps[0].options.roundTo 16 (see --data-dir)',
    );
    expect(inRecipeTerms('the flag --ep and --list-providers', 2, bench)).toBe(
      'the flag steps[2].ep and --list-providers',
    );
  });

  it('prefixes errors and notes with the step, and keeps the code and the hint', () => {
    const error = inStep(
      new StudioError('BAD_INPUT', 'bad --op-types', { cliHint: 'Try --per-tensor.' }),
      1,
      quantize,
      ' End.',
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toBe('Step 2 (quantize): bad steps[1].common.opTypes End.');
    expect((error as StudioError).code).toBe('BAD_INPUT');
    expect((error as StudioError).cliHint).toBe('Try steps[1].common.perTensor: true.');
    const internal = new Error('boom');
    expect(inStep(internal, 0, prune)).toBe(internal);
    expect(stepNote(0, prune, 'raise --sparsity')).toBe('step 1 (prune): raise steps[0].common.sparsity');
    // A sentence advising a flag the step has no field for is left out; the rest of the note is kept.
    const bench = recipeOf([{ kind: 'bench' }]).steps[0]!;
    expect(stepNote(0, bench, 'Spinning is off. A model alone can be faster with --spin on.')).toBe(
      'step 1 (bench): Spinning is off.',
    );
    expect(stepNote(0, bench, 'Raise --iterations. Or --spin on.')).toBe(
      'step 1 (bench): Raise steps[0].iterations.',
    );
  });

  it('says what a stopped run left: the models of finished transforms, or nothing', () => {
    expect(stoppedAt(recipe.steps, 1, '/o')).toBe(
      'Stopped at step 2 of 3; the models of the finished steps are in /o.',
    );
    expect(stoppedAt(recipe.steps, 0, '/o', true)).toBe(
      'Stopped at step 1 of 3 (prune); nothing was written.',
    );
    const measured = recipeOf([{ kind: 'bench' }, { kind: 'export', name: 'x.onnx' }]);
    // A bench writes no file: a run stopped after it left nothing.
    expect(stoppedAt(measured.steps, 1, '/o')).toBe('Stopped at step 2 of 2; nothing was written.');
  });
});

describe('checkStepsUpFront', () => {
  const tmp = makeTempDir('onnx-studio-step-checks-');
  afterAll(() => tmp.cleanup());
  const source = async () => {
    const file = path.join(tmp.dir, 'cnn.onnx');
    fs.writeFileSync(file, modelBytes(buildCnn()));
    return loadModel(file);
  };
  const status = (name: ProviderStatus['name'], available: boolean): ProviderStatus => ({
    name,
    listed: true,
    bundled: false,
    available,
    ...(available ? {} : { reason: 'Failed to load shared library', hint: 'Run npm run setup:cuda.' }),
  });

  it("refuses a bench step's provider the probe found unavailable, asking only when a step wants one", async () => {
    const loaded = await source();
    let probes = 0;
    const providers = () => {
      probes++;
      return Promise.resolve([status('cpu', true), status('cuda', false)]);
    };
    await checkStepsUpFront(recipeOf([{ kind: 'bench' }]), loaded, providers);
    expect(probes).toBe(0);
    const cuda = recipeOf([
      { kind: 'quantize', method: 'fp16' },
      { kind: 'bench', ep: 'cuda' },
      { kind: 'bench', ep: 'cuda' },
    ]);
    await expect(checkStepsUpFront(cuda, loaded, providers)).rejects.toThrow(
      /^Step 2 \(bench\): The cuda execution provider is not available here: Failed to load shared library\. .*The recipe asks for it in steps\[1\]\.ep\.$/,
    );
    expect(probes).toBe(1);
  });

  it('checks excluded nodes against the source only for the steps that read it', async () => {
    const loaded = await source();
    const exclude = { kind: 'quantize', method: 'int8-dynamic', common: { excludeNodes: ['nope'] } } as const;
    await expect(checkStepsUpFront(recipeOf([{ kind: 'bench' }, exclude]), loaded)).rejects.toThrow(
      /^Step 2 \(quantize\): steps\[1\]\.common\.excludeNodes names 'nope'/,
    );
    // After a prune, the step reads the pruned model, which only exists once the prune ran.
    const later = recipeOf([{ kind: 'prune', method: 'structured', common: { sparsity: 0.3 } }, exclude]);
    await expect(checkStepsUpFront(later, loaded)).resolves.toBeUndefined();
  });
});
