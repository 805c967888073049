import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { LabelSurveyor, oneHotClass, surveyLabels } from './label-survey.js';
import { encodeNpyArray } from './npy-format.js';
import { openDataset } from './open-dataset.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

const x: ResolvedInput = {
  name: 'x',
  elemType: DT.FLOAT,
  ortType: 'float32',
  declared: ['batch', 2],
  dims: [1, 2],
};

function survey(labels: (number | number[])[]) {
  const surveyor = new LabelSurveyor();
  for (const label of labels) surveyor.add(label);
  return surveyor.result();
}

describe('label surveys', () => {
  it('tells class ids, one-hot rows and values apart', () => {
    expect(survey([2, 0, 7])).toEqual({
      count: 3,
      width: 1,
      min: 0,
      max: 7,
      classIds: true,
      oneHot: false,
      minClass: 0,
      maxClass: 7,
    });
    expect(survey([1.5, 2])).toMatchObject({ classIds: false, oneHot: false, min: 1.5, max: 2 });
    expect(
      survey([
        [0, 0, 1],
        [0, 1, 0],
      ]),
    ).toMatchObject({ width: 3, classIds: false, oneHot: true, minClass: 1, maxClass: 2 });
    // Two 1s, a value other than 0/1, or rows of another length: vectors of values.
    expect(survey([[0, 1, 1]])?.oneHot).toBe(false);
    expect(survey([[0, 0.5, 0.5]])?.oneHot).toBe(false);
    expect(
      survey([
        [0, 1],
        [0, 0, 1],
      ])?.oneHot,
    ).toBe(false);
    expect(survey([])).toBeUndefined();
    expect(oneHotClass([0, 0, 1, 0])).toBe(2);
    expect(oneHotClass([0, 0, 0])).toBe(-1);
  });

  it('reads the labels of .npy and .jsonl data without their inputs, up to the samples evaluated', async () => {
    const inputs = path.join(tmp.dir, 'x.npy');
    fs.writeFileSync(inputs, encodeNpyArray(new Float32Array(8), 'float32', [4, 2]));
    const rows = path.join(tmp.dir, 'rows.npy');
    fs.writeFileSync(rows, encodeNpyArray(Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]), 'float32', [4, 2]));
    const npy = await openDataset({ kind: 'npy', path: inputs, labels: rows }, [x]);
    expect(await surveyLabels(npy)).toMatchObject({
      count: 4,
      width: 2,
      oneHot: true,
      minClass: 0,
      maxClass: 1,
    });
    const limited = await openDataset({ kind: 'npy', path: inputs, labels: rows, limit: 2 }, [x]);
    expect((await surveyLabels(limited))?.count).toBe(2);

    const jsonl = path.join(tmp.dir, 'lines.jsonl');
    const line = (label: unknown) => JSON.stringify({ inputs: { x: [0, 0] }, label });
    fs.writeFileSync(jsonl, [line(3), line(1), line(4)].join('\n'));
    const lines = await openDataset({ kind: 'jsonl', path: jsonl }, [x]);
    expect(await surveyLabels(lines)).toMatchObject({ count: 3, classIds: true, minClass: 1, maxClass: 4 });
  });
});
