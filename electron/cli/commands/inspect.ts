import { externalDataPlace, type ModelSummary, type TensorSummary } from '../../../shared/model-summary.js';
import { StudioError } from '../../engine/errors.js';
import { inspectModel } from '../../engine/inspect/inspect-model.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { formatBytes, formatCount, formatShape, formatTable } from '../format.js';
import { cacheGroups, groupLabel } from '../../../shared/input-groups.js';
import { type KvCacheFacts, kvCacheFacts } from '../../../shared/kv-cache-facts.js';
import { kvCacheLines } from './inspect-kv-cache.js';

function printSummary(ctx: CliContext, s: ModelSummary): void {
  const out: string[] = [];
  out.push(`Model       ${s.path}`);
  out.push(`File        ${formatBytes(s.fileBytes)}${s.externalDataBytes ? ` + ${formatBytes(s.externalDataBytes)} external data` : ''}`);
  const dataFiles = s.externalDataFiles ?? [];
  out.push(`IR version  ${s.irVersion}`);
  out.push(`Producer    ${[s.producer.name, s.producer.version].filter(Boolean).join(' ') || '(not recorded)'}`);
  out.push(`Opsets      ${Object.entries(s.opsets).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`);
  out.push(`Nodes       ${formatCount(s.nodes)}`);
  // Scales and zero points describe quantized weights; counted in, int4 of an LM read 202M of its 322M weights.
  const scales = s.quantizationParameters
    ? ` (+ ${formatCount(s.quantizationParameters)} quantization scales and zero points, not counted)`
    : '';
  out.push(`Parameters  ${formatCount(s.parameters)}${scales}`);
  if (dataFiles.length > 0) {
    // Which files a copy of the model needs, and where: "beside the model" was wrong for `weights/w.bin`.
    const one = dataFiles.length === 1;
    const where = externalDataPlace(dataFiles.map((f) => f.location));
    out.push('');
    out.push(formatTable(['External data file', 'Tensors', 'Size'], dataFiles.map((f) => [f.location, f.tensors, formatBytes(f.bytes)])));
    out.push(
      `The model reads its external data from ${one ? 'this file' : `these ${dataFiles.length} files`} ${where}: ` +
        `copy ${one ? 'it' : 'them'} along with the model, to the same ${one ? 'place' : 'places'} relative to it.`,
    );
  }
  // A decoder with a KV cache: its cache, the past length every command guesses, and how to time a decode step.
  out.push(...kvCacheLines(s.path, s.inputs));
  out.push('');
  // The tables inputs index, on their lines: the JSON had them, the text did not (an LM's vocabulary size).
  // A KV cache's alike inputs and outputs are one line each (64 of each on a 32-layer decoder); --json lists each.
  const inputs = cacheGroups(s.inputs, (v) => JSON.stringify([v.dtype, v.shape, tablesOf(v)]));
  const looksUp = inputs.map((g) => tablesOf(g[0]!));
  out.push(
    formatTable(
      ['Input', 'Type', 'Shape', ...(looksUp.some(Boolean) ? ['Looks up'] : [])],
      inputs.map((g, i) => [groupLabel(g.map((v) => v.name), 'inputs'), g[0]!.dtype, valueShape(g[0]!), ...(looksUp[i] ? [looksUp[i]] : [])]),
    ),
  );
  out.push('');
  const outputs = cacheGroups(s.outputs, (v) => JSON.stringify([v.dtype, v.shape]));
  out.push(formatTable(['Output', 'Type', 'Shape'], outputs.map((g) => [groupLabel(g.map((v) => v.name), 'outputs'), g[0]!.dtype, valueShape(g[0]!)])));
  out.push('');
  const ops = Object.entries(s.opCounts).sort((a, b) => b[1] - a[1]);
  out.push(formatTable(['Op type', 'Count'], ops));
  const inside = Object.entries(s.subgraphOpCounts ?? {}).sort((a, b) => b[1] - a[1]);
  if (inside.length > 0) {
    out.push('');
    out.push(formatTable(['Op type in subgraphs', 'Count'], inside));
  }
  if (Object.keys(s.parameterBytes).length > 0) {
    out.push('');
    out.push(formatTable(['Weights dtype', 'Bytes', 'Size'], Object.entries(s.parameterBytes).map(([d, b]) => [d, b, formatBytes(b)])));
  }
  if (s.largestTensors.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['Largest tensors', 'Type', 'Shape', 'Size'],
        s.largestTensors.map((t) => [t.name, t.dtype, formatShape(t.shape), formatBytes(t.bytes)]),
      ),
    );
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
}

export const inspectCommand: CliCommand = {
  usage: 'onnx-studio inspect MODEL [--json]',
  help: '  --json         print one JSON object (fields in docs/cli.md) instead of tables',
  options: {},
  async run(ctx) {
    const [model, ...extra] = ctx.positionals;
    if (!model) throw new StudioError('BAD_REQUEST', 'Missing MODEL: pass the path of a .onnx file.');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `inspect takes one model, got also: ${extra.join(' ')}.`);
    const summary = await inspectModel(model);
    if (ctx.json) writeJson(ctx, inspectJson(summary));
    else printSummary(ctx, summary);
    return 0;
  },
};

/**
 * What inspect --json prints: the summary, and `kvCache`, what a decoder's KV cache is (null without one), from the
 * facts the text's `KV cache` lines and the app's Model view say: a script can tell a KV decoder and how to time a
 * decode step without reading names.
 */
export function inspectJson(s: ModelSummary): ModelSummary & { kvCache: KvCacheFacts | null } {
  return { ...s, kvCache: kvCacheFacts(s.inputs) ?? null };
}

/** A declared shape, or that there is none (an empty list would read as a scalar's `[]`). */
function valueShape(value: TensorSummary): string {
  return value.rankUnknown ? 'unknown rank (no shape declared)' : formatShape(value.shape);
}

/**
 * The constant tables an input indexes, in a clause: `ids into embed_tokens.weight (32000 rows)`, and the dims
 * whose positions index one, `dim 1 at most 64 (positions into wpe)`; '' for none.
 */
function tablesOf(value: TensorSummary): string {
  const parts: string[] = [];
  if (value.indexes) parts.push(`ids into ${value.indexes.table} (${formatCount(value.indexes.rows)} rows)`);
  for (const p of value.positionTables ?? [])
    parts.push(`dim ${p.axis} at most ${formatCount(p.longest)} (positions into ${p.table})`);
  return parts.join('; ');
}
