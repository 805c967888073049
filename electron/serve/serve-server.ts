/**
 * The `onnx-studio serve` server: the built renderer over HTTP and the IPC contract over a WebSocket, for a
 * browser on this machine or (with --host) on another. Every request carries the token in its path
 * (`/<token>/...`); anything else is refused. Payloads are validated with the contract's zod schemas by the
 * backend, exactly as the Electron IPC handlers do. See shared/ws-protocol.ts for the URLs and messages.
 */
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { StudioErrorInfo } from '../../shared/errors.js';
import { IPC_CHANNELS, isIpcMethodChannel, type StudioEvent } from '../../shared/ipc-contract.js';
import {
  RENDERER_BUILD_FILE,
  SERVE_PATHS,
  WS_MAX_MESSAGE_BYTES,
  WS_PROTOCOL_VERSION,
  isValidRequestId,
  isWsClientMessage,
  type WsServerMessage,
} from '../../shared/ws-protocol.js';
import { CheckOwners } from '../engine/jobs/check-owners.js';
import type { StudioBackend } from '../engine/jobs/studio-backend.js';
import { contentTypeFor, resolveInsideRoot } from '../main/renderer-files.js';
import { hostAllowed, newToken, originAllowed, setCommonHeaders, tokenMatches } from './http-security.js';
import { receiveUpload } from './uploads.js';
import { explainUploadedModelError } from './uploaded-model.js';
import { answerWorkspaceFile } from './workspace-files.js';

export { safeUploadName } from './uploads.js';

export interface ServeOptions {
  backend: StudioBackend;
  /** The built renderer (`out/renderer`). */
  rendererDir: string;
  /** Where uploaded models are stored (a folder of the data dir). */
  uploadsDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default: a fresh random token. Tests pass one. */
  token?: string;
  version: string;
  /** Where to report server-side problems (default: console.error). */
  log?: (message: string) => void;
}

export interface RunningServer {
  /** The URL to open: `http://HOST:PORT/<token>/`. */
  url: string;
  token: string;
  host: string;
  port: number;
  /** Connected WebSocket clients. */
  readonly clients: number;
  close(): Promise<void>;
}

/** A WebSocket client whose unsent data exceeds this is dropped (it reconnects and catches up with job.list). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(value));
}

const UNAUTHORIZED =
  'Unauthorized: this ONNX Studio server needs its access token. Open the URL that `onnx-studio serve` printed when it started (it ends with /<token>/).';

/** The build stamp of the page files (RENDERER_BUILD_FILE), or undefined when there is none or it is unreadable. */
function readRendererBuild(rendererDir: string): string | undefined {
  try {
    const parsed = JSON.parse(
      fs.readFileSync(path.join(rendererDir, RENDERER_BUILD_FILE), 'utf8'),
    ) as unknown;
    const build = (parsed as { build?: unknown } | null)?.build;
    return typeof build === 'string' && build !== '' ? build : undefined;
  } catch {
    return undefined;
  }
}

export async function startServeServer(options: ServeOptions): Promise<RunningServer> {
  const { backend } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const rendererDir = path.resolve(options.rendererDir);
  const log = options.log ?? ((m: string) => console.error(m));
  // Read once: the page files may be rebuilt while serve runs, and the hello says which build this process
  // started with.
  const rendererBuild = readRendererBuild(rendererDir);
  let port = 0;

  const server = http.createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log(`onnx-studio serve: ${req.method} ${redact(req.url ?? '')} failed: ${(error as Error).message}`);
      if (!res.headersSent) sendText(res, 500, 'Internal error. See the terminal running onnx-studio serve.');
      else res.destroy();
    });
  });
  // Uploads of large models can take a while; requests still may not idle forever.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  const redact = (url: string) => url.replace(token, '<token>');

  /** The path after `/<token>`, or null when the token is missing or wrong. */
  function authorize(req: IncomingMessage): { rest: string; url: URL } | null {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!match || !tokenMatches(match[1]!, token)) return null;
    return { rest: match[2] ?? '', url };
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCommonHeaders(res, req);
    if (!hostAllowed(req.headers.host, host, port)) {
      sendText(
        res,
        403,
        'Forbidden: unexpected Host header. Open the server by the URL it printed (127.0.0.1 or localhost).',
      );
      return;
    }
    const auth = authorize(req);
    if (!auth) {
      sendText(res, 401, UNAUTHORIZED);
      return;
    }
    const { rest, url } = auth;
    if (rest === '') {
      // `/<token>` without the slash: relative URLs in the page would lose the token.
      res.writeHead(308, { Location: `/${token}/` });
      res.end();
      return;
    }
    const segments = rest.split('/').filter(Boolean);
    if (segments[0] === SERVE_PATHS.ws) {
      sendText(res, 426, 'This address is the WebSocket endpoint; connect with a WebSocket client.');
      return;
    }
    if (segments[0] === SERVE_PATHS.upload) {
      await handleUpload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'Method not allowed.');
      return;
    }
    if (segments[0] === SERVE_PATHS.workspaceFiles) {
      await handleWorkspaceFile(req, res, segments.slice(1));
      return;
    }
    const file = resolveInsideRoot(rendererDir, rest === '/' ? '/index.html' : rest);
    if (file === null) {
      sendText(res, 404, 'Not found.');
      return;
    }
    // Vite names assets by content hash: they never change under one name. Everything else is revalidated.
    const cache = rest.startsWith('/assets/')
      ? 'public, max-age=31536000, immutable'
      : path.basename(file) === 'index.html'
        ? 'no-store'
        : 'no-cache';
    await sendFile(req, res, file, cache);
  }

  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    cache: string,
  ): Promise<void> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      sendText(res, 404, 'Not found.');
      return;
    }
    if (!stat.isFile()) {
      sendText(res, 404, 'Not found.');
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentTypeFor(file),
      'Content-Length': stat.size,
      'Cache-Control': cache,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(fs.createReadStream(file), res);
  }

  /** A workspace model, its external data listing or one of its data files (workspace-files.ts decides which). */
  async function handleWorkspaceFile(
    req: IncomingMessage,
    res: ServerResponse,
    segments: string[],
  ): Promise<void> {
    const answer = await answerWorkspaceFile(backend.store, segments);
    if (answer.type === 'file') await sendFile(req, res, answer.file, 'no-store');
    else if (answer.type === 'json') sendJson(res, 200, answer.value);
    else sendText(res, answer.status, answer.message);
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendText(res, 405, 'Upload with POST.');
      return;
    }
    const answer = await receiveUpload(req, url, options.uploadsDir);
    if (!res.headersSent) sendJson(res, answer.status, answer.body);
  }

  // ------------------------------------------------------------------------------------------------------
  // WebSocket
  // ------------------------------------------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();
  /**
   * The data checks in flight (a `dataset.check` or `pipeline.start` sent with a `checkId`) by id, with the
   * socket that asked: its progress goes to that page only, and a page that goes away (tab closed, network
   * lost) does not leave the engine reading data for nobody: its checks are cancelled when its socket closes.
   */
  const checkOwners = new CheckOwners<WebSocket>(backend);

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, text: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${text}\n`,
      );
    };
    if (!hostAllowed(req.headers.host, host, port)) return refuse(403, 'Forbidden: unexpected Host header.');
    const auth = authorize(req);
    if (!auth) return refuse(401, UNAUTHORIZED);
    if (auth.rest !== `/${SERVE_PATHS.ws}`) return refuse(404, 'Not found.');
    if (!originAllowed(req.headers.origin, req.headers.host))
      return refuse(403, 'Forbidden: pages from another origin may not connect.');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function send(ws: WebSocket, message: WsServerMessage | string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // A client that cannot keep up would grow our memory without bound.
      ws.terminate();
      return;
    }
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('close', () => {
      sockets.delete(ws);
      checkOwners.cancelOwnedBy(ws);
    });
    ws.on('error', () => sockets.delete(ws));
    send(ws, {
      type: 'hello',
      protocol: WS_PROTOCOL_VERSION,
      version: options.version,
      host: 'serve',
      ...(rendererBuild ? { rendererBuild } : {}),
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void onMessage(ws, data, isBinary);
    });
  }

  async function onMessage(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    const fail = (error: StudioErrorInfo, id?: number | string) =>
      send(ws, id === undefined ? { type: 'error', error } : { type: 'error', id, error });
    if (isBinary)
      return fail({
        code: 'BAD_REQUEST',
        message: 'Messages must be JSON text, not binary. Upload files with POST /<token>/upload.',
      });
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return fail({ code: 'BAD_REQUEST', message: 'The message is not valid JSON. Reload the page.' });
    }
    if (!isWsClientMessage(message)) {
      const id = (message as { id?: unknown } | null)?.id;
      return fail(
        {
          code: 'BAD_REQUEST',
          message: 'Not a request: expected {type: "request", id, channel, payload}. Reload the page.',
        },
        isValidRequestId(id) ? id : undefined,
      );
    }
    const { id, channel, payload } = message;
    if (!isIpcMethodChannel(channel)) {
      send(ws, {
        type: 'response',
        id,
        channel,
        response: {
          ok: false,
          error: {
            code: 'BAD_REQUEST',
            message: `Unknown method '${String(channel).slice(0, 100)}'. The page and the server are different versions: reload the page.`,
          },
        },
      });
      return;
    }
    const response = await checkOwners.dispatch(ws, channel, payload);
    // A dropped model that cannot open as uploaded: what to do with the drop, and the upload removed.
    const file = (payload as { path?: unknown } | null)?.path;
    if (channel === IPC_CHANNELS.modelInspect && !response.ok && typeof file === 'string')
      response.error = await explainUploadedModelError(options.uploadsDir, file, response.error);
    send(ws, { type: 'response', id, channel, response });
  }

  const unsubscribe = backend.onEvent((event: StudioEvent) => {
    if (event.channel === IPC_CHANNELS.datasetCheckProgress) {
      const owner = checkOwners.ownerOf(event.payload.checkId);
      if (owner) send(owner, { type: 'event', channel: event.channel, payload: event.payload });
      return;
    }
    if (sockets.size === 0) return;
    // Serialized once for every client.
    const text = JSON.stringify({ type: 'event', channel: event.channel, payload: event.payload });
    for (const ws of sockets) send(ws, text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  return {
    url: `http://${urlHost}:${port}/${token}/`,
    token,
    host,
    port,
    get clients() {
      return sockets.size;
    },
    async close() {
      unsubscribe();
      // 1001 tells each page that serve is stopping (Ctrl+C): the jobs are cancelled next (backend.dispose in
      // commands/serve.ts), so the page says so instead of "jobs keep running" (ws-host.ts, `stopped`).
      for (const ws of sockets)
        ws.close(1001, 'onnx-studio serve is stopping; its running jobs are cancelled.');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
