/**
 * The text `bench --generate` prints (bench.ts prints single runs): what was generated from, one row per model (prompt,
 * new tokens, first token and decode latency, tokens/s, greedy agreement with the first model), the ratios against
 * the first model, and the ids each model generated. `--json` is the report itself (bench-output.ts benchJson).
 */
import type { BenchComparison, BenchGeneration, BenchReport } from '../../../shared/bench.js';
import { formatBytes, formatTable } from '../format.js';
import { counted } from '../../../shared/counted.js';
import { ms, processPeakLine, ratio, verdictLegend, verdictWords } from './bench-output.js';

/** Generated ids listed per model in the text; --json has them all. */
const LISTED_IDS = 32;

/** `93.9% (31/33)`: the share of ids equal to the first model's at the same position; the first model is the baseline. */
export function agreementCell(g: BenchGeneration): string {
  if (g.agreement === undefined) return '(baseline)';
  const same = Math.round(g.agreement * g.ids.length);
  return `${(g.agreement * 100).toFixed(1)}% (${same}/${g.ids.length})`;
}

/**
 * How many ids agree with the first model's before the first difference (`all 13` where none differs): the figure
 * that means something, as after a difference the sequences part ways and later equal ids are chance.
 */
export function agreeUntilCell(g: BenchGeneration): string {
  if (g.agreement === undefined) return '-';
  return g.firstDifference === null || g.firstDifference === undefined
    ? `all ${g.ids.length}`
    : String(g.firstDifference);
}

function idsLine(ids: readonly number[]): string {
  const shown = ids.slice(0, LISTED_IDS).join(' ');
  return ids.length > LISTED_IDS ? `${shown} ... (${ids.length - LISTED_IDS} more in --json)` : shown;
}

/**
 * The report in words. `labels`: the models' names as bench's other tables call them; `settingsLine`: its line on
 * the execution provider, threads, optimization and spinning.
 */
export function generateReportText(
  report: BenchReport,
  labels: readonly string[],
  settingsLine: string,
): string {
  const s = report.settings;
  const g = s.generate;
  const label = (i: number) => labels[i] ?? '';
  const several = report.results.length > 1;
  const ran = report.results[0]?.generation?.generations;
  const timed =
    s.iterations !== undefined
      ? `${counted(s.iterations, 'timed generation')}`
      : `${ran === undefined ? '' : `${counted(ran, 'timed generation')} (`}as many as ran in ${(s.durationMs ?? 0) / 1000} s` +
        `${ran === undefined ? '' : ')'}`;
  const warmup = report.results[0]?.warmup ?? s.warmup;
  const out: string[] = [settingsLine];
  if (g) {
    out.push(
      `Generation: a prompt of ${counted(g.promptTokens, 'token')}, then ${counted(g.steps, 'decode step')} ` +
        `(${counted(g.steps + 1, 'new token')}), greedy (the argmax of the last logits); ${warmup} warmup + ${timed} per model` +
        `${several ? ', interleaved (A B A B ...) in one engine process' : ''}.`,
      `Prompt: ${g.prompt}.`,
    );
  }
  out.push('');
  const rows = report.results.map((r, i) => {
    const gen = r.generation;
    if (!gen) return [label(i), '-', '-', '-', '-', '-', '-', '-', '-', '-'];
    return [
      label(i),
      String(gen.promptTokens),
      String(gen.newTokens),
      ms(gen.firstToken.p50Ms),
      ms(gen.firstToken.p90Ms),
      ms(gen.decode.p50Ms),
      ms(gen.decode.p90Ms),
      gen.tokensPerSecond >= 100 ? gen.tokensPerSecond.toFixed(0) : gen.tokensPerSecond.toFixed(1),
      agreeUntilCell(gen),
      agreementCell(gen),
    ];
  });
  const table = formatTable(
    [
      'Model',
      'Prompt',
      'New',
      'First token p50',
      'p90',
      'Decode p50/token',
      'p90',
      'Tokens/s',
      'Agree until',
      'Agreement',
    ],
    rows,
    { measurements: true },
  );
  out.push(table);
  out.push(
    'Latencies in ms. First token: the prefill of the whole prompt (an empty cache) and its argmax, once per ' +
      'generation. Decode: one step (the last id and the cache in, the next id out), over every step of every timed ' +
      'generation; Tokens/s = 1000 / decode p50 ms (the median step, as the decode ratio below).',
  );
  if (several)
    out.push(
      `Agree until: how many of the generated ids equal ${label(0)}'s before the first difference: a variant's ` +
        'fidelity in generation. Agreement: the share equal at the same position, which after a difference counts ' +
        'chance matches (the sequences part ways there).',
    );
  const peak = processPeakLine(report);
  const own = report.results[0]?.peakRssBytes;
  out.push(peak ?? `Peak RSS of the benchmark process: ${own === undefined ? '-' : formatBytes(own)}`);
  if (report.comparisons.length > 0) {
    const cell = (c: BenchComparison) => [ratio(c.p50Ratio), verdictWords(c)].filter(Boolean).join(', ');
    // The first token's ratio judged as the decode's, on its own samples (one prefill per generation).
    const firstVerdict = (c: BenchComparison) => ({
      latencyVerdict: c.generation?.firstTokenVerdict ?? ('same' as const),
      ...(c.generation?.firstTokenUnreliable ? { latencyUnreliable: true as const } : {}),
    });
    const firstCell = (c: BenchComparison) =>
      [ratio(c.generation?.firstTokenP50Ratio ?? Number.NaN), verdictWords(firstVerdict(c))]
        .filter(Boolean)
        .join(', ');
    out.push(
      '',
      `Against ${label(0)} (the first model; below 1.00x is faster / smaller, tokens/s above 1.00x is faster):`,
    );
    out.push(
      formatTable(
        ['Model', 'Decode p50 ratio', 'First token p50 ratio', 'Tokens/s ratio', 'Size ratio'],
        report.comparisons.map((c, i) => [
          label(i + 1),
          cell(c),
          firstCell(c),
          ratio(c.generation?.tokensPerSecondRatio ?? Number.NaN),
          ratio(c.sizeRatio),
        ]),
        { measurements: true },
      ),
    );
    const generations = report.comparisons[0]?.generation?.generations;
    if (generations !== undefined)
      out.push(
        `Verdicts rest on ${counted(generations, 'timed generation')} per model: the decode's on each generation's ` +
          "mean step (a generation's steps grow with its context, so they are not samples of one latency), the " +
          "first token's on its prefills.",
      );
    out.push(
      ...verdictLegend([
        ...report.comparisons,
        ...report.comparisons.map((c) => ({ ...c, ...firstVerdict(c) })),
      ]),
    );
  }
  out.push('', 'Generated ids (the last timed generation):');
  for (const [i, r] of report.results.entries())
    if (r.generation) out.push(`  ${label(i)}: ${idsLine(r.generation.ids)}`);
  if (report.notes.length > 0) out.push('', 'Notes:', ...report.notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}
