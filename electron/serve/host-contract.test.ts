/**
 * One contract, two hosts: every rule below is asserted against the mock host the UI tests use and against a
 * real `onnx-studio serve` (the real backend, over its WebSocket, through the page's own ws-host). A rule the
 * mock invents, or one the product lacks, fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { DataRef, DatasetCheckProgress, JobSpec, TerminalJobEvent } from '../../shared/ipc-contract.js';
import { QUANTIZE_METHOD_SPECS } from '../../shared/options/quantize-options.js';
import type { Workspace } from '../../shared/workspace.js';
import { createMockHost, MOCK_SAMPLE_PATH } from '../../renderer/src/host/mock-host.js';
import type { StudioHost } from '../../renderer/src/host/studio-host.js';
import { connectWsHost, type SocketLike } from '../../renderer/src/host/ws-host.js';
import { tinyDigits } from '../engine/testing/tiny-digits.js';
import { testBackend } from '../engine/testing/test-backend.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { encodeNpyArray } from '../engine/datasets/npy-format.js';
import { startServeServer } from './serve-server.js';

interface Subject {
  host: StudioHost;
  modelPath: string;
  /** A folder the host can write exports into. */
  outDir: string;
  /** Labelled evaluation data whose check takes a while (seconds), so a test can act while it runs. */
  slowData: DataRef;
  /** Another page of the same host, as after a reload (the mock's pages are one: the mock lives in the page). */
  otherPage(): Promise<StudioHost>;
  close(): Promise<void>;
}

function terminal(host: StudioHost, jobId: string): Promise<TerminalJobEvent> {
  return new Promise((resolve) => {
    const off = host.onJobEvent((e) => {
      if (e.jobId === jobId && (e.type === 'result' || e.type === 'failed' || e.type === 'cancelled')) {
        off();
        resolve(e as TerminalJobEvent);
      }
    });
  });
}

async function runJob(host: StudioHost, spec: JobSpec): Promise<TerminalJobEvent> {
  const started = await host.startJob(spec);
  if (!started.ok) throw new Error(started.error.message);
  return terminal(host, started.value.jobId);
}

/** The workspace once `test` holds, re-checked on every workspace change the host announces. */
async function workspaceWhen(host: StudioHost, modelPath: string, test: (ws: Workspace) => boolean): Promise<Workspace> {
  for (;;) {
    const changed = new Promise<void>((resolve) => {
      const off = host.onWorkspaceChanged(() => {
        off();
        resolve();
      });
    });
    const r = await host.getWorkspace(modelPath);
    if (r.ok && test(r.value)) return r.value;
    await changed;
  }
}

/**
 * As many 8x8 samples as a check reads (MAX_CHECKED_SAMPLES), with labels, for the tiny digits model: its check
 * reads them one by one, long enough for a test to see it running and cancel it.
 */
function slowDigits(dir: string): DataRef {
  const count = 20_000;
  const inputs = new Float32Array(count * 64).map((_, i) => (i % 17) / 17);
  const labels = new BigInt64Array(count).map((_, i) => BigInt(i % 10));
  fs.writeFileSync(path.join(dir, 'slow-inputs.npy'), encodeNpyArray(inputs, 'float32', [count, 1, 8, 8]));
  fs.writeFileSync(path.join(dir, 'slow-labels.npy'), encodeNpyArray(labels, 'int64', [count]));
  return { spec: { kind: 'npy', path: path.join(dir, 'slow-inputs.npy'), labels: path.join(dir, 'slow-labels.npy') } };
}

const subjects: [string, () => Promise<Subject>][] = [
  [
    'mock host',
    async () => {
      const host = createMockHost({ latencyMs: 0, msPerRun: 0 });
      return {
        host,
        modelPath: MOCK_SAMPLE_PATH,
        outDir: '/models',
        // The mock checks data whose path says `slow` over a minute.
        slowData: { spec: { kind: 'npy', path: '/data/slow-inputs.npy', labels: '/data/slow-labels.npy' } },
        otherPage: async () => host,
        close: async () => {},
      };
    },
  ],
  [
    'onnx-studio serve',
    async () => {
      const tmp = makeTempDir('onnx-studio-contract-');
      const sample = tinyDigits();
      const modelPath = path.join(tmp.dir, 'digits.onnx');
      fs.copyFileSync(sample.modelPath, modelPath);
      const backend = testBackend(tmp.dir, { version: 'test' });
      fs.mkdirSync(path.join(tmp.dir, 'renderer'));
      const server = await startServeServer({
        backend,
        rendererDir: path.join(tmp.dir, 'renderer'),
        uploadsDir: path.join(tmp.dir, 'uploads'),
        version: 'test',
        log: () => {},
      });
      const connected = await connectWsHost({
        pageUrl: server.url,
        createSocket: (url: string) => new WebSocket(url) as unknown as SocketLike,
      });
      if (!connected.ok) throw new Error(connected.error.message);
      const host = connected.value;
      const pages: { close(): void }[] = [host];
      return {
        host,
        modelPath,
        outDir: tmp.dir,
        slowData: slowDigits(tmp.dir),
        otherPage: async () => {
          const page = await connectWsHost({
            pageUrl: server.url,
            createSocket: (url: string) => new WebSocket(url) as unknown as SocketLike,
          });
          if (!page.ok) throw new Error(page.error.message);
          pages.push(page.value);
          return page.value;
        },
        close: async () => {
          for (const page of pages) page.close();
          await server.close();
          await backend.dispose();
          tmp.cleanup();
        },
      };
    },
  ],
];

for (const [name, make] of subjects) {
  describe(`host contract: ${name}`, () => {
    let s: Subject;
    let variantId = '';
    beforeAll(async () => {
      s = await make();
    });
    afterAll(async () => s.close());

    it('lists every declared method, forms derived from the same declarations', async () => {
      const r = await s.host.listMethods();
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.quantize.methods.map((m) => m.name)).toEqual(expect.arrayContaining(Object.keys(QUANTIZE_METHOD_SPECS)));
      const int4 = r.value.quantize.methods.find((m) => m.name === 'int4')!;
      expect(int4.fields.find((f) => f.name === 'accuracyLevel')).toMatchObject({ flag: 'accuracy-level', default: 4 });
    });

    it('a pipeline makes a variant and evaluates it, and is kept in the workspace', async () => {
      const sample = await s.host.appInfo();
      if (!sample.ok || !sample.value.sample) throw new Error('no sample');
      const answer = await s.host.startPipelines({
        pipelines: [
          {
            make: { kind: 'quantize', modelPath: s.modelPath, method: 'int8-dynamic', common: {}, options: {} },
            evaluate: { data: sample.value.sample.data },
          },
        ],
      });
      if (!answer.ok) throw new Error(answer.error.message);
      expect(answer.value).toMatchObject({ failed: [], cancelled: false });
      const started = { value: answer.value.started[0]!.pipeline };
      const ws = await workspaceWhen(s.host, s.modelPath, (w) => w.pipelines?.find((p) => p.id === started.value.id)?.status !== 'running');
      const record = ws.pipelines!.find((p) => p.id === started.value.id)!;
      expect(record.steps.map((st) => st.status)).toEqual(['done', 'done', 'done']);
      const variant = ws.variants.find((v) => v.id === record.variant)!;
      expect(variant.name).toBe('int8-dynamic');
      expect(variant.cliCommand).toContain('--method int8-dynamic');
      variantId = variant.id;
    });

    it('names a pruned variant by method and sparsity, and refuses a rename to a taken name', async () => {
      const pruned = await runJob(s.host, { kind: 'prune', modelPath: s.modelPath, method: 'magnitude', common: { sparsity: 0.5 } });
      expect(pruned.type).toBe('result');
      const made = (pruned as { result: { variant: { id: string; name: string } } }).result.variant;
      expect(made.name).toBe('magnitude 50%');
      // Both hosts refuse it, saying so (the name typed is never silently changed to 'int8-dynamic (2)').
      const renamed = await s.host.renameVariant({ modelPath: s.modelPath, variantId: made.id, name: 'int8-dynamic' });
      expect(renamed).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'Another variant is named int8-dynamic: choose another name.' },
      });
    });

    it('export refuses a file that is not .onnx, and asks before replacing the original', async () => {
      const bad = await runJob(s.host, { kind: 'export', modelPath: s.modelPath, target: variantId, outputPath: path.join(s.outDir, 'model.txt') });
      expect(bad).toMatchObject({ type: 'failed', error: { code: 'BAD_REQUEST', message: expect.stringMatching(/does not end in \.onnx/) } });
      const over = await runJob(s.host, { kind: 'export', modelPath: s.modelPath, target: variantId, outputPath: s.modelPath });
      expect(over).toMatchObject({ type: 'result', result: { written: false, reason: 'original' } });
      const ok = await runJob(s.host, { kind: 'export', modelPath: s.modelPath, target: variantId, outputPath: path.join(s.outDir, 'small.onnx') });
      expect(ok).toMatchObject({ type: 'result', result: { written: true } });
    });

    it('a pipeline that is not running cannot be run again when every step finished', async () => {
      const ws = await s.host.getWorkspace(s.modelPath);
      if (!ws.ok) throw new Error(ws.error.message);
      const done = ws.value.pipelines!.find((p) => p.status === 'done')!;
      const again = await s.host.rerunPipeline({ modelPath: s.modelPath, pipelineId: done.id });
      expect(again).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/nothing to run again/) } });
    });

    it('a data check is cancelled by its id and answers CANCELLED; an id with no check running cancels nothing', async () => {
      const sample = await s.host.appInfo();
      if (!sample.ok || !sample.value.sample) throw new Error('no sample');
      const request = { modelPath: s.modelPath, role: 'evaluation' as const, data: sample.value.sample.data, checkId: 'contract-check' };
      const check = s.host.checkDataset(request);
      expect(await s.host.cancelDatasetCheck('contract-check')).toEqual({ ok: true, value: { cancelled: true } });
      expect(await check).toMatchObject({ ok: false, error: { code: 'CANCELLED', message: 'The data check was cancelled.' } });
      expect(await s.host.cancelDatasetCheck('contract-check')).toEqual({ ok: true, value: { cancelled: false } });
      // The same id is free again once its check ended.
      expect(await s.host.checkDataset(request)).toMatchObject({ ok: true, value: { identity: { samples: 360 } } });
    });

    it('a data check with an id reports its progress under that id, from 0 to every sample read', async () => {
      const sample = await s.host.appInfo();
      if (!sample.ok || !sample.value.sample) throw new Error('no sample');
      const events: DatasetCheckProgress[] = [];
      const off = s.host.onDatasetCheckProgress((p) => events.push(p));
      try {
        const data = sample.value.sample.data;
        expect(await s.host.checkDataset({ modelPath: s.modelPath, role: 'evaluation', data, checkId: 'counted' })).toMatchObject({ ok: true });
        expect(events[0]).toEqual({ checkId: 'counted', done: 0, total: 360, role: 'evaluation' });
        expect(events.at(-1)).toEqual({ checkId: 'counted', done: 360, total: 360, role: 'evaluation' });
        // A check without an id reports to no one.
        events.length = 0;
        expect(await s.host.checkDataset({ modelPath: s.modelPath, role: 'evaluation', data })).toMatchObject({ ok: true });
        expect(events).toEqual([]);
      } finally {
        off();
      }
    });

    it('pipeline.start checks its pipelines\' data under its checkId: progress, and cancelCheck stops them before any step', async () => {
      const sample = await s.host.appInfo();
      if (!sample.ok || !sample.value.sample) throw new Error('no sample');
      const before = await s.host.getWorkspace(s.modelPath);
      if (!before.ok) throw new Error(before.error.message);
      const make = { kind: 'quantize' as const, modelPath: s.modelPath, method: 'int8-dynamic', common: {}, options: {} };
      // Two pipelines: Cancel during the first one's check starts neither.
      const pipeline = { make, evaluate: { data: sample.value.sample.data } };
      const request = { pipelines: [pipeline, pipeline], checkId: 'pipeline-check' };
      const started = s.host.startPipelines(request);
      expect(await s.host.cancelDatasetCheck('pipeline-check')).toEqual({ ok: true, value: { cancelled: true } });
      expect(await started).toEqual({ ok: true, value: { started: [], failed: [], cancelled: true } });
      const after = await s.host.getWorkspace(s.modelPath);
      if (!after.ok) throw new Error(after.error.message);
      expect(after.value.pipelines?.length ?? 0).toBe(before.value.pipelines?.length ?? 0);

      const events: DatasetCheckProgress[] = [];
      const off = s.host.onDatasetCheckProgress((p) => events.push(p));
      try {
        const answer = await s.host.startPipelines({ pipelines: [pipeline], checkId: 'pipeline-check' });
        if (!answer.ok) throw new Error(answer.error.message);
        const record = answer.value.started[0]!.pipeline;
        expect(record.request).not.toHaveProperty('checkId');
        expect(events.at(-1)).toEqual({ checkId: 'pipeline-check', done: 360, total: 360, role: 'evaluation', item: 0 });
        await workspaceWhen(s.host, s.modelPath, (ws) => ws.pipelines?.find((p) => p.id === record.id)?.status !== 'running');
      } finally {
        off();
      }
    });

    it('a pipeline.start still checking its data is listed with the workspace, and another page cancels it by its checkId', async () => {
      const make = { kind: 'quantize' as const, modelPath: s.modelPath, method: 'int8-dynamic', common: {}, options: {} };
      const pipeline = { make, evaluate: { data: s.slowData } };
      const other = await s.otherPage();
      // The check is under way once its first count arrives (to the page that sent it).
      const checking = new Promise<void>((resolve) => {
        const off = s.host.onDatasetCheckProgress((p) => {
          if (p.checkId !== 'reloaded-start') return;
          off();
          resolve();
        });
      });
      const started = s.host.startPipelines({ pipelines: [pipeline, { ...pipeline, title: 'second' }], checkId: 'reloaded-start' });
      await checking;
      const listed = await other.getWorkspace(s.modelPath);
      if (!listed.ok) throw new Error(listed.error.message);
      expect(listed.value.startsInFlight).toEqual([
        { checkId: 'reloaded-start', titles: ['Quantize: int8-dynamic', 'second'], item: 0, started: 0, failed: 0 },
      ]);
      expect(await other.cancelDatasetCheck('reloaded-start')).toEqual({ ok: true, value: { cancelled: true } });
      expect(await started).toEqual({ ok: true, value: { started: [], failed: [], cancelled: true } });
      const after = await other.getWorkspace(s.modelPath);
      expect(after.ok && after.value.startsInFlight).toBeUndefined();
    });
  });
}
