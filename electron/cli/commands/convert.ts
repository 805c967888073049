import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { checkOutputPath, refuseOverwritingInput } from '../../engine/onnx/output-guard.js';
import { MAX_PROTO_BYTES, saveModel, unusedDataNote } from '../../engine/onnx/save-model.js';
import type { CliCommand } from '../cli-context.js';
import { parseCount, requireString, writeJson } from '../cli-context.js';
import { formatBytes } from '../format.js';
import { refuseNonOnnxOutput } from '../output-path.js';
import { ProgressBar } from '../progress-bar.js';

/** onnx's own default: tensors of 1 KiB or more go to the external data file. */
const DEFAULT_THRESHOLD = 1024;

/** What convert says when --external-data moved nothing (SaveModelResult.largestTensorBytes). */
function nothingMovedNote(thresholdBytes: number, largestTensorBytes: number): string {
  const largest =
    largestTensorBytes > 0
      ? `the largest is ${largestTensorBytes} bytes`
      : 'none is held as raw bytes, the only kind that moves';
  return `no tensor reached --size-threshold (${thresholdBytes} bytes; ${largest}): nothing moved to external data.`;
}

export const convertCommand: CliCommand = {
  usage: 'onnx-studio convert MODEL -o OUT [--external-data] [--size-threshold BYTES] [--force] [--json]',
  help: [
    '  -o, --output PATH       where to write the model (required; never the input)',
    '  --external-data         store tensors of at least --size-threshold bytes in OUT.data beside OUT',
    '                          (automatic for models over 2 GiB); without it external data is folded back in',
    `  --size-threshold BYTES  smallest tensor moved to external data (default ${DEFAULT_THRESHOLD})`,
    '  --force                 replace OUT (and OUT.data) if they exist',
    '  --json                  print {output, outputBytes, externalDataBytes, totalBytes}',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o' },
    'external-data': { type: 'boolean' },
    'size-threshold': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx) {
    const [input, ...extra] = ctx.positionals;
    if (!input) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `convert takes one model, got also: ${extra.join(' ')}.`);
    const output = requireString(ctx, 'output', 'output path');
    refuseNonOnnxOutput(output);
    let external = ctx.values['external-data'] === true;
    const thresholdRaw = ctx.values['size-threshold'];
    if (typeof thresholdRaw === 'string' && !external) {
      throw new StudioError('BAD_REQUEST', '--size-threshold only applies with --external-data.');
    }
    const threshold =
      typeof thresholdRaw === 'string' ? parseCount('size-threshold', thresholdRaw) : DEFAULT_THRESHOLD;
    checkOutputPath(input, output);
    // Its weights get a location of convert's own: one written on Windows (`weights\w.bin`) is read as there, so
    // convert re-saves a model that every other command refuses for it; a file of that literal name is read first,
    // as every other command reads it (see resolveExternalLocation).
    const model = await loadModel(input, { windowsSeparators: true });
    const inputBytes = model.fileBytes + model.externalDataBytes;
    if (!external && inputBytes > MAX_PROTO_BYTES) {
      // Folding it back in cannot work: one ONNX file cannot exceed protobuf's 2 GiB.
      external = true;
      ctx.stderr.write(
        `note: ${input} is ${(inputBytes / 2 ** 30).toFixed(1)} GiB with its external data, over the 2 GiB limit of one ONNX ` +
          `file: its weights go to ${path.basename(output)}.data beside the output, as with --external-data.\n`,
      );
    }
    refuseOverwritingInput(model, output, { writesDataFile: external });
    const bar = new ProgressBar(ctx.stderr, 'Saving');
    const result = await saveModel(model.proto, output, {
      sourceDir: model,
      force: ctx.values.force === true,
      signal: ctx.signal,
      onProgress: (done, total) => bar.update(done, total),
      ...(external ? { externalData: { thresholdBytes: threshold } } : {}),
    });
    bar.done();
    if (result.unusedDataFile) ctx.stderr.write(`note: ${unusedDataNote(result.unusedDataFile)}\n`);
    if (result.largestTensorBytes !== undefined)
      ctx.stderr.write(`note: ${nothingMovedNote(threshold, result.largestTensorBytes)}\n`);
    const summary = {
      output: result.output,
      outputBytes: result.outputBytes,
      externalDataBytes: result.externalDataBytes,
      // The .onnx file and its data file: what quantize's and prune's `outputBytes` count (here `outputBytes` is
      // the .onnx file alone, as the contract has it).
      totalBytes: result.outputBytes + result.externalDataBytes,
    };
    if (ctx.json) {
      writeJson(ctx, summary);
    } else {
      const data = result.externalDataPath
        ? ` + ${formatBytes(result.externalDataBytes)} in ${result.externalDataPath}`
        : '';
      ctx.stdout.write(`Wrote ${result.output} (${formatBytes(result.outputBytes)}${data})\n`);
    }
    return 0;
  },
};
