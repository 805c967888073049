import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType } from 'onnx-buf';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StudioError } from '../errors.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { tinyDigits } from '../testing/tiny-digits.js';
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
