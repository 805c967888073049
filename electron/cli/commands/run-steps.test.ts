/**
 * What `run` says about its steps: each step's notes (as `note: step N (kind): ...` and in notes[]), an eval
 * step's comparison with the source, every step's own fields checked before step 1 (op types, excluded nodes,
 * the bench provider), a step that fails anyway named with its recipe field and what the run left, and a model
 * passed for a recipe answered with what works for that model.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { buildCnn, randomFloats } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('onnx-studio run: step notes, step checks, step errors', () => {
  const tmp = makeTempDir();
  const data = path.join(tmp.dir, 'data');
  const model = path.join(data, 'cnn.onnx');
  const prune = { kind: 'prune', method: 'structured', common: { sparsity: 0.5 }, options: {} };
  let evaluation: Record<string, unknown>;

  beforeAll(() => {
    fs.mkdirSync(data);
    // A conv net: no MatMul, which int8-dynamic restricted to MatMul has nothing to take from.
    fs.writeFileSync(model, toBinary(ModelProtoSchema, buildCnn()));
    fs.writeFileSync(
      path.join(data, 'x.npy'),
      encodeNpyArray(randomFloats(16 * 3 * 16 * 16, 7), 'float32', [16, 1, 3, 16, 16]),
    );
    fs.writeFileSync(
      path.join(data, 'y.npy'),
      encodeNpyArray(
        BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i % 10)),
        'int64',
        [16],
      ),
    );
    evaluation = {
      kind: 'eval',
      evaluation: {
        spec: { kind: 'npy', path: 'x.npy', labels: 'y.npy' },
        files: ['x.npy', 'y.npy'].map((name) => ({ name, sha256: sha256(path.join(data, name)) })),
      },
    };
  });
  afterAll(() => tmp.cleanup());

  /** A folder holding a recipe of these steps, the source model and the data. */
  function recipeIn(name: string, steps: unknown[]) {
    const dir = path.join(tmp.dir, name);
    fs.mkdirSync(dir);
    const recipe = { version: 1, source: { name: 'cnn.onnx', sha256: sha256(model) }, steps };
    fs.writeFileSync(path.join(dir, 'recipe.json'), JSON.stringify(recipe));
    for (const file of fs.readdirSync(data)) fs.copyFileSync(path.join(data, file), path.join(dir, file));
    return { file: path.join(dir, 'recipe.json'), out: path.join(dir, 'recipe-out') };
  }

  it("says a step's notes on stderr and in notes[], with the step, naming the recipe's field", async () => {
    const r = recipeIn('notes', [
      { kind: 'quantize', method: 'int8-dynamic', common: { opTypes: ['MatMul'] } },
    ]);
    const run = await cli(['run', r.file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const said =
      /^note: step 1 \(quantize\): Nothing to quantize: int8-dynamic quantizes MatMul nodes \(steps\[0\]\.common\.opTypes\) and this model has none/m;
    expect(run.stderr).toMatch(said);
    const json = JSON.parse(run.stdout) as { notes: string[] };
    expect(json.notes.some((n) => /^step 1 \(quantize\): Nothing to quantize/.test(n))).toBe(true);
    expect(json.notes.join('\n')).not.toMatch(/--op-types/);
  });

  it("an eval step's line gives the source's accuracy and the drop where an eval step measured the source", async () => {
    const r = recipeIn('eval-drop', [evaluation, prune, evaluation]);
    const run = await cli(['run', r.file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ 1\. eval +16 samples, accuracy \d+\.\d\d% {2}\(/m);
    expect(run.stdout).toMatch(
      /^ 3\. eval +16 samples, accuracy \d+\.\d\d% \([-+]?\d+\.\d\d pts from the source's \d+\.\d\d% in step 1\), top-1 agreement with the source \d+\.\d\d%, cosine to the source /m,
    );
    // Without an eval of the source, no accuracy of the source is made up: its fidelity to it is what was measured.
    const alone = recipeIn('eval-alone', [prune, evaluation]);
    const second = await cli(['run', alone.file]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      /^ 2\. eval +16 samples, accuracy \d+\.\d\d%, top-1 agreement with the source /m,
    );
    expect(second.stdout).not.toMatch(/from the source's/);
  });

  it("a later step's op types and the excluded nodes of a step that reads the source are refused before step 1", async () => {
    const types = recipeIn('op-types', [
      prune,
      { kind: 'quantize', method: 'int8-dynamic', common: { opTypes: ['Foo'] } },
    ]);
    const refused = await cli(['run', types.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 2 \(quantize\): steps\[1\]\.common\.opTypes names 'Foo', which int8-dynamic does not quantize/,
    );
    expect(refused.stderr).not.toMatch(/\[1\/2\]|--op-types/);
    expect(fs.existsSync(types.out)).toBe(false);
    // A bench step first reads the source, and so does the quantize step after it: checked before the bench.
    const excluded = recipeIn('excluded', [
      { kind: 'bench', iterations: 1, warmup: 0 },
      { kind: 'quantize', method: 'int8-dynamic', common: { excludeNodes: ['nope'] } },
    ]);
    const early = await cli(['run', excluded.file]);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(
      /Step 2 \(quantize\): steps\[1\]\.common\.excludeNodes names 'nope', which is no node/,
    );
    expect(early.stderr).not.toMatch(/\[1\/2\]|--exclude-nodes/);
  });

  it("a bench step reports as `bench` does: each ratio's verdict and one peak for the process", async () => {
    const r = recipeIn('bench-verdict', [prune, { kind: 'bench', iterations: 40, warmup: 2 }]);
    const text = await cli(['run', r.file]);
    expect(text.code, text.stderr).toBe(0);
    // The ratio carries bench's words when the run cannot tell it from 1 or it is slower; faster stands alone.
    expect(text.stdout).toMatch(
      /^ 2\. bench +p50 \d+\.\d{3} ms, \d+\.\d\dx the source's p50( \((within noise|slower|unreliable run)\))?, peak RSS [\d.]+ MiB \(both models loaded\) {2}\(/m,
    );
    const again = recipeIn('bench-verdict-json', [prune, { kind: 'bench', iterations: 40, warmup: 2 }]);
    const json = await cli(['run', again.file, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const step = (JSON.parse(json.stdout) as { steps: { kind: string; report: Record<string, unknown> }[] })
      .steps[1]!;
    expect(step.kind).toBe('bench');
    const comparisons = step.report.comparisons as Record<string, unknown>[];
    expect(['faster', 'slower', 'same']).toContain(comparisons[0]?.latencyVerdict);
    expect(step.report.processPeakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    for (const row of step.report.results as Record<string, unknown>[])
      expect(row).not.toHaveProperty('peakRssBytes');
  });

  it('an eval step of the source on data without labels is refused before step 1, in the recipe’s terms', async () => {
    const unlabelled = {
      kind: 'eval',
      evaluation: {
        spec: { kind: 'npy', path: 'x.npy' },
        files: [{ name: 'x.npy', sha256: sha256(path.join(data, 'x.npy')) }],
      },
    };
    const r = recipeIn('eval-source-unlabelled', [unlabelled, prune]);
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Step 1 \(eval\): it evaluates the source itself, on data without labels, so there is nothing to measure.*steps\[0\]\.evaluation\.spec\.labels/,
    );
    expect(refused.stderr).not.toMatch(/--reference|reference MODEL|\[1\/2\]/);
    expect(fs.existsSync(r.out)).toBe(false);
    // After a transform it measures fidelity to the source: the same step runs.
    const after = recipeIn('eval-after-unlabelled', [prune, unlabelled]);
    expect((await cli(['run', after.file])).code).toBe(0);
  });

  it("a bench step's provider that this machine lacks is refused before step 1, as tune --ep is", async () => {
    // A provider no onnxruntime-node of this platform has: DirectML is Windows only, CoreML macOS only.
    const missing = process.platform === 'win32' ? 'coreml' : 'dml';
    const r = recipeIn('provider', [
      { kind: 'quantize', method: 'fp16' },
      { kind: 'bench', iterations: 1, warmup: 0, ep: missing },
    ]);
    const refused = await cli(['run', r.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `Step 2 \\(bench\\): The ${missing} execution provider is not available here: .*steps\\[1\\]\\.ep`,
      ),
    );
    expect(refused.stderr).not.toMatch(/\[1\/2\]/);
    expect(fs.existsSync(r.out)).toBe(false);
  });

  it('a step that fails on the model an earlier step made names its field and says what the run left', async () => {
    const r = recipeIn('late', [
      prune,
      { kind: 'quantize', method: 'int8-dynamic', common: { excludeNodes: ['nope'] } },
    ]);
    const failed = await cli(['run', r.file]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/\[2\/2\] quantize/);
    expect(failed.stderr).toContain(
      "onnx-studio: Step 2 (quantize): steps[1].common.excludeNodes names 'nope', which is no node of this model",
    );
    expect(failed.stderr).toContain(
      `Stopped at step 2 of 2; the models of the finished steps are in ${r.out}.`,
    );
    expect(failed.stderr).not.toMatch(/--exclude-nodes/);
    expect(fs.readdirSync(r.out)).toEqual(['cnn.1-structured50.onnx']);
  });

  it('a model given for the recipe: `onnx-studio recipe` is suggested only for one that records a recipe', async () => {
    const plain = await cli(['run', model]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(
      /looks like a model, not a recipe\. It records no recipe .*docs\/cli\.md, "Recipes"/,
    );
    expect(plain.stderr).toMatch(/`onnx-studio quantize` or `onnx-studio prune` first/);
    // Data or a folder given for the recipe is said to be what it is (a .npy read as "a model").
    const npy = path.join(tmp.dir, 'x.npy');
    fs.writeFileSync(npy, Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    expect((await cli(['run', npy])).stderr).toContain('is a NumPy array (.npy), not a recipe');
    expect((await cli(['run', tmp.dir])).stderr).toContain('is a folder, not a recipe');
    expect(plain.stderr).not.toContain(`onnx-studio recipe ${model}`);
    const variant = path.join(tmp.dir, 'cnn.fp16.onnx');
    expect((await cli(['quantize', model, '-o', variant, '--method', 'fp16'])).code).toBe(0);
    const recorded = await cli(['run', variant]);
    expect(recorded.code).toBe(2);
    expect(recorded.stderr).toContain(
      `\`onnx-studio recipe ${variant} -o RECIPE.json\` writes the recipe it recorded`,
    );
  });
});
