/*
 * What recording a recipe costs: `npm run bench:recipe [-- --layers N --width N --runs N]`.
 *
 * Every transform hashes its source model (sha256 of the .onnx file and its external data) to record it in
 * the variant's recipe. This measures, on a deep MLP of seeded random float32 weights (default 100 layers of
 * 1024x1024, 420 MB):
 * 1. sha256 of the file on the main thread and on a worker thread (MB/s);
 * 2. `quantizeModel` int8-weight end to end (the hash runs on a worker thread while the method works), and the
 *    same transform's time without the source hash (an input that already carries a recipe skips it);
 * medians of `--runs` (default 3). Figures go to stdout as markdown; progress to stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { quantizeModel } from '../engine/quantize/quantize-model.js';
import { sha256File, sha256FilesOffThread } from '../engine/recipe/file-hash.js';
import { buildDeepMlp, modelBytes } from '../engine/testing/model-fixtures.js';

const { values } = parseArgs({
  options: { layers: { type: 'string' }, width: { type: 'string' }, runs: { type: 'string' } },
});
const layers = Number(values.layers ?? 100);
const width = Number(values.width ?? 1024);
const runs = Number(values.runs ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-recipe-'));
try {
  const model = path.join(dir, 'mlp.onnx');
  process.stderr.write(`building a ${layers}x${width}x${width} MLP...\n`);
  fs.writeFileSync(model, modelBytes(buildDeepMlp({ layers, width })));
  const mb = fs.statSync(model).size / 1e6;
  const main: number[] = [];
  const worker: number[] = [];
  const quantize: number[] = [];
  const quantizeRecorded: number[] = [];
  // An input that already records a recipe: its transform reuses the recorded source, so it hashes nothing.
  const recorded = path.join(dir, 'recorded.onnx');
  await quantizeModel({ input: model, output: recorded, method: 'int8-weight', common: { opTypes: ['Gather'] } });
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`run ${i + 1}/${runs}\n`);
    main.push(await timed(() => sha256File(model)));
    worker.push(await timed(() => sha256FilesOffThread([model])));
    quantize.push(await timed(() => quantizeModel({ input: model, output: path.join(dir, 'q.onnx'), method: 'int8-weight', force: true })));
    quantizeRecorded.push(await timed(() => quantizeModel({ input: recorded, output: path.join(dir, 'q2.onnx'), method: 'int8-weight', force: true })));
  }
  const rate = (s: number) => `${(mb / s).toFixed(0)} MB/s`;
  console.log(`Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; model ${mb.toFixed(0)} MB; medians of ${runs}\n`);
  console.log('| what | seconds | rate |');
  console.log('| --- | --- | --- |');
  console.log(`| sha256, main thread | ${median(main).toFixed(3)} | ${rate(median(main))} |`);
  console.log(`| sha256, worker thread | ${median(worker).toFixed(3)} | ${rate(median(worker))} |`);
  console.log(`| quantize int8-weight, source hashed (worker) | ${median(quantize).toFixed(2)} | |`);
  console.log(`| quantize int8-weight, input with a recipe (no hash) | ${median(quantizeRecorded).toFixed(2)} | |`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
