import { explainProfiles, type Explanation } from '../../../shared/explain.js';
import { int8Support } from '../../engine/bench/int8-support.js';
import { removeProfileTraces } from '../../engine/bench/profile-trace.js';
import { benchParams } from '../../engine/bench/run-benchmark.js';
import { StudioError } from '../../engine/errors.js';
import { EngineClient } from '../../engine/host/engine-client.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { guessedLines, warnGuesses } from '../guess-warnings.js';
import { formatTable } from '../format.js';
import { ProgressBar } from '../progress-bar.js';
import { parseShapeFlags, SHAPE_HELP, SHAPE_OPTIONS } from '../shape-flags.js';

const DEFAULT_ITERATIONS = 100;
const pct = (v: number) => `${v.toFixed(1)}%`;
const ms = (v: number) => v.toFixed(3);

function whole(flag: string, raw: unknown, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min)
    throw new StudioError(
      'BAD_REQUEST',
      `--${flag} must be a whole number of at least ${min}, got '${String(raw)}'.`,
    );
  return Number(raw);
}

/** `runs`: timed runs per model (interleaved), and profiled runs per model (a pass after timing). */
function print(
  ctx: CliContext,
  e: Explanation,
  runs: { timed: number; profiled: number },
  notes: readonly string[],
): void {
  const kinds = e.variant.byKind.map((k, i) => [
    k.kind,
    ms(e.original.byKind[i]!.ms),
    pct(e.original.byKind[i]!.pct),
    ms(k.ms),
    pct(k.pct),
  ]);
  const lines = [
    `p50: original ${ms(e.original.p50Ms)} ms, variant ${ms(e.variant.p50Ms)} ms (${e.p50Ratio.toFixed(3)}x), ${runs.timed} interleaved runs each; kernel times from ${runs.profiled} profiled runs each after them.`,
    // The benchmark ran on these guessed inputs.
    ...guessedLines(notes),
    // Only where the variant has (or is meant to have) int8 kernels: for fp16 or a pruned variant it is beside the point.
    ...(e.variantPrecision === 'int8'
      ? [
          `int8 dot-product instructions: ${e.int8.instructions.length > 0 ? e.int8.instructions.join(', ') : 'none'} (${e.int8.source}).`,
        ]
      : []),
    '',
    "Where the time goes (kernel time of the median run, ms; shares of each model's kernel time):",
    formatTable(['Kind', 'Original ms', 'Share', 'Variant ms', 'Share'], kinds),
    '',
    "The variant's kernels, slowest first:",
    formatTable(
      ['Op', 'Kind', 'ms', 'Share'],
      [...e.variant.byOpType]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 15)
        .map((o) => [o.opType, o.kind, ms(o.ms), pct(o.pct)]),
    ),
    '',
    'What to do:',
    ...e.advice.map((a) => `- ${a}`),
    '',
    'Kinds: quantized = int8/int4 kernels, and ops moving 8-bit data (Expand, Reshape...); float = ops left in float;',
    'conversion = QuantizeLinear, DequantizeLinear, and the Casts the original does not have; layout =',
    'ReorderInput/ReorderOutput, Transpose. Times are the median run of each op type. The p50s were timed without',
    "onnxruntime's profiler, as a plain bench's; the kernel times come from a profiled pass after the timing.",
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
}

export const explainCommand: CliCommand = {
  usage:
    'onnx-studio explain ORIGINAL VARIANT [--iterations N] [--threads N] [--shape ...] [--dim ...] [--json]',
  help: [
    'Why is the variant not faster? One interleaved benchmark of both models, then a profiled pass of each; the',
    "variant's kernel time split into int8/int4 kernels, float ops left between them, Q/DQ conversions and layout",
    'reorders; the ops that stayed float with their share; whether this CPU has int8 dot-product instructions; and',
    'what to do next.',
    `  --iterations N    timed runs per model, interleaved (default ${DEFAULT_ITERATIONS}); then as many profiled, 5 to 20`,
    "  --threads N       intra-op threads (default: onnxruntime's)",
    ...SHAPE_HELP,
    '  --json            print {original, variant, p50Ratio, variantPrecision, floatOps[], slowestOps[], slowerKernels[],',
    '                    int8, advice[], notes[]} (docs/cli.md)',
  ].join('\n'),
  options: { iterations: { type: 'string' }, threads: { type: 'string' }, ...SHAPE_OPTIONS },
  async run(ctx) {
    const [original, variant, ...extra] = ctx.positionals;
    if (!original || !variant)
      throw new StudioError('BAD_REQUEST', 'explain takes two models: ORIGINAL VARIANT.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `explain takes two models, got also: ${extra.join(' ')}.`);
    const iterations = whole('iterations', ctx.values.iterations, DEFAULT_ITERATIONS, 1);
    const threads = whole('threads', ctx.values.threads, 0, 0);
    const shapes = parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value);
    const client = new EngineClient();
    const bar = new ProgressBar(ctx.stderr, 'Profiling both models');
    try {
      const report = await client.call(
        'bench',
        benchParams({
          models: [original, variant],
          iterations,
          profile: true,
          // What explain needs of the two models is read in the engine, from the copies the benchmark loads.
          explain: true,
          intraOpThreads: threads,
          ...(shapes.shapes ? { shapes: shapes.shapes } : {}),
          ...(shapes.dims ? { dims: shapes.dims } : {}),
          ...(shapes.values ? { values: shapes.values } : {}),
        }),
        {
          signal: ctx.signal,
          onEvent: (event) =>
            event.type === 'progress' && bar.update(Math.round(event.fraction * 1000), 1000),
        },
      );
      bar.done();
      // Only the aggregates are explained: the traces (several MB each) would pile up in the temp folder.
      await removeProfileTraces(report.results.map((r) => r.profile?.traceFile));
      const [a, b] = report.results;
      if (!a?.profile || !b?.profile) throw new StudioError('INTERNAL', 'The benchmark returned no profile.');
      // Read in the engine (run-benchmark.ts, explain-facts.ts): diff's unrelated-models check, and the nodes the
      // variant's recorded options kept float (the quantize report is not at hand here: they stand for it).
      const facts = report.explain;
      if (!facts) throw new StudioError('INTERNAL', 'The benchmark returned nothing on the two models.');
      for (const note of warnGuesses(ctx, report.notes)) ctx.stderr.write(`note: ${note}\n`);
      const { unrelated, skippedNodes, lastStep, unalignedConvs, sizeRatio } = facts;
      if (unrelated) ctx.stderr.write(`warning: ${unrelated}\n`);
      // The benchmark's own verdict on the variant's ratio (shared/bench-comparisons.ts), as bench prints it.
      const comparison = report.comparisons[0];
      const explanation = explainProfiles({
        original: { p50Ms: a.p50Ms, byOpType: a.profile.byOpType, nodes: a.profile.nodes },
        variant: { p50Ms: b.p50Ms, byOpType: b.profile.byOpType, nodes: b.profile.nodes },
        int8: int8Support(),
        variantGraphOps: facts.variantOpCounts,
        ...(skippedNodes ? { skippedNodes } : {}),
        // The variant's last recorded step says how it was made (a prune step after a quantization decides it).
        ...(lastStep ? { variantOperation: lastStep.operation, variantMethod: lastStep.method } : {}),
        ...(unalignedConvs ? { unalignedConvs } : {}),
        ...(sizeRatio !== undefined ? { sizeRatio } : {}),
        unrelated: unrelated !== undefined,
        ...(comparison
          ? {
              speed: {
                verdict: comparison.latencyVerdict,
                ...(comparison.latencyUnreliable ? { unreliable: true } : {}),
              },
            }
          : {}),
      });
      // The benchmark's notes (the dims and values it guessed, how the profile was recorded), as in bench's JSON.
      const notes = [...report.notes, ...(unrelated ? [unrelated] : [])];
      if (ctx.json) writeJson(ctx, { ...explanation, notes });
      else print(ctx, explanation, { timed: iterations, profiled: a.profile.runs }, notes);
      return 0;
    } finally {
      bar.done();
      await client.dispose();
    }
  },
};
