/**
 * Language models with an LM head tied to the embedding, through the CLI a user runs (`quantize`, `bench`, `eval`):
 *
 *   npm run bench:lm -- [--vocab N] [--hidden N] [--tokens N] [--iterations N] [--methods a,b] [--json]
 *
 * Two fixtures, made here and removed after (testing/tied-lm.ts):
 * - size and speed: a tied LM of random weights (default vocabulary 32,000, hidden 512, 64 tokens: a 63.5 MiB
 *   file whose table is nearly all of it), each method's file size against it and its p50 in one interleaved
 *   `bench` with the original, fed the same 8 token sequences;
 * - quality: the pattern LM (vocabulary 64, hidden 96, 16 tokens), which ranks its pattern's next id first, on ids
 *   that follow the pattern but for 20% random jumps: `eval --reference` gives each method's next-token accuracy,
 *   perplexity and cosine to the original's logits (the original's own row first).
 * Prints a table (or one JSON object), with the machine's CPU count and onnxruntime-node's version.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeNpyArray } from '../engine/datasets/npy-format.js';
import { modelBytes } from '../engine/testing/model-fixtures.js';
import { buildPatternLm, buildTiedLm, patternIds } from '../engine/testing/tied-lm.js';

interface Args {
  vocab: number;
  hidden: number;
  tokens: number;
  iterations: number;
  methods: string[];
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    vocab: 32_000,
    hidden: 512,
    tokens: 64,
    iterations: 100,
    methods: ['int4', 'int8-weight', 'int8-dynamic', 'fp16'],
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--vocab') args.vocab = num();
    else if (arg === '--hidden') args.hidden = num();
    else if (arg === '--tokens') args.tokens = num();
    else if (arg === '--iterations') args.iterations = num();
    else if (arg === '--methods') args.methods = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--json') args.json = true;
    else throw new Error(`Unknown argument ${arg}`);
  }
  return args;
}

/** The built CLI (npm run build), run as a user runs it; its --json output parsed. */
const CLI = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../bin/onnx-studio.js');
function cli<T>(...args: string[]): T {
  return JSON.parse(
    execFileSync(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 }),
  ) as T;
}

interface Row {
  method: string;
  sizeRatio: number;
  p50Ratio: number | undefined;
  nextTokenAccuracy: number | undefined;
  perplexity: number | null | undefined;
  cosine: number | undefined;
}

interface EvalJson {
  accuracy?: number;
  nextToken?: { perplexity: number | null };
  fidelity?: { cosine: number };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-lm-'));
  try {
    const big = path.join(dir, 'tied-lm.onnx');
    fs.writeFileSync(
      big,
      modelBytes(buildTiedLm({ vocab: args.vocab, hidden: args.hidden, tokens: args.tokens })),
    );
    const bigIds = path.join(dir, 'ids.npy');
    const seqs = 8;
    const ids = BigInt64Array.from({ length: seqs * args.tokens }, (_, i) => BigInt((i * 7919) % args.vocab));
    fs.writeFileSync(bigIds, encodeNpyArray(ids, 'int64', [seqs, args.tokens]));
    const small = path.join(dir, 'pattern-lm.onnx');
    fs.writeFileSync(small, modelBytes(buildPatternLm({ vocab: 64, tokens: 16 })));
    const smallIds = path.join(dir, 'pattern-ids.npy');
    fs.writeFileSync(smallIds, encodeNpyArray(patternIds(50, 16, 64), 'int64', [50, 16]));

    const originalBytes = fs.statSync(big).size;
    const variants = args.methods.map((method) => {
      const out = path.join(dir, `tied-lm.${method}.onnx`);
      cli('quantize', big, '-o', out, '--method', method);
      const smallOut = path.join(dir, `pattern-lm.${method}.onnx`);
      cli('quantize', small, '-o', smallOut, '--method', method);
      const bytes =
        fs.statSync(out).size + (fs.existsSync(`${out}.data`) ? fs.statSync(`${out}.data`).size : 0);
      return { method, out, smallOut, bytes };
    });
    const bench = cli<{ comparisons: { model: string; p50Ratio: number }[] }>(
      'bench',
      big,
      ...variants.map((v) => v.out),
      '--data',
      bigIds,
      '--iterations',
      String(args.iterations),
    );
    const original = cli<EvalJson>('eval', small, '--data', smallIds);
    const rows: Row[] = [
      {
        method: 'float32 (original)',
        sizeRatio: 1,
        p50Ratio: 1,
        nextTokenAccuracy: original.accuracy,
        perplexity: original.nextToken?.perplexity,
        cosine: 1,
      },
      ...variants.map((v) => {
        const e = cli<EvalJson>('eval', v.smallOut, '--data', smallIds, '--reference', small);
        return {
          method: v.method,
          sizeRatio: v.bytes / originalBytes,
          p50Ratio: bench.comparisons.find((c) => c.model === v.out)?.p50Ratio,
          nextTokenAccuracy: e.accuracy,
          perplexity: e.nextToken?.perplexity,
          cosine: e.fidelity?.cosine,
        };
      }),
    ];
    const machine = `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ machine, args, originalBytes, rows }, null, 2)}\n`);
      return;
    }
    const fixed = (v: number | null | undefined, digits: number) =>
      typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
    console.log(
      `Tied LM: vocabulary ${args.vocab}, hidden ${args.hidden}, ${args.tokens} tokens, ${(originalBytes / 2 ** 20).toFixed(1)} MiB; ${machine}`,
    );
    console.log('method               size   p50    next-token acc  perplexity  cosine');
    for (const r of rows)
      console.log(
        `${r.method.padEnd(20)} ${fixed(r.sizeRatio, 3).padStart(5)}x ${fixed(r.p50Ratio, 2).padStart(5)}x ` +
          `${r.nextTokenAccuracy === undefined ? '-'.padStart(14) : `${(r.nextTokenAccuracy * 100).toFixed(2)}%`.padStart(14)}  ` +
          `${fixed(r.perplexity, 4).padStart(10)}  ${fixed(r.cosine, 6)}`,
      );
    console.log(
      'Size and p50: the tied LM of random weights. Accuracy, perplexity, cosine: the pattern LM (vocabulary 64).',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
