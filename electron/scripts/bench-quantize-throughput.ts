/**
 * Quantization throughput of the weight-only kernels against numpy doing the same math, in one run:
 *
 *   node out/electron/scripts/bench-quantize-throughput.js [--size N] [--runs N] [--json]
 *   (or: npx tsx electron/scripts/bench-quantize-throughput.ts ...)
 *
 * Weight: float32 [N, N] (default 4096 x 4096, 64 MiB), deterministic pseudo-random values. Cases:
 * - int8 per-channel, symmetric, channels on the last axis (a MatMul B [K, N]: axis 1)
 * - int8 per-channel, symmetric, channels on the first axis (Conv / Gemm transB = 1: axis 0)
 * - int8 per-channel, asymmetric, axis 1
 * - int4 block-wise (MatMulNBits layout), block 32, symmetric and asymmetric, B [K, N]
 * Ours: weight-only/int8-kernel.ts and int4-kernel.ts. numpy: the same formulas written the way a numpy
 * user would (vectorized reductions, float32 arithmetic, rint / floor(x + 0.5), clip, astype, packing
 * with strided slices), in `python3 -c` (Debian python3-numpy), timed inside Python around the
 * quantization only. Each side: one warm-up, then --runs timed runs (default 5); the median is
 * reported as MB/s of float32 weights (10^6 bytes). The outputs are compared: both sides must produce
 * the same int8 / packed bytes (up to values exactly on a rounding tie, where float32 numpy and our
 * float64 arithmetic may differ), and the same scales.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { quantizeBlockwise4Bit } from '../engine/quantize/weight-only/int4-kernel.js';
import { quantizeInt8 } from '../engine/quantize/weight-only/int8-kernel.js';
import { simdAvailable } from '../engine/quantize/weight-only/simd-kernels.js';

interface Args {
  size: number;
  runs: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { size: 4096, runs: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--size') args.size = value();
    else if (a === '--runs') args.runs = value();
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** xorshift32 values in [-0.1, 0.1), with a few larger ones so channel ranges differ. */
function weights(count: number): Float32Array {
  const out = new Float32Array(count);
  let x = 2463534242;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = (x >>> 0) / 4294967296;
    out[i] = (u * 2 - 1) * (i % 97 === 0 ? 0.5 : 0.1);
  }
  return out;
}

interface Timing {
  wall: number;
  cpu: number;
}

interface Case {
  name: string;
  /** Our kernel backend ('auto': WebAssembly SIMD when available; 'js': the scalar fallback loops). */
  backend?: 'auto' | 'js';
  kind: 'int8' | 'int4';
  axis?: number;
  symmetric: boolean;
  blockSize?: number;
}

const CASES: Case[] = [
  { name: 'int8 per-channel sym, axis 1 (MatMul [K, N])', kind: 'int8', axis: 1, symmetric: true },
  { name: 'int8 per-channel sym, axis 0 (Conv / Gemm^T)', kind: 'int8', axis: 0, symmetric: true },
  { name: 'int8 per-channel asym, axis 1', kind: 'int8', axis: 1, symmetric: false },
  { name: 'int4 block 32 sym (MatMulNBits)', kind: 'int4', symmetric: true, blockSize: 32 },
  { name: 'int4 block 32 asym (MatMulNBits)', kind: 'int4', symmetric: false, blockSize: 32 },
  {
    name: 'JS fallback: int8 per-channel sym, axis 1',
    kind: 'int8',
    axis: 1,
    symmetric: true,
    backend: 'js',
  },
  { name: 'JS fallback: int4 block 32 sym', kind: 'int4', symmetric: true, blockSize: 32, backend: 'js' },
];

/** The numpy side: reads the weight, runs each case `runs` times after a warm-up, writes outputs. */
const PYTHON = String.raw`
import json, sys, time
import numpy as np
path, n, runs, out_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cases = json.loads(sys.argv[5])
w = np.fromfile(path, dtype=np.float32).reshape(n, n)

def q8(w, axis, symmetric):
    # per channel along 'axis' of a 2-D weight: reduce over the other axis
    red = 1 - axis
    lo = np.minimum(w.min(axis=red), 0)
    hi = np.maximum(w.max(axis=red), 0)
    if symmetric:
        amax = np.maximum(-lo, hi)
        scale = (amax / np.float32(127)).astype(np.float32)
        zp = np.zeros_like(scale, dtype=np.int8)
        qmin, qmax = -127, 127
    else:
        # the per-channel parameters in float64, rounded to float32 once (as ours)
        scale = ((hi.astype(np.float64) - lo) / 255).astype(np.float32)
        qmin, qmax = -128, 127
    scale[scale == 0] = 1
    if not symmetric:
        zp = np.clip(np.floor(qmin - lo.astype(np.float64) / scale + 0.5), qmin, qmax).astype(np.int8)
    shape = (1, -1) if axis == 1 else (-1, 1)
    q = np.rint(w / scale.reshape(shape))
    if not symmetric:
        q += zp.reshape(shape)
    np.clip(q, qmin, qmax, out=q)
    return q.astype(np.int8), scale, zp

def q4(w, bs, symmetric):
    # MatMulNBits: B [K, N] in blocks of bs along K -> packed [N, k_blocks, bs/2], scales [N * k_blocks]
    K, N = w.shape
    kb = -(-K // bs)
    if kb * bs != K:
        w = np.pad(w, ((0, kb * bs - K), (0, 0)))
    b = w.reshape(kb, bs, N)
    lo = b.min(axis=1)
    hi = b.max(axis=1)
    if symmetric:
        vmax = np.where(np.abs(hi) > np.abs(lo), hi, lo)
        scale = (vmax / np.float32(-8)).astype(np.float32)
        zp = np.full(scale.shape, 8, dtype=np.float32)
    else:
        lo = np.minimum(lo, 0)
        hi = np.maximum(hi, 0)
        # the per-block parameters in float64, rounded to float32 once (as ours)
        scale = ((hi.astype(np.float64) - lo) / 15).astype(np.float32)
        with np.errstate(divide='ignore', invalid='ignore'):
            zp = np.where(scale != 0, np.clip(np.floor(-lo.astype(np.float64) / scale + 0.5), 0, 15), 0).astype(np.float32)
    with np.errstate(divide='ignore'):
        inv = np.where(scale != 0, np.float32(1) / scale, 0).astype(np.float32)
    q = np.floor(b * inv[:, None, :] + (zp + np.float32(0.5))[:, None, :])
    np.clip(q, 0, 15, out=q)
    q = q.astype(np.uint8)
    packed = q[:, 0::2, :] | (q[:, 1::2, :] << 4)            # [kb, bs/2, N]
    packed = np.ascontiguousarray(packed.transpose(2, 0, 1))  # [N, kb, bs/2]
    scales = np.ascontiguousarray(scale.T).reshape(-1)       # [N * kb]
    zps = None
    if not symmetric:
        z = zp.T.astype(np.uint8)                              # [N, kb]
        if kb % 2:
            z = np.pad(z, ((0, 0), (0, 1)))
        zps = np.ascontiguousarray(z[:, 0::2] | (z[:, 1::2] << 4)).reshape(-1)
    return packed, scales, zps

def run(c):
    if c['kind'] == 'int8':
        return q8(w, c['axis'], c['symmetric'])
    return q4(w, c['blockSize'], c['symmetric'])

# Protocol: one case index per line on stdin -> one line with the seconds that run took; 'write'
# saves every case's outputs for the comparison; 'quit' ends.
print(json.dumps({'numpy': np.__version__}), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'quit':
        break
    if cmd == 'write':
        for i, c in enumerate(cases):
            for j, a in enumerate(run(c)):
                if a is not None:
                    np.ascontiguousarray(a).tofile(f'{out_dir}/{i}_{j}.bin')
        print('ok', flush=True)
        continue
    c = cases[int(cmd)]
    t0, c0 = time.perf_counter(), time.process_time()
    run(c)
    print(json.dumps([time.perf_counter() - t0, time.process_time() - c0]), flush=True)
`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Our side of one case: the output arrays (quantized, scales, zero points when there are any). */
function runOurs(c: Case, w: Float32Array, n: number): Uint8Array[] {
  if (c.kind === 'int8') {
    const r = quantizeInt8(w, [n, n], {
      axis: c.axis,
      symmetric: c.symmetric,
      reduceRange: false,
      backend: c.backend ?? 'auto',
    });
    return [bytesOf(r.data), bytesOf(r.scales), ...(c.symmetric ? [] : [bytesOf(r.zeroPoints)])];
  }
  const r = quantizeBlockwise4Bit(w, {
    K: n,
    N: n,
    layout: 'KN',
    blockSize: c.blockSize!,
    symmetric: c.symmetric,
    backend: c.backend ?? 'auto',
  });
  return [r.packed, bytesOf(r.scales), ...(r.zeroPoints ? [r.zeroPoints] : [])];
}

/** A line-oriented conversation with the numpy process. */
class PythonSide {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  #waiting: ((line: string) => void) | undefined;
  #stderr = '';

  constructor(python: string, argv: string[]) {
    this.#child = spawn(python, ['-c', PYTHON, ...argv]);
    const rl = readline.createInterface({ input: this.#child.stdout });
    rl.on('line', (line) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      if (w) w(line);
      else this.#lines.push(line);
    });
    this.#child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#child.on('exit', (code) => {
      if (code !== 0 && this.#waiting) this.#waiting(`error: ${this.#stderr}`);
    });
  }

  async ask(command?: string): Promise<string> {
    if (command !== undefined) this.#child.stdin.write(`${command}\n`);
    const line = this.#lines.shift() ?? (await new Promise<string>((resolve) => (this.#waiting = resolve)));
    if (line.startsWith('error:')) throw new Error(`numpy side failed: ${line}`);
    return line;
  }

  close(): void {
    this.#child.stdin.end('quit\n');
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const n = args.size;
  const w = weights(n * n);
  const mb = (n * n * 4) / 1e6;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-quant-tp-'));
  const python = process.env.PYTHON ?? 'python3';
  let py: PythonSide | undefined;
  try {
    const weightFile = path.join(dir, 'w.f32');
    fs.writeFileSync(weightFile, bytesOf(w));
    py = new PythonSide(python, [weightFile, String(n), String(args.runs), dir, JSON.stringify(CASES)]);
    const numpyVersion = (JSON.parse(await py.ask()) as { numpy: string }).numpy;

    // Warm-up both sides, then interleave timed runs (which side goes first alternates) so that load
    // from other processes hits both alike. Each run records wall-clock and CPU time (process CPU
    // time, which leaves out the time the process waits for a core on a busy machine).
    const ours: Timing[][] = CASES.map(() => []);
    const numpy: Timing[][] = CASES.map(() => []);
    for (let i = 0; i < CASES.length; i++) {
      runOurs(CASES[i]!, w, n);
      await py.ask(String(i));
    }
    for (let r = 0; r < args.runs; r++) {
      for (let i = 0; i < CASES.length; i++) {
        const timeOurs = (): void => {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          runOurs(CASES[i]!, w, n);
          const c = process.cpuUsage(c0);
          ours[i]!.push({ wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 });
        };
        if (r % 2 === 1) timeOurs();
        const [wall, cpu] = JSON.parse(await py.ask(String(i))) as [number, number];
        numpy[i]!.push({ wall, cpu });
        if (r % 2 === 0) timeOurs();
      }
    }
    await py.ask('write');

    const stats = (t: Timing[], key: keyof Timing) => ({
      best: mb / Math.min(...t.map((x) => x[key])),
      median: mb / median(t.map((x) => x[key])),
    });
    const rows = CASES.map((c, i) => {
      const outputs = runOurs(c, w, n);
      const differing = outputs.map((o, j) =>
        differingBytes(o, new Uint8Array(fs.readFileSync(path.join(dir, `${i}_${j}.bin`)))),
      );
      const o = stats(ours[i]!, 'cpu');
      const p = stats(numpy[i]!, 'cpu');
      return {
        case: c.name,
        cpuTime: { oursMBps: o, numpyMBps: p, ratio: { best: o.best / p.best, median: o.median / p.median } },
        wallClock: { oursMBps: stats(ours[i]!, 'wall'), numpyMBps: stats(numpy[i]!, 'wall') },
        differingBytes: { quantized: differing[0]!, scales: differing[1]!, zeroPoints: differing[2] ?? 0 },
      };
    });

    const report = {
      simd: simdAvailable(),
      weight: `float32 [${n}, ${n}] (${mb.toFixed(1)} MB)`,
      runs: args.runs,
      node: process.version,
      numpy: numpyVersion,
      cpu: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})`,
      rows,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const lines = [
      `Weight ${report.weight}; ${args.runs} interleaved runs per side; node ${report.node}, numpy ${report.numpy}`,
      `CPU ${report.cpu}; WebAssembly SIMD kernels ${report.simd ? 'on' : 'unavailable (JS loops)'}.`,
      'MB/s of float32 weights from CPU time, best (median); wall-clock best in brackets.',
      '',
      `${'case'.padEnd(44)} ${'ours MB/s'.padStart(20)} ${'numpy MB/s'.padStart(20)} ${'ours/numpy'.padStart(12)}  outputs differing (q / scales / zp)`,
    ];
    const cell = (t: { best: number; median: number }, wall: { best: number }) =>
      `${t.best.toFixed(0)} (${t.median.toFixed(0)}) [${wall.best.toFixed(0)}]`.padStart(20);
    for (const r of rows) {
      const c = r.cpuTime;
      lines.push(
        `${r.case.padEnd(44)} ${cell(c.oursMBps, r.wallClock.oursMBps)} ${cell(c.numpyMBps, r.wallClock.numpyMBps)} ` +
          `${`${c.ratio.best.toFixed(2)} (${c.ratio.median.toFixed(2)})`.padStart(12)}  ` +
          `${r.differingBytes.quantized} / ${r.differingBytes.scales} / ${r.differingBytes.zeroPoints} bytes`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    py?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
