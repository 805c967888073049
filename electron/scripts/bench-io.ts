/**
 * Model I/O benchmark: our loadModel + saveModel round trip against Python's `onnx.load` +
 * `SerializeToString()` written to a file, on models built here (run by `npm run bench:io`).
 *
 *   node out/electron/scripts/bench-io.js [--runs N] [--only NAME[,NAME...]] [--dir FOLDER] [--keep]
 *
 * Three measures per side and model:
 * - repeated: one fresh process per side does 1 warm-up round trip, then N timed ones (median);
 * - first: N fresh processes per side each time their first round trip only (median), which is what one
 *   CLI command does. It includes what a first use costs: compiling our decoder, growing the heap, and
 *   touching fresh memory. In the repeated measure Python frees each model at once (reference counting)
 *   and malloc hands the same memory to the next load; our previous model waits for a garbage collection,
 *   so each load reads into fresh pages. The minor page faults per round trip show the difference;
 * - read all: as repeated, with every node's op type, inputs, outputs and attributes and every initializer's
 *   name, dims and data type read between load and save (counted in load): what every command reading the
 *   graph pays. Python's messages build their Python objects on access, so this measure counts that on its
 *   side (and would count decoding on first read, were loadModel ever to decode lazily: branch lazy-graph).
 *
 * Each measure has wall clock and CPU time (user + system of the whole measuring process, every thread, per
 * round trip; Python's includes freeing the model, which it does at once). CPU time is the steadier figure
 * when other work shares the machine.
 *
 * --keep leaves the built models in the work folder (for profiling: `node --cpu-prof bench-io.js --measure
 * MODEL OUT 1` times our side alone).
 *
 * Each side is measured in its own fresh process (so peak-RSS figures are not polluted by building the
 * models): one warm-up round trip, then N timed ones (default 5); the median is reported. Both sides
 * fsync the file they write (saveModel always does, for atomic saves), so they do the same work.
 * Peak RSS delta is the rise of the process's peak resident set over its size after imports.
 * Python is the first of $PYTHON, python3, /usr/bin/python3 that can `import onnx`.
 *
 * A third side, the floor (bench-io-floor.ts), reads the file, walks every record without building a message
 * and writes the bytes back: what a round trip could cost if the engine decoded messages only when read.
 *
 * Internal: `bench-io.js --measure IN OUT RUNS [WARMUPS]` times our side and prints JSON (used by the parent);
 * `--measure-floor` the same for the floor, `--measure-read-all` for our read-all round trip.
 */
// First, as in every engine process: our side is timed under the young-generation policy the CLI runs with.
import '../engine/host/young-generation.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { formatTable } from '../cli/format.js';
import { makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';
import { PeakRssMeter } from '../engine/bench/peak-rss.js';
import { loadModel } from '../engine/onnx/load-model.js';
import { saveModel } from '../engine/onnx/save-model.js';
import { floorRoundTrip } from './bench-io-floor.js';

const FLOAT = TensorProto_DataType.FLOAT;
const DEFAULT_RUNS = 5;

interface Timings {
  /** Seconds per timed run (warm-up excluded). */
  load: number[];
  save: number[];
  total: number[];
  /** Minor page faults (first touches of memory) per timed round trip. */
  faults: number[];
  /**
   * CPU seconds (user + system, every thread of the process) per timed round trip: steadier than wall clock
   * on a busy machine, and it counts the collector's and compiler's helper threads.
   */
  cpu: number[];
  peakRssDeltaBytes: number;
}

// ---------------------------------------------------------------------------------------------------
// Test models, built with our own engine.

/** A cheap deterministic pattern (xorshift32 block, replicated): values in [-0.05, 0.05). */
function patternFloats(count: number, seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(count);
  const block = Math.min(count, 4099); // odd length so tensors do not repeat on power-of-two strides
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < block; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 0.1;
  }
  for (let filled = block; filled < count; filled *= 2) {
    out.copyWithin(filled, 0, Math.min(filled, count - filled));
  }
  return out;
}

function rawTensor(name: string, dims: number[], seed: number): TensorProto {
  const values = patternFloats(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  if (os.endianness() !== 'LE')
    throw new Error('bench-io builds raw_data in host byte order: little-endian only');
  return create(TensorProtoSchema, {
    name,
    dataType: FLOAT,
    dims: dims.map(BigInt),
    rawData: new Uint8Array(values.buffer),
  });
}

function floatDataTensor(name: string, dims: number[], seed: number): TensorProto {
  const values = patternFloats(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  return create(TensorProtoSchema, {
    name,
    dataType: FLOAT,
    dims: dims.map(BigInt),
    floatData: Array.from(values),
  });
}

function model(
  name: string,
  nodes: NodeProto[],
  initializer: TensorProto[],
  input: number[],
  output: number[],
) {
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'onnx-studio bench-io',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, {
      name,
      node: nodes,
      initializer,
      input: [makeValueInfo('x', FLOAT, input)],
      output: [makeValueInfo('y', FLOAT, output)],
    }),
  });
}

/** `layers` x (MatMul by a [width, width] weight, then Relu). */
function mlp(name: string, layers: number, width: number, tensor: typeof rawTensor): ModelProto {
  const nodes: NodeProto[] = [];
  const weights: TensorProto[] = [];
  let h = 'x';
  for (let i = 0; i < layers; i++) {
    weights.push(tensor(`w${i}`, [width, width], i + 1));
    const last = i === layers - 1;
    nodes.push(makeNode('MatMul', [h, `w${i}`], [`mm${i}`], { name: `matmul${i}` }));
    nodes.push(makeNode('Relu', [`mm${i}`], [last ? 'y' : `h${i}`], { name: `relu${i}` }));
    h = `h${i}`;
  }
  return model(name, nodes, weights, [1, width], [1, width]);
}

/** A chain of `count` Add nodes, each adding its own small raw_data initializer of `size` floats. */
function manySmall(name: string, count: number, size: number): ModelProto {
  const nodes: NodeProto[] = [];
  const weights: TensorProto[] = [];
  for (let i = 0; i < count; i++) {
    weights.push(rawTensor(`b${i}`, [size], i + 1));
    nodes.push(
      makeNode('Add', [i === 0 ? 'x' : `s${i - 1}`, `b${i}`], [i === count - 1 ? 'y' : `s${i}`], {
        name: `add${i}`,
      }),
    );
  }
  return model(name, nodes, weights, [size], [size]);
}

interface ModelSpec {
  name: string;
  description: string;
  build: () => ModelProto;
}

const MODELS: ModelSpec[] = [
  {
    name: 'mlp-400MB',
    description: '20 x [2240, 2240] float32 weights in raw_data (401 MB)',
    build: () => mlp('mlp_raw', 20, 2240, rawTensor),
  },
  {
    name: 'many-small',
    description: '20,000 initializers of 256 float32 (raw_data) and 20,000 Add nodes',
    build: () => manySmall('many_small', 20_000, 256),
  },
  {
    name: 'float-data',
    description: '12 x [1024, 1024] float32 weights in float_data (50 MB)',
    build: () => mlp('mlp_float_data', 12, 1024, floatDataTensor),
  },
];

// ---------------------------------------------------------------------------------------------------
// Measuring.

/** loadModel + saveModel, in seconds for each half. */
async function ourRoundTrip(input: string, output: string): Promise<{ load: number; save: number }> {
  const t0 = performance.now();
  const loaded = await loadModel(input);
  const t1 = performance.now();
  await saveModel(loaded.proto, output, { sourceDir: loaded, force: true });
  return { load: (t1 - t0) / 1000, save: (performance.now() - t1) / 1000 };
}

/**
 * Reads what a command reading the graph reads: every node's op type, inputs, outputs and attributes, every
 * initializer's name, dims and data type (the same fields as READ_ALL_PYTHON). Lists decoded only when read
 * (lazy-graph.ts) are decoded here, so the "read all" measure counts that cost.
 */
function readAll(model: ModelProto): number {
  let n = 0;
  const graph = model.graph!;
  for (const node of graph.node)
    n += node.opType.length + node.input.length + node.output.length + node.attribute.length;
  for (const t of graph.initializer) n += t.name.length + t.dims.length + t.dataType;
  return n;
}

/** loadModel, readAll, saveModel; load counts the reading. */
async function ourReadAllRoundTrip(input: string, output: string): Promise<{ load: number; save: number }> {
  const t0 = performance.now();
  const loaded = await loadModel(input);
  if (readAll(loaded.proto) < 0) throw new Error('unreachable');
  const t1 = performance.now();
  await saveModel(loaded.proto, output, { sourceDir: loaded, force: true });
  return { load: (t1 - t0) / 1000, save: (performance.now() - t1) / 1000 };
}

/** Child mode: times `roundTrip` in a fresh process and prints Timings as JSON. */
async function measureOurs(
  roundTrip: typeof ourRoundTrip,
  input: string,
  output: string,
  runs: number,
  warmUps: number,
): Promise<void> {
  // Not getrusage's maxRSS: after a spawn it starts from the parent's peak (the parent built the model).
  const baseline = process.memoryUsage.rss();
  const peak = PeakRssMeter.start();
  const t: Timings = { load: [], save: [], total: [], faults: [], cpu: [], peakRssDeltaBytes: 0 };
  for (let i = 0; i < warmUps + runs; i++) {
    const faults0 = process.resourceUsage().minorPageFault;
    const cpu0 = process.cpuUsage();
    const { load, save } = await roundTrip(input, output);
    const cpu = process.cpuUsage(cpu0);
    if (peak.needsSampling) peak.sample();
    if (i < warmUps) continue;
    t.load.push(load);
    t.save.push(save);
    t.total.push(load + save);
    t.faults.push(process.resourceUsage().minorPageFault - faults0);
    t.cpu.push((cpu.user + cpu.system) / 1e6);
  }
  t.peakRssDeltaBytes = peak.peakBytes() - baseline;
  process.stdout.write(`${JSON.stringify(t)}\n`);
}

const PYTHON_MEASURE = `
import json, os, resource, sys, time
import onnx
src, dst, runs, warm_ups = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
read_all = len(sys.argv) > 5 and sys.argv[5] == "read-all"

def touch(m):
    # The fields ourReadAllRoundTrip reads (readAll in bench-io.ts).
    n = 0
    for nd in m.graph.node:
        n += len(nd.op_type) + len(nd.input) + len(nd.output) + len(nd.attribute)
    for t in m.graph.initializer:
        n += len(t.name) + len(t.dims) + t.data_type
    return n

def status_bytes(field):
    # This process's own figures: ru_maxrss starts from the parent's peak after a spawn.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM
except OSError:
    pass
baseline = status_bytes("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out = {"load": [], "save": [], "total": [], "faults": [], "cpu": []}
for i in range(warm_ups + runs):
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    m = onnx.load(src)
    if read_all:
        touch(m)
    t1 = time.perf_counter()
    with open(dst, "wb") as f:
        f.write(m.SerializeToString())
        f.flush()
        os.fsync(f.fileno())
    t2 = time.perf_counter()
    del m
    cpu = time.process_time() - cpu0
    if i < warm_ups:
        continue
    out["load"].append(t1 - t0)
    out["save"].append(t2 - t1)
    out["total"].append(t2 - t0)
    out["faults"].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0)
    out["cpu"].append(cpu)
out["peakRssDeltaBytes"] = (status_bytes("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) - baseline
print(json.dumps(out))
`;

const PYTHON_VERSIONS = `
import json, sys, onnx, google.protobuf
from google.protobuf.internal import api_implementation
print(json.dumps({"python": sys.version.split()[0], "onnx": onnx.__version__,
                  "protobuf": google.protobuf.__version__, "impl": api_implementation.Type()}))
`;

interface PythonInfo {
  exe: string;
  python: string;
  onnx: string;
  protobuf: string;
  impl: string;
}

function findPython(): PythonInfo | undefined {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => c !== undefined && c !== '',
  );
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', PYTHON_VERSIONS], { encoding: 'utf8' });
    if (r.status === 0) {
      try {
        return { exe, ...(JSON.parse(r.stdout) as Omit<PythonInfo, 'exe'>) };
      } catch {
        // not the JSON we asked for: try the next candidate
      }
    }
  }
  return undefined;
}

function runJson(exe: string, args: string[], what: string): Timings {
  const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  }
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Timings;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Whether two files hold the same bytes (compared in chunks: the files can be large). */
function sameFile(a: string, b: string): boolean {
  if (fs.statSync(a).size !== fs.statSync(b).size) return false;
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  try {
    const ba = Buffer.allocUnsafe(16 << 20);
    const bb = Buffer.allocUnsafe(16 << 20);
    for (;;) {
      const na = fs.readSync(fa, ba, 0, ba.length, null);
      const nb = fs.readSync(fb, bb, 0, bb.length, null);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

/** How to start one side's measuring process: `args(runs, warmUps)`. */
interface Side {
  exe: string;
  args: (runs: number, warmUps: number) => string[];
  what: string;
}

/** `runs` round trips after one warm-up, in one fresh process. */
function repeated(side: Side, runs: number): Timings {
  return runJson(side.exe, side.args(runs, 1), side.what);
}

/** The first round trip of each of `runs` fresh processes. */
function firstRoundTrips(side: Side, runs: number): Timings {
  const all: Timings = { load: [], save: [], total: [], faults: [], cpu: [], peakRssDeltaBytes: 0 };
  for (let i = 0; i < runs; i++) {
    const t = runJson(side.exe, side.args(1, 0), side.what);
    all.load.push(...t.load);
    all.save.push(...t.save);
    all.total.push(...t.total);
    all.faults.push(...t.faults);
    all.cpu.push(...t.cpu);
    all.peakRssDeltaBytes = Math.max(all.peakRssDeltaBytes, t.peakRssDeltaBytes);
  }
  return all;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const sec = (s: number) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);

const USAGE = [
  'Usage: bench-io.js [--runs N] [--only NAME,...] [--dir FOLDER] [--keep]',
  `  --runs N      round trips per measure (default ${DEFAULT_RUNS})`,
  `  --only NAMES  models to measure, comma-separated: ${MODELS.map((m) => m.name).join(', ')}`,
  '  --dir FOLDER  where the generated models go (created; default: a temporary folder)',
  '  --keep        keep the generated models',
].join('\n');

/** Thrown for a command line bench-io cannot read: said with the usage, exit 2, no stack trace. */
class UsageError extends Error {}

function parseArgs(argv: string[]) {
  let runs = DEFAULT_RUNS;
  let only: string[] | undefined;
  let dir: string | undefined;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--runs') runs = Number(value());
    else if (arg === '--only') only = value().split(',');
    else if (arg === '--dir') dir = value();
    else if (arg === '--keep') keep = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`Unknown argument ${arg}.`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--runs must be a positive integer');
  return { runs, only, dir, keep };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--measure' || argv[0] === '--measure-floor' || argv[0] === '--measure-read-all') {
    const [mode, input, output, runs, warmUps] = argv;
    const roundTrip =
      mode === '--measure'
        ? ourRoundTrip
        : mode === '--measure-read-all'
          ? ourReadAllRoundTrip
          : floorRoundTrip;
    await measureOurs(roundTrip, input!, output!, Number(runs), Number(warmUps ?? 1));
    return;
  }
  const { runs, only, dir, keep } = parseArgs(argv);
  const specs = only ? MODELS.filter((m) => only.includes(m.name)) : MODELS;
  if (specs.length === 0)
    throw new UsageError(`No model named ${only?.join(', ')}; have ${MODELS.map((m) => m.name).join(', ')}.`);
  const self = fileURLToPath(import.meta.url);
  const python = findPython();
  const cpus = os.cpus();

  console.log('ONNX model I/O benchmark: loadModel + saveModel vs onnx.load + SerializeToString + write');
  console.log(
    `Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `Node ${process.version}` +
      (python
        ? `; Python ${python.python} (${python.exe}), onnx ${python.onnx}, protobuf ${python.protobuf} (${python.impl} implementation)`
        : '; Python with onnx NOT found (set $PYTHON): measuring our side only'),
  );
  console.log(
    `repeated: median of ${runs} round trips after 1 warm-up in one fresh process per side. first: median ` +
      `of the first round trip of ${runs} fresh processes per side. read all: as repeated, reading every ` +
      `node's op type, inputs, outputs and attributes and every initializer's name, dims and data type ` +
      `between load and save (counted in load). Both sides fsync their output.\n`,
  );

  if (dir) fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dir ?? os.tmpdir(), 'onnx-bench-io-'));
  const rows: string[][] = [
    [
      'model',
      'measure',
      'file',
      'ours load',
      'ours save',
      'ours total',
      'python load',
      'python save',
      'python total',
      'ratio py/ours',
      'ours CPU',
      'python CPU',
      'CPU ratio',
      'ours faults',
      'python faults',
      'ours peak RSS +',
      'python peak RSS +',
    ],
  ];
  const floorRows: string[][] = [];
  const checks: string[] = [];
  try {
    for (const spec of specs) {
      const source = path.join(work, `${spec.name}.onnx`);
      const oursOut = path.join(work, `${spec.name}.ours.onnx`);
      const pyOut = path.join(work, `${spec.name}.python.onnx`);
      const floorOut = path.join(work, `${spec.name}.floor.onnx`);
      process.stdout.write(`${spec.name}: ${spec.description}: building... `);
      let t0 = performance.now();
      await saveModel(spec.build(), source);
      const size = fs.statSync(source).size;
      process.stdout.write(`${mb(size)} in ${sec((performance.now() - t0) / 1000)}; ours... `);

      const ourSide: Side = {
        exe: process.execPath,
        args: (n, warmUps) => [self, '--measure', source, oursOut, String(n), String(warmUps)],
        what: 'our round trip',
      };
      const floorSide: Side = {
        exe: process.execPath,
        args: (n, warmUps) => [self, '--measure-floor', source, floorOut, String(n), String(warmUps)],
        what: 'the floor round trip',
      };
      const pySide: Side | undefined = python && {
        exe: python.exe,
        args: (n, warmUps) => ['-c', PYTHON_MEASURE, source, pyOut, String(n), String(warmUps)],
        what: 'the Python round trip',
      };
      // "read all": load, read every node's and initializer's main fields, save (repeated protocol).
      const ourReadAll: Side = {
        exe: process.execPath,
        args: (n, warmUps) => [self, '--measure-read-all', source, oursOut, String(n), String(warmUps)],
        what: 'our read-all round trip',
      };
      const pyReadAll: Side | undefined = python && {
        exe: python.exe,
        args: (n, warmUps) => ['-c', PYTHON_MEASURE, source, pyOut, String(n), String(warmUps), 'read-all'],
        what: 'the Python read-all round trip',
      };
      t0 = performance.now();
      const ours = {
        repeated: repeated(ourSide, runs),
        first: firstRoundTrips(ourSide, runs),
        'read all': repeated(ourReadAll, runs),
      };
      process.stdout.write(`${sec((performance.now() - t0) / 1000)}; `);
      const floor = { repeated: repeated(floorSide, runs), first: firstRoundTrips(floorSide, runs) };
      let py: typeof ours | undefined;
      if (pySide) {
        process.stdout.write('python... ');
        t0 = performance.now();
        py = {
          repeated: repeated(pySide, runs),
          first: firstRoundTrips(pySide, runs),
          'read all': repeated(pyReadAll!, runs),
        };
        process.stdout.write(`${sec((performance.now() - t0) / 1000)}`);
      }
      process.stdout.write('\n');

      for (const measure of ['repeated', 'first', 'read all'] as const) {
        const o = ours[measure];
        const p = py?.[measure];
        rows.push([
          spec.name,
          measure,
          mb(size),
          sec(median(o.load)),
          sec(median(o.save)),
          sec(median(o.total)),
          p ? sec(median(p.load)) : 'n/a',
          p ? sec(median(p.save)) : 'n/a',
          p ? sec(median(p.total)) : 'n/a',
          p ? `${(median(p.total) / median(o.total)).toFixed(2)}x` : 'n/a',
          sec(median(o.cpu)),
          p ? sec(median(p.cpu)) : 'n/a',
          p ? `${(median(p.cpu) / median(o.cpu)).toFixed(2)}x` : 'n/a',
          median(o.faults).toFixed(0),
          p ? median(p.faults).toFixed(0) : 'n/a',
          mb(o.peakRssDeltaBytes),
          p ? mb(p.peakRssDeltaBytes) : 'n/a',
        ]);
        if (measure === 'read all') continue; // the floor reads nothing
        const f = median(floor[measure].total);
        floorRows.push([
          spec.name,
          measure,
          sec(f),
          sec(median(o.total)),
          p ? sec(median(p.total)) : 'n/a',
          p ? `${(median(p.total) / f).toFixed(2)}x` : 'n/a',
        ]);
      }
      const vsPython = py ? (sameFile(oursOut, pyOut) ? 'byte-identical to' : 'DIFFERS from') : undefined;
      const vsSource = sameFile(oursOut, source) ? 'byte-identical to' : 'DIFFERS from';
      checks.push(
        `${spec.name}: our output is ${vsSource} the source file` +
          (vsPython ? ` and ${vsPython} Python's output` : ' (no Python output to compare)'),
      );
      for (const f of keep ? [] : [source, oursOut, pyOut, floorOut]) fs.rmSync(f, { force: true });
    }
  } finally {
    if (keep) console.log(`\nModels kept in ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`\n${formatTable(rows[0]!, rows.slice(1), { measurements: true })}\n`);
  console.log(
    'ratio > 1: we are faster. CPU: user + system seconds of the measuring process (all its threads) per ' +
      'round trip; steadier than wall clock when the machine is busy. faults: minor page faults per round ' +
      'trip (first touches of memory). ' +
      'Peak RSS +: rise of the process peak over its size after imports.\n',
  );
  console.log(
    `${formatTable(['model', 'measure', 'floor total', 'ours total', 'python total', 'ratio py/floor'], floorRows, { measurements: true })}\n`,
  );
  console.log(
    'floor: the file read, every node and initializer record walked without building a message, the same ' +
      'bytes written back (bench-io-floor.ts): what loading lazily could cost at best.\n',
  );
  for (const c of checks) console.log(c);
  if (checks.some((c) => c.includes('DIFFERS'))) process.exitCode = 1;
}

await main().catch((error: unknown) => {
  if (!(error instanceof UsageError)) throw error;
  console.error(`bench-io: ${error.message}\n${USAGE}`);
  process.exitCode = 2;
});
