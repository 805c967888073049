import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TuneOutcome } from '../../../shared/tune.js';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { cosineSimilarity } from '../../engine/evaluate/fidelity-metrics.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../engine/onnx/graph-build.js';
import { awkwardModelFiles, buildCustomOpModel } from '../../engine/testing/awkward-models.js';
import { buildIfModel, modelBytes, randomFloats } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { buildOutlierMlp, writeOutlierMlpCase } from '../../engine/testing/tune-fixtures.js';
import { runCliInProcess } from '../testing/run-cli.js';

/*
 * `onnx-studio tune` in process on the outlier MLP (electron/engine/testing/tune-fixtures.ts), with the size
 * objective so the outcomes do not depend on this machine's timing. The fallback search itself is tested in
 * electron/engine/tune/tune-search.test.ts.
 */

type TuneJson = TuneOutcome & { output: string | null; outcomeFile: string | null; message: string | null };

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-tune-cli-');
  files = writeOutlierMlpCase(tmp.dir);
});
afterAll(() => tmp.cleanup());

const tune = (out: string, ...flags: string[]) =>
  runCliInProcess([
    'tune',
    files.model,
    '-o',
    out,
    '--data',
    files.data,
    '--calib-data',
    files.calib,
    '--json',
    ...flags,
  ]);

/** The cosine of two models' outputs over fresh inputs, computed here with onnxruntime (not by the product). */
async function outputCosine(a: string, b: string): Promise<number> {
  const [sa, sb] = [await ort.InferenceSession.create(a), await ort.InferenceSession.create(b)];
  const x = new ort.Tensor('float32', randomFloats(32 * 64, 99, 1), [32, 64]);
  const [ya, yb] = [(await sa.run({ input: x })).output!, (await sb.run({ input: x })).output!];
  await sa.release();
  await sb.release();
  return cosineSimilarity(ya.data as Float32Array, yb.data as Float32Array);
}

describe('onnx-studio tune', () => {
  let outcome: TuneJson;
  let out: string;
  beforeAll(async () => {
    out = path.join(tmp.dir, 'tuned.onnx');
    const r = await tune(out, '--min-cosine', '0.99', '--objective', 'size');
    expect(r.code, r.stderr).toBe(0);
    outcome = JSON.parse(r.stdout) as TuneJson;
  }, 120_000);

  it('writes a variant that meets the budget, checked with onnxruntime, and every trial beside it', async () => {
    expect(outcome.output).toBe(out);
    const chosen = outcome.trials[outcome.chosen!]!;
    expect(chosen.meetsBudget).toBe(true);
    expect(chosen.sizeRatio).toBeLessThan(0.97);
    expect(await outputCosine(files.model, out)).toBeGreaterThanOrEqual(0.99);
    const recorded = JSON.parse(fs.readFileSync(outcome.outcomeFile!, 'utf8')) as TuneJson;
    expect(recorded.trials.length).toBe(outcome.trials.length);
    expect(outcome.pareto).toContain(outcome.chosen);
    // Every other trial's variant was deleted as the search went; the skipped recipes say why.
    expect(outcome.trials.filter((t) => t.index !== outcome.chosen && t.variantId !== undefined)).toEqual([]);
    expect(outcome.notes.join('\n')).toMatch(/Not structured pruning: not without --allow-pruning/);
  });

  it('names the data it measured and calibrated on, in the JSON and the outcome file', () => {
    // A user test: nothing in the text, the JSON or OUT.tune.json named the data.
    const data = {
      evaluation: { name: 'data.npy', samples: 64 },
      calibration: { name: 'calib.npy', samples: 64 },
    };
    expect(outcome.data).toMatchObject(data);
    expect(outcome.data!.evaluation.sha256).not.toBe(outcome.data!.calibration!.sha256);
    const recorded = JSON.parse(fs.readFileSync(outcome.outcomeFile!, 'utf8')) as TuneJson;
    expect(recorded.data).toEqual(outcome.data);
    // The size objective's choice is benchmarked at the end (run-tune.ts, shared with the app).
    expect(outcome.trials[outcome.chosen!]!.p50Ratio).toBeGreaterThan(0);
  });

  it('an impossible budget writes nothing, names the closest trial and exits 3', async () => {
    const none = path.join(tmp.dir, 'none.onnx');
    const r = await tune(none, '--min-cosine', '0.99999', '--objective', 'size', '--max-trials', '1');
    expect(r.code, r.stderr).toBe(3);
    expect(fs.existsSync(none)).toBe(false);
    expect(fs.existsSync(path.join(tmp.dir, 'none.tune.json'))).toBe(false);
    const json = JSON.parse(r.stdout) as TuneJson;
    expect(json.output).toBeNull();
    expect(json.chosen).toBeUndefined();
    expect(json.closest).toBe(0);
    expect(json.stoppedBy).toBe('max-trials');
    // The JSON says why, in the words text mode prints.
    expect(json.message).toMatch(
      /^No variant meets the budget and beats the original: nothing was written\. /,
    );
    expect(json.message).toContain(`Closest: #0 ${json.trials[0]!.name}`);
    expect(json.message).toContain('Loosen the budget');
  }, 60_000);

  it('calibrates on the evaluation data without its labels file, so the recorded recipe does not ask for it', async () => {
    // A user test: `run` of such a recipe refused without the labels, calling them "the calibration data".
    // A sweep carries the calibration spec its trials quantize with (and record), as a local search passes it on.
    const labels = path.join(tmp.dir, 'class-labels.npy');
    const classes = BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 64));
    fs.writeFileSync(labels, encodeNpyArray(classes, 'int64', [64]));
    const dir = path.join(tmp.dir, 'calibrated-on-data');
    const r = await runCliInProcess([
      'tune',
      files.model,
      '--emit',
      'slurm',
      dir,
      '--data',
      files.data,
      '--labels',
      labels,
      '--max-accuracy-drop',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const sweep = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as {
      evaluation: { spec: { labels?: string } };
      calibration: { spec: { path: string; labels?: string } };
    };
    expect(sweep.evaluation.spec.labels).toBe('class-labels.npy');
    expect(sweep.calibration.spec.path).toBe(path.basename(files.data));
    expect(sweep.calibration.spec.labels).toBeUndefined();
  });

  it('tries the MatMul recipes on a model whose MatMuls are all inside If branches', async () => {
    // buildIfModel's main-graph MatMul becomes an Identity: the only MatMul left is in the then-branch.
    const model = buildIfModel({ batch: 2 });
    const main = model.graph!;
    main.node[0] = makeNode('Identity', ['input'], ['hidden'], { name: 'in_identity' });
    main.initializer = main.initializer.filter((t) => t.name !== 'in.weight');
    const file = path.join(tmp.dir, 'if-only.onnx');
    fs.writeFileSync(file, modelBytes(model));
    const r = await runCliInProcess([
      'tune',
      file,
      '-o',
      path.join(tmp.dir, 'if-only.tuned.onnx'),
      '--data',
      'synthetic',
      '--min-cosine',
      '0.5',
      '--objective',
      'size',
      '--max-trials',
      '1',
      '--iterations',
      '10',
      '--json',
    ]);
    expect(r.stderr).not.toContain('No recipe suits');
    // Synthetic data guessed the bool `cond`: said once as a warning before the search, and in the notes.
    expect(
      r.stderr.match(/warning: Synthetic data filled 'cond' \(bool\) with random true\/false/g),
    ).toHaveLength(1);
    expect((JSON.parse(r.stdout) as TuneJson).notes.join('\n')).toContain(
      "'cond' (bool) with random true/false",
    );
    // Its 4x4 weights are too small to shrink: the one trial runs and meets the budget, nothing beats the original.
    expect([0, 3], r.stderr).toContain(r.code);
    const trials = (JSON.parse(r.stdout) as TuneJson).trials;
    expect(trials.length).toBe(1);
    // Without the branches' MatMul counted, fp16 would be the only recipe left to try.
    expect(['int8-static', 'int8-dynamic', 'int4']).toContain(trials[0]!.recipe.method);
    expect(trials[0]!.status, trials[0]!.error).toBe('done');
  }, 60_000);

  it('refuses a missing or doubled budget, and an accuracy budget without labels, with exit 2', async () => {
    const o = path.join(tmp.dir, 'x.onnx');
    for (const flags of [
      [],
      ['--min-cosine', '0.9', '--max-accuracy-drop', '1'],
      ['--max-accuracy-drop', '0.5'],
    ]) {
      const r = await tune(o, ...flags);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/budget|labels/i);
    }
    const bad = await tune(o, '--min-cosine', '2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min-cosine');
    expect(fs.existsSync(o)).toBe(false);
  });
});

describe('onnx-studio tune whose every trial fails to run the model', () => {
  it('ends with that error (exit 2) and the flags that fix it, though each trial words it with its own step', async () => {
    // speech-gate frames its audio by 64 samples: with its 'samples' dim set to 100 no variant can run. The data
    // fits the declared inputs, so the check before the search passes and the trials fail one by one: one in
    // calibration, one in evaluation, both with onnxruntime's same reason.
    const speech = path.join(tmp.dir, 'speech-gate.onnx');
    fs.writeFileSync(speech, awkwardModelFiles()['speech-gate.onnx']!);
    const out = path.join(tmp.dir, 'speech-tuned.onnx');
    const r = await runCliInProcess([
      'tune',
      speech,
      '-o',
      out,
      '--data',
      'synthetic',
      '--min-cosine',
      '0.9',
      '--max-trials',
      '2',
      '--dim',
      'samples=100',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/onnx-studio: Every trial failed with the same error/);
    // The hint crossed the task process and the job manager.
    expect(r.stderr).toMatch(/Set them with --shape, --dim and --value/);
    expect(fs.existsSync(out)).toBe(false);
  }, 120_000);
});

describe('onnx-studio tune refuses, before any trial, what every trial would fail on (exit 2)', () => {
  /** Samples of 7 values for a model that takes 64. */
  let wrong: string;
  beforeAll(() => {
    wrong = path.join(tmp.dir, 'wrong.npy');
    fs.writeFileSync(wrong, encodeNpyArray(new Float32Array(5 * 7), 'float32', [5, 7]));
  });
  const refused = async (flag: string, ...args: string[]) => {
    const out = path.join(tmp.dir, 'refused.onnx');
    const r = await runCliInProcess(['tune', files.model, '-o', out, '--min-cosine', '0.9', ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`onnx-studio: ${flag}`);
    // Refused up front: no trial started.
    expect(r.stderr).not.toMatch(/#0 /);
    expect(fs.existsSync(out)).toBe(false);
    return r.stderr;
  };

  it('evaluation data that does not fit the model', async () => {
    const stderr = await refused(
      '--data does not fit the model',
      '--data',
      wrong,
      '--calib-data',
      files.calib,
    );
    expect(stderr).toContain("Input 'input'");
  }, 60_000);

  it('calibration data that does not fit the model', async () => {
    await refused('--calib-data does not fit the model', '--data', files.data, '--calib-data', wrong);
  }, 60_000);

  it('an execution provider this machine lacks', async () => {
    const missing = process.platform === 'win32' ? 'coreml' : 'dml';
    await refused(
      `The ${missing} execution provider is not available here`,
      '--data',
      files.data,
      '--ep',
      missing,
    );
  }, 60_000);

  it('a model onnxruntime cannot load, with the advice bench and quantize give', async () => {
    const custom = path.join(tmp.dir, 'custom-op.onnx');
    fs.writeFileSync(custom, modelBytes(buildCustomOpModel()));
    const out = path.join(tmp.dir, 'custom-tuned.onnx');
    const r = await runCliInProcess([
      'tune',
      custom,
      '-o',
      out,
      '--data',
      'synthetic',
      '--samples',
      '4',
      '--min-cosine',
      '0.99',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `onnx-studio: onnxruntime cannot load ${custom}: Fatal error: com.acme:FancyAct(-1) is not a registered function/op.`,
    );
    expect(r.stderr).toContain("FancyAct of domain 'com.acme', a custom operator onnxruntime does not know");
    // Refused up front: no trial started, and no temporary file is named.
    expect(r.stderr).not.toMatch(/trial #|#0 |[\\/]workspaces[\\/]/);
    expect(fs.existsSync(out)).toBe(false);
  }, 60_000);

  it('an existing OUT.tune.json without --force', async () => {
    const out = path.join(tmp.dir, 'kept.onnx');
    const outcome = path.join(tmp.dir, 'kept.tune.json');
    fs.writeFileSync(outcome, 'mine');
    const r = await runCliInProcess([
      'tune',
      files.model,
      '-o',
      out,
      '--data',
      files.data,
      '--min-cosine',
      '0.9',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `${outcome} already exists. Choose another output path or pass --force to replace it.`,
    );
    expect(fs.readFileSync(outcome, 'utf8')).toBe('mine');
  });

  it('an outcome file that is the --data spec, even with --force: refused, the spec kept', async () => {
    const spec = path.join(tmp.dir, 'spec-named.tune.json');
    const text = JSON.stringify({ kind: 'npy', path: files.data });
    fs.writeFileSync(spec, text);
    const r = await runCliInProcess([
      'tune',
      files.model,
      '-o',
      path.join(tmp.dir, 'spec-named.onnx'),
      '--data',
      spec,
      '--min-cosine',
      '0.9',
      '--force',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `The outcome file beside OUT (${spec}) is the --data file. ONNX Studio never overwrites`,
    );
    expect(fs.readFileSync(spec, 'utf8')).toBe(text);
  });

  it('an OUT in a folder that does not exist or cannot be written, before a search whose results it would lose', async () => {
    const out = path.join(tmp.dir, 'nodir', 'sub', 'tuned.onnx');
    const r = await runCliInProcess([
      'tune',
      files.model,
      '-o',
      out,
      '--data',
      files.data,
      '--min-cosine',
      '0.9',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `onnx-studio: Cannot write -o ${out}: the folder ${path.dirname(out)} does not exist. Choose an existing folder.`,
    );
    expect(r.stderr).not.toMatch(/trial #|#0 /);
    // A folder no file can be made in, whoever runs this (root writes anywhere a permission allows; /proc refuses).
    const readOnly = process.platform === 'linux' ? '/proc' : undefined;
    if (readOnly) {
      const denied = await runCliInProcess([
        'tune',
        files.model,
        '-o',
        path.join(readOnly, 'tuned.onnx'),
        '--data',
        files.data,
        '--min-cosine',
        '0.9',
      ]);
      expect(denied.code, denied.stderr).toBe(2);
      expect(denied.stderr).toMatch(
        /Cannot write -o \/proc\/tuned\.onnx: the folder \/proc cannot be written \(/,
      );
      expect(denied.stderr).not.toMatch(/trial #|#0 /);
    }
  });

  it('labels that do not fit the output, naming the flag tune has (its -o/--output is the variant file)', async () => {
    const labels = path.join(tmp.dir, 'vector-labels.npy');
    fs.writeFileSync(labels, encodeNpyArray(new Float32Array(64 * 3).fill(0.5), 'float32', [64, 3]));
    const r = await runCliInProcess([
      'tune',
      files.model,
      '-o',
      path.join(tmp.dir, 'labelled.onnx'),
      '--data',
      files.data,
      '--labels',
      labels,
      '--max-accuracy-drop',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'with labels of 3 values per sample; they must match. Give labels of 64 values per sample. Check --labels.',
    );
    expect(r.stderr).not.toContain('--output');
  }, 60_000);
});

describe('onnx-studio tune cancelled', () => {
  it('by a Ctrl+C before the search started (while the data was read): exit 130, no trial run', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await runCliInProcess(
      [
        'tune',
        files.model,
        '-o',
        path.join(tmp.dir, 'early-cancel.onnx'),
        '--data',
        files.data,
        '--min-cosine',
        '0.9',
        '--max-trials',
        '1',
        '--json',
      ],
      controller.signal,
    );
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(/trial #0/);
  }, 60_000);
});

describe('onnx-studio tune cancelled while the chosen variant is benchmarked', () => {
  it('prints the finished trials as any cancel does (exit 130), reports nothing as chosen and writes nothing', async () => {
    const { runCli } = await import('../main.js');
    const { PassThrough } = await import('node:stream');
    const controller = new AbortController();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const [out, err]: [Buffer[], Buffer[]] = [[], []];
    stdout.on('data', (c: Buffer) => out.push(c));
    // Ctrl+C while the last step (the size objective's benchmark of the choice, 100,000 runs) is running.
    stderr.on('data', (c: Buffer) => {
      err.push(c);
      if (/benchmark .* against the original/.test(c.toString('utf8')))
        setTimeout(() => controller.abort(), 500);
    });
    const written = path.join(tmp.dir, 'late-cancel.onnx');
    const code = await runCli(
      [
        'tune',
        files.model,
        '-o',
        written,
        '--data',
        files.data,
        '--min-cosine',
        '0.9',
        '--objective',
        'size',
        '--max-trials',
        '1',
        '--iterations',
        '100000',
        '--json',
      ],
      { stdout, stderr },
      controller.signal,
    );
    const errText = Buffer.concat(err).toString('utf8');
    expect(errText).toMatch(/benchmark .* against the original/);
    expect(code, errText).toBe(130);
    const json = JSON.parse(Buffer.concat(out).toString('utf8')) as TuneJson;
    expect(json.stoppedBy).toBe('cancelled');
    expect(json.trials).toHaveLength(1);
    expect(json.chosen).toBeUndefined();
    expect(json.output).toBeNull();
    expect(json.message).toBe(
      'The search was cancelled after 1 finished trial (above): nothing was written.',
    );
    expect(fs.existsSync(written)).toBe(false);
    expect(fs.existsSync(written.replace(/\.onnx$/, '.tune.json'))).toBe(false);
  }, 120_000);
});

describe('onnx-studio tune on a model with a bool output beside its float one', () => {
  it('budgets the float output’s cosine, and reports the bool output’s share of equal values on its own', async () => {
    // The outlier MLP, plus `positive = output > 0`: a bit flips wherever int8 moves a value across 0.
    const model = path.join(tmp.dir, 'with-bool.onnx');
    const proto = buildOutlierMlp();
    proto.graph!.initializer.push(makeFloatTensor('zero', [1], new Float32Array([0])));
    proto.graph!.node.push(makeNode('Greater', ['output', 'zero'], ['positive'], { name: 'positive_gt' }));
    proto.graph!.output.push(makeValueInfo('positive', TensorProto_DataType.BOOL, ['batch', 64]));
    fs.writeFileSync(model, modelBytes(proto));
    const r = await runCliInProcess([
      'tune',
      model,
      '-o',
      path.join(tmp.dir, 'with-bool-tuned.onnx'),
      '--data',
      files.data,
      '--calib-data',
      files.calib,
      '--min-cosine',
      '0.9',
      '--objective',
      'size',
      '--max-trials',
      '2',
      '--json',
    ]);
    expect([0, 3], r.stderr).toContain(r.code);
    const outcome = JSON.parse(r.stdout) as TuneJson;
    const done = outcome.trials.filter((t) => t.status === 'done');
    expect(done.length).toBeGreaterThan(0);
    for (const t of done) {
      expect(t.agreement).toBeGreaterThan(0.5);
      expect(t.agreement).toBeLessThanOrEqual(1);
    }
    expect(outcome.notes).toContain(
      "Output 'positive' is bool or integer, so compared value by value: Agreement is the share of its values equal to the original's (the lowest), and Cosine (with the cosine budget) covers the float outputs only.",
    );
  }, 120_000);
});
