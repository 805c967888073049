import { StudioError } from '../../engine/errors.js';
import { pruneMethods } from '../../engine/prune/all-methods.js';
import { pruneModel } from '../../engine/prune/prune-model.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { requireString, writeJson } from '../cli-context.js';
import { formatBytes, formatTable } from '../format.js';
import { ProgressBar } from '../progress-bar.js';

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function fraction(flag: string, raw: string, { allowOne = true } = {}): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1 || (!allowOne && value === 1)) {
    throw new StudioError(
      'BAD_REQUEST',
      `--${flag} must be a number from 0 to 1 (a fraction, e.g. 0.5), got '${raw}'.`,
    );
  }
  return value;
}

function positiveInt(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) {
    throw new StudioError('BAD_REQUEST', `--${flag} must be a whole number of at least 1, got '${raw}'.`);
  }
  return Number(raw);
}

/** Method-specific flags: which option each sets and which methods accept it. */
const METHOD_FLAGS: {
  flag: string;
  option: string;
  methods: string[];
  parse: (v: string | boolean) => unknown;
}[] = [
  { flag: 'pattern', option: 'pattern', methods: ['magnitude'], parse: String },
  { flag: 'sparse-storage', option: 'storage', methods: ['magnitude'], parse: () => 'sparse' },
  {
    flag: 'criterion',
    option: 'criterion',
    methods: ['structured'],
    parse: (v) => {
      if (v !== 'l1' && v !== 'l2')
        throw new StudioError('BAD_REQUEST', `--criterion must be l1 or l2, got '${String(v)}'.`);
      return v;
    },
  },
  { flag: 'no-bn-scale', option: 'batchNormAware', methods: ['structured'], parse: () => false },
  {
    flag: 'round-to',
    option: 'roundTo',
    methods: ['structured'],
    parse: (v) => positiveInt('round-to', String(v)),
  },
  {
    flag: 'max-layer-sparsity',
    option: 'maxLayerSparsity',
    methods: ['structured'],
    parse: (v) => fraction('max-layer-sparsity', String(v)),
  },
];

function methodOptions(ctx: CliContext, method: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const f of METHOD_FLAGS) {
    const value = ctx.values[f.flag];
    if (value === undefined) continue;
    if (!f.methods.includes(method)) {
      throw new StudioError(
        'BAD_REQUEST',
        `--${f.flag} applies to ${f.methods.join(', ')} only, not ${method}.`,
      );
    }
    options[f.option] = f.parse(value as string | boolean);
  }
  return options;
}

/** The common options; with an N:M pattern and no --sparsity, the pattern fixes the sparsity. */
function commonOptions(ctx: CliContext): Record<string, unknown> {
  const raw = ctx.values.sparsity;
  const pattern = ctx.values.pattern;
  let sparsity: number;
  if (typeof raw === 'string') sparsity = fraction('sparsity', raw);
  else if (typeof pattern === 'string' && /^\d+:\d+$/.test(pattern)) {
    const [n, m] = pattern.split(':').map(Number) as [number, number];
    if (!(m >= 1 && n <= m))
      throw new StudioError(
        'BAD_REQUEST',
        `--pattern ${pattern} must be N:M with N <= M and M >= 1 (e.g. 2:4).`,
      );
    sparsity = 1 - n / m;
  } else {
    throw new StudioError(
      'BAD_REQUEST',
      'Missing sparsity: pass --sparsity (a fraction from 0 to 1, e.g. 0.5).',
    );
  }
  const common: Record<string, unknown> = { sparsity };
  const scope = ctx.values.scope;
  if (scope !== undefined) {
    if (scope !== 'global' && scope !== 'layer')
      throw new StudioError('BAD_REQUEST', `--scope must be global or layer, got '${String(scope)}'.`);
    common.scope = scope;
  }
  if (typeof ctx.values['op-types'] === 'string') common.opTypes = splitList(ctx.values['op-types']);
  if (typeof ctx.values['exclude-nodes'] === 'string')
    common.excludeNodes = splitList(ctx.values['exclude-nodes']);
  return common;
}

const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'Make a pruned variant: zero small weights (magnitude) or remove whole channels (structured).',
  usage: 'onnx-studio prune MODEL -o OUT --method magnitude|structured --sparsity 0..1 [options] [--json]',
  get help() {
    return [
      '  -o, --output PATH          where to write the variant (never the input)',
      '  --method METHOD            one of:',
      ...pruneMethods().map((m) => `      ${m.name.padEnd(12)} ${m.summary}`),
      '  --sparsity X               fraction to remove, 0..1: of the weights (magnitude) or of the',
      '                             output channels (structured); 0 leaves the model numerically unchanged',
      '  --scope layer|global       layer (default): every layer loses the same fraction;',
      '                             global: one ranking across layers',
      '  --op-types A,B             only prune these op types (default Conv,ConvTranspose,Gemm,MatMul)',
      '  --exclude-nodes A,B        leave these nodes (by name) unpruned (structured: their output channels)',
      '  --pattern N:M              magnitude: keep N of every M weights along the input axis (e.g. 2:4)',
      '  --sparse-storage           magnitude: store pruned weights as sparse initializers where smaller',
      '  --criterion l1|l2          structured: channel norm used for ranking (default l2)',
      '  --no-bn-scale              structured: ignore the scale of a following BatchNorm when ranking',
      '  --round-to N               structured: round kept channels up to a multiple of N (e.g. 8)',
      '  --max-layer-sparsity X     structured, global scope: the most one group may lose (default 0.9)',
      '  --force                    replace OUT if it exists',
      '  --json                     print {output, method, targetSparsity, achievedSparsity, prunedNodes,',
      '                             removedChannels, inputBytes, outputBytes, layers, skipped, ...}',
    ].join('\n');
  },
  options: {
    output: { type: 'string', short: 'o' },
    method: { type: 'string' },
    sparsity: { type: 'string' },
    scope: { type: 'string' },
    'op-types': { type: 'string' },
    'exclude-nodes': { type: 'string' },
    pattern: { type: 'string' },
    'sparse-storage': { type: 'boolean' },
    criterion: { type: 'string' },
    'no-bn-scale': { type: 'boolean' },
    'round-to': { type: 'string' },
    'max-layer-sparsity': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx) {
    const [input, ...extra] = ctx.positionals;
    if (!input) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `prune takes one model, got also: ${extra.join(' ')}.`);
    const output = requireString(ctx, 'output', 'output path');
    const method = requireString(
      ctx,
      'method',
      `method (one of ${pruneMethods()
        .map((m) => m.name)
        .join(', ')})`,
    );
    const options = methodOptions(ctx, method);
    const common = commonOptions(ctx);
    const bar = new ProgressBar(ctx.stderr, 'Pruning');
    const report = await pruneModel({
      input,
      output,
      method,
      common,
      options,
      force: ctx.values.force === true,
      signal: ctx.signal,
      onProgress: (p) => bar.update(p.done, p.total),
    });
    bar.done();
    for (const note of report.notes) ctx.stderr.write(`note: ${note}\n`);
    if (ctx.json) {
      writeJson(ctx, report);
      return 0;
    }
    const lines = [
      `Wrote ${report.output}`,
      `Method      ${report.method} (${report.method === 'structured' ? 'channels' : 'weights'})`,
      `Sparsity    target ${percent(report.targetSparsity)}, achieved ${percent(report.achievedSparsity)}`,
      `Size        ${formatBytes(report.inputBytes)} -> ${formatBytes(report.outputBytes)} (${percent(report.outputBytes / report.inputBytes)})`,
      `Parameters  ${report.parameters.before.toLocaleString('en-US')} -> ${report.parameters.after.toLocaleString('en-US')}`,
    ];
    if (report.gzipBytes) {
      lines.push(
        `Gzipped     ${formatBytes(report.gzipBytes.input)} -> ${formatBytes(report.gzipBytes.output)} (${percent(report.gzipBytes.output / report.gzipBytes.input)})`,
      );
    }
    lines.push(
      `Pruned      ${report.prunedNodes} nodes${report.removedChannels > 0 ? `, ${report.removedChannels} channels removed` : ''} in ${report.seconds.toFixed(2)} s`,
    );
    if (report.layers.length > 0) {
      const unit = report.layers[0]!.unit;
      lines.push(
        '',
        formatTable(
          [
            'Layer',
            'Op type',
            unit === 'channels' ? 'Channels' : 'Weights',
            unit === 'channels' ? 'Removed' : 'Zeros',
            'Sparsity',
            ...(unit === 'channels' ? ['Tied with'] : []),
          ],
          report.layers.map((l) => [
            l.name,
            l.opType,
            l.total,
            l.removed,
            percent(l.sparsity),
            ...(unit === 'channels' ? [(l.group ?? []).slice(1).join(', ')] : []),
          ]),
        ),
      );
    }
    if (report.skipped.length > 0) {
      lines.push(
        '',
        formatTable(
          ['Skipped', 'Op type', 'Reason'],
          report.skipped.map((s) => [s.name, s.opType, s.reason]),
        ),
      );
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
