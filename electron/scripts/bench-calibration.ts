/**
 * `npm run bench:calibration`: peak memory of int8-static calibration on a segmentation-sized case, with and
 * without a memory budget. The model is made here (never committed): a fully convolutional net on
 * `image [1, 3, H, W]` (open H and W) with eight 32-channel 3x3 convolutions and a 2-class head, fed 1024x1024
 * synthetic images: each calibrated activation is 128 MiB per sample, about 1.2 GiB in all. Each run is a
 * whole `onnx-studio quantize` process (percentile, then minmax calibration over 3 samples); its peak RSS comes from the
 * kernel's high-water mark, printed by a preload at exit. The graphs the budgeted runs write must be
 * byte-identical to the single pass's (the same ranges; only the recorded recipe differs).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphProtoSchema, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { PEAK_PRELOAD, childPeakBytes } from '../engine/bench/child-peak.js';
import { makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';
import { encodeTensor } from '../engine/onnx/tensor-codec.js';
import { makeModel, modelBytes, randomFloats } from '../engine/testing/model-fixtures.js';

const SIZE = Number(process.env.SIZE ?? 1024);
const LAYERS = 8;
const WIDTH = 32;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-calib-'));
const FLOAT = TensorProto_DataType.FLOAT;

function segmentationNet(): Uint8Array {
  const initializer = [];
  const node = [];
  let x = 'image';
  let cin = 3;
  for (let i = 0; i < LAYERS; i++) {
    const w = `conv${i}.weight`;
    const b = `conv${i}.bias`;
    initializer.push(encodeTensor(w, FLOAT, [WIDTH, cin, 3, 3], randomFloats(WIDTH * cin * 9, 10 + i, Math.sqrt(2 / (cin * 9)))));
    initializer.push(encodeTensor(b, FLOAT, [WIDTH], randomFloats(WIDTH, 50 + i, 0.05)));
    node.push(makeNode('Conv', [x, w, b], [`conv${i}.out`], { name: `conv${i}`, attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } }));
    node.push(makeNode('Relu', [`conv${i}.out`], [`relu${i}.out`], { name: `relu${i}` }));
    x = `relu${i}.out`;
    cin = WIDTH;
  }
  initializer.push(encodeTensor('head.weight', FLOAT, [2, WIDTH, 1, 1], randomFloats(2 * WIDTH, 99, 0.2)));
  node.push(makeNode('Conv', [x, 'head.weight'], ['mask'], { name: 'head', attributes: { kernel_shape: { ints: [1, 1] } } }));
  const graph = create(GraphProtoSchema, {
    name: 'segmentation',
    input: [makeValueInfo('image', FLOAT, [1, 3, 'height', 'width'])],
    output: [makeValueInfo('mask', FLOAT, [1, 2, 'height', 'width'])],
    initializer,
    node,
  });
  return modelBytes(makeModel(graph));
}

const model = path.join(dir, 'segmentation.onnx');
fs.writeFileSync(model, segmentationNet());

interface Run {
  label: string;
  method: string;
  seconds: number;
  peakBytes: number;
  notes: string[];
  output: Buffer;
}

function quantize(method: string, label: string, extra: string[]): Run {
  const out = path.join(dir, `${method}-${label.replace(/\W+/g, '-')}.onnx`);
  const args = ['--import', PEAK_PRELOAD, path.join(root, 'bin', 'onnx-studio.js'), 'quantize', model, '-o', out, '--method', 'int8-static',
    '--calib-data', 'synthetic', '--calib-method', method, '--calib-samples', '3', '--shape', `image=1x3x${SIZE}x${SIZE}`, '--json', '--force', ...extra];
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr}`);
  const peakBytes = childPeakBytes(r.stderr);
  const notes = (JSON.parse(r.stdout) as { notes?: string[] }).notes ?? [];
  // The graph alone: the recipe in the metadata records the --max-memory given.
  const graph = fromBinary(ModelProtoSchema, fs.readFileSync(out)).graph!;
  return { label, method, seconds, peakBytes, notes, output: Buffer.from(toBinary(GraphProtoSchema, graph)) };
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
console.log(`int8-static, calibration over 3 synthetic ${SIZE}x${SIZE} images; ${LAYERS} convs of ${WIDTH} channels`);
console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${gib(os.totalmem())} RAM, Node ${process.version}\n`);
// percentile exposes whole activations (several passes under a budget); minmax reduces each in the graph.
const runs = [
  quantize('percentile', '--max-memory 64G (no limit)', ['--max-memory', '64G']),
  quantize('percentile', `default (${gib(Math.min(os.totalmem() / 4, 4 * 1024 ** 3))})`, []),
  quantize('percentile', '--max-memory 2G', ['--max-memory', '2G']),
  quantize('percentile', '--max-memory 1G', ['--max-memory', '1G']),
  quantize('minmax', '--max-memory 64G (no limit)', ['--max-memory', '64G']),
  quantize('minmax', '--max-memory 1G', ['--max-memory', '1G']),
];
console.log('Method      Run                          Peak RSS    Time     Passes  Same output');
for (const run of runs) {
  const passes = /in (\d+) passes/.exec(run.notes.join(' '))?.[1] ?? '1';
  const first = runs.find((r) => r.method === run.method)!;
  const same = run.output.equals(first.output) ? 'yes' : 'NO';
  console.log(`${run.method.padEnd(10)}  ${run.label.padEnd(28)} ${gib(run.peakBytes).padStart(9)}  ${run.seconds.toFixed(1).padStart(5)} s  ${passes.padStart(6)}  ${same}`);
}
fs.rmSync(dir, { recursive: true, force: true });
