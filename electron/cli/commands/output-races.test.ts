/**
 * Two commands writing one output at once (two CI jobs sharing a folder): one writes it, the other exits 2 with
 * the "already exists ... --force" message, never both 0 with one output silently replaced. The other job is
 * played by the test, writing its file between this command's check and its commit. And an output folder
 * on a pseudo file system (/proc) is refused at once, not spun on forever.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRecipe } from '../../../shared/recipe.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { readRecordedRecipe } from '../../engine/recipe/recorded-recipe.js';
import { runRecipe } from '../../engine/recipe/run-recipe.js';
import { buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

describe('two commands writing the same output at once', () => {
  const tmp = makeTempDir('onnx-studio-output-races-');
  const model = path.join(tmp.dir, 'mlp.onnx');
  const variant = path.join(tmp.dir, 'mlp.pruned.onnx');
  const recipe = path.join(tmp.dir, 'recipe.json');
  beforeAll(async () => {
    fs.writeFileSync(model, modelBytes(buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 })));
    const pruned = await cli(['prune', model, '-o', variant, '--method', 'magnitude', '--sparsity', '0.5']);
    expect(pruned.code, pruned.stderr).toBe(0);
    const written = await cli(['recipe', variant, '-o', recipe]);
    expect(written.code, written.stderr).toBe(0);
  });
  afterAll(() => tmp.cleanup());
  afterEach(() => vi.restoreAllMocks());

  it('quantize -o: a file that appears after the check is kept, and the command exits 2 as the check would', async () => {
    const out = path.join(tmp.dir, 'race', 'out.onnx');
    fs.mkdirSync(path.dirname(out));
    // The other job finishes its model just as this one starts writing its own temp file.
    const open = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation((file, ...rest) => {
      if (String(file).startsWith(path.join(path.dirname(out), '.out.onnx.')) && !fs.existsSync(out))
        fs.writeFileSync(out, 'theirs');
      return open(file, ...rest);
    });
    const r = await cli(['quantize', model, '-o', out, '--method', 'int8-dynamic', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `onnx-studio: ${out} already exists. Choose another output path or pass --force to replace it.\n`,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(fs.readdirSync(path.dirname(out))).toEqual(['out.onnx']);
    expect(fs.readFileSync(out, 'utf8')).toBe('theirs');
  });

  it('run --out a new folder another run makes meanwhile: exit 2 before step 1, the other run’s folder kept', async () => {
    const out = path.join(tmp.dir, 'prun');
    // The other run makes the folder between this run's first look and its own mkdir.
    const mkdir = fs.promises.mkdir;
    vi.spyOn(fs.promises, 'mkdir').mockImplementation(async (dir, options) => {
      if (path.resolve(String(dir)) === out && !fs.existsSync(out)) fs.mkdirSync(out);
      return mkdir(dir, options);
    });
    const r = await cli(['run', recipe, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `onnx-studio: --out ${out} already exists (another command made it after this one started). Choose another ` +
        '--out folder or pass --force to write into it.\n',
    );
    expect(fs.readdirSync(out)).toEqual([]);
    vi.restoreAllMocks();
    // Into the folder as it is now (existing, empty), a run goes on.
    expect((await cli(['run', recipe, '--out', out])).code).toBe(0);
  });

  it('run --out an existing folder: a step model or export that appears after the checks is kept, the run refused', async () => {
    const recorded = readRecordedRecipe((await loadModel(variant)).proto);
    if (recorded.kind !== 'recipe') throw new Error(`no recipe: ${recorded.kind}`);
    const parsed = parseRecipe({
      ...recorded.recipe,
      steps: [...recorded.recipe.steps, { kind: 'export', name: 'final.onnx' }],
    });
    if (!parsed.ok) throw new Error(parsed.message);
    /** Runs the recipe into `out`, another job writing `theirs` there as step `index` starts. */
    const race = (out: string, index: number, theirs: string, force = false) => {
      fs.mkdirSync(out, { recursive: true });
      return runRecipe({
        recipe: parsed.recipe,
        recipeDir: tmp.dir,
        outDir: out,
        force,
        bench: () => Promise.reject(new Error('no bench step here')),
        onStepStart: (at) => {
          if (at === index) fs.writeFileSync(path.join(out, theirs), 'theirs');
        },
      });
    };
    const exists = (file: string, step: string, stopped: string) =>
      `${step}: ${file} already exists. Choose another output path or pass --force to replace it. ${stopped}`;

    const first = path.join(tmp.dir, 'late-model');
    const model = path.join(first, 'mlp.1-magnitude50.onnx');
    await expect(race(first, 0, 'mlp.1-magnitude50.onnx')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: exists(model, 'Step 1 (prune)', 'Stopped at step 1 of 2; nothing was written.'),
    });
    expect(fs.readdirSync(first)).toEqual(['mlp.1-magnitude50.onnx']);
    expect(fs.readFileSync(model, 'utf8')).toBe('theirs');

    const second = path.join(tmp.dir, 'late-export');
    const exported = path.join(second, 'final.onnx');
    await expect(race(second, 1, 'final.onnx')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: exists(
        exported,
        'Step 2 (export)',
        `Stopped at step 2 of 2; the models of the finished steps are in ${second}.`,
      ),
    });
    expect(fs.readdirSync(second).sort()).toEqual(['final.onnx', 'mlp.1-magnitude50.onnx']);
    expect(fs.readFileSync(exported, 'utf8')).toBe('theirs');

    // With --force, what appeared is replaced, as an earlier run's output is.
    await race(second, 1, 'final.onnx', true);
    expect(
      fs.readFileSync(exported).equals(fs.readFileSync(path.join(second, 'mlp.1-magnitude50.onnx'))),
    ).toBe(true);
  });

  it.runIf(fs.existsSync('/proc/self'))(
    'run --out and demo --out under /proc: exit 2 at once, saying why',
    { timeout: 15_000 },
    async () => {
      const refused = (out: string) =>
        `onnx-studio: Cannot write --out ${out}: the folder /proc cannot be written (the file system does not let ` +
        'files be made there). Choose another folder.\n';
      const run = await cli(['run', recipe, '--out', '/proc/onnx-studio-run']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(refused('/proc/onnx-studio-run'));
      const demo = await cli(['demo', '--out', '/proc/onnx-studio-demo', '--iterations', '2']);
      expect(demo.code).toBe(2);
      expect(demo.stderr).toBe(refused('/proc/onnx-studio-demo'));
    },
  );
});
