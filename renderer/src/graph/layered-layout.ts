/**
 * Top-down layered layout of one graph body, in two flavours:
 *   - `fastLayered`: longest-path ranks, an edge across several ranks given a lane piece in each (as dagre's
 *     dummy nodes), a few barycenter sweeps to order each rank, then each box placed under its anchor (the box
 *     it reads, or the fork its inputs branch from) without overlaps. Linear-ish and iterative, so a
 *     5,000-node residual model lays out in tens of milliseconds.
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

/**
 * A long edge's lane through one rank: as wide as this, with NODE_GAP clear on each side, so the line never
 * runs through or along a box.
 */
const LANE_WIDTH = 8;
/**
 * Lane pieces (one per rank a long edge passes) allowed per box of a body, and at least LANE_BUDGET_MIN: a
 * residual or transformer model needs about one per box. A body needing more (a chain of n boxes all read by one
 * Concat needs n²/2) routes its longest buses in columns to the right of every box instead, which costs nothing
 * to place and few points to draw.
 */
const LANE_BUDGET_PER_BOX = 4;
const LANE_BUDGET_MIN = 10_000;
/** Spacing of those outer columns. */
const OUTER_LANE_GAP = 12;

/** Longest-path ranks by Kahn's algorithm; nodes on a cycle (not valid ONNX) go below everything else. */
function ranksOf(n: number, succ: number[][], pred: number[][]): Int32Array {
  const rank = new Int32Array(n).fill(-1);
  const indegree = pred.map((p) => p.length);
  const queue: number[] = [];
  for (let v = 0; v < n; v++) {
    if (indegree[v] !== 0) continue;
    queue.push(v);
    rank[v] = 0;
  }
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of succ[v]!) {
      rank[w] = Math.max(rank[w]!, rank[v]! + 1);
      if (--indegree[w]! === 0) queue.push(w);
    }
  }
  let deepest = 0;
  for (const v of queue) deepest = Math.max(deepest, rank[v]!);
  // A node on a cycle may have been given a rank by a predecessor outside it: below everything all the same.
  for (let v = 0; v < n; v++) if (indegree[v]! > 0) rank[v] = deepest + 1;
  // A node that reads nothing (a graph input, a Constant) sits just above its first reader, not in rank 0
  // with a long edge down to it.
  for (let v = 0; v < n; v++) {
    if (pred[v]!.length > 0 || succ[v]!.length === 0) continue;
    let first = Infinity;
    for (const w of succ[v]!) first = Math.min(first, rank[w]!);
    rank[v] = Math.max(0, first - 1);
  }
  return rank;
}

/**
 * Adds a point to a polyline; one straight below the last two replaces the last (a vertical run is two points:
 * a lane's pieces sit at the same x, give or take rounding).
 */
function addPoint(points: number[], x: number, y: number): void {
  const k = points.length;
  if (k >= 4 && Math.abs(points[k - 2]! - x) < 0.01 && Math.abs(points[k - 4]! - x) < 0.01) points[k - 1] = y;
  else points.push(x, y);
}

/** How much a node that wants no particular x (it reads nothing placed) counts: it just follows its neighbours. */
const UNWANTED = 1e-3;
/** How much a box counts when the lanes are placed around it: it does not move. */
const FIXED = 1e6;

/** Work arrays for placeInOrder, as long as the longest rank: a deep model has thousands of ranks. */
interface PlaceScratch {
  offset: Float64Array;
  wish: Float64Array;
  start: Int32Array;
  sumW: Float64Array;
  sumWX: Float64Array;
}

const placeScratch = (size: number): PlaceScratch => ({
  offset: new Float64Array(size),
  wish: new Float64Array(size),
  start: new Int32Array(size),
  sumW: new Float64Array(size),
  sumWX: new Float64Array(size),
});

/**
 * Places the first `k` nodes of a rank, in their order, as near their wanted x (`want`, NaN for none) as they
 * can be (least squares, weighted), with at least `gaps[i]` between the centres of nodes i and i + 1, into
 * `out`: pool-adjacent-violators on x less the gaps so far, linear in the rank's size. A node that wants
 * nothing goes right after the one before it.
 */
function placeInOrder(
  k: number,
  want: Float64Array,
  weight: Float64Array,
  gaps: Float64Array,
  out: Float64Array,
  { offset, wish, start, sumW, sumWX }: PlaceScratch,
): void {
  let first = NaN;
  for (let i = 0, o = 0; i < k; i++) {
    if (i > 0) o += gaps[i - 1]!;
    offset[i] = o;
    wish[i] = want[i]! - o;
    if (Number.isNaN(first)) first = wish[i]!;
  }
  // Nothing wanted: as the node before (packed against it), or as the first that wants something.
  for (let i = 0; i < k; i++)
    if (Number.isNaN(wish[i]!)) wish[i] = i === 0 ? (Number.isNaN(first) ? 0 : first) : wish[i - 1]!;
  let blocks = 0;
  for (let i = 0; i < k; i++) {
    let w = weight[i]!;
    let wx = w * wish[i]!;
    let from = i;
    while (blocks > 0 && sumWX[blocks - 1]! / sumW[blocks - 1]! > wx / w) {
      blocks--;
      w += sumW[blocks]!;
      wx += sumWX[blocks]!;
      from = start[blocks]!;
    }
    start[blocks] = from;
    sumW[blocks] = w;
    sumWX[blocks] = wx;
    blocks++;
  }
  for (let b = 0; b < blocks; b++) {
    const end = b + 1 < blocks ? start[b + 1]! : k;
    const y = sumWX[b]! / sumW[b]!;
    for (let i = start[b]!; i < end; i++) out[i] = y + offset[i]!;
  }
}

/**
 * Each box's anchor, the box it is placed under: the one box it reads; for a box reading several, the nearest
 * box all of those descend from through anchors (the fork their branches leave, a residual Add's block input),
 * so a block that branches and joins again ends where it began, however lopsided its branches; where they
 * descend from no common box (a graph input or a Constant beside the main path), the one of the longest line
 * of anchors, the main path. -1 for a box that reads nothing placed above it. And how firmly each keeps its
 * place when its rank is crowded: the square of how many boxes hang from it (itself included), so a side branch
 * gives way to the main path, and what it still pushes the main path aside dies away down a deep model instead
 * of adding up block after block. The anchors form a tree, with a jump pointer per box (Myers' skew-binary
 * scheme) so the meeting point of two branches is found in logarithmic time.
 */
function anchorsOf(layers: number[][], n: number, rank: Int32Array, pred: number[][]) {
  const root = n;
  const parent = new Int32Array(n + 1).fill(root);
  const jump = new Int32Array(n + 1).fill(root);
  const depth = new Int32Array(n + 1);
  /** The nearest common ancestor of a and b, or the deeper (the first if as deep) where that is the root. */
  const meet = (a: number, b: number): number => {
    const [deep, shallow] = depth[a]! >= depth[b]! ? [a, b] : [b, a];
    let u = deep;
    let v = shallow;
    while (depth[u]! > depth[v]!) u = depth[jump[u]!]! >= depth[v]! ? jump[u]! : parent[u]!;
    while (u !== v) {
      if (jump[u] !== jump[v]) {
        u = jump[u]!;
        v = jump[v]!;
      } else {
        u = parent[u]!;
        v = parent[v]!;
      }
    }
    return u === root ? (depth[a]! >= depth[b]! ? a : b) : u;
  };
  for (const layer of layers) {
    for (const v of layer ?? []) {
      if (v >= n) continue;
      let at = -1;
      for (const p of pred[v]!) {
        if (rank[p]! >= rank[v]!) continue; // on a cycle: not placed yet
        at = at < 0 ? p : meet(at, p);
      }
      const up = at < 0 ? root : at;
      parent[v] = up;
      depth[v] = depth[up]! + 1;
      const j = jump[up]!;
      jump[v] = depth[up]! - depth[j]! === depth[j]! - depth[jump[j]!]! ? jump[j]! : up;
    }
  }
  const hanging = new Float64Array(n).fill(1);
  for (let r = layers.length - 1; r >= 0; r--)
    for (const v of layers[r] ?? []) if (v < n && parent[v] !== root) hanging[parent[v]!]! += hanging[v]!;
  const anchor = new Int32Array(n);
  const firmness = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    anchor[v] = parent[v] === root ? -1 : parent[v]!;
    firmness[v] = hanging[v]! ** 2;
  }
  return { anchor, firmness };
}

/** Sorts a rank by `key`: insertion sort for the short ranks most are (a deep model has thousands). */
function sortByKey(layer: number[], key: Float64Array): void {
  if (layer.length > 16) {
    layer.sort((a, b) => key[a]! - key[b]!);
    return;
  }
  for (let i = 1; i < layer.length; i++) {
    const v = layer[i]!;
    let j = i - 1;
    while (j >= 0 && key[layer[j]!]! > key[v]!) {
      layer[j + 1] = layer[j]!;
      j--;
    }
    layer[j + 1] = v;
  }
}

/**
 * The layered layout for bodies too big for dagre. An edge that spans several ranks is routed as dagre routes
 * it: through a lane piece in each rank it passes, placed and ordered with the boxes, so it bends around them
 * instead of running behind them (a residual Add's skip edge read as part of the chain). The edges that leave
 * one node for lower ranks share one lane (a bus) and branch off to their readers, so a tensor read by every
 * layer costs one lane, not one per reader.
 */
export function fastLayered(boxes: LayoutBox[], edges: [string, string][]): BodyLayout {
  const n = boxes.length;
  const index = new Map(boxes.map((b, i) => [b.id, i]));
  const succ: number[][] = boxes.map(() => []);
  const pred: number[][] = boxes.map(() => []);
  const unique: [number, number][] = [];
  const seen = new Set<number>();
  for (const [from, to] of edges) {
    const a = index.get(from);
    const b = index.get(to);
    if (a === undefined || b === undefined || a === b || seen.has(a * n + b)) continue;
    seen.add(a * n + b);
    unique.push([a, b]);
    succ[a]!.push(b);
    pred[b]!.push(a);
  }
  const rank = ranksOf(n, succ, pred);

  // Buses: from each node, one lane down to the rank above its lowest reader more than one rank below.
  const busEnd = new Int32Array(n).fill(-1);
  for (const [a, b] of unique) if (rank[b]! - rank[a]! > 1) busEnd[a] = Math.max(busEnd[a]!, rank[b]! - 1);
  const buses: number[] = [];
  for (let v = 0; v < n; v++) if (busEnd[v]! >= 0) buses.push(v);
  buses.sort((a, b) => busEnd[a]! - rank[a]! - (busEnd[b]! - rank[b]!));
  // The shortest buses get lanes among the boxes while the budget lasts; the rest go outside (outer).
  const laneStart = new Int32Array(n).fill(-1);
  const outer: number[] = [];
  let count = n;
  for (const v of buses) {
    const pieces = busEnd[v]! - rank[v]!;
    if (count - n + pieces > Math.max(LANE_BUDGET_MIN, LANE_BUDGET_PER_BOX * n)) {
      outer.push(v);
    } else {
      laneStart[v] = count;
      count += pieces;
    }
  }
  // Lane pieces are nodes n.. of the augmented graph: bus v's piece in rank r is laneStart[v] + r - rank[v] - 1.
  const pieceOf = (v: number, r: number) => laneStart[v]! + r - rank[v]! - 1;
  const width = new Float64Array(count).fill(LANE_WIDTH);
  const height = new Float64Array(count);
  const layerOf = new Int32Array(count);
  boxes.forEach((b, i) => {
    width[i] = b.width;
    height[i] = b.height;
    layerOf[i] = rank[i]!;
  });
  const up: number[][] = Array.from({ length: count }, () => []);
  const down: number[][] = Array.from({ length: count }, () => []);
  const link = (a: number, b: number) => {
    down[a]!.push(b);
    up[b]!.push(a);
  };
  for (const v of buses) {
    if (laneStart[v]! < 0) continue;
    for (let r = rank[v]! + 1; r <= busEnd[v]!; r++) {
      layerOf[pieceOf(v, r)] = r;
      link(r === rank[v]! + 1 ? v : pieceOf(v, r - 1), pieceOf(v, r));
    }
  }
  for (const [a, b] of unique) {
    const span = rank[b]! - rank[a]!;
    if (span === 1 || span <= 0) link(a, b);
    else if (laneStart[a]! >= 0) link(pieceOf(a, rank[b]! - 1), b);
  }

  const layers: number[][] = [];
  for (let i = 0; i < count; i++) (layers[layerOf[i]!] ??= []).push(i);
  const order = new Float64Array(count);
  const renumber = (layer: number[]) => layer.forEach((v, i) => (order[v] = i));
  layers.forEach((layer) => renumber(layer ?? []));
  // Barycenter sweeps: sort each rank by the mean order of its neighbours in the ranks already sorted.
  const key = new Float64Array(count);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const downwards = sweep % 2 === 0;
    const sequence = downwards ? layers.keys() : [...layers.keys()].reverse();
    const neighbours = downwards ? up : down;
    for (const r of sequence) {
      const layer = layers[r];
      if (!layer || layer.length < 2) continue;
      for (const v of layer) {
        const ns = neighbours[v]!;
        let sum = 0;
        for (const w of ns) sum += order[w]!;
        key[v] = ns.length === 0 ? order[v]! : sum / ns.length;
      }
      sortByKey(layer, key);
      renumber(layer);
    }
  }

  // x: each box wants the x of its anchor, each lane piece the x of the piece above it. The boxes of a rank are
  // placed first, as near where they want to be as the room for the lanes between them allows (the main path
  // the firmest); then the lanes, around boxes that no longer move. So a lane never pushes a box aside, and the
  // boxes of a deep model do not drift sideways rank after rank, nor block after block: a join goes back under
  // its fork, where the mean of what it reads would carry a lopsided block's offset into the next block.
  const { anchor, firmness } = anchorsOf(layers, n, rank, pred);
  const x = new Float64Array(count);
  const bandTop: number[] = [];
  const bandHeight: number[] = [];
  let top = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  let longest = 1;
  for (const layer of layers) longest = Math.max(longest, layer?.length ?? 0);
  const scratch = placeScratch(longest);
  const [want, weight, gaps, placed] = [0, 0, 0, 0].map(() => new Float64Array(longest)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const [boxWant, boxWeight, boxGaps, boxX] = [0, 0, 0, 0].map(() => new Float64Array(longest)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const boxAt = new Int32Array(longest);
  for (let r = 0; r < layers.length; r++) {
    const layer = layers[r] ?? [];
    const k = layer.length;
    let tallest = 0;
    for (const v of layer) tallest = Math.max(tallest, height[v]!);
    bandTop[r] = top;
    bandHeight[r] = tallest;
    // The boxes, each kept from the next by the lanes between them.
    let boxes = 0;
    let last = -1;
    for (let i = 0; i < k; i++) {
      const v = layer[i]!;
      // A box: where its anchor sits (a box, not a lane: the lane is beside its box). A lane: where its piece
      // above, or its box, sits.
      if (v < n) {
        want[i] = anchor[v]! >= 0 ? x[anchor[v]!]! : NaN;
        weight[i] = anchor[v]! >= 0 ? firmness[v]! : UNWANTED;
      } else {
        const above = up[v]![0]!;
        want[i] = x[above]!;
        weight[i] = 1;
      }
      if (i > 0) gaps[i - 1] = width[layer[i - 1]!]! / 2 + NODE_GAP + width[v]! / 2;
      if (v >= n) continue;
      if (last >= 0) {
        let gap = width[layer[last]!]! / 2 + NODE_GAP + width[v]! / 2;
        for (let j = last + 1; j < i; j++) gap += width[layer[j]!]! + NODE_GAP;
        boxGaps[boxes - 1] = gap;
      }
      boxAt[boxes] = i;
      boxWant[boxes] = want[i]!;
      boxWeight[boxes] = weight[i]!;
      boxes++;
      last = i;
    }
    placeInOrder(boxes, boxWant, boxWeight, boxGaps, boxX, scratch);
    if (boxes < k) {
      for (let b = 0; b < boxes; b++) {
        want[boxAt[b]!] = boxX[b]!;
        weight[boxAt[b]!] = FIXED;
      }
      placeInOrder(k, want, weight, gaps, placed, scratch);
    }
    // The boxes exactly where the first pass put them: no drift, however deep.
    for (let b = 0; b < boxes; b++) placed[boxAt[b]!] = boxX[b]!;
    for (let i = 0; i < k; i++) {
      const v = layer[i]!;
      x[v] = placed[i]!;
      minX = Math.min(minX, x[v]! - width[v]! / 2);
      maxX = Math.max(maxX, x[v]! + width[v]! / 2);
    }
    top += tallest + RANK_GAP;
  }
  if (count === 0) minX = maxX = 0;
  const out = new Map<string, PlacedBox>();
  boxes.forEach((b, i) =>
    out.set(b.id, { id: b.id, x: x[i]! - minX, y: bandTop[rank[i]!]! + bandHeight[rank[i]!]! / 2 }),
  );

  // Outer buses: a column each, right of everything, the first to leave nearest the boxes.
  const outerX = new Map<number, number>();
  [...outer]
    .sort((a, b) => rank[a]! - rank[b]!)
    .forEach((v, column) => outerX.set(v, maxX - minX + OUTER_LANE_GAP * (column + 1)));

  const bandBottom = (r: number) => bandTop[r]! + bandHeight[r]!;
  const placedEdges: PlacedEdge[] = unique.map(([a, b]) => {
    const points: number[] = [];
    const ra = rank[a]!;
    const rb = rank[b]!;
    const ax = x[a]! - minX;
    const bx = x[b]! - minX;
    addPoint(points, ax, bandTop[ra]! + (bandHeight[ra]! + height[a]!) / 2);
    const bTop = bandTop[rb]! + (bandHeight[rb]! - height[b]!) / 2;
    if (rb - ra <= 1) {
      // Out of a box shorter than its rank straight down first, so the line clears its taller neighbours.
      if (rb === ra + 1 && height[a]! < bandHeight[ra]!) addPoint(points, ax, bandBottom(ra));
      if (rb === ra + 1 && height[b]! < bandHeight[rb]!) addPoint(points, bx, bandTop[rb]!);
    } else if (outerX.has(a)) {
      const lane = outerX.get(a)!;
      const below = bandBottom(ra) + RANK_GAP / 2;
      const above = bandTop[rb]! - RANK_GAP / 2;
      addPoint(points, ax, below);
      addPoint(points, lane, below);
      addPoint(points, lane, above);
      addPoint(points, bx, above);
    } else {
      if (height[a]! < bandHeight[ra]!) addPoint(points, ax, bandBottom(ra));
      for (let r = ra + 1; r < rb; r++) {
        const lane = x[pieceOf(a, r)]! - minX;
        addPoint(points, lane, bandTop[r]!);
        addPoint(points, lane, bandBottom(r));
      }
      if (height[b]! < bandHeight[rb]!) addPoint(points, bx, bandTop[rb]!);
    }
    addPoint(points, bx, bTop);
    return { from: boxes[a]!.id, to: boxes[b]!.id, points };
  });
  return {
    boxes: out,
    edges: placedEdges,
    width: maxX - minX + OUTER_LANE_GAP * (outer.length > 0 ? outer.length + 1 : 0),
    height: Math.max(0, top - RANK_GAP),
  };
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
  // Typed: under Node's module resolution (bench-layout.ts) dagre's types do not resolve, so `g` is `any`.
  const out: PlacedEdge[] = g.edges().map((e: { v: string; w: string }) => {
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
