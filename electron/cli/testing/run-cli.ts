import { spawnSync } from 'node:child_process';
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
