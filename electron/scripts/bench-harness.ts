/**
 * Checks that `onnx-studio bench` measures what it claims (run by `npm run bench:harness`):
 *
 *   node out/electron/scripts/bench-harness.js [--rounds N] [--threads N] [--variants N]
 *                                               [--skip overhead,spin,memory] [--json]
 *
 * 1. Harness overhead. On a small and a medium model, the p50 the engine host reports (bench in its own
 *    process, through EngineClient) against a bare `await session.run(feed)` loop in this process with the same
 *    session settings and the same inputs (the same seeded synthetic feeds, cycled the same way). The two
 *    alternate for `--rounds` rounds (default 15), in rotating order; the verdict is the median over rounds of
 *    host p50 / bare p50 of the same round (paired, so a machine that slows down between rounds affects both
 *    sides), and the ratio of the fastest rounds is shown too. `runBenchmark` in this process is measured as
 *    well, to tell the loop's overhead from the process's. Target: host p50 within 3% of bare.
 * 2. Spinning. Two copies of the medium model interleaved, with `session.intra_op.allow_spinning` off and on:
 *    the p50 ratio between two identical models should be 1.00; with spinning on, one session's spinning
 *    threads slow the other. Needs more than one intra-op thread to show anything.
 * 3. Memory. `--variants` (default 50) distinct models benchmarked one after another in one engine process;
 *    its RSS after each is read with a `ping`. Target: the RSS after the last is within 10% of the RSS after
 *    the first (sessions are released; nothing accumulates).
 *
 * Figures depend on the machine and on what else runs on it: run it on an otherwise idle machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, TensorProto_DataType, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import { WARMUP_MIN_MS, benchParams, runBenchmark } from '../engine/bench/run-benchmark.js';
import { prepareFeeds } from '../engine/bench/bench-feeds.js';
import { summarize } from '../../shared/latency-stats.js';
import { EngineClient } from '../engine/host/engine-client.js';
import { loadModel } from '../engine/onnx/load-model.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';
import { createSession } from '../engine/runtime/create-session.js';
import { resolveInputSpecs } from '../engine/runtime/input-specs.js';

const FLOAT = TensorProto_DataType.FLOAT;

// ---------------------------------------------------------------------------------------------------
// Models

/** Deterministic weights in [-scale, scale) (xorshift32). */
function weights(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

/** An MLP `input` [batch, sizes[0]] -> (Gemm -> Relu) ... -> Gemm -> `output` [batch, sizes.at(-1)]. */
function buildMlp(sizes: number[], batch: number, seed: number): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let previous = 'input';
  for (let layer = 0; layer + 1 < sizes.length; layer++) {
    const fanIn = sizes[layer] as number;
    const fanOut = sizes[layer + 1] as number;
    const w = `fc${layer}.weight`;
    const b = `fc${layer}.bias`;
    initializers.push(makeFloatTensor(w, [fanOut, fanIn], weights(fanIn * fanOut, seed * 100 + layer, 1 / Math.sqrt(fanIn))));
    initializers.push(makeFloatTensor(b, [fanOut], weights(fanOut, seed * 100 + 50 + layer, 0.1)));
    const last = layer + 2 === sizes.length;
    const out = last ? 'output' : `fc${layer}.out`;
    nodes.push(makeNode('Gemm', [previous, w, b], [out], { name: `fc${layer}`, attributes: { transB: { int: 1 } } }));
    if (!last) {
      nodes.push(makeNode('Relu', [out], [`relu${layer}.out`], { name: `relu${layer}` }));
      previous = `relu${layer}.out`;
    }
  }
  const graph = create(GraphProtoSchema, {
    name: 'mlp',
    node: nodes,
    input: [makeValueInfo('input', FLOAT, [batch, sizes[0] as number])],
    output: [makeValueInfo('output', FLOAT, [batch, sizes.at(-1) as number])],
    initializer: initializers,
  });
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'onnx-studio-bench-harness',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
}

function writeModel(dir: string, name: string, model: ModelProto): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, toBinary(ModelProtoSchema, model));
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Measurements

interface Settings {
  threads: number;
  warmup: number;
}

/** p50 of a bare loop of `session.run` in this process, on the feeds bench would use. */
async function bareP50(model: string, settings: Settings, iterations: number): Promise<number> {
  const loaded = await loadModel(model);
  const { inputs } = resolveInputSpecs(loaded.proto, {});
  const params = benchParams({ models: [model] });
  const { feeds } = await prepareFeeds(inputs, params.data);
  const session = await createSession(model, {
    executionProviders: ['cpu'],
    intraOpThreads: settings.threads,
    interOpThreads: 0,
    graphOptimizationLevel: 'all',
    allowSpinning: false,
  });
  try {
    // Same schedule as bench: one first run, `warmup` warmup runs lasting at least WARMUP_MIN_MS, then the
    // timed runs.
    let next = 0;
    const run = async () => {
      await session.run(feeds[next] as Record<string, ort.Tensor>);
      next = (next + 1) % feeds.length;
    };
    await run();
    const warmupStart = performance.now();
    for (let i = 0; i < settings.warmup || performance.now() - warmupStart < WARMUP_MIN_MS; i++) await run();
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await run();
      samples.push(performance.now() - t0);
    }
    return summarize(samples).p50Ms;
  } finally {
    await session.release();
  }
}

function median(values: number[]): number {
  return summarize(values).p50Ms;
}

function pct(ratio: number): string {
  return `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;
}

interface OverheadResult {
  model: string;
  iterations: number;
  bareP50Ms: number[];
  inProcessP50Ms: number[];
  hostP50Ms: number[];
  /** Median over rounds of host p50 / bare p50 of the same round (paired, so slow drift cancels). */
  hostRatio: number;
  inProcessRatio: number;
  /** Fastest round against fastest round: min(host p50) / min(bare p50), the least disturbed by other load. */
  hostBestRatio: number;
}

async function measureOverhead(client: EngineClient, label: string, model: string, iterations: number, rounds: number, settings: Settings): Promise<OverheadResult> {
  const bare: number[] = [];
  const inProcess: number[] = [];
  const host: number[] = [];
  const params = benchParams({ models: [model], warmup: settings.warmup, iterations, intraOpThreads: settings.threads });
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no side always runs first (right after the machine was busy with another).
    const steps = [
      async () => bare.push(await bareP50(model, settings, iterations)),
      async () => host.push((await client.call('bench', params)).results[0]?.p50Ms ?? NaN),
      async () => inProcess.push((await runBenchmark(params)).results[0]?.p50Ms ?? NaN),
    ];
    for (let s = 0; s < steps.length; s++) await (steps[(s + round) % steps.length] as () => Promise<unknown>)();
    process.stderr.write(`  ${label} round ${round + 1}/${rounds}: bare ${bare.at(-1)?.toFixed(4)} ms, host ${host.at(-1)?.toFixed(4)} ms, in-process ${inProcess.at(-1)?.toFixed(4)} ms\n`);
  }
  return {
    model: label,
    iterations,
    bareP50Ms: bare,
    inProcessP50Ms: inProcess,
    hostP50Ms: host,
    hostRatio: median(host.map((h, i) => h / (bare[i] as number))),
    inProcessRatio: median(inProcess.map((p, i) => p / (bare[i] as number))),
    hostBestRatio: Math.min(...host) / Math.min(...bare),
  };
}

interface SpinResult {
  threads: number;
  spin: boolean;
  /** p50 of the second copy / p50 of the first. */
  p50Ratio: number;
  p50Ms: [number, number];
}

async function measureSpinning(client: EngineClient, model: string, iterations: number, threads: number): Promise<SpinResult[]> {
  const out: SpinResult[] = [];
  for (const spin of [false, true]) {
    const report = await client.call('bench', benchParams({ models: [model, model], warmup: 10, iterations, intraOpThreads: threads, allowSpinning: spin }));
    const a = report.results[0]?.p50Ms ?? NaN;
    const b = report.results[1]?.p50Ms ?? NaN;
    out.push({ threads, spin, p50Ratio: report.comparisons[0]?.p50Ratio ?? NaN, p50Ms: [a, b] });
    process.stderr.write(`  spinning ${spin ? 'on ' : 'off'}: p50 ${a.toFixed(3)} / ${b.toFixed(3)} ms, ratio ${(b / a).toFixed(3)}\n`);
  }
  return out;
}

interface MemoryResult {
  variants: number;
  modelBytes: number;
  rssAfterEachBytes: number[];
  firstBytes: number;
  lastBytes: number;
  maxBytes: number;
  /** (last - first) / first. */
  growth: number;
}

async function measureMemory(client: EngineClient, dir: string, variants: number, threads: number): Promise<MemoryResult> {
  const rss: number[] = [];
  let modelBytes = 0;
  for (let i = 0; i < variants; i++) {
    // A distinct model each time (other weights), as a sweep of quantized/pruned variants would be.
    const file = writeModel(dir, `variant-${i}.onnx`, buildMlp([256, 1024, 1024, 256], 4, 1000 + i));
    modelBytes = fs.statSync(file).size;
    await client.call('bench', benchParams({ models: [file], warmup: 2, iterations: 20, intraOpThreads: threads }));
    rss.push((await client.call('ping', {})).rssBytes);
    fs.rmSync(file);
    if ((i + 1) % 10 === 0) process.stderr.write(`  ${i + 1}/${variants} variants: engine RSS ${(rss.at(-1)! / 2 ** 20).toFixed(1)} MiB\n`);
  }
  const first = rss[0] ?? NaN;
  const last = rss.at(-1) ?? NaN;
  return { variants, modelBytes, rssAfterEachBytes: rss, firstBytes: first, lastBytes: last, maxBytes: Math.max(...rss), growth: (last - first) / first };
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '15' },
      threads: { type: 'string', default: '1' },
      variants: { type: 'string', default: '50' },
      skip: { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const threads = Number(values.threads);
  const variants = Number(values.variants);
  const skip = new Set(values.skip.split(',').filter(Boolean));
  const settings: Settings = { threads, warmup: 20 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-harness-'));
  const client = new EngineClient();
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} logical cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  process.stderr.write(`Machine: ${machine}\n`);
  try {
    const small = writeModel(dir, 'small.onnx', buildMlp([16, 32, 8], 1, 1));
    const medium = writeModel(dir, 'medium.onnx', buildMlp([512, 2048, 2048, 512], 8, 2));
    const result: Record<string, unknown> = { machine, threads };

    if (!skip.has('overhead')) {
      process.stderr.write(`Harness overhead (intra-op threads ${threads}, ${rounds} rounds):\n`);
      const overhead = [
        await measureOverhead(client, 'small (MLP 16-32-8, batch 1)', small, 3000, rounds, settings),
        await measureOverhead(client, 'medium (MLP 512-2048-2048-512, batch 8)', medium, 200, rounds, settings),
      ];
      result.overhead = overhead;
    }
    if (!skip.has('spin')) {
      const spinThreads = Math.max(2, Math.min(4, os.availableParallelism()));
      process.stderr.write(`Spinning: two copies of the medium model interleaved, intra-op threads ${spinThreads}:\n`);
      result.spinning = await measureSpinning(client, medium, 300, spinThreads);
    }
    if (!skip.has('memory')) {
      process.stderr.write(`Memory: ${variants} variants benchmarked in a row in one engine process:\n`);
      result.memory = await measureMemory(client, dir, variants, threads);
    }

    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const lines: string[] = ['', `Machine: ${machine}`];
    for (const o of (result.overhead as OverheadResult[] | undefined) ?? []) {
      lines.push(
        `Overhead, ${o.model}, ${o.iterations} runs x ${o.bareP50Ms.length} rounds: median p50 bare ${median(o.bareP50Ms).toFixed(4)} ms, ` +
          `engine host ${median(o.hostP50Ms).toFixed(4)} ms, in-process runBenchmark ${median(o.inProcessP50Ms).toFixed(4)} ms; ` +
          `host vs bare ${pct(o.hostRatio)} (median of paired rounds), ${pct(o.hostBestRatio)} (best rounds); in-process vs bare ${pct(o.inProcessRatio)} ` +
          `-> ${Math.abs(o.hostRatio - 1) <= 0.03 ? 'within' : 'OUTSIDE'} 3%`,
      );
    }
    for (const s of (result.spinning as SpinResult[] | undefined) ?? []) {
      lines.push(`Spinning ${s.spin ? 'on ' : 'off'} (threads ${s.threads}): p50 ratio of two copies of one model ${s.p50Ratio.toFixed(3)}`);
    }
    const m = result.memory as MemoryResult | undefined;
    if (m) {
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
      lines.push(
        `Memory, ${m.variants} variants of ${mib(m.modelBytes)}: engine RSS after the first ${mib(m.firstBytes)}, after the last ${mib(m.lastBytes)} ` +
          `(${pct(1 + m.growth)}), highest ${mib(m.maxBytes)} -> ${m.growth <= 0.1 ? 'within' : 'OUTSIDE'} 10%`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
