/**
 * Recipes end to end: a variant made by a single command records a recipe; `recipe` prints it; `run`, in
 * another folder holding only the recipe, the source and the data, makes the same bytes again. Also the ways a
 * recipe run must refuse: a changed file, a missing file, a bad field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { buildCnn, buildMlp } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

function randomNpy(shape: number[], seed: number): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return encodeNpyArray(data, 'float32', shape);
}

describe('onnx-studio recipe + run', () => {
  const tmp = makeTempDir();
  const work = path.join(tmp.dir, 'work');
  beforeAll(() => {
    fs.mkdirSync(work);
    fs.writeFileSync(
      path.join(work, 'mlp.onnx'),
      toBinary(ModelProtoSchema, buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 })),
    );
    fs.writeFileSync(path.join(work, 'cnn.onnx'), toBinary(ModelProtoSchema, buildCnn()));
    fs.writeFileSync(path.join(work, 'mlp-calib.npy'), randomNpy([16, 64], 3));
    fs.writeFileSync(path.join(work, 'cnn-calib.npy'), randomNpy([8, 1, 3, 16, 16], 5));
  });
  afterAll(() => tmp.cleanup());

  /** Makes a variant with single commands in `work`, then reproduces it from its recipe in a fresh folder. */
  async function reproduce(
    name: string,
    source: string,
    data: string[],
    commands: string[][],
  ): Promise<void> {
    let input = path.join(work, source);
    let variant = '';
    for (const [i, args] of commands.entries()) {
      variant = path.join(work, `${name}.${i}.onnx`);
      const r = await cli([args[0]!, input, '-o', variant, ...args.slice(1), '--force']);
      expect(r.stderr, r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      input = variant;
    }
    const elsewhere = path.join(tmp.dir, `elsewhere-${name}`);
    fs.mkdirSync(elsewhere);
    const printed = await cli(['recipe', variant]);
    expect(printed.code).toBe(0);
    // No path of this machine in the recipe: only names and hashes.
    expect(printed.stdout).not.toContain(tmp.dir);
    expect(JSON.parse(printed.stdout)).toMatchObject({ version: 1, source: { name: source } });
    fs.writeFileSync(path.join(elsewhere, 'recipe.json'), printed.stdout);
    for (const file of [source, ...data]) fs.copyFileSync(path.join(work, file), path.join(elsewhere, file));
    const run = await cli([
      'run',
      path.join(elsewhere, 'recipe.json'),
      '--out',
      path.join(elsewhere, 'out'),
      '--json',
    ]);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { model: string; steps: { kind: string }[] };
    expect(result.steps.map((s) => s.kind)).toEqual(commands.map((c) => c[0]));
    expect(Buffer.compare(fs.readFileSync(result.model), fs.readFileSync(variant)), `${name} differs`).toBe(
      0,
    );
  }

  for (const [method, extra] of [
    ['int8-dynamic', ['--dynamic-form', 'onnx', '--exclude-nodes', 'fc2_matmul']],
    ['int8-weight', ['--per-tensor']],
    ['fp16', ['--block-ops', 'Relu']],
    ['int4', ['--block-size', '16', '--accuracy-level', '0', '--asymmetric']],
  ] as const) {
    it(`${method}: the recorded recipe makes the same bytes`, async () => {
      await reproduce(method, 'mlp.onnx', [], [['quantize', '--method', method, ...extra]]);
    });
  }

  it('int8-static: calibration data is recorded by name and hash and found again', async () => {
    await reproduce(
      'static',
      'mlp.onnx',
      ['mlp-calib.npy'],
      [
        [
          'quantize',
          '--method',
          'int8-static',
          '--calib-data',
          'mlp-calib.npy',
          '--calib-method',
          'minmax',
          '--dim',
          'batch=1',
        ],
      ].map((a) => a.map((x) => (x.endsWith('.npy') ? path.join(work, x) : x))),
    );
  });

  it('magnitude and structured pruning make the same bytes', async () => {
    await reproduce('magnitude', 'cnn.onnx', [], [['prune', '--method', 'magnitude', '--pattern', '2:4']]);
    await reproduce(
      'structured',
      'cnn.onnx',
      [],
      [['prune', '--method', 'structured', '--sparsity', '0.5', '--round-to', '2']],
    );
  });

  it('a stacked recipe (prune, then int8-static on the pruned model) makes the same bytes', async () => {
    await reproduce(
      'stacked',
      'cnn.onnx',
      ['cnn-calib.npy'],
      [
        ['prune', '--method', 'structured', '--sparsity', '0.25'],
        [
          'quantize',
          '--method',
          'int8-static',
          '--calib-data',
          path.join(work, 'cnn-calib.npy'),
          '--calib-samples',
          '4',
        ],
      ],
    );
  });

  it('a model with external data: the hash covers its .data file, and an export of the same name is byte-identical', async () => {
    const dir = path.join(tmp.dir, 'external');
    fs.mkdirSync(dir);
    const converted = await cli([
      'convert',
      path.join(work, 'mlp.onnx'),
      '-o',
      path.join(dir, 'mlp.onnx'),
      '--external-data',
      '--size-threshold',
      '1024',
    ]);
    expect(converted.code).toBe(0);
    const variant = path.join(dir, 'mlp.int8.onnx');
    expect(
      (await cli(['quantize', path.join(dir, 'mlp.onnx'), '-o', variant, '--method', 'int8-weight'])).code,
    ).toBe(0);
    expect(fs.existsSync(`${variant}.data`)).toBe(true);
    const recipe = JSON.parse((await cli(['recipe', variant])).stdout) as { steps: unknown[] };
    recipe.steps.push({ kind: 'export', name: 'mlp.int8.onnx' });
    const elsewhere = path.join(tmp.dir, 'external-elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'recipe.json'), JSON.stringify(recipe));
    for (const f of ['mlp.onnx', 'mlp.onnx.data'])
      fs.copyFileSync(path.join(dir, f), path.join(elsewhere, f));
    const run = await cli(['run', path.join(elsewhere, 'recipe.json'), '--out', path.join(elsewhere, 'out')]);
    expect(run.code).toBe(0);
    for (const f of ['mlp.int8.onnx', 'mlp.int8.onnx.data']) {
      expect(
        Buffer.compare(fs.readFileSync(path.join(elsewhere, 'out', f)), fs.readFileSync(path.join(dir, f))),
        f,
      ).toBe(0);
    }
    // Weights changed in the .data file (the .onnx file is the same): refused.
    const data = fs.readFileSync(path.join(elsewhere, 'mlp.onnx.data'));
    data[100] = data[100]! ^ 0xff;
    fs.writeFileSync(path.join(elsewhere, 'mlp.onnx.data'), data);
    const refused = await cli([
      'run',
      path.join(elsewhere, 'recipe.json'),
      '--out',
      path.join(elsewhere, 'out2'),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/source model .*mlp\.onnx is not the file the recipe was recorded with/);
  });

  describe('refusals', () => {
    const dir = path.join(tmp.dir, 'refusals');
    const recipePath = path.join(dir, 'recipe.json');
    beforeAll(async () => {
      fs.mkdirSync(dir);
      fs.copyFileSync(path.join(work, 'mlp.onnx'), path.join(dir, 'mlp.onnx'));
      fs.copyFileSync(path.join(work, 'mlp-calib.npy'), path.join(dir, 'calib.npy'));
      const variant = path.join(dir, 'v.onnx');
      const made = await cli([
        'quantize',
        path.join(dir, 'mlp.onnx'),
        '-o',
        variant,
        '--method',
        'int8-static',
        '--calib-data',
        path.join(dir, 'calib.npy'),
        '--dim',
        'batch=1',
      ]);
      expect(made.code).toBe(0);
      expect((await cli(['recipe', variant, '-o', recipePath])).code).toBe(0);
    });

    it('a data file whose content changed is refused, and --allow-changed-data uses it with a warning', async () => {
      const changed = path.join(tmp.dir, 'changed');
      fs.mkdirSync(changed);
      fs.copyFileSync(recipePath, path.join(changed, 'recipe.json'));
      fs.copyFileSync(path.join(dir, 'mlp.onnx'), path.join(changed, 'mlp.onnx'));
      fs.writeFileSync(path.join(changed, 'calib.npy'), randomNpy([16, 64], 99));
      const refused = await cli(['run', path.join(changed, 'recipe.json')]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /calib\.npy is not the file the recipe was recorded with.*--allow-changed-data/,
      );
      // Refused before the first step: not even the output folder is made.
      expect(fs.existsSync(path.join(changed, 'recipe-out'))).toBe(false);
      const allowed = await cli(['run', path.join(changed, 'recipe.json'), '--allow-changed-data']);
      expect(allowed.code).toBe(0);
      // A warning, as docs/cli.md says, not a note: the data differs from what the recipe recorded.
      expect(allowed.stderr).toMatch(/^warning: The calibration data .*calib\.npy is not the file .* Used anyway \(--allow-changed-data\)\.$/m);

      // A second run finds the first one's output: refused before any step, unless --force.
      const [output] = fs.readdirSync(path.join(changed, 'recipe-out'));
      const stamp = fs.statSync(path.join(changed, 'recipe-out', output!)).mtimeMs;
      const again = await cli(['run', path.join(changed, 'recipe.json'), '--allow-changed-data']);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already exists \(an earlier run's output\?\)\. Choose another --out folder or pass --force/);
      expect(fs.statSync(path.join(changed, 'recipe-out', output!)).mtimeMs).toBe(stamp);
      const forced = await cli(['run', path.join(changed, 'recipe.json'), '--allow-changed-data', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
    });

    it('an export over the source model is refused before the first step, --force or not', async () => {
      const over = path.join(tmp.dir, 'over');
      fs.mkdirSync(over);
      const recipe = JSON.parse(fs.readFileSync(recipePath, 'utf8')) as { steps: unknown[] };
      recipe.steps.push({ kind: 'export', name: 'mlp.onnx' });
      fs.writeFileSync(path.join(over, 'recipe.json'), JSON.stringify(recipe));
      fs.copyFileSync(path.join(dir, 'mlp.onnx'), path.join(over, 'mlp.onnx'));
      fs.copyFileSync(path.join(dir, 'calib.npy'), path.join(over, 'calib.npy'));
      const before = fs.readdirSync(over).sort();
      for (const extra of [[], ['--force']]) {
        const r = await cli(['run', path.join(over, 'recipe.json'), '--out', over, ...extra]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/would write over the source model/);
        expect(fs.readdirSync(over).sort()).toEqual(before);
      }
    });

    it('finds the source through --model and data through --data-dir; says which file is missing', async () => {
      const bare = path.join(tmp.dir, 'bare');
      fs.mkdirSync(bare);
      fs.copyFileSync(recipePath, path.join(bare, 'recipe.json'));
      const missing = await cli(['run', path.join(bare, 'recipe.json')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/source model 'mlp\.onnx' was not found in/);
      const noData = await cli([
        'run',
        path.join(bare, 'recipe.json'),
        '--model',
        path.join(dir, 'mlp.onnx'),
      ]);
      expect(noData.stderr).toMatch(/calibration data 'calib\.npy' was not found/);
      const ok = await cli([
        'run',
        path.join(bare, 'recipe.json'),
        '--model',
        path.join(dir, 'mlp.onnx'),
        '--data-dir',
        dir,
      ]);
      expect(ok.stderr).toBe(ok.stderr.replace(/error/g, ''));
      expect(ok.code).toBe(0);
    });

    it('a bad recipe is refused with the path of the bad field and the step number from 1', async () => {
      const recipe = JSON.parse(fs.readFileSync(recipePath, 'utf8')) as {
        steps: { options: Record<string, unknown> }[];
      };
      recipe.steps[0]!.options.calibMethod = 'median';
      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, JSON.stringify(recipe));
      const r = await cli(['run', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/: step 1 \(steps\.0\.options\.calibMethod\): /);
      fs.writeFileSync(bad, JSON.stringify({ ...recipe, version: 7 }));
      expect((await cli(['run', bad])).stderr).toMatch(/bad\.json: version: /);
      fs.writeFileSync(bad, JSON.stringify({ ...recipe, steps: [{ kind: 'export', name: '../x.onnx' }] }));
      expect((await cli(['run', bad])).stderr).toMatch(/step 1 \(steps\.0\.name\): a file name, not a path/);
    });

    it('Ctrl+C stops a run with exit 130 and no partial file', async () => {
      const controller = new AbortController();
      controller.abort();
      const r = await cli(['run', recipePath, '--out', path.join(dir, 'cancelled')], controller.signal);
      expect(r.code).toBe(130);
      const left = fs.existsSync(path.join(dir, 'cancelled'))
        ? fs.readdirSync(path.join(dir, 'cancelled'))
        : [];
      expect(left).toEqual([]);
    });

    it('a model whose recorded recipe is not JSON still quantizes; recipe says why it cannot print one', async () => {
      const { loadModel } = await import('../../engine/onnx/load-model.js');
      const model = (await loadModel(path.join(dir, 'mlp.onnx'))).proto;
      model.metadataProps.push({
        $typeName: 'onnx.StringStringEntryProto',
        key: 'onnx_studio.recipe',
        value: '{not json',
      });
      const odd = path.join(dir, 'odd.onnx');
      fs.writeFileSync(odd, toBinary(ModelProtoSchema, model));
      const q = await cli(['quantize', odd, '-o', path.join(dir, 'odd.q.onnx'), '--method', 'int8-dynamic']);
      expect(q.code).toBe(0);
      expect(q.stderr).toMatch(
        /recorded recipe could not be used \(its onnx_studio\.recipe metadata is not JSON\)/,
      );
      const printed = await cli(['recipe', odd]);
      expect(printed.code).toBe(2);
      expect(printed.stderr).toMatch(/cannot be run: its onnx_studio.recipe metadata is not JSON/);
      // The new variant's recipe starts at the odd model itself.
      const recipe = JSON.parse((await cli(['recipe', path.join(dir, 'odd.q.onnx')])).stdout) as {
        source: { name: string };
      };
      expect(recipe.source.name).toBe('odd.onnx');
    });
  });
});
