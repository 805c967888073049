import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { JobEvent, TerminalJobEvent } from '../../shared/ipc-contract.js';
import type { QuantizeReportInfo } from '../../shared/job-reports.js';
import type { VariantJobResult } from '../../shared/job-results.js';
import type { ModelSummary } from '../../shared/model-summary.js';
import {
  ORIGINAL_TARGET,
  workspaceExternalDataUrlPath,
  workspaceFileUrlPath,
  type Workspace,
} from '../../shared/workspace.js';
import { wsUrlFor, type WsServerMessage } from '../../shared/ws-protocol.js';
import { encodeNpyArray } from '../engine/datasets/npy-format.js';
import type { StudioBackend } from '../engine/jobs/studio-backend.js';
import { testBackend } from '../engine/testing/test-backend.js';
import { tinyDigits } from '../engine/testing/tiny-digits.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { saveModel } from '../engine/onnx/save-model.js';
import { buildMlp } from '../engine/testing/model-fixtures.js';
import { writeWithExternalData } from '../engine/testing/external-data-files.js';
import { workspaceKey } from '../engine/workspace/workspace-store.js';
import { startServeServer, type RunningServer } from './serve-server.js';
import { safeUploadName } from './uploads.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A GET with the path sent exactly as written (fetch and URL would normalize `..` away). */
function raw(
  port: number,
  rawPath: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: rawPath, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A WebSocket client that collects every message and answers requests by id. */
class Client {
  readonly messages: WsServerMessage[] = [];
  private nextId = 1;
  private waiters: { test: (m: WsServerMessage) => boolean; resolve: (m: WsServerMessage) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as WsServerMessage;
      this.messages.push(message);
      for (const w of [...this.waiters]) {
        if (w.test(message)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(message);
        }
      }
    });
  }

  static async connect(url: string, headers?: Record<string, string>): Promise<Client> {
    const socket = new WebSocket(url, headers ? { headers } : undefined);
    const client = new Client(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  waitFor(test: (m: WsServerMessage) => boolean): Promise<WsServerMessage> {
    const found = this.messages.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  async request<T = unknown>(
    channel: string,
    payload: unknown,
  ): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ type: 'request', id, channel, payload }));
    const response = await this.waitFor((m) => m.type === 'response' && m.id === id);
    return (response as { response: { ok: boolean; value?: T; error?: { code: string; message: string } } })
      .response;
  }

  jobEvents(jobId: string): JobEvent[] {
    return this.messages.flatMap((m) =>
      m.type === 'event' && m.channel === 'studio:job.event' && m.payload.jobId === jobId ? [m.payload] : [],
    );
  }

  terminal(jobId: string): Promise<TerminalJobEvent> {
    return this.waitFor(
      (m) =>
        m.type === 'event' &&
        m.channel === 'studio:job.event' &&
        m.payload.jobId === jobId &&
        ['result', 'failed', 'cancelled'].includes(m.payload.type),
    ).then((m) => (m as { payload: TerminalJobEvent }).payload);
  }

  close(): void {
    this.socket.close();
  }
}

describe('onnx-studio serve', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let backend: StudioBackend;
  let server: RunningServer;
  let base: string;
  const sample = tinyDigits();

  beforeAll(async () => {
    tmp = makeTempDir('onnx-studio-serve-');
    const rendererDir = path.join(tmp.dir, 'renderer');
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    fs.writeFileSync(
      path.join(rendererDir, 'index.html'),
      '<!doctype html><title>ONNX Studio</title><script type="module" src="./assets/app.js"></script>',
    );
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
    fs.writeFileSync(path.join(rendererDir, 'build.json'), '{"build":"2026-12-06T10:00:00.000Z"}\n');
    fs.writeFileSync(path.join(tmp.dir, 'secret.txt'), 'top secret');
    backend = testBackend(tmp.dir);
    server = await startServeServer({
      backend,
      rendererDir,
      uploadsDir: path.join(tmp.dir, 'data', 'uploads'),
      version: '0.0.0-test',
      log: () => {},
    });
    base = `/${server.token}`;
  });

  afterAll(async () => {
    await server.close();
    await backend.dispose();
    tmp.cleanup();
  });

  it('binds 127.0.0.1 and prints a URL carrying a random token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/${server.token}/`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('refuses every HTTP request without the right token', async () => {
    // A token one character off (never the token itself: a random token may end in 'x').
    const other = server.token.endsWith('x') ? 'y' : 'x';
    for (const p of [
      '/',
      '/index.html',
      '/assets/app.js',
      `/${server.token.slice(0, -1)}${other}/`,
      `/${server.token}${other}/index.html`,
      '/ws',
      '/upload?name=a.onnx',
    ]) {
      const r = await raw(server.port, p);
      expect(r.status, p).toBe(401);
      expect(r.body.toString()).toMatch(/access token/);
    }
  });

  it('serves the app with the token, with security headers', async () => {
    const page = await raw(server.port, `${base}/`);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toMatch(/ONNX Studio/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect((await raw(server.port, `${base}/assets/app.js`)).headers['content-type']).toMatch(/javascript/);
    const redirect = await raw(server.port, base);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`${base}/`);
  });

  it('refuses path traversal, however it is spelled', async () => {
    for (const p of [
      `${base}/../secret.txt`,
      `${base}/%2e%2e/secret.txt`,
      `${base}/..%2fsecret.txt`,
      `${base}/assets/..%2f..%2fsecret.txt`,
      `${base}/%2e%2e%2f%2e%2e%2fsecret.txt`,
      `${base}/..%5csecret.txt`,
      `${base}/assets/%00app.js`,
      `${base}/workspace-files/..%2f..%2fsecret.txt/original`,
      `${base}/workspace-files/%2e%2e/original`,
    ]) {
      const r = await raw(server.port, p);
      expect([401, 404, 400], p).toContain(r.status);
      expect(r.body.toString(), p).not.toMatch(/top secret/);
    }
  });

  it("serves a workspace model's external data files behind the token, and no other file", async () => {
    const dir = path.join(tmp.dir, 'ext-model');
    fs.mkdirSync(dir);
    const modelPath = writeWithExternalData(dir, 'mlp.onnx', buildMlp(), { 'fc1.weight': 'weights/w.bin' });
    await backend.store.update(modelPath, () => {});
    const key = workspaceKey(modelPath);
    const listing = await raw(server.port, `${base}/${workspaceExternalDataUrlPath(key, ORIGINAL_TARGET)}`);
    expect(listing.status).toBe(200);
    expect(listing.headers['content-type']).toMatch(/application\/json/);
    const data = path.join(dir, 'weights', 'w.bin');
    expect(JSON.parse(listing.body.toString())).toEqual({
      files: [
        { location: 'weights/w.bin', bytes: 32 * 16 * 4, tensors: 1, fileBytes: fs.statSync(data).size },
      ],
    });
    const file = await raw(
      server.port,
      `${base}/${workspaceExternalDataUrlPath(key, ORIGINAL_TARGET, 'weights/w.bin')}`,
    );
    expect(file.status).toBe(200);
    expect(file.headers['content-length']).toBe(String(fs.statSync(data).size));
    expect(file.body.equals(fs.readFileSync(data))).toBe(true);
    // The same checks as every request: no token, no file.
    const tokenless = await raw(
      server.port,
      `/${workspaceExternalDataUrlPath(key, ORIGINAL_TARGET, 'weights/w.bin')}`,
    );
    expect(tokenless.status).toBe(401);
    // A path the model does not name, however it is spelled, is no file of it.
    for (const location of [
      '../../secret.txt',
      '..%2F..%2Fsecret.txt',
      '%2e%2e%2F%2e%2e%2Fsecret.txt',
      'weights%2F..%2F..%2F..%2Fsecret.txt',
    ]) {
      const r = await raw(
        server.port,
        `${base}/${workspaceExternalDataUrlPath(key, ORIGINAL_TARGET)}/${location}`,
      );
      expect(r.status, location).toBe(404);
      expect(r.body.toString(), location).not.toMatch(/top secret/);
    }
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    const r = await raw(server.port, `${base}/`, { headers: { Host: `evil.example:${server.port}` } });
    expect(r.status).toBe(403);
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    await expect(Client.connect(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow(/401/);
    await expect(Client.connect(`ws://127.0.0.1:${server.port}/nottoken/ws`)).rejects.toThrow(/401/);
    await expect(Client.connect(wsUrlFor(server.url), { Origin: 'http://evil.example' })).rejects.toThrow(
      /403/,
    );
  });

  it('answers malformed messages and payloads with errors, not silence', async () => {
    const client = await Client.connect(wsUrlFor(server.url), { Origin: `http://127.0.0.1:${server.port}` });
    try {
      const hello = await client.waitFor((m) => m.type === 'hello');
      // The page's build stamp as serve found it at start, so the page can tell it comes from another build.
      expect(hello).toMatchObject({
        type: 'hello',
        protocol: 1,
        host: 'serve',
        rendererBuild: '2026-12-06T10:00:00.000Z',
      });
      client.socket.send('not json');
      await client.waitFor((m) => m.type === 'error' && /not valid JSON/.test(m.error.message));
      const unknown = await client.request('studio:no.such', {});
      expect(unknown.error?.message).toMatch(/Unknown method/);
      const bad = await client.request('studio:model.inspect', { path: 'relative/model.onnx' });
      expect(bad.error).toMatchObject({ code: 'BAD_REQUEST' });
      expect(bad.error?.message).toMatch(/must be absolute/);
      const extra = await client.request('studio:job.start', {
        kind: 'quantize',
        modelPath: sample.modelPath,
        method: 'int8-dynamic',
        sneaky: true,
      });
      expect(extra.error).toMatchObject({ code: 'BAD_REQUEST' });
      const dialog = await client.request('studio:model.openDialog', {});
      expect(dialog.error?.message).toMatch(/file browser/);
    } finally {
      client.close();
    }
  });

  it('runs a full inspect and quantize job over a real WebSocket and serves the variant', async () => {
    const client = await Client.connect(wsUrlFor(server.url));
    try {
      const inspected = await client.request<ModelSummary>('studio:model.inspect', {
        path: sample.modelPath,
      });
      expect(inspected.ok).toBe(true);
      expect(inspected.value?.inputs.length).toBeGreaterThan(0);

      const inspectJob = await client.request<{ jobId: string }>('studio:job.start', {
        kind: 'inspect',
        modelPath: sample.modelPath,
      });
      const inspectEnd = await client.terminal(inspectJob.value!.jobId);
      expect(inspectEnd).toMatchObject({ type: 'result', result: { nodes: inspected.value!.nodes } });

      const started = await client.request<{ jobId: string }>('studio:job.start', {
        kind: 'quantize',
        modelPath: sample.modelPath,
        method: 'int8-dynamic',
      });
      expect(started.ok).toBe(true);
      const jobId = started.value!.jobId;
      const end = await client.terminal(jobId);
      expect(end.type).toBe('result');
      const result = (end as { result: VariantJobResult<QuantizeReportInfo> }).result;
      expect(result.report.method).toBe('int8-dynamic');
      expect(result.report.outputBytes).toBeLessThan(result.report.inputBytes);
      expect(result.variant.cliCommand).toMatch(
        /^onnx-studio quantize .*digits\.onnx -o .* --method int8-dynamic$/,
      );

      // Events arrived numbered from 0 with no gaps, progress first, exactly one terminal event last.
      const events = client.jobEvents(jobId);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events[0]?.type).toBe('progress');
      expect(events.filter((e) => ['result', 'failed', 'cancelled'].includes(e.type))).toHaveLength(1);
      await client.waitFor((m) => m.type === 'event' && m.channel === 'studio:workspace.changed');

      const ws = await client.request<Workspace>('studio:workspace.get', { modelPath: sample.modelPath });
      expect(ws.value?.variants.map((v) => v.id)).toContain(result.variant.id);
      const listed = await client.request<{ jobId: string; state: string }[]>('studio:job.list', {});
      expect(listed.value?.find((j) => j.jobId === jobId)?.state).toBe('succeeded');

      const file = await raw(
        server.port,
        `${base}/${workspaceFileUrlPath(ws.value!.key, result.variant.id)}`,
      );
      expect(file.status).toBe(200);
      expect(file.body.length).toBe(result.variant.fileBytes);
      expect(
        (await raw(server.port, `${base}/${workspaceFileUrlPath(ws.value!.key, 'v-nope')}`)).status,
      ).toBe(404);
    } finally {
      client.close();
    }
  });

  it("sends a data check's progress to the page that asked, and cancels its checks when the page goes away", async () => {
    const samples = 20_000;
    const inputs = path.join(tmp.dir, 'many-inputs.npy');
    fs.writeFileSync(inputs, encodeNpyArray(new Float32Array(samples * 64), 'float32', [samples, 1, 8, 8]));
    const check = (checkId: string, file = inputs) => ({
      modelPath: sample.modelPath,
      role: 'calibration',
      data: { spec: { kind: 'npy', path: file } },
      checkId,
    });
    const a = await Client.connect(wsUrlFor(server.url));
    const b = await Client.connect(wsUrlFor(server.url));
    const progressOf = (client: Client) =>
      client.messages.flatMap((m) =>
        m.type === 'event' && m.channel === 'studio:dataset.checkProgress' ? [m.payload] : [],
      );
    const run = backend.tasks.run.bind(backend.tasks);
    const handedOver: string[] = [];
    const taskSpy = vi.spyOn(backend.tasks, 'run').mockImplementation((task, options) => {
      const running = run(task, options);
      if (task.kind === 'checkDataset') handedOver.push(task.data.kind === 'npy' ? task.data.path : '');
      return running;
    });
    const cancelSpy = vi.spyOn(backend.checks, 'cancel');
    try {
      // A's check: its progress reaches A, not B.
      expect(await a.request('studio:dataset.check', check('a-small', sample.inputsPath))).toMatchObject({
        ok: true,
      });
      expect(progressOf(a).at(-1)).toEqual({
        checkId: 'a-small',
        done: 360,
        total: 360,
        role: 'calibration',
      });
      await b.request('studio:app.info', {}); // a round trip: anything sent to B before has arrived
      expect(progressOf(b)).toEqual([]);

      // A and B each start a long check; A's tab closes: A's check is cancelled in the engine, B's runs on.
      handedOver.length = 0;
      // Data of its own for each: the same check sent by both would run once, both waiting on it.
      const aInputs = path.join(tmp.dir, 'many-inputs-a.npy');
      fs.copyFileSync(inputs, aInputs);
      const bCheck = b.request('studio:dataset.check', check('b-big'));
      void a.request('studio:dataset.check', check('a-big', aInputs));
      await expect.poll(() => handedOver.length).toBe(2);
      a.close();
      await expect.poll(() => cancelSpy.mock.calls.map(([id]) => id)).toEqual(['a-big']);
      expect(cancelSpy.mock.results[0]).toEqual({ type: 'return', value: true });
      expect(await bCheck).toMatchObject({ ok: true, value: { identity: { samples } } });
      // Over: nothing left to cancel when B goes.
      b.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(cancelSpy).toHaveBeenCalledTimes(1);
    } finally {
      taskSpy.mockRestore();
      cancelSpy.mockRestore();
      a.close();
      b.close();
    }
  });

  it('stores uploads under the data folder with a safe name', async () => {
    const r = await raw(server.port, `${base}/upload?name=${encodeURIComponent('../../evil name.onnx')}`, {
      method: 'POST',
      body: Buffer.from('model bytes'),
    });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body.toString()) as { ok: boolean; value: { path: string; bytes: number } };
    expect(body.value.bytes).toBe(11);
    expect(path.basename(body.value.path)).toBe('evil name.onnx');
    expect(body.value.path.startsWith(path.join(tmp.dir, 'data', 'uploads') + path.sep)).toBe(true);
    expect(fs.readFileSync(body.value.path, 'utf8')).toBe('model bytes');
  });

  it('puts the files of one drop in one folder under their own names, so a model opens with its external data', async () => {
    // A model whose weights are in 'ext weights ü.bin', as `convert --external-data` writes it.
    const made = path.join(tmp.dir, 'made ext');
    fs.mkdirSync(made, { recursive: true });
    await saveModel(buildMlp(), path.join(made, 'ext model ü.onnx'), {
      externalData: { thresholdBytes: 64, fileName: 'ext weights ü.bin' },
    });
    const batch = '0123456789abcdef';
    const upload = (name: string, batchId = batch) =>
      raw(server.port, `${base}/upload?name=${encodeURIComponent(name)}&batch=${batchId}`, {
        method: 'POST',
        body: fs.readFileSync(path.join(made, name)),
      });
    const data = await upload('ext weights ü.bin');
    const model = await upload('ext model ü.onnx');
    expect([data.status, model.status]).toEqual([200, 200]);
    const modelPath = (JSON.parse(model.body.toString()) as { value: { path: string } }).value.path;
    expect(modelPath).toBe(path.join(tmp.dir, 'data', 'uploads', batch, 'ext model ü.onnx'));
    const client = await Client.connect(wsUrlFor(server.url));
    try {
      const inspected = await client.request<ModelSummary>('studio:model.inspect', { path: modelPath });
      expect(inspected.error?.message).toBeUndefined();
      expect(inspected.ok).toBe(true);
    } finally {
      client.close();
    }
    // A second file of one name in one drop is refused, not written over the first.
    const again = await upload('ext weights ü.bin');
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body.toString())).toMatchObject({
      ok: false,
      error: { message: /Two of the dropped files/ },
    });
    // Two uploads of one name at once: one file, the other refused (a rename after a look replaced the first).
    fs.writeFileSync(path.join(made, 'twice.bin'), Buffer.alloc(1 << 20, 7));
    const racing = await Promise.all([
      upload('twice.bin', 'fedcba9876543210'),
      upload('twice.bin', 'fedcba9876543210'),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    // A batch is a folder name the page makes, never a path.
    for (const bad of ['..', '../x', '0123456789ABCDEF', 'abc', '%2e%2e%2f0123456789abcdef']) {
      const r = await upload('ext weights ü.bin', bad);
      expect(r.status, bad).toBe(400);
    }
  });
});

describe('upload names', () => {
  it('keep every letter of every script, ZWNJ included, and lose bidi overrides and folders', () => {
    // A Persian name with a ZWNJ: a data file the model names so must be found under that name.
    expect(safeUploadName('داده\u200cها.bin')).toBe('داده\u200cها.bin');
    expect(safeUploadName('evil\u202egnp.onnx')).toBe('evil_gnp.onnx');
    expect(safeUploadName('../../etc/passwd')).toBe('passwd');
    expect(Buffer.byteLength(safeUploadName('ü'.repeat(300))!)).toBeLessThanOrEqual(200);
  });
});

describe('serve stopping', () => {
  it('closes every page with 1001 before it cancels the jobs, so a page can say they were cancelled', async () => {
    const tmp2 = makeTempDir('onnx-studio-serve-stop-');
    const backend2 = testBackend(tmp2.dir);
    const rendererDir = path.join(tmp2.dir, 'renderer');
    fs.mkdirSync(rendererDir, { recursive: true });
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>');
    const server2 = await startServeServer({
      backend: backend2,
      rendererDir,
      uploadsDir: path.join(tmp2.dir, 'uploads'),
      version: '0.0.0-test',
      log: () => {},
    });
    try {
      const client = await Client.connect(wsUrlFor(server2.url));
      const closed = new Promise<number>((resolve) => client.socket.on('close', (code) => resolve(code)));
      await server2.close();
      expect(await closed).toBe(1001);
    } finally {
      await backend2.dispose();
      tmp2.cleanup();
    }
  });
});
