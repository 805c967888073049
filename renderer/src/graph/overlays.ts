/**
 * The Graph view's overlays: a colour (and a line of text for the details panel) per node id, from data the
 * backend computed — op types, the diff of a variant (shared/model-diff.ts: change and precision per node of
 * the original's main graph, in graph order, so node `i` is diff row `i`, and of its If/Loop/Scan bodies, each
 * row with its Graph view ids in both models), the quantizer's reasons, and a
 * benchmark's operator profile. Pure; the tests compare these values with the engine's.
 */
import type { BenchProfile } from '../../../shared/bench.js';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeChange, NodeDiff, NodePrecision } from '../../../shared/model-diff.js';
import type { GraphBody, GraphNode } from '../../../shared/model-graph.js';
import { nodePrecisions, type PrecisionGraph } from '../../../shared/node-precision.js';
import {
  activationFusedInto,
  fusedChain,
  fusedFrom,
  indexByOriginalName,
  mayBecome,
  nchwcOutputOf,
  ortTensorSource,
  qdqKernelFrom,
  unnamedNodeIndex,
  type FusionView,
} from '../../../shared/ort-node-names.js';
import { sensitivityFigure, type SensitivityRow } from '../../../shared/sensitivity.js';
import { opLabel, walkGraphNodes } from '../../../shared/model-graph.js';
import { changedWeightsByName, prunedChannels } from './pruned-channels.js';

export type OverlayKind = 'op' | 'precision' | 'change' | 'heat' | 'sensitivity';

export interface NodeMark {
  color: string;
  /** What the colour means for this node, e.g. `int8 (MatMulInteger)` or `stayed float32: too small`. */
  text: string;
}

export interface Overlay {
  marks: Map<string, NodeMark>;
  legend: { color: string; text: string }[];
  /** A line under the legend about what no node shows (e.g. kernel time on no node of the model). */
  note?: string;
  /**
   * The change overlays only: the nodes that lost channels (structured pruning), by id, with how many
   * (`128 → 96 output channels`), for the diff table.
   */
  pruned?: Map<string, string>;
}

/**
 * The op-type colours, handed out by frequency: light enough for the dark label text drawn on the boxes
 * (CIELAB L* 60 or more: 5:1 with it) and at least OP_COLOR_DISTANCE apart, so the commonest op types are
 * never one hue (Conv's #ffb703 and Flatten's #f9c74f were two yellows, ΔE 19.5).
 */
export const OP_PALETTE = [
  '#8ecae6',
  '#ffb703',
  '#90be6d',
  '#f4a3a8',
  '#9696f0',
  '#e1875a',
  '#1eb487',
  '#e178b4',
  '#00a5f0',
  '#e1c3f0',
  '#96d2b4',
  '#00e1e1',
] as const;
/**
 * How far apart (ΔE 1976) two op types' colours are: more than the charts' MIN_SERIES_DISTANCE, since ΔE 1976
 * overstates how different two saturated yellows look, and small boxes show less of their colour than a bar.
 */
export const OP_COLOR_DISTANCE = 25;
const OTHER = '#c8c8c8';

export const CHANGE_COLORS: Record<NodeChange, string> = {
  kept: '#b9d7b0',
  replaced: '#6fa8dc',
  fused: '#b48ad6',
  removed: '#e06666',
};

/**
 * A kept node that lost channels (structured pruning): its own colour, or a pruned model showed every node as
 * plainly 'kept'.
 */
export const PRUNED_COLOR = '#e6c229';

/**
 * A kept node that computed in float16 and computes in float32 in the variant (`upcast`): its own colour, or it
 * read as a node the compression left alone. An orange darker than float16's, apart from every change colour.
 */
export const UPCAST_COLOR = '#d9822b';

/**
 * A kept If, Loop or Scan whose bodies changed: drawn collapsed, it read as 'kept' while both its branches were
 * replaced. A teal apart from every change colour.
 */
export const CHANGED_INSIDE_COLOR = '#3fbfbf';

/** What an upcast node's mark says, in both change overlays (the diff table says `kept, upcast`, as the CLI). */
export const UPCAST_TEXT = 'kept, upcast: float16 → float32';

export const PRECISION_COLORS: Record<NodePrecision, string> = {
  float32: '#d9d9d9',
  float16: '#f6b26b',
  int8: '#6fa8dc',
  int4: '#8e7cc3',
  other: '#fff2a8',
};

/**
 * The precision overlay's "fused or removed": a mid grey, darker than float32's pale one. It was #c8c8c8,
 * almost float32's #d9d9d9 (ΔE 6), so a fused Relu read as a float32 Add; the test keeps it at least
 * MIN_SERIES_DISTANCE from every precision colour. Dark node text stays readable on it (5:1).
 */
export const PRECISION_GONE_COLOR = '#8c8c8c';

/** At most this many op types are named in the "other" entry of the op-type legend; the rest are counted. */
const OTHER_NAMES = 10;

/**
 * Op types by frequency get the palette in order (the commonest are told apart best). With more op types than
 * the palette has colours, the commonest but one get theirs and the rest are grey, one legend entry naming them
 * (the Model view's op chart folds its rest the same way): a colour is never given to two op types.
 */
export function opTypeOverlay(graph: GraphBody): Overlay {
  const counts = new Map<string, number>();
  // Of each count, the nodes inside If/Loop/Scan bodies: said in the entry, or its total read as the main graph's.
  const inBodies = new Map<string, number>();
  const labels = new Map<string, string>();
  const visit = (body: GraphBody, nested: boolean) => {
    for (const n of body.nodes) {
      const label = opLabel(n);
      labels.set(n.id, label);
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (nested) inBodies.set(label, (inBodies.get(label) ?? 0) + 1);
      for (const s of n.subgraphs ?? []) visit(s.graph, true);
    }
  };
  visit(graph, false);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = ranked.length <= OP_PALETTE.length ? ranked : ranked.slice(0, OP_PALETTE.length - 1);
  const rest = ranked.slice(shown.length);
  const colorOf = new Map<string, string>(shown.map(([label], i) => [label, OP_PALETTE[i]!]));
  const marks = new Map<string, NodeMark>();
  for (const [id, label] of labels) marks.set(id, { color: colorOf.get(label) ?? OTHER, text: label });
  const legend = shown.map(([label, n]) => ({
    color: colorOf.get(label)!,
    text: `${label} (${opCountText(n, inBodies.get(label) ?? 0)})`,
  }));
  if (rest.length > 0) {
    const names = rest.slice(0, OTHER_NAMES).map(([label]) => label);
    if (rest.length > OTHER_NAMES) names.push(`and ${rest.length - OTHER_NAMES} more`);
    legend.push({ color: OTHER, text: `other (${rest.length} types: ${names.join(', ')})` });
  }
  return { marks, legend };
}

/**
 * An op-type legend count: `4`, `4 incl. 1 in subgraphs` when some of them are inside If/Loop/Scan bodies, `1 in
 * subgraphs` when all are.
 */
export function opCountText(total: number, inSubgraphs: number): string {
  if (inSubgraphs === 0) return String(total);
  return inSubgraphs === total ? `${total} in subgraphs` : `${total} incl. ${inSubgraphs} in subgraphs`;
}

/**
 * The original's nodes with their Graph view ids: node `i` of the main graph is `diff.nodes.list[i]` (the diff
 * lists every node in graph order), a node inside a subgraph carries its id (`1/body/0`). Both are coloured, as
 * the legend's counts (`byChange`, `byPrecision`) cover every graph.
 */
function originalRows(diff: VariantDiff): [string, NodeDiff][] {
  const rows: [string, NodeDiff][] = diff.nodes.list.map((row, i) => [String(i), row]);
  const ids = bodyRowIds(diff, 'original');
  (diff.nodes.subgraphList ?? []).forEach((row, i) => {
    if (ids[i] !== undefined) rows.push([ids[i], row]);
  });
  return rows;
}

/**
 * The Graph view id of each `subgraphList` row's node on one side: the original's own (`id`), or on the
 * variant's graph the node it became (`variantId`; none for a removed node, which has no box there).
 */
export function bodyRowIds(diff: VariantDiff, side: 'original' | 'variant'): (string | undefined)[] {
  return (diff.nodes.subgraphList ?? []).map((row) =>
    side === 'original' ? row.id : row.change === 'removed' ? undefined : row.variantId,
  );
}

/** Nodes by Graph view id, bodies included. */
const nodesById = (graph: GraphBody) => new Map(everyNode(graph).map((n) => [n.id, n]));

/**
 * The change overlay on the original's graph. With the graph (whose nodes name the weights they read), a kept
 * node whose weights lost channels is shown and counted as pruned, with how many; the diff rows alone cannot
 * tell (pruning keeps every node).
 */
export function changeOverlay(diff: VariantDiff, graph?: GraphBody): Overlay {
  const marks = new Map<string, NodeMark>();
  const pruned = new Map<string, string>();
  const changed = new Map<string, ChangeWord>();
  const nodes = graph ? nodesById(graph) : undefined;
  const weights = changedWeightsByName(diff, 'original');
  originalRows(diff).forEach(([id, row]) => {
    const node = nodes?.get(id);
    const channels = node && row.change !== 'removed' ? prunedChannels(node, weights) : undefined;
    if (channels) pruned.set(id, channels);
    const text =
      row.change === 'replaced'
        ? `replaced by ${row.variantOpType}`
        : row.change === 'fused'
          ? `fused into ${row.fusedInto ?? 'another node'}`
          : row.change;
    if (row.change !== 'kept') changed.set(id, row.change);
    else if (channels) changed.set(id, 'pruned');
    else if (row.upcast) changed.set(id, 'upcast');
    if (channels && row.change === 'kept')
      marks.set(id, { color: PRUNED_COLOR, text: `pruned: ${channels}` });
    else if (row.change === 'kept' && row.upcast) marks.set(id, { color: UPCAST_COLOR, text: UPCAST_TEXT });
    else
      marks.set(id, {
        color: CHANGE_COLORS[row.change],
        text: channels ? `${text}; pruned: ${channels}` : text,
      });
  });
  const prunedKept = [...marks.values()].filter((m) => m.color === PRUNED_COLOR).length;
  const upcastKept = [...marks.values()].filter((m) => m.color === UPCAST_COLOR).length;
  const insideKept = graph ? markChangedInside(graph, marks, changed) : 0;
  return {
    marks,
    legend: changeLegend(diff.nodes.byChange, prunedKept, upcastKept, insideKept),
    ...(graph ? { pruned } : {}),
  };
}

/** What a node that changed is called in its holder's summary (`changed inside: 2 replaced, 4 added`). */
type ChangeWord = Exclude<NodeChange, 'kept'> | 'pruned' | 'upcast' | "took fused nodes' work" | 'added';
const CHANGE_WORD_ORDER: readonly ChangeWord[] = [
  'replaced',
  "took fused nodes' work",
  'fused',
  'removed',
  'pruned',
  'upcast',
  'added',
];

/**
 * A kept If, Loop or Scan whose bodies changed, drawn collapsed, read as a node the variant left alone: it gets
 * CHANGED_INSIDE_COLOR and says what changed in its bodies, all levels down (`kept; changed inside: 2
 * replaced`); a holder that changed itself keeps its colour and says it too. Returns how many kept holders were
 * recoloured (the legend moves them from 'kept' to an entry of their own).
 */
function markChangedInside(
  graph: GraphBody,
  marks: Map<string, NodeMark>,
  changed: ReadonlyMap<string, ChangeWord>,
): number {
  let recoloured = 0;
  const visit = (body: GraphBody): Map<ChangeWord, number> => {
    const counts = new Map<ChangeWord, number>();
    const add = (word: ChangeWord, n: number) => counts.set(word, (counts.get(word) ?? 0) + n);
    for (const node of body.nodes) {
      const own = changed.get(node.id);
      if (own) add(own, 1);
      if (!node.subgraphs) continue;
      const inside = new Map<ChangeWord, number>();
      for (const sub of node.subgraphs)
        for (const [word, n] of visit(sub.graph)) inside.set(word, (inside.get(word) ?? 0) + n);
      for (const [word, n] of inside) add(word, n);
      const mark = marks.get(node.id);
      if (inside.size === 0 || !mark) continue;
      const words = CHANGE_WORD_ORDER.filter((w) => inside.has(w))
        .map((w) => `${inside.get(w)!} ${w}`)
        .join(', ');
      if (mark.color === CHANGE_COLORS.kept) {
        recoloured++;
        marks.set(node.id, { color: CHANGED_INSIDE_COLOR, text: `kept; changed inside: ${words}` });
      } else marks.set(node.id, { ...mark, text: `${mark.text}; changed inside: ${words}` });
    }
    return counts;
  };
  visit(graph);
  return recoloured;
}

/**
 * The legend by change; kept nodes that lost channels, kept nodes upcast to float32 and kept nodes whose bodies
 * changed are entries of their own when there are any.
 */
function changeLegend(
  byChange: Record<NodeChange, number>,
  prunedKept: number,
  upcastKept: number,
  insideKept: number,
) {
  return (Object.keys(CHANGE_COLORS) as NodeChange[]).flatMap((c) => {
    const entry = {
      color: CHANGE_COLORS[c],
      text: `${c} (${byChange[c] - (c === 'kept' ? prunedKept + upcastKept + insideKept : 0)})`,
    };
    if (c !== 'kept') return [entry];
    return [entry, ...keptKinds(prunedKept, upcastKept, insideKept)];
  });
}

/** The legend entries of the kinds of kept nodes that changed all the same. */
const keptKinds = (pruned: number, upcast: number, inside: number) => [
  ...(pruned > 0 ? [{ color: PRUNED_COLOR, text: `kept, channels pruned (${pruned})` }] : []),
  ...(upcast > 0 ? [{ color: UPCAST_COLOR, text: `kept, upcast to float32 (${upcast})` }] : []),
  ...(inside > 0
    ? [{ color: CHANGED_INSIDE_COLOR, text: `kept, changed inside its bodies (${inside})` }]
    : []),
];

/**
 * A node's precision in words: a Cast says what it casts to, an upcast node what it computed in before (the
 * colour alone would read as a float32 node left alone).
 */
function precisionWords(precision: NodePrecision, opType: string, upcast: boolean | undefined): string {
  if (upcast) return 'float32, was float16 (upcast)';
  return opType === 'Cast' && precision !== 'other' ? `cast to ${precision}` : precision;
}

/** The precision legend's words: `other` is what computes in no float or integer precision of its own. */
const precisionLegendWord = (p: NodePrecision) => (p === 'other' ? 'Q/DQ, integer Cast' : p);

/**
 * What each node of the original computes in once compressed. Nodes that stayed float say why when the
 * quantizer gave a reason; fused and removed nodes compute nothing of their own.
 */
export function precisionOverlay(diff: VariantDiff): Overlay {
  const reasons = new Map(diff.skippedNodes.map((s) => [s.name, s.reason]));
  const marks = new Map<string, NodeMark>();
  originalRows(diff).forEach(([id, row]) => {
    if (!row.precision) {
      marks.set(id, {
        color: PRECISION_GONE_COLOR,
        text: row.change === 'fused' ? `fused into ${row.fusedInto ?? 'another node'}` : 'removed',
      });
      return;
    }
    const reason = reasons.get(row.name);
    const via = row.variantOpType && row.variantOpType !== row.opType ? ` (${row.variantOpType})` : '';
    const text =
      reason && row.precision === 'float32'
        ? `stayed float32: ${reason}`
        : `${precisionWords(row.precision, row.variantOpType ?? row.opType, row.upcast)}${via}`;
    marks.set(id, { color: PRECISION_COLORS[row.precision], text });
  });
  const legend = (Object.keys(PRECISION_COLORS) as NodePrecision[]).map((p) => ({
    color: PRECISION_COLORS[p],
    text: `${precisionLegendWord(p)} (${diff.nodes.byPrecision[p]})`,
  }));
  // Counted like the other rows (every graph): fused and removed nodes are those with no precision.
  const gone = diff.nodes.byChange.fused + diff.nodes.byChange.removed;
  return { marks, legend: [...legend, { color: PRECISION_GONE_COLOR, text: `fused or removed (${gone})` }] };
}

/** The variant's own nodes, which the original had no name for (Q/DQ, Casts, new ops). */
export const ADDED_COLOR = '#f9cb9c';

/**
 * The variant node each diff row became, as an id of the variant's graph (undefined for a removed node, or one
 * whose variant node cannot be told by name). Mirrors electron/engine/diff/diff-models.ts: a kept or replaced
 * node has its name in the variant, or names an onnxruntime fusion `X/...Fusion`; a fused node's `fusedInto`
 * is the name of the variant node that took its work.
 */
export function variantNodeIds(variant: GraphBody, diff: VariantDiff): (string | undefined)[] {
  const byName = new Map<string, string>();
  for (const n of variant.nodes) if (n.name) byName.set(n.name, n.id);
  const byOriginalName = new Map(byName);
  const fused = new Map<string, GraphNode>();
  indexByOriginalName(variant.nodes, (n) => n.name, fused);
  for (const [name, n] of fused) if (!byOriginalName.has(name)) byOriginalName.set(name, n.id);
  return diff.nodes.list.map((row) => {
    // The engine says which node it became (unnamed nodes have no other way); names serve older diffs.
    if (row.change !== 'removed' && row.variantIndex !== undefined) return String(row.variantIndex);
    if (row.change === 'kept' || row.change === 'replaced') return byOriginalName.get(row.name);
    if (row.change === 'fused' && row.fusedInto)
      return byName.get(row.fusedInto) ?? byOriginalName.get(row.fusedInto);
    return undefined;
  });
}

/**
 * The diff's kept and replaced rows by the variant node they became, subgraph bodies included: a body row
 * names its variant node by `variantId` (the variant's ids differ from the original's once it adds nodes).
 */
function rowsByVariantNode(variant: GraphBody, diff: VariantDiff) {
  const ids = variantNodeIds(variant, diff);
  const own = new Map<string, NodeDiff>();
  const took = new Map<string, string[]>();
  const add = (row: NodeDiff, id: string | undefined) => {
    if (id === undefined) return;
    if (row.change === 'fused') took.set(id, [...(took.get(id) ?? []), row.name || row.opType]);
    else own.set(id, row);
  };
  diff.nodes.list.forEach((row, i) => add(row, ids[i]));
  const bodyIds = bodyRowIds(diff, 'variant');
  (diff.nodes.subgraphList ?? []).forEach((row, i) => add(row, bodyIds[i]));
  return { own, took };
}

/** Every node of a graph, those of its If/Loop/Scan bodies included. */
const everyNode = (graph: GraphBody) => [...walkGraphNodes(graph)].map((w) => w.node);

/** The variant's nodes a diff can speak for: a diff without `subgraphList` has no rows for the bodies. */
const diffedNodes = (variant: GraphBody, diff: VariantDiff) =>
  diff.nodes.subgraphList ? everyNode(variant) : variant.nodes;

/**
 * The change overlay drawn on the variant's own graph: each of its nodes, bodies included, is an original node
 * kept or replaced, one that took the work of fused nodes, or one the variant added. Removed and fused nodes
 * have no box here; the legend counts them and the diff table lists them.
 */
export function variantChangeOverlay(variant: GraphBody, diff: VariantDiff): Overlay {
  const { own, took } = rowsByVariantNode(variant, diff);
  const weights = changedWeightsByName(diff, 'variant');
  const marks = new Map<string, NodeMark>();
  const pruned = new Map<string, string>();
  const counts = { kept: 0, pruned: 0, upcast: 0, replaced: 0, fused: 0, added: 0 };
  const changed = new Map<string, ChangeWord>();
  for (const n of diffedNodes(variant, diff)) {
    const row = own.get(n.id);
    const absorbed = took.get(n.id);
    const tookWork = absorbed ? `took the work of fused ${absorbed.join(', ')}` : '';
    // The variant's own weights, under the names they became: a pruned Conv reads its smaller W here.
    const channels = row ? prunedChannels(n, weights) : undefined;
    if (channels) pruned.set(n.id, channels);
    const cut = channels ? `; pruned: ${channels}` : '';
    // A node that took fused nodes' work is shown (and counted) as such, kept or replaced itself or not: the
    // int8-static Conv whose Relu was folded into its quantization is the node the diff table names.
    if (absorbed) {
      counts.fused++;
      changed.set(n.id, "took fused nodes' work");
      const own = !row ? '' : row.change === 'kept' ? 'kept; ' : `replaced ${row.opType}; `;
      marks.set(n.id, { color: CHANGE_COLORS.fused, text: own + tookWork + cut });
    } else if (row && row.change === 'kept' && channels) {
      counts.pruned++;
      changed.set(n.id, 'pruned');
      marks.set(n.id, { color: PRUNED_COLOR, text: `pruned: ${channels}` });
    } else if (row && row.change === 'kept' && row.upcast) {
      counts.upcast++;
      changed.set(n.id, 'upcast');
      marks.set(n.id, { color: UPCAST_COLOR, text: UPCAST_TEXT });
    } else if (row) {
      const change = row.change as 'kept' | 'replaced';
      counts[change]++;
      if (change === 'replaced') changed.set(n.id, 'replaced');
      marks.set(n.id, {
        color: CHANGE_COLORS[change],
        text: (change === 'kept' ? 'kept' : `replaced ${row.opType}`) + cut,
      });
    } else {
      counts.added++;
      changed.set(n.id, 'added');
      marks.set(n.id, { color: ADDED_COLOR, text: 'added by the variant' });
    }
  }
  // Only bodies the diff has rows for (`subgraphList`) are coloured, and so can have changed.
  const inside = diff.nodes.subgraphList ? markChangedInside(variant, marks, changed) : 0;
  return {
    marks,
    pruned,
    legend: [
      { color: CHANGE_COLORS.kept, text: `kept (${counts.kept - inside})` },
      ...keptKinds(counts.pruned, counts.upcast, inside),
      { color: CHANGE_COLORS.replaced, text: `replaced (${counts.replaced})` },
      { color: CHANGE_COLORS.fused, text: `took fused nodes' work (${counts.fused})` },
      { color: ADDED_COLOR, text: `added by the variant (${counts.added})` },
      {
        color: CHANGE_COLORS.removed,
        text: `removed (${diff.nodes.byChange.removed}) and fused (${diff.nodes.byChange.fused}): not in this graph, see the table`,
      },
    ],
  };
}

const castsTo = (node: GraphNode, dtype: string) =>
  node.opType === 'Cast' && node.attributes.some((a) => a.name === 'to' && a.value === dtype);

/** Graphs as the graph JSON has them, seen by the shared precision rule (shared/node-precision.ts). */
const jsonPrecisionGraph = (graph: GraphBody): PrecisionGraph<GraphNode> => ({
  halfWeights: Object.entries(graph.weights)
    .filter(([, w]) => w.dtype === 'float16')
    .map(([name]) => name),
  nodes: graph.nodes,
  outputs: graph.outputs,
});

/**
 * What each node of a graph and of its bodies computes in (by node id), for the variant nodes the diff has no row
 * for: the engine's rule (shared/node-precision.ts) on the graph JSON.
 */
export function graphPrecisions(graph: GraphBody): Map<string, NodePrecision> {
  // A Constant's value is listed among its graph's weights under its output's name.
  const halfConstants = new Set<GraphNode>();
  const collect = (body: GraphBody): void => {
    for (const node of body.nodes) {
      if (node.opType === 'Constant' && node.outputs.some((o) => body.weights[o]?.dtype === 'float16'))
        halfConstants.add(node);
      for (const sub of node.subgraphs ?? []) collect(sub.graph);
    }
  };
  collect(graph);
  const byNode = nodePrecisions(jsonPrecisionGraph(graph), {
    view: (node) => ({
      opType: node.opType,
      inputs: node.inputs,
      outputs: node.outputs,
      holdsHalf: halfConstants.has(node),
      // TensorProto FLOAT16 is 10, FLOAT 1; attributes arrive as text.
      castsToHalf: castsTo(node, '10'),
      castsToFloat: castsTo(node, '1'),
    }),
    bodies: (node) => (node.subgraphs ?? []).map((sub) => jsonPrecisionGraph(sub.graph)),
  });
  return new Map([...byNode].map(([node, precision]) => [node.id, precision]));
}

/**
 * The precision overlay drawn on the variant's own graph: what each of its nodes, bodies included, computes in,
 * the engine's word for the nodes the diff matched to the original and the same rules for those the variant
 * added; a node the quantizer left in float says why.
 */
export function variantPrecisionOverlay(variant: GraphBody, diff: VariantDiff): Overlay {
  const { own } = rowsByVariantNode(variant, diff);
  const reasons = new Map(diff.skippedNodes.map((s) => [s.name, s.reason]));
  const local = graphPrecisions(variant);
  const counts: Record<NodePrecision, number> = { float32: 0, float16: 0, int8: 0, int4: 0, other: 0 };
  const marks = new Map<string, NodeMark>();
  for (const n of diffedNodes(variant, diff)) {
    const row = own.get(n.id);
    const precision = row?.precision ?? local.get(n.id)!;
    counts[precision]++;
    const reason = row && reasons.get(row.name);
    const how = !row ? ', added by the variant' : row.opType !== n.opType ? `, was ${row.opType}` : '';
    const text =
      reason && precision === 'float32'
        ? `stayed float32: ${reason}`
        : `${precisionWords(precision, n.opType, row?.upcast)}${how}`;
    marks.set(n.id, { color: PRECISION_COLORS[precision], text });
  }
  const legend = (Object.keys(PRECISION_COLORS) as NodePrecision[]).map((p) => ({
    color: PRECISION_COLORS[p],
    text: `${precisionLegendWord(p)} (${counts[p]})`,
  }));
  return { marks, legend };
}

/** Nodes by a key of theirs, bodies included: names and output names are unique only by convention. */
function nodesBy(graph: GraphBody, keys: (n: GraphNode) => readonly string[]): Map<string, GraphNode[]> {
  const index = new Map<string, GraphNode[]>();
  for (const n of everyNode(graph)) {
    for (const key of keys(n)) {
      if (!key) continue;
      const same = index.get(key);
      if (same) same.push(n);
      else index.set(key, [n]);
    }
  }
  return index;
}

/**
 * The model's nodes a profile entry (a kernel onnxruntime ran) stands for, and what to say about the match.
 * Kernels keep their node's name, except those of onnxruntime's rewrites: a fused node `X/...Fusion` is named
 * after the node X it started from, a QDQ group turned into one int8 kernel (QLinearConv, QLinearAdd) `X_token_N`
 * after its node X, and an NCHWc node after the tensor it writes, which after a fusion is
 * the last fused node's output (a Conv fused with its BatchNormalization and Relu writes the Relu's output), so
 * the node of the kernel's op type is looked for back along the ops onnxruntime fuses into it (`fusedChain`).
 * A kernel of a node the
 * model left unnamed carries the node's index among the main graph's nodes onnxruntime kept (`ReduceMean_9`:
 * `mainNodes`, the graph's nodes less its Constants). An activation fusion (`fused X`, a FusedGemm) ran X and the
 * one activation reading X's output (`byInput`), which the note names as the NCHWc Conv's fused Relu is named.
 */
function profileTargets(
  entry: { name: string; opType: string },
  byName: Map<string, GraphNode[]>,
  fusion: {
    byOutput: Map<string, GraphNode[]>;
    byInput: Map<string, GraphNode[]>;
    view: FusionView<GraphNode>;
  },
  mainNodes: readonly GraphNode[],
): { nodes: GraphNode[]; note: string; sharedBy: string } | undefined {
  const narrow = (nodes: GraphNode[]) => {
    // A FusedGemm kernel is of another op type than its Gemm: the node it may have been made of counts as its.
    const sameOp = nodes.filter((n) => mayBecome(n.opType, entry.opType));
    return sameOp.length > 0 ? sameOp : nodes;
  };
  const lookUp = (name: string | undefined) => (name === undefined ? undefined : byName.get(name));
  const named = lookUp(entry.name) ?? lookUp(fusedFrom(entry.name)) ?? lookUp(qdqKernelFrom(entry.name));
  if (named) {
    const nodes = narrow(named);
    const fused = new Set<string>();
    if (!byName.has(entry.name) && activationFusedInto(entry.name) !== undefined) {
      for (const n of nodes) {
        const readers = fusion.byInput.get(n.outputs[0] ?? '') ?? [];
        if (readers.length === 1) fused.add(readers[0]!.opType);
      }
    }
    return { nodes, note: fusedNote(fused), sharedBy: `named '${named[0]!.name}'` };
  }
  const index = unnamedNodeIndex(entry.name, entry.opType);
  const unnamed = index === undefined ? undefined : mainNodes[index];
  if (unnamed && unnamed.name === '' && unnamed.opType === entry.opType)
    return { nodes: [unnamed], note: '', sharedBy: '' };
  const written = nchwcOutputOf(entry.name);
  if (written === undefined) return undefined;
  // A float16 model's Conv runs in float32 between Casts onnxruntime inserts: its kernel writes
  // `InsertedPrecisionFreeCast_<tensor>`.
  const tensor = fusion.byOutput.has(written)
    ? written
    : (ortTensorSource(written, (t) => fusion.byOutput.has(t))?.name ?? written);
  const producers = fusion.byOutput.get(tensor);
  if (!producers) return undefined;
  const nodes: GraphNode[] = [];
  const fused = new Set<string>();
  for (const producer of producers) {
    if (producer.opType === entry.opType) {
      nodes.push(producer);
      continue;
    }
    // The ops fused into the kernel's node lead back to it (a Conv's BatchNormalization and Relu), as the
    // engine follows them to name the node (electron/engine/bench/kernel-nodes.ts), which older profiles lack.
    const chain = fusedChain(producer, fusion.view);
    const at = chain.findIndex((n) => mayBecome(n.opType, entry.opType));
    const kernelNode = at >= 0 ? chain[at] : undefined;
    for (const n of at >= 0 ? chain.slice(at + 1) : []) fused.add(n.opType);
    nodes.push(kernelNode ?? producer);
  }
  return { nodes, note: fusedNote(fused), sharedBy: `writing '${tensor}'` };
}

/** `, with the BatchNormalization and Relu after it fused in by onnxruntime`, or '' for a kernel of one node. */
function fusedNote(fused: ReadonlySet<string>): string {
  const ops = [...fused];
  if (ops.length === 0) return '';
  const words = ops.length === 1 ? ops[0]! : `${ops.slice(0, -1).join(', ')} and ${ops.at(-1)!}`;
  return `, with the ${words} after it fused in by onnxruntime`;
}

/**
 * White to red by share of the kernel time. A profile entry is one (name, op type) pair, so nodes that share
 * both are one entry: each of them shows the entry's time and says it is shared, rather than the first one
 * taking it all. Kernels that match no node (layout reorders onnxruntime adds) are counted in the legend.
 */
export function heatOverlay(graph: GraphBody, profile: BenchProfile): Overlay {
  // onnxruntime profiles the nodes of If/Loop/Scan bodies under their own names too.
  const byName = nodesBy(graph, (n) => [n.name]);
  const byOutput = nodesBy(graph, (n) => n.outputs);
  const byInput = nodesBy(graph, (n) => n.inputs);
  const fusion = {
    byOutput,
    byInput,
    view: {
      opType: (n: GraphNode) => n.opType,
      inputs: (n: GraphNode) => n.inputs,
      output: (n: GraphNode) => n.outputs[0],
      producer: (tensor: string) => byOutput.get(tensor)?.[0],
      readers: (tensor: string) => byInput.get(tensor)?.length ?? 0,
    },
  };
  // onnxruntime turns Constant nodes into initializers as it loads a model, then numbers the nodes left.
  const ortNodes = graph.nodes.filter((n) => !(n.opType === 'Constant' && n.domain === ''));
  const total = profile.byOpType.reduce((s, o) => s + o.ms, 0);
  const perNode = new Map<string, { ms: number; notes: string[] }>();
  const unmatched = { ms: 0, ops: new Set<string>() };
  // Profiles recorded before `nodes` existed list the ten slowest only.
  for (const entry of profile.nodes ?? profile.topNodes) {
    const found = profileTargets(entry, byName, fusion, ortNodes);
    if (!found) {
      unmatched.ms += entry.ms;
      unmatched.ops.add(entry.opType);
      continue;
    }
    const shared =
      found.nodes.length > 1
        ? `, shared by the ${found.nodes.length} nodes ${found.sharedBy} (the profile cannot tell them apart)`
        : '';
    for (const node of found.nodes) {
      const acc = perNode.get(node.id) ?? { ms: 0, notes: [] };
      acc.ms += entry.ms;
      if (found.note || shared) acc.notes.push(`${found.note}${shared}`);
      perNode.set(node.id, acc);
    }
  }
  const marks = new Map<string, NodeMark>();
  if (total > 0) {
    for (const [id, { ms, notes }] of perNode) {
      const share = ms / total;
      const level = Math.min(1, share * 4); // a node with a quarter of the time or more is full red
      const g = Math.round(235 - 175 * level);
      marks.set(id, {
        color: `rgb(245, ${g}, ${g})`,
        text: `${ms.toFixed(3)} ms a run (${(100 * share).toFixed(1)}% of kernel time)${notes.join('')}`,
      });
    }
  }
  const legend = [
    { color: 'rgb(245, 235, 235)', text: 'little time' },
    { color: 'rgb(245, 60, 60)', text: '25% of kernel time or more' },
    { color: OTHER, text: profile.nodes ? 'no kernel time' : 'not among the profile’s ten slowest nodes' },
  ];
  // Kernels onnxruntime makes from unnamed nodes (`_token_3`, `QLinearMatMul_24`) name no node either.
  const unnamed = [...everyNode(graph)].some((n) => n.name === '');
  const note =
    unmatched.ms > 0 && total > 0
      ? `${(100 * (unmatched.ms / total)).toFixed(1)}% of kernel time went to kernels onnxruntime added ` +
        (unnamed ? 'or made from nodes the model left unnamed ' : '') +
        `(${[...unmatched.ops].sort().join(', ')}), on no node of the model${unnamed ? ' it can name' : ''}.`
      : undefined;
  return { marks, legend, ...(note ? { note } : {}) };
}

/**
 * Per-node sensitivity from an Auto-optimize run (shared/sensitivity.ts): white to red by the SQNR a node loses
 * in int8, against the largest drop. The rows name nodes of the optimized QDQ graph; onnxruntime's fusions
 * name a fused node `X/...Fusion` after the original node X, so that suffix is dropped to find it.
 */
export function sensitivityOverlay(graph: GraphBody, rows: readonly SensitivityRow[]): Overlay {
  // int8-static quantizes the main graph only, so a name a body node repeats means the main graph's node.
  const idByName = new Map<string, string>();
  for (const n of graph.nodes) if (n.name && !idByName.has(n.name)) idByName.set(n.name, n.id);
  for (const { node: n } of walkGraphNodes(graph))
    if (n.name && !idByName.has(n.name)) idByName.set(n.name, n.id);
  const worst = Math.max(0, ...rows.map((r) => r.dropDb ?? 0));
  const marks = new Map<string, NodeMark>();
  rows.forEach((row, rank) => {
    const id = idByName.get(row.node) ?? idByName.get(fusedFrom(row.node) ?? row.node);
    if (!id) return;
    const level = worst > 0 ? Math.max(0, Math.min(1, (row.dropDb ?? 0) / worst)) : 0;
    const g = Math.round(235 - 175 * level);
    marks.set(id, {
      color: `rgb(245, ${g}, ${g})`,
      text: `sensitivity rank ${rank + 1}: loses ${sensitivityFigure(row, 'dropDb')} dB in int8 (local SQNR ${sensitivityFigure(row, 'localSqnrDb')}${row.localSqnrDb === null ? '' : ' dB'})`,
    });
  });
  return {
    marks,
    legend: [
      { color: 'rgb(245, 235, 235)', text: 'little loss' },
      { color: 'rgb(245, 60, 60)', text: `the largest drop (${worst.toFixed(1)} dB)` },
      { color: OTHER, text: 'not ranked (not run in int8 by int8-static)' },
    ],
  };
}

export const NO_MARK: NodeMark = { color: OTHER, text: '' };
