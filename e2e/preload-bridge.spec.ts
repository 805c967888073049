/**
 * The Electron wiring without the Electron binary: the compiled preload (out/electron/preload/preload.cjs)
 * runs in a Chromium page with a minimal `electron` (`contextBridge`, `ipcRenderer`, `webUtils`), and its
 * `ipcRenderer.invoke` reaches the real handlers of out/electron/main/ipc.js, registered on a stand-in
 * `ipcMain` in this process in front of a real StudioBackend (temporary data folder, real task and engine
 * processes). The page is served on http://127.0.0.1, which the stand-in reports to the handlers as
 * app://renderer (what Electron's protocol would show); any other origin keeps its own URL and is refused.
 *
 * e2e/electron-app.spec.ts still launches the real app where the binary is installed.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Result } from '../shared/errors.js';
import {
  IPC_CHANNELS,
  IPC_METHOD_CHANNELS,
  type IpcMethodChannel,
  type JobEvent,
  type StudioApi,
} from '../shared/ipc-contract.js';
import type { StudioBackend as StudioBackendType } from '../electron/engine/jobs/studio-backend.js';
import {
  StandInWindow,
  standInElectron,
  type StandInIpcMain,
} from '../electron/main/testing/ipc-stand-in.js';
import {
  INVOKE_BINDING,
  STAND_IN,
  preloadInitScript,
  stubElectronModule,
} from './support/electron-stand-in.js';
import { writeEmptySweep } from '../electron/engine/testing/sweep-fixture.js';
import { DIGITS_DIR, REPO_ROOT } from './support/static-renderer.js';
import { API_CHANNELS } from './support/studio-api-channels.js';

/** The digits sample's labelled test set, as a data check names it. */
const DIGITS_TEST_SET = {
  spec: {
    kind: 'npy',
    path: join(DIGITS_DIR, 'test-inputs.npy'),
    labels: join(DIGITS_DIR, 'test-labels.npy'),
  },
} as const;

type IpcModule = typeof import('../electron/main/ipc.js');
type BackendModule = typeof import('../electron/engine/jobs/studio-backend.js');

type ApiMethod = {
  [K in keyof typeof API_CHANNELS]: (typeof API_CHANNELS)[K] extends IpcMethodChannel ? K : never;
}[keyof typeof API_CHANNELS];

const APP_ORIGIN = 'app://renderer';

let server: Server;
/** The page origin the stand-in treats as the app's renderer, and another one it does not. */
let appOrigin = '';
let foreignOrigin = '';
let tmp = '';
let model = '';
let backend: StudioBackendType;
let ipc: IpcModule;
let ipcMain: StandInIpcMain;
let stopEvents: () => void;
let context: BrowserContext;
let page: Page;
/** Every invoke that reached the stand-in ipcMain, with the frame URL the handlers saw. */
const invoked: { channel: string; frameUrl: string }[] = [];
const pageWindows = new Map<Page, StandInWindow>();

/** The URL Electron would report for a frame: our test origin stands for app://renderer. */
function senderUrl(url: string): string {
  return url.startsWith(`${appOrigin}/`) ? APP_ORIGIN + url.slice(appOrigin.length) : url;
}

/** The stand-in window of a page: its URL is the page's, and what main sends is delivered into the page. */
function windowOf(target: Page): StandInWindow {
  let window = pageWindows.get(target);
  if (!window) {
    let queue = Promise.resolve();
    window = new StandInWindow(
      () => senderUrl(target.url()),
      (channel, payload) => {
        queue = queue.then(() =>
          target
            .evaluate(
              ([key, c, p]) =>
                (window as unknown as Record<string, { deliver(c: string, p: unknown): void }>)[key]!.deliver(
                  c,
                  p,
                ),
              [STAND_IN, channel, payload] as const,
            )
            .catch(() => undefined),
        );
      },
    );
    pageWindows.set(target, window);
  }
  return window;
}

async function serve(): Promise<void> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>preload bridge</title><p>stand-in renderer</p>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  appOrigin = `http://127.0.0.1:${port}`;
  // Same server, another origin: a page that is not our renderer.
  foreignOrigin = `http://localhost:${port}`;
}

/** Calls `window.studio[method](...args)` in the page. */
function callApi(target: Page, method: string, args: readonly unknown[]): Promise<unknown> {
  return target.evaluate(
    ([m, a]) => {
      const api = (window as unknown as { studio: Record<string, (...x: unknown[]) => Promise<unknown>> })
        .studio;
      return api[m]!(...a);
    },
    [method, args] as const,
  );
}

/** `callApi`, typed by the method. */
function studio<M extends ApiMethod>(
  target: Page,
  method: M,
  ...args: Parameters<StudioApi[M]>
): Promise<Awaited<ReturnType<StudioApi[M]>>> {
  return callApi(target, method, args) as Promise<Awaited<ReturnType<StudioApi[M]>>>;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  const built = ['out/electron/main/ipc.js', 'out/electron/preload/preload.cjs'];
  for (const file of built) {
    if (!existsSync(join(REPO_ROOT, file)))
      throw new Error(`${file} is missing. Run: npx tsc -p tsconfig.build.json`);
  }
  stubElectronModule();
  ipc = (await import(pathToFileURL(join(REPO_ROOT, 'out/electron/main/ipc.js')).href)) as IpcModule;
  const { StudioBackend } = (await import(
    pathToFileURL(join(REPO_ROOT, 'out/electron/engine/jobs/studio-backend.js')).href
  )) as BackendModule;

  tmp = await mkdtemp(join(tmpdir(), 'onnx-studio-preload-'));
  model = join(tmp, 'digits.onnx');
  copyFileSync(join(DIGITS_DIR, 'digits.onnx'), model);
  await writeEmptySweep(join(tmp, 'sweep'), model);
  backend = new StudioBackend({
    dataDir: join(tmp, 'data'),
    host: 'electron',
    version: '0.0.0-test',
    capabilities: { nativeDialogs: true, fileBrowser: true, upload: false },
    sample: null,
    hostHandlers: {
      [IPC_CHANNELS.modelOpenDialog]: async () => '/picked/model.onnx',
      [IPC_CHANNELS.dialogOpenPath]: async () => null,
      [IPC_CHANNELS.dialogSavePath]: async (request) => request.defaultPath ?? null,
    },
  });
  const standIn = standInElectron();
  ipcMain = standIn.ipcMain;
  stopEvents = ipc.registerIpcHandlers(backend, {
    ipcMain,
    getAllWindows: () => context.pages().map(windowOf),
  });

  await serve();
  context = await browser.newContext();
  await context.exposeBinding(
    INVOKE_BINDING,
    async ({ page: from, frame }, channel: string, ...args: unknown[]) => {
      const frameUrl = senderUrl(frame.url());
      invoked.push({ channel, frameUrl });
      return ipcMain.invoke({ frameUrl, sender: windowOf(from).webContents }, channel, ...args);
    },
  );
  const preload = readFileSync(join(REPO_ROOT, 'out/electron/preload/preload.cjs'), 'utf8');
  await context.addInitScript({ content: preloadInitScript(preload) });
  page = await context.newPage();
  await page.goto(`${appOrigin}/`);
});

test.afterAll(async () => {
  stopEvents?.();
  await context?.close();
  await backend?.dispose();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the preload exposes exactly window.studio: one function per contract method and event', async () => {
  const seen = await page.evaluate((key) => {
    const w = window as unknown as Record<string, unknown>;
    const studioApi = w.studio as Record<string, unknown>;
    return {
      exposed: [...(w[key] as { exposed: string[] }).exposed],
      members: Object.keys(studioApi).sort(),
      types: [...new Set(Object.values(studioApi).map((v) => typeof v))],
      frozen: Object.isFrozen(studioApi),
      // Nothing of the preload's CommonJS scope or of Electron leaks into the page.
      leaks: ['require', 'module', 'exports', 'electron', 'ipcRenderer', 'contextBridge', 'process'].filter(
        (name) => name in w,
      ),
      path: (studioApi.getPathForFile as (f: File) => string)(new File(['x'], 'model.onnx')),
    };
  }, STAND_IN);
  expect(seen.exposed).toEqual(['studio']);
  expect(seen.members).toEqual(Object.keys(API_CHANNELS).sort());
  expect(seen.types).toEqual(['function']);
  expect(seen.frozen).toBe(true);
  expect(seen.leaks).toEqual([]);
  expect(seen.path).toBe('/dropped/model.onnx');

  // The table covers the contract: every method channel once, and every event channel.
  const used = Object.values(API_CHANNELS).filter((c): c is NonNullable<typeof c> => c !== null);
  const methodChannels = used.filter((c) => (IPC_METHOD_CHANNELS as string[]).includes(c));
  expect(methodChannels.sort()).toEqual([...IPC_METHOD_CHANNELS].sort());
  const eventChannels = Object.values(IPC_CHANNELS).filter(
    (c) => !(IPC_METHOD_CHANNELS as string[]).includes(c),
  );
  expect(used.filter((c) => !methodChannels.includes(c as never)).sort()).toEqual(eventChannels.sort());
});

test('every method round-trips to the real handlers and backend, and job events reach the page', async () => {
  invoked.length = 0;
  // A real job through window.studio, watched through window.studio.onJobEvent.
  const run = await page.evaluate(async (modelPath) => {
    const api = (window as unknown as { studio: StudioApi }).studio;
    const events: { event: JobEvent; args: number }[] = [];
    let done: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (done = resolve));
    const job: { id?: string } = {};
    const isEnd = (e: JobEvent) =>
      e.jobId === job.id && (e.type === 'result' || e.type === 'failed' || e.type === 'cancelled');
    const off = api.onJobEvent((...args: unknown[]) => {
      events.push({ event: args[0] as JobEvent, args: args.length });
      if (isEnd(args[0] as JobEvent)) done();
    });
    const started = await api.startJob({ kind: 'quantize', modelPath, method: 'int8-dynamic' });
    if (!started.ok) return { started, events: [] };
    job.id = started.value.jobId;
    if (events.some((e) => isEnd(e.event))) done();
    await ended;
    off();
    return { started, events: events.filter((e) => e.event.jobId === job.id) };
  }, model);
  expect(run.started.ok).toBe(true);
  // Listeners get the payload alone (never Electron's event object), in order, ending with the result.
  expect(run.events.map((e) => e.args)).toEqual(run.events.map(() => 1));
  expect(run.events.map((e) => e.event.seq)).toEqual(run.events.map((_, i) => i));
  expect(run.events.at(-1)?.event.type).toBe('result');

  const ws = await studio(page, 'getWorkspace', model);
  expect(ws.ok).toBe(true);
  const variantId = ws.ok ? ws.value.variants[0]!.id : '';

  // A pipeline that fails at once (no such method), to run again below.
  const failing = { pipelines: [{ make: { kind: 'quantize' as const, modelPath: model, method: 'no-such-method' } }] };
  const first = await studio(page, 'startPipelines', failing);
  const pipelineId = first.ok ? first.value.started[0]!.pipeline.id : '';
  await backend.pipelines.whenSettled(pipelineId);

  const calls: { [M in ApiMethod]: Parameters<StudioApi[M]> } = {
    inspectModel: [model],
    modelGraph: [{ modelPath: model, target: 'original' }],
    modelDiff: [{ modelPath: model, variantId }],
    modelLoadCheck: [{ path: model }],
    openModelDialog: [],
    openPathDialog: [{ kind: 'file', title: 'Pick inputs' }],
    savePathDialog: [{ defaultPath: '/exports/model.onnx' }],
    listFolder: [tmp],
    startJob: [{ kind: 'inspect', modelPath: model }],
    cancelJob: ['no-such-job'],
    listJobs: [],
    startPipelines: [failing],
    rerunPipeline: [{ modelPath: model, pipelineId }],
    getWorkspace: [model],
    listWorkspaces: [],
    renameVariant: [{ modelPath: model, variantId, name: 'renamed in the page' }],
    addBenchRecord: [
      {
        modelPath: model,
        engine: 'onnxruntime-web',
        provider: 'wasm',
        label: 'onnxruntime-web wasm',
        results: [
          {
            target: variantId,
            modelBytes: 100,
            iterations: 2,
            meanMs: 1,
            stdMs: 0,
            minMs: 1,
            p50Ms: 1,
            p90Ms: 1,
            p95Ms: 1,
            p99Ms: 1,
            maxMs: 1,
            throughput: 1000,
          },
        ],
      },
    ],
    setExperiment: [{ modelPath: model, inputs: { shapes: { input: [1, 1, 8, 8] } }, confirmInputs: true }],
    checkDataset: [
      {
        modelPath: model,
        role: 'evaluation',
        data: DIGITS_TEST_SET,
        checkId: 'check-1',
      },
    ],
    cancelDatasetCheck: ['check-1'],
    collectSweep: [{ dir: join(tmp, 'sweep') }],
    buildReport: [model],
    saveReport: [{ modelPath: model, outputDir: join(tmp, 'report') }],
    removeVariant: [{ modelPath: model, variantId }],
    listMethods: [],
    listProviders: [],
    listRecent: [],
    clearRecent: [],
    appInfo: [],
  };
  const answers: Partial<Record<ApiMethod, Result<unknown>>> = {};
  for (const method of Object.keys(calls) as ApiMethod[]) {
    invoked.length = 0;
    const answer = (await callApi(page, method, calls[method])) as Result<unknown>;
    expect(answer, `${method}: ${JSON.stringify(answer).slice(0, 300)}`).toMatchObject({ ok: true });
    expect(invoked, method).toEqual([{ channel: API_CHANNELS[method], frameUrl: `${APP_ORIGIN}/` }]);
    answers[method] = answer;
  }
  const value = (m: ApiMethod): unknown => (answers[m] as { value: unknown }).value;
  expect(value('inspectModel')).toMatchObject({ path: model, inputs: [expect.anything()] });
  expect(value('openModelDialog')).toBe('/picked/model.onnx');
  expect(value('openPathDialog')).toBeNull();
  expect(value('savePathDialog')).toBe('/exports/model.onnx');
  expect(value('listFolder')).toMatchObject({ path: tmp });
  expect(value('cancelJob')).toEqual({ cancelled: false });
  expect(value('cancelDatasetCheck')).toEqual({ cancelled: false });
  expect(value('renameVariant')).toMatchObject({ id: variantId, name: 'renamed in the page' });
  expect(value('buildReport')).toMatchObject({ html: expect.stringMatching(/^<!doctype html>/i) });
  expect(value('removeVariant')).toEqual({ removed: true });
  expect(value('listProviders')).toContainEqual(expect.objectContaining({ name: 'cpu', available: true }));
  expect(value('listRecent')).toEqual([model]);
  expect(value('clearRecent')).toEqual({});
  expect(value('appInfo')).toMatchObject({ host: 'electron', version: '0.0.0-test' });
  expect(value('collectSweep')).toMatchObject({ trials: 1, missing: [0] });
  expect(await backend.recent.list()).toEqual([]);
});

test('failures come back as typed errors, never as rejections', async () => {
  expect(await studio(page, 'inspectModel', 'relative/model.onnx')).toMatchObject({
    ok: false,
    error: { code: 'BAD_REQUEST', message: expect.stringContaining('studio:model.inspect') },
  });
  expect(
    await studio(page, 'startJob', { kind: 'quantize', modelPath: model } as unknown as Parameters<
      StudioApi['startJob']
    >[0]),
  ).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  expect(await studio(page, 'listFolder', join(tmp, 'missing'))).toMatchObject({
    ok: false,
    error: { code: 'IO', message: expect.stringMatching(/No such file or folder/) },
  });
  expect(
    await studio(page, 'renameVariant', { modelPath: model, variantId: 'gone', name: 'x' }),
  ).toMatchObject({
    ok: false,
    error: { code: 'BAD_REQUEST', message: expect.stringMatching(/no variant 'gone'/) },
  });

  // A channel main does not answer: the preload turns the rejected invoke into an INTERNAL error.
  const handler = ipcMain.handlers.get(IPC_CHANNELS.appInfo)!;
  ipcMain.handlers.delete(IPC_CHANNELS.appInfo);
  try {
    expect(await studio(page, 'appInfo')).toMatchObject({
      ok: false,
      error: {
        code: 'INTERNAL',
        message: expect.stringMatching(/^IPC to studio:app\.info failed: .*No handler/),
      },
    });
  } finally {
    ipcMain.handlers.set(IPC_CHANNELS.appInfo, handler);
  }
});

test('events from main reach listeners registered through window.studio until they unsubscribe', async () => {
  await page.evaluate(() => {
    const api = (window as unknown as { studio: StudioApi }).studio;
    const w = window as unknown as { got: unknown[][]; offs: (() => void)[] };
    w.got = [];
    w.offs = [
      api.onRecentChanged((...args: unknown[]) => w.got.push(['recent', ...args])),
      api.onWorkspaceChanged((...args: unknown[]) => w.got.push(['workspace', ...args])),
      api.onMenuCommand((...args: unknown[]) => w.got.push(['menu', ...args])),
      api.onModelOpenRequest((...args: unknown[]) => w.got.push(['open', ...args])),
      api.onDatasetCheckProgress((...args: unknown[]) => w.got.push(['check', ...args])),
    ];
  });
  const got = () => page.evaluate(() => (window as unknown as { got: unknown[][] }).got);

  // Backend events (the recent list; a workspace change) and main's own messages (menu, open request).
  await studio(page, 'inspectModel', model);
  await studio(page, 'addBenchRecord', {
    modelPath: model,
    engine: 'onnxruntime-web',
    provider: 'wasm',
    label: 'wasm',
    results: [
      {
        target: 'original',
        modelBytes: 1,
        iterations: 1,
        meanMs: 1,
        stdMs: 0,
        minMs: 1,
        p50Ms: 1,
        p90Ms: 1,
        p95Ms: 1,
        p99Ms: 1,
        maxMs: 1,
        throughput: 1,
      },
    ],
  });
  // A data check sent with an id through window.studio: its progress comes back to the page.
  await studio(page, 'checkDataset', {
    modelPath: model,
    role: 'evaluation',
    data: DIGITS_TEST_SET,
    checkId: 'bridge-check',
  });
  ipc.sendMenuCommand(windowOf(page), 'open-sample');
  ipc.sendOpenModel(windowOf(page), model);
  await expect.poll(async () => (await got()).at(-1)).toEqual(['open', { path: model }]);
  const received = await got();
  const of = (kind: string) => received.filter((entry) => entry[0] === kind).map((entry) => entry.slice(1));
  expect(of('recent')).toEqual([[[model]]]);
  const checks = of('check');
  expect(checks[0]).toEqual([{ checkId: 'bridge-check', done: 0, total: 360, role: 'evaluation' }]);
  expect(checks.at(-1)).toEqual([{ checkId: 'bridge-check', done: 360, total: 360, role: 'evaluation' }]);
  // The store reports each change of the workspace (the bench record; more writes may report more).
  expect(of('workspace').length).toBeGreaterThan(0);
  for (const change of of('workspace'))
    expect(change).toEqual([{ modelPath: model, key: expect.any(String) }]);
  expect(received.slice(-2)).toEqual([
    ['menu', 'open-sample'],
    ['open', { path: model }],
  ]);

  // Unsubscribing (twice is harmless) removes the preload's ipcRenderer listeners.
  const counts = await page.evaluate((key) => {
    const w = window as unknown as { offs: (() => void)[] } & Record<
      string,
      { listenerCount(c: string): number }
    >;
    for (const off of w.offs) {
      off();
      off();
    }
    return [
      'studio:recent.changed',
      'studio:workspace.changed',
      'studio:menu.command',
      'studio:dataset.checkProgress',
    ].map((c) => w[key]!.listenerCount(c));
  }, STAND_IN);
  expect(counts).toEqual([0, 0, 0, 0]);
  await studio(page, 'clearRecent');
  ipc.sendMenuCommand(windowOf(page), 'export-report');
  await studio(page, 'listRecent'); // a round trip, so anything sent before it has arrived
  expect(await got()).toHaveLength(received.length);
});

test('a page that is not the app:// renderer is refused and gets no events', async () => {
  const stranger = await context.newPage();
  try {
    await stranger.goto(`${foreignOrigin}/`);
    invoked.length = 0;
    for (const method of ['listWorkspaces', 'clearRecent', 'appInfo'] as const) {
      expect(await studio(stranger, method)).toEqual({
        ok: false,
        error: {
          code: 'BAD_REQUEST',
          message: 'This request did not come from the ONNX Studio window, so it was refused.',
        },
      });
    }
    expect(invoked.map((i) => i.frameUrl)).toEqual([1, 2, 3].map(() => `${foreignOrigin}/`));

    await stranger.evaluate(() => {
      const w = window as unknown as { got: unknown[]; studio: StudioApi };
      w.got = [];
      w.studio.onRecentChanged((recent) => w.got.push(recent));
    });
    await page.evaluate(() => {
      const w = window as unknown as { appGot: unknown[]; studio: StudioApi };
      w.appGot = [];
      w.studio.onRecentChanged((recent) => w.appGot.push(recent));
    });
    await studio(page, 'inspectModel', model);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { appGot: unknown[] }).appGot))
      .toEqual([[model]]);
    await studio(stranger, 'listRecent'); // a round trip on the stranger's side too
    expect(await stranger.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);
  } finally {
    await stranger.close();
  }
});
