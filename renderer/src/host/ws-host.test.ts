/**
 * The serve host against a real WebSocket server speaking shared/ws-protocol.ts (the `ws` package in Node
 * stands in for `onnx-studio serve` and for the browser's WebSocket).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { WsClientMessage } from '../../../shared/ws-protocol.js';
import {
  CHANNELS,
  connectWsHost,
  looksLikeServePage,
  type SocketLike,
  type WsStudioHost,
} from './ws-host.js';

const TOKEN = 'tok123';
let server: WebSocketServer | undefined;
let host: WsStudioHost | undefined;

afterEach(async () => {
  host?.close();
  host = undefined;
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A server that says hello and answers requests with `answer`, refusing paths without the token. */
async function startServer(
  answer: (m: WsClientMessage) => unknown = () => ({ ok: true, value: null }),
  /** More fields of the hello (`rendererBuild`). */
  helloFields: Record<string, unknown> = {},
): Promise<string> {
  server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info: { req: { url?: string } }) => info.req.url === `/${TOKEN}/ws`,
  });
  server.on('connection', (socket) => {
    socket.send(
      JSON.stringify({ type: 'hello', protocol: 1, version: 'test', host: 'serve', ...helloFields }),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as WsClientMessage;
      socket.send(
        JSON.stringify({
          type: 'response',
          id: message.id,
          channel: message.channel,
          response: answer(message),
        }),
      );
    });
  });
  await new Promise((done) => server?.on('listening', done));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const createSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;

/** From now on the server says hello (with these fields changed: a restarted serve) and answers nothing. */
function helloOnly(fields: Record<string, unknown> = {}): void {
  server!.removeAllListeners('connection');
  server!.on('connection', (socket) =>
    socket.send(JSON.stringify({ type: 'hello', protocol: 1, version: 'test', host: 'serve', ...fields })),
  );
}

describe('the serve host', () => {
  it('recognizes serve pages by their token segment', () => {
    expect(looksLikeServePage('http://127.0.0.1:5123/abcDEF123/')).toBe(true);
    expect(looksLikeServePage('http://127.0.0.1:5123/abc/index.html?x=1')).toBe(true);
    expect(looksLikeServePage('http://127.0.0.1:5123/index.html?host=mock')).toBe(false);
    expect(looksLikeServePage('http://127.0.0.1:5123/')).toBe(false);
    expect(looksLikeServePage('app://renderer/index.html')).toBe(false);
  });

  it('sends contract requests in envelopes and resolves each with its response', async () => {
    const seen: WsClientMessage[] = [];
    const origin = await startServer((m) => {
      seen.push(m);
      return m.channel === CHANNELS.modelInspect
        ? { ok: false, error: { code: 'IO', message: 'no such file' } }
        : { ok: true, value: { jobId: 'j1' } };
    });
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    expect(connected.ok).toBe(true);
    host = connected.ok ? connected.value : undefined;
    const [started, inspected] = await Promise.all([
      host!.startJob({ kind: 'bench', modelPath: '/m.onnx', targets: ['original'] }),
      host!.inspectModel('/m.onnx'),
    ]);
    expect(started).toEqual({ ok: true, value: { jobId: 'j1' } });
    expect(inspected).toEqual({ ok: false, error: { code: 'IO', message: 'no such file' } });
    expect(seen.map((m) => [m.type, m.channel, m.payload])).toEqual([
      ['request', 'studio:job.start', { kind: 'bench', modelPath: '/m.onnx', targets: ['original'] }],
      ['request', 'studio:model.inspect', { path: '/m.onnx' }],
    ]);
    expect(host!.getPathForFile({} as File)).toBeNull();
  });

  it('fans events out by channel', async () => {
    const origin = await startServer();
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    host = connected.ok ? connected.value : undefined;
    const jobEvents: unknown[] = [];
    const changes: unknown[] = [];
    host!.onJobEvent((e) => jobEvents.push(e));
    const off = host!.onWorkspaceChanged((c) => changes.push(c));
    const event = { type: 'progress', jobId: 'j', seq: 0, timeMs: 1, fraction: 0.5, stage: 's' };
    for (const client of server!.clients) {
      client.send(JSON.stringify({ type: 'event', channel: 'studio:job.event', payload: event }));
      client.send(
        JSON.stringify({
          type: 'event',
          channel: 'studio:workspace.changed',
          payload: { modelPath: '/m', key: 'k' },
        }),
      );
    }
    await expect.poll(() => jobEvents.length).toBe(1);
    await expect.poll(() => changes.length).toBe(1);
    expect(jobEvents[0]).toEqual(event);
    off();

    // A data check's progress, to the listeners of that channel only.
    const progress: unknown[] = [];
    host!.onDatasetCheckProgress((p) => progress.push(p));
    const counts = { checkId: 'c1', done: 5, total: 10, role: 'evaluation' };
    for (const client of server!.clients)
      client.send(
        JSON.stringify({ type: 'event', channel: 'studio:dataset.checkProgress', payload: counts }),
      );
    await expect.poll(() => progress).toEqual([counts]);
    expect(jobEvents).toHaveLength(1);
  });

  it('says the token is wrong when the server refuses the upgrade', async () => {
    const origin = await startServer();
    const connected = await connectWsHost({ pageUrl: `${origin}/wrong-token/`, createSocket });
    expect(connected.ok).toBe(false);
    expect(!connected.ok && connected.error.message).toMatch(/refused the connection.*token/);
  });

  it('answers requests in flight with an error when the connection drops, then reconnects', async () => {
    const origin = await startServer((m) =>
      m.channel === CHANNELS.appInfo ? undefined : { ok: true, value: [] },
    );
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    host = connected.ok ? connected.value : undefined;
    const states: string[] = [];
    host!.onConnectionChange((s) => states.push(s));
    // Never answered: the server drops every client instead.
    helloOnly();
    const pending = host!.listRecent();
    for (const client of server!.clients) client.terminate();
    const answer = await pending;
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.error.message).toMatch(/Lost the connection to onnx-studio serve/);
    await expect.poll(() => states, { timeout: 5000 }).toEqual(['reconnecting', 'connected']);
  });

  it('stops retrying as expired when serve is back but refuses the token (a restart makes a new one)', async () => {
    const origin = await startServer();
    const probes: string[] = [];
    const refusing = (async (url: string | URL | Request, init?: RequestInit) => {
      probes.push(`${init?.method ?? 'GET'} ${String(url)}`);
      return new Response('Unauthorized', { status: 401 });
    }) as typeof fetch;
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket, fetch: refusing });
    host = connected.ok ? connected.value : undefined;
    const states: string[] = [];
    host!.onConnectionChange((s) => states.push(s));
    for (const client of server!.clients) client.terminate();
    await expect.poll(() => states, { timeout: 5000 }).toEqual(['reconnecting', 'expired']);
    expect(probes).toEqual([`HEAD ${origin}/${TOKEN}/`]);
    // No more attempts: the server sees no new connection.
    await new Promise((done) => setTimeout(done, 1200));
    expect(server!.clients.size).toBe(0);
  });

  it('stops as outdated when serve comes back speaking another protocol', async () => {
    const origin = await startServer();
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    host = connected.ok ? connected.value : undefined;
    const states: string[] = [];
    host!.onConnectionChange((s) => states.push(s));
    helloOnly({ protocol: 2, version: 'next' });
    for (const client of server!.clients) client.terminate();
    await expect.poll(() => states, { timeout: 5000 }).toEqual(['reconnecting', 'outdated']);
  });

  describe('when the page and the server come from different builds', () => {
    const OLD = '2026-12-01T10:00:00.000Z';
    const NEW = '2026-12-06T10:00:00.000Z';

    it('connects when the stamps match, or when either side has none (a development build)', async () => {
      const origin = await startServer(undefined, { rendererBuild: OLD });
      for (const pageBuild of [OLD, undefined]) {
        const connected = await connectWsHost({
          pageUrl: `${origin}/${TOKEN}/`,
          createSocket,
          ...(pageBuild ? { pageBuild } : {}),
        });
        expect(connected.ok).toBe(true);
        if (connected.ok) connected.value.close();
      }
    });

    it('says to restart serve when the page is newer, and to reload when it is older', async () => {
      const origin = await startServer(undefined, { rendererBuild: OLD });
      const newer = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket, pageBuild: NEW });
      expect(newer.ok).toBe(false);
      expect(!newer.ok && newer.error.message).toMatch(
        /after onnx-studio serve started .*start it again, then reload/,
      );
      const older = await connectWsHost({
        pageUrl: `${origin}/${TOKEN}/`,
        createSocket,
        pageBuild: '2026-11-01T00:00:00.000Z',
      });
      expect(!older.ok && older.error.message).toMatch(
        /This page is older than the one onnx-studio serve now serves/,
      );
    });

    it('stops as outdated when serve comes back from a restart with another build', async () => {
      const origin = await startServer(undefined, { rendererBuild: OLD });
      const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket, pageBuild: OLD });
      host = connected.ok ? connected.value : undefined;
      const states: string[] = [];
      host!.onConnectionChange((s) => states.push(s));
      // serve restarts with a new build: the reconnect's hello carries the new stamp.
      helloOnly({ rendererBuild: NEW });
      for (const client of server!.clients) client.terminate();
      await expect.poll(() => states, { timeout: 5000 }).toEqual(['reconnecting', 'outdated']);
      const after = await host!.listRecent();
      expect(!after.ok && after.error.message).toMatch(/Lost the connection/);
    });
  });
});

describe('the serve host and the jobs of other tabs', () => {
  const jobEvent = (jobId: string, seq = 0) =>
    JSON.stringify({
      type: 'event',
      channel: CHANNELS.jobEvent,
      payload: { type: 'progress', jobId, seq, timeMs: 1, fraction: 0, stage: 'queued' },
    });

  it("asks the page to list the server's jobs when another tab's job appears, never for its own", async () => {
    // serve sends a job's first event before startJob answers with its id: the page must not take its own
    // job for another tab's (it would list it twice).
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (socket) => {
      socket.send(JSON.stringify({ type: 'hello', protocol: 1, version: 'test', host: 'serve' }));
      socket.on('message', (data) => {
        const m = JSON.parse(String(data)) as WsClientMessage;
        const respond = (value: unknown) =>
          socket.send(
            JSON.stringify({ type: 'response', id: m.id, channel: m.channel, response: { ok: true, value } }),
          );
        if (m.channel === CHANNELS.jobStart) {
          socket.send(jobEvent('mine'));
          setTimeout(() => respond({ jobId: 'mine' }), 50);
        } else if (m.channel === CHANNELS.jobList) respond([{ jobId: 'theirs' }, { jobId: 'mine' }]);
        else respond(null);
      });
    });
    await new Promise((done) => server?.on('listening', done));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    host = connected.ok ? connected.value : undefined;
    const states: string[] = [];
    let otherJobs = 0;
    host!.onConnectionChange((s) => states.push(s));
    host!.onOtherJobs(() => (otherJobs += 1));
    const started = await host!.startJob({ kind: 'inspect', modelPath: '/m.onnx' } as never);
    expect(started.ok).toBe(true);
    await new Promise((done) => setTimeout(done, 100));
    expect(otherJobs).toBe(0);

    // A job started in another tab: the page is told, and lists the jobs (use-studio.ts), once no workspace
    // read named it within a second.
    for (const client of server.clients) client.send(jobEvent('theirs'));
    await expect.poll(() => otherJobs, { timeout: 5000 }).toBe(1);
    // Its later events, and the page's listing, ask for nothing more; the connection never changed.
    expect((await host!.listJobs()).ok).toBe(true);
    for (const client of server.clients) client.send(jobEvent('theirs', 1));
    await new Promise((done) => setTimeout(done, 100));
    expect(otherJobs).toBe(1);
    expect(states).toEqual([]);
  });
});

describe('the serve host and the steps of pipelines', () => {
  it("takes the jobs the workspace's pipeline steps name for the page's own: they are not listed", async () => {
    const workspace = {
      pipelines: [{ id: 'p1', steps: [{ kind: 'make', jobId: 'step-1' }, { kind: 'bench' }] }],
    };
    await startServer((m) => ({ ok: true, value: m.channel === CHANNELS.workspaceGet ? workspace : null }));
    const origin = `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    host = connected.ok ? connected.value : undefined;
    let otherJobs = 0;
    host!.onOtherJobs(() => (otherJobs += 1));
    // The backend starts the step's job (every page hears of it), then saves the workspace that names it: the
    // page reads it again. Before, the job's first event made the page list every job.
    for (const client of server!.clients)
      client.send(
        JSON.stringify({
          type: 'event',
          channel: CHANNELS.jobEvent,
          payload: { type: 'progress', jobId: 'step-1', seq: 0, timeMs: 1, fraction: 0, stage: 'queued' },
        }),
      );
    await new Promise((done) => setTimeout(done, 100));
    expect((await host!.getWorkspace('/m.onnx')).ok).toBe(true);
    await new Promise((done) => setTimeout(done, 1500));
    expect(otherJobs).toBe(0);
  });
});

describe('the serve host when serve stops', () => {
  it('says serve stopped (its jobs cancelled), not that it is reconnecting, and keeps saying so while serve is down', async () => {
    const origin = await startServer();
    const connected = await connectWsHost({
      pageUrl: `${origin}/${TOKEN}/`,
      createSocket,
      fetch: (async () => {
        throw new Error('down');
      }) as typeof fetch,
    });
    host = connected.ok ? connected.value : undefined;
    const states: string[] = [];
    host!.onConnectionChange((s) => states.push(s));
    // serve-server.ts close(): what Ctrl+C does, before it cancels the jobs.
    for (const client of server!.clients) client.close(1001, 'onnx-studio serve is stopping');
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    await expect.poll(() => states, { timeout: 5000 }).toEqual(['stopped']);
    // The reconnect fails (nothing listens): still "stopped", not "reconnecting".
    await new Promise((done) => setTimeout(done, 1200));
    expect(states.every((s) => s === 'stopped')).toBe(true);
    expect(states.length).toBeGreaterThan(1);
  });

  it('says reconnecting when the connection just drops (serve may still run its jobs)', async () => {
    // Covered above too; here the point is the contrast with serve's own (1001) close.
    const origin = await startServer();
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket });
    host = connected.ok ? connected.value : undefined;
    const states: string[] = [];
    host!.onConnectionChange((s) => states.push(s));
    for (const client of server!.clients) client.terminate();
    await expect.poll(() => states[0], { timeout: 5000 }).toBe('reconnecting');
  });
});

describe('the serve host uploading dropped files', () => {
  it('sends the files dropped together as one batch, each under its own name', async () => {
    const origin = await startServer();
    const urls: URL[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      const u = new URL(String(url));
      urls.push(u);
      return new Response(
        JSON.stringify({
          ok: true,
          value: { path: `/up/${u.searchParams.get('batch')}/${u.searchParams.get('name')}`, bytes: 1 },
        }),
      );
    }) as typeof fetch;
    const connected = await connectWsHost({ pageUrl: `${origin}/${TOKEN}/`, createSocket, fetch: fakeFetch });
    host = connected.ok ? connected.value : undefined;
    const files = [new File(['w'], 'ext weights ü.bin'), new File(['m'], 'ext model ü.onnx')];
    const uploaded = await host!.uploadFiles(files);
    expect(uploaded.ok).toBe(true);
    const batches = new Set(urls.map((u) => u.searchParams.get('batch')));
    expect(batches.size).toBe(1);
    expect([...batches][0]).toMatch(/^[0-9a-f]{16}$/);
    expect(urls.map((u) => u.searchParams.get('name'))).toEqual(['ext weights ü.bin', 'ext model ü.onnx']);
    expect(uploaded.ok && uploaded.value.paths[1]).toMatch(/\/ext model ü\.onnx$/);
    // The next drop is another batch.
    await host!.uploadFiles(files.slice(1));
    expect(new Set(urls.map((u) => u.searchParams.get('batch'))).size).toBe(2);
  });
});
