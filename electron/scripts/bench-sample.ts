/**
 * `npm run bench:sample`: the bundled sample's figures against the targets a first impression needs, from a
 * whole `onnx-studio demo` run (the same recipes, benchmark and evaluations a new user gets). Speed is measured
 * here, not in unit tests. Prints each figure beside its target and exits 1 if one is missed.
 *
 *   int8-static  p50 <= 0.6x of fp32, size <= 0.3x, accuracy within 0.5 points
 *   fp16         size <= 0.5x (plus the file's few hundred bytes of metadata)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComparisonRow } from '../../shared/report.js';

const ITERATIONS = Number(process.env.ITERATIONS ?? 2000);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-sample-'));
const started = performance.now();
const run = spawnSync(
  process.execPath,
  [path.join(root, 'bin', 'onnx-studio.js'), 'demo', '--out', out, '--iterations', String(ITERATIONS), '--json'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
if (run.status !== 0) throw new Error(`onnx-studio demo exited ${run.status}`);
const seconds = (performance.now() - started) / 1000;
const { rows } = JSON.parse(run.stdout) as { rows: ComparisonRow[] };
const byName = new Map(rows.map((r) => [r.name, r]));

interface Check {
  figure: string;
  value: number;
  target: number;
  show: (v: number) => string;
}
const x = (v: number) => `${v.toFixed(3)}x`;
const pts = (v: number) => `${v.toFixed(2)} pts`;
const checks: Check[] = [];
const int8 = byName.get('int8-static');
const fp16 = byName.get('fp16');
if (!int8?.latency?.p50Ratio || int8.accuracyDelta === undefined || !fp16) throw new Error('the demo made no int8-static or fp16 figures');
checks.push({ figure: 'int8-static p50 / fp32 p50', value: int8.latency.p50Ratio, target: 0.6, show: x });
checks.push({ figure: 'int8-static size / fp32 size', value: int8.sizeRatio, target: 0.3, show: x });
checks.push({ figure: 'int8-static accuracy lost', value: -int8.accuracyDelta * 100, target: 0.5, show: pts });
checks.push({ figure: 'fp16 size / fp32 size', value: fp16.sizeRatio, target: 0.505, show: x });

console.log(`onnx-studio demo, ${ITERATIONS} interleaved runs per model, ${seconds.toFixed(1)} s in all`);
console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}\n`);
console.log('Model            Size ratio  p50 ms   p50 ratio  Accuracy  Δ pts');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(16)} ${x(r.sizeRatio).padStart(10)}  ${(r.latency?.p50Ms ?? NaN).toFixed(3).padStart(6)}  ${r.latency?.p50Ratio === undefined ? '         ' : x(r.latency.p50Ratio).padStart(9)}  ${((r.accuracy ?? NaN) * 100).toFixed(2).padStart(7)}%  ${r.accuracyDelta === undefined ? '' : (r.accuracyDelta * 100).toFixed(2)}`,
  );
}
console.log('\nFigure                           Value      Target   Met');
let missed = 0;
for (const c of checks) {
  const met = c.value <= c.target;
  if (!met) missed++;
  console.log(`${c.figure.padEnd(32)} ${c.show(c.value).padStart(9)}  <= ${c.show(c.target).padStart(9)}  ${met ? 'yes' : 'NO'}`);
}
fs.rmSync(out, { recursive: true, force: true });
process.exitCode = missed > 0 ? 1 : 0;
