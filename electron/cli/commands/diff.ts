import type { ModelDiff, NodeDiff } from '../../../shared/model-diff.js';
import { nodeChanged, precisionMove } from '../../../shared/node-precision.js';
import { diffModels, isUnrelatedNote } from '../../engine/diff/diff-models.js';
import { StudioError } from '../../engine/errors.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { formatBytes, formatTable, LISTED_ROWS } from '../format.js';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function nodeLine(d: NodeDiff): (string | number)[] {
  const what =
    d.change === 'fused'
      ? `fused into ${d.fusedInto}`
      : d.change === 'replaced'
        ? `now ${d.variantOpType}`
        : d.upcast
          ? 'kept, upcast'
          : d.change;
  return [d.name || '(unnamed)', d.opType, what, precisionMove(d) ?? '-'];
}

/** A table with a `Graph` column after the first one when any row is inside a subgraph (`main` for the others). */
function withGraph<T extends { graph?: string }>(
  header: string[],
  rows: T[],
  line: (row: T) => (string | number)[],
): string {
  if (!rows.some((r) => r.graph)) return formatTable(header, rows.map(line));
  return formatTable(
    [header[0]!, 'Graph', ...header.slice(1)],
    rows.map((r) => {
      const [first, ...rest] = line(r);
      return [first!, r.graph ?? 'main', ...rest];
    }),
  );
}

/**
 * What the added weights are. Quantization adds scales and zero points; the others are new parameters (another
 * model's, or constants a graph optimizer folded), so they are named rather than called scales.
 */
function addedText(w: ModelDiff['weights']): string {
  if (w.addedCount === 0) return '';
  const list = w.addedList ?? [];
  const quantization = list.filter((a) => a.quantization).length;
  const other = list.length - quantization;
  const names = (rows: typeof list) =>
    `${rows
      .slice(0, 3)
      .map((a) => a.name)
      .join(', ')}${rows.length > 3 ? ', ...' : ''}`;
  const newWeights = list.filter((a) => !a.quantization);
  const what =
    other === 0
      ? ': scales, zero points...'
      : quantization === 0
        ? `; new weights, not scales or zero points: ${names(newWeights)}`
        : `: ${quantization} scales, zero points...; ${other} new weights: ${names(newWeights)}`;
  return `; ${w.addedCount} added (${formatBytes(w.addedBytes)}${what})`;
}

function print(ctx: CliContext, diff: ModelDiff, all: boolean): void {
  const n = diff.nodes;
  const w = diff.weights;
  const cut = <T>(rows: T[]) => (all ? rows : rows.slice(0, LISTED_ROWS));
  const addedOther = Object.entries(n.added.other).map(([op, c]) => `${c} ${op}`);
  const changedNodes = [...n.list, ...(n.subgraphList ?? [])].filter(nodeChanged);
  const hasSubgraphs = n.originalWithSubgraphs !== n.original || n.variantWithSubgraphs !== n.variant;
  const changedWeights = w.list.filter((x) => x.change !== 'unchanged');
  const lines = [
    `Original  ${diff.original}`,
    `Variant   ${diff.variant}`,
    '',
    hasSubgraphs
      ? `Nodes: ${n.originalWithSubgraphs} -> ${n.variantWithSubgraphs} (main graph ${n.original} -> ${n.variant}; subgraph bodies matched under the node that holds them)`
      : `Nodes: ${n.original} -> ${n.variant}`,
    `  of the original's: ${n.byChange.kept} kept, ${n.byChange.replaced} replaced, ${n.byChange.fused} fused, ${n.byChange.removed} removed` +
      (n.upcast ? `; ${n.upcast} upcast from float16 to float32` : ''),
    `  compute in: ${
      Object.entries(n.byPrecision)
        .filter(([, c]) => c > 0)
        .map(([p, c]) => `${c} ${p}`)
        .join(', ') || '-'
    }`,
    `  added: ${n.added.quantizeDequantize} Q/DQ, ${n.added.casts} Cast${addedOther.length ? `, ${addedOther.join(', ')}` : ''}`,
    `Weights: ${formatBytes(w.bytesBefore)} -> ${formatBytes(w.bytesAfter)} (${w.bytesBefore > 0 ? pct(w.bytesAfter / w.bytesBefore) : '-'}); ` +
      `${Object.entries(w.byChange)
        .filter(([, c]) => c > 0)
        .map(([k, c]) => `${c} ${k}`)
        .join(', ')}${addedText(w)}`,
    ...(diff.notes ?? []).filter((note) => !isUnrelatedNote(note)).map((note) => `Note: ${note}`),
  ];
  if (changedNodes.length > 0) {
    lines.push(
      '',
      `Nodes that changed (${changedNodes.length}${!all && changedNodes.length > LISTED_ROWS ? `; the first ${LISTED_ROWS}, all with --all or --json` : ''}):`,
    );
    lines.push(withGraph(['Node', 'Op', 'Change', 'Computes in'], cut(changedNodes), nodeLine));
  }
  if (changedWeights.length > 0) {
    lines.push(
      '',
      `Weights that changed, largest first (${changedWeights.length}${!all && changedWeights.length > LISTED_ROWS ? `; the first ${LISTED_ROWS}` : ''}):`,
    );
    lines.push(
      withGraph(
        ['Weight', 'Change', 'Before', 'After', 'Bytes before', 'Bytes after', 'Zeros'],
        cut(changedWeights),
        (x) => [
          x.name,
          x.change,
          `${x.dtype} [${x.shape.join(', ')}]`,
          x.variantDtype ? `${x.variantDtype} [${x.variantShape!.join(', ')}]` : '-',
          formatBytes(x.bytes),
          x.variantBytes !== undefined ? formatBytes(x.variantBytes) : '-',
          x.zeros && x.zeros.before !== x.zeros.after
            ? `${pct(x.zeros.before)} -> ${pct(x.zeros.after)}`
            : '',
        ],
      ),
    );
  }
  ctx.stdout.write(`${lines.join('\n')}\n`);
}

export const diffCommand: CliCommand = {
  usage: 'onnx-studio diff ORIGINAL VARIANT [--all] [--json]',
  help: [
    'What a compression did, node by node and weight by weight: nodes kept, replaced (MatMul -> MatMulNBits),',
    'fused (a bias Add into a MatMul, a Relu into a quantization) or removed, and what each computes in',
    '(float32, float16, int8, int4); Q/DQ and Casts added; weights quantized, cast, pruned (shape) or changed in',
    'value (magnitude pruning, with the share of zeros), with bytes before and after. Graphs are matched by node',
    'and weight name, subgraph bodies (If, Loop, Scan) under the node that holds them; counts cover every graph.',
    'Warns when the two models look unrelated.',
    `  --all    print every changed node and weight (default: the first ${LISTED_ROWS} of each)`,
    '  --json   print {original, variant, nodes {..., list[], subgraphList[]}, weights {..., addedList[]}, match, notes[]}',
  ].join('\n'),
  options: { all: { type: 'boolean' } },
  async run(ctx) {
    const [original, variant, ...extra] = ctx.positionals;
    if (!original || !variant)
      throw new StudioError('BAD_REQUEST', 'diff takes two models: ORIGINAL VARIANT.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `diff takes two models, got also: ${extra.join(' ')}.`);
    const diff = await diffModels(original, variant);
    // A warning goes to stderr in text and JSON modes alike (as the input guesses of other commands do).
    for (const note of diff.notes ?? []) if (isUnrelatedNote(note)) ctx.stderr.write(`warning: ${note}\n`);
    if (ctx.json) writeJson(ctx, diff);
    else print(ctx, diff, ctx.values.all === true);
    return 0;
  },
};
