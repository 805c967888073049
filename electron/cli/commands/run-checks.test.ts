/**
 * What `run` checks before its first step, and how it reports: every step's data and the source found and
 * hashed up front (a refusal names the step and the flag that fixes it, and writes nothing), `inputs.dims`
 * checked as `--dim` is, `--out` and `--data-dir` checked, a model passed for a recipe, the guesses warned once
 * and listed in notes[], and one step numbering everywhere.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { encodeNpz } from '../../engine/datasets/npz-writer.js';
import { buildMlp } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('onnx-studio run: checks before the first step', () => {
  const tmp = makeTempDir();
  const data = path.join(tmp.dir, 'data');
  const model = path.join(data, 'mlp.onnx');
  const calib = path.join(data, 'calib.npy');
  const synthetic = { spec: { kind: 'synthetic', samples: 4, seed: 0 }, files: [] };
  const prune = { kind: 'prune', method: 'magnitude', common: { sparsity: 0.5 }, options: {} };
  let staticStep: Record<string, unknown>;

  beforeAll(() => {
    fs.mkdirSync(data);
    fs.writeFileSync(
      model,
      toBinary(ModelProtoSchema, buildMlp({ inputSize: 64, hiddenSize: 32, outputSize: 10 })),
    );
    fs.writeFileSync(calib, encodeNpyArray(new Float32Array(8 * 64).fill(0.5), 'float32', [8, 64]));
    staticStep = {
      kind: 'quantize',
      method: 'int8-static',
      common: {},
      options: { calibMethod: 'minmax' },
      calibration: {
        spec: { kind: 'npy', path: 'calib.npy' },
        files: [{ name: 'calib.npy', sha256: sha256(calib) }],
      },
    };
  });
  afterAll(() => tmp.cleanup());

  /** A folder holding a recipe of these steps (and, unless told otherwise, the source model). */
  function recipeIn(name: string, steps: unknown[], extra: { inputs?: unknown; withModel?: boolean } = {}) {
    const dir = path.join(tmp.dir, name);
    fs.mkdirSync(dir);
    const recipe = {
      version: 1,
      source: { name: 'mlp.onnx', sha256: sha256(model) },
      inputs: extra.inputs ?? {},
      steps,
    };
    fs.writeFileSync(path.join(dir, 'recipe.json'), JSON.stringify(recipe));
    if (extra.withModel !== false) fs.copyFileSync(model, path.join(dir, 'mlp.onnx'));
    return { dir, file: path.join(dir, 'recipe.json'), out: path.join(dir, 'recipe-out') };
  }

  it("a later step's missing data stops the run before step 1, naming the step and --data-dir", async () => {
    const r = recipeIn('missing-data', [prune, staticStep]);
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 2 \(quantize\): The calibration data 'calib\.npy' was not found in .*--data-dir DIR/,
    );
    expect(refused.stderr).not.toMatch(/\[1\/2\]/);
    expect(fs.existsSync(r.out)).toBe(false);
    // A --data-dir that is not there is refused as such, not as every file missing.
    const typo = await cli(['run', r.file, '--data-dir', path.join(tmp.dir, 'dta')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--data-dir .*dta is not a folder/);
    const ok = await cli(['run', r.file, '--data-dir', data]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a changed data file of a late step is refused before the earlier steps (a benchmark) run', async () => {
    const labels = path.join(data, 'labels.npy');
    fs.writeFileSync(labels, encodeNpyArray(new Float32Array(8).fill(1), 'float32', [8]));
    const evaluation = {
      kind: 'eval',
      evaluation: {
        spec: { kind: 'npy', path: 'calib.npy', labels: 'labels.npy' },
        files: [
          { name: 'calib.npy', sha256: sha256(calib) },
          { name: 'labels.npy', sha256: '0'.repeat(64) },
        ],
      },
    };
    const r = recipeIn('changed-labels', [prune, { kind: 'bench', iterations: 1, warmup: 0 }, evaluation]);
    const refused = await cli(['run', r.file, '--data-dir', data]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 3 \(eval\): The evaluation data .*labels\.npy is not the file the recipe was recorded with/,
    );
    expect(refused.stderr).not.toMatch(/\[1\/3\]/);
    expect(fs.existsSync(r.out)).toBe(false);
  });

  it('a missing source model is refused with --model as the way to give it', async () => {
    const r = recipeIn('no-source', [prune], { withModel: false });
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/source model 'mlp\.onnx' was not found in .*--model PATH/);
    const wrong = await cli(['run', r.file, '--model', path.join(r.dir, 'nope.onnx')]);
    expect(wrong.stderr).toMatch(/Check the --model path/);
  });

  it('a quantize step after another (int8, then fp16, as recipes once stacked them) is refused before any step runs', async () => {
    const fp16 = { kind: 'quantize', method: 'fp16', common: {}, options: {} };
    const r = recipeIn('stacked', [prune, staticStep, fp16]);
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Step 3 \(quantize\): steps\[2\] quantizes the model step 2 already quantized/);
    expect(fs.existsSync(r.out)).toBe(false);
  });

  it('a quantize step after fp16 runs: fp16 writes no quantization op, so the next method takes its model', async () => {
    const fp16 = { kind: 'quantize', method: 'fp16', common: {}, options: {} };
    const dynamic = { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} };
    const r = recipeIn('after-fp16', [fp16, dynamic]);
    const ran = await cli(['run', r.file, '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).not.toMatch(/already quantized/);
    const written = fs.readdirSync(r.out).filter((f) => f.endsWith('.onnx'));
    expect(written).toHaveLength(2);
  });

  it('a prune step after an int8 step is refused before any step runs: pruning reads float weights', async () => {
    const dynamic = { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} };
    const r = recipeIn('prune-after-int8', [dynamic, prune]);
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 2 \(prune\): steps\[1\] prunes the model step 1 already quantized: .*Prune the float model, then quantize: move the prune step before step 1\./,
    );
    expect(refused.stderr).not.toMatch(/\[1\/2\]/);
    expect(fs.existsSync(r.out)).toBe(false);
    // The other order is the one that works.
    const ran = await cli(['run', recipeIn('prune-then-int8', [prune, dynamic]).file]);
    expect(ran.code, ran.stderr).toBe(0);
  });

  it('a prune step whose source is already quantized is refused before step 1, as prune refuses it', async () => {
    const dir = path.join(tmp.dir, 'quantized-source');
    fs.mkdirSync(dir);
    const quantized = path.join(dir, 'mlp.int8.onnx');
    expect((await cli(['quantize', model, '-o', quantized, '--method', 'int8-weight'])).code).toBe(0);
    const file = path.join(dir, 'recipe.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        source: { name: 'mlp.int8.onnx', sha256: sha256(quantized) },
        steps: [prune],
      }),
    );
    const refused = await cli(['run', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 1 \(prune\): .*mlp\.int8\.onnx is already quantized \(it has \d+ DequantizeLinear\); magnitude pruning reads float weights.*Prune the float model it was made from, then quantize\./,
    );
    expect(refused.stderr).not.toMatch(/\[1\/1\]/);
    expect(fs.existsSync(path.join(dir, 'recipe-out'))).toBe(false);
  });

  it('an eval step before any transform on a .npz without labels says it would compare the source with itself', async () => {
    const npz = path.join(data, 'x.npz');
    fs.writeFileSync(
      npz,
      encodeNpz({ input: encodeNpyArray(new Float32Array(4 * 64).fill(0.25), 'float32', [4, 64]) }),
    );
    const evaluation = {
      kind: 'eval',
      evaluation: { spec: { kind: 'npz', path: 'x.npz' }, files: [{ name: 'x.npz', sha256: sha256(npz) }] },
    };
    const r = recipeIn('eval-source-npz', [{ kind: 'bench', iterations: 1, warmup: 0 }, evaluation, prune]);
    const refused = await cli(['run', r.file, '--data-dir', data]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 2 \(eval\): it evaluates the source itself, on data without labels, so there is nothing to measure \(its fidelity would be to itself\)\. Add labels \(steps\[1\]\.evaluation\.spec\.labels, a \.npy of class ids, or a 'labels' array in the \.npz\)/,
    );
    // Before step 1 (the bench), and never as the single command's --reference MODEL.
    expect(refused.stderr).not.toMatch(/\[1\/3\]|reference MODEL/);
    expect(fs.existsSync(r.out)).toBe(false);
  });

  it('an --out that is a file is exit 2, not an internal error', async () => {
    const r = recipeIn('out-file', [prune]);
    const refused = await cli(['run', r.file, '--out', r.file, '--force']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--out .*recipe\.json is a file; give a folder/);
    expect(JSON.parse(fs.readFileSync(r.file, 'utf8'))).toMatchObject({ version: 1 });
  });

  it("inputs.dims naming no dim of the source is refused as --dim is, with the source's dim names", async () => {
    const r = recipeIn('unknown-dim', [prune], { inputs: { dims: { Q: 3 } } });
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/inputs\.dims names 'Q', which is no named dim .*named dims: batch/);
    expect(fs.existsSync(r.out)).toBe(false);
    // Input names in inputs.shapes and inputs.values are checked too, and the message names the recipe's field.
    const shapes = recipeIn('unknown-input', [prune], { inputs: { shapes: { q: [1, 4] } } });
    const wrongInput = await cli(['run', shapes.file]);
    expect(wrongInput.code).toBe(2);
    expect(wrongInput.stderr).toMatch(
      /The recipe's inputs\.shapes names 'q', which is not an input of the model/,
    );
  });

  it('warns each guess once however many steps make it, lists it in notes[], and numbers steps from 1', async () => {
    const r = recipeIn('guesses', [
      { kind: 'quantize', method: 'int8-static', common: {}, options: {}, calibration: synthetic },
      { kind: 'eval', evaluation: synthetic },
    ]);
    const run = await cli(['run', r.file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(
      run.stderr.match(
        /^warning: dim 'batch' of input 'input' was guessed as 1 \(batch: one sample per run\) because nothing set it/gm,
      ),
    ).toHaveLength(1);
    const json = JSON.parse(run.stdout) as { notes: string[]; steps: { step: number; output?: string }[] };
    expect(json.notes.filter((n) => n.includes("dim 'batch'"))).toHaveLength(1);
    // It says how to set the size where run takes it, the recipe's inputs; run takes no --dim or --shape.
    expect(run.stderr).toMatch(/Set it in the recipe's "inputs" \("dims": \{"NAME": SIZE\}/);
    expect(run.stderr).not.toMatch(/--dim|--shape/);
    expect(json.steps.map((s) => s.step)).toEqual([1, 2]);
    expect(json.steps[0]).not.toHaveProperty('index');
    expect(path.basename(json.steps[0]!.output!)).toBe('mlp.1-int8-static.onnx');
    expect(run.stderr).toMatch(/^\[1\/2\] quantize int8-static$/m);
  });

  it('a YAML recipe is told what a recipe is and how to get one', async () => {
    const yaml = path.join(tmp.dir, 'recipe.yaml');
    fs.writeFileSync(yaml, 'version: 1\nsteps: []\n');
    const r = await cli(['run', yaml]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not JSON \(.*\)\. A recipe is a JSON document \(docs\/cli\.md, Recipes\): `onnx-studio recipe VARIANT\.onnx -o FILE\.json`/);
  });

  it('a model passed for the recipe is named as such, without echoing its bytes', async () => {
    // By its extension, and by its bytes under another name.
    const renamed = path.join(tmp.dir, 'model.json');
    fs.copyFileSync(model, renamed);
    for (const file of [model, renamed]) {
      const r = await cli(['run', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/looks like a model, not a recipe\. It records no recipe/);
      expect(r.stderr).toMatch(/^[\x20-\x7e\n]*$/);
    }
    // The command it gives a variant (which records a recipe) can be pasted as it is: a path with a space and a
    // quote is quoted for the shell.
    const spaced = path.join(tmp.dir, "it's a model.onnx");
    expect((await cli(['quantize', model, '-o', spaced, '--method', 'fp16'])).code).toBe(0);
    const quoted = await cli(['run', spaced]);
    expect(quoted.stderr).toContain(
      `\`onnx-studio recipe '${tmp.dir}/it'\\''s a model.onnx' -o RECIPE.json\``,
    );
    // A recipe whose text holds U+FFFD (legal in a JSON string) is read as the recipe it is.
    const recipe = recipeIn('replacement-char', [prune]);
    const text = fs.readFileSync(recipe.file, 'utf8');
    fs.writeFileSync(recipe.file, text.replace(/^\{/, '{"note": "\uFFFD",'));
    const read = await cli(['run', recipe.file]);
    expect(read.stderr).not.toMatch(/looks like a model/);
  });
});
