import { flagHelp, parseArgsOptions } from '../../../shared/options/cli-flags.js';
import { StudioError } from '../../engine/errors.js';
import { methodCatalog } from '../../engine/jobs/method-catalog.js';
import { pruneModel } from '../../engine/prune/prune-model.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { requireString, writeJson } from '../cli-context.js';
import { formatBytes, formatListedTable, LISTED_ROWS } from '../format.js';
import { methodListHelp, methodOptionsFromFlags } from '../method-flags.js';
import { refuseNonOnnxOutput } from '../output-path.js';
import { ProgressBar } from '../progress-bar.js';
import { cancelledAs } from '../cancelled-as.js';

/** With an N:M pattern and no --sparsity, the pattern fixes the sparsity (1 - N/M). */
function sparsityFromPattern(values: CliContext['values']): CliContext['values'] {
  const pattern = values.pattern;
  if (values.sparsity !== undefined || typeof pattern !== 'string') return values;
  const match = /^(\d+):(\d+)$/.exec(pattern);
  if (!match) return values;
  const [n, m] = [Number(match[1]), Number(match[2])];
  if (!(m >= 1 && n <= m)) {
    throw new StudioError('BAD_REQUEST', `--pattern ${pattern} must be N:M with N <= M and M >= 1 (e.g. 2:4).`);
  }
  return { ...values, sparsity: String(1 - n / m) };
}

const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;

export const pruneCommand: CliCommand = {
  usage: 'onnx-studio prune MODEL -o OUT --method magnitude|structured --sparsity 0..1 [options] [--json]',
  get help() {
    return [
      '  -o, --output PATH        where to write the variant (never the input)',
      '  --method METHOD          one of:',
      ...methodListHelp(methodCatalog().prune),
      ...flagHelp(methodCatalog().prune),
      '  --force                  replace OUT if it exists',
      `  --all                    list every layer and skipped node (default: the first ${LISTED_ROWS} of each)`,
      '  --json                   print {output, method, targetSparsity, achievedSparsity, prunedNodes,',
      '                           removedChannels, inputBytes, outputBytes, layers, skipped, ...}',
    ].join('\n');
  },
  get options() {
    return {
      output: { type: 'string', short: 'o' },
      method: { type: 'string' },
      ...parseArgsOptions(methodCatalog().prune),
      force: { type: 'boolean' },
      all: { type: 'boolean' },
    } as const;
  },
  async run(ctx) {
    const [input, ...extra] = ctx.positionals;
    if (!input) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `prune takes one model, got also: ${extra.join(' ')}.`);
    const output = requireString(ctx, 'output', 'output path');
    refuseNonOnnxOutput(output);
    const family = methodCatalog().prune;
    const method = requireString(ctx, 'method', `method (one of ${family.methods.map((m) => m.name).join(', ')})`);
    const { common, options } = methodOptionsFromFlags('prune', method, sparsityFromPattern(ctx.values));
    const bar = new ProgressBar(ctx.stderr, 'Pruning');
    // One message for a Ctrl+C, whether it stops pruning or saving ("Saving was cancelled.").
    const report = await cancelledAs('Pruning was cancelled.', () =>
      pruneModel({
        input,
        output,
        method,
        common,
        options,
        force: ctx.values.force === true,
        signal: ctx.signal,
        onProgress: (p) => bar.update(p.done, p.total),
      }),
    );
    bar.done();
    for (const note of report.notes) ctx.stderr.write(`note: ${note}\n`);
    if (ctx.json) {
      writeJson(ctx, report);
      return 0;
    }
    const all = ctx.values.all === true;
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
        formatListedTable(
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
          all,
        ),
      );
    }
    if (report.skipped.length > 0) {
      lines.push(
        '',
        formatListedTable(
          ['Skipped', 'Op type', 'Reason'],
          report.skipped.map((s) => [s.name, s.opType, s.reason]),
          all,
        ),
      );
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
