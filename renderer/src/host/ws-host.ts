/**
 * The `StudioHost` of `onnx-studio serve`: the same contract over a WebSocket (shared/ws-protocol.ts).
 * Requests carry an id and resolve with the matching response; events fan out to subscribers by channel.
 *
 * The connection is kept alive: when it drops, requests in flight resolve with an error saying so, and the
 * host reconnects with backoff (0.5 s doubling to 8 s). Subscribers of `onConnectionChange` hear about it,
 * so the page can show a banner and, once back, ask `listJobs` for what it missed. A job another tab started
 * is told to `onOtherJobs` subscribers, which list the jobs the same way (job-catch-up.ts).
 *
 * The page and the server must come from one build (their stamps, `pageBuild` and the hello's `rendererBuild`):
 * a page that connects to a server of another build says which to restart; a page whose server comes back
 * from a restart with another build stops (`outdated`) and asks for a reload.
 */
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';
import { IPC_CHANNELS } from '../../../shared/ipc-channels.js';
import type {
  IpcEventChannel,
  IpcEvents,
  IpcMethodChannel,
  IpcRequest,
  IpcResponse,
  Unsubscribe,
} from '../../../shared/ipc-contract.js';
import {
  buildMismatchMessage,
  isWsServerMessage,
  uploadUrlFor,
  wsUrlFor,
  WS_PROTOCOL_VERSION,
  type UploadResponse,
  type WsRequestMessage,
  type WsServerMessage,
} from '../../../shared/ws-protocol.js';
import { JobCatchUp } from './job-catch-up.js';
import type { StudioHost } from './studio-host.js';

/** The contract's channel names (a zod-free module, safe to load in the page). */
export const CHANNELS = IPC_CHANNELS;

/**
 * `reconnecting`: the connection dropped for a reason the page cannot tell (network, a killed process).
 * `stopped`: serve said it is stopping (Ctrl+C), which cancels its running jobs; the host keeps trying, for a
 * restart. `outdated`: serve came back from a restart with another build (reload the page). `expired`: serve
 * came back with a new token, so this page's address is refused for good (open the address serve printed).
 */
export type ConnectionState = 'connected' | 'reconnecting' | 'stopped' | 'closed' | 'outdated' | 'expired';

/**
 * The close code serve sends every page when it stops (serve-server.ts `close()`: Ctrl+C), before it cancels
 * the running jobs. A dropped network or a killed process closes with 1006 instead.
 */
export const SERVE_STOPPING_CLOSE_CODE = 1001;

/** The parts of the DOM WebSocket this host uses, so tests can pass `ws`'s implementation. */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface WsHostOptions {
  /** The page's URL (`location.href`): `http://HOST:PORT/<token>/...`. */
  pageUrl: string;
  /** Default: the browser's WebSocket. */
  createSocket?: SocketFactory;
  /** How long the first connection may take before `connectWsHost` gives up (ms, default 10 s). */
  connectTimeoutMs?: number;
  /** Default: the browser's fetch (for uploads). */
  fetch?: typeof fetch;
  /** The page's build stamp (`__RENDERER_BUILD__`); without one, builds are not compared. */
  pageBuild?: string;
}

export interface WsStudioHost extends StudioHost {
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /** Events of a job this page did not start and has not listed (another tab's): list the jobs to see it. */
  onOtherJobs(listener: () => void): Unsubscribe;
  /**
   * Uploads files dropped together into one folder of the server, under their own names, so a model finds the
   * external data file dropped with it; the paths in the order given.
   */
  uploadFiles(files: readonly File[]): Promise<Result<{ paths: string[] }>>;
  /** Close for good (tests, page unload). */
  close(): void;
}

const OPEN = 1;

/** How long the token probe after a lost connection may take before the page just tries to reconnect. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * True when the page looks served by `onnx-studio serve`: an http(s) page whose first path segment is the
 * token (a name without a dot, unlike `index.html` of a plain static server).
 */
export function looksLikeServePage(href: string): boolean {
  try {
    const url = new URL(href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const first = url.pathname.split('/').filter(Boolean)[0];
    return first !== undefined && !first.includes('.') && url.searchParams.get('host') !== 'mock';
  } catch {
    return false;
  }
}

/** The requests whose answers name job ids the page then knows (job-catch-up.ts). */
const NAMES_JOBS: ReadonlySet<string> = new Set([CHANNELS.jobStart, CHANNELS.jobList, CHANNELS.workspaceGet]);

/**
 * The job ids an answer names: a `startJob`'s, a `listJobs`'s, and a workspace's pipeline steps' (the backend
 * starts those jobs itself; the page shows them from the workspace, so they are not another tab's).
 */
function jobIdsOf(channel: string, response: Result<unknown>): string[] {
  if (!response.ok) return [];
  if (channel === CHANNELS.workspaceGet) {
    const pipelines = (response.value as { pipelines?: { steps?: { jobId?: unknown }[] }[] } | null)
      ?.pipelines;
    return (pipelines ?? []).flatMap((p) =>
      (p.steps ?? []).flatMap((s) => (typeof s.jobId === 'string' ? [s.jobId] : [])),
    );
  }
  const value = response.value as { jobId?: unknown } | { jobId?: unknown }[] | null;
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => (typeof item?.jobId === 'string' ? [item.jobId] : []));
}

/** A fresh upload folder name for serve: 16 hex digits (serve accepts nothing else). */
function newUploadBatch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function lost(channel: string): StudioErrorInfo {
  return {
    code: 'IO',
    message: `Lost the connection to onnx-studio serve before it answered ${channel}. Check that the serve process is still running; the page reconnects by itself, then try again.`,
  };
}

/** Connects and waits for the server's `hello`; resolves with the host, or an error to show. */
export function connectWsHost(options: WsHostOptions): Promise<Result<WsStudioHost>> {
  const createSocket: SocketFactory =
    options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const url = wsUrlFor(options.pageUrl);
  const pending = new Map<number, { channel: string; resolve: (r: Result<unknown>) => void }>();
  const listeners = new Map<IpcEventChannel, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let socket: SocketLike | undefined;
  let nextId = 1;
  let closed = false;
  let backoffMs = 500;
  let everConnected = false;
  // Set by serve's "stopping" close; later failed reconnects keep saying so until serve is back.
  let serverStopped = false;

  const emitConnection = (state: ConnectionState) => {
    for (const l of connectionListeners) l(state);
  };
  const otherJobsListeners = new Set<() => void>();
  const jobCatchUp = new JobCatchUp({ catchUp: () => otherJobsListeners.forEach((l) => l()) });

  const failPending = () => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve({ ok: false, error: lost(p.channel) });
    }
  };

  const onMessage = (message: WsServerMessage) => {
    switch (message.type) {
      case 'response': {
        const p = typeof message.id === 'number' ? pending.get(message.id) : undefined;
        if (p && typeof message.id === 'number') {
          pending.delete(message.id);
          p.resolve(message.response as Result<unknown>);
        }
        return;
      }
      case 'event': {
        for (const l of listeners.get(message.channel) ?? []) l(message.payload);
        if (message.channel === CHANNELS.jobEvent) {
          const jobId = (message.payload as { jobId?: unknown } | null)?.jobId;
          if (typeof jobId === 'string') jobCatchUp.eventSeen(jobId);
        }
        return;
      }
      case 'error': {
        const p = typeof message.id === 'number' ? pending.get(message.id) : undefined;
        if (p && typeof message.id === 'number') {
          pending.delete(message.id);
          p.resolve({ ok: false, error: message.error });
        }
        return;
      }
      case 'hello':
        return;
    }
  };

  const request = <C extends IpcMethodChannel>(channel: C, payload: IpcRequest<C>): Promise<IpcResponse<C>> =>
    new Promise((resolve) => {
      if (!socket || socket.readyState !== OPEN) {
        resolve({ ok: false, error: lost(channel) } as IpcResponse<C>);
        return;
      }
      const id = nextId++;
      // The page learns job ids from these answers: a job event before them is not yet another tab's job.
      const namesJobs = NAMES_JOBS.has(channel);
      if (namesJobs) jobCatchUp.requestSent();
      const settle = (r: Result<unknown>) => {
        resolve(r as IpcResponse<C>);
        if (namesJobs) jobCatchUp.requestSettled(jobIdsOf(channel, r));
      };
      pending.set(id, { channel, resolve: settle });
      const message: WsRequestMessage<C> = { type: 'request', id, channel, payload };
      socket.send(JSON.stringify(message));
    });

  const subscribe = <C extends IpcEventChannel>(
    channel: C,
    listener: (payload: IpcEvents[C]) => void,
  ): Unsubscribe => {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  };

  /** One file to `POST /<token>/upload`; files of one `batch` land in one folder of the server. */
  const upload = async (file: File, batch?: string): Promise<UploadResponse> => {
    try {
      const target = new URL(uploadUrlFor(options.pageUrl, file.name));
      if (batch) target.searchParams.set('batch', batch);
      const response = await doFetch(target.toString(), {
        method: 'POST',
        body: file,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      return (await response.json()) as UploadResponse;
    } catch (error) {
      return {
        ok: false,
        error: {
          code: 'IO',
          message: `Could not upload ${file.name} to onnx-studio serve: ${error instanceof Error ? error.message : String(error)}. Check that the serve process is running, or open the model by its path on the server.`,
        },
      };
    }
  };

  const host: WsStudioHost = {
    kind: 'serve',
    inspectModel: (path) => request(CHANNELS.modelInspect, { path }),
    modelGraph: (r) => request(CHANNELS.modelGraph, r),
    modelDiff: (r) => request(CHANNELS.modelDiff, r),
    modelLoadCheck: (r) => request(CHANNELS.modelLoadCheck, r),
    openModelDialog: () => request(CHANNELS.modelOpenDialog, {}),
    openPathDialog: (r) => request(CHANNELS.dialogOpenPath, r),
    savePathDialog: (r) => request(CHANNELS.dialogSavePath, r),
    listFolder: (path) => request(CHANNELS.fsList, { path }),
    startJob: (spec) => request(CHANNELS.jobStart, spec),
    cancelJob: (jobId) => request(CHANNELS.jobCancel, { jobId }),
    listJobs: () => request(CHANNELS.jobList, {}),
    startPipelines: (body) => request(CHANNELS.pipelineStart, body),
    rerunPipeline: (body) => request(CHANNELS.pipelineRerun, body),
    getWorkspace: (modelPath) => request(CHANNELS.workspaceGet, { modelPath }),
    listWorkspaces: () => request(CHANNELS.workspaceList, {}),
    renameVariant: (r) => request(CHANNELS.workspaceRenameVariant, r),
    removeVariant: (r) => request(CHANNELS.workspaceRemoveVariant, r),
    addBenchRecord: (r) => request(CHANNELS.workspaceAddBenchRecord, r),
    setExperiment: (r) => request(CHANNELS.experimentSet, r),
    checkDataset: (r) => request(CHANNELS.datasetCheck, r),
    cancelDatasetCheck: (checkId) => request(CHANNELS.datasetCheckCancel, { checkId }),
    collectSweep: (r) => request(CHANNELS.sweepCollect, r),
    buildReport: (modelPath) => request(CHANNELS.reportBuild, { modelPath }),
    saveReport: (r) => request(CHANNELS.reportSave, r),
    listMethods: () => request(CHANNELS.methodsList, {}),
    listProviders: () => request(CHANNELS.engineProviders, {}),
    listRecent: () => request(CHANNELS.recentList, {}),
    clearRecent: () => request(CHANNELS.recentClear, {}),
    appInfo: () => request(CHANNELS.appInfo, {}),
    // A browser never knows where a dropped file is on the server's disk: it uploads instead.
    getPathForFile: () => null,
    uploadFile: (file) => upload(file),
    uploadFiles: async (files) => {
      const batch = newUploadBatch();
      const paths: string[] = [];
      // One after another: they share the server's disk, and the first failure stops the rest.
      for (const file of files) {
        const uploaded = await upload(file, batch);
        if (!uploaded.ok) return uploaded;
        paths.push(uploaded.value.path);
      }
      return { ok: true, value: { paths } };
    },
    onJobEvent: (l) => subscribe(CHANNELS.jobEvent, l),
    onMenuCommand: (l) => subscribe(CHANNELS.menuCommand, l),
    onModelOpenRequest: (l) => subscribe(CHANNELS.modelOpenRequest, l),
    onWorkspaceChanged: (l) => subscribe(CHANNELS.workspaceChanged, l),
    onRecentChanged: (l) => subscribe(CHANNELS.recentChanged, l),
    onDatasetCheckProgress: (l) => subscribe(CHANNELS.datasetCheckProgress, l),
    onConnectionChange: (l) => {
      connectionListeners.add(l);
      return () => {
        connectionListeners.delete(l);
      };
    },
    onOtherJobs: (l) => {
      otherJobsListeners.add(l);
      return () => {
        otherJobsListeners.delete(l);
      };
    },
    close: () => {
      closed = true;
      socket?.close(1000, 'page closed');
      failPending();
      emitConnection('closed');
    },
  };

  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Result<WsStudioHost>) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const timer = setTimeout(() => {
      settle({
        ok: false,
        error: {
          code: 'IO',
          message: `onnx-studio serve did not answer at ${url.replace(/\/[^/]+\/ws$/, '/…/ws')} within ${Math.round((options.connectTimeoutMs ?? 10_000) / 1000)} s. Check that it is running and that this is the address it printed (with its token).`,
        },
      });
      closed = true;
      socket?.close();
    }, options.connectTimeoutMs ?? 10_000);

    const open = () => {
      const s = createSocket(url);
      socket = s;
      s.onmessage = (event) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(event.data));
        } catch {
          return;
        }
        if (!isWsServerMessage(parsed)) return;
        if (parsed.type !== 'hello') {
          onMessage(parsed);
          return;
        }
        // The server speaks first; its hello means the socket is usable.
        if (parsed.protocol !== WS_PROTOCOL_VERSION) {
          clearTimeout(timer);
          closed = true;
          s.close();
          failPending();
          // After a reconnect the page is already up: only a reload brings one that speaks the server's protocol.
          if (everConnected) {
            emitConnection('outdated');
            return;
          }
          settle({
            ok: false,
            error: {
              code: 'BAD_REQUEST',
              message: `This page speaks protocol ${WS_PROTOCOL_VERSION} and the server ${String(parsed.protocol)}: they come from different ONNX Studio versions. Reload the page; if it persists, restart onnx-studio serve.`,
            },
          });
          return;
        }
        const mismatch = buildMismatchMessage(options.pageBuild, parsed.rendererBuild);
        if (mismatch) {
          clearTimeout(timer);
          closed = true;
          s.close();
          failPending();
          // First contact: the page shows the message. After a reconnect: the server was restarted with another
          // build, and only a reload brings the matching page.
          if (everConnected) emitConnection('outdated');
          else settle({ ok: false, error: { code: 'BAD_REQUEST', message: mismatch } });
          return;
        }
        everConnected = true;
        serverStopped = false;
        backoffMs = 500;
        clearTimeout(timer);
        settle({ ok: true, value: host });
        emitConnection('connected');
      };
      s.onclose = (event) => {
        failPending();
        if (closed) return;
        if (!everConnected) {
          // Refused before the upgrade: most likely a wrong or missing token.
          clearTimeout(timer);
          settle({
            ok: false,
            error: {
              code: 'BAD_REQUEST',
              message: `onnx-studio serve refused the connection${event.reason ? ` (${event.reason})` : ''}. Open the exact address serve printed, including its token.`,
            },
          });
          return;
        }
        // Ctrl+C on serve cancels its jobs: the page must not say they keep running.
        if (event.code === SERVE_STOPPING_CLOSE_CODE) serverStopped = true;
        emitConnection(serverStopped ? 'stopped' : 'reconnecting');
        setTimeout(() => void reconnect(), backoffMs);
        backoffMs = Math.min(8000, backoffMs * 2);
      };
      s.onerror = () => {
        // onclose follows and handles it.
      };
    };
    /**
     * Tries again unless serve answers but refuses this page's token: every `serve` start makes a new one, so
     * after a restart the old address never works again and retrying would say "Reconnecting…" forever. A
     * server that does not answer (still down) is retried.
     */
    const reconnect = async () => {
      if (closed) return;
      // Bounded: a serve that accepts the connection and never answers is retried like one that is down.
      const refused = await doFetch(options.pageUrl, {
        method: 'HEAD',
        cache: 'no-store',
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      }).then(
        (response) => response.status === 401,
        () => false,
      );
      if (closed) return;
      if (refused) {
        closed = true;
        emitConnection('expired');
        return;
      }
      open();
    };
    open();
  });
}
