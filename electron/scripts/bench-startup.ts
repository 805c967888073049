/**
 * `npm run bench:startup`: how long whole `onnx-studio` processes take to start and answer, against
 * `node -e 0` (Node's own start-up), as medians of several runs. Commands load their modules only when they
 * run (electron/cli/command-index.ts), so `--version` and `--help` pay for Node and little else.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMlp, modelBytes } from '../engine/testing/model-fixtures.js';

const RUNS = 9;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'onnx-studio.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-startup-'));
// About half a megabyte of weights, the size the target names.
const model = path.join(dir, 'mlp.onnx');
fs.writeFileSync(model, modelBytes(buildMlp({ inputSize: 256, hiddenSize: 512, outputSize: 10 })));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  }
  return median(samples);
}

const base = time(['-e', '0']);
const rows: [string, number][] = [
  ['node -e 0', base],
  ['onnx-studio --version', time([bin, '--version'])],
  ['onnx-studio --help', time([bin, '--help'])],
  [`onnx-studio inspect (${(fs.statSync(model).size / 1024).toFixed(0)} KiB model)`, time([bin, 'inspect', model])],
];
console.log(`Medians of ${RUNS} runs, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`);
for (const [name, ms] of rows) console.log(`${name.padEnd(40)} ${(ms / 1000).toFixed(3)} s  ${(ms / base).toFixed(1)}x node`);
fs.rmSync(dir, { recursive: true, force: true });
