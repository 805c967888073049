/**
 * The Graph view's overlays: a colour (and a line of text for the details panel) per node id, from data the
 * backend computed — op types, the diff of a variant (shared/model-diff.ts: change and precision per node of
 * the original's main graph, in graph order, so node `i` is diff row `i`), the quantizer's reasons, and a
 * benchmark's operator profile. Pure; the tests compare these values with the engine's.
 */
import type { BenchProfile } from '../../../shared/bench.js';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeChange, NodePrecision } from '../../../shared/model-diff.js';
import type { GraphBody } from '../../../shared/model-graph.js';
import type { SensitivityRow } from '../../../shared/sensitivity.js';
import { opLabel } from '../../../shared/model-graph.js';

export type OverlayKind = 'op' | 'precision' | 'change' | 'heat' | 'sensitivity';

export interface NodeMark {
  color: string;
  /** What the colour means for this node, e.g. `int8 (MatMulInteger)` or `stayed float32: too small`. */
  text: string;
}

export interface Overlay {
  marks: Map<string, NodeMark>;
  legend: { color: string; text: string }[];
}

/** Distinct, mid-lightness hues, readable with dark text in both themes. */
const OP_PALETTE = [
  '#8ecae6',
  '#ffb703',
  '#90be6d',
  '#f4a3a8',
  '#b8a9e0',
  '#f9c74f',
  '#76c7b7',
  '#e5a96b',
  '#a3c4f3',
  '#d4a5c9',
  '#c2d67a',
  '#f28482',
];
const OTHER = '#c8c8c8';

export const CHANGE_COLORS: Record<NodeChange, string> = {
  kept: '#b9d7b0',
  replaced: '#6fa8dc',
  fused: '#b48ad6',
  removed: '#e06666',
};

export const PRECISION_COLORS: Record<NodePrecision, string> = {
  float32: '#d9d9d9',
  float16: '#f6b26b',
  int8: '#6fa8dc',
  int4: '#8e7cc3',
  other: '#fff2a8',
};

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** Op types by frequency get the palette in order (the commonest are told apart best); the rest a hash colour. */
export function opTypeOverlay(graph: GraphBody): Overlay {
  const counts = new Map<string, number>();
  const labels = new Map<string, string>();
  const visit = (body: GraphBody) => {
    for (const n of body.nodes) {
      const label = opLabel(n);
      labels.set(n.id, label);
      counts.set(label, (counts.get(label) ?? 0) + 1);
      for (const s of n.subgraphs ?? []) visit(s.graph);
    }
  };
  visit(graph);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const colorOf = new Map(
    ranked.map(([label], i) => [label, OP_PALETTE[i] ?? OP_PALETTE[hash(label) % OP_PALETTE.length]!]),
  );
  const marks = new Map<string, NodeMark>();
  for (const [id, label] of labels) marks.set(id, { color: colorOf.get(label)!, text: label });
  const legend = ranked
    .slice(0, 10)
    .map(([label, n]) => ({ color: colorOf.get(label)!, text: `${label} (${n})` }));
  return { marks, legend };
}

/** Node `i` of the original's main graph is `diff.nodes.list[i]` (the diff lists every node in graph order). */
export function changeOverlay(diff: VariantDiff): Overlay {
  const marks = new Map<string, NodeMark>();
  diff.nodes.list.forEach((row, i) => {
    const text =
      row.change === 'replaced'
        ? `replaced by ${row.variantOpType}`
        : row.change === 'fused'
          ? `fused into ${row.fusedInto ?? 'another node'}`
          : row.change;
    marks.set(String(i), { color: CHANGE_COLORS[row.change], text });
  });
  const legend = (Object.keys(CHANGE_COLORS) as NodeChange[]).map((c) => ({
    color: CHANGE_COLORS[c],
    text: `${c} (${diff.nodes.byChange[c]})`,
  }));
  return { marks, legend };
}

/**
 * What each node of the original computes in once compressed. Nodes that stayed float say why when the
 * quantizer gave a reason; fused and removed nodes compute nothing of their own.
 */
export function precisionOverlay(diff: VariantDiff): Overlay {
  const reasons = new Map(diff.skippedNodes.map((s) => [s.name, s.reason]));
  const marks = new Map<string, NodeMark>();
  diff.nodes.list.forEach((row, i) => {
    if (!row.precision) {
      marks.set(String(i), {
        color: OTHER,
        text: row.change === 'fused' ? `fused into ${row.fusedInto ?? 'another node'}` : 'removed',
      });
      return;
    }
    const reason = reasons.get(row.name);
    const via = row.variantOpType && row.variantOpType !== row.opType ? ` (${row.variantOpType})` : '';
    const text =
      reason && row.precision === 'float32' ? `stayed float32: ${reason}` : `${row.precision}${via}`;
    marks.set(String(i), { color: PRECISION_COLORS[row.precision], text });
  });
  const legend = (Object.keys(PRECISION_COLORS) as NodePrecision[]).map((p) => ({
    color: PRECISION_COLORS[p],
    text: `${p === 'other' ? 'Q/DQ, Cast' : p} (${diff.nodes.byPrecision[p]})`,
  }));
  return { marks, legend: [...legend, { color: OTHER, text: 'fused or removed' }] };
}

/** White to red by share of the kernel time; onnxruntime names profile nodes after the model's nodes. */
export function heatOverlay(graph: GraphBody, profile: BenchProfile): Overlay {
  const idByName = new Map<string, string>();
  for (const n of graph.nodes) if (n.name) idByName.set(n.name, n.id);
  const total = profile.byOpType.reduce((s, o) => s + o.ms, 0);
  const marks = new Map<string, NodeMark>();
  // Profiles recorded before `nodes` existed list the ten slowest only.
  for (const node of profile.nodes ?? profile.topNodes) {
    const id = idByName.get(node.name);
    if (!id || total <= 0) continue;
    const share = node.ms / total;
    const level = Math.min(1, share * 4); // a node with a quarter of the time or more is full red
    const g = Math.round(235 - 175 * level);
    marks.set(id, {
      color: `rgb(245, ${g}, ${g})`,
      text: `${node.ms.toFixed(3)} ms a run (${(100 * share).toFixed(1)}% of kernel time)`,
    });
  }
  return {
    marks,
    legend: [
      { color: 'rgb(245, 235, 235)', text: 'little time' },
      { color: 'rgb(245, 60, 60)', text: '25% of kernel time or more' },
      { color: OTHER, text: profile.nodes ? 'no kernel time' : 'not among the profile’s ten slowest nodes' },
    ],
  };
}

/**
 * Per-node sensitivity from an Auto-optimize run (shared/sensitivity.ts): white to red by the SQNR a node loses
 * in int8, against the largest drop. The rows name nodes of the optimized QDQ graph; onnxruntime's fusions
 * name a fused node `X/...Fusion` after the original node X, so that suffix is dropped to find it.
 */
export function sensitivityOverlay(graph: GraphBody, rows: readonly SensitivityRow[]): Overlay {
  const idByName = new Map<string, string>();
  const visit = (body: GraphBody) => {
    for (const n of body.nodes) {
      if (n.name) idByName.set(n.name, n.id);
      for (const sub of n.subgraphs ?? []) visit(sub.graph);
    }
  };
  visit(graph);
  const worst = Math.max(0, ...rows.map((r) => r.dropDb ?? 0));
  const marks = new Map<string, NodeMark>();
  rows.forEach((row, rank) => {
    const id = idByName.get(row.node) ?? idByName.get(row.node.replace(/\/[^/]*Fusion$/, ''));
    if (!id) return;
    const level = worst > 0 ? Math.max(0, Math.min(1, (row.dropDb ?? 0) / worst)) : 0;
    const g = Math.round(235 - 175 * level);
    marks.set(id, {
      color: `rgb(245, ${g}, ${g})`,
      text: `sensitivity rank ${rank + 1}: loses ${row.dropDb === null ? '?' : row.dropDb.toFixed(1)} dB in int8 (local SQNR ${row.localSqnrDb === null ? 'exact' : `${row.localSqnrDb.toFixed(1)} dB`})`,
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
