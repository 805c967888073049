/**
 * `npm run bench:layers`: every transform of `onnx-studio` on a graph of thousands of layers, as whole CLI
 * processes (wall time and the child's peak memory). A pass over the whole graph per weight or per layer
 * is quadratic, and shows here long before it shows on the fixtures of the tests:
 *
 *   node out/electron/scripts/bench-layers.js [--layers N] [--width W]
 *
 * The model is buildDeepMlp: N x (MatMul by a [W, W] weight, Add a bias, Relu), 3N nodes and 2N
 * initializers (default 2,000 layers of width 64: 6,000 nodes, 33 MB). Each command runs once after the
 * model is written; peak memory is the child's VmHWM where /proc has it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../cli/format.js';
import { PEAK_PRELOAD, childPeakBytes } from '../engine/bench/child-peak.js';
import { buildDeepMlp, modelBytes } from '../engine/testing/model-fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin', 'onnx-studio.js');
const argv = process.argv.slice(2);
function positiveInt(flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  if (i < 0) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} takes a positive whole number`);
  return value;
}
const layers = positiveInt('--layers', 2000);
const width = positiveInt('--width', 64);

const COMMANDS: string[][] = [
  ['quantize', '--method', 'int8-dynamic'],
  ['quantize', '--method', 'int8-weight'],
  ['quantize', '--method', 'int4'],
  ['quantize', '--method', 'fp16'],
  ['quantize', '--method', 'int8-static', '--calib-data', 'synthetic', '--calib-samples', '2'],
  ['prune', '--method', 'magnitude', '--sparsity', '0.5'],
  ['prune', '--method', 'structured', '--sparsity', '0.2'],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-layers-'));
try {
  const model = path.join(dir, 'deep.onnx');
  fs.writeFileSync(model, modelBytes(buildDeepMlp({ layers, width })));
  const mb = (fs.statSync(model).size / 2 ** 20).toFixed(1);
  console.log(
    `${layers} layers of width ${width}: ${layers * 3} nodes, ${layers * 2} initializers, ${mb} MB`,
  );
  console.log(
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}\n`,
  );
  const rows: string[][] = [];
  for (const command of COMMANDS) {
    const out = path.join(dir, 'out.onnx');
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      ['--import', PEAK_PRELOAD, bin, command[0]!, model, '-o', out, '--force', ...command.slice(1)],
      // stdout ignored: its per-layer table of a big model overran spawnSync's buffer, which kills the child.
      { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${command.join(' ')} exited ${r.status}:\n${r.stderr}`);
    const peak = childPeakBytes(r.stderr);
    rows.push([
      command.join(' '),
      seconds.toFixed(2),
      Number.isFinite(peak) ? `${(peak / 2 ** 20).toFixed(0)} MB` : 'n/a',
    ]);
  }
  console.log(formatTable(['command', 'seconds', 'peak memory'], rows));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
