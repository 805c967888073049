import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../main.js';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { DIGITS_FEATURES, twoOutputDigits } from '../../engine/testing/two-output-digits.js';

/* `onnx-studio eval` end to end, in process, through the CLI's own entry (runCli). */

const DIGITS = fileURLToPath(new URL('../../engine/testing/fixtures/digits/', import.meta.url));
const model = path.join(DIGITS, 'digits.onnx');
const inputs = path.join(DIGITS, 'test-inputs.npy');
const labels = path.join(DIGITS, 'test-labels.npy');
const measured = JSON.parse(fs.readFileSync(path.join(DIGITS, 'digits.json'), 'utf8')) as {
  accuracy: number;
  correct: number;
};

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/** Runs `onnx-studio eval ...` in process through the real CLI entry (flag parsing, exit codes). */
async function runEval(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await runCli(['eval', ...args], { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('onnx-studio eval', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(async () => {
    tmp = makeTempDir();
    const good = Buffer.alloc(64, 8);
    for (const c of ['0', '1']) {
      fs.mkdirSync(path.join(tmp.dir, 'imgs', c), { recursive: true });
      await sharp(good, { raw: { width: 8, height: 8, channels: 1 } })
        .png()
        .toFile(path.join(tmp.dir, 'imgs', c, 'a.png'));
    }
    fs.writeFileSync(path.join(tmp.dir, 'imgs', '1', 'b.png'), 'this is not a png');
    for (const c of ['0', '1']) {
      fs.mkdirSync(path.join(tmp.dir, 'good-imgs', c), { recursive: true });
      await sharp(good, { raw: { width: 8, height: 8, channels: 1 } })
        .png()
        .toFile(path.join(tmp.dir, 'good-imgs', c, 'a.png'));
    }
    fs.mkdirSync(path.join(tmp.dir, 'no-images', 'cats'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp.dir, 'wrong-shape.npy'),
      encodeNpyArray(new Float32Array(4 * 64), 'float32', [4, 64]),
    );
    fs.writeFileSync(
      path.join(tmp.dir, 'short-labels.npy'),
      encodeNpyArray(BigInt64Array.from([1n, 2n]), 'int64', [2]),
    );
    fs.writeFileSync(
      path.join(tmp.dir, 'spec.json'),
      JSON.stringify({ kind: 'npy', path: inputs, labels, limit: 20 }),
    );
    fs.writeFileSync(
      path.join(tmp.dir, 'bad-spec.json'),
      JSON.stringify({ kind: 'npy', path: inputs, normalize: true }),
    );
  });
  afterAll(() => tmp.cleanup());

  it('--json prints one object with the contract fields', async () => {
    const r = await runEval(model, '--data', inputs, '--labels', labels, '--reference', model, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of [
      'samples',
      'task',
      'seconds',
      'accuracy',
      'top5',
      'precision',
      'recall',
      'f1',
      'perClass',
      'confusion',
      'fidelity',
    ]) {
      expect(json).toHaveProperty(key);
    }
    expect(json.samples).toBe(360);
    expect(json.task).toBe('classification');
    expect(json.accuracy).toBe(measured.accuracy);
    expect(json.fidelity).toMatchObject({
      cosine: 1,
      sqnrDb: null,
      maxAbsErr: 0,
      meanAbsErr: 0,
      top1Agreement: 1,
    });
    // The shapes the figures were measured on: one 8x8 image per run.
    expect(json.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 1, 8, 8] }]);
  });

  it('--json carries how the images were read as data, saying which values were not given (imageReading)', async () => {
    // The app used to find the preprocessing by parsing `data`; now it reads this, and marks the guesses.
    const guessed = await runEval(model, '--data', path.join(tmp.dir, 'good-imgs'), '--json');
    expect(guessed.code).toBe(0);
    const all = JSON.parse(guessed.stdout) as { data: string; imageReading: unknown };
    expect(all.imageReading).toEqual({
      size: [8, 8],
      channels: 'gray',
      layout: 'nchw',
      resize: 'stretch',
      interpolation: 'bilinear',
      scale: 1 / 255,
      mean: [0],
      std: [1],
      dtype: 'float32',
      defaulted: {
        size: 'model',
        channels: 'model',
        layout: 'model',
        dtype: 'model',
        resize: 'default',
        interpolation: 'default',
        scale: 'default',
        mean: 'default',
        std: 'default',
      },
    });
    // The words are derived from it, and stay what they were.
    expect(all.data).toMatch(/\(2 images in 2 classes; 8x8 gray nchw, stretch \(bilinear\), scale 1\/255, mean 0, std 1, float32\)$/);
    const given = await runEval(
      model,
      ...['--data', path.join(tmp.dir, 'good-imgs'), '--size', '8', '--scale', '0.0625', '--resize', 'shorter-side-crop'],
      ...['--layout', 'nchw', '--mean', '0.5', '--json'],
    );
    expect(given.code).toBe(0);
    const some = JSON.parse(given.stdout) as { imageReading: Record<string, unknown> };
    expect(some.imageReading).toMatchObject({ size: [8, 8], resize: 'shorter-side-crop', cropFraction: 1, scale: 0.0625, mean: [0.5] });
    expect(some.imageReading.defaulted).toEqual({
      channels: 'model',
      dtype: 'model',
      cropFraction: 'default',
      interpolation: 'default',
      std: 'default',
    });
    // Other data has none.
    const npy = await runEval(model, '--data', inputs, '--labels', labels, '--samples', '4', '--json');
    expect(JSON.parse(npy.stdout)).not.toHaveProperty('imageReading');
  });

  it('prints readable tables by default', async () => {
    const r = await runEval(model, '--data', inputs, '--labels', labels);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Task\s+classification: labels are class indices and output 'logits'/);
    expect(r.stdout).toMatch(new RegExp(`Accuracy\\s+97\\.50% \\(${measured.correct}/360\\)`));
    expect(r.stdout).toMatch(/Confusion matrix/);
    expect(r.stdout).toMatch(/Class\s+Support\s+Predicted\s+Precision\s+Recall\s+F1/);
  });

  it('says under the figures which of two outputs it scored and why, with the --output that scores the other', async () => {
    const twoOutputs = await twoOutputDigits(tmp.dir);
    const r = await runEval(twoOutputs, '--data', inputs, '--labels', labels);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Accuracy\\s+97\\.50% \\(${measured.correct}/360\\)`));
    expect(r.stdout).toMatch(
      /F1 \(macro\) .*\nScored: output 'logits', not the first output '\/Flatten_output_0': 'logits' scores 10 classes, as labels 0 to 9 need, .*\(a guess\); --output \/Flatten_output_0 scores the first output\n/,
    );
    const json = JSON.parse((await runEval(twoOutputs, '--data', inputs, '--labels', labels, '--json')).stdout) as Record<string, unknown>;
    expect(json.output).toBe('logits');
    expect(json.notes).toContainEqual(expect.stringMatching(/^scored output 'logits', not the first output/));
    expect(json.scoredOutput).toEqual({
      reason: expect.stringMatching(/^output 'logits', not the first output .*\(a guess\)$/),
      cliHint: `--output ${DIGITS_FEATURES} scores the first output`,
    });
    // Said once, on the Scored line, not again among the notes.
    expect(r.stdout).not.toMatch(/Note: scored/);
    const asked = await runEval(twoOutputs, '--data', inputs, '--labels', labels, '--output', DIGITS_FEATURES);
    expect(asked.stdout).not.toMatch(/Scored:/);
  });

  it('reads a dataset spec and limits samples; regression with --task; fidelity-only on synthetic data', async () => {
    const spec = await runEval(model, '--data', path.join(tmp.dir, 'spec.json'), '--samples', '10', '--json');
    expect(spec.code).toBe(0);
    expect(JSON.parse(spec.stdout).samples).toBe(10);
    const synthetic = await runEval(
      model,
      '--data',
      'synthetic',
      '--samples',
      '5',
      '--seed',
      '3',
      '--reference',
      model,
      '--dim',
      'batch=1',
      '--json',
    );
    expect(synthetic.code).toBe(0);
    expect(JSON.parse(synthetic.stdout)).toMatchObject({
      samples: 5,
      task: 'none',
      fidelity: { exact: true },
    });
    const table = await runEval(model, '--data', 'synthetic', '--samples', '3', '--reference', model);
    expect(table.stdout).toMatch(
      /Fidelity against the reference:[\s\S]*logits\s+1\.000000\s+1\.000000\s+inf \(identical\)/,
    );
    // The guessed batch is said on stdout beside the figures it produced, not only as a stderr warning.
    expect(table.stdout).toMatch(/^Data {7}synthetic.*\nGuessed: dim 'batch' of input 'input' was guessed as 1 /m);
    expect(table.stderr).toMatch(/^warning: dim 'batch'/m);
  });

  const at = (name: string) => path.join(tmp.dir, name);
  const bad: [string, () => string[], RegExp][] = [
    ['a corrupt image', () => ['--data', at('imgs'), '--scale', '0.0625'], /Cannot decode image .*b\.png/],
    [
      'an npy with the wrong shape',
      () => ['--data', at('wrong-shape.npy')],
      /Input 'input': the model expects float32 \[batch, 1, 8, 8\], but wrong-shape\.npy has float32 samples of shape \[64\]/,
    ],
    [
      'labels shorter than the inputs',
      () => ['--data', inputs, '--labels', at('short-labels.npy')],
      /short-labels\.npy has 2 labels but test-inputs\.npy has 360 samples/,
    ],
    ['a folder with no images', () => ['--data', at('no-images')], /holds no images/],
    [
      'a spec with an unknown field',
      () => ['--data', at('bad-spec.json')],
      /bad-spec\.json is not a valid dataset spec: unknown key 'normalize'; it takes /,
    ],
    ['a missing data file', () => ['--data', at('nope.npy')], /No such file or folder/],
    [
      'an unknown task',
      () => ['--data', inputs, '--labels', labels, '--task', 'ranking'],
      /--task must be one of auto, classification, regression/,
    ],
    [
      'image flags on .npy data',
      () => ['--data', inputs, '--size', '8'],
      /--size does not apply to \.npy data/,
    ],
    [
      '--seed with real data',
      () => ['--data', inputs, '--seed', '1'],
      /--seed applies to --data synthetic only/,
    ],
    ['a bad --mean', () => ['--data', at('imgs'), '--mean', '1,2'], /--mean: give 1 or 3 values/],
    ['an unknown flag', () => ['--data', inputs, '--bogus'], /bogus/],
    ['no --data', () => [], /Missing --data/],
  ];
  it('leaves a sample whose input holds NaN out of the fidelity figures, and says so; exit 2 when every sample does', async () => {
    // Four digits, the second with one NaN pixel.
    const rows = new Float32Array(4 * 64).map((_, i) => (i % 17) / 16);
    rows[64 + 5] = NaN;
    fs.writeFileSync(at('nan.npy'), encodeNpyArray(rows, 'float32', [4, 1, 8, 8]));
    const r = await runEval(model, '--data', at('nan.npy'), '--reference', model);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/logits\s+1\.000000\s+1\.000000\s+inf \(identical\)/);
    expect(r.stdout).toContain(
      "Note: sample 1 of input 'input' holds NaN, so the reference's output 'logits' is NaN: the fidelity figures leave that sample out (nothing to compare with) and cover the other 3 samples.",
    );
    const json = JSON.parse(
      (await runEval(model, '--data', at('nan.npy'), '--reference', model, '--json')).stdout,
    );
    expect(json.fidelity).toMatchObject({ cosine: 1, leftOutSamples: 1 });
    fs.writeFileSync(
      at('all-nan.npy'),
      encodeNpyArray(new Float32Array(2 * 64).fill(NaN), 'float32', [2, 1, 8, 8]),
    );
    const none = await runEval(model, '--data', at('all-nan.npy'), '--reference', model);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/hold NaN or Inf for every sample .*nothing to compare with/);
  });

  for (const [what, args, message] of bad) {
    it(`exits 2 with one clear line for ${what}`, async () => {
      const r = await runEval(model, ...args(), '--json');
      expect(r.code).toBe(2);
      // --json: the one object on stdout is the error.
      expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(['error']);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
