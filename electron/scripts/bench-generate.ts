/**
 * Text generation on a decoder with a KV cache, through the CLI a user runs (`quantize`, `bench --generate`):
 *
 *   npm run bench:generate -- [--layers N] [--hidden N] [--prompt N] [--steps N] [--iterations N] [--threads N]
 *                             [--methods a,b] [--json]
 *
 * The fixture (testing/kv-cache-layers.ts, made here and removed after): an Optimum-style decoder with `layers` cache
 * layers, real attention over the concatenated past in layer 0, position ids through a table, vocabulary 256 and hidden
 * 768 by default (12.6 MB). Each method quantizes it; one `bench --generate` times every model interleaved: a prefill of
 * the prompt (first token), then `steps` greedy decode steps, and says how many of each variant's ids agree with the
 * original's. Prints a table (or one JSON object) with the machine's CPU count and onnxruntime-node's version.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchReport } from '../../shared/bench.js';
import { buildKvCacheLayers } from '../engine/testing/kv-cache-layers.js';
import { modelBytes } from '../engine/testing/model-fixtures.js';

const { values: flags } = parseArgs({
  options: {
    layers: { type: 'string', default: '8' },
    hidden: { type: 'string', default: '768' },
    prompt: { type: 'string', default: '64' },
    steps: { type: 'string', default: '64' },
    iterations: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    methods: { type: 'string', default: 'int4,int8-dynamic,int8-weight,fp16' },
    json: { type: 'boolean', default: false },
  },
});

/** A positive whole number from a flag, or a clear stop. */
function whole(name: keyof typeof flags): number {
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`--${name} needs a positive whole number, got ${String(flags[name])}`);
  return v;
}

/** The built CLI (npm run build), run as a user runs it. */
const CLI = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../bin/onnx-studio.js');
// stderr (quantize's notes, bench's warnings) is kept out of the table; a failure still throws with it.
const run = (...args: string[]) =>
  execFileSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

function main(): void {
  const methods = flags.methods.split(',').filter(Boolean);
  const hidden = whole('hidden');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-generate-'));
  try {
    const original = path.join(dir, 'decoder.onnx');
    // Vocabulary 256: the fixture's pattern weights need a hidden size of at least 3x the vocabulary (768 by default).
    const model = buildKvCacheLayers(whole('layers'), {
      vocab: 256,
      hidden,
      heads: 12,
      headDim: 64,
      positionIds: true,
    });
    fs.writeFileSync(original, modelBytes(model));
    const variants = methods.map((method) => {
      const out = path.join(dir, `decoder.${method}.onnx`);
      run('quantize', original, '-o', out, '--method', method, '--json');
      return out;
    });
    const report = JSON.parse(
      run(
        'bench',
        original,
        ...variants,
        '--generate',
        String(whole('steps')),
        '--dim',
        `sequence_length=${whole('prompt')}`,
        '--iterations',
        String(whole('iterations')),
        '--threads',
        String(whole('threads')),
        '--json',
      ),
    ) as BenchReport;
    const originalBytes = fs.statSync(original).size;
    const rows = report.results.map((r, i) => {
      const g = r.generation!;
      return {
        model: i === 0 ? 'float32 (original)' : methods[i - 1]!,
        sizeRatio: r.modelBytes / originalBytes,
        firstTokenP50Ms: g.firstToken.p50Ms,
        decodeP50Ms: g.decode.p50Ms,
        tokensPerSecond: g.tokensPerSecond,
        agreement: g.agreement,
        firstDifference: g.firstDifference,
      };
    });
    const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ machine, settings: report.settings, rows }, null, 2)}\n`);
      return;
    }
    const g0 = report.results[0]!.generation!;
    process.stdout.write(
      `Generation on an Optimum-style decoder (${whole('layers')} cache layers, hidden ${hidden}, ${(originalBytes / 1e6).toFixed(1)} MB): ` +
        `a prompt of ${g0.promptTokens} tokens, ${g0.decodeSteps} greedy decode steps, ${g0.generations} timed generations ` +
        `per model, interleaved, ${whole('threads')} thread(s). ${machine.cpu}, ${machine.cpus} cores, Node ${machine.node}.\n\n` +
        '| model | size | first token p50 | decode p50 / token | tokens/s | agreement |\n| --- | --- | --- | --- | --- | --- |\n',
    );
    for (const r of rows) {
      const agree =
        r.agreement === undefined
          ? 'baseline'
          : `${(r.agreement * 100).toFixed(1)}%${r.firstDifference === null ? '' : `, first differs at ${r.firstDifference}`}`;
      process.stdout.write(
        `| ${r.model} | ${r.sizeRatio.toFixed(3)}x | ${r.firstTokenP50Ms.toFixed(2)} ms | ${r.decodeP50Ms.toFixed(2)} ms | ` +
          `${r.tokensPerSecond.toFixed(1)} | ${agree} |\n`,
      );
    }
    for (const n of report.notes ?? [])
      if (/unreliable|noisy|spread/i.test(n)) process.stdout.write(`\nnote: ${n}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
