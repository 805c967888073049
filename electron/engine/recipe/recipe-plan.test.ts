import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe, type RecipeInput } from '../../../shared/recipe.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { StudioError } from '../errors.js';
import { buildMlp, modelBytes, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { runRecipe } from './run-recipe.js';

/*
 * What a recipe run says when it stops before its first step: cancelled while it hashes the data of a later
 * step, no step had started, and the message says so instead of naming that step.
 */

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let tmp: ReturnType<typeof makeTempDir>;
let source: string;
let calib: string;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-recipe-plan-');
  source = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(source, modelBytes(buildMlp({ inputSize: 16 })));
  calib = path.join(tmp.dir, 'calib.npy');
  fs.writeFileSync(calib, encodeNpyArray(randomFloats(8 * 16, 3), 'float32', [8, 16]));
});
afterAll(() => tmp.cleanup());

async function errorOf(promise: Promise<unknown>): Promise<StudioError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StudioError) return error;
    throw error;
  }
  throw new Error('expected a StudioError');
}

describe('planRecipe', () => {
  it("Ctrl+C while it hashes a later step's data stops before step 1, naming no step as started", async () => {
    const input: RecipeInput = {
      version: 1,
      source: { name: 'mlp.onnx', sha256: sha256(source) },
      steps: [
        // A bench step on another provider is probed before the data is hashed: the probe stands for the moment
        // the user presses Ctrl+C.
        { kind: 'bench', ep: 'cuda', iterations: 1, warmup: 0 },
        {
          kind: 'quantize',
          method: 'int8-static',
          calibration: {
            spec: { kind: 'npy', path: 'calib.npy' },
            files: [{ name: 'calib.npy', sha256: sha256(calib) }],
          },
        },
      ],
    };
    const parsed = parseRecipe(input);
    if (!parsed.ok) throw new Error(parsed.message);
    const controller = new AbortController();
    const outDir = path.join(tmp.dir, 'cancelled');
    const error = await errorOf(
      runRecipe({
        recipe: parsed.recipe,
        recipeDir: tmp.dir,
        outDir,
        signal: controller.signal,
        bench: () => Promise.reject(new Error('no step runs')),
        onStepStart: () => {
          throw new Error('no step starts');
        },
        providers: () => {
          controller.abort();
          return Promise.resolve([{ name: 'cuda', listed: true, bundled: true, available: true }]);
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toBe(
      'Stopped before step 1 of 2, while checking the source model and the data; nothing was written.',
    );
    expect(error.message).not.toMatch(/Step 2/);
    expect(fs.existsSync(outDir)).toBe(false);
  });
});
