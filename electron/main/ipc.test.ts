/**
 * The real IPC handlers (ipc.ts) on a stand-in `ipcMain`, in front of a real StudioBackend (workspace on a
 * temp folder, real task and engine processes): every contract channel is registered, refuses callers that
 * are not the app:// renderer, answers a malformed payload with a typed BAD_REQUEST, and round-trips a valid
 * one; backend events reach app:// windows only. No Electron binary needed: `electron` is mocked with
 * objects that fail if used, so the test proves the handlers use only what they are given.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  IPC_CHANNELS,
  IPC_METHOD_CHANNELS,
  type IpcMethodChannel,
  type IpcMethods,
  type IpcRequest,
  type IpcResponse,
  type JobEvent,
} from '../../shared/ipc-contract.js';
import { benchRecord } from '../../renderer/src/state/test-fixtures.js';
import type { HostHandlers } from '../engine/jobs/studio-backend.js';
import { StudioBackend } from '../engine/jobs/studio-backend.js';
import { writeEmptySweep } from '../engine/testing/sweep-fixture.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { registerIpcHandlers, sendMenuCommand, sendOpenModel } from './ipc.js';
import { StandInWindow, standInElectron, type StandInSender } from './testing/ipc-stand-in.js';

vi.mock('electron', () => {
  const unusable = (name: string) =>
    new Proxy(
      {},
      {
        get: () => {
          throw new Error(`ipc.ts used the real electron.${name}; tests inject stand-ins`);
        },
      },
    );
  return { ipcMain: unusable('ipcMain'), BrowserWindow: unusable('BrowserWindow') };
});

const APP_URL = 'app://renderer/index.html';
const DIGITS = path.resolve(import.meta.dirname, '../engine/testing/fixtures/digits/digits.onnx');

let tmp: ReturnType<typeof makeTempDir>;
let model: string;
let backend: StudioBackend;
let stopEvents: () => void;
const { electron, ipcMain, windows } = standInElectron();
const appWindow = new StandInWindow(APP_URL);
const app: StandInSender = { frameUrl: APP_URL, sender: appWindow.webContents };
/** What the stand-in native dialogs were asked, and the context they were handed. */
const dialogCalls: { channel: string; request: unknown; context: unknown }[] = [];

function call<C extends IpcMethodChannel>(
  channel: C,
  payload: unknown,
  from: StandInSender = app,
): Promise<IpcResponse<C>> {
  return ipcMain.invoke(from, channel, payload) as Promise<IpcResponse<C>>;
}

async function value<C extends IpcMethodChannel>(
  channel: C,
  payload: IpcRequest<C>,
): Promise<IpcMethods[C]['response']> {
  const response = await call(channel, payload);
  if (!response.ok) throw new Error(`${channel}: ${response.error.code} ${response.error.message}`);
  return response.value;
}

function dialogs(): HostHandlers {
  const record =
    <T>(channel: string, answer: T) =>
    async (request: unknown, context: unknown): Promise<T> => {
      dialogCalls.push({ channel, request, context });
      return answer;
    };
  return {
    [IPC_CHANNELS.modelOpenDialog]: record(IPC_CHANNELS.modelOpenDialog, '/picked/model.onnx'),
    [IPC_CHANNELS.dialogOpenPath]: record(IPC_CHANNELS.dialogOpenPath, null),
    [IPC_CHANNELS.dialogSavePath]: record(IPC_CHANNELS.dialogSavePath, '/picked/report.html'),
  };
}

beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-ipc-');
  model = path.join(tmp.dir, 'digits.onnx');
  fs.copyFileSync(DIGITS, model);
  await writeEmptySweep(path.join(tmp.dir, 'sweep'), model);
  backend = new StudioBackend({
    dataDir: path.join(tmp.dir, 'data'),
    host: 'electron',
    version: '0.0.0-test',
    capabilities: { nativeDialogs: true, fileBrowser: true, upload: false },
    hostHandlers: dialogs(),
    sample: null,
  });
  stopEvents = registerIpcHandlers(backend, electron);
});

afterAll(async () => {
  stopEvents?.();
  await backend?.dispose();
  tmp?.cleanup();
});

describe('registerIpcHandlers', () => {
  it('registers one handler per contract method, and only those', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...IPC_METHOD_CHANNELS].sort());
    // Electron refuses a second handler for a channel; main registers once.
    expect(() => registerIpcHandlers(backend, electron)).toThrow(/second handler/);
  });

  it('answers a malformed payload on every channel with a typed BAD_REQUEST naming the channel', async () => {
    for (const channel of IPC_METHOD_CHANNELS) {
      for (const payload of [{ unexpected: true }, null, 'text', [1]]) {
        const response = await call(channel, payload);
        expect(response, `${channel} ${JSON.stringify(payload)}`).toMatchObject({
          ok: false,
          error: {
            code: 'BAD_REQUEST',
            message: expect.stringContaining(channel),
            detail: expect.any(String),
          },
        });
      }
    }
    // Field-level checks of the schemas apply too: a relative path is refused before any file is touched.
    const relative = await call(IPC_CHANNELS.modelInspect, { path: 'digits.onnx' });
    expect(relative).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(!relative.ok && relative.error.message).toMatch(/path: The path must be absolute/);
    expect(dialogCalls).toEqual([]);
  });

  it('refuses every channel when the calling frame is not the app:// renderer, before the backend runs', async () => {
    const dispatch = vi.spyOn(backend, 'dispatch');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const frameUrl of [
        'http://127.0.0.1:5173/index.html',
        'https://renderer/index.html',
        'file:///index.html',
        'app://other/index.html',
        'about:blank',
        '',
        null,
      ]) {
        for (const channel of IPC_METHOD_CHANNELS) {
          const response = await call(channel, VALID[channel].request(), { frameUrl });
          expect(response, `${channel} from ${frameUrl}`).toEqual({
            ok: false,
            error: {
              code: 'BAD_REQUEST',
              message: 'This request did not come from the ONNX Studio window, so it was refused.',
            },
          });
        }
      }
      expect(dispatch).not.toHaveBeenCalled();
      expect(dialogCalls).toEqual([]);
      // Main's log says who was refused.
      expect(warn).toHaveBeenCalledWith('[ipc] refused studio:app.info from app://other/index.html');
      expect(warn).toHaveBeenCalledWith('[ipc] refused studio:app.info from a destroyed frame');
    } finally {
      warn.mockRestore();
      dispatch.mockRestore();
    }
  });

  it('round-trips a valid request on every channel', async () => {
    // A variant to rename and remove, made by a real job through the handlers.
    const started = await value(IPC_CHANNELS.jobStart, {
      kind: 'quantize',
      modelPath: model,
      method: 'int8-dynamic',
    });
    const end = await backend.jobs.whenDone(started.jobId);
    expect(end?.type).toBe('result');
    variantId = (await value(IPC_CHANNELS.workspaceGet, { modelPath: model })).variants[0]!.id;

    const seen: IpcMethodChannel[] = [];
    for (const channel of ORDER) {
      const response = await call(channel, VALID[channel].request());
      expect(response.ok, `${channel}: ${JSON.stringify(response)}`).toBe(true);
      await (VALID[channel].check as (v: unknown) => void | Promise<void>)(
        (response as { value: unknown }).value,
      );
      seen.push(channel);
    }
    expect(seen.sort()).toEqual([...IPC_METHOD_CHANNELS].sort());
  });

  it('returns a failure inside a valid request as a typed error, not a rejection', async () => {
    const rename = await call(IPC_CHANNELS.workspaceRenameVariant, {
      modelPath: model,
      variantId: 'no-such-variant',
      name: 'x',
    });
    expect(rename).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/no variant 'no-such-variant'/) },
    });
    const notOnnx = path.join(tmp.dir, 'not-a-model.onnx');
    fs.writeFileSync(notOnnx, 'this is not protobuf');
    const inspect = await call(IPC_CHANNELS.modelInspect, { path: notOnnx });
    expect(inspect).toMatchObject({ ok: false, error: { code: 'MODEL_PARSE' } });
    const list = await call(IPC_CHANNELS.fsList, { path: path.join(tmp.dir, 'missing') });
    expect(list).toMatchObject({
      ok: false,
      error: { code: 'IO', message: expect.stringMatching(/No such file or folder/) },
    });
  });

  it('sends backend events to app:// windows only, until stopped', async () => {
    const foreign = new StandInWindow('https://example.com/');
    const closed = new StandInWindow(APP_URL);
    closed.destroyed = true;
    const second = new StandInWindow(`${APP_URL}#/optimize`);
    windows.push(appWindow, foreign, closed, second);
    try {
      const started = await value(IPC_CHANNELS.jobStart, { kind: 'inspect', modelPath: model });
      await backend.jobs.whenDone(started.jobId);
      await value(IPC_CHANNELS.recentClear, {});
      // A data check sent with an id: its progress reaches the windows as `studio:dataset.checkProgress`.
      const digitsData = (file: string) => path.join(path.dirname(DIGITS), file);
      await value(IPC_CHANNELS.datasetCheck, {
        modelPath: model,
        role: 'evaluation',
        data: {
          spec: { kind: 'npy', path: digitsData('test-inputs.npy'), labels: digitsData('test-labels.npy') },
        },
        checkId: 'events-check',
      });
      for (const window of [appWindow, second]) {
        const progress = window.sent
          .filter((m) => m.channel === IPC_CHANNELS.datasetCheckProgress)
          .map((m) => m.payload);
        expect(progress[0]).toEqual({ checkId: 'events-check', done: 0, total: 360, role: 'evaluation' });
        expect(progress.at(-1)).toEqual({
          checkId: 'events-check',
          done: 360,
          total: 360,
          role: 'evaluation',
        });
      }
      for (const window of [appWindow, second]) {
        const jobEvents = window.sent
          .filter((m) => m.channel === IPC_CHANNELS.jobEvent)
          .map((m) => m.payload as JobEvent)
          .filter((e) => e.jobId === started.jobId);
        expect(jobEvents.map((e) => e.seq)).toEqual(jobEvents.map((_, i) => i));
        expect(jobEvents.at(-1)?.type).toBe('result');
        expect(window.sent).toContainEqual({ channel: IPC_CHANNELS.recentChanged, payload: [] });
      }
      expect(foreign.sent).toEqual([]);
      expect(closed.sent).toEqual([]);

      stopEvents();
      const count = appWindow.sent.length;
      await value(IPC_CHANNELS.recentClear, {});
      expect(appWindow.sent).toHaveLength(count);
    } finally {
      windows.length = 0;
    }
  });

  it("cancels a window's data checks when it is closed, reloads or its renderer crashes, and no other window's", async () => {
    // Each check reads its own copy of the digits: the engine answers a check of data it has already checked,
    // unchanged, from its earlier report, without a task to hold.
    const dataCopy = (name: string) => {
      const folder = path.join(tmp.dir, `owned-${name}`);
      fs.mkdirSync(folder, { recursive: true });
      for (const file of ['test-inputs.npy', 'test-labels.npy'])
        fs.copyFileSync(path.join(path.dirname(DIGITS), file), path.join(folder, file));
      return {
        spec: {
          kind: 'npy',
          path: path.join(folder, 'test-inputs.npy'),
          labels: path.join(folder, 'test-labels.npy'),
        },
      } as const;
    };
    const check = (checkId: string) => ({
      modelPath: model,
      role: 'evaluation',
      data: dataCopy(checkId),
      checkId,
    });
    const data = dataCopy('a-pipeline');
    const a = new StandInWindow(APP_URL);
    const b = new StandInWindow(APP_URL);
    const from = (window: StandInWindow): StandInSender => ({
      frameUrl: APP_URL,
      sender: window.webContents,
    });
    // The engine's check tasks are held until a test lets one run (a real check of the digits is too quick to
    // catch running); a cancelled one ends as the task pool ends it.
    const run = backend.tasks.run.bind(backend.tasks);
    const held: { over: boolean; release(): void; end(): void }[] = [];
    const taskSpy = vi.spyOn(backend.tasks, 'run').mockImplementation((task, options) => {
      if (task.kind !== 'checkDataset') return run(task, options);
      return new Promise((resolve) => {
        const entry = {
          over: false,
          release: () => {
            entry.over = true;
            resolve(run(task, options));
          },
          end: () => {
            entry.over = true;
            resolve({ jobId: 'held', seq: 0, timeMs: Date.now(), type: 'cancelled' });
          },
        };
        options?.signal?.addEventListener('abort', entry.end, { once: true });
        held.push(entry);
      });
    });
    const cancelSpy = vi.spyOn(backend.checks, 'cancel');
    const cancelled = () => cancelSpy.mock.calls.map(([id]) => id);
    const pipelines = async () => (await backend.store.get(model)).pipelines?.length ?? 0;
    try {
      const before = await pipelines();
      const aCheck = call(IPC_CHANNELS.datasetCheck, check('a-check'), from(a));
      const bCheck = call(IPC_CHANNELS.datasetCheck, check('b-check'), from(b));
      await expect.poll(() => held.length).toBe(2);

      // A hash change (the renderer's routes) or a subframe's navigation is not the page going away.
      a.navigate({ isMainFrame: true, isSameDocument: true });
      a.navigate({ isMainFrame: false, isSameDocument: false });
      expect(cancelled()).toEqual([]);

      // A reloads: its check is cancelled in the engine. The reloaded page starts a pipeline under the same
      // id before the cancelled check has wound down: that check is A's too.
      a.reload();
      const aPipeline = call(
        IPC_CHANNELS.pipelineStart,
        {
          pipelines: [{ make: { kind: 'quantize', modelPath: model, method: 'int8-dynamic' }, evaluate: { data } }],
          checkId: 'a-check',
        },
        from(a),
      );
      await expect.poll(cancelled).toEqual(['a-check']);
      expect(cancelSpy.mock.results[0]).toEqual({ type: 'return', value: true });
      expect(await aCheck).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
      await expect.poll(() => held.length).toBe(3);

      // A closes: the pipeline it asked for is not cancelled (Queue was clicked); it starts once its check ends.
      a.close();
      expect(cancelled()).toEqual(['a-check']);

      // B's check ran on all along, and ends with its report; B closing then cancels nothing.
      expect(held.filter((task) => !task.over)).toHaveLength(2);
      for (const task of held) if (!task.over) task.release();
      expect(await bCheck).toMatchObject({ ok: true, value: { identity: { samples: 360 } } });
      expect(await aPipeline).toMatchObject({ ok: true });
      expect(await pipelines()).toBe(before + 1);
      // Its jobs are not this test's subject: stop them before the workspace goes. Each time: the pipeline
      // starts its next step's job a moment after the last one ended (a loaded machine lets one slip past).
      await expect
        .poll(async () => {
          await backend.jobs.cancelAll();
          return (await backend.store.get(model)).pipelines?.every((p) => p.status !== 'running');
        })
        .toBe(true);
      b.close();
      expect(cancelled()).toEqual(['a-check']);

      // C's renderer crashes while its check runs: the window stays open, but the page is gone.
      const c = new StandInWindow(APP_URL);
      const cCheck = call(IPC_CHANNELS.datasetCheck, check('c-check'), from(c));
      await expect.poll(() => held.length).toBe(4);
      c.crash();
      await expect.poll(cancelled).toEqual(['a-check', 'c-check']);
      expect(await cCheck).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    } finally {
      for (const task of held) if (!task.over) task.end();
      taskSpy.mockRestore();
      cancelSpy.mockRestore();
    }
  });

  it('sends menu commands and open requests to a live window, and drops them for a closed one', () => {
    const window = new StandInWindow(APP_URL);
    sendMenuCommand(window, 'open-sample');
    sendOpenModel(window, '/models/a.onnx');
    sendMenuCommand(null, 'open-model');
    window.destroyed = true;
    sendMenuCommand(window, 'export-report');
    sendOpenModel(window, '/models/b.onnx');
    expect(window.sent).toEqual([
      { channel: IPC_CHANNELS.menuCommand, payload: 'open-sample' },
      { channel: IPC_CHANNELS.modelOpenRequest, payload: { path: '/models/a.onnx' } },
    ]);
  });
});

let variantId = '';
let pipelineId = '';

/**
 * A valid request per channel and what its answer must look like. The mapped type makes a channel added to
 * the contract fail to compile here until it is covered.
 */
const VALID: {
  [C in IpcMethodChannel]: {
    request: () => IpcRequest<C>;
    check: (value: IpcMethods[C]['response']) => void | Promise<void>;
  };
} = {
  [IPC_CHANNELS.modelInspect]: {
    request: () => ({ path: model }),
    check: (summary) => {
      expect(summary.path).toBe(model);
      expect(summary.inputs).toHaveLength(1);
      expect(summary.nodes).toBeGreaterThan(0);
    },
  },
  [IPC_CHANNELS.modelLoadCheck]: {
    request: () => ({ path: model }),
    check: (answer) => expect(answer).toEqual({ loadable: true }),
  },
  [IPC_CHANNELS.modelGraph]: {
    request: () => ({ modelPath: model, target: 'original' }),
    check: (graph) => {
      expect(graph.path).toBe(model);
      expect(graph.graph.nodes.length).toBe(graph.mainNodes);
      expect(graph.mainNodes).toBeGreaterThan(0);
    },
  },
  [IPC_CHANNELS.modelOpenDialog]: {
    request: () => ({}),
    check: (picked) => {
      expect(picked).toBe('/picked/model.onnx');
      // The host handler is handed the IPC event, whose sender is the calling window (dialogs parent to it).
      const last = dialogCalls.at(-1)!;
      expect(last.channel).toBe(IPC_CHANNELS.modelOpenDialog);
      expect(last.context).toMatchObject({ senderFrame: { url: APP_URL }, sender: appWindow.webContents });
    },
  },
  [IPC_CHANNELS.dialogOpenPath]: {
    request: () => ({ kind: 'folder', title: 'Pick a dataset' }),
    check: (picked) => {
      expect(picked).toBeNull();
      expect(dialogCalls.at(-1)).toMatchObject({ request: { kind: 'folder', title: 'Pick a dataset' } });
    },
  },
  [IPC_CHANNELS.dialogSavePath]: {
    request: () => ({ defaultPath: 'report.html' }),
    check: (picked) => expect(picked).toBe('/picked/report.html'),
  },
  [IPC_CHANNELS.fsList]: {
    request: () => ({ path: tmp.dir }),
    check: (listing) => {
      expect(listing.path).toBe(tmp.dir);
      expect(listing.entries).toContainEqual(
        expect.objectContaining({ name: 'digits.onnx', kind: 'file', bytes: fs.statSync(model).size }),
      );
    },
  },
  [IPC_CHANNELS.jobStart]: {
    request: () => ({ kind: 'inspect', modelPath: model }),
    check: async ({ jobId }) => {
      expect(jobId).toEqual(expect.any(String));
      expect((await backend.jobs.whenDone(jobId))?.type).toBe('result');
    },
  },
  [IPC_CHANNELS.jobCancel]: {
    request: () => ({ jobId: 'no-such-job' }),
    check: (answer) => expect(answer).toEqual({ cancelled: false }),
  },
  [IPC_CHANNELS.jobList]: {
    request: () => ({}),
    check: (jobs) => {
      expect(jobs.map((j) => j.spec.kind)).toEqual(expect.arrayContaining(['quantize', 'inspect']));
      expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);
    },
  },
  [IPC_CHANNELS.pipelineStart]: {
    // A method that does not exist: the pipeline runs and fails at once, making no variant.
    request: () => ({ pipelines: [{ make: { kind: 'quantize', modelPath: model, method: 'no-such-method' } }] }),
    check: async (outcome) => {
      expect(outcome).toMatchObject({ failed: [], cancelled: false });
      const record = outcome.started[0]!.pipeline;
      expect(record).toMatchObject({ status: 'running', steps: [{ kind: 'make', status: 'pending' }] });
      pipelineId = record.id;
      await backend.pipelines.whenSettled(record.id);
      const ws = await backend.store.get(model);
      expect(ws.pipelines?.find((p) => p.id === record.id)).toMatchObject({
        status: 'failed',
        steps: [{ status: 'failed', error: { code: 'BAD_REQUEST' } }],
      });
    },
  },
  [IPC_CHANNELS.pipelineRerun]: {
    request: () => ({ modelPath: model, pipelineId }),
    check: async (record) => {
      expect(record).toMatchObject({ id: pipelineId, status: 'running' });
      await backend.pipelines.whenSettled(pipelineId);
    },
  },
  [IPC_CHANNELS.workspaceGet]: {
    request: () => ({ modelPath: model }),
    check: (ws) => {
      expect(ws.model.path).toBe(model);
      expect(ws.variants.map((v) => v.id)).toEqual([variantId]);
    },
  },
  [IPC_CHANNELS.workspaceList]: {
    request: () => ({}),
    check: (list) => expect(list).toEqual([expect.objectContaining({ modelPath: model, modelExists: true })]),
  },
  [IPC_CHANNELS.workspaceRenameVariant]: {
    request: () => ({ modelPath: model, variantId, name: 'renamed over IPC' }),
    check: (variant) => expect(variant).toMatchObject({ id: variantId, name: 'renamed over IPC' }),
  },
  [IPC_CHANNELS.workspaceAddBenchRecord]: {
    request: () => ({
      modelPath: model,
      engine: 'onnxruntime-web',
      provider: 'wasm',
      label: 'onnxruntime-web wasm',
      results: benchRecord('b', 'wasm', { original: 2 }, 'onnxruntime-web').results,
    }),
    check: (record) => {
      expect(record).toMatchObject({ engine: 'onnxruntime-web', provider: 'wasm', notes: [] });
      expect(record.results.map((r) => r.target)).toEqual(['original']);
    },
  },
  [IPC_CHANNELS.experimentSet]: {
    request: () => ({ modelPath: model, inputs: { shapes: { input: [1, 1, 8, 8] } }, confirmInputs: true }),
    check: (ws) => {
      expect(ws.experiment?.inputs).toEqual({ shapes: { input: [1, 1, 8, 8] } });
      expect(ws.experiment?.inputsConfirmedAt).toMatch(/^\d{4}-/);
    },
  },
  [IPC_CHANNELS.datasetCheck]: {
    request: () => ({
      modelPath: model,
      role: 'evaluation',
      data: {
        spec: {
          kind: 'npy',
          path: path.join(path.dirname(DIGITS), 'test-inputs.npy'),
          labels: path.join(path.dirname(DIGITS), 'test-labels.npy'),
        },
      },
      checkId: 'check-1',
    }),
    check: (report) => {
      expect(report.identity).toMatchObject({ name: 'test-inputs.npy + test-labels.npy', samples: 360 });
      expect(report.labels).toMatchObject({ count: 360, min: 0, max: 9, modelClasses: 10 });
      expect(report.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 1, 8, 8] }]);
    },
  },
  [IPC_CHANNELS.datasetCheckCancel]: {
    // The check above ended: nothing runs under that id any more, which is not an error.
    request: () => ({ checkId: 'check-1' }),
    check: (answer) => expect(answer).toEqual({ cancelled: false }),
  },
  [IPC_CHANNELS.sweepCollect]: {
    // A sweep folder with no result yet: every index is listed as missing, none fails.
    request: () => ({ dir: path.join(tmp.dir, 'sweep') }),
    check: (sweep) => {
      expect(sweep).toMatchObject({ trials: 1, missing: [0], failed: [], machines: [] });
    },
  },
  [IPC_CHANNELS.reportBuild]: {
    request: () => ({ modelPath: model }),
    check: (report) => {
      expect(report.html).toMatch(/^<!doctype html>/i);
      expect(report.json.rows.map((r) => r.name)).toEqual(['original', 'renamed over IPC']);
    },
  },
  [IPC_CHANNELS.reportSave]: {
    request: () => ({ modelPath: model, outputDir: path.join(tmp.dir, 'report') }),
    check: (saved) => {
      expect(saved.htmlPath).toBe(path.join(tmp.dir, 'report', 'report.html'));
      expect(fs.existsSync(saved.htmlPath) && fs.existsSync(saved.jsonPath)).toBe(true);
    },
  },
  [IPC_CHANNELS.modelDiff]: {
    request: () => ({ modelPath: model, variantId }),
    check: (diff) => {
      expect(diff.nodes.list.length).toBeGreaterThan(0);
      expect(Array.isArray(diff.skippedNodes)).toBe(true);
    },
  },
  [IPC_CHANNELS.workspaceRemoveVariant]: {
    request: () => ({ modelPath: model, variantId }),
    check: (answer) => expect(answer).toEqual({ removed: true }),
  },
  [IPC_CHANNELS.methodsList]: {
    request: () => ({}),
    check: (catalog) =>
      expect(catalog.quantize.methods.map((m) => m.name)).toEqual(
        expect.arrayContaining(['int8-dynamic', 'int8-static']),
      ),
  },
  [IPC_CHANNELS.engineProviders]: {
    request: () => ({}),
    check: (providers) =>
      expect(providers).toContainEqual(expect.objectContaining({ name: 'cpu', available: true })),
  },
  [IPC_CHANNELS.recentList]: {
    request: () => ({}),
    // The inspect above put the model on the recent list.
    check: (recent) => expect(recent[0]).toBe(model),
  },
  [IPC_CHANNELS.recentClear]: {
    request: () => ({}),
    check: async (answer) => {
      expect(answer).toEqual({});
      expect(await backend.recent.list()).toEqual([]);
    },
  },
  [IPC_CHANNELS.appInfo]: {
    request: () => ({}),
    check: (info) =>
      expect(info).toMatchObject({
        host: 'electron',
        version: '0.0.0-test',
        dataDir: path.join(tmp.dir, 'data'),
        capabilities: { nativeDialogs: true, fileBrowser: true, upload: false },
      }),
  },
};

/** The order the round-trip test calls them in: a variant is renamed and reported before it is removed. */
const ORDER = Object.keys(VALID) as IpcMethodChannel[];
