import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRecipe, type Recipe } from '../../../shared/recipe.js';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { loadModel } from '../onnx/load-model.js';
import { buildMlp, modelBytes, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { readRecordedRecipe } from './recorded-recipe.js';
import { runRecipe } from './run-recipe.js';

/*
 * A recipe run loads its source once: the check before the first step (its sha256, which counts external data
 * files, and the recipe's inputs) and the first step share the one load. Loading a multi-GB source again for
 * step 1 cost its time twice over.
 */

const loads = vi.hoisted(() => ({ files: [] as string[] }));
vi.mock('../onnx/load-model.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../onnx/load-model.js')>();
  return {
    ...original,
    loadModel: (file: string) => {
      loads.files.push(path.resolve(file));
      return original.loadModel(file);
    },
  };
});

let tmp: ReturnType<typeof makeTempDir>;
let source: string;
/** The recipe of an int8-static variant calibrated on `calib.npy`, with the recipe's input shapes. */
let recipe: Recipe;
beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-run-recipe-');
  source = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(source, modelBytes(buildMlp({ inputSize: 16 })));
  fs.writeFileSync(
    path.join(tmp.dir, 'calib.npy'),
    encodeNpyArray(randomFloats(8 * 16, 3), 'float32', [8, 16]),
  );
  const variant = path.join(tmp.dir, 'mlp.int8.onnx');
  const r = await runCliInProcess([
    'quantize',
    source,
    '-o',
    variant,
    '--method',
    'int8-static',
    '--calib-data',
    path.join(tmp.dir, 'calib.npy'),
    '--dim',
    'batch=1',
  ]);
  expect(r.code, r.stderr).toBe(0);
  const recorded = readRecordedRecipe((await loadModel(variant)).proto);
  if (recorded.kind !== 'recipe') throw new Error(`no recipe: ${recorded.kind}`);
  recipe = recorded.recipe;
});
afterAll(() => tmp.cleanup());

const bench = () => Promise.reject(new Error('no bench step here'));

async function run(steps: Recipe['steps'], out: string, inputs = recipe.inputs) {
  const parsed = parseRecipe({ ...recipe, inputs, steps });
  if (!parsed.ok) throw new Error(parsed.message);
  loads.files = [];
  const result = await runRecipe({
    recipe: parsed.recipe,
    recipeDir: tmp.dir,
    outDir: path.join(tmp.dir, out),
    bench,
  });
  return { result, sourceLoads: loads.files.filter((f) => f === source).length };
}

describe('runRecipe', () => {
  it('loads the source once for its checks and a first quantize step with calibration data', async () => {
    expect(recipe.inputs.dims).toEqual({ batch: 1 });
    expect(recipe.steps.map((s) => s.kind)).toEqual(['quantize']);
    const { result, sourceLoads } = await run(recipe.steps, 'quantize');
    expect(sourceLoads).toBe(1);
    // The same variant as the command made.
    expect(fs.readFileSync(result.model)).toEqual(fs.readFileSync(path.join(tmp.dir, 'mlp.int8.onnx')));
  });

  it("names the recipe's inputs where the data overrules a size they set, not an input spec of the app", async () => {
    const { result } = await run(recipe.steps, 'overruled', { dims: { batch: 2 } });
    const step = result.steps[0]!;
    if (step.kind !== 'quantize') throw new Error(step.kind);
    expect(step.report.notes).toContain(
      "dim 'batch' of input 'input' is 1 in the data (calib.npy), not the 2 the recipe's inputs.dims batch=2 sets: " +
        "the data's size was used.",
    );
  });

  it('loads it once for a first export step', async () => {
    const { result, sourceLoads } = await run([{ kind: 'export', name: 'copy.onnx' }], 'export');
    expect(sourceLoads).toBe(1);
    expect(result.steps.map((s) => s.kind)).toEqual(['export']);
    expect(fs.readFileSync(path.join(tmp.dir, 'export', 'copy.onnx'))).toEqual(fs.readFileSync(source));
  });
});
