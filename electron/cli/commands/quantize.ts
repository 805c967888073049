import { flagHelp, parseArgsOptions } from '../../../shared/options/cli-flags.js';
import { noCalibrationDataMessage, readsCalibrationData } from '../../../shared/recipe.js';
import { StudioError } from '../../engine/errors.js';
import { methodCatalog } from '../../engine/jobs/method-catalog.js';
import { quantizeModel } from '../../engine/quantize/quantize-model.js';
import type { CliCommand } from '../cli-context.js';
import { requireString, writeJson } from '../cli-context.js';
import { openCalibrationData, CALIBRATION_OPTIONS, CALIBRATION_HELP } from '../calibration-flags.js';
import { formatBytes, formatListedTable, LISTED_ROWS } from '../format.js';
import { methodListHelp, methodOptionsFromFlags } from '../method-flags.js';
import { refuseNonOnnxOutput } from '../output-path.js';
import { ProgressBar } from '../progress-bar.js';
import { cancelledAs } from '../cancelled-as.js';
import { guessedLines, warnGuesses } from '../guess-warnings.js';
import { parseShapeFlags, SHAPE_OPTIONS } from '../shape-flags.js';

export const quantizeCommand: CliCommand = {
  usage: 'onnx-studio quantize MODEL -o OUT --method METHOD [options] [--json]',
  get help() {
    return [
      '  -o, --output PATH        where to write the variant (never the input)',
      '  --method METHOD          one of:',
      ...methodListHelp(methodCatalog().quantize),
      ...flagHelp(methodCatalog().quantize),
      CALIBRATION_HELP,
      '  --force                  replace OUT if it exists',
      `  --all                    list every skipped node (default: the first ${LISTED_ROWS})`,
      '  --json                   print {output, method, inputBytes, outputBytes, quantizedNodes, skippedNodes, seconds}',
    ].join('\n');
  },
  get options() {
    return {
      output: { type: 'string', short: 'o' },
      method: { type: 'string' },
      ...parseArgsOptions(methodCatalog().quantize),
      force: { type: 'boolean' },
      all: { type: 'boolean' },
      ...CALIBRATION_OPTIONS,
      ...SHAPE_OPTIONS,
    } as const;
  },
  async run(ctx) {
    const [input, ...extra] = ctx.positionals;
    if (!input) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `quantize takes one model, got also: ${extra.join(' ')}.`);
    const output = requireString(ctx, 'output', 'output path');
    refuseNonOnnxOutput(output);
    const family = methodCatalog().quantize;
    const method = requireString(ctx, 'method', `method (one of ${family.methods.map((m) => m.name).join(', ')})`);
    const { common, options } = methodOptionsFromFlags('quantize', method, ctx.values);
    refuseDataFlagsWithoutCalibration(ctx.values, method);
    const bar = new ProgressBar(ctx.stderr, 'Quantizing');
    // One message for a Ctrl+C, whether it stops the data check, calibration, quantizing or saving.
    const report = await cancelledAs('Quantization was cancelled.', async () => {
      const calibration = await openCalibrationData(ctx, input);
      return quantizeModel({
        input,
        output,
        method,
        common,
        options: withoutSyntheticCount(options, calibration),
        inputs: parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value),
        force: ctx.values.force === true,
        signal: ctx.signal,
        onProgress: (p) => bar.update(p.done, p.total),
        ...(calibration ? { calibration } : {}),
      });
    });
    bar.done();
    for (const note of warnGuesses(ctx, report.notes)) ctx.stderr.write(`note: ${note}\n`);
    if (ctx.json) {
      writeJson(ctx, report);
      return 0;
    }
    const lines = [
      `Wrote ${report.output}`,
      `Method      ${report.method}`,
      `Size        ${formatBytes(report.inputBytes)} -> ${formatBytes(report.outputBytes)} (${((report.outputBytes / report.inputBytes) * 100).toFixed(1)}%)`,
      `Quantized   ${report.quantizedNodes} node${report.quantizedNodes === 1 ? '' : 's'} in ${report.seconds.toFixed(2)} s`,
      // Calibration (and the checks) ran on these guessed inputs.
      ...guessedLines(report.notes),
    ];
    if (report.skippedNodes.length > 0) {
      const skipped = report.skippedNodes.map((s) => [s.name, s.opType, s.reason]);
      lines.push('', formatListedTable(['Skipped node', 'Op type', 'Reason'], skipped, ctx.values.all === true));
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/**
 * With synthetic calibration data, --calib-samples is the data's sample count, recorded in its spec: not also as
 * the option. The app records it so, and a variant made again from the command the app shows must record the
 * same recipe, byte for byte.
 */
function withoutSyntheticCount(
  options: Record<string, unknown>,
  calibration: { origin?: { spec: { kind: string } } } | undefined,
): Record<string, unknown> {
  if (calibration?.origin?.spec.kind !== 'synthetic' || !('calibSamples' in options)) return options;
  const { calibSamples: _count, ...rest } = options;
  return rest;
}

/**
 * A method that calibrates on no data (every one but int8-static) takes none of the data flags: given, they did
 * nothing but land in the recorded recipe, whose `run` then asked for a calibration file the method never read.
 */
function refuseDataFlagsWithoutCalibration(values: Record<string, unknown>, method: string): void {
  if (readsCalibrationData(method) !== false) return;
  const given = [...Object.keys(CALIBRATION_OPTIONS), ...Object.keys(SHAPE_OPTIONS)].filter(
    (flag) => values[flag] !== undefined,
  );
  if (given.length === 0) return;
  // The recipe's validation refuses a step's 'calibration' in the same sentence.
  const flags = given.map((f) => `--${f}`);
  throw new StudioError('BAD_REQUEST', `${noCalibrationDataMessage(method, flags)}.`);
}
