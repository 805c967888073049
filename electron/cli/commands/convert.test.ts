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

  it('says nothing of the kind when tensors moved', async () => {
    const out = path.join(tmp.dir, 'moved.onnx');
    const r = await cli(['convert', model, '-o', out, '--external-data', '--size-threshold', '4096']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(`${out}.data`).size).toBeGreaterThanOrEqual(4096);
    expect(r.stderr).not.toMatch(/nothing moved/);
  });
});
