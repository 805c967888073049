/**
 * Latency of every registered quantization method's output against float32, with onnxruntime-node on
 * this CPU:
 *
 *   npx tsx electron/scripts/bench-quantize-latency.ts [--iterations N] [--warmup N] [--threads N]
 *       [--models conv,transformer] [--methods a,b] [--seq N] [--calib-samples N] [--json]
 *
 * Models:
 *   conv         the large conv fixture (conv-fixtures: 3x64x64 input, 8 convs of 32-64 channels with
 *                BatchNorm, residual Adds, a depthwise-separable block, GAP + Gemm), batch 1.
 *   transformer  transformer-fixtures' MatMul-heavy encoder (4 layers, hidden 384, MLP 1536), [1, seq, 384].
 * Every method registered by all-methods.ts runs with its default options through `quantizeModel` (the
 * CLI's path) from a file; methods that need calibration get 32 samples (conv: the fixture's image-like
 * samples; transformer: seeded synthetic inputs). Sessions: CPU, graph optimization 'all', fixed intra-op
 * threads (default 1), no spinning; runs are interleaved (fp32 A B C ... fp32 A B C ..., the starting
 * variant rotating every round) so load from other processes hits all variants alike. Reports p50, p90
 * and mean per variant, the p50 ratio to float32, the file size ratio, and agreement with float32
 * (cosine of the outputs over the timed inputs).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { type ModelProto, ModelProtoSchema } from 'onnx-buf';
import { summarize } from '../../shared/latency-stats.js';
import type { SampleSource } from '../engine/datasets/sample-source.js';
import { syntheticSource } from '../engine/datasets/synthetic-source.js';
import { cosineSimilarity } from '../engine/evaluate/fidelity-metrics.js';
import { quantizeMethods } from '../engine/quantize/all-methods.js';
import { quantizeModel } from '../engine/quantize/quantize-model.js';
import { createSession } from '../engine/runtime/create-session.js';
import { resolveInputSpecs } from '../engine/runtime/input-specs.js';
import { seededRandom, syntheticFeed } from '../engine/runtime/synthetic-feeds.js';
import { buildConvNet, convNetInputShape, convNetSamples } from '../engine/testing/conv-fixtures.js';
import { buildTransformerEncoder } from '../engine/testing/transformer-fixtures.js';

interface Args {
  iterations: number;
  warmup: number;
  threads: number;
  models: string[];
  methods: string[] | undefined;
  seq: number;
  calibSamples: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    iterations: 200,
    warmup: 20,
    threads: 1,
    models: ['conv', 'transformer'],
    methods: undefined,
    seq: 128,
    calibSamples: 32,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    const list = (): string[] => (argv[++i] ?? '').split(',').filter(Boolean);
    if (arg === '--iterations') args.iterations = num();
    else if (arg === '--warmup') args.warmup = num();
    else if (arg === '--threads') args.threads = num();
    else if (arg === '--seq') args.seq = num();
    else if (arg === '--calib-samples') args.calibSamples = num();
    else if (arg === '--models') args.models = list();
    else if (arg === '--methods') args.methods = list();
    else if (arg === '--json') args.json = true;
    else throw new Error(`Unknown argument ${arg}`);
  }
  return args;
}

interface BenchModel {
  name: string;
  model: ModelProto;
  /** Inputs for the timed runs (cycled). */
  feeds: Record<string, ort.Tensor>[];
  calibration: SampleSource;
}

function convModel(args: Args): BenchModel {
  const shape = [1, ...convNetInputShape('large')];
  const feeds = convNetSamples(16, { variant: 'large', seed: 1234 }).map((x) => ({
    input: new ort.Tensor('float32', x, shape),
  }));
  const calib = convNetSamples(args.calibSamples, { variant: 'large', seed: 77 });
  const calibration: SampleSource = {
    count: calib.length,
    describe: () => `conv fixture samples (${calib.length})`,
    async *samples() {
      for (let index = 0; index < calib.length; index++)
        yield { index, inputs: { input: new ort.Tensor('float32', calib[index]!, shape) } };
    },
  };
  return {
    name: 'conv (large fixture, 1x3x64x64)',
    model: buildConvNet({ variant: 'large' }),
    feeds,
    calibration,
  };
}

function transformerModel(args: Args): BenchModel {
  const model = buildTransformerEncoder();
  const { inputs } = resolveInputSpecs(model, { dims: { batch: 1, seq: args.seq } });
  const next = seededRandom(4321);
  const feeds = Array.from({ length: 4 }, () => syntheticFeed(inputs, next));
  return {
    name: `transformer (encoder 4x384, 1x${args.seq}x384)`,
    model,
    feeds,
    calibration: syntheticSource(inputs, { samples: args.calibSamples, seed: 7 }),
  };
}

interface Variant {
  name: string;
  file: string;
  bytes: number;
  seconds?: number;
  error?: string;
  session?: ort.InferenceSession;
  times: number[];
  outputs: Float32Array[];
}

interface ModelResult {
  model: string;
  variants: {
    variant: string;
    bytes: number;
    sizeRatio: number;
    quantizeSeconds?: number;
    p50Ms?: number;
    p90Ms?: number;
    meanMs?: number;
    p50Ratio?: number;
    cosine?: number;
    error?: string;
  }[];
}

async function benchModel(bench: BenchModel, args: Args, dir: string): Promise<ModelResult> {
  const slug = bench.name.split(' ')[0]!;
  const fp32File = path.join(dir, `${slug}-fp32.onnx`);
  fs.writeFileSync(fp32File, toBinary(ModelProtoSchema, bench.model));
  const variants: Variant[] = [
    { name: 'fp32', file: fp32File, bytes: fs.statSync(fp32File).size, times: [], outputs: [] },
  ];
  const methods = quantizeMethods().filter((m) => !args.methods || args.methods.includes(m.name));
  for (const method of methods) {
    const file = path.join(dir, `${slug}-${method.name}.onnx`);
    process.stderr.write(`  quantizing ${slug} with ${method.name}...\n`);
    try {
      const report = await quantizeModel({
        input: fp32File,
        output: file,
        method: method.name,
        force: true,
        ...(method.needsCalibration ? { calibration: bench.calibration } : {}),
      });
      variants.push({
        name: method.name,
        file,
        bytes: report.outputBytes,
        seconds: report.seconds,
        times: [],
        outputs: [],
      });
    } catch (error) {
      variants.push({
        name: method.name,
        file,
        bytes: 0,
        error: error instanceof Error ? error.message : String(error),
        times: [],
        outputs: [],
      });
    }
  }
  const runnable = variants.filter((v) => !v.error);
  for (const v of runnable) {
    v.session = await createSession(v.file, {
      executionProviders: ['cpu'],
      intraOpThreads: args.threads,
      interOpThreads: 1,
      graphOptimizationLevel: 'all',
      allowSpinning: false,
    });
  }
  try {
    const outputName = runnable[0]!.session!.outputNames[0]!;
    for (const v of runnable) {
      for (let i = 0; i < args.warmup; i++) await v.session!.run(bench.feeds[i % bench.feeds.length]!);
    }
    for (let round = 0; round < args.iterations; round++) {
      const feed = bench.feeds[round % bench.feeds.length]!;
      for (let k = 0; k < runnable.length; k++) {
        const v = runnable[(k + round) % runnable.length]!;
        const t0 = performance.now();
        const out = await v.session!.run(feed);
        v.times.push(performance.now() - t0);
        if (round < bench.feeds.length)
          v.outputs.push(new Float32Array(out[outputName]!.data as Float32Array));
      }
    }
  } finally {
    for (const v of runnable) await v.session?.release();
  }
  const base = summarize(variants[0]!.times).p50Ms;
  const fp32 = variants[0]!;
  return {
    model: bench.name,
    variants: variants.map((v) => {
      if (v.error) return { variant: v.name, bytes: 0, sizeRatio: 0, error: v.error };
      const s = summarize(v.times);
      const cos =
        v.outputs.reduce((acc, o, i) => acc + cosineSimilarity(fp32.outputs[i]!, o), 0) /
        Math.max(1, v.outputs.length);
      return {
        variant: v.name,
        bytes: v.bytes,
        sizeRatio: v.bytes / fp32.bytes,
        ...(v.seconds !== undefined ? { quantizeSeconds: v.seconds } : {}),
        p50Ms: s.p50Ms,
        p90Ms: s.p90Ms,
        meanMs: s.meanMs,
        p50Ratio: s.p50Ms / base,
        cosine: cos,
      };
    }),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-quantize-'));
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} logical cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
  process.stderr.write(
    `Machine: ${machine}; onnxruntime-node ${ort.env.versions.common}; intra-op threads ${args.threads}\n`,
  );
  const results: ModelResult[] = [];
  try {
    for (const name of args.models) {
      const bench =
        name === 'conv' ? convModel(args) : name === 'transformer' ? transformerModel(args) : undefined;
      if (!bench) throw new Error(`Unknown model '${name}' (conv, transformer)`);
      process.stderr.write(`${bench.name}:\n`);
      results.push(await benchModel(bench, args, dir));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ machine, threads: args.threads, iterations: args.iterations, results }, null, 2)}\n`,
    );
    return;
  }
  const lines = [
    '',
    `Machine: ${machine}`,
    `Intra-op threads ${args.threads}, ${args.iterations} interleaved runs per variant after ${args.warmup} warmup runs.`,
  ];
  for (const r of results) {
    lines.push('', r.model);
    lines.push(
      `  ${'variant'.padEnd(14)} ${'p50 ms'.padStart(9)} ${'p90 ms'.padStart(9)} ${'p50 ratio'.padStart(10)} ${'size'.padStart(11)} ${'size ratio'.padStart(11)} ${'cosine'.padStart(9)}`,
    );
    for (const v of r.variants) {
      if (v.error) {
        lines.push(`  ${v.variant.padEnd(14)} failed: ${v.error}`);
        continue;
      }
      lines.push(
        `  ${v.variant.padEnd(14)} ${v.p50Ms!.toFixed(3).padStart(9)} ${v.p90Ms!.toFixed(3).padStart(9)} ${v.p50Ratio!.toFixed(2).padStart(9)}x ` +
          `${(v.bytes / 1024).toFixed(0).padStart(8)} KiB ${v.sizeRatio.toFixed(3).padStart(10)}x ${v.cosine!.toFixed(5).padStart(9)}`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
