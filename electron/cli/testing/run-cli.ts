import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs the CLI from source (through tsx) so tests never see a stale build. */
export function runCliProcess(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'electron/cli/bin.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** How a CLI process started by startCliProcess ended, and what it wrote. */
export interface CliProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the CLI from source (through tsx) without waiting for it, for tests that signal it while it works.
 * `imports` are modules loaded before it (testing/slow-disk.ts); `ended` resolves with how it ended.
 */
export function startCliProcess(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; imports?: string[] } = {},
): {
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr: () => string;
  ended: Promise<CliProcessEnd>;
} {
  const imports = (options.imports ?? []).flatMap((file) => ['--import', file]);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...imports, path.join(repoRoot, 'electron/cli/bin.ts'), ...args],
    { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const ended = new Promise<CliProcessEnd>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, stderr: () => stderr, ended };
}

/** Runs the CLI in this process (fast; the same `runCli` the bin calls), collecting what it writes. */
export async function runCliInProcess(
  args: string[],
  signal?: AbortSignal,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { runCli } = await import('../main.js');
  const { PassThrough } = await import('node:stream');
  const collect = () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const out = collect();
  const err = collect();
  const code = await runCli(args, { stdout: out.stream, stderr: err.stream }, signal);
  return { code, stdout: out.text(), stderr: err.text() };
}
