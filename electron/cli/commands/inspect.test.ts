import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int4Method } from '../../engine/quantize/methods/int4.js';
import { quantizeInMemory } from '../../engine/quantize/weight-only/test-support.js';
import { writeWithExternalData } from '../../engine/testing/external-data-files.js';
import { buildKvCacheLayers } from '../../engine/testing/kv-cache-layers.js';
import { buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { buildTiedLm } from '../../engine/testing/tied-lm.js';
import { formatCount } from '../format.js';
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

describe('onnx-studio inspect names the table an input indexes (LM user test, finding 9)', () => {
  const tmp = makeTempDir('onnx-studio-inspect-tables-');
  afterAll(() => tmp.cleanup());

  it("says on the ids' line which embedding they look up and its rows; other lines say nothing", async () => {
    const model = path.join(tmp.dir, 'tied-lm.onnx');
    fs.writeFileSync(model, modelBytes(buildTiedLm({ vocab: 300 })));
    const r = await cli(['inspect', model]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ids +int64 +\[8\] +ids into embed_tokens\.weight \(300 rows\)$/m);
    expect(r.stdout).toMatch(/^logits +float32 +\[8, 300\]$/m);
    expect(JSON.parse((await cli(['inspect', model, '--json'])).stdout).inputs[0].indexes).toEqual({
      table: 'embed_tokens.weight',
      rows: 300,
    });
  });
});

describe('onnx-studio inspect counts the parameters of a quantized model as its weights (LM user test, finding 10)', () => {
  const tmp = makeTempDir('onnx-studio-inspect-params-');
  afterAll(() => tmp.cleanup());

  it('says the same count for int4 as for the original, and the scales and zero points apart', async () => {
    const mlp = buildMlp({ inputSize: 64, hiddenSize: 64 });
    const original = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(original, modelBytes(mlp));
    const int4 = path.join(tmp.dir, 'mlp-int4.onnx');
    fs.writeFileSync(int4, modelBytes((await quantizeInMemory(int4Method, mlp)).model));
    const count = formatCount(64 * 64 + 64 + 64 * 8 + 8);
    expect((await cli(['inspect', original])).stdout).toMatch(new RegExp(`^Parameters  ${count}$`, 'm'));
    // fc1: 64 x 64 in blocks of 32 has 2 scales per row; fc2: 64 x 8, 2 per column. Symmetric: no zero points.
    const scales = 64 * 2 + 8 * 2;
    const text = await cli(['inspect', int4]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^Parameters  ${count} \\(\\+ ${scales} quantization scales and zero points, not counted\\)$`,
        'm',
      ),
    );
    expect(JSON.parse((await cli(['inspect', int4, '--json'])).stdout)).toMatchObject({
      parameters: 64 * 64 + 64 + 64 * 8 + 8,
      quantizationParameters: scales,
    });
  });
});

describe('inspect --json on a decoder with a KV cache', () => {
  const tmp = makeTempDir('onnx-studio-inspect-kv-json-');
  afterAll(() => tmp.cleanup());

  it("says what the cache is in kvCache, as the text's KV cache lines do; null for a model without one", async () => {
    const model = path.join(tmp.dir, 'decoder_model_merged.onnx');
    fs.writeFileSync(model, modelBytes(buildKvCacheLayers(4, { merged: true })));
    const json = await cli(['inspect', model, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { kvCache: unknown; inputs: unknown[] };
    expect(parsed.kvCache).toEqual({
      cacheInputs: 8,
      groups: ['past_key_values.0..3.key/value'],
      pastLength: { dim: 'past_sequence_length', axis: 2, guess: 0 },
      sumDims: [
        {
          dim: 'past_sequence_length + sequence_length',
          input: 'attention_mask',
          terms: ['past_sequence_length', 'sequence_length'],
          guess: 128,
        },
      ],
      cacheSwitch: 'use_cache_branch',
      decodeStep: { past_sequence_length: 128, sequence_length: 1 },
    });
    // JSON still lists each input.
    expect(parsed.inputs).toHaveLength(11);
    // The text says the same facts: the cache, and the decode step's flags.
    const text = await cli(['inspect', model]);
    expect(text.stdout).toContain('KV cache    decoder, 8 cache inputs (past_key_values.0..3.key/value);');
    expect(text.stdout).toContain('--dim past_sequence_length=128 --dim sequence_length=1');
    const mlp = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    expect(
      (JSON.parse((await cli(['inspect', mlp, '--json'])).stdout) as { kvCache: unknown }).kvCache,
    ).toBeNull();
  });
});
