import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWithExternalData } from '../../engine/testing/external-data-files.js';
import { buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

describe('onnx-studio inspect on a model with external data (user test 3c, finding 9)', () => {
  const tmp = makeTempDir('onnx-studio-inspect-cli-');
  afterAll(() => tmp.cleanup());

  it('names each data file, where it is relative to the model, its tensors and size', async () => {
    const model = writeWithExternalData(tmp.dir, 'sub.onnx', buildMlp(), {
      'fc1.weight': 'weights/a.bin',
      'fc1.bias': 'weights/a.bin',
      'fc2.weight': 'weights/b.bin',
    });
    const text = await cli(['inspect', model]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^weights\/a\.bin +2 +2\.13 KiB$/m);
    expect(text.stdout).toMatch(/^weights\/b\.bin +1 +1\.00 KiB$/m);
    // Not "beside the model": copied flat into one folder, the model would not find them.
    expect(text.stdout).toContain(
      'The model reads its external data from these 2 files in the folder weights/ beside the model: ' +
        'copy them along with the model, to the same places relative to it.',
    );
    const json = await cli(['inspect', model, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      externalDataBytes: (32 * 16 + 32 + 32 * 8) * 4,
      externalDataFiles: [
        { location: 'weights/a.bin', bytes: (32 * 16 + 32) * 4, tensors: 2 },
        { location: 'weights/b.bin', bytes: 32 * 8 * 4, tensors: 1 },
      ],
    });
  });

  it('says one file beside the model as such, and lists nothing for a model without external data', async () => {
    const model = writeWithExternalData(tmp.dir, 'flat.onnx', buildMlp(), { 'fc1.weight': 'flat.onnx.data' });
    expect((await cli(['inspect', model])).stdout).toContain(
      'The model reads its external data from this file beside the model: copy it along with the model, to the same place relative to it.',
    );
    const inline = path.join(tmp.dir, 'inline.onnx');
    fs.writeFileSync(inline, modelBytes(buildMlp()));
    const r = await cli(['inspect', inline]);
    expect(r.stdout).not.toContain('External data file');
    expect(JSON.parse((await cli(['inspect', inline, '--json'])).stdout).externalDataFiles).toEqual([]);
  });
});
