import type { ModelDiff, NodeDiff } from '../../../shared/model-diff.js';
import { diffModels } from '../../engine/diff/diff-models.js';
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
        : d.change;
  return [d.name || '(unnamed)', d.opType, what, d.precision ?? '-'];
}

function print(ctx: CliContext, diff: ModelDiff, all: boolean): void {
  const n = diff.nodes;
  const w = diff.weights;
  const cut = <T>(rows: T[]) => (all ? rows : rows.slice(0, LISTED_ROWS));
  const addedOther = Object.entries(n.added.other).map(([op, c]) => `${c} ${op}`);
  const changedNodes = n.list.filter(
    (d) => d.change !== 'kept' || (d.precision !== 'float32' && d.precision !== undefined),
  );
  const changedWeights = w.list.filter((x) => x.change !== 'unchanged');
  const lines = [
    `Original  ${diff.original}`,
    `Variant   ${diff.variant}`,
    '',
    `Nodes (main graph): ${n.original} -> ${n.variant}${n.originalWithSubgraphs !== n.original || n.variantWithSubgraphs !== n.variant ? ` (with subgraphs: ${n.originalWithSubgraphs} -> ${n.variantWithSubgraphs}; subgraph bodies are counted, not matched)` : ''}`,
    `  of the original's: ${n.byChange.kept} kept, ${n.byChange.replaced} replaced, ${n.byChange.fused} fused, ${n.byChange.removed} removed`,
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
        .join(
          ', ',
        )}${w.addedCount > 0 ? `; ${w.addedCount} added (${formatBytes(w.addedBytes)}: scales, zero points...)` : ''}`,
  ];
  if (changedNodes.length > 0) {
    lines.push(
      '',
      `Nodes that changed (${changedNodes.length}${!all && changedNodes.length > LISTED_ROWS ? `; the first ${LISTED_ROWS}, all with --all or --json` : ''}):`,
    );
    lines.push(formatTable(['Node', 'Op', 'Change', 'Computes in'], cut(changedNodes).map(nodeLine)));
  }
  if (changedWeights.length > 0) {
    lines.push(
      '',
      `Weights that changed, largest first (${changedWeights.length}${!all && changedWeights.length > LISTED_ROWS ? `; the first ${LISTED_ROWS}` : ''}):`,
    );
    lines.push(
      formatTable(
        ['Weight', 'Change', 'Before', 'After', 'Bytes before', 'Bytes after', 'Zeros'],
        cut(changedWeights).map((x) => [
          x.name,
          x.change,
          `${x.dtype} [${x.shape.join(', ')}]`,
          x.variantDtype ? `${x.variantDtype} [${x.variantShape!.join(', ')}]` : '-',
          formatBytes(x.bytes),
          x.variantBytes !== undefined ? formatBytes(x.variantBytes) : '-',
          x.zeros && x.zeros.before !== x.zeros.after
            ? `${pct(x.zeros.before)} -> ${pct(x.zeros.after)}`
            : '',
        ]),
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
    'value (magnitude pruning, with the share of zeros), with bytes before and after. Main graphs are matched by',
    'node and weight name; subgraph bodies are counted.',
    `  --all    print every changed node and weight (default: the first ${LISTED_ROWS} of each)`,
    '  --json   print {original, variant, nodes {..., list[]}, weights {..., list[]}} (docs/cli.md)',
  ].join('\n'),
  options: { all: { type: 'boolean' } },
  async run(ctx) {
    const [original, variant, ...extra] = ctx.positionals;
    if (!original || !variant)
      throw new StudioError('BAD_REQUEST', 'diff takes two models: ORIGINAL VARIANT.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `diff takes two models, got also: ${extra.join(' ')}.`);
    const diff = await diffModels(original, variant);
    if (ctx.json) writeJson(ctx, diff);
    else print(ctx, diff, ctx.values.all === true);
    return 0;
  },
};
