import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/errors.js';
import { saveModel } from '../../engine/onnx/save-model.js';
import { buildMlp, modelBytes, randomFloats } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { checkCollectOutput, writeCollectedChoice } from './collect-output.js';

/*
 * tune --collect -o: the sweep's choice written as a local tune writes it. A user test found the collected copy
 * of an external-data variant unloadable (its data file was left behind, and named after the trial's file),
 * the sweep's own inputs replaced with --force, and a missing folder reported as an internal error.
 */

let tmp: ReturnType<typeof makeTempDir>;
let sweep: string;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-collect-');
  sweep = path.join(tmp.dir, 'sweep');
  fs.mkdirSync(path.join(sweep, 'inputs'), { recursive: true });
  fs.mkdirSync(path.join(sweep, 'results', '1'), { recursive: true });
  fs.writeFileSync(path.join(sweep, 'inputs', 'model.onnx'), modelBytes(buildMlp({ batch: 2 })));
  fs.writeFileSync(path.join(sweep, 'inputs', 'x.npy'), 'not read here');
});
afterEach(() => tmp.cleanup());

async function outputsOf(file: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const input = new ort.Tensor('float32', randomFloats(2 * 16, 7), [2, 16]);
    return (await session.run({ input })).logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

const userError = (f: () => unknown, message: RegExp) => {
  let caught: unknown;
  try {
    f();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StudioError);
  expect((caught as StudioError).code).toBe('BAD_REQUEST');
  expect((caught as Error).message).toMatch(message);
};

describe('tune --collect -o', () => {
  it('writes an external-data choice with its data file named after OUT, and it runs as the trial did', async () => {
    const variant = path.join(sweep, 'results', '1', 'variant.onnx');
    await saveModel(buildMlp({ batch: 2 }), variant, { externalData: { thresholdBytes: 64 } });
    expect(fs.existsSync(`${variant}.data`)).toBe(true);
    const out = path.join(tmp.dir, 'chosen', 'tuned.onnx');
    fs.mkdirSync(path.dirname(out));

    await writeCollectedChoice(
      variant,
      checkCollectOutput(out, sweep, false),
      false,
      new AbortController().signal,
    );
    expect(fs.readdirSync(path.dirname(out)).sort()).toEqual(['tuned.onnx', 'tuned.onnx.data']);
    // The copy names its own data file, not the trial's: it loads with the sweep folder gone.
    fs.rmSync(sweep, { recursive: true });
    expect(await outputsOf(out)).toEqual(await outputsOfSaved(buildMlpBytes()));
  });

  it('copies a choice without external data byte for byte', async () => {
    const variant = path.join(sweep, 'results', '1', 'variant.onnx');
    fs.writeFileSync(variant, buildMlpBytes());
    const out = path.join(tmp.dir, 'tuned.onnx');
    await writeCollectedChoice(
      variant,
      checkCollectOutput(out, sweep, false),
      false,
      new AbortController().signal,
    );
    expect(fs.readFileSync(out)).toEqual(fs.readFileSync(variant));
    expect(fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("refuses, --force or not, an OUT over the sweep's own inputs or results", () => {
    for (const force of [false, true]) {
      userError(
        () => checkCollectOutput(path.join(sweep, 'inputs', 'model.onnx'), sweep, force),
        /OUT \(.*model\.onnx\) is the sweep's inputs\/model\.onnx\. ONNX Studio never overwrites an input/,
      );
    }
    fs.writeFileSync(path.join(sweep, 'results', '1', 'variant.onnx'), buildMlpBytes());
    userError(
      () => checkCollectOutput(path.join(sweep, 'results', '1', 'variant.onnx'), sweep, true),
      /is the sweep's results\/1\/variant\.onnx/,
    );
    // A new name, but its data file would land on a file of the sweep (an external-data input's).
    fs.writeFileSync(path.join(sweep, 'inputs', 'big.onnx.data'), 'weights');
    userError(
      () => checkCollectOutput(path.join(sweep, 'inputs', 'big.onnx'), sweep, true),
      /OUT's data file \(.*big\.onnx\.data\) is the sweep's inputs\/big\.onnx\.data/,
    );
  });

  it('refuses what is not a .onnx file name, a folder, a missing folder and an existing file without --force', () => {
    userError(() => checkCollectOutput(path.join(tmp.dir, 'out.txt'), sweep, true), /must end in \.onnx/);
    fs.mkdirSync(path.join(tmp.dir, 'folder.onnx'));
    userError(() => checkCollectOutput(path.join(tmp.dir, 'folder.onnx'), sweep, true), /is a folder/);
    userError(() => checkCollectOutput(path.join(tmp.dir, 'nodir', 'c.onnx'), sweep, false), /nodir/);
    fs.writeFileSync(path.join(tmp.dir, 'there.onnx'), 'x');
    userError(() => checkCollectOutput(path.join(tmp.dir, 'there.onnx'), sweep, false), /--force/);
    expect(checkCollectOutput(path.join(tmp.dir, 'there.onnx'), sweep, true)).toBe(
      path.join(tmp.dir, 'there.onnx'),
    );
  });
});

function buildMlpBytes(): Uint8Array {
  return modelBytes(buildMlp({ batch: 2 }));
}

async function outputsOfSaved(bytes: Uint8Array): Promise<Float32Array> {
  const file = path.join(tmp.dir, 'reference.onnx');
  fs.writeFileSync(file, bytes);
  return outputsOf(file);
}
