import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { makeValueInfo } from '../onnx/graph-build.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import { DIGITS_FEATURES, twoOutputDigits } from '../testing/two-output-digits.js';
import { evaluateModel } from './evaluate-model.js';
import {
  chooseScoredOutput,
  declaredRole,
  isScoredOutputNote,
  runtimeRole,
  scoredOutputNote,
} from './scored-output.js';

const digits = tinyDigits();
const measured = JSON.parse(
  fs.readFileSync(path.join(path.dirname(digits.modelPath), 'digits.json'), 'utf8'),
) as { accuracy: number; correct: number };

/** The tiny digits test labels (int64 [360]), read from the end of their .npy. */
function digitLabels(): number[] {
  const y = fs.readFileSync(digits.labelsPath);
  const offset = y.length - 360 * 8;
  return Array.from({ length: 360 }, (_, i) => Number(y.readBigInt64LE(offset + i * 8)));
}

describe('chooseScoredOutput', () => {
  const need10 = { classes: 10, text: 'labels 0 to 9' };

  it('keeps the first output where it fits the labels, naming it where there are several', () => {
    expect(
      chooseScoredOutput(
        [
          { name: 'logits', classes: 10 },
          { name: 'emb', classes: 192 },
        ],
        need10,
      ),
    ).toEqual({
      output: 'logits',
      reason: "output 'logits', the first of 2 outputs: 'logits' scores 10 classes, as labels 0 to 9 need",
    });
    expect(chooseScoredOutput([{ name: 'logits', classes: 10 }], need10)).toEqual({ output: 'logits' });
  });

  it('scores the output that fits over a first output that only covers the labels, and says why', () => {
    const choice = chooseScoredOutput(
      [
        { name: 'emb', classes: 192 },
        { name: 'logits', classes: 10 },
      ],
      need10,
    );
    expect(choice.output).toBe('logits');
    expect(choice.reason).toBe(
      "output 'logits', not the first output 'emb': 'logits' scores 10 classes, as labels 0 to 9 need, and 'emb' " +
        'scores 192 classes (a guess)',
    );
    // The flag is the CLI's to say: tune's --output is its variant file, and the app has none.
    expect(choice.cliHint).toBe('--output emb scores the first output');
  });

  it('keeps the first of several outputs that fit, naming the --output that picks another', () => {
    const choice = chooseScoredOutput(
      [
        { name: 'logits', classes: 10 },
        { name: 'probs', classes: 10 },
      ],
      need10,
    );
    expect(choice.output).toBe('logits');
    expect(choice.reason).toBe(
      "output 'logits', the first of the outputs that fit labels 0 to 9 ('logits' scores 10 classes, 'probs' scores 10 classes)",
    );
    expect(choice.cliHint).toBe('--output probs scores the other');
    // A predicted-class output fits too: a scikit-learn classifier keeps its `label` output.
    expect(
      chooseScoredOutput(
        [
          { name: 'label', classIndex: true },
          { name: 'probabilities', classes: 10 },
        ],
        need10,
      ).output,
    ).toBe('label');
  });

  it('takes an output named like class scores when none fits, so that labels past its classes are refused with its name', () => {
    const choice = chooseScoredOutput(
      [
        { name: 'features', classes: 256 },
        { name: 'logits', classes: 10 },
      ],
      {
        classes: 13,
        text: 'labels 0 to 12',
      },
    );
    expect(choice).toEqual({
      output: 'logits',
      reason:
        "output 'logits', not the first output 'features': 'logits' scores 10 classes and its name says class scores (no output " +
        "scores as many classes as labels 0 to 12 need), and 'features' scores 256 classes (a guess)",
      cliHint: '--output features scores the first output',
    });
  });

  it('takes an output that scores enough classes when none scores exactly as many, else the first', () => {
    expect(chooseScoredOutput([{ name: 'box' }, { name: 'head', classes: 1000 }], need10)).toMatchObject({
      output: 'head',
      reason: expect.stringMatching(
        /'head' scores 1000 classes, enough for labels 0 to 9, and 'box' is not class scores/,
      ),
    });
    expect(
      chooseScoredOutput(
        [
          { name: 'a', classes: 4 },
          { name: 'b', unknown: true },
        ],
        need10,
      ),
    ).toEqual({ output: 'a' });
    expect(isScoredOutputNote(scoredOutputNote("output 'a', the first of 2 outputs: ..."))).toBe(true);
  });

  it('reads roles from declared shapes (an open batch is fed as 1) and from run outputs', () => {
    expect(declaredRole('logits', makeValueInfo('logits', DT.FLOAT, ['batch', 10]).type)).toEqual({
      name: 'logits',
      classes: 10,
    });
    expect(declaredRole('f', makeValueInfo('f', DT.FLOAT, ['batch', null]).type)).toEqual({
      name: 'f',
      unknown: true,
    });
    expect(declaredRole('label', makeValueInfo('label', DT.INT64, ['batch']).type)).toEqual({
      name: 'label',
      classIndex: true,
    });
    expect(runtimeRole('map', 'float32', [1, 21, 8, 8])).toEqual({ name: 'map' });
  });
});

describe('evaluating a model of two outputs', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let featuresFirst: string;
  beforeAll(async () => {
    tmp = makeTempDir();
    featuresFirst = await twoOutputDigits(tmp.dir);
  });
  afterAll(() => tmp.cleanup());
  const data = () => ({ kind: 'npy' as const, path: digits.inputsPath, labels: digits.labelsPath });

  it('scores the output that fits the labels, not the first, and says which and why', async () => {
    const r = await evaluateModel({ model: featuresFirst, data: data() });
    expect(r.output).toBe('logits');
    expect(r.correct).toBe(measured.correct);
    expect(r.accuracy).toBe(measured.accuracy);
    expect(r.notes).toContain(
      `scored output 'logits', not the first output '${DIGITS_FEATURES}': 'logits' scores 10 classes, as labels 0 to 9 need, ` +
        `and '${DIGITS_FEATURES}' scores 256 classes (a guess)`,
    );
    expect(r.scoredOutput?.cliHint).toBe(`--output ${DIGITS_FEATURES} scores the first output`);
    // --output scores the output named, as asked: nothing to choose, nothing said.
    const asked = await evaluateModel({ model: featuresFirst, data: data(), output: DIGITS_FEATURES });
    expect(asked.output).toBe(DIGITS_FEATURES);
    expect(asked.notes.filter(isScoredOutputNote)).toEqual([]);
    expect(asked.accuracy!).toBeLessThan(0.5);
    // logits first: the first output fits, as before, and is named (the model has two).
    const logitsFirst = await evaluateModel({
      model: await twoOutputDigits(tmp.dir, { featuresFirst: false }),
      data: data(),
    });
    expect(logitsFirst).toMatchObject({ output: 'logits', correct: measured.correct });
    expect(logitsFirst.notes.filter(isScoredOutputNote)).toEqual([
      `scored output 'logits', the first of 2 outputs: 'logits' scores 10 classes, as labels 0 to 9 need`,
    ]);
  });

  it('reads one-hot label rows as class ids, with a note; --task regression reads them as targets', async () => {
    const labels = digitLabels();
    const oneHot = path.join(tmp.dir, 'one-hot.npy');
    const rows = new Float32Array(360 * 10);
    labels.forEach((label, i) => (rows[i * 10 + label] = 1));
    fs.writeFileSync(oneHot, encodeNpyArray(rows, 'float32', [360, 10]));
    const spec = { kind: 'npy' as const, path: digits.inputsPath, labels: oneHot };

    const r = await evaluateModel({ model: featuresFirst, data: spec });
    expect(r).toMatchObject({ task: 'classification', output: 'logits', correct: measured.correct });
    expect(r.taskReason).toMatch(
      /^classification: labels are one-hot rows of 10, read as class indices, and output 'logits'/,
    );
    expect(r.notes).toContain(
      "one-hot.npy holds one-hot rows of 10: read as class ids 0 to 9 (the position of each row's 1); --task regression compares them as 10-value targets",
    );
    expect(r.notes.find(isScoredOutputNote)).toMatch(/as one-hot rows of 10 need/);

    const targets = await evaluateModel({ model: digits.modelPath, data: spec, task: 'regression' });
    expect(targets.task).toBe('regression');
    expect(targets.mae).toBeGreaterThan(0);

    // Rows of 12 beside an output of 10 classes: neither reading fits, and the message says which is which.
    const wide = path.join(tmp.dir, 'one-hot-12.npy');
    const rows12 = new Float32Array(360 * 12);
    labels.forEach((label, i) => (rows12[i * 12 + label] = 1));
    fs.writeFileSync(wide, encodeNpyArray(rows12, 'float32', [360, 12]));
    const error = await evaluateModel({ model: digits.modelPath, data: { ...spec, labels: wide } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toBe(
      "one-hot-12.npy holds one-hot rows of 12, but output 'logits' scores 10 classes: give one class id per sample, or rows of 10.",
    );
  });
});
