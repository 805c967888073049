import { StudioError } from '../../engine/errors.js';
import { quantizeMethods } from '../../engine/quantize/all-methods.js';
import { quantizeModel } from '../../engine/quantize/quantize-model.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { requireString, writeJson } from '../cli-context.js';
import { openCalibrationData, CALIBRATION_OPTIONS, CALIBRATION_HELP } from '../calibration-flags.js';
import { formatBytes, formatTable } from '../format.js';
import { ProgressBar } from '../progress-bar.js';
import { SHAPE_OPTIONS } from '../shape-flags.js';

/** Method-specific flags: which option each sets and which methods accept it. */
const METHOD_FLAGS: { flag: string; option: string; methods: string[]; parse: (v: string | boolean) => unknown }[] = [
  { flag: 'calib-method', option: 'calibMethod', methods: ['int8-static'], parse: String },
  { flag: 'calib-samples', option: 'calibSamples', methods: ['int8-static'], parse: positiveInt('calib-samples') },
  { flag: 'activation-type', option: 'activationType', methods: ['int8-static'], parse: String },
  { flag: 'dynamic-form', option: 'form', methods: ['int8-dynamic'], parse: String },
  { flag: 'block-size', option: 'blockSize', methods: ['int4'], parse: positiveInt('block-size') },
  { flag: 'accuracy-level', option: 'accuracyLevel', methods: ['int4'], parse: wholeNumber('accuracy-level') },
  { flag: 'no-keep-io-types', option: 'keepIoTypes', methods: ['fp16'], parse: () => false },
  { flag: 'block-ops', option: 'blockOpTypes', methods: ['fp16'], parse: (v) => splitList(String(v)) },
];

function wholeNumber(flag: string) {
  return (v: string | boolean) => {
    if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new StudioError('BAD_REQUEST', `--${flag} must be a whole number, got '${String(v)}'.`);
    return Number(v);
  };
}

function positiveInt(flag: string) {
  return (v: string | boolean) => {
    if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1) {
      throw new StudioError('BAD_REQUEST', `--${flag} must be a whole number of at least 1, got '${String(v)}'.`);
    }
    return Number(v);
  };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function methodOptions(ctx: CliContext, method: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const f of METHOD_FLAGS) {
    const value = ctx.values[f.flag];
    if (value === undefined) continue;
    if (!f.methods.includes(method)) {
      throw new StudioError('BAD_REQUEST', `--${f.flag} applies to ${f.methods.join(', ')} only, not ${method}.`);
    }
    options[f.option] = f.parse(value as string | boolean);
  }
  return options;
}

function commonOptions(ctx: CliContext): Record<string, unknown> {
  const common: Record<string, unknown> = {
    perTensor: ctx.values['per-tensor'] === true,
    asymmetric: ctx.values.asymmetric === true,
    reduceRange: ctx.values['reduce-range'] === true,
  };
  if (typeof ctx.values['op-types'] === 'string') common.opTypes = splitList(ctx.values['op-types']);
  if (typeof ctx.values['exclude-nodes'] === 'string') common.excludeNodes = splitList(ctx.values['exclude-nodes']);
  return common;
}

export const quantizeCommand: CliCommand = {
  name: 'quantize',
  summary: 'Make a quantized variant: int8 dynamic / static (QDQ) / weight-only, fp16, int4.',
  usage: 'onnx-studio quantize MODEL -o OUT --method METHOD [options] [--json]',
  get help() {
    return [
      '  -o, --output PATH        where to write the variant (never the input)',
      '  --method METHOD          one of:',
      ...quantizeMethods().map((m) => `      ${m.name.padEnd(13)} ${m.summary}`),
      '  --per-tensor             one scale per tensor (default: per output channel)',
      '  --asymmetric             asymmetric weights with zero points (default: symmetric)',
      '  --reduce-range           7-bit weights, for CPUs without VNNI',
      '  --op-types A,B           only quantize these op types (e.g. Conv,MatMul,Gemm)',
      '  --exclude-nodes A,B      leave these nodes (by name) in float',
      '  --dynamic-form F         int8-dynamic: fused (com.microsoft DynamicQuantizeMatMul, default) or onnx',
      '                           (standard DynamicQuantizeLinear + MatMulInteger, for other runtimes)',
      '  --block-size 32|64|128   int4 block size (default 32)',
      '  --accuracy-level N       int4: MatMulNBits accuracy_level (default 4: int8 activations, fastest on CPU)',
      '  --no-keep-io-types       fp16: make the model inputs/outputs float16 too',
      '  --block-ops A,B          fp16: also keep these op types in float32',
      CALIBRATION_HELP,
      '  --force                  replace OUT if it exists',
      '  --json                   print {output, method, inputBytes, outputBytes, quantizedNodes, skippedNodes, seconds}',
    ].join('\n');
  },
  options: {
    output: { type: 'string', short: 'o' },
    method: { type: 'string' },
    'per-tensor': { type: 'boolean' },
    asymmetric: { type: 'boolean' },
    'reduce-range': { type: 'boolean' },
    'op-types': { type: 'string' },
    'exclude-nodes': { type: 'string' },
    'block-size': { type: 'string' },
    'accuracy-level': { type: 'string' },
    'no-keep-io-types': { type: 'boolean' },
    'block-ops': { type: 'string' },
    'calib-method': { type: 'string' },
    'calib-samples': { type: 'string' },
    'activation-type': { type: 'string' },
    'dynamic-form': { type: 'string' },
    force: { type: 'boolean' },
    ...CALIBRATION_OPTIONS,
    ...SHAPE_OPTIONS,
  },
  async run(ctx) {
    const [input, ...extra] = ctx.positionals;
    if (!input) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `quantize takes one model, got also: ${extra.join(' ')}.`);
    const output = requireString(ctx, 'output', 'output path');
    const method = requireString(ctx, 'method', `method (one of ${quantizeMethods().map((m) => m.name).join(', ')})`);
    const options = methodOptions(ctx, method);
    const calibration = await openCalibrationData(ctx, input);
    const bar = new ProgressBar(ctx.stderr, 'Quantizing');
    const report = await quantizeModel({
      input,
      output,
      method,
      common: commonOptions(ctx),
      options,
      force: ctx.values.force === true,
      signal: ctx.signal,
      onProgress: (p) => bar.update(p.done, p.total),
      ...(calibration ? { calibration } : {}),
    });
    bar.done();
    for (const note of report.notes) ctx.stderr.write(`note: ${note}\n`);
    if (ctx.json) {
      writeJson(ctx, report);
      return 0;
    }
    const lines = [
      `Wrote ${report.output}`,
      `Method      ${report.method}`,
      `Size        ${formatBytes(report.inputBytes)} -> ${formatBytes(report.outputBytes)} (${((report.outputBytes / report.inputBytes) * 100).toFixed(1)}%)`,
      `Quantized   ${report.quantizedNodes} nodes in ${report.seconds.toFixed(2)} s`,
    ];
    if (report.skippedNodes.length > 0) {
      lines.push('', formatTable(['Skipped node', 'Op type', 'Reason'], report.skippedNodes.map((s) => [s.name, s.opType, s.reason])));
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
