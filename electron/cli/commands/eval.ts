import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import type { OutputFidelity } from '../../engine/evaluate/fidelity-metrics.js';
import { type EvalReport, evaluateModel } from '../../engine/evaluate/evaluate-model.js';
import { isScoredOutputNote } from '../../engine/evaluate/scored-output.js';
import { TASK_REQUESTS, type TaskRequest } from '../../../shared/eval-tasks.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { guessedLines, warnGuesses } from '../guess-warnings.js';
import { isGuessNote } from '../../engine/runtime/input-specs.js';
import { DATA_HELP, DATA_OPTIONS, parseDataFlags } from '../data-flags.js';
import { formatCount, formatTable } from '../format.js';
import { entryFigures, fidelityEntries, groupLines } from './eval-output-groups.js';
import { StageLine } from './stage-line.js';
import { ProgressBar } from '../progress-bar.js';
import { parseShapeFlags, SHAPE_HELP, SHAPE_OPTIONS } from '../shape-flags.js';

const TASKS: readonly TaskRequest[] = TASK_REQUESTS;

/** Per-class rows printed in the table before switching to the worst classes only. */
const MAX_CLASS_ROWS = 30;
/** Largest confusion matrix printed as a table. */
const MAX_CONFUSION = 20;

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4));

/** Bool and integer outputs get a column of their own: the share of their values equal to the reference's. */
const hasDiscrete = (list: OutputFidelity[]) => list.some((f) => f.valueAgreement !== null);

/**
 * The fidelity table's rows. A bool or integer output shows `-` for its cosine and worst cosine: its values are
 * categories, so the cosine says little, and one value per sample made every sample's cosine 1 beside an overall
 * 0.996 (a worst above the whole). Its Value agreement is the figure; --json keeps the numbers.
 */
export function fidelityRows(list: OutputFidelity[]): (string | number)[][] {
  return list.map((f) => [
    f.output,
    f.valueAgreement !== null ? '-' : f.cosine.toFixed(6),
    f.valueAgreement !== null ? '-' : f.worstSampleCosine.toFixed(6),
    f.sqnrDb === null ? 'inf (identical)' : f.sqnrDb.toFixed(2),
    num(f.maxAbsErr),
    num(f.meanAbsErr),
    f.top1Agreement === null ? '-' : pct(f.top1Agreement),
    ...(hasDiscrete(list) ? [f.valueAgreement === null ? '-' : pct(f.valueAgreement)] : []),
  ]);
}

/**
 * The fidelity table, a decoder's alike KV cache outputs as one row of their worst figures with a line naming
 * the outputs they are from (eval-output-groups.ts); `inputs`, as fed, tell a decoder with a cache.
 */
export function fidelityTable(list: OutputFidelity[], inputs: readonly { name: string; shape: readonly unknown[] }[]): string[] {
  const entries = fidelityEntries(list, inputs);
  const shown = entries.map(entryFigures);
  return [
    formatTable(
      ['Output', 'Cosine', 'Worst cosine', 'SQNR dB', 'Max abs err', 'Mean abs err', 'Top-1 agreement', ...(hasDiscrete(shown) ? ['Value agreement'] : [])],
      fidelityRows(shown),
    ),
    ...groupLines(entries),
  ];
}

/** What the fidelity table's top-1 and value agreement columns mean, for the outputs shown (of `compared` samples). */
export function fidelityLegend(list: OutputFidelity[], compared: number): string[] {
  const lines: string[] = [];
  for (const f of list.filter((o) => o.top1Positions !== undefined))
    lines.push(
      `Top-1 agreement of ${f.output}: per position, the argmax over its last axis at each of its ${formatCount(f.top1Positions!)} positions in ${formatCount(compared)} samples` +
        (f.padded
          ? ` (${formatCount(f.padded.positions)} padded position${f.padded.positions === 1 ? '' : 's'} left out, by ${f.padded.by}).`
          : '.'),
    );
  if (hasDiscrete(list))
    lines.push(
      "Value agreement: the share of a bool or integer output's values equal to the reference's, the figure to read for it (class ids, masks, counts: no top-1, and their cosine says little, so it shows '-'; tune budgets the float outputs' cosine only).",
    );
  return lines;
}

function printReport(ctx: CliContext, r: EvalReport): void {
  const out: string[] = [];
  out.push(`Model      ${r.model}`);
  if (r.reference) out.push(`Reference  ${r.reference}`);
  out.push(`Data       ${r.data}`);
  // Every figure below was measured on these guessed inputs.
  out.push(...guessedLines(r.notes));
  out.push(`Task       ${r.taskReason}`);
  out.push(
    `Samples    ${formatCount(r.samples)} in ${r.seconds.toFixed(2)} s (${r.samplesPerSecond.toFixed(1)} samples/s; ` +
      `data ${Math.round(r.timing.dataMs)} ms, inference ${Math.round(r.timing.inferenceMs)} ms` +
      `${r.reference ? `, reference ${Math.round(r.timing.referenceMs)} ms` : ''}` +
      `${r.timing.scoringMs !== undefined ? `, next-token scoring ${Math.round(r.timing.scoringMs)} ms` : ''})`,
  );
  if (r.task === 'classification' && r.accuracy !== undefined) {
    const rows: (string | number)[][] = [['Accuracy', `${pct(r.accuracy)} (${r.correct}/${r.samples})`]];
    if (r.top5 !== undefined) rows.push(['Top-5 accuracy', pct(r.top5)]);
    rows.push(['Precision (macro)', num(r.precision ?? 0)], ['Recall (macro)', num(r.recall ?? 0)], ['F1 (macro)', num(r.f1 ?? 0)]);
    out.push('', formatTable(['Metric', 'Value'], rows));
    // Of several outputs, which one these figures score and why, right under them, with the flag for another.
    if (r.scoredOutput)
      out.push(`Scored: ${r.scoredOutput.reason}${r.scoredOutput.cliHint ? `; ${r.scoredOutput.cliHint}` : ''}`);
    const perClass = r.perClass ?? [];
    const named = perClass.some((c) => c.name !== undefined);
    let shown = perClass;
    if (perClass.length > MAX_CLASS_ROWS) {
      shown = [...perClass].sort((a, b) => a.f1 - b.f1 || a.class - b.class).slice(0, 10);
      out.push('', `${perClass.length} classes; the 10 with the lowest F1 (all of them with --json):`);
    }
    out.push(
      '',
      formatTable(
        ['Class', ...(named ? ['Name'] : []), 'Support', 'Predicted', 'Precision', 'Recall', 'F1'],
        shown.map((c) => [c.class, ...(named ? [c.name ?? ''] : []), c.support, c.predicted, num(c.precision), num(c.recall), num(c.f1)]),
      ),
    );
    if (r.confusion && perClass.length <= MAX_CONFUSION) {
      out.push('', 'Confusion matrix (rows: true class, columns: predicted class):');
      out.push(formatTable(['', ...perClass.map((c) => String(c.class))], r.confusion.map((row, i) => [String(perClass[i]!.class), ...row])));
    }
  }
  if (r.task === 'next-token' && r.nextToken) {
    const n = r.nextToken;
    const rows: (string | number)[][] = [
      ['Next-token accuracy', `${pct(n.accuracy)} (${formatCount(n.correct)}/${formatCount(n.positions)} positions)`],
    ];
    if (n.top5 !== undefined) rows.push(['Next-token top-5', pct(n.top5)]);
    rows.push(['Cross-entropy (nats)', num(n.crossEntropy)], ['Perplexity', num(n.perplexity)]);
    out.push('', formatTable(['Metric', 'Value'], rows));
  }
  if (r.task === 'regression' && r.mae !== undefined) {
    out.push('', formatTable(['Metric', 'Value'], [['MAE', num(r.mae)], ['MSE', num(r.mse ?? 0)], ['RMSE', num(r.rmse ?? 0)]]));
  }
  if (r.fidelity) {
    out.push('', `Fidelity against the reference:`);
    const list = r.fidelity.outputs ?? [r.fidelity];
    out.push(...fidelityTable(list, r.inputs));
    out.push(...fidelityLegend(list, r.samples - (r.fidelity.leftOutSamples ?? 0)));
  }
  // The scored output's note is its Scored line, when the figures it is about were printed.
  const scored = r.scoredOutput !== undefined && r.task === 'classification' && r.accuracy !== undefined;
  for (const note of r.notes.filter((n) => !isGuessNote(n) && !(scored && isScoredOutputNote(n)))) out.push(`Note: ${note}`);
  ctx.stdout.write(`${out.join('\n')}\n`);
}

export const evalCommand: CliCommand = {
  usage:
    `onnx-studio eval MODEL --data DATA [--labels LABELS] [--reference MODEL] [--task ${TASK_REQUESTS.join('|')}] [--json]`,
  help: [
    '  --data DATA             synthetic | FILE.npy | FILE.npz | FILE.jsonl | an image folder | SPEC.json',
    '  --reference MODEL       compare every output with this model (e.g. the float32 original): cosine,',
    '                          SQNR, abs errors, top-1 agreement; works without labels',
    '  --task MODE             auto (default: decided from the labels and the output) | classification |',
    '                          regression | next-token (a language model graded on its own token ids: each',
    '                          position on the id after it; auto does so for real ids without labels)',
    '  --ids-input NAME        next-token: the input holding the token ids, where several fit',
    '  --output NAME           the output task metrics read (default: with class labels, the output that',
    '                          fits them, said on a Scored line; else the first)',
    '  --samples N             synthetic: how many (default 100); other data: evaluate N samples only',
    DATA_HELP,
    ...SHAPE_HELP,
    '  --json                  print one JSON object (fields in docs/cli.md)',
  ].join('\n'),
  options: {
    data: { type: 'string' },
    reference: { type: 'string' },
    task: { type: 'string' },
    output: { type: 'string' },
    'ids-input': { type: 'string' },
    ...DATA_OPTIONS,
    ...SHAPE_OPTIONS,
  },
  async run(ctx) {
    const [model, ...extra] = ctx.positionals;
    if (!model) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `eval takes one model, got also: ${extra.join(' ')}. Compare with --reference MODEL.`);
    const taskRaw = ctx.values.task;
    let task: TaskRequest = 'auto';
    if (typeof taskRaw === 'string') {
      if (!TASKS.includes(taskRaw as TaskRequest)) throw new StudioError('BAD_REQUEST', `--task must be one of ${TASKS.join(', ')}, got '${taskRaw}'.`);
      task = taskRaw as TaskRequest;
    }
    const dataRaw = ctx.values.data;
    const { spec, baseDir } = await parseDataFlags(typeof dataRaw === 'string' ? dataRaw : undefined, ctx.values);
    const shapes = parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value);
    const reference = typeof ctx.values.reference === 'string' ? ctx.values.reference : undefined;
    const output = typeof ctx.values.output === 'string' ? ctx.values.output : undefined;
    const idsInput = typeof ctx.values['ids-input'] === 'string' ? ctx.values['ids-input'] : undefined;
    const bar = new ProgressBar(ctx.stderr, `Evaluating ${path.basename(model)}`);
    // Before the first sample, the sessions load with no fraction to draw: the stage says so instead.
    const stage = new StageLine(ctx.stderr);
    let report: EvalReport;
    try {
      report = await evaluateModel({
        model,
        data: spec,
        baseDir,
        task,
        shapes,
        signal: ctx.signal,
        onProgress: (done, total) => {
          stage.clear();
          bar.update(done, total ?? 0);
        },
        onStage: (text) => stage.show(text),
        ...(reference !== undefined ? { reference } : {}),
        ...(output !== undefined ? { output } : {}),
        ...(idsInput !== undefined ? { idsInput } : {}),
      });
    } finally {
      stage.clear();
      bar.done();
    }
    warnGuesses(ctx, report.notes);
    if (ctx.json) writeJson(ctx, report);
    else printReport(ctx, report);
    return 0;
  },
};
