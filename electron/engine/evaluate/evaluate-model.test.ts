import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { openDataset } from '../datasets/open-dataset.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { loadModel } from '../onnx/load-model.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { resolveInputSpecs } from '../runtime/input-specs.js';
import { makeModel, randomFloats } from '../testing/model-fixtures.js';
import { buildCustomOpModel } from '../testing/awkward-models.js';
import { buildKvCacheLayers } from '../testing/kv-cache-layers.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { evaluateModel } from './evaluate-model.js';

const DIGITS = fileURLToPath(new URL('../testing/fixtures/digits/', import.meta.url));
const digitsModel = path.join(DIGITS, 'digits.onnx');
const digitsInputs = path.join(DIGITS, 'test-inputs.npy');
const digitsLabels = path.join(DIGITS, 'test-labels.npy');

interface TrainingReport {
  samples: number;
  correct: number;
  accuracy: number;
  top5: number;
  precision: number;
  recall: number;
  f1: number;
  perClass: { class: number; support: number; precision: number; recall: number; f1: number }[];
  confusion: number[][];
}
const measured = JSON.parse(fs.readFileSync(path.join(DIGITS, 'digits.json'), 'utf8')) as TrainingReport;

async function expectError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StudioError);
  expect((error as StudioError).code).toBe(code);
  expect((error as StudioError).message).toMatch(message);
}

/** The held-out split: 360 rows of 64 float32 values k/16, and their digits. */
function heldOut(): { rows: Float32Array[]; labels: number[] } {
  const x = fs.readFileSync(digitsInputs);
  const y = fs.readFileSync(digitsLabels);
  const xOffset = x.length - 360 * 64 * 4;
  const yOffset = y.length - 360 * 8;
  const rows = Array.from(
    { length: 360 },
    (_, i) =>
      new Float32Array(
        x.buffer.slice(x.byteOffset + xOffset + i * 256, x.byteOffset + xOffset + (i + 1) * 256),
      ),
  );
  const labels = Array.from({ length: 360 }, (_, i) => Number(y.readBigInt64LE(yOffset + i * 8)));
  return { rows, labels };
}

describe('the trained digits classifier', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let images: string;
  let order: number[];
  const { rows, labels } = heldOut();

  beforeAll(async () => {
    tmp = makeTempDir();
    images = path.join(tmp.dir, 'digits');
    // One 8-bit gray PNG per held-out sample, pixel = 16 * value (the original 0..16 scale), in a folder per digit.
    await Promise.all(
      rows.map(async (row, i) => {
        const dir = path.join(images, String(labels[i]));
        fs.mkdirSync(dir, { recursive: true });
        const pixels = Buffer.from(Array.from(row, (v) => v * 16));
        await sharp(pixels, { raw: { width: 8, height: 8, channels: 1 } })
          .png()
          .toFile(path.join(dir, `${String(i).padStart(3, '0')}.png`));
      }),
    );
    // Image folders are read class by class, files sorted by name.
    order = Array.from({ length: 360 }, (_, i) => i).sort((a, b) => labels[a]! - labels[b]! || a - b);
  });
  afterAll(() => tmp.cleanup());

  it('reproduces the accuracy and scikit-learn metrics the training script measured, from .npy', async () => {
    const r = await evaluateModel({
      model: digitsModel,
      data: { kind: 'npy', path: digitsInputs, labels: digitsLabels },
    });
    expect(r.samples).toBe(measured.samples);
    expect(r.task).toBe('classification');
    expect(r.correct).toBe(measured.correct);
    expect(Math.abs(r.accuracy! - measured.accuracy)).toBeLessThan(1e-9);
    expect(Math.abs(r.top5! - measured.top5)).toBeLessThan(1e-9);
    expect(Math.abs(r.precision! - measured.precision)).toBeLessThan(1e-12);
    expect(Math.abs(r.recall! - measured.recall)).toBeLessThan(1e-12);
    expect(Math.abs(r.f1! - measured.f1)).toBeLessThan(1e-12);
    expect(r.confusion).toEqual(measured.confusion);
    r.perClass!.forEach((c, i) => {
      const m = measured.perClass[i]!;
      expect(c.class).toBe(m.class);
      expect(c.support).toBe(m.support);
      for (const key of ['precision', 'recall', 'f1'] as const)
        expect(Math.abs(c[key] - m[key])).toBeLessThan(1e-12);
    });
  });

  it('turns PNGs of the same split into bit-identical tensors', async () => {
    const { inputs } = resolveInputSpecs((await loadModel(digitsModel)).proto);
    const source = await openDataset(
      { kind: 'images', path: images, preprocessing: { scale: 1 / 16 } },
      inputs,
    );
    expect(source.describe()).toMatch(
      /360 images in 10 classes; 8x8 gray nchw, stretch \(bilinear\), scale 0\.0625/,
    );
    let n = 0;
    for await (const sample of source.samples()) {
      const i = order[sample.index]!;
      expect(sample.label).toBe(labels[i]);
      const t = sample.inputs.input!;
      expect(t.dims).toEqual([1, 1, 8, 8]);
      expect(Buffer.from((t.data as Float32Array).buffer).equals(Buffer.from(rows[i]!.buffer))).toBe(true);
      n++;
    }
    expect(n).toBe(360);
  });

  it('reproduces the accuracy from the image folder', async () => {
    const r = await evaluateModel({
      model: digitsModel,
      data: { kind: 'images', path: images, preprocessing: { scale: 0.0625 } },
    });
    expect(r.correct).toBe(measured.correct);
    expect(Math.abs(r.accuracy! - measured.accuracy)).toBeLessThan(1e-9);
    expect(Math.abs(r.f1! - measured.f1)).toBeLessThan(1e-12);
    expect(r.perClass!.map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Which folder is which class, beside the accuracy that rests on it.
    expect(r.notes).toContain(
      'class folders read as class ids in numeric order of their names: 0 → 0, 1 → 1, 2 → 2, 3 → 3, 4 → 4, ..., 9 → 9',
    );
  });

  it('measures fidelity against a reference, with and without labels', async () => {
    // A variant: the classifier's bias shifted by 0.05 per class (class k: +0.05 k).
    const model = await loadModel(digitsModel);
    const gemm = model.proto.graph!.node.find((n) => n.opType === 'Gemm')!;
    const bias = model.proto.graph!.initializer.find((t) => t.name === gemm.input[2])!;
    const values = decodeToFloat32(bias).map((v, k) => v + 0.05 * k);
    Object.assign(bias, makeFloatTensor(bias.name, [10], values));
    const variant = path.join(tmp.dir, 'variant.onnx');
    fs.writeFileSync(variant, toBinary(ModelProtoSchema, model.proto));

    const r = await evaluateModel({
      model: variant,
      reference: digitsModel,
      data: { kind: 'npy', path: digitsInputs },
      limit: 50,
    });
    expect(r.task).toBe('none');
    expect(r.samples).toBe(50);
    expect(r.notes.join('\n')).not.toMatch(/samples asked/);
    // Independent arithmetic: the outputs differ by exactly the bias shift.
    const shift = Array.from({ length: 10 }, (_, k) => Math.fround(0.05 * k));
    const a = await ort.InferenceSession.create(digitsModel);
    let refSq = 0;
    let errSq = 0;
    let agree = 0;
    let maxAbs = 0;
    for (let i = 0; i < 50; i++) {
      const out = (await a.run({ input: new ort.Tensor('float32', rows[i]!, [1, 1, 8, 8]) })).logits!
        .data as Float32Array;
      const shifted = Array.from(out, (v, k) => Math.fround(v + shift[k]!));
      out.forEach((v, k) => {
        refSq += v * v;
        errSq += (shifted[k]! - v) ** 2;
        maxAbs = Math.max(maxAbs, Math.abs(shifted[k]! - v));
      });
      if (shifted.indexOf(Math.max(...shifted)) === Array.from(out).indexOf(Math.max(...out))) agree++;
    }
    const f = r.fidelity!;
    expect(f.output).toBe('logits');
    expect(f.sqnrDb!).toBeCloseTo(10 * Math.log10(refSq / errSq), 3);
    expect(f.maxAbsErr).toBeCloseTo(maxAbs, 5);
    expect(f.top1Agreement).toBe(agree / 50);
    expect(f.cosine).toBeGreaterThan(0.99);
    expect(f.cosine).toBeLessThan(1);
    expect(f.exact).toBe(false);

    const both = await evaluateModel({
      model: digitsModel,
      reference: digitsModel,
      data: { kind: 'npy', path: digitsInputs, labels: digitsLabels },
    });
    expect(both.correct).toBe(measured.correct);
    expect(both.fidelity).toMatchObject({
      cosine: 1,
      sqnrDb: null,
      maxAbsErr: 0,
      top1Agreement: 1,
      exact: true,
    });
    expect(both.timing.referenceMs).toBeGreaterThan(0);
  });

  it('says when more samples were asked than the data holds, and uses them all', async () => {
    const r = await evaluateModel({
      model: digitsModel,
      reference: digitsModel,
      data: { kind: 'npy', path: digitsInputs },
      limit: 100_000,
    });
    expect(r.notes).toContain(`100000 samples asked, the data has ${r.samples}: all ${r.samples} used.`);
    // The spec's own limit, as the CLI's --samples and the app's form give it, says the same.
    const bySpec = await evaluateModel({
      model: digitsModel,
      reference: digitsModel,
      data: { kind: 'npy', path: digitsInputs, limit: 5000 },
    });
    expect(bySpec.notes).toContain(
      `5000 samples asked, the data has ${bySpec.samples}: all ${bySpec.samples} used.`,
    );
  });

  it('refuses data it cannot measure, and labels outside the output', async () => {
    await expectError(
      evaluateModel({ model: digitsModel, data: { kind: 'npy', path: digitsInputs } }),
      'BAD_REQUEST',
      /Nothing to measure: .* has no labels and no --reference was given/,
    );
    const bad = path.join(tmp.dir, 'labels-12.npy');
    fs.writeFileSync(
      bad,
      encodeNpyArray(
        BigInt64Array.from({ length: 360 }, (_, i) => BigInt(i === 3 ? 12 : 0)),
        'int64',
        [360],
      ),
    );
    await expectError(
      evaluateModel({ model: digitsModel, data: { kind: 'npy', path: digitsInputs, labels: bad } }),
      'BAD_REQUEST',
      /Sample 3: label 12 is not a class index of output 'logits' \(0 to 9\)/,
    );
    const many = path.join(tmp.dir, 'many');
    const png = path.join(images, '0', fs.readdirSync(path.join(images, '0'))[0]!);
    for (let c = 0; c < 11; c++) {
      const dir = path.join(many, `c${String(c).padStart(2, '0')}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(png, path.join(dir, 'a.png'));
    }
    await expectError(
      evaluateModel({
        model: digitsModel,
        data: { kind: 'images', path: many, preprocessing: { scale: 1 / 16 } },
      }),
      'BAD_REQUEST',
      /has 11 classes .* scores only 10\.$/,
    );
    // The ten digit folders and an empty one: the empty folder takes class 10, and the message names it.
    const padded = path.join(tmp.dir, 'padded');
    for (let c = 0; c < 10; c++) {
      fs.mkdirSync(path.join(padded, String(c)), { recursive: true });
      fs.copyFileSync(png, path.join(padded, String(c), 'a.png'));
    }
    fs.mkdirSync(path.join(padded, 'z_extra'));
    await expectError(
      evaluateModel({
        model: digitsModel,
        data: { kind: 'images', path: padded, preprocessing: { scale: 1 / 16 } },
      }),
      'BAD_REQUEST',
      /scores only 10\. Class folder z_extra \(class 10\) holds no images but still takes a class id: remove it/,
    );
    // Fewer folders than scores are read as the first classes, and that is said beside the accuracy.
    const two = path.join(tmp.dir, 'two');
    for (const c of ['0', '1']) {
      fs.mkdirSync(path.join(two, c), { recursive: true });
      fs.copyFileSync(png, path.join(two, c, 'a.png'));
    }
    const few = await evaluateModel({
      model: digitsModel,
      data: { kind: 'images', path: two, preprocessing: { scale: 1 / 16 } },
    });
    expect(few.notes.join('\n')).toMatch(
      /the data has 2 classes \(0, 1\), read as classes 0-1 of the 10 that output 'logits' scores/,
    );
    await expectError(
      evaluateModel({
        model: digitsModel,
        data: { kind: 'synthetic', samples: 2, seed: 0 },
        task: 'classification',
        reference: digitsModel,
      }),
      'BAD_REQUEST',
      /--task classification needs labels/,
    );
  });
});

describe('evaluation on small built models', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  const save = (name: string, graph: Parameters<typeof makeModel>[0]) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, toBinary(ModelProtoSchema, makeModel(graph)));
    return file;
  };

  it('computes regression metrics against float labels', async () => {
    // y = x . [1, 2, 3]
    const model = save(
      'linear.onnx',
      create(GraphProtoSchema, {
        name: 'linear',
        input: [makeValueInfo('x', DT.FLOAT, ['batch', 3])],
        output: [makeValueInfo('y', DT.FLOAT, ['batch', 1])],
        initializer: [makeFloatTensor('w', [3, 1], [1, 2, 3])],
        node: [makeNode('MatMul', ['x', 'w'], ['y'])],
      }),
    );
    const x = path.join(tmp.dir, 'x.npy');
    fs.writeFileSync(x, encodeNpyArray(Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), 'float32', [3, 3])); // y = 1, 2, 3
    const t = path.join(tmp.dir, 't.npy');
    fs.writeFileSync(t, encodeNpyArray(Float64Array.from([1.5, 2, 1]), 'float64', [3]));
    const r = await evaluateModel({ model, data: { kind: 'npy', path: x, labels: t } });
    expect(r.task).toBe('regression');
    expect(r.taskReason).toMatch(
      /^regression: labels are not whole numbers; output 'y' \(float32 \[1, 1\]\)/,
    );
    expect(r.mae).toBeCloseTo(2.5 / 3, 12);
    expect(r.mse).toBeCloseTo(4.25 / 3, 12);
    expect(r.rmse).toBeCloseTo(Math.sqrt(4.25 / 3), 12);
    expect(r.accuracy).toBeUndefined();
  });

  it('feeds a float16 variant the sample rounded to float16 and its float32 reference the sample as it is', async () => {
    const reference = save(
      'ref.onnx',
      create(GraphProtoSchema, {
        name: 'ref',
        input: [makeValueInfo('x', DT.FLOAT, ['batch', 4])],
        output: [
          makeValueInfo('scores', DT.FLOAT, ['batch', 4]),
          makeValueInfo('relu', DT.FLOAT, ['batch', 4]),
        ],
        node: [makeNode('Identity', ['x'], ['scores']), makeNode('Relu', ['x'], ['relu'])],
      }),
    );
    const half = save(
      'half.onnx',
      create(GraphProtoSchema, {
        name: 'half',
        input: [makeValueInfo('x', DT.FLOAT16, ['batch', 4])],
        output: [
          makeValueInfo('scores', DT.FLOAT, ['batch', 4]),
          makeValueInfo('relu', DT.FLOAT, ['batch', 4]),
        ],
        node: [
          makeNode('Cast', ['x'], ['scores'], { attributes: { to: { int: DT.FLOAT } } }),
          makeNode('Relu', ['scores'], ['relu']),
        ],
      }),
    );
    const progress: number[] = [];
    const r = await evaluateModel({
      model: half,
      reference,
      data: { kind: 'synthetic', samples: 20, seed: 4 },
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(r.output).toBe('scores');
    // The data is read as float32 and rounded for the variant alone: its outputs differ from the reference's by
    // float16's rounding of the inputs (at most 2^-11 relative), which is what the variant does to float32 data.
    expect(r.fidelity).toMatchObject({ output: 'scores', exact: false, top1Agreement: 1 });
    for (const o of r.fidelity!.outputs!) {
      expect(o.cosine).toBeGreaterThan(0.999999);
      expect(o.maxAbsErr).toBeGreaterThan(0);
      expect(o.maxAbsErr).toBeLessThan(4 * 2 ** -11);
    }
    expect(r.fidelity!.outputs!.map((o) => o.output)).toEqual(['scores', 'relu']);
    expect(r.inputs).toEqual([{ name: 'x', dtype: 'float16', shape: [1, 4] }]);
    // Data beyond float16's range: the variant is fed Inf and said to be, the reference the values as they are.
    const big = path.join(tmp.dir, 'big.npy');
    fs.writeFileSync(
      big,
      encodeNpyArray(Float32Array.from([1, 2, 3, 1e5, 0.5, 0.5, 0.5, 0.5]), 'float32', [2, 4]),
    );
    const beyond = await evaluateModel({ model: half, reference, data: { kind: 'npy', path: big } });
    expect(beyond.notes).toContain(
      "1 value of the data lies beyond float16's range (±65504; the first at sample 0, input 'x'): the model's float16 " +
        'input was fed it as Inf, the reference as it is. Scale the data into range, or keep float32 inputs (quantize ' +
        '--method fp16 keeps them unless --no-keep-io-types).',
    );
    expect(beyond.notes.join('\n')).not.toMatch(/reference's outputs hold NaN/);
    expect(r.notes.join()).toMatch(
      /dim 'batch' of input 'x' was guessed as 1 \(batch: one sample per run\) because nothing set it/,
    );
  });

  it('measures top-1 agreement per position over the last axis, and none for an integer output or a feature map', async () => {
    // A token classifier: x [1, 6, 4] -> logits [1, 6, 3] (scores per token), pred = ArgMax [1, 6] (int64 class
    // ids), fm [1, 1, 6, 4] (a feature map) and pooled [1, 3] (one score vector per sample).
    const tokenNet = (name: string, seed: number) =>
      save(
        `${name}.onnx`,
        create(GraphProtoSchema, {
          name,
          input: [makeValueInfo('x', DT.FLOAT, [1, 6, 4])],
          output: [
            makeValueInfo('logits', DT.FLOAT, [1, 6, 3]),
            makeValueInfo('pred', DT.INT64, [1, 6]),
            makeValueInfo('fm', DT.FLOAT, [1, 1, 6, 4]),
            makeValueInfo('pooled', DT.FLOAT, [1, 3]),
            makeValueInfo('hidden', DT.FLOAT, [1, 6, 3]),
          ],
          initializer: [
            makeFloatTensor('w', [4, 3], Array.from(randomFloats(12, seed))),
            makeInt64Tensor('fm_shape', [4], [1, 1, 6, 4]),
          ],
          node: [
            makeNode('MatMul', ['x', 'w'], ['logits']),
            makeNode('ArgMax', ['logits'], ['pred'], {
              attributes: { axis: { int: -1 }, keepdims: { int: 0 } },
            }),
            makeNode('Reshape', ['x', 'fm_shape'], ['fm']),
            makeNode('ReduceMean', ['logits'], ['pooled'], {
              attributes: { axes: { ints: [1] }, keepdims: { int: 0 } },
            }),
            makeNode('Relu', ['logits'], ['hidden']),
          ],
        }),
      );
    const reference = tokenNet('tokens', 1);
    // The variant's weights: the reference's, nudged enough to flip some tokens' classes.
    const variantWeights = Array.from(randomFloats(12, 1), (v, i) => v + 0.3 * randomFloats(12, 2)[i]!);
    const variant = save(
      'tokens-variant.onnx',
      create(GraphProtoSchema, {
        ...(await loadModel(reference)).proto.graph!,
        initializer: [
          makeFloatTensor('w', [4, 3], variantWeights),
          makeInt64Tensor('fm_shape', [4], [1, 1, 6, 4]),
        ],
      }),
    );
    const samples = 20;
    const xs = randomFloats(samples * 6 * 4, 3);
    const x = path.join(tmp.dir, 'tokens-x.npy');
    fs.writeFileSync(x, encodeNpyArray(xs, 'float32', [samples, 6, 4]));

    // Independently: run both models and compare the class of every token.
    const [a, b] = await Promise.all([
      ort.InferenceSession.create(variant),
      ort.InferenceSession.create(reference),
    ]);
    let agree = 0;
    for (let i = 0; i < samples; i++) {
      const feed = { x: new ort.Tensor('float32', xs.slice(i * 24, (i + 1) * 24), [1, 6, 4]) };
      const [pa, pb] = [(await a.run(feed)).pred!.data, (await b.run(feed)).pred!.data] as BigInt64Array[];
      pa!.forEach((c, t) => (agree += c === pb![t] ? 1 : 0));
    }
    expect(agree).toBeGreaterThan(samples * 6 * 0.5);
    expect(agree).toBeLessThan(samples * 6);

    const r = await evaluateModel({ model: variant, reference, data: { kind: 'npy', path: x } });
    const by = new Map(r.fidelity!.outputs!.map((o) => [o.output, o]));
    // Per token: the argmax over the last axis at each of the 6 positions of every sample.
    expect(by.get('logits')).toMatchObject({
      top1Agreement: agree / (samples * 6),
      top1Positions: samples * 6,
      valueAgreement: null,
    });
    // Class ids: no argmax over them; their share of equal values is the figure (the same tokens agree).
    expect(by.get('pred')).toMatchObject({ top1Agreement: null, valueAgreement: agree / (samples * 6) });
    expect(by.get('pred')!.top1Positions).toBeUndefined();
    // A feature map's last axis is not classes: none, and a note says why.
    expect(by.get('fm')!.top1Agreement).toBeNull();
    expect(r.notes).toContain(
      "output 'fm' ([1, 1, 6, 4]) has no top-1 agreement: with 4 or more dims it is taken for a feature map, whose last axis is not classes.",
    );
    // The same shape under a name that does not say scores may be an encoder's hidden states, whose argmax
    // over features means nothing: compared by cosine, and a note says why.
    expect(by.get('hidden')!.top1Agreement).toBeNull();
    expect(r.notes.join('\n')).toContain(
      "output 'hidden' ([1, 6, 3]) has no top-1 agreement: its name does not say class scores",
    );
    // One score vector per sample: per sample, as before.
    expect(by.get('pooled')!.top1Agreement).not.toBeNull();
    expect(by.get('pooled')!.top1Positions).toBeUndefined();
  });

  it("names a decoder's cache outputs with no top-1 agreement as one group in the note, not each", async () => {
    const model = path.join(tmp.dir, 'decoder_with_past_model.onnx');
    fs.writeFileSync(model, toBinary(ModelProtoSchema, buildKvCacheLayers(4)));
    const r = await evaluateModel({
      model,
      reference: model,
      data: { kind: 'synthetic', samples: 2, seed: 0 },
    });
    // A past of 0 and 128 new tokens: every cache output is [1, 2, 128, 8].
    expect(r.notes.filter((n) => n.includes('no top-1 agreement'))).toEqual([
      'outputs present.0..3.key/value (8 outputs, each [1, 2, 128, 8]) have no top-1 agreement; for each, the ' +
        'same reason: a KV cache output: its values are compared, not argmaxed.',
    ]);
    // The report still has each output's figures.
    expect(r.fidelity!.outputs!.map((o) => o.output)).toHaveLength(9);
  });

  it('leaves a sample the reference gives NaN for out of every figure, says so, and gives the same figures as without it', async () => {
    // y = x * w; the variant's w is nudged. Sample 2 of x holds a NaN.
    const scaled = (name: string, seed: number) =>
      save(
        `${name}.onnx`,
        create(GraphProtoSchema, {
          name,
          input: [makeValueInfo('x', DT.FLOAT, [1, 8])],
          output: [makeValueInfo('y', DT.FLOAT, [1, 8])],
          initializer: [
            makeFloatTensor(
              'w',
              [8],
              Array.from(randomFloats(8, seed), (v) => 1 + 0.1 * v),
            ),
          ],
          node: [makeNode('Mul', ['x', 'w'], ['y'])],
        }),
      );
    const reference = scaled('scale-ref', 5);
    const variant = scaled('scale-variant', 6);
    const clean = randomFloats(6 * 8, 7);
    const withNaN = Float32Array.from(clean);
    withNaN[2 * 8 + 3] = NaN;
    const nanFile = path.join(tmp.dir, 'x-nan.npy');
    fs.writeFileSync(nanFile, encodeNpyArray(withNaN, 'float32', [6, 8]));
    const without = path.join(tmp.dir, 'x-without-2.npy');
    fs.writeFileSync(
      without,
      encodeNpyArray(Float32Array.from([...clean.slice(0, 16), ...clean.slice(24)]), 'float32', [5, 8]),
    );

    const r = await evaluateModel({ model: variant, reference, data: { kind: 'npy', path: nanFile } });
    expect(r.samples).toBe(6);
    expect(r.notes).toContain(
      "sample 2 of input 'x' holds NaN, so the reference's output 'y' is NaN: the fidelity figures leave that sample out (nothing to compare with) and cover the other 5 samples.",
    );
    const { leftOutSamples, ...figures } = r.fidelity!;
    expect(leftOutSamples).toBe(1);
    expect(Number.isFinite(figures.cosine)).toBe(true);
    // Cosine, worst cosine, SQNR, errors and top-1 alike: those of the data without that sample.
    const reference5 = await evaluateModel({
      model: variant,
      reference,
      data: { kind: 'npy', path: without },
    });
    expect(figures).toEqual(reference5.fidelity);
    expect(reference5.fidelity!.leftOutSamples).toBeUndefined();

    // Nothing left to compare: an error that says why, not figures of no sample.
    const allNaN = path.join(tmp.dir, 'x-all-nan.npy');
    fs.writeFileSync(allNaN, encodeNpyArray(new Float32Array(2 * 8).fill(NaN), 'float32', [2, 8]));
    await expectError(
      evaluateModel({ model: variant, reference, data: { kind: 'npy', path: allNaN } }),
      'BAD_REQUEST',
      /outputs hold NaN or Inf for every sample of .* \(the first: sample 0 of input 'x' holds NaN.*Check the data/,
    );
  });

  it('keeps a sample only the model gives NaN for: its figures are NaN, the worst cosine too, and a note says where', async () => {
    const root = (name: string, abs: boolean) =>
      save(
        `${name}.onnx`,
        create(GraphProtoSchema, {
          name,
          input: [makeValueInfo('x', DT.FLOAT, [1, 4])],
          output: [makeValueInfo('y', DT.FLOAT, [1, 4])],
          node: abs
            ? [makeNode('Abs', ['x'], ['a']), makeNode('Sqrt', ['a'], ['y'])]
            : [makeNode('Sqrt', ['x'], ['y'])],
        }),
      );
    const reference = root('sqrt-abs', true);
    const variant = root('sqrt', false);
    // Sample 1 has a negative value: the variant's Sqrt gives NaN there; the samples after it are fine.
    const x = path.join(tmp.dir, 'x-negative.npy');
    fs.writeFileSync(
      x,
      encodeNpyArray(Float32Array.from([1, 2, 3, 4, 1, -2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1]), 'float32', [4, 4]),
    );
    const r = await evaluateModel({ model: variant, reference, data: { kind: 'npy', path: x } });
    const f = r.fidelity!;
    expect(f.leftOutSamples).toBeUndefined();
    expect(f.cosine).toBeNaN();
    expect(f.worstSampleCosine).toBeNaN();
    expect(f.sqnrDb).toBeNaN();
    expect(f.maxAbsErr).toBeNaN();
    expect(r.notes.join('\n')).toMatch(
      /the model's output 'y' holds NaN where the reference's is finite, at 1 sample \(the first: sample 1\): its cosine, SQNR and errors are NaN/,
    );
  });

  it("names a model onnxruntime cannot load by its label (a variant's name), not its path", async () => {
    const model = path.join(tmp.dir, 'v-0123456789-int4.onnx');
    fs.writeFileSync(model, toBinary(ModelProtoSchema, buildCustomOpModel()));
    const data = { kind: 'synthetic', samples: 2, seed: 0 } as const;
    await expectError(
      evaluateModel({ model, label: 'int4', reference: model, data }),
      'MODEL_INVALID',
      /^onnxruntime cannot load int4: .*FancyAct of domain 'com\.acme', a custom operator/,
    );
    // Without a label, the path says which file it is.
    await expectError(
      evaluateModel({ model, reference: model, data }),
      'MODEL_INVALID',
      /cannot load .*v-0123456789-int4\.onnx: /,
    );
  });

  it('stops with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    const model = path.join(tmp.dir, 'ref.onnx');
    await expectError(
      evaluateModel({
        model,
        reference: model,
        data: { kind: 'synthetic', samples: 5, seed: 0 },
        signal: controller.signal,
      }),
      'CANCELLED',
      /Cancelled/,
    );
  });
});
