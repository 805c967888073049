import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType } from 'onnx-buf';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StudioError } from '../errors.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import sharp from 'sharp';
import { tinyDigits } from '../testing/tiny-digits.js';
import { DIGITS_FEATURES, twoOutputDigits } from '../testing/two-output-digits.js';
import { checkDataset } from './check-dataset.js';
import { encodeNpyArray } from './npy-format.js';

// Counts the synthetic samples made, through the real generator.
const made = vi.hoisted(() => ({ samples: 0 }));
vi.mock('../runtime/synthetic-feeds.js', async (original) => {
  const actual = await original<typeof import('../runtime/synthetic-feeds.js')>();
  return {
    ...actual,
    syntheticFeed: (...args: Parameters<typeof actual.syntheticFeed>) => {
      made.samples++;
      return actual.syntheticFeed(...args);
    },
  };
});

const tmp = makeTempDir('onnx-studio-check-dataset-');
afterAll(() => tmp.cleanup());

describe('checkDataset on synthetic data', () => {
  it('makes one sample, not all of them: they are all alike and carry no labels', async () => {
    const model = path.join(tmp.dir, 'wide.onnx');
    const graph = makeGraph('wide', {
      nodes: [makeNode('Relu', ['x'], ['y'], { name: 'relu' })],
      inputs: [makeValueInfo('x', TensorProto_DataType.FLOAT, [1, 'n'])],
      outputs: [makeValueInfo('y', TensorProto_DataType.FLOAT, [1, 'n'])],
    });
    fs.writeFileSync(model, modelBytes(makeModel(graph)));
    const report = await checkDataset({
      model,
      spec: { kind: 'synthetic', samples: 400, seed: 0 },
      baseDir: tmp.dir,
      role: 'calibration',
      shapes: { dims: { n: 100_000 } },
    });
    expect(made.samples).toBe(1);
    expect(report.identity.samples).toBe(400);
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 100_000] }]);
    expect(report.warnings.join('\n')).not.toMatch(/checked on the first/);
  });
});

describe('checkDataset cancelled', () => {
  it('stops reading when its signal aborts, with a CANCELLED error', async () => {
    // 5,000 labelled 8x8 samples for the tiny digits model: a check reads every one of them.
    const samples = 5000;
    const inputs = path.join(tmp.dir, 'many-inputs.npy');
    const labels = path.join(tmp.dir, 'many-labels.npy');
    fs.writeFileSync(inputs, encodeNpyArray(new Float32Array(samples * 64), 'float32', [samples, 1, 8, 8]));
    fs.writeFileSync(
      labels,
      encodeNpyArray(
        BigInt64Array.from({ length: samples }, (_, i) => BigInt(i % 10)),
        'int64',
        [samples],
      ),
    );
    const options = {
      model: tinyDigits().modelPath,
      spec: { kind: 'npy' as const, path: inputs, labels },
      baseDir: tmp.dir,
      role: 'evaluation' as const,
    };

    let read = 0;
    const calls: number[] = [];
    const whole = await checkDataset({
      ...options,
      onProgress: (n, toRead) => {
        read = n;
        calls.push(n);
        expect(toRead).toBe(samples);
      },
    });
    expect(read).toBe(samples);
    // Told once the data is open, before the first sample, so the page can show "0 of N" at once.
    expect(calls.slice(0, 2)).toEqual([0, 1]);
    expect(whole.labels).toMatchObject({ count: samples, min: 0, max: 9 });

    // Cancelled after 100 samples: not one more is read, and the check answers CANCELLED, not a report.
    const controller = new AbortController();
    read = 0;
    const cancelled = await checkDataset({
      ...options,
      signal: controller.signal,
      onProgress: (n) => {
        read = n;
        if (n === 100) controller.abort();
      },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(cancelled).toBeInstanceOf(StudioError);
    expect((cancelled as StudioError).code).toBe('CANCELLED');
    expect(read).toBe(100);

    // Cancelled before it starts: nothing is read.
    read = 0;
    await expect(
      checkDataset({ ...options, signal: AbortSignal.abort(), onProgress: (n) => (read = n) }),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(read).toBe(0);
  });
});

describe('checkDataset float labels', () => {
  it('says that float labels of whole numbers are read as class ids, and nothing for integer ones', async () => {
    const samples = 20;
    const inputs = path.join(tmp.dir, 'float-label-inputs.npy');
    fs.writeFileSync(inputs, encodeNpyArray(new Float32Array(samples * 64), 'float32', [samples, 1, 8, 8]));
    const floats = path.join(tmp.dir, 'float-labels.npy');
    fs.writeFileSync(
      floats,
      encodeNpyArray(
        Float32Array.from({ length: samples }, (_, i) => i % 10),
        'float32',
        [samples],
      ),
    );
    const ints = path.join(tmp.dir, 'int-labels.npy');
    fs.writeFileSync(
      ints,
      encodeNpyArray(
        Int32Array.from({ length: samples }, (_, i) => i % 10),
        'int32',
        [samples],
      ),
    );
    const check = (labels: string, role: 'evaluation' | 'calibration' = 'evaluation') =>
      checkDataset({
        model: tinyDigits().modelPath,
        spec: { kind: 'npy', path: inputs, labels },
        baseDir: tmp.dir,
        role,
      });

    const float = await check(floats);
    expect(float.labels).toMatchObject({ min: 0, max: 9, modelClasses: 10 });
    expect(float.warnings).toContain(
      "float-labels.npy holds float32 labels that are all whole numbers (0–9): they are read as class ids of the model's 10 classes, so accuracy is measured",
    );
    expect((await check(ints)).warnings.join('\n')).not.toMatch(/class ids/);
    expect((await check(floats, 'calibration')).warnings.join('\n')).not.toMatch(/class ids/);
  });
});

describe('checkDataset of labels and outputs', () => {
  const samples = 20;
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const inputs = () =>
    write(
      'outputs-inputs.npy',
      encodeNpyArray(new Float32Array(samples * 64), 'float32', [samples, 1, 8, 8]),
    );
  const classIds = (name: string, last: number) =>
    write(
      name,
      encodeNpyArray(
        BigInt64Array.from({ length: samples }, (_, i) => BigInt(i === 3 ? last : i % 10)),
        'int64',
        [samples],
      ),
    );

  it('checks class labels against the output evaluation scores, not the first: the one that fits them', async () => {
    const model = await twoOutputDigits(tmp.dir);
    const check = (labels: string) =>
      checkDataset({
        model,
        spec: { kind: 'npy', path: inputs(), labels },
        baseDir: tmp.dir,
        role: 'evaluation',
      });
    const report = await check(classIds('ids.npy', 3));
    expect(report.labels).toEqual({ count: samples, min: 0, max: 9, modelClasses: 10, output: 'logits' });
    expect(report.warnings).toContain(
      `scored output 'logits', not the first output '${DIGITS_FEATURES}': 'logits' scores 10 classes, as labels 0 to 9 need, ` +
        `and '${DIGITS_FEATURES}' has no fixed size (a guess)`,
    );
    // A label past the classes of the logits is refused before anything runs, not scored on the wide features.
    await expect(check(classIds('ids-12.npy', 12))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(
        /^ids-12\.npy holds class labels from 0 to 12, but the model scores 10 classes/,
      ),
    });
  });

  it('reads one-hot rows as class labels, and other vector labels as targets (labels, not "no labels")', async () => {
    const check = (labels: string) =>
      checkDataset({
        model: tinyDigits().modelPath,
        spec: { kind: 'npy', path: inputs(), labels },
        baseDir: tmp.dir,
        role: 'evaluation',
      });
    const rows = new Float32Array(samples * 10);
    for (let i = 0; i < samples; i++) rows[i * 10 + (i % 10)] = 1;
    const oneHot = await check(write('rows.npy', encodeNpyArray(rows, 'float32', [samples, 10])));
    expect(oneHot.labels).toEqual({ count: samples, min: 0, max: 9, modelClasses: 10, output: 'logits' });
    expect(oneHot.warnings).toContain(
      "rows.npy holds one-hot rows of 10: read as class ids 0 to 9 (the position of each row's 1); --task regression compares them as 10-value targets",
    );
    const targets = await check(
      write(
        'targets.npy',
        encodeNpyArray(
          Float32Array.from({ length: samples * 3 }, (_, i) => i / 10),
          'float32',
          [samples, 3],
        ),
      ),
    );
    expect(targets.hasLabels).toBe(true);
    expect(targets.labels).toMatchObject({ count: samples, min: 0, width: 3 });
    expect(targets.labels?.modelClasses).toBeUndefined();
    expect(targets.warnings).toContain(
      "targets.npy holds 3 values per sample: regression targets, measured by MAE, MSE and RMSE against output 'logits'",
    );
  });

  it('names a class folder without images that takes a class the model does not score, and says the class order', async () => {
    const root = path.join(tmp.dir, 'folders');
    const png = await sharp(Buffer.alloc(64, 9), { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    for (let c = 0; c < 10; c++) {
      fs.mkdirSync(path.join(root, String(c)), { recursive: true });
      fs.writeFileSync(path.join(root, String(c), 'a.png'), png);
    }
    const check = () =>
      checkDataset({
        model: tinyDigits().modelPath,
        spec: { kind: 'images', path: root },
        baseDir: tmp.dir,
        role: 'evaluation',
      });
    expect((await check()).warnings).toContain(
      'class folders read as class ids in numeric order of their names: 0 → 0, 1 → 1, 2 → 2, 3 → 3, 4 → 4, ..., 9 → 9',
    );
    fs.mkdirSync(path.join(root, 'z_extra'));
    await expect(check()).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        "The data has 11 classes (0, 1, 2, 3, 4, ...) but output 'logits' scores only 10. Class folder z_extra (class 10) " +
        "holds no images but still takes a class id: remove it, or check that the folders are this model's classes.",
    });
  });

  it("passes on what the data's readers said, such as uint8 data fed unscaled", async () => {
    const u8 = write('u8.npy', encodeNpyArray(new Uint8Array(samples * 64), 'uint8', [samples, 1, 8, 8]));
    const report = await checkDataset({
      model: tinyDigits().modelPath,
      spec: { kind: 'npy', path: u8 },
      baseDir: tmp.dir,
      role: 'calibration',
    });
    expect(report.warnings[0]).toMatch(
      /^u8\.npy: uint8 data converted to float32 for input 'input' as 0-255 \(not scaled\)/,
    );
  });
});
