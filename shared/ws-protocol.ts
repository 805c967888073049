/**
 * The WebSocket protocol of `onnx-studio serve`: the IPC contract (`shared/ipc-contract.ts`) in JSON
 * envelopes, so a browser drives exactly the same methods and receives exactly the same events as the
 * Electron window. No zod here (the renderer imports this file at runtime); the server validates envelopes
 * with `isWsClientMessage` and every payload with the contract's zod schemas.
 *
 * URLs. `serve` prints `http://HOST:PORT/<token>/`. Everything lives under that token prefix, so the page's
 * relative URLs (scripts, styles, wasm, `workspace-files/...`) carry the token with no extra code:
 * - `GET  /<token>/...`                 the built renderer (`out/renderer`)
 * - `GET  /<token>/ws` (Upgrade)        the WebSocket: `new WebSocket(wsUrlFor(location.href))`
 * - `GET  /<token>/workspace-files/<workspaceKey>/<target>`   a workspace model's bytes (shared/workspace.ts);
 *   `.../external-data` lists its external data files (JSON), `.../external-data/<location>` serves one of them
 * - `POST /<token>/upload?name=FILE.onnx`   raw request body = the file; answers `{ path }` (JSON), the absolute
 *   path of the stored copy on the server, to pass to `studio:model.inspect` and jobs. For a model the browser
 *   has (dropped, picked with <input type=file>) but the server does not.
 * Any request without the token, or with a wrong one, gets 401 (HTTP) or is refused before the upgrade (WS).
 *
 * The conversation on a socket:
 * 1. The server sends `hello` first.
 * 2. The client sends `request`s, each with an id of its choice (unique among its requests in flight); the
 *    server answers each with exactly one `response` carrying the same id and the method's `Result`.
 *    Responses may arrive in any order.
 * 3. The server pushes `event`s (job events of every job, whoever started it; workspace and recent-list
 *    changes) to every connected client. Job events carry `seq`, so a client that reconnects calls
 *    `studio:job.list` and ignores events with a `seq` it has already seen.
 * 4. A message the server cannot read (not JSON, not an envelope, over `WS_MAX_MESSAGE_BYTES`) is answered
 *    with an `error` message (carrying the id when one could be read); a request with a malformed payload is
 *    answered with a `response` whose result is a BAD_REQUEST error.
 */
import { isRecord } from './is-record.js';
import type { Result, StudioErrorInfo } from './errors.js';
import type {
  IpcEventChannel,
  IpcEvents,
  IpcMethodChannel,
  IpcRequest,
  IpcResponse,
} from './ipc-contract.js';

/**
 * The file of the built page (`out/renderer/build.json`, `{ "build": "<ISO time of the build>" }`) that `serve`
 * reads when it starts and names in its `hello`; the page carries the same stamp (renderer/vite.config.ts).
 */
export const RENDERER_BUILD_FILE = 'build.json';

/** Bumped on any incompatible change; the `hello` message carries it. */
export const WS_PROTOCOL_VERSION = 1;

/** The largest message a client may send (bytes). Requests are small; models go through `upload`. */
export const WS_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Path segments under the token prefix. */
export const SERVE_PATHS = {
  ws: 'ws',
  upload: 'upload',
  workspaceFiles: 'workspace-files',
} as const;

/** Client → server: call a method. */
export interface WsRequestMessage<C extends IpcMethodChannel = IpcMethodChannel> {
  type: 'request';
  /** Chosen by the client; echoed in the response. A string of at most 100 characters or a safe integer. */
  id: number | string;
  channel: C;
  payload: IpcRequest<C>;
}

export type WsClientMessage = WsRequestMessage;

/** Server → client, first message on every socket. */
export interface WsHelloMessage {
  type: 'hello';
  protocol: typeof WS_PROTOCOL_VERSION;
  /** The onnx-studio version of the server. */
  version: string;
  host: 'serve';
  /**
   * The build stamp of the page files the server found when it started (RENDERER_BUILD_FILE); absent when it
   * found none (a development server). A page with another stamp comes from another build.
   */
  rendererBuild?: string;
}

/** Server → client: the answer to one request. */
export interface WsResponseMessage<C extends IpcMethodChannel = IpcMethodChannel> {
  type: 'response';
  id: number | string;
  channel: C;
  response: IpcResponse<C>;
}

/** Server → client: one contract event. */
export type WsEventMessage = {
  [C in IpcEventChannel]: { type: 'event'; channel: C; payload: IpcEvents[C] };
}[IpcEventChannel];

/** Server → client: a message could not be read at all. */
export interface WsErrorMessage {
  type: 'error';
  /** The request's id, when one could be read. */
  id?: number | string;
  error: StudioErrorInfo;
}

export type WsServerMessage = WsHelloMessage | WsResponseMessage | WsEventMessage | WsErrorMessage;

/** The JSON body `POST /<token>/upload` answers with. */
export type UploadResponse = Result<{ path: string; bytes: number }>;

export function isValidRequestId(id: unknown): id is number | string {
  return (
    (typeof id === 'number' && Number.isSafeInteger(id)) ||
    (typeof id === 'string' && id.length > 0 && id.length <= 100)
  );
}

/** Envelope check (the payload is checked against the method's schema afterwards). */
export function isWsClientMessage(value: unknown): value is WsClientMessage {
  return (
    isRecord(value) &&
    value.type === 'request' &&
    isValidRequestId(value.id) &&
    typeof value.channel === 'string' &&
    'payload' in value
  );
}

/**
 * What to tell the user when the page and the server come from different builds (their stamps differ), or
 * undefined when they match or either has no stamp (a development build). ISO stamps sort by time, so the
 * message can say which side is behind: a newer page needs a restarted server, an older page a reload.
 */
export function buildMismatchMessage(
  pageBuild: string | undefined,
  serverBuild: string | undefined,
): string | undefined {
  if (!pageBuild || !serverBuild || pageBuild === serverBuild) return undefined;
  const stamps = `(page built ${pageBuild}; onnx-studio serve started with the page built ${serverBuild})`;
  return pageBuild > serverBuild
    ? `ONNX Studio was rebuilt or updated after onnx-studio serve started ${stamps}. Stop serve (Ctrl+C), start it again, then reload this page.`
    : `This page is older than the one onnx-studio serve now serves ${stamps}. Reload the page (Ctrl+Shift+R, so the browser does not reuse its copy).`;
}

/** Envelope check for clients. */
export function isWsServerMessage(value: unknown): value is WsServerMessage {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'hello':
      return typeof value.protocol === 'number';
    case 'response':
      return (
        isValidRequestId(value.id) &&
        typeof value.channel === 'string' &&
        isRecord(value.response) &&
        typeof value.response.ok === 'boolean'
      );
    case 'event':
      return typeof value.channel === 'string' && 'payload' in value;
    case 'error':
      return isRecord(value.error);
    default:
      return false;
  }
}

/**
 * The WebSocket URL for a page served at `pageUrl` (e.g. `location.href` = `http://127.0.0.1:5123/<token>/`
 * or a deeper page under it): same host, `ws:` or `wss:`, path `/<token>/ws`.
 */
export function wsUrlFor(pageUrl: string): string {
  const url = new URL(pageUrl);
  const token = url.pathname.split('/').filter(Boolean)[0] ?? '';
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `/${token}/${SERVE_PATHS.ws}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** The upload URL for a page served at `pageUrl`, for a file named `name`. */
export function uploadUrlFor(pageUrl: string, name: string): string {
  const url = new URL(pageUrl);
  const token = url.pathname.split('/').filter(Boolean)[0] ?? '';
  url.pathname = `/${token}/${SERVE_PATHS.upload}`;
  url.search = `?name=${encodeURIComponent(name)}`;
  url.hash = '';
  return url.toString();
}
