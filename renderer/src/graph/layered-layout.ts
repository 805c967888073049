/**
 * Top-down layered layout of one graph body, in two flavours:
 *   - `fastLayered`: longest-path ranks, a few barycenter sweeps to order each rank, then x placed at the
 *     mean of the predecessors' x without overlaps. Linear-ish and iterative, so a 5,000-node chain lays out
 *     in tens of milliseconds.
 *   - dagre (`@dagrejs/dagre`), whose crossing reduction and edge routing are better, for bodies up to
 *     `DAGRE_MAX_NODES`. Dagre recurses once per rank: a chain of about 2,000 nodes overflows the stack (and
 *     1,000 nodes take about a second on this machine), so larger bodies keep the fast layout.
 * Runs in the layout worker (layout.worker.ts); pure, so the tests call it directly.
 */
import dagre from '@dagrejs/dagre';

export interface LayoutBox {
  id: string;
  width: number;
  height: number;
}

export interface PlacedBox {
  id: string;
  /** Centre. */
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  /** x0, y0, x1, y1, …: a polyline from the source's bottom to the target's top. */
  points: number[];
}

export interface BodyLayout {
  boxes: Map<string, PlacedBox>;
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export const DAGRE_MAX_NODES = 600;
const NODE_GAP = 24;
const RANK_GAP = 36;
const SWEEPS = 4;

/** Longest-path ranks by Kahn's algorithm; nodes on a cycle (not valid ONNX) go below everything else. */
function ranksOf(
  ids: string[],
  succ: Map<string, string[]>,
  pred: Map<string, string[]>,
): Map<string, number> {
  const indegree = new Map(ids.map((id) => [id, pred.get(id)?.length ?? 0]));
  const rank = new Map<string, number>();
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (const id of queue) rank.set(id, 0);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    const r = rank.get(id)!;
    for (const next of succ.get(id) ?? []) {
      rank.set(next, Math.max(rank.get(next) ?? 0, r + 1));
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  const deepest = Math.max(0, ...rank.values());
  for (const id of ids) if (!rank.has(id)) rank.set(id, deepest + 1);
  return rank;
}

export function fastLayered(boxes: LayoutBox[], edges: [string, string][]): BodyLayout {
  const ids = boxes.map((b) => b.id);
  const size = new Map(boxes.map((b) => [b.id, b]));
  const succ = new Map<string, string[]>();
  const pred = new Map<string, string[]>();
  for (const [from, to] of edges) {
    if (from === to || !size.has(from) || !size.has(to)) continue;
    succ.set(from, [...(succ.get(from) ?? []), to]);
    pred.set(to, [...(pred.get(to) ?? []), from]);
  }
  const rank = ranksOf(ids, succ, pred);
  const layers: string[][] = [];
  for (const id of ids) (layers[rank.get(id)!] ??= []).push(id);
  const order = new Map<string, number>();
  const renumber = (layer: string[]) => layer.forEach((id, i) => order.set(id, i));
  layers.forEach((layer) => renumber(layer ?? []));
  // Barycenter sweeps: sort each rank by the mean order of its neighbours in the ranks already sorted.
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const sequence = down ? layers.keys() : [...layers.keys()].reverse();
    for (const r of sequence) {
      const layer = layers[r];
      if (!layer || layer.length < 2) continue;
      const neighbours = down ? pred : succ;
      const key = new Map<string, number>();
      for (const id of layer) {
        const ns = neighbours.get(id) ?? [];
        key.set(id, ns.length === 0 ? order.get(id)! : ns.reduce((s, n) => s + order.get(n)!, 0) / ns.length);
      }
      layer.sort((a, b) => key.get(a)! - key.get(b)!);
      renumber(layer);
    }
  }
  // x: each node wants the mean x of its predecessors; packed left to right without overlap, then each
  // rank is shifted so its nodes sit, on average, where they want to be.
  const x = new Map<string, number>();
  const y = new Map<string, number>();
  let top = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  for (const layer of layers) {
    if (!layer) continue;
    const height = Math.max(...layer.map((id) => size.get(id)!.height));
    const wanted = layer.map((id) => {
      const ps = (pred.get(id) ?? []).filter((p) => x.has(p));
      return ps.length === 0 ? undefined : ps.reduce((s, p) => s + x.get(p)!, 0) / ps.length;
    });
    let cursor = -Infinity;
    const placed: number[] = [];
    layer.forEach((id, i) => {
      const w = size.get(id)!.width;
      const fallback = cursor === -Infinity ? 0 : cursor + w / 2;
      const want = wanted[i] ?? fallback;
      const left = Math.max(want - w / 2, cursor === -Infinity ? -Infinity : cursor);
      placed.push(left + w / 2);
      cursor = left + w + NODE_GAP;
    });
    const pulls = placed.map((p, i) => (wanted[i] === undefined ? 0 : wanted[i]! - p));
    const shift = pulls.reduce((s, v) => s + v, 0) / Math.max(1, pulls.length);
    layer.forEach((id, i) => {
      const cx = placed[i]! + shift;
      const w = size.get(id)!.width;
      x.set(id, cx);
      y.set(id, top + height / 2);
      minX = Math.min(minX, cx - w / 2);
      maxX = Math.max(maxX, cx + w / 2);
    });
    top += height + RANK_GAP;
  }
  if (ids.length === 0) minX = maxX = 0;
  const out = new Map<string, PlacedBox>();
  for (const id of ids) out.set(id, { id, x: x.get(id)! - minX, y: y.get(id)! });
  return {
    boxes: out,
    edges: straightEdges(edges, out, size),
    width: maxX - minX,
    height: Math.max(0, top - RANK_GAP),
  };
}

function straightEdges(
  edges: [string, string][],
  boxes: Map<string, PlacedBox>,
  size: Map<string, LayoutBox>,
): PlacedEdge[] {
  const out: PlacedEdge[] = [];
  for (const [from, to] of edges) {
    const a = boxes.get(from);
    const b = boxes.get(to);
    if (!a || !b || from === to) continue;
    out.push({
      from,
      to,
      points: [a.x, a.y + size.get(from)!.height / 2, b.x, b.y - size.get(to)!.height / 2],
    });
  }
  return out;
}

export function dagreLayered(boxes: LayoutBox[], edges: [string, string][]): BodyLayout {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: NODE_GAP, ranksep: RANK_GAP, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of boxes) g.setNode(b.id, { width: b.width, height: b.height });
  for (const [from, to] of edges) if (from !== to && g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to);
  dagre.layout(g);
  const placed = new Map<string, PlacedBox>();
  for (const b of boxes) {
    const n = g.node(b.id) as { x: number; y: number };
    placed.set(b.id, { id: b.id, x: n.x, y: n.y });
  }
  const out: PlacedEdge[] = g.edges().map((e) => {
    const points = ((g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []).flatMap((p) => [
      p.x,
      p.y,
    ]);
    return { from: e.v, to: e.w, points };
  });
  const label = g.graph() as { width?: number; height?: number };
  return { boxes: placed, edges: out, width: label.width ?? 0, height: label.height ?? 0 };
}

/** Dagre where it is safe and quick enough, the fast layout otherwise (or if dagre throws). */
export function layoutBody(boxes: LayoutBox[], edges: [string, string][]): BodyLayout {
  if (boxes.length <= DAGRE_MAX_NODES) {
    try {
      return dagreLayered(boxes, edges);
    } catch {
      // A deep chain can still overflow dagre's recursion: the fast layout always finishes.
    }
  }
  return fastLayered(boxes, edges);
}
