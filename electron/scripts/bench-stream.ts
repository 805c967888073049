/**
 * Streaming-transform benchmark (`npm run bench:stream`): peak memory and time of int8-dynamic, fp16,
 * int8-weight, int4 and magnitude pruning on a large MLP whose weights are in external data.
 *
 *   node out/electron/scripts/bench-stream.js [--size 4G|1G|512M] [--only METHOD[,METHOD...]] [--baseline]
 *                                             [--no-forward] [--dir FOLDER] [--keep]
 *
 * The model (generated here, tensor by tensor, never whole in memory; deleted afterwards unless --keep):
 * `layers` x (MatMul by a [4096, 4096] float32 weight, Add a [4096] bias, Relu), 64 MiB per weight, with every
 * weight in `model.onnx.data`. 4G is 64 layers. Each transform runs as a whole `onnx-studio` process
 * (bin/onnx-studio.js, built by `npm run build`) under /usr/bin/time, which reports its peak resident set.
 * Each output is then loaded in onnxruntime-node (in its own process) and run on one seeded input row; the
 * cosine similarity of its output with the original model's is printed.
 *
 * Over 2 GiB it also runs `convert` without --external-data, which must keep the weights external (and say so).
 * --baseline also runs each method the way every transform worked before streaming (all external data read
 * into memory first: the engine's `stream: false`), in a child process measured the same way, just before the
 * streamed run of the same method (interleaved, so that both see the same machine load).
 *
 * Internal modes (used by the parent): `--inline METHOD IN OUT` runs a transform with stream: false;
 * `--forward MODEL OUT.bin WIDTH` runs a model once and writes its output as float32.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type TensorProto,
} from 'onnx-buf';
import { makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';

const WIDTH = 4096;
const LAYER_BYTES = WIDTH * WIDTH * 4;
const FLOAT = TensorProto_DataType.FLOAT;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const cli = path.join(root, 'bin', 'onnx-studio.js');

interface Method {
  name: string;
  args: (input: string, output: string) => string[];
}

const METHODS: Method[] = [
  { name: 'int8-dynamic', args: (i, o) => ['quantize', i, '-o', o, '--method', 'int8-dynamic'] },
  { name: 'fp16', args: (i, o) => ['quantize', i, '-o', o, '--method', 'fp16'] },
  { name: 'int8-weight', args: (i, o) => ['quantize', i, '-o', o, '--method', 'int8-weight'] },
  { name: 'int4', args: (i, o) => ['quantize', i, '-o', o, '--method', 'int4'] },
  {
    name: 'magnitude',
    args: (i, o) => ['prune', i, '-o', o, '--method', 'magnitude', '--sparsity', '0.5'],
  },
];

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([GM])i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`--size ${text}: expected e.g. 4G, 1G or 512M`);
  return Number(m[1]) * (m[2]!.toUpperCase() === 'G' ? 2 ** 30 : 2 ** 20);
}

/** xorshift32 values with He scaling, so activations keep their size through the ReLU layers. */
function fillWeights(out: Float32Array, seed: number, scale: number): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
}

function externalTensor(name: string, dims: number[], offset: number, length: number): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType: FLOAT,
    dims: dims.map(BigInt),
    dataLocation: TensorProto_DataLocation.EXTERNAL,
    externalData: Object.entries({
      location: 'model.onnx.data',
      offset: String(offset),
      length: String(length),
    }).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  });
}

/** Writes model.onnx + model.onnx.data into `dir`, one weight at a time. */
function generateModel(dir: string, layers: number): string {
  const dataPath = path.join(dir, 'model.onnx.data');
  const fd = fs.openSync(dataPath, 'w');
  const weights = new Float32Array(WIDTH * WIDTH);
  const bias = new Float32Array(WIDTH);
  const initializers: TensorProto[] = [];
  const nodes = [];
  let offset = 0;
  let h = 'input';
  const write = (values: Float32Array): void => {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    for (let done = 0; done < bytes.byteLength;)
      done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
  };
  try {
    for (let i = 0; i < layers; i++) {
      fillWeights(weights, 2 * i + 1, Math.sqrt(6 / WIDTH));
      write(weights);
      initializers.push(externalTensor(`layer${i}.weight`, [WIDTH, WIDTH], offset, LAYER_BYTES));
      offset += LAYER_BYTES;
      fillWeights(bias, 2 * i + 2, 0.01);
      write(bias);
      initializers.push(externalTensor(`layer${i}.bias`, [WIDTH], offset, WIDTH * 4));
      offset += WIDTH * 4;
      const out = i === layers - 1 ? 'output' : `layer${i}.out`;
      nodes.push(makeNode('MatMul', [h, `layer${i}.weight`], [`layer${i}.mm`], { name: `layer${i}_matmul` }));
      nodes.push(
        makeNode('Add', [`layer${i}.mm`, `layer${i}.bias`], [`layer${i}.add`], { name: `layer${i}_add` }),
      );
      nodes.push(makeNode('Relu', [`layer${i}.add`], [out], { name: `layer${i}_relu` }));
      h = out;
    }
  } finally {
    fs.closeSync(fd);
  }
  const graph = create(GraphProtoSchema, {
    name: 'streamed-mlp',
    input: [makeValueInfo('input', FLOAT, ['batch', WIDTH])],
    output: [makeValueInfo('output', FLOAT, ['batch', WIDTH])],
    initializer: initializers,
    node: nodes,
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'bench-stream',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, toBinary(ModelProtoSchema, model));
  return file;
}

interface Measured {
  seconds: number;
  peakRssBytes: number;
  ok: boolean;
  stderr: string;
}

/** Runs `node ARGS` under /usr/bin/time; its peak RSS (kB) and wall time come back in a file. */
function measured(args: string[]): Measured {
  const report = path.join(os.tmpdir(), `bench-stream-time-${process.pid}.txt`);
  const r = spawnSync('/usr/bin/time', ['-o', report, '-f', '%M %e', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const [kb, seconds] = fs.readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(report, { force: true });
  return { seconds: seconds!, peakRssBytes: kb! * 1024, ok: r.status === 0, stderr: r.stderr };
}

function dirBytes(file: string): number {
  const data = `${file}.data`;
  return fs.statSync(file).size + (fs.existsSync(data) ? fs.statSync(data).size : 0);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function forward(
  model: string,
  out: string,
): { ok: boolean; seconds: number; values?: Float32Array; error?: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--forward', model, out], {
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) return { ok: false, seconds, error: r.stderr.trim().split('\n').slice(-3).join(' ') };
  const bytes = fs.readFileSync(out);
  fs.rmSync(out);
  return {
    ok: true,
    seconds,
    values: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
  };
}

const gb = (bytes: number): string => (bytes / 1e9).toFixed(2);

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--inline') return runInline(argv[1]!, argv[2]!, argv[3]!);
  if (argv[0] === '--forward') return runForward(argv[1]!, argv[2]!);
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size = parseSize(value('--size') ?? '4G');
  const layers = Math.max(1, Math.round(size / LAYER_BYTES));
  const only = value('--only')?.split(',');
  const methods = METHODS.filter((m) => !only || only.includes(m.name));
  const keep = argv.includes('--keep');
  const checkForward = !argv.includes('--no-forward');
  if (!fs.existsSync(path.join(root, 'out', 'electron', 'cli', 'bin.js'))) {
    throw new Error('Build first: npm run build');
  }
  const work = fs.mkdtempSync(path.join(value('--dir') ?? os.tmpdir(), 'bench-stream-'));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Streaming transforms: ${layers} x MatMul [${WIDTH}, ${WIDTH}] + Add + Relu in external data`);
  console.log(
    `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  try {
    const inputDir = path.join(work, 'input');
    fs.mkdirSync(inputDir);
    let started = performance.now();
    const input = generateModel(inputDir, layers);
    console.log(
      `model: ${gb(dirBytes(input))} GB written in ${((performance.now() - started) / 1000).toFixed(1)} s (${inputDir})`,
    );
    let reference: Float32Array | undefined;
    if (checkForward) {
      started = performance.now();
      const f = forward(input, path.join(work, 'reference.bin'));
      if (!f.ok) throw new Error(`The original model does not run: ${f.error}`);
      reference = f.values;
      console.log(`original: forward pass in onnxruntime-node in ${f.seconds.toFixed(1)} s`);
    }
    const rows: string[][] = [];
    const run = (label: string, args: (output: string) => string[]): void => {
      const dir = path.join(work, label.replace(/\W+/g, '-'));
      fs.mkdirSync(dir);
      const output = path.join(dir, 'out.onnx');
      const m = measured(args(output));
      if (!m.ok) {
        rows.push([label, '-', '-', '-', 'FAILED', m.stderr.trim().split('\n').slice(-2).join(' ')]);
        fs.rmSync(dir, { recursive: true, force: true });
        return;
      }
      const notes = m.stderr
        .split('\n')
        .filter((l) => l.includes('2 GiB'))
        .map(() => 'stderr: 2 GiB note');
      let check = 'not run';
      if (reference) {
        const f = forward(output, path.join(dir, 'forward.bin'));
        check = f.ok
          ? `cosine ${cosine(reference, f.values!).toFixed(5)} (${f.seconds.toFixed(1)} s)`
          : `FAILED: ${f.error}`;
      }
      rows.push([
        label,
        m.seconds.toFixed(1),
        gb(m.peakRssBytes),
        gb(dirBytes(output)),
        check,
        notes[0] ?? '',
      ]);
      console.log(`  ${rows.at(-1)!.join(' | ')}`);
      fs.rmSync(dir, { recursive: true, force: true });
    };
    const baseline = argv.includes('--baseline');
    for (const method of methods) {
      if (baseline) {
        const self = fileURLToPath(import.meta.url);
        run(`${method.name} (in memory)`, (o) => [self, '--inline', method.name, input, o]);
      }
      run(method.name, (o) => [cli, ...method.args(input, o)]);
    }
    if (dirBytes(input) > 2 ** 31 && !only) {
      // Over 2 GiB, convert without --external-data keeps the weights external (and says so) instead of failing.
      run('convert (no --external-data)', (o) => [cli, 'convert', input, '-o', o]);
    }
    const header = ['transform', 'seconds', 'peak RSS GB', 'output GB', 'onnxruntime check', 'note'];
    console.log('');
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    if (keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

async function runInline(method: string, input: string, output: string): Promise<void> {
  if (method === 'magnitude') {
    const { pruneModel } = await import('../engine/prune/prune-model.js');
    await pruneModel({ input, output, method, common: { sparsity: 0.5 }, stream: false });
    return;
  }
  const { quantizeModel } = await import('../engine/quantize/quantize-model.js');
  await quantizeModel({ input, output, method, stream: false });
}

async function runForward(model: string, out: string): Promise<void> {
  const ort = await import('onnxruntime-node');
  await import('../engine/runtime/ort-telemetry.js'); // as in every engine session
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  const input = new Float32Array(WIDTH);
  fillWeights(input, 12345, 1);
  const result = await session.run({ input: new ort.Tensor('float32', input, [1, WIDTH]) });
  const values = Float32Array.from(Object.values(result)[0]!.data as ArrayLike<number>);
  fs.writeFileSync(out, new Uint8Array(values.buffer));
  await session.release();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
