/*
 * What pruning costs and buys, measured: `npx tsx electron/scripts/bench-prune.ts [--iterations N] [--json]`.
 *
 * 1. A ResNet-style conv net (electron/engine/testing/prune-fixtures.ts: BatchNorm, residual Adds, a
 *    depthwise-separable block; seeded random weights) pruned with `structured` at 30% and 50% of its channels,
 *    with `magnitude` at 50% of its weights, and structured 50% then int8-weight quantized: file size ratio,
 *    gzip size ratio, p50 latency ratio from the benchmark engine (models interleaved, one intra-op thread,
 *    spinning off), and fidelity to the original on seeded inputs (cosine, top-1 agreement).
 * 2. The trained digits classifier (electron/engine/testing/fixtures/digits/): the same structured prunes,
 *    with held-out accuracy and top-1 agreement from the evaluation engine. No fine-tuning after pruning:
 *    these are one-shot figures, the worst case.
 *
 * Figures go to stdout as a markdown table (or one JSON object with --json); progress to stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { benchParams, runBenchmark } from '../engine/bench/run-benchmark.js';
import { evaluateModel } from '../engine/evaluate/evaluate-model.js';
import '../engine/prune/all-methods.js';
import { gzipSize, pruneModel } from '../engine/prune/prune-model.js';
import '../engine/quantize/methods/int8-weight.js';
import { quantizeModel } from '../engine/quantize/quantize-model.js';
import { modelBytes } from '../engine/testing/model-fixtures.js';
import { buildBenchCnn } from '../engine/testing/prune-fixtures.js';

interface Row {
  model: string;
  variant: string;
  sizeRatio: number;
  gzipRatio: number;
  p50Ms: number;
  p50Ratio: number;
  cosine: number;
  top1Agreement: number | null;
  accuracy?: number;
  accuracyDrop?: number;
  removedChannels: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const digitsDir = path.resolve(here, '../engine/testing/fixtures/digits');

const { values: flags } = parseArgs({
  options: { iterations: { type: 'string', default: '300' }, json: { type: 'boolean' } },
});
const iterations = Number(flags.iterations);
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

interface Variant {
  name: string;
  file: string;
  removedChannels: number;
}

async function makeVariants(dir: string, original: string, label: string): Promise<Variant[]> {
  const variants: Variant[] = [{ name: 'original', file: original, removedChannels: 0 }];
  for (const [sparsity, roundTo] of [
    [0.3, 1],
    [0.3, 16],
    [0.5, 1],
  ] as const) {
    const name = `structured ${sparsity * 100}%${roundTo > 1 ? `, round-to ${roundTo}` : ''}`;
    const file = path.join(dir, `${label}.structured${sparsity * 100}-${roundTo}.onnx`);
    const report = await pruneModel({
      input: original,
      output: file,
      method: 'structured',
      common: { sparsity },
      options: { roundTo },
    });
    variants.push({ name, file, removedChannels: report.removedChannels });
    log(
      `${label}: ${name}: ${report.removedChannels} channels removed, ${report.skipped.length} groups skipped`,
    );
  }
  const magnitude = path.join(dir, `${label}.magnitude50.onnx`);
  await pruneModel({ input: original, output: magnitude, method: 'magnitude', common: { sparsity: 0.5 } });
  variants.push({ name: 'magnitude 50%', file: magnitude, removedChannels: 0 });
  const quantized = path.join(dir, `${label}.structured50.int8.onnx`);
  await quantizeModel({
    input: path.join(dir, `${label}.structured50-1.onnx`),
    output: quantized,
    method: 'int8-weight',
  });
  variants.push({
    name: 'structured 50% + int8-weight',
    file: quantized,
    removedChannels: variants[3]!.removedChannels,
  });
  return variants;
}

/**
 * `classScores` false for the random-weight net: global average pooling of random features gives nearly the
 * same logits for every input, so its top-1 agreement says nothing and is left out.
 */
async function measure(
  label: string,
  variants: Variant[],
  data: Parameters<typeof evaluateModel>[0]['data'],
  options: { classScores: boolean; baseAccuracy?: number },
): Promise<Row[]> {
  log(`${label}: benchmarking ${variants.length} models interleaved, ${iterations} runs each`);
  const bench = await runBenchmark(
    benchParams({
      models: variants.map((v) => v.file),
      intraOpThreads: 1,
      allowSpinning: false,
      warmup: 20,
      iterations,
    }),
  );
  const rows: Row[] = [];
  const gzipOriginal = await gzipSize(variants[0]!.file);
  for (const [i, v] of variants.entries()) {
    const evaluation = await evaluateModel({ model: v.file, data, reference: variants[0]!.file });
    const result = bench.results[i]!;
    const row: Row = {
      model: label,
      variant: v.name,
      sizeRatio: result.modelBytes / bench.results[0]!.modelBytes,
      gzipRatio: (await gzipSize(v.file)) / gzipOriginal,
      p50Ms: result.p50Ms,
      p50Ratio: result.p50Ms / bench.results[0]!.p50Ms,
      cosine: evaluation.fidelity?.cosine ?? NaN,
      top1Agreement: options.classScores ? (evaluation.fidelity?.top1Agreement ?? null) : null,
      removedChannels: v.removedChannels,
    };
    if (evaluation.accuracy !== undefined) {
      row.accuracy = evaluation.accuracy;
      row.accuracyDrop = (options.baseAccuracy ?? evaluation.accuracy) - evaluation.accuracy;
    }
    rows.push(row);
  }
  return rows;
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-prune-'));
  try {
    const cnn = path.join(dir, 'resnet-style.onnx');
    fs.writeFileSync(cnn, modelBytes(buildBenchCnn({ width: 32, size: 64 })));
    const cnnRows = await measure(
      'resnet-style 3x64x64',
      await makeVariants(dir, cnn, 'resnet-style'),
      { kind: 'synthetic', samples: 64, seed: 1 },
      { classScores: false },
    );

    const digits = path.join(digitsDir, 'digits.onnx');
    const data = {
      kind: 'npy' as const,
      path: path.join(digitsDir, 'test-inputs.npy'),
      labels: path.join(digitsDir, 'test-labels.npy'),
    };
    const base = await evaluateModel({ model: digits, data });
    const digitRows = await measure('digits (trained)', await makeVariants(dir, digits, 'digits'), data, {
      classScores: true,
      ...(base.accuracy === undefined ? {} : { baseAccuracy: base.accuracy }),
    });

    const rows = [...cnnRows, ...digitRows];
    const environment = {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      threads: 1,
      iterations,
    };
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ environment, rows, seconds: (performance.now() - started) / 1000 }, null, 2)}\n`,
      );
      return;
    }
    const pct = (x: number | undefined | null): string =>
      x === undefined || x === null || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`;
    const lines = [
      `Environment: ${environment.cpu}, ${environment.cpus} CPUs, Node ${environment.node}, 1 intra-op thread, ${iterations} interleaved runs per model.`,
      '',
      '| model | variant | channels removed | size | gzip size | p50 ms | p50 ratio | cosine | top-1 agreement | accuracy (drop) |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.model} | ${r.variant} | ${r.removedChannels} | ${pct(r.sizeRatio)} | ${pct(r.gzipRatio)} | ${r.p50Ms.toFixed(3)} | ${r.p50Ratio.toFixed(2)} | ` +
          `${r.cosine.toFixed(4)} | ${pct(r.top1Agreement)} | ${r.accuracy === undefined ? '-' : `${pct(r.accuracy)} (${(r.accuracyDrop! * 100).toFixed(1)} pt)`} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
