/**
 * External data reached through links as real model stores lay them out (tester C of the third user test): the
 * Hugging Face cache keeps `snapshots/REV/model.onnx` and `model.onnx_data` as links into `blobs/`, and a data
 * file may be named `..w.bin`. Both were refused as "outside the model's folder"; onnxruntime loads both. A link
 * to anywhere else is still refused (bad-inputs.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { externalDataFiles } from '../recipe/file-hash.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { writeHubModel } from '../testing/external-data-files.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { externalRef, isExternal } from './external-data.js';
import { inlineExternalData } from './inline-external-data.js';
import { loadModel } from './load-model.js';
import { saveModel } from './save-model.js';
import { StreamedWeights } from './streamed-weights.js';

describe('external data through the links of a model store', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  const hubModel = () => writeHubModel(tmp.dir);

  it('loads a model whose file and data file are links into one blobs folder', async () => {
    const loaded = await loadModel((await hubModel()).model);
    expect(loaded.externalDataBytes).toBeGreaterThan(0);
  });

  it('the allowance travels with the loaded model: saving, streaming, inlining and hashing it read the linked data', async () => {
    const { model, blobs } = await hubModel();
    const loaded = await loadModel(model);
    expect(loaded.linkedDir).toBe(fs.realpathSync(blobs));
    const saved = await saveModel(loaded.proto, path.join(tmp.dir, 'copy.onnx'), {
      sourceDir: loaded,
      externalData: { thresholdBytes: 1024 },
    });
    expect(saved.externalDataBytes).toBe(loaded.externalDataBytes);
    new StreamedWeights((await loadModel(model)).proto, loaded).close();
    const again = await loadModel(model);
    expect(await inlineExternalData(again.proto, again)).toBe(loaded.externalDataBytes);
    expect(externalDataFiles(model, loaded.proto)).toEqual([path.join(fs.realpathSync(blobs), '9c2d')]);
    // The model's folder alone carries no allowance, whatever was loaded before.
    const tensor = loaded.proto.graph!.initializer.find(isExternal)!;
    expect(() => externalRef(loaded.dir, tensor)).toThrow(
      /Refusing external-data location 'model.onnx_data'/,
    );
  });

  it('two models in one folder do not share the allowance: a link into the store reaches it only for the model linked there', async () => {
    const { model, blobs, snapshot } = await hubModel();
    // A model that is a plain file beside the linked one, with its data linked into the same store.
    await saveModel(buildMlp(), path.join(snapshot, 'plain.onnx'), {
      externalData: { thresholdBytes: 1024, fileName: 'plain.onnx_data' },
    });
    fs.renameSync(path.join(snapshot, 'plain.onnx_data'), path.join(blobs, '7a7a'));
    fs.symlinkSync('../../blobs/7a7a', path.join(snapshot, 'plain.onnx_data'));
    expect((await loadModel(model)).externalDataBytes).toBeGreaterThan(0);
    const error = await loadModel(path.join(snapshot, 'plain.onnx')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toMatch(/Refusing external-data location 'plain.onnx_data'/);
  });

  it('refuses a data link beside a linked model that points elsewhere than the model file', async () => {
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    const store = path.join(tmp.dir, 'store');
    const folder = path.join(tmp.dir, 'folder');
    for (const d of [elsewhere, store, folder]) fs.mkdirSync(d);
    await saveModel(buildMlp(), path.join(store, 'model.onnx'), {
      externalData: { thresholdBytes: 1024, fileName: 'w.bin' },
    });
    fs.renameSync(path.join(store, 'w.bin'), path.join(elsewhere, 'w.bin'));
    fs.symlinkSync(path.join(store, 'model.onnx'), path.join(folder, 'model.onnx'));
    fs.symlinkSync(path.join(elsewhere, 'w.bin'), path.join(folder, 'w.bin'));
    const error = await loadModel(path.join(folder, 'model.onnx')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toMatch(/Refusing external-data location 'w.bin'/);
  });

  it('takes a data file whose name starts with two dots', async () => {
    await saveModel(buildMlp(), path.join(tmp.dir, 'm.onnx'), {
      externalData: { thresholdBytes: 1024, fileName: '..w.bin' },
    });
    expect((await loadModel(path.join(tmp.dir, 'm.onnx'))).externalDataBytes).toBeGreaterThan(0);
  });
});
