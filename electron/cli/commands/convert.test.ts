import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

describe('onnx-studio convert --external-data', () => {
  const tmp = makeTempDir('onnx-studio-convert-cli-');
  let model: string;
  beforeAll(() => {
    // 16 -> 64 -> 8: the largest tensor is fc1.weight, 64 x 16 float32 = 4,096 bytes.
    model = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(model, modelBytes(buildMlp({ inputSize: 16, hiddenSize: 64, outputSize: 8 })));
  });
  afterAll(() => tmp.cleanup());

  it('says so when no tensor reaches --size-threshold and nothing moved, with the largest tensor', async () => {
    const out = path.join(tmp.dir, 'none.onnx');
    const r = await cli([
      'convert',
      model,
      '-o',
      out,
      '--external-data',
      '--size-threshold',
      '100000000',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ externalDataBytes: 0 });
    expect(fs.existsSync(`${out}.data`)).toBe(false);
    expect(r.stderr).toContain(
      'note: no tensor reached --size-threshold (100000000 bytes; the largest is 4096 bytes): nothing moved to external data.',
    );
  });

  it('holds tensors external in the input to --size-threshold too: below it they come back inline', async () => {
    // A user test: every tensor external in the input moved out whatever the threshold, with no note.
    const source = path.join(tmp.dir, 'all-external.onnx');
    expect(
      (await cli(['convert', model, '-o', source, '--external-data', '--size-threshold', '1'])).code,
    ).toBe(0);
    const none = path.join(tmp.dir, 'all-back.onnx');
    const r = await cli([
      'convert',
      source,
      '-o',
      none,
      '--external-data',
      '--size-threshold',
      '100000000',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ externalDataBytes: 0 });
    expect(fs.existsSync(`${none}.data`)).toBe(false);
    expect(r.stderr).toContain('nothing moved to external data');
    // 2,048 bytes: fc1.weight (4,096) and fc2.weight (64 x 8 x 4 = 2,048) move; the biases (256, 32) come back.
    const some = path.join(tmp.dir, 'some-back.onnx');
    const s2 = await cli([
      'convert',
      source,
      '-o',
      some,
      '--external-data',
      '--size-threshold',
      '2048',
      '--json',
    ]);
    expect(s2.code, s2.stderr).toBe(0);
    expect(JSON.parse(s2.stdout)).toMatchObject({ externalDataBytes: 4096 + 2048 });
  });

  it('folds external data named like OUT.data into OUT whole, and refuses only a save that would write that file', async () => {
    // The input's data file is named as the output's would be: b.onnx.data beside a.onnx.
    const dir = path.join(tmp.dir, 'named-like-out');
    fs.mkdirSync(dir);
    const a = path.join(dir, 'a.onnx');
    const b = path.join(dir, 'b.onnx');
    expect((await cli(['convert', model, '-o', a, '--external-data', '--size-threshold', '1024'])).code).toBe(
      0,
    );
    fs.renameSync(`${a}.data`, `${b}.data`);
    const text = fs.readFileSync(a);
    fs.writeFileSync(
      a,
      Buffer.from(text.toString('latin1').replaceAll('a.onnx.data', 'b.onnx.data'), 'latin1'),
    );
    const data = fs.readFileSync(`${b}.data`);
    const whole = await cli(['convert', a, '-o', b]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(fs.readFileSync(`${b}.data`).equals(data)).toBe(true);
    const split = await cli(['convert', a, '-o', b, '--external-data', '--force']);
    expect(split.code).toBe(2);
    expect(split.stderr).toContain(`The output's external data file ${b}.data is the input's own data file.`);
  });

  it('says nothing of the kind when tensors moved', async () => {
    const out = path.join(tmp.dir, 'moved.onnx');
    const r = await cli(['convert', model, '-o', out, '--external-data', '--size-threshold', '4096']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(`${out}.data`).size).toBeGreaterThanOrEqual(4096);
    expect(r.stderr).not.toMatch(/nothing moved/);
  });
});
