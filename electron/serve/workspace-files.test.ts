/**
 * What both hosts serve under `workspace-files/` (serve's HTTP route and the Electron app's protocol answer with
 * this): a workspace model, its external data listing, and exactly the data files the model names, resolved by the
 * engine's rules, never a path from the request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ORIGINAL_TARGET, workspaceExternalDataUrlPath } from '../../shared/workspace.js';
import { loadModel } from '../engine/onnx/load-model.js';
import { writeHubModel, writeWithExternalData } from '../engine/testing/external-data-files.js';
import { buildMlp } from '../engine/testing/model-fixtures.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { WorkspaceStore, workspaceKey } from '../engine/workspace/workspace-store.js';
import { answerWorkspaceFile } from './workspace-files.js';

// Every load of a model in the host's process is counted: a whole model must never be parsed there.
vi.mock('../engine/onnx/load-model.js', async (actual) => {
  const real = await actual<typeof import('../engine/onnx/load-model.js')>();
  return { ...real, loadModel: vi.fn(real.loadModel) };
});

/** The segments the hosts pass: the URL path after `workspace-files/`, still encoded. */
function segmentsOf(urlPath: string): string[] {
  return urlPath.split('/').filter(Boolean).slice(1);
}

describe('workspace files for the page', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let store: WorkspaceStore;
  beforeEach(() => {
    tmp = makeTempDir();
    store = new WorkspaceStore(path.join(tmp.dir, 'data'));
  });
  afterEach(() => {
    tmp.cleanup();
    vi.mocked(loadModel).mockClear();
  });

  /** A model in `models/` whose workspace exists (as opening it in the app makes one). */
  async function opened(file: string): Promise<string> {
    await store.update(file, () => {});
    return workspaceKey(file);
  }

  const listing = (key: string, target = ORIGINAL_TARGET) =>
    answerWorkspaceFile(store, segmentsOf(workspaceExternalDataUrlPath(key, target)));
  const dataFile = (key: string, location: string, target = ORIGINAL_TARGET) =>
    answerWorkspaceFile(store, segmentsOf(workspaceExternalDataUrlPath(key, target, location)));

  it('lists a model’s external data files and serves each of them, and no other path', async () => {
    const dir = path.join(tmp.dir, 'models');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(tmp.dir, 'secret.txt'), 'top secret');
    const model = writeWithExternalData(dir, 'mlp.onnx', buildMlp(), {
      'fc1.weight': 'weights/a.bin',
      'fc1.bias': './weights/a.bin',
      'fc2.weight': 'b.bin',
    });
    const key = await opened(model);

    const listed = await listing(key);
    expect(listed).toEqual({
      type: 'json',
      value: {
        files: [
          // Each file starts with a 3-byte pad (writeWithExternalData): the whole file is what the page fetches.
          {
            location: 'weights/a.bin',
            bytes: (32 * 16 + 32) * 4,
            tensors: 2,
            fileBytes: 3 + (32 * 16 + 32) * 4,
          },
          { location: 'b.bin', bytes: 32 * 8 * 4, tensors: 1, fileBytes: 3 + 32 * 8 * 4 },
        ],
      },
    });
    expect(await dataFile(key, 'weights/a.bin')).toEqual({
      type: 'file',
      file: path.join(fs.realpathSync(dir), 'weights', 'a.bin'),
    });
    expect(await dataFile(key, 'b.bin')).toEqual({
      type: 'file',
      file: path.join(fs.realpathSync(dir), 'b.bin'),
    });

    // Only the locations the model names, as it writes them: every other path is no file of this model.
    for (const location of [
      '../secret.txt',
      path.join(tmp.dir, 'secret.txt'),
      'weights/../../secret.txt',
      'mlp.onnx',
      'weights',
    ]) {
      const answer = await dataFile(key, location);
      expect(answer, location).toMatchObject({ type: 'error', status: 404 });
      expect((answer as { message: string }).message).toMatch(/is not an external data file of this model/);
    }
    // Nor under another workspace key or target, nor with extra segments.
    expect(await dataFile('0123456789abcdef', 'b.bin')).toMatchObject({ type: 'error', status: 404 });
    expect(await dataFile(key, 'b.bin', 'v-nope')).toMatchObject({ type: 'error', status: 404 });
    expect(
      await answerWorkspaceFile(store, [
        ...segmentsOf(workspaceExternalDataUrlPath(key, ORIGINAL_TARGET, 'b.bin')),
        'x',
      ]),
    ).toMatchObject({ type: 'error', status: 404 });
    expect(
      await answerWorkspaceFile(store, [key, ORIGINAL_TARGET, 'external-data', '%E0%A4%A']),
    ).toMatchObject({
      type: 'error',
      status: 400,
    });
    // The .onnx file itself, as before.
    expect(await answerWorkspaceFile(store, [key, ORIGINAL_TARGET])).toEqual({ type: 'file', file: model });
  });

  it('refuses a model whose data file lies outside its folder, with the engine’s reason, and serves nothing of it', async () => {
    const dir = path.join(tmp.dir, 'models');
    fs.mkdirSync(dir);
    // The crafted location points at a real file one folder up.
    const model = writeWithExternalData(dir, 'crafted.onnx', buildMlp(), { 'fc1.weight': '../outside.bin' });
    const key = await opened(model);
    for (const answer of [await listing(key), await dataFile(key, '../outside.bin')]) {
      expect(answer).toMatchObject({ type: 'error', status: 422 });
      expect((answer as { message: string }).message).toMatch(
        /^Refusing external-data location '\.\.\/outside\.bin' of tensor 'fc1\.weight': it points outside the model's folder/,
      );
    }
  });

  it('says which data file is missing, and lists it again once it is back', async () => {
    const model = writeWithExternalData(tmp.dir, 'mlp.onnx', buildMlp(), { 'fc1.weight': 'w.bin' });
    const key = await opened(model);
    const data = path.join(tmp.dir, 'w.bin');
    const kept = fs.readFileSync(data);
    fs.rmSync(data);
    const missing = await listing(key);
    expect(missing).toMatchObject({ type: 'error', status: 422 });
    expect((missing as { message: string }).message).toMatch(
      /^External data file 'w.bin' of tensor 'fc1.weight' is missing/,
    );
    fs.writeFileSync(data, kept);
    expect(await listing(key)).toMatchObject({ type: 'json', value: { files: [{ location: 'w.bin' }] } });
  });

  it('serves the data file of a model kept as the Hugging Face cache keeps it (links into blobs/)', async () => {
    const { model, blobs } = await writeHubModel(tmp.dir);
    const key = await opened(model);
    expect(await listing(key)).toMatchObject({
      type: 'json',
      value: { files: [{ location: 'model.onnx_data' }] },
    });
    expect(await dataFile(key, 'model.onnx_data')).toEqual({
      type: 'file',
      file: path.join(fs.realpathSync(blobs), '9c2d'),
    });
  });

  it('lists no data for a model without external data; one the workspace recorded as whole is not read again', async () => {
    const whole = path.join(tmp.dir, 'whole.onnx');
    fs.writeFileSync(whole, toBinary(ModelProtoSchema, buildMlp()));
    expect(await listing(await opened(whole))).toEqual({ type: 'json', value: { files: [] } });

    // The inspect summary says this file is the whole model: the host takes its word, and does not load it (this
    // file, not a model at all, would fail to load).
    const recorded = path.join(tmp.dir, 'recorded.onnx');
    fs.writeFileSync(recorded, 'not a model');
    const size = fs.statSync(recorded).size;
    await store.update(recorded, (ws) => {
      ws.model.summary = { fileBytes: size, externalDataBytes: 0 } as NonNullable<typeof ws.model.summary>;
    });
    expect(await listing(workspaceKey(recorded))).toEqual({ type: 'json', value: { files: [] } });
  });

  it('does not load a model that names no external data, though the workspace never recorded it as whole', async () => {
    // An original not inspected yet (no summary), and a variant whose file is no longer the size it recorded.
    const original = path.join(tmp.dir, 'original.onnx');
    fs.writeFileSync(original, toBinary(ModelProtoSchema, buildMlp()));
    const key = await opened(original);
    const variantFile = path.join(tmp.dir, 'variant.onnx');
    fs.writeFileSync(variantFile, toBinary(ModelProtoSchema, buildMlp({ hiddenSize: 8 })));
    await store.update(original, (ws) => {
      ws.variants.push({ id: 'v-1', path: variantFile, fileBytes: 1 } as (typeof ws.variants)[number]);
    });
    expect(await listing(key)).toEqual({ type: 'json', value: { files: [] } });
    expect(await listing(key, 'v-1')).toEqual({ type: 'json', value: { files: [] } });
    expect(loadModel).not.toHaveBeenCalled();
  });

  it('keeps the refusal of a model as it keeps a listing: asked again, the unchanged model is not loaded again', async () => {
    const dir = path.join(tmp.dir, 'models');
    fs.mkdirSync(dir);
    const model = writeWithExternalData(dir, 'crafted.onnx', buildMlp(), { 'fc1.weight': '../outside.bin' });
    const key = await opened(model);
    const first = await listing(key);
    expect(first).toMatchObject({ type: 'error', status: 422 });
    expect(await listing(key)).toEqual(first);
    expect(loadModel).toHaveBeenCalledTimes(1);
  });
});
