import path from 'node:path';
import { commonFieldsFor } from '../../../shared/options/catalog-fields.js';
import { fieldHelp, fieldParseArgs } from '../../../shared/options/cli-flags.js';
import { openDataset } from '../../engine/datasets/open-dataset.js';
import { StudioError } from '../../engine/errors.js';
import { methodCatalog } from '../../engine/jobs/method-catalog.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { sensitivityFigure } from '../../../shared/sensitivity.js';
import { summarizeInterface } from '../../engine/inspect/inspect-model.js';
import { analyzeSensitivity, type SensitivityReport } from '../../engine/quantize/sensitivity.js';
import { isGuessNote, resolveInputSpecs } from '../../engine/runtime/input-specs.js';
import { CALIBRATION_HELP, CALIBRATION_OPTIONS, openCalibrationData } from '../calibration-flags.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { guessedLines, warnGuesses } from '../guess-warnings.js';
import { parseDataFlags } from '../data-flags.js';
import { formatTable } from '../format.js';
import { methodOptionsFromFlags } from '../method-flags.js';
import { outputTable } from './sensitivity-outputs.js';
import { ProgressBar } from '../progress-bar.js';
import { parseShapeFlags, SHAPE_OPTIONS } from '../shape-flags.js';

const DEFAULT_TOP = 20;
const DEFAULT_SAMPLES = 32;

/** int8-static's own options and the common ones it reads, from their declarations (the catalog). */
function int8StaticFields() {
  const family = methodCatalog().quantize;
  const method = family.methods.find((m) => m.name === 'int8-static')!;
  return [...commonFieldsFor(family, 'int8-static'), ...method.fields];
}

function positive(flag: string, raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1)
    throw new StudioError(
      'BAD_REQUEST',
      `--${flag} must be a whole number of at least 1, got '${String(raw)}'.`,
    );
  return Number(raw);
}

/** What the words the tables show instead of figures mean: only those they show (`outputFigures`: the outputs'). */
function legend(r: SensitivityReport, top: number, outputFigures: readonly string[]): string[] {
  const fields = ['localSqnrDb', 'sqnrDb', 'outputSqnrDb', 'dropDb'] as const;
  const shown = new Set([
    ...r.rows.slice(0, top).flatMap((row) => fields.map((f) => sensitivityFigure(row, f))),
    ...outputFigures,
  ]);
  const meaning: [string, string][] = [
    ['exact', 'exact: identical to the float model (an infinite SQNR)'],
    ['unmeasured', 'unmeasured: no figure (the reason is in --json)'],
    ['inf', 'inf: exact inputs, an inexact output (the error starts at that node)'],
    ['-inf', '-inf: inexact inputs, an exact output'],
  ];
  const said = meaning.filter(([word]) => shown.has(word)).map(([, text]) => text);
  return said.length > 0 ? [`${said.join('; ')}.`] : [];
}

/** The text report; `declared`: the model's outputs, whose shapes tell a KV cache's alike outputs (sensitivity-outputs.ts). */
function printReport(
  ctx: CliContext,
  r: SensitivityReport,
  top: number,
  declared: readonly TensorSummary[],
): void {
  const outputs = outputTable(r.outputs, declared);
  const outputFigures = outputs.rows.map((row) => row[1]!);
  const out = [
    `Model        ${r.model}`,
    `Calibration  ${r.calibration}`,
    `Measured on  ${r.data}, ${r.samples} samples, in ${r.seconds.toFixed(1)} s`,
    ...guessedLines(r.notes),
    '',
    `The ${Math.min(top, r.rows.length)} most sensitive of ${r.rows.length} nodes that run in int8 (largest SQNR drop first; all with --json):`,
    formatTable(
      ['Rank', 'Node', 'Op', 'Drop dB', 'SQNR in dB', 'SQNR out dB', 'Local SQNR dB', 'Quantized inputs'],
      r.rows
        .slice(0, top)
        .map((row, i) => [
          i + 1,
          row.node,
          row.opType,
          sensitivityFigure(row, 'dropDb'),
          sensitivityFigure(row, 'sqnrDb'),
          sensitivityFigure(row, 'outputSqnrDb'),
          sensitivityFigure(row, 'localSqnrDb'),
          row.inputs.join(', '),
        ]),
    ),
    '',
    formatTable(['Output', 'SQNR dB (float vs int8-static)'], outputs.rows),
    ...outputs.lines,
    '',
    'SQNR in / out: the error accumulated before and after the node, against the float model (lower is worse);',
    "Drop: what the node loses, its inputs' and weights' rounding and any amplification of the error it gets;",
    'Local SQNR: the rounding and clipping of quantizing its inputs alone.',
    ...legend(r, top, outputFigures),
    'Keep the top nodes in float with `quantize --method int8-static --exclude-nodes A,B`, or let `tune` choose.',
  ];
  for (const note of r.notes.filter((n) => !isGuessNote(n))) out.push(`Note: ${note}`);
  ctx.stdout.write(`${out.join('\n')}\n`);
}

export const sensitivityCommand: CliCommand = {
  usage:
    'onnx-studio sensitivity MODEL --calib-data DATA [--data DATA] [--samples N] [--top K] [int8-static options] [--json]',
  help: [
    'Rank the nodes int8-static quantization hurts most: per node, the SQNR of its quantized inputs',
    '(method and cost in docs/cli.md, sensitivity).',
    CALIBRATION_HELP,
    '  --data DATA              where to measure the errors (default: the calibration data)',
    `  --samples N              samples of that data to run (default ${DEFAULT_SAMPLES})`,
    `  --top K                  rows to print (default ${DEFAULT_TOP}; --json gives all)`,
    'int8-static options (as for `quantize --method int8-static`):',
    ...fieldHelp(int8StaticFields()),
    '  --json                   print one JSON object: {model, method, calibration, data, samples, seconds, rows[], outputs[],',
    '                           notes[]}',
  ].join('\n'),
  options: {
    ...CALIBRATION_OPTIONS,
    ...SHAPE_OPTIONS,
    ...fieldParseArgs(int8StaticFields()),
    data: { type: 'string' },
    top: { type: 'string' },
    samples: { type: 'string' },
  },
  async run(ctx) {
    const [model, ...extra] = ctx.positionals;
    if (!model) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `sensitivity takes one model, got also: ${extra.join(' ')}.`);
    const { common, options } = methodOptionsFromFlags('quantize', 'int8-static', ctx.values);
    const calibration = await openCalibrationData(ctx, model);
    if (!calibration)
      throw new StudioError(
        'BAD_REQUEST',
        'Missing --calib-data: int8-static calibrates on it (a dataset file, an image folder, or synthetic).',
      );
    const top = positive('top', ctx.values.top, DEFAULT_TOP);
    // Passed on only where given: the engine says when the data holds fewer than asked, not fewer than the default.
    const samples =
      ctx.values.samples === undefined ? undefined : positive('samples', ctx.values.samples, DEFAULT_SAMPLES);
    let data;
    // The model's outputs as declared, for the text's table; only they are kept, not the model, while it runs.
    let declared: TensorSummary[] | undefined;
    if (typeof ctx.values.data === 'string') {
      const { spec, baseDir } = await parseDataFlags(ctx.values.data, { ...ctx.values, samples: undefined });
      const loaded = await loadModel(model);
      declared = summarizeInterface(loaded.proto.graph!).outputs;
      const { inputs } = resolveInputSpecs(
        loaded.proto,
        parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value),
      );
      data = await openDataset(spec, inputs, { baseDir });
    }
    const bar = new ProgressBar(ctx.stderr, `Sensitivity of ${path.basename(model)}`);
    let report: SensitivityReport;
    try {
      report = await analyzeSensitivity({
        modelPath: model,
        calibration,
        ...(samples !== undefined ? { samples } : {}),
        options,
        common,
        signal: ctx.signal,
        onProgress: (p) => bar.update(p.done, p.total),
        ...(data ? { data } : {}),
      });
    } finally {
      bar.done();
    }
    warnGuesses(ctx, report.notes);
    if (ctx.json) writeJson(ctx, report);
    else {
      declared ??= summarizeInterface((await loadModel(model)).proto.graph!).outputs;
      printReport(ctx, report, top, declared);
    }
    return 0;
  },
};
