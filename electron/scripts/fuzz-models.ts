/**
 * `npm run fuzz:models`: byte-level mutants of small fixture models (bit flips, byte runs, truncation,
 * splices; electron/engine/testing/model-mutants.ts) run through inspect, quantize, prune and bench as whole
 * `onnx-studio` processes. A malformed model must end in exit 2 (a typed user error with onnxruntime's or the
 * parser's reason) or exit 0 (the mutation left a valid model): never exit 1, a signal, a hang, a stack trace,
 * or an output file left behind by a failed run.
 *
 *   node out/electron/scripts/fuzz-models.js [--runs N] [--seed S] [--jobs J] [--timeout SECONDS] [--keep DIR] [--all-methods]
 *
 * --all-methods adds int8-weight, int8-static, int4, structured pruning and convert to the five default
 * commands (inspect, int8-dynamic, fp16, magnitude pruning, bench).
 *
 * Defaults: 480 runs, seed 1, 2 parallel processes, 20 s per run. Mutants of failed runs are kept (in --keep
 * or a temporary folder) with a line to reproduce each. Exits 1 when any run failed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../cli/format.js';
import {
  FUZZ_COMMANDS,
  makeMutants,
  type FuzzCommand,
  type Mutant,
} from '../engine/testing/model-mutants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'onnx-studio.js');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} needs a number`);
  return value;
}

const runs = flag('--runs', 480);
const seed = flag('--seed', 1);
const jobs = Math.max(1, flag('--jobs', Math.min(2, os.availableParallelism())));
const timeoutMs = flag('--timeout', 20) * 1000;
const keepIndex = process.argv.indexOf('--keep');
const keepDir = keepIndex >= 0 ? path.resolve(process.argv[keepIndex + 1]!) : undefined;

/** With --all-methods: the slower or rarer methods too. */
const EXTRA_COMMANDS: FuzzCommand[] = [
  { name: 'quantize int8-weight', args: (m, o) => ['quantize', m, '-o', o, '--method', 'int8-weight'] },
  {
    name: 'quantize int8-static',
    args: (m, o) => [
      'quantize',
      m,
      '-o',
      o,
      '--method',
      'int8-static',
      '--calib-data',
      'synthetic',
      '--calib-samples',
      '4',
    ],
  },
  { name: 'quantize int4', args: (m, o) => ['quantize', m, '-o', o, '--method', 'int4'] },
  {
    name: 'prune structured',
    args: (m, o) => ['prune', m, '-o', o, '--method', 'structured', '--sparsity', '0.25'],
  },
  { name: 'convert', args: (m, o) => ['convert', m, '-o', o] },
];
const commands = process.argv.includes('--all-methods')
  ? [...FUZZ_COMMANDS, ...EXTRA_COMMANDS]
  : FUZZ_COMMANDS;

interface RunResult {
  mutant: Mutant;
  command: string;
  args: string[];
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stackTrace: boolean;
  leftOutput: boolean;
  stderr: string;
  ms: number;
}

function runOne(mutant: Mutant, commandIndex: number, dir: string): Promise<RunResult> {
  const model = path.join(dir, `${mutant.id}.onnx`);
  const out = path.join(dir, `${mutant.id}.out.onnx`);
  fs.writeFileSync(model, mutant.bytes);
  const command = commands[commandIndex]!;
  const args = command.args(model, out);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 64_000) stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const leftOutput = code !== 0 && fs.existsSync(out);
      resolve({
        mutant,
        command: command.name,
        args,
        code,
        signal: timedOut ? null : signal,
        timedOut,
        stackTrace: /^\s{4}at /m.test(stderr),
        leftOutput,
        stderr,
        ms: performance.now() - t0,
      });
    });
  });
}

function failed(r: RunResult): string | undefined {
  if (r.timedOut) return `timed out after ${timeoutMs / 1000} s`;
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code === 1) return 'exit 1 (internal error)';
  if (r.code !== 0 && r.code !== 2) return `exit ${r.code}`;
  if (r.stackTrace) return 'stack trace in stderr';
  if (r.leftOutput) return 'a failed run left an output file';
  return undefined;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'out', 'electron', 'cli', 'bin.js')))
    throw new Error('Run `npm run build` first.');
  const mutants = makeMutants(runs, seed);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-fuzz-'));
  const started = performance.now();
  const results: RunResult[] = [];
  let nextIndex = 0;
  async function worker(): Promise<void> {
    while (nextIndex < mutants.length) {
      const i = nextIndex++;
      // Mutant i starts from base i % 4 and uses kind (i / 4) % 4; the command cycles with i / 16 so every
      // (base, kind, command) triple comes up.
      const r = await runOne(mutants[i]!, Math.floor(i / 16) % commands.length, work);
      results.push(r);
      const done = results.length;
      if (done % 40 === 0 || done === mutants.length)
        process.stderr.write(`  ${done}/${mutants.length} runs\n`);
    }
  }
  await Promise.all(Array.from({ length: jobs }, () => worker()));
  const wallS = (performance.now() - started) / 1000;

  const failures = results.filter((r) => failed(r) !== undefined);
  // Keep the mutants of failed runs; drop the rest.
  const keep = keepDir ?? path.join(work, 'failed');
  if (failures.length > 0) fs.mkdirSync(keep, { recursive: true });
  for (const f of failures)
    fs.copyFileSync(path.join(work, `${f.mutant.id}.onnx`), path.join(keep, `${f.mutant.id}.onnx`));
  for (const entry of fs.readdirSync(work))
    if (entry !== 'failed') fs.rmSync(path.join(work, entry), { force: true, recursive: true });
  if (failures.length === 0) fs.rmSync(work, { recursive: true, force: true });

  const count = (pred: (r: RunResult) => boolean) => results.filter(pred).length;
  console.log(
    `\nMalformed-model fuzz: ${results.length} runs, seed ${seed}, ${jobs} parallel, ${wallS.toFixed(1)} s wall`,
  );
  console.log(`${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}\n`);
  const header = [
    'command',
    'runs',
    'exit 0',
    'exit 2',
    'exit 1',
    'other',
    'signal',
    'timeout',
    'stack',
    'left output',
  ];
  const rows = [...commands.map((c) => c.name), 'all'].map((name) => {
    const rs = results.filter((r) => name === 'all' || r.command === name);
    const c = (pred: (r: RunResult) => boolean) => String(rs.filter(pred).length);
    return [
      name,
      String(rs.length),
      c((r) => r.code === 0),
      c((r) => r.code === 2),
      c((r) => r.code === 1),
      c((r) => !r.timedOut && r.code !== null && ![0, 1, 2].includes(r.code)),
      c((r) => !r.timedOut && r.signal !== null),
      c((r) => r.timedOut),
      c((r) => r.stackTrace),
      c((r) => r.leftOutput),
    ];
  });
  console.log(formatTable(header, rows, { measurements: true }));
  const byKind = ['bit-flip', 'byte-run', 'truncate', 'splice'].map(
    (k) => `${k} ${count((r) => r.mutant.kind === k && r.code === 2)}/${count((r) => r.mutant.kind === k)}`,
  );
  console.log(`\nexit 2 by mutation: ${byKind.join(', ')}`);
  const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a));
  console.log(`slowest run: ${(slowest.ms / 1000).toFixed(1)} s (${slowest.command}, ${slowest.mutant.id})`);

  if (failures.length === 0) {
    console.log(
      '\nNo failures: every run ended in exit 0 or 2, without a signal, a hang, a stack trace or a leftover output.',
    );
    return;
  }
  console.log(`\n${failures.length} failed runs; the first ${Math.min(10, failures.length)}:`);
  for (const f of failures.slice(0, 10)) {
    const kept = path.join(keep, `${f.mutant.id}.onnx`);
    const args = f.args.map((a) => (a.endsWith(`${f.mutant.id}.onnx`) ? kept : a));
    console.log(`\n- ${f.mutant.id} (${f.mutant.description}): ${failed(f)}`);
    console.log(`  reproduce: node bin/onnx-studio.js ${args.join(' ')}`);
    const message = f.stderr.trim().split('\n').slice(0, 3).join('\n    ');
    if (message) console.log(`    ${message}`);
  }
  console.log(`\nMutants of failed runs kept in ${keep}`);
  process.exitCode = 1;
}

await main();
