import path from 'node:path';
import {
  EXECUTION_PROVIDERS,
  OPT_LEVELS,
  BENCH_MAX_SAMPLES,
  BENCH_DATASET_FEEDS,
  BENCH_MAX_GENERATE,
  type BenchComparison,
  type BenchData,
  type BenchModelResult,
  type BenchParams,
  type BenchReport,
  type ExecutionProvider,
  type OptLevel,
  type ProviderStatus,
} from '../../../shared/bench.js';
import { parseLatencyMetricName } from '../../../shared/latency-stats.js';
import { BENCH_DEFAULTS, BENCH_GENERATE_DEFAULTS, benchParams } from '../../engine/bench/run-benchmark.js';
import { StudioError } from '../../engine/errors.js';
import { EngineClient } from '../../engine/host/engine-client.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { INPUT_DATA_HELP, INPUT_DATA_OPTIONS, parseDataFlags } from '../data-flags.js';
import { formatBytes } from '../format.js';
import { ProgressBar } from '../progress-bar.js';
import { isLoadingStage, StageLine } from './stage-line.js';
import { SHAPE_HELP, SHAPE_OPTIONS, parseShapeFlags } from '../shape-flags.js';
import { benchInputRows } from './bench-input-table.js';
import { benchJson, ms, processPeakLine, ratio, verdictLegend, verdictWords } from './bench-output.js';
import { generateReportText } from './bench-generate-output.js';

/** Dataset samples held in memory (and cycled through) when --samples is not given. */
const DEFAULT_DATASET_FEEDS = BENCH_DATASET_FEEDS;

function str(ctx: CliContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

function wholeNumber(flag: string, raw: string, min: number): number {
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new StudioError('BAD_REQUEST', `--${flag} expects a whole number of at least ${min}, got '${raw}'.`);
  }
  return value;
}

function choice<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  const value = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new StudioError('BAD_REQUEST', `--${flag} must be one of ${allowed.join(', ')}, got '${raw}'.`);
  }
  return value as T;
}

/**
 * `--generate N`, checked beside the flags that mean something else with it: --profile times single runs (refused),
 * --samples has nothing to cycle through (the prompt is one sample, refused).
 */
function generateFlag(ctx: CliContext): number | undefined {
  const raw = str(ctx, 'generate');
  if (raw === undefined) return undefined;
  const steps = wholeNumber('generate', raw, 1);
  if (steps > BENCH_MAX_GENERATE)
    throw new StudioError('BAD_REQUEST', `--generate takes at most ${BENCH_MAX_GENERATE} decode steps, got ${raw}.`);
  if (ctx.values.profile === true)
    throw new StudioError(
      'BAD_REQUEST',
      '--profile times single runs and does not combine with --generate. Profile one decode step instead: ' +
        '--dim past_sequence_length=P --dim sequence_length=1 --profile, without --generate.',
    );
  if (str(ctx, 'samples') !== undefined)
    throw new StudioError(
      'BAD_REQUEST',
      '--samples does not apply to --generate: every generation starts from one prompt (the first sample of --data, or synthetic ids).',
    );
  return steps;
}

/** The benchmark the flags describe (validated; defaults as in the help). */
export async function benchParamsFromFlags(ctx: CliContext, models: string[]): Promise<BenchParams> {
  const generate = generateFlag(ctx);
  const iterationsRaw = str(ctx, 'iterations');
  const durationRaw = str(ctx, 'duration');
  if (iterationsRaw !== undefined && durationRaw !== undefined) {
    throw new StudioError('BAD_REQUEST', 'Pass either --iterations or --duration, not both.');
  }
  let durationMs: number | undefined;
  if (durationRaw !== undefined) {
    const seconds = Number(durationRaw.trim());
    if (durationRaw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new StudioError('BAD_REQUEST', `--duration expects a number of seconds above 0, got '${durationRaw}'.`);
    }
    durationMs = seconds * 1000;
  }
  const spinRaw = str(ctx, 'spin');
  const dataRaw = str(ctx, 'data') ?? 'synthetic';
  const samplesRaw = str(ctx, 'samples');
  const samples = samplesRaw === undefined ? undefined : wholeNumber('samples', samplesRaw, 1);
  // Checked here, by its flag: the engine's own check speaks of its settings (data.maxSamples), not of --samples.
  if (samples !== undefined && samples > BENCH_MAX_SAMPLES)
    throw new StudioError(
      'BAD_REQUEST',
      `--samples: a benchmark holds at most ${BENCH_MAX_SAMPLES} inputs in memory and cycles through them; got ${samplesRaw}. Give ${BENCH_MAX_SAMPLES} or fewer.`,
    );
  const { spec, baseDir } = await parseDataFlags(dataRaw, ctx.values, { defaultSyntheticSamples: BENCH_DEFAULTS.data.samples });
  const data: BenchData =
    spec.kind === 'synthetic'
      ? { kind: 'synthetic', samples: spec.samples, seed: spec.seed }
      : { kind: 'dataset', spec, baseDir, maxSamples: samples ?? DEFAULT_DATASET_FEEDS };
  const overrides = parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value);
  const threads = str(ctx, 'threads');
  const interThreads = str(ctx, 'inter-threads');
  // Unset: benchParams fills in the defaults (BENCH_GENERATE_DEFAULTS with --generate).
  const warmup = str(ctx, 'warmup');
  const ep = str(ctx, 'ep');
  const optLevel = str(ctx, 'opt-level');
  return benchParams({
    models: models.map((m) => path.resolve(m)),
    ...(ep !== undefined ? { ep: choice<ExecutionProvider>('ep', ep, EXECUTION_PROVIDERS) } : {}),
    ...(threads !== undefined ? { intraOpThreads: wholeNumber('threads', threads, 0) } : {}),
    ...(interThreads !== undefined ? { interOpThreads: wholeNumber('inter-threads', interThreads, 0) } : {}),
    ...(optLevel !== undefined ? { optLevel: choice<OptLevel>('opt-level', optLevel, OPT_LEVELS) } : {}),
    ...(spinRaw !== undefined ? { allowSpinning: choice('spin', spinRaw, ['on', 'off'] as const) === 'on' } : {}),
    ...(warmup !== undefined ? { warmup: wholeNumber('warmup', warmup, 0) } : {}),
    ...(iterationsRaw !== undefined ? { iterations: wholeNumber('iterations', iterationsRaw, 1) } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    shapes: overrides.shapes ?? {},
    dims: overrides.dims ?? {},
    values: overrides.values ?? {},
    data,
    profile: ctx.values.profile === true,
    ...(generate !== undefined ? { generate } : {}),
  });
}

/**
 * A plain-text table. `align` has one letter per column, `l` or `r`; by default the first column is left-aligned
 * and the others, which hold numbers, right-aligned.
 */
function table(headers: string[], rows: string[][], align = `l${'r'.repeat(headers.length - 1)}`): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Names for the table: base names when they are unique, else the paths; a model given twice gets `(2)`. */
function labelsFor(models: string[]): string[] {
  const bases = models.map((m) => path.basename(m));
  const names = new Set(bases).size === bases.length ? bases : models;
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} (${n})`;
  });
}

/** The line on how the sessions ran: provider, threads, graph optimization, spinning. */
function providerLine(report: BenchReport): string {
  const s = report.settings;
  const threads = s.threads === 0 ? 'default (one per physical core)' : String(s.threads);
  return (
    `Execution provider ${s.ep}; intra-op threads ${threads}${s.interOpThreads ? `, inter-op threads ${s.interOpThreads}` : ''}; ` +
    `graph optimization ${s.optLevel}; thread spinning ${s.allowSpinning ? 'on' : 'off'}.`
  );
}

function describeSettings(report: BenchReport): string {
  const s = report.settings;
  const runs = s.iterations !== undefined ? `${s.iterations} timed runs` : `timed runs for ${s.durationMs !== undefined ? s.durationMs / 1000 : '?'} s`;
  const several = report.results.length > 1;
  return [
    providerLine(report),
    `${report.results[0]?.warmup ?? s.warmup} warmup runs${s.warmup > 0 ? ` (at least ${s.warmup}, and 0.2 s)` : ''} + ${runs} per model` +
      `${several ? ', interleaved (A B A B ...) in one engine process' : ''}; inputs: ${s.data}.`,
  ].join('\n');
}

/** The text report (exported for its tests, which feed it a report of known figures). */
export function printReport(ctx: CliContext, report: BenchReport): void {
  const { comparisons } = report;
  const labels = labelsFor(report.results.map((r) => r.model));
  if (report.settings.generate) {
    ctx.stdout.write(generateReportText(report, labels, providerLine(report)));
    return;
  }
  const label = (i: number) => labels[i] ?? '';
  const out: string[] = [describeSettings(report), ''];
  // A mix of shapes (data of several widths) shows each axis's sizes: the runs cycle through them all.
  // What nothing set is marked on its row, beside the shape it sized (the warnings say why it was guessed so).
  const guessed = report.results.some((r) => r.inputs.some((i) => i.guessed));
  // A KV cache's alike inputs are one row (bench-input-table.ts); --json lists each.
  const inputRows = (r: BenchModelResult) => benchInputRows(r.inputs, guessed);
  const sameInputs = new Set(report.results.map((r) => JSON.stringify(r.inputs))).size === 1;
  for (const [i, r] of (sameInputs ? report.results.slice(0, 1) : report.results).entries()) {
    if (!sameInputs) out.push(`Inputs of ${label(i)}:`);
    const head = ['Input', 'Type', 'Shape', ...(guessed ? ['Guessed (nothing set it)'] : [])];
    out.push(table(head, inputRows(r), guessed ? 'llll' : 'lll'), '');
  }
  // Several models share one process: its peak is no model's own, so it is said once, under the table.
  const processPeak = processPeakLine(report);
  out.push(
    table(
      [
        ...['Model', 'Init ms', 'First ms', 'Runs', 'Mean', 'Std', 'Min', 'p50', 'p90', 'p95', 'p99', 'Max', 'Runs/s'],
        ...(processPeak === undefined ? ['Peak RSS'] : []),
      ],
      report.results.map((r, i) => [
        label(i),
        ms(r.initMs),
        ms(r.firstRunMs),
        String(r.iterations),
        ms(r.meanMs),
        ms(r.stdMs),
        ms(r.minMs),
        ms(r.p50Ms),
        ms(r.p90Ms),
        ms(r.p95Ms),
        ms(r.p99Ms),
        ms(r.maxMs),
        r.throughput >= 100 ? r.throughput.toFixed(0) : r.throughput.toFixed(1),
        ...(processPeak === undefined ? [formatBytes(r.peakRssBytes)] : []),
      ]),
    ),
  );
  out.push('Latencies in ms.');
  if (processPeak !== undefined) out.push(processPeak);
  if (comparisons.length > 0) {
    const p50Cell = (c: BenchComparison) => [ratio(c.p50Ratio), verdictWords(c)].filter(Boolean).join(', ');
    out.push('');
    out.push(`Against ${label(0)} (the first model; below 1.00x is faster / smaller):`);
    out.push(table(['Model', 'p50 ratio', 'Size ratio'], comparisons.map((c, i) => [label(i + 1), p50Cell(c), ratio(c.sizeRatio)]), 'llr'));
    out.push(...verdictLegend(comparisons));
  }
  for (const [i, r] of report.results.entries()) if (r.profile) out.push('', ...profileLines(r, label(i)));
  if (report.notes.length > 0) {
    out.push('', 'Notes:', ...report.notes.map((n) => `  - ${n}`));
  }
  out.push(
    '',
    `Percentiles interpolate linearly between sorted runs (numpy's default); std is the sample standard deviation; ` +
      `Runs/s = 1000 / mean; peak RSS is the engine process's${report.results.some((r) => r.profile) ? ' while timing, before the profiled pass' : ''} ` +
      `(${report.settings.rssMethod === 'exact' ? "the kernel's high-water mark" : 'sampled after every run'}).`,
  );
  ctx.stdout.write(`${out.join('\n')}\n`);
}

function profileLines(r: BenchModelResult, label: string): string[] {
  const p = r.profile;
  if (!p) return [];
  return [
    `Profile of ${label}: kernel time per run over ${p.runs} profiled runs, a pass after timing${p.traceFile ? ` (trace: ${p.traceFile})` : ''}`,
    table(['Op type', 'ms/run', '%'], p.byOpType.map((o) => [o.opType, ms(o.ms), o.pct.toFixed(1)])),
    '',
    table(['Slowest nodes', 'Op type', 'ms/run'], p.topNodes.map((n) => [n.name, n.opType, ms(n.ms)]), 'llr'),
  ];
}

function printProviders(ctx: CliContext, providers: ProviderStatus[]): void {
  const rows = providers.map((p) => [p.name, p.available ? 'yes' : 'no', p.listed ? (p.bundled ? 'bundled' : 'opt-in download') : 'not in this build']);
  const out = [table(['Provider', 'Usable here', 'onnxruntime-node'], rows, 'lll')];
  const missing = providers.filter((p) => !p.available);
  if (missing.length > 0) {
    out.push('', ...missing.map((p) => `${p.name}: ${p.reason ?? 'not available'}\n  ${p.hint ?? ''}`.trimEnd()));
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
}

export const benchCommand: CliCommand = {
  usage:
    'onnx-studio bench MODEL [MODEL...] [--ep cpu|webgpu|cuda|tensorrt|dml|coreml] [--threads N] [--warmup N] ' +
    '[--iterations N | --duration SECONDS] [--shape INPUT=1x3x224x224] [--dim NAME=VALUE] [--value INPUT=V] [--data DATA] ' +
    '[--opt-level disabled|basic|extended|all] [--spin on|off] [--profile] [--generate N] [--list-providers] [--json]',
  help: [
    `  --ep NAME              execution provider (default ${BENCH_DEFAULTS.ep}); see --list-providers`,
    '  --threads N            intra-op threads (default 0: onnxruntime picks one per physical core)',
    '  --inter-threads N      inter-op threads (default 0: onnxruntime\'s default)',
    `  --warmup N             untimed runs per model before measuring (default ${BENCH_DEFAULTS.warmup}; unless 0, warmup`,
    '                         also lasts at least 0.2 s so that fast models reach steady state)',
    `  --iterations N         timed runs per model (default ${BENCH_DEFAULTS.iterations})`,
    '  --duration SECONDS     instead of --iterations: measure for this long (every model gets the same runs)',
    ...SHAPE_HELP,
    `  --data DATA            inputs: synthetic (default), FILE.npy, FILE.npz, FILE.jsonl, an image folder or SPEC.json`,
    `  --samples N            distinct inputs the runs cycle through (synthetic default ${BENCH_DEFAULTS.data.samples}, datasets ${DEFAULT_DATASET_FEEDS})`,
    `  --opt-level LEVEL      graph optimization: disabled | basic | extended | all (default ${BENCH_DEFAULTS.optLevel})`,
    '  --spin on|off          let idle onnxruntime threads spin-wait (default off: spinning threads of one model',
    '                         steal CPU from the next one in an interleaved run; on can help a model running alone)',
    '  --profile              also aggregate onnxruntime\'s profile by op type and node, recorded in a separate pass',
    '                         after timing (5 to 20 profiled runs per model): the latencies do not include the profiler',
    '  --generate N           time text generation on a decoder with a KV cache (Optimum\'s decoder_with_past_model.onnx',
    '                         or decoder_model_merged.onnx): a prefill of the prompt (first token), then N greedy decode',
    '                         steps, each fed the step before\'s cache; reports first-token latency, decode ms per token,',
    '                         tokens/s and, for models after the first, how many generated ids agree with the first\'s.',
    '                         The prompt: the first sample of --data, else synthetic ids (--dim sequence_length=L sets',
    `                         its length). --warmup and --iterations count generations (defaults ${BENCH_GENERATE_DEFAULTS.warmup} and ${BENCH_GENERATE_DEFAULTS.iterations});`,
    '                         --duration measures whole generations for that long; --profile and --samples are refused',
    '  --list-providers       show which execution providers work on this machine, and how to get the others',
    '  --json                 print {results, comparisons} (fields in docs/cli.md)',
    INPUT_DATA_HELP,
  ].join('\n'),
  options: {
    ep: { type: 'string' },
    threads: { type: 'string' },
    'inter-threads': { type: 'string' },
    warmup: { type: 'string' },
    iterations: { type: 'string' },
    duration: { type: 'string' },
    ...SHAPE_OPTIONS,
    data: { type: 'string' },
    ...INPUT_DATA_OPTIONS,
    'opt-level': { type: 'string' },
    spin: { type: 'string' },
    profile: { type: 'boolean' },
    generate: { type: 'string' },
    'list-providers': { type: 'boolean' },
  },
  async run(ctx) {
    const client = new EngineClient(ctx.verbose ? { onOutput: (line) => ctx.stderr.write(`[engine] ${line}\n`) } : {});
    try {
      if (ctx.values['list-providers'] === true) {
        if (ctx.positionals.length > 0) throw new StudioError('BAD_REQUEST', '--list-providers takes no MODEL.');
        const providers = await client.call('providers', {}, { signal: ctx.signal });
        if (ctx.json) writeJson(ctx, { providers });
        else printProviders(ctx, providers);
        return 0;
      }
      if (ctx.positionals.length === 0) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of one or more .onnx files.');
      const params = await benchParamsFromFlags(ctx, ctx.positionals);
      const bar = new ProgressBar(ctx.stderr, 'Benchmarking');
      // While onnxruntime creates the sessions there is no fraction: the loading stage is shown instead.
      const stage = new StageLine(ctx.stderr);
      let report: BenchReport;
      try {
        report = await client.call('bench', params, {
          signal: ctx.signal,
          onEvent: (event) => {
            if (event.type === 'progress' && isLoadingStage(event.stage)) stage.show(event.stage);
            else if (event.type === 'progress') {
              stage.clear();
              bar.update(Math.round(event.fraction * 1000), 1000);
            }
            else if (event.type === 'log' && (ctx.verbose || event.level === 'warn')) {
              ctx.stderr.write(`${event.level === 'warn' ? 'warning' : event.level}: ${event.message}\n`);
            }
            // The latency samples are judged in the engine (shared/bench-comparisons.ts); the others are shown.
            else if (event.type === 'metric' && ctx.verbose && parseLatencyMetricName(event.name) === undefined) {
              ctx.stderr.write(`${event.name}: ${event.values.join(', ')} ${event.unit}\n`);
            }
          },
        });
      } finally {
        stage.clear();
        bar.done();
      }
      if (ctx.json) writeJson(ctx, benchJson(report));
      else printReport(ctx, report);
      return 0;
    } finally {
      await client.dispose();
    }
  },
};
