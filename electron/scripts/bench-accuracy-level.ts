/**
 * `npm run bench:accuracy-level`: what onnxruntime's MatMulNBits accuracy level does to an int8-weight variant.
 * onnxruntime 1.30 fuses an 8-bit DequantizeLinear and its MatMul into MatMulNBits, which at its default level
 * (4) quantizes the activations to int8 as it multiplies; level 0, or no graph optimization, computes in float.
 * The figures are SQNR of each against the float model, on the same inputs (docs/quantize-weight-only.md):
 *
 *   node out/electron/scripts/bench-accuracy-level.js
 *
 * The model is buildMlp 64-128-10 (two MatMuls and a bias Add, seeded weights), made int8-weight by the CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { buildMlp, modelBytes } from '../engine/testing/model-fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-accuracy-level-'));
const original = path.join(dir, 'mlp.onnx');
const variant = path.join(dir, 'mlp.int8-weight.onnx');
fs.writeFileSync(original, modelBytes(buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 })));
const made = spawnSync(
  process.execPath,
  [path.join(root, 'bin', 'onnx-studio.js'), 'quantize', original, '-o', variant, '--method', 'int8-weight'],
  { encoding: 'utf8' },
);
if (made.status !== 0) throw new Error(`quantize failed: ${made.stderr}`);

// 20 samples of fixed, spread-out inputs: the same feed for every session.
const input = Float32Array.from({ length: 20 * 64 }, (_, i) => Math.sin(i * 1.7) * 2);
async function outputs(
  file: string,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, options);
  const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [20, 64]) });
  await session.release();
  return result[session.outputNames[0]!]!.data as Float32Array;
}
const reference = await outputs(original);
function sqnrDb(values: Float32Array): string {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < values.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - values[i]!) ** 2;
  }
  return (10 * Math.log10(signal / noise)).toFixed(2);
}
const rows: [string, ort.InferenceSession.SessionOptions][] = [
  ['default (accuracy level 4)', {}],
  [
    'session.qdq_matmulnbits_accuracy_level = 0',
    { extra: { session: { qdq_matmulnbits_accuracy_level: '0' } } },
  ],
  ['graph optimizations off (DequantizeLinear + MatMul in float)', { graphOptimizationLevel: 'disabled' }],
];
console.log(
  `int8-weight MLP 64-128-10, onnxruntime-node ${ort.env.versions.node ?? ''}: SQNR against the float model`,
);
for (const [label, options] of rows) console.log(`  ${label}: ${sqnrDb(await outputs(variant, options))} dB`);
fs.rmSync(dir, { recursive: true, force: true });
