import os from 'node:os';
import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import { StudioBackend } from '../../engine/jobs/studio-backend.js';
import { defaultDataDir } from '../../engine/workspace/data-dir.js';
import { findRendererDir } from '../../main/renderer-files.js';
import { isLoopbackHost } from '../../serve/http-security.js';
import { startServeServer } from '../../serve/serve-server.js';
import type { CliCommand } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { cliVersion } from '../version.js';

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new StudioError(
      'BAD_REQUEST',
      `--port must be a whole number from 0 to 65535 (0 picks a free port), got '${raw}'.`,
    );
  return port;
}

/** Other addresses of this machine, for the hint printed when serving beyond loopback. */
function networkAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}

export const serveCommand: CliCommand = {
  usage: 'onnx-studio serve [--host 127.0.0.1] [--port N] [--data-dir DIR] [--json]',
  help: [
    '  --host ADDRESS   address to listen on (default 127.0.0.1: this machine only). 0.0.0.0 serves the',
    '                   network: anyone who has the printed URL (it contains the token) can use the app',
    '  --port N         port (default: a free one)',
    "  --data-dir DIR   where workspaces live (default: the desktop app's data folder, or $ONNX_STUDIO_DATA_DIR)",
    '  --json           print {url, token, host, port, dataDir} as one JSON object once listening',
  ].join('\n'),
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  async run(ctx) {
    if (ctx.positionals.length > 0)
      throw new StudioError('BAD_REQUEST', `serve takes no arguments, got: ${ctx.positionals.join(' ')}.`);
    const host = typeof ctx.values.host === 'string' ? ctx.values.host : '127.0.0.1';
    const port = parsePort(typeof ctx.values.port === 'string' ? ctx.values.port : undefined);
    const dataDir =
      typeof ctx.values['data-dir'] === 'string' ? path.resolve(ctx.values['data-dir']) : defaultDataDir();
    const rendererDir = findRendererDir();
    if (!rendererDir) {
      throw new StudioError(
        'INTERNAL',
        "The app's web page is not built (out/renderer is missing). Run `npm run build:renderer` in the ONNX Studio folder, then start serve again.",
      );
    }
    const version = cliVersion();
    const backend = new StudioBackend({
      dataDir,
      host: 'serve',
      version,
      capabilities: { nativeDialogs: false, fileBrowser: true, upload: true },
    });
    let server;
    try {
      server = await startServeServer({
        backend,
        rendererDir,
        uploadsDir: path.join(dataDir, 'uploads'),
        host,
        port,
        version,
        log: (m) => ctx.stderr.write(`${m}\n`),
      });
    } catch (error) {
      await backend.dispose();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new StudioError(
          'BAD_REQUEST',
          `Port ${port} is in use. Choose another --port, or leave it out to pick a free one.`,
        );
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
        throw new StudioError(
          'BAD_REQUEST',
          `Cannot listen on ${host}: no such address on this machine. Use 127.0.0.1 or 0.0.0.0.`,
        );
      if (code === 'EACCES')
        throw new StudioError(
          'BAD_REQUEST',
          `Not allowed to listen on port ${port}. Choose a port above 1023.`,
        );
      throw error;
    }
    if (ctx.json) {
      writeJson(ctx, { url: server.url, token: server.token, host: server.host, port: server.port, dataDir });
    } else {
      const lines = [
        'ONNX Studio is running. Open this URL in a browser (it contains the access token):',
        '',
        `  ${server.url}`,
        '',
      ];
      if (!isLoopbackHost(host)) {
        for (const address of networkAddresses())
          lines.push(`  also: http://${address}:${server.port}/${server.token}/`);
        lines.push(
          '',
          'Warning: listening beyond this machine, unencrypted. Anyone with the URL can run jobs and read models here.',
          '',
        );
      }
      lines.push(`Workspaces: ${dataDir}`, 'Press Ctrl+C to stop.');
      ctx.stdout.write(`${lines.join('\n')}\n`);
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    ctx.stderr.write('Stopping: cancelling jobs and closing connections...\n');
    await server.close();
    await backend.dispose();
    return 0;
  },
};
