/**
 * Latency of int8-dynamic against float32 with onnxruntime-node on this CPU:
 *
 *   npx tsx electron/scripts/bench-quantize-dynamic.ts [--iterations N] [--warmup N] [--threads N]
 *       [--seq N] [--batch N] [--layers N] [--hidden N] [--opt-level basic|extended|all] [--conv] [--json]
 *
 * Model: the MatMul-heavy encoder of transformer-fixtures (default 4 layers, hidden 384, 6 heads, MLP
 * 1536; input [batch, seq, hidden] = [1, 128, 384]). Variants: float32; int8-dynamic in its default
 * 'fused' form (com.microsoft DynamicQuantizeMatMul) and in the 'onnx' form (DynamicQuantizeLinear +
 * MatMulInteger + Cast + Mul, fused by onnxruntime at load); per-tensor. Every model goes through
 * `quantizeModel` (the CLI's path) from a file. Sessions use graph optimization level 'all' (or
 * --opt-level: at 'basic' onnxruntime does not fuse the 'onnx' form), fixed
 * intra-op threads (default 2) and no spinning; runs are interleaved (A B C A B C ..., the starting
 * variant rotating every round) so load from other processes hits all variants alike. Reports p50 /
 * p90 / mean per variant, the p50 ratio to float32, file sizes, and agreement with float32.
 *
 * --conv also measures a small conv net (56x56, 64-128 channels) with Conv left in float (default)
 * and with Conv quantized to DynamicQuantizeLinear + ConvInteger (`--op-types Conv,Gemm`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, type ModelProto, type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { makeFloatTensor, makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';
import { saveModel } from '../engine/onnx/save-model.js';
import '../engine/quantize/methods/int8-dynamic.js';
import { quantizeModel } from '../engine/quantize/quantize-model.js';
import { createSession } from '../engine/runtime/create-session.js';
import { makeModel, randomFloats } from '../engine/testing/model-fixtures.js';
import { buildTransformerEncoder } from '../engine/testing/transformer-fixtures.js';

interface Args {
  iterations: number;
  warmup: number;
  threads: number;
  seq: number;
  batch: number;
  layers: number;
  hidden: number;
  conv: boolean;
  json: boolean;
  optLevel: 'basic' | 'extended' | 'all';
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    iterations: 60,
    warmup: 5,
    threads: 2,
    seq: 128,
    batch: 1,
    layers: 4,
    hidden: 384,
    conv: false,
    json: false,
    optLevel: 'all',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--iterations') args.iterations = num();
    else if (arg === '--warmup') args.warmup = num();
    else if (arg === '--threads') args.threads = num();
    else if (arg === '--seq') args.seq = num();
    else if (arg === '--batch') args.batch = num();
    else if (arg === '--layers') args.layers = num();
    else if (arg === '--hidden') args.hidden = num();
    else if (arg === '--opt-level') {
      const level = argv[++i];
      if (level !== 'basic' && level !== 'extended' && level !== 'all')
        throw new Error('--opt-level: basic, extended or all');
      args.optLevel = level;
    } else if (arg === '--conv') args.conv = true;
    else if (arg === '--json') args.json = true;
    else throw new Error(`Unknown argument ${arg}`);
  }
  return args;
}

interface Variant {
  name: string;
  file: string;
  bytes: number;
  session?: ort.InferenceSession;
  times: number[];
  quantizeSeconds?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function agreement(a: Float32Array, b: Float32Array, classes: number): { cosine: number; top1: number } {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  let same = 0;
  const rows = a.length / classes;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let c = 1; c < classes; c++) {
      if (a[r * classes + c]! > a[r * classes + ia]!) ia = c;
      if (b[r * classes + c]! > b[r * classes + ib]!) ib = c;
    }
    if (ia === ib) same++;
  }
  return { cosine: dot / Math.sqrt(na * nb), top1: same / rows };
}

/** A conv-heavy net: [1, 64, 56, 56] -> 2x conv3x3 64 -> conv3x3/2 128 -> 2x conv3x3 128 -> GAP -> Gemm 10. */
function buildConvNet(): ModelProto {
  const nodes: NodeProto[] = [];
  const inits = [];
  let x = 'input';
  let seed = 500;
  const convs: [number, number, number][] = [
    [64, 64, 1],
    [64, 64, 1],
    [64, 128, 2],
    [128, 128, 1],
    [128, 128, 1],
  ];
  convs.forEach(([cin, cout, stride], i) => {
    inits.push(
      makeFloatTensor(
        `conv${i}.weight`,
        [cout, cin, 3, 3],
        randomFloats(cout * cin * 9, seed++, 1 / Math.sqrt(cin * 9)),
      ),
    );
    inits.push(makeFloatTensor(`conv${i}.bias`, [cout], randomFloats(cout, seed++, 0.05)));
    nodes.push(
      makeNode('Conv', [x, `conv${i}.weight`, `conv${i}.bias`], [`conv${i}.out`], {
        name: `conv${i}`,
        attributes: {
          kernel_shape: { ints: [3, 3] },
          pads: { ints: [1, 1, 1, 1] },
          strides: { ints: [stride, stride] },
        },
      }),
    );
    nodes.push(makeNode('Relu', [`conv${i}.out`], [`relu${i}.out`], { name: `relu${i}` }));
    x = `relu${i}.out`;
  });
  nodes.push(makeNode('GlobalAveragePool', [x], ['gap'], { name: 'gap' }));
  nodes.push(makeNode('Flatten', ['gap'], ['flat'], { name: 'flatten' }));
  inits.push(makeFloatTensor('fc.weight', [10, 128], randomFloats(1280, seed++, 0.1)));
  inits.push(makeFloatTensor('fc.bias', [10], randomFloats(10, seed++, 0.05)));
  nodes.push(
    makeNode('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits'], {
      name: 'fc',
      attributes: { transB: { int: 1 } },
    }),
  );
  const graph = create(GraphProtoSchema, {
    name: 'convnet',
    node: nodes,
    initializer: inits,
    input: [makeValueInfo('input', TensorProto_DataType.FLOAT, [1, 64, 56, 56])],
    output: [makeValueInfo('logits', TensorProto_DataType.FLOAT, [1, 10])],
  });
  return makeModel(graph, 17);
}

async function measure(
  title: string,
  variants: Variant[],
  feed: Record<string, ort.Tensor>,
  classes: number,
  args: Args,
): Promise<Record<string, unknown>> {
  for (const v of variants) {
    v.session = await createSession(v.file, {
      intraOpThreads: args.threads,
      interOpThreads: 1,
      allowSpinning: false,
      graphOptimizationLevel: args.optLevel,
    });
  }
  const outputs: Float32Array[] = [];
  for (const v of variants) {
    const result = await v.session!.run(feed);
    outputs.push(Float32Array.from(Object.values(result)[0]!.data as Float32Array));
  }
  for (let i = 0; i < args.warmup; i++) for (const v of variants) await v.session!.run(feed);
  for (let i = 0; i < args.iterations; i++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(i + j) % variants.length]!;
      const t0 = performance.now();
      await v.session!.run(feed);
      v.times.push(performance.now() - t0);
    }
  }
  const base = variants[0]!;
  const baseP50 = percentile(
    [...base.times].sort((a, b) => a - b),
    0.5,
  );
  const rows = variants.map((v, i) => {
    const sorted = [...v.times].sort((a, b) => a - b);
    const p50 = percentile(sorted, 0.5);
    const fidelity = i === 0 ? undefined : agreement(outputs[0]!, outputs[i]!, classes);
    return {
      variant: v.name,
      p50Ms: p50,
      p90Ms: percentile(sorted, 0.9),
      meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      p50Ratio: p50 / baseP50,
      bytes: v.bytes,
      sizeRatio: v.bytes / base.bytes,
      ...(v.quantizeSeconds !== undefined ? { quantizeSeconds: v.quantizeSeconds } : {}),
      ...(fidelity ? { cosine: fidelity.cosine, top1Agreement: fidelity.top1 } : {}),
    };
  });
  for (const v of variants) await v.session?.release();
  if (!args.json) {
    console.log(`\n${title}`);
    console.log(
      ['variant'.padEnd(30), 'p50 ms', 'p90 ms', 'mean ms', 'p50/fp32', 'MB', 'size', 'cosine', 'top-1'].join(
        '  ',
      ),
    );
    for (const r of rows) {
      console.log(
        [
          r.variant.padEnd(30),
          r.p50Ms.toFixed(2).padStart(6),
          r.p90Ms.toFixed(2).padStart(6),
          r.meanMs.toFixed(2).padStart(7),
          `${r.p50Ratio.toFixed(3)}x`.padStart(8),
          (r.bytes / 1e6).toFixed(2).padStart(5),
          `${r.sizeRatio.toFixed(3)}x`.padStart(6),
          r.cosine !== undefined ? r.cosine.toFixed(5) : '     - ',
          r.top1Agreement !== undefined ? r.top1Agreement.toFixed(3) : '  -',
        ].join('  '),
      );
    }
  }
  return { title, rows };
}

async function quantizedVariant(
  dir: string,
  source: string,
  name: string,
  common: Record<string, unknown>,
  options: Record<string, unknown>,
): Promise<Variant> {
  const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '_')}.onnx`);
  const report = await quantizeModel({
    input: source,
    output: file,
    method: 'int8-dynamic',
    common,
    options,
  });
  return { name, file, bytes: report.outputBytes, times: [], quantizeSeconds: report.seconds };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dynamic-'));
  const results: Record<string, unknown>[] = [];
  try {
    const cpus = os.cpus();
    const flags = fs.existsSync('/proc/cpuinfo')
      ? (/^flags\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(' ')
      : [];
    const isa = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8'].filter((f) => flags.includes(f));
    if (!args.json) {
      console.log(`int8-dynamic latency benchmark, onnxruntime-node ${ort.env.versions.common}`);
      console.log(
        `CPU: ${cpus[0]?.model ?? 'unknown'} x${cpus.length} (${isa.join(', ') || 'no AVX2'}); load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
      console.log(
        `${args.threads} intra-op threads, no spinning, level '${args.optLevel}'; ${args.warmup} warm-up + ${args.iterations} interleaved runs each`,
      );
    }

    const hidden = args.hidden;
    const heads = Math.max(1, Math.round(hidden / 64));
    const encoder = buildTransformerEncoder({
      hidden,
      heads,
      ffn: 4 * hidden,
      layers: args.layers,
      classes: hidden,
    });
    const source = path.join(dir, 'encoder.fp32.onnx');
    const saved = await saveModel(encoder, source);
    const variants: Variant[] = [
      { name: 'fp32', file: source, bytes: saved.outputBytes, times: [] },
      await quantizedVariant(dir, source, 'int8-dynamic (fused)', {}, {}),
      await quantizedVariant(dir, source, 'int8-dynamic (onnx form)', {}, { form: 'onnx' }),
      await quantizedVariant(dir, source, 'int8-dynamic per-tensor', { perTensor: true }, {}),
    ];
    const count = args.batch * args.seq * hidden;
    const feed = {
      input: new ort.Tensor('float32', randomFloats(count, 9, 1.5), [args.batch, args.seq, hidden]),
    };
    results.push(
      await measure(
        `MatMul-heavy encoder: ${args.layers} layers, hidden ${hidden}, ${heads} heads, MLP ${4 * hidden}; input [${args.batch}, ${args.seq}, ${hidden}]`,
        variants,
        feed,
        hidden,
        args,
      ),
    );

    if (args.conv) {
      const convSource = path.join(dir, 'convnet.fp32.onnx');
      const convSaved = await saveModel(buildConvNet(), convSource);
      const convVariants: Variant[] = [
        { name: 'fp32', file: convSource, bytes: convSaved.outputBytes, times: [] },
        await quantizedVariant(dir, convSource, 'int8-dynamic (Conv float)', {}, {}),
        await quantizedVariant(
          dir,
          convSource,
          'int8-dynamic ConvInteger',
          { opTypes: ['Conv', 'Gemm'] },
          {},
        ),
      ];
      const convFeed = {
        input: new ort.Tensor('float32', randomFloats(64 * 56 * 56, 11, 1), [1, 64, 56, 56]),
      };
      results.push(
        await measure(
          'Conv net: 5x conv3x3 (64-128 ch) on 56x56, GAP, Gemm',
          convVariants,
          convFeed,
          10,
          args,
        ),
      );
    }
    if (args.json)
      console.log(JSON.stringify({ cpu: cpus[0]?.model, threads: args.threads, results }, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
