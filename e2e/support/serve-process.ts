/**
 * A real `onnx-studio serve` for end-to-end tests: started on a free port with a temporary data folder, its
 * URL (with the access token) read from its `--json` line on stdout, stopped (and its folders removed) by
 * `stop()`. Needs the built CLI and renderer (`npm run build && npm run build:renderer`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './static-renderer.js';

export interface ServeProcess {
  url: string;
  /** Where workspaces are kept. */
  dataDir: string;
  /** A scratch folder for files the test writes (exports, models). */
  outDir: string;
  /** Everything serve wrote to stderr so far. */
  log(): string;
  /** Kills serve at once (SIGKILL), as a crash or `kill -9` would: it says nothing to its pages first. */
  kill(): void;
  stop(): Promise<void>;
}

export async function startServe(): Promise<ServeProcess> {
  for (const built of ['out/electron/cli/bin.js', 'out/renderer/index.html']) {
    if (!existsSync(join(REPO_ROOT, built))) {
      throw new Error(`${built} is missing. Run: npx tsc -p tsconfig.build.json && npx vite build --config renderer/vite.config.ts`);
    }
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'onnx-studio-e2e-data-'));
  const outDir = await mkdtemp(join(tmpdir(), 'onnx-studio-e2e-out-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/onnx-studio.js', 'serve', '--port', '0', '--data-dir', dataDir, '--json'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`onnx-studio serve printed no URL within 30 s. Its stderr:\n${log}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`onnx-studio serve exited (${code}) before listening. Its stderr:\n${log}`)));
    // The --json object may span several lines: gather them until they parse.
    let text = '';
    lines.on('line', (line) => {
      text += `${line}\n`;
      try {
        const info = JSON.parse(text) as { url: string };
        clearTimeout(timer);
        lines.removeAllListeners('line');
        resolve(info.url);
      } catch {
        // not complete yet
      }
    });
  });
  return {
    url,
    dataDir,
    outDir,
    log: () => log,
    kill() {
      child.kill('SIGKILL');
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      for (const dir of [dataDir, outDir]) await rm(dir, { recursive: true, force: true });
    },
  };
}
