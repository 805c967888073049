/**
 * Float islands in int8 conv nets: int8-static of the MobileNetV3-style text detector fixture
 * (testing/detector-fixture.ts: hard-swish, squeeze-excite with hard-sigmoid, FPN with Resize + Add +
 * Concat, a ConvTranspose head) against float32, with onnxruntime-node on this CPU:
 *
 *   npm run bench:islands -- [--size 640] [--iterations 30] [--warmup 3] [--threads 1] [--calib-samples 6]
 *       [--profile-runs 5] [--upsample nearest|linear] [--fpn-outlier K] [--keep DIR] [--options JSON] [--json]
 *
 * The fixture is built with open height/width and run at --size x --size. int8-static (default options, or
 * --options '{"key": value}' for the method's options) calibrates on --calib-samples text-like images
 * (detectorSamples, seed 77); timing and accuracy use 4 other images (seed 1234). --fpn-outlier K builds it
 * with FPN outlier channels K times larger (the fixture's fpnOutlierScale). Sessions: CPU, graph
 * optimization 'all', fixed intra-op threads, no spinning; fp32 and int8 runs alternate (the first
 * rotating every round) so load from other processes hits both alike. Prints the p50 of each, the p50
 * ratio, the output's cosine to float32 (mean over the images; `prob` is a sigmoid map, so the cosine of
 * the centered maps is printed too), and the per-op-type time of both models from onnxruntime's profiler
 * (mean ms per run over --profile-runs runs of separate profiling sessions).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from 'onnx-buf';
import { summarize } from '../../shared/latency-stats.js';
import type { SampleSource } from '../engine/datasets/sample-source.js';
import { cosineSimilarity } from '../engine/evaluate/fidelity-metrics.js';
import '../engine/quantize/all-methods.js';
import { quantizeModel } from '../engine/quantize/quantize-model.js';
import { createSession } from '../engine/runtime/create-session.js';
import { buildTextDetector, detectorSamples } from '../engine/testing/detector-fixture.js';

interface Args {
  size: number;
  iterations: number;
  warmup: number;
  threads: number;
  calibSamples: number;
  profileRuns: number;
  upsample: 'nearest' | 'linear';
  fpnOutlier: number;
  keep: string | undefined;
  options: Record<string, unknown>;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    size: 640,
    iterations: 30,
    warmup: 3,
    threads: 1,
    calibSamples: 6,
    profileRuns: 5,
    upsample: 'nearest',
    fpnOutlier: 1,
    keep: undefined,
    options: {},
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${arg} needs a non-negative integer`);
      return v;
    };
    if (arg === '--size') args.size = num();
    else if (arg === '--iterations') args.iterations = num();
    else if (arg === '--warmup') args.warmup = num();
    else if (arg === '--threads') args.threads = num();
    else if (arg === '--calib-samples') args.calibSamples = num();
    else if (arg === '--profile-runs') args.profileRuns = num();
    else if (arg === '--upsample') {
      const mode = argv[++i];
      if (mode !== 'nearest' && mode !== 'linear') throw new Error('--upsample is nearest or linear');
      args.upsample = mode;
    } else if (arg === '--fpn-outlier') args.fpnOutlier = num();
    else if (arg === '--keep') args.keep = argv[++i];
    else if (arg === '--options') args.options = JSON.parse(argv[++i] ?? '{}') as Record<string, unknown>;
    else if (arg === '--json') args.json = true;
    else throw new Error(`Unknown argument ${arg}`);
  }
  if (args.size % 32 !== 0 || args.size === 0) throw new Error('--size must be a positive multiple of 32');
  return args;
}

/**
 * Mean ms per run of each op type from an onnxruntime profile (a JSON trace). Profiling covers the
 * session's whole life, so node events inside the first `model_run` (allocations, first-touch) are left out.
 */
function opTimes(profileFile: string): Map<string, number> {
  const events = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as {
    cat?: string;
    name?: string;
    ts?: number;
    dur?: number;
    args?: { op_name?: string };
  }[];
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  const first = runs[0];
  const firstEnd = first ? (first.ts ?? 0) + (first.dur ?? 0) : -Infinity;
  const counted = Math.max(1, runs.length - 1);
  const totals = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    if ((e.ts ?? 0) <= firstEnd) continue;
    totals.set(e.args.op_name, (totals.get(e.args.op_name) ?? 0) + (e.dur ?? 0) / 1000 / counted);
  }
  return totals;
}

async function profile(
  file: string,
  feed: Record<string, ort.Tensor>,
  args: Args,
  dir: string,
): Promise<Map<string, number>> {
  const session = await createSession(file, {
    intraOpThreads: args.threads,
    interOpThreads: 1,
    allowSpinning: false,
    enableProfiling: true,
    profileFilePrefix: path.join(dir, path.basename(file, '.onnx')),
  });
  try {
    for (let i = 0; i <= args.profileRuns; i++) await session.run(feed);
  } finally {
    session.endProfiling();
    await session.release();
  }
  // onnxruntime writes <prefix>_<date>.json; take the newest for this prefix.
  const prefix = path.basename(file, '.onnx');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0] ? opTimes(files[0]) : new Map();
}

function centeredCosine(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= a.length;
  mb /= b.length;
  return cosineSimilarity(
    a.map((v) => v - ma),
    b.map((v) => v - mb),
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-islands-'));
  fs.mkdirSync(dir, { recursive: true });
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} logical cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
  const log = (s: string): boolean => process.stderr.write(`${s}\n`);
  log(`Machine: ${machine}; onnxruntime-node ${ort.env.versions.common}; intra-op threads ${args.threads}`);
  const shape = [1, 3, args.size, args.size];
  const tensor = (x: Float32Array): Record<string, ort.Tensor> => ({
    image: new ort.Tensor('float32', x, shape),
  });
  const fp32File = path.join(dir, 'detector-fp32.onnx');
  const int8File = path.join(dir, 'detector-int8-static.onnx');
  try {
    fs.writeFileSync(
      fp32File,
      toBinary(
        ModelProtoSchema,
        buildTextDetector({ upsample: args.upsample, fpnOutlierScale: args.fpnOutlier }),
      ),
    );
    const calib = detectorSamples(args.calibSamples, args.size, args.size, 77);
    const calibration: SampleSource = {
      count: calib.length,
      describe: () => `text-like images (${calib.length})`,
      async *samples() {
        for (let index = 0; index < calib.length; index++) yield { index, inputs: tensor(calib[index]!) };
      },
    };
    log('  quantizing int8-static...');
    const report = await quantizeModel({
      input: fp32File,
      output: int8File,
      method: 'int8-static',
      options: args.options,
      force: true,
      calibration,
    });
    for (const n of report.notes) log(`  note: ${n}`);
    const feeds = detectorSamples(4, args.size, args.size, 1234).map(tensor);

    const variants = [
      { name: 'fp32', file: fp32File, times: [] as number[], outputs: [] as Float32Array[] },
      { name: 'int8-static', file: int8File, times: [] as number[], outputs: [] as Float32Array[] },
    ];
    const sessions = await Promise.all(
      variants.map((v) =>
        createSession(v.file, { intraOpThreads: args.threads, interOpThreads: 1, allowSpinning: false }),
      ),
    );
    try {
      for (let i = 0; i < args.warmup; i++) for (const s of sessions) await s.run(feeds[i % feeds.length]!);
      for (let round = 0; round < Math.max(args.iterations, feeds.length); round++) {
        const feed = feeds[round % feeds.length]!;
        for (let k = 0; k < variants.length; k++) {
          const j = (k + round) % variants.length;
          const t0 = performance.now();
          const out = await sessions[j]!.run(feed);
          variants[j]!.times.push(performance.now() - t0);
          if (round < feeds.length)
            variants[j]!.outputs.push(new Float32Array(out.prob!.data as Float32Array));
        }
      }
    } finally {
      for (const s of sessions) await s.release();
    }
    const [fp32, int8] = variants as [(typeof variants)[0], (typeof variants)[0]];
    const p50 = summarize(fp32.times).p50Ms;
    const q50 = summarize(int8.times).p50Ms;
    const mean = (f: (a: Float32Array, b: Float32Array) => number): number =>
      int8.outputs.reduce((acc, o, i) => acc + f(fp32.outputs[i]!, o), 0) / int8.outputs.length;
    const cosine = mean(cosineSimilarity);
    const centered = mean(centeredCosine);

    let ops: { fp32: Map<string, number>; int8: Map<string, number> } | undefined;
    if (args.profileRuns > 0) {
      log('  profiling...');
      ops = {
        fp32: await profile(fp32File, feeds[0]!, args, dir),
        int8: await profile(int8File, feeds[0]!, args, dir),
      };
    }
    const result = {
      machine,
      threads: args.threads,
      size: args.size,
      iterations: args.iterations,
      fp32P50Ms: p50,
      int8P50Ms: q50,
      p50Ratio: q50 / p50,
      cosine,
      centeredCosine: centered,
      quantizedNodes: report.quantizedNodes,
      opTimes: ops ? { fp32: Object.fromEntries(ops.fp32), int8: Object.fromEntries(ops.int8) } : undefined,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const lines = [
      '',
      `Machine: ${machine}`,
      `Text detector fixture at 1x3x${args.size}x${args.size}, intra-op threads ${args.threads}, ` +
        `${Math.max(args.iterations, feeds.length)} interleaved runs each after ${args.warmup} warmup runs.`,
      `  fp32         p50 ${p50.toFixed(1)} ms`,
      `  int8-static  p50 ${q50.toFixed(1)} ms   ratio ${(q50 / p50).toFixed(3)}x`,
      `  cosine to fp32 ${cosine.toFixed(5)} (centered ${centered.toFixed(5)}); ${report.quantizedNodes} nodes quantized`,
    ];
    if (ops) {
      const types = [...new Set([...ops.int8.keys(), ...ops.fp32.keys()])].sort(
        (a, b) => (ops.int8.get(b) ?? 0) - (ops.int8.get(a) ?? 0),
      );
      const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
      lines.push('', `  Per op type (ms per run, onnxruntime profiler, ${args.profileRuns} runs):`);
      lines.push(`    ${'op'.padEnd(26)} ${'int8'.padStart(8)} ${'fp32'.padStart(8)}`);
      for (const t of types) {
        const q = ops.int8.get(t);
        const f = ops.fp32.get(t);
        lines.push(
          `    ${t.padEnd(26)} ${q === undefined ? '-'.padStart(8) : q.toFixed(2).padStart(8)} ${f === undefined ? '-'.padStart(8) : f.toFixed(2).padStart(8)}`,
        );
      }
      lines.push(
        `    ${'total'.padEnd(26)} ${total(ops.int8).toFixed(2).padStart(8)} ${total(ops.fp32).toFixed(2).padStart(8)}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
