/**
 * A model dropped on a `serve` page without its external data file: through a real serve (upload over HTTP,
 * inspect over the WebSocket, the engine's own error), the page is told what to do with the drop, and the
 * upload is not left behind in the uploads folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectWsHost, type SocketLike, type WsStudioHost } from '../../renderer/src/host/ws-host.js';
import type { StudioBackend } from '../engine/jobs/studio-backend.js';
import { saveModel } from '../engine/onnx/save-model.js';
import { buildMlp } from '../engine/testing/model-fixtures.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { testBackend } from '../engine/testing/test-backend.js';
import { startServeServer, type RunningServer } from './serve-server.js';
import { explainUploadedModelError, uploadBatchDir } from './uploaded-model.js';

describe('a dropped model that cannot open as uploaded', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let backend: StudioBackend;
  let server: RunningServer;
  let page: WsStudioHost;
  let uploads: string;
  /** A model whose initializers' data_location is EXTERNAL, in 'mlp weights.bin' beside it. */
  let modelFile: string;

  beforeAll(async () => {
    tmp = makeTempDir('onnx-studio-upload-open-');
    uploads = path.join(tmp.dir, 'data', 'uploads');
    fs.mkdirSync(path.join(tmp.dir, 'renderer'));
    const made = path.join(tmp.dir, 'made');
    fs.mkdirSync(made);
    modelFile = path.join(made, 'mlp.onnx');
    await saveModel(buildMlp(), modelFile, {
      externalData: { thresholdBytes: 64, fileName: 'mlp weights.bin' },
    });
    backend = testBackend(tmp.dir);
    server = await startServeServer({
      backend,
      rendererDir: path.join(tmp.dir, 'renderer'),
      uploadsDir: uploads,
      version: 'test',
      log: () => {},
    });
    const connected = await connectWsHost({
      pageUrl: server.url,
      createSocket: (url: string) => new WebSocket(url) as unknown as SocketLike,
    });
    if (!connected.ok) throw new Error(connected.error.message);
    page = connected.value;
  });

  afterAll(async () => {
    page?.close();
    await server?.close();
    await backend?.dispose();
    tmp?.cleanup();
  });

  it('dropped alone, says to drop it again with the data file it names, and leaves no upload behind', async () => {
    expect(fs.existsSync(path.join(path.dirname(modelFile), 'mlp weights.bin'))).toBe(true);
    // The page's upload of one dropped file (ws-host.ts `uploadFile`), as a browser sends it.
    const uploaded = await page.uploadFile!(new File([fs.readFileSync(modelFile)], 'mlp.onnx'));
    if (!uploaded.ok) throw new Error(uploaded.error.message);
    expect(fs.existsSync(uploaded.value.path)).toBe(true);
    const opened = await page.inspectModel(uploaded.value.path);
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    // Before: "External data file 'mlp weights.bin' … is missing. Keep the data file beside the model
    // (…/uploads/<batch>)", an IO error whose What to do is about permissions.
    expect(opened.error).toMatchObject({
      code: 'BAD_REQUEST',
      message:
        "mlp.onnx keeps its weights in an external data file, 'mlp weights.bin', which was not dropped with it. Drop mlp.onnx again together with 'mlp weights.bin' (select both files), or use Open model… to open it by its path on the server.",
      detail: expect.stringMatching(/^External data file 'mlp weights\.bin' of tensor '.+' is missing\./),
    });
    expect(opened.error.message).not.toContain(uploads);
    expect(fs.readdirSync(uploads)).toEqual([]);
  });

  it('dropped with its data file, opens (and stays)', async () => {
    const dir = path.dirname(modelFile);
    const files = ['mlp weights.bin', 'mlp.onnx'].map(
      (n) => new File([fs.readFileSync(path.join(dir, n))], n),
    );
    const uploaded = await page.uploadFiles(files);
    if (!uploaded.ok) throw new Error(uploaded.error.message);
    const opened = await page.inspectModel(uploaded.value.paths[1]!);
    expect(opened.ok).toBe(true);
    expect(fs.existsSync(uploaded.value.paths[1]!)).toBe(true);
  });

  it('a model file that is no model is removed too; a model opened by its path is never touched', async () => {
    const uploaded = await page.uploadFile!(new File([new Uint8Array([8, 1, 0xff])], 'broken.onnx'));
    if (!uploaded.ok) throw new Error(uploaded.error.message);
    const opened = await page.inspectModel(uploaded.value.path);
    expect(opened.ok).toBe(false);
    expect(fs.existsSync(path.dirname(uploaded.value.path))).toBe(false);
    // The same model beside no data file, opened by its path: the engine's answer as it is, nothing removed.
    const lone = path.join(tmp.dir, 'lone');
    fs.mkdirSync(lone);
    fs.copyFileSync(modelFile, path.join(lone, 'mlp.onnx'));
    const byPath = await page.inspectModel(path.join(lone, 'mlp.onnx'));
    expect(byPath).toMatchObject({
      ok: false,
      error: { code: 'IO', message: /Keep the data file beside the model/ },
    });
    expect(fs.existsSync(path.join(lone, 'mlp.onnx'))).toBe(true);
  });
});

describe('which files are uploads', () => {
  it('are files directly in a batch folder of the uploads folder, nothing else', () => {
    const uploads = path.resolve('/data/uploads');
    expect(uploadBatchDir(uploads, path.join(uploads, '0123456789abcdef', 'm.onnx'))).toBe(
      path.join(uploads, '0123456789abcdef'),
    );
    expect(uploadBatchDir(uploads, path.join(uploads, 'a1b2c3d4e5f6', 'm.onnx'))).toBe(
      path.join(uploads, 'a1b2c3d4e5f6'),
    );
    for (const other of [
      path.join(uploads, 'm.onnx'),
      path.join(uploads, 'not-a-batch', 'm.onnx'),
      path.join(uploads, '0123456789abcdef', 'sub', 'm.onnx'),
      path.join(uploads, '..', '0123456789abcdef', 'm.onnx'),
      path.resolve('/models/m.onnx'),
    ])
      expect(uploadBatchDir(uploads, other), other).toBeUndefined();
  });

  it('a model in a sub-folder of its data: says a drop cannot bring it, and to open it by its path', async () => {
    const tmp = makeTempDir('onnx-studio-upload-sub-');
    try {
      const batch = path.join(tmp.dir, 'uploads', 'abcdefabcdef');
      fs.mkdirSync(batch, { recursive: true });
      fs.writeFileSync(path.join(batch, 'm.onnx'), 'x');
      const error = await explainUploadedModelError(
        path.join(tmp.dir, 'uploads'),
        path.join(batch, 'm.onnx'),
        {
          code: 'IO',
          message: `External data file 'weights/w.bin' of tensor 'fc.weight' is missing. Keep the data file in the folder weights/ beside the model (${batch}).`,
        },
      );
      expect(error.message).toBe(
        "m.onnx keeps its weights in 'weights/w.bin', in a folder beside it, and a drop cannot bring folders. Use Open model… to open m.onnx by its path on the server.",
      );
      expect(fs.existsSync(batch)).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('cleaning up a failed upload', () => {
  const tmp = makeTempDir('onnx-studio-upload-clean-');
  afterAll(() => tmp.cleanup());
  const uploads = path.join(tmp.dir, 'uploads');

  it('removes the failed model only; its batch folder goes once nothing else dropped with it is there', async () => {
    const batch = path.join(uploads, 'abcdef0123456789');
    fs.mkdirSync(batch, { recursive: true });
    for (const name of ['broken.onnx', 'other.onnx']) fs.writeFileSync(path.join(batch, name), 'x');
    const parse = { code: 'MODEL_PARSE' as const, message: 'not a model' };
    await explainUploadedModelError(uploads, path.join(batch, 'broken.onnx'), parse);
    expect(fs.readdirSync(batch)).toEqual(['other.onnx']);
    await explainUploadedModelError(uploads, path.join(batch, 'other.onnx'), parse);
    expect(fs.existsSync(batch)).toBe(false);
  });

  it("reads './weights.bin' as beside the model: a drop can bring it", async () => {
    const batch = path.join(uploads, '0123456789abcdef');
    fs.mkdirSync(batch, { recursive: true });
    const model = path.join(batch, 'm.onnx');
    fs.writeFileSync(model, 'x');
    const missing = {
      code: 'IO' as const,
      message: `External data file './weights.bin' of tensor 'w' is missing. Keep the data file beside the model (${batch}).`,
    };
    const said = await explainUploadedModelError(uploads, model, missing);
    expect(said.message).toMatch(/Drop m\.onnx again together with '\.\/weights\.bin'/);
  });
});
