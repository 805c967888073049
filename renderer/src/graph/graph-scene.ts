/**
 * What the Graph view draws, in graph coordinates: every visible node as a box (ops, the main graph's inputs
 * and outputs, and expanded If/Loop/Scan nodes as frames holding their bodies), and the edges between them.
 * An expanded node's bodies are laid out first; the frame then takes their size in its own graph's layout.
 * Pure: the layout worker (layout.worker.ts) runs it, and the tests call it directly.
 */
import type { GraphBody, ModelGraph } from '../../../shared/model-graph.js';
import { opLabel } from '../../../shared/model-graph.js';
import { layoutBody, type LayoutBox } from './layered-layout.js';

/** The structure the layout needs, stripped of attributes and weights (what is sent to the worker). */
export interface SceneBody {
  nodes: {
    id: string;
    label: string;
    inputs: string[];
    outputs: string[];
    subgraphs?: { attribute: string; body: SceneBody }[];
  }[];
  inputs: string[];
  outputs: string[];
}

export type SceneNodeKind = 'op' | 'input' | 'output' | 'frame';

export interface SceneNode {
  id: string;
  kind: SceneNodeKind;
  label: string;
  /** Top-left corner and size, in graph units. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** 0 for the main graph, 1 inside an expanded node, … */
  depth: number;
  /** Holds subgraphs (drawn with a +, or as a frame when expanded). */
  expandable: boolean;
}

export interface SceneEdge {
  from: string;
  to: string;
  points: number[];
}

export interface Scene {
  nodes: SceneNode[];
  edges: SceneEdge[];
  /** The names of the bodies inside frames (`then_branch`, `body`). */
  captions: { x: number; y: number; text: string }[];
  width: number;
  height: number;
}

export const NODE_HEIGHT = 30;
const FRAME_PAD = 14;
const FRAME_HEADER = 26;
/**
 * Room for a body's caption above its nodes: the caption (12 units high) and, below it, the reach of a selected
 * or found node's outline (graph-canvas.tsx strokes it 2 units out, 3 px wide, so up to 7 units at the
 * smallest scale labels are drawn at), which hid the caption's lower half when the first node was selected.
 */
const CAPTION = 30;
/** The caption's middle, below the frame's header. */
const CAPTION_MIDDLE = 10;
const BODY_GAP = 24;

export const inputId = (name: string) => `in:${name}`;
export const outputId = (name: string) => `out:${name}`;

/** A box wide enough for its label at the canvas font (about 7 px a character). */
export function boxWidth(label: string): number {
  return Math.max(72, Math.min(260, 7 * label.length + 20));
}

export function sceneBodyOf(body: GraphBody): SceneBody {
  return {
    nodes: body.nodes.map((n) => ({
      id: n.id,
      label: opLabel(n),
      inputs: n.inputs,
      outputs: n.outputs,
      ...(n.subgraphs
        ? { subgraphs: n.subgraphs.map((s) => ({ attribute: s.attribute, body: sceneBodyOf(s.graph) })) }
        : {}),
    })),
    inputs: body.inputs,
    outputs: body.outputs,
  };
}

export function sceneGraphOf(model: ModelGraph): SceneBody {
  return sceneBodyOf(model.graph);
}

/** Names a body reads that it (and its own bodies) do not define: what the node holding it captures. */
function captures(body: SceneBody): Set<string> {
  const defined = new Set(body.inputs);
  for (const n of body.nodes) for (const o of n.outputs) defined.add(o);
  const used = new Set<string>();
  for (const n of body.nodes) {
    for (const i of n.inputs) if (i !== '') used.add(i);
    for (const s of n.subgraphs ?? []) for (const c of captures(s.body)) used.add(c);
  }
  for (const d of defined) used.delete(d);
  return used;
}

interface Laid {
  nodes: SceneNode[];
  edges: SceneEdge[];
  captions: Scene['captions'];
  width: number;
  height: number;
}

function layBody(body: SceneBody, expanded: ReadonlySet<string>, depth: number, withIo: boolean): Laid {
  const boxes: LayoutBox[] = [];
  const inner = new Map<
    string,
    { bodies: { attribute: string; laid: Laid }[]; width: number; height: number }
  >();
  for (const n of body.nodes) {
    if (n.subgraphs && expanded.has(n.id)) {
      const bodies = n.subgraphs.map((s) => ({
        attribute: s.attribute,
        laid: layBody(s.body, expanded, depth + 1, false),
      }));
      const width =
        Math.max(
          boxWidth(n.label) + 40,
          bodies.reduce((w, b) => w + b.laid.width, 0) + BODY_GAP * (bodies.length - 1),
        ) +
        2 * FRAME_PAD;
      const height = FRAME_HEADER + CAPTION + Math.max(0, ...bodies.map((b) => b.laid.height)) + FRAME_PAD;
      inner.set(n.id, { bodies, width, height });
      boxes.push({ id: n.id, width, height });
    } else {
      boxes.push({ id: n.id, width: boxWidth(n.subgraphs ? `${n.label} +` : n.label), height: NODE_HEIGHT });
    }
  }
  const producer = new Map<string, string>();
  if (withIo) {
    for (const name of body.inputs) {
      boxes.push({ id: inputId(name), width: boxWidth(name), height: NODE_HEIGHT });
      producer.set(name, inputId(name));
    }
  }
  for (const n of body.nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n.id);
  const edges: [string, string][] = [];
  for (const n of body.nodes) {
    const reads = new Set(n.inputs);
    for (const s of n.subgraphs ?? []) for (const c of captures(s.body)) reads.add(c);
    for (const name of reads) {
      const from = producer.get(name);
      if (from !== undefined) edges.push([from, n.id]);
    }
  }
  if (withIo) {
    for (const name of body.outputs) {
      boxes.push({ id: outputId(name), width: boxWidth(name), height: NODE_HEIGHT });
      const from = producer.get(name);
      if (from !== undefined) edges.push([from, outputId(name)]);
    }
  }
  const layout = layoutBody(boxes, edges);
  const nodes: SceneNode[] = [];
  const sceneEdges: SceneEdge[] = layout.edges.map((e) => ({ from: e.from, to: e.to, points: e.points }));
  const captions: Scene['captions'] = [];
  const label = new Map(body.nodes.map((n) => [n.id, n]));
  for (const b of boxes) {
    const at = layout.boxes.get(b.id)!;
    const left = at.x - b.width / 2;
    const top = at.y - b.height / 2;
    const node = label.get(b.id);
    const kind: SceneNodeKind = node
      ? inner.has(b.id)
        ? 'frame'
        : 'op'
      : b.id.startsWith('in:')
        ? 'input'
        : 'output';
    const text = node ? node.label : b.id.slice(b.id.indexOf(':') + 1);
    nodes.push({
      id: b.id,
      kind,
      label: text,
      x: left,
      y: top,
      width: b.width,
      height: b.height,
      depth,
      expandable: Boolean(node?.subgraphs),
    });
    const frame = inner.get(b.id);
    if (!frame) continue;
    // The bodies side by side under the frame's header, each shifted into place.
    let bx = left + FRAME_PAD;
    for (const { attribute, laid } of frame.bodies) {
      const by = top + FRAME_HEADER + CAPTION;
      captions.push({ x: bx, y: top + FRAME_HEADER + CAPTION_MIDDLE, text: attribute });
      for (const n of laid.nodes) nodes.push({ ...n, x: n.x + bx, y: n.y + by });
      for (const e of laid.edges)
        sceneEdges.push({ ...e, points: e.points.map((p, i) => p + (i % 2 === 0 ? bx : by)) });
      for (const c of laid.captions) captions.push({ ...c, x: c.x + bx, y: c.y + by });
      bx += laid.width + BODY_GAP;
    }
  }
  return { nodes, edges: sceneEdges, captions, width: layout.width, height: layout.height };
}

/** Lays out the main graph with the given nodes expanded (ids of nodes holding subgraphs). */
export function buildScene(graph: SceneBody, expanded: ReadonlySet<string>): Scene {
  const laid = layBody(graph, expanded, 0, true);
  return {
    nodes: laid.nodes,
    edges: laid.edges,
    captions: laid.captions,
    width: laid.width,
    height: laid.height,
  };
}
