import { describe, expect, it } from 'vitest';
import { branchy } from '../../../electron/scripts/layout-graphs.js';
import { buildScene } from './graph-scene.js';
import {
  DAGRE_MAX_NODES,
  fastLayered,
  layoutBody,
  type BodyLayout,
  type LayoutBox,
} from './layered-layout.js';

/** Whether the segment from (x0, y0) to (x1, y1) enters the open rectangle (Liang–Barsky clipping). */
function crosses(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  left: number,
  top: number,
  right: number,
  bottom: number,
) {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  for (const [p, q] of [
    [-dx, x0 - left],
    [dx, right - x0],
    [-dy, y0 - top],
    [dy, bottom - y0],
  ] as const) {
    if (p === 0) {
      if (q <= 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}

/** Every edge whose line passes through a box other than its two ends, as `from → to through id`. */
function edgesThroughBoxes(layout: BodyLayout, boxes: LayoutBox[]): string[] {
  // Half a unit in from the border: a line may run along a box's side, never through it.
  const rects = boxes
    .map((b) => {
      const at = layout.boxes.get(b.id)!;
      const [w, h] = [b.width / 2 - 0.5, b.height / 2 - 0.5];
      return { id: b.id, l: at.x - w, t: at.y - h, r: at.x + w, b: at.y + h };
    })
    .sort((p, q) => p.t - q.t);
  const tallest = Math.max(...boxes.map((b) => b.height));
  const bad = new Set<string>();
  for (const e of layout.edges) {
    const p = e.points;
    for (let i = 0; i + 3 < p.length; i += 2) {
      const [top, bottom] = [Math.min(p[i + 1]!, p[i + 3]!), Math.max(p[i + 1]!, p[i + 3]!)];
      // The boxes that reach the segment's height: the first whose top is within the tallest box above it on.
      let k = 0;
      for (let step = rects.length; step > 0; step >>= 1)
        while (k + step <= rects.length && rects[k + step - 1]!.t < top - tallest) k += step;
      for (; k < rects.length && rects[k]!.t < bottom; k++) {
        const r = rects[k]!;
        if (r.id === e.from || r.id === e.to || r.b <= top) continue;
        if (crosses(p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!, r.l, r.t, r.r, r.b))
          bad.add(`${e.from} → ${e.to} through ${r.id}`);
      }
    }
  }
  return [...bad];
}

/** Every two boxes that overlap, as `a over b`. */
function overlappingBoxes(layout: BodyLayout, boxes: LayoutBox[]): string[] {
  const rects = boxes
    .map((b) => {
      const at = layout.boxes.get(b.id)!;
      return {
        id: b.id,
        l: at.x - b.width / 2,
        t: at.y - b.height / 2,
        r: at.x + b.width / 2,
        b: at.y + b.height / 2,
      };
    })
    .sort((p, q) => p.t - q.t);
  const bad: string[] = [];
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length && rects[j]!.t < rects[i]!.b; j++) {
      const [a, b] = [rects[i]!, rects[j]!];
      if (a.l < b.r && b.l < a.r) bad.push(`${a.id} over ${b.id}`);
    }
  return bad;
}

/** MatMul, Add, act, then a residual Add that also reads the block's input: deep1600.onnx of a user test. */
function residualChain(blocks: number, tall?: (i: number) => boolean) {
  const boxes: LayoutBox[] = [{ id: 'in:x', width: 72, height: 30 }];
  const edges: [string, string][] = [];
  let x = 'in:x';
  for (let i = 0; i < blocks; i++) {
    for (const [id, width] of [
      [`mm_${i}`, 80],
      [`add_${i}`, 72],
      [`act_${i}`, 72],
      [`res_${i}`, 72],
    ] as const)
      boxes.push({ id, width, height: tall?.(i) && id.startsWith('act') ? 90 : 30 });
    edges.push(
      [x, `mm_${i}`],
      [`mm_${i}`, `add_${i}`],
      [`add_${i}`, `act_${i}`],
      [`act_${i}`, `res_${i}`],
      [x, `res_${i}`],
    );
    x = `res_${i}`;
  }
  return { boxes, edges };
}

describe('layoutBody above DAGRE_MAX_NODES', () => {
  it('routes a residual edge beside the boxes it skips, not through them', () => {
    // A user test: the 1,600-node residual model read as a plain chain, its skip edges drawn behind the boxes.
    const { boxes, edges } = residualChain(400);
    expect(boxes.length).toBeGreaterThan(DAGRE_MAX_NODES);
    const layout = layoutBody(boxes, edges);
    expect(edgesThroughBoxes(layout, boxes)).toEqual([]);
    // res_0 reads x: its edge bends out of x's column and back, so it is seen beside MatMul → Add → act.
    const skip = layout.edges.find((e) => e.from === 'in:x' && e.to === 'res_0')!;
    expect(skip.points.length).toBeGreaterThan(4);
    const column = layout.boxes.get('mm_0')!.x;
    expect(Math.max(...skip.points.filter((_, i) => i % 2 === 0))).toBeGreaterThan(column + 40 + 8);
    // The chain stays one straight column, block after block; the skip lanes go beside it.
    for (const id of ['mm_0', 'act_0', 'res_0', 'mm_200', 'res_399'])
      expect(layout.boxes.get(id)!.x, id).toBeCloseTo(column, 3);
  });

  it('clears boxes taller than their rank’s others, and a Concat that reads every node of a long chain', () => {
    const tall = residualChain(200, (i) => i % 3 === 0);
    expect(edgesThroughBoxes(layoutBody(tall.boxes, tall.edges), tall.boxes)).toEqual([]);
    // 700 buses down to one Concat would need 245,000 lane pieces: most go in columns right of the boxes.
    const boxes: LayoutBox[] = Array.from({ length: 700 }, (_, i) => ({
      id: `relu_${i}`,
      width: 72,
      height: 30,
    }));
    boxes.push({ id: 'concat', width: 80, height: 30 });
    const edges: [string, string][] = boxes.slice(1, 700).map((b, i) => [`relu_${i}`, b.id]);
    for (let i = 0; i < 700; i++) edges.push([`relu_${i}`, 'concat']);
    const layout = layoutBody(boxes, edges);
    expect(edgesThroughBoxes(layout, boxes)).toEqual([]);
    expect(layout.edges).toHaveLength(edges.length);
    for (const e of layout.edges)
      for (let i = 0; i < e.points.length; i += 2) expect(e.points[i]!).toBeLessThanOrEqual(layout.width);
  });

  it('keeps a repeated block as wide for 500 blocks as for 50: no staircase', () => {
    // bench-layout.ts: buildBranchyGraph's 500 blocks laid out 2,769 units wide, each block 12 units right of
    // the one before (its joins at the mean of lopsided branches), pulled back at each If towards gate_on.
    const widths = [50, 500].map((blocks) => {
      // The boxes and edges the layout worker gives the layout (buildScene, nothing expanded), laid out by the
      // fast layout even where dagre would take them.
      const scene = buildScene(branchy(blocks), new Set());
      const boxes: LayoutBox[] = scene.nodes.map((b) => ({ id: b.id, width: b.width, height: b.height }));
      const layout = fastLayered(
        boxes,
        scene.edges.map((e): [string, string] => [e.from, e.to]),
      );
      expect(overlappingBoxes(layout, boxes)).toEqual([]);
      expect(edgesThroughBoxes(layout, boxes)).toEqual([]);
      // The three MatMuls of a block side by side, and lanes beside them.
      expect(layout.width).toBeLessThan(400);
      return layout.width;
    });
    // One lane more at most: gate_on's, down to the Ifs (50 blocks hold none).
    expect(widths[1]! - widths[0]!).toBeLessThanOrEqual(8 + 24 + 1);
    const residual = [50, 500].map((blocks) => {
      const { boxes, edges } = residualChain(blocks);
      const layout = fastLayered(boxes, edges);
      expect(overlappingBoxes(layout, boxes)).toEqual([]);
      expect(layout.width).toBeLessThan(150);
      return layout.width;
    });
    expect(residual[1]! - residual[0]!).toBeLessThan(1);
  });

  it('keeps the main path in place beside Constants and dead-end side boxes, however deep', () => {
    // Each block: an op reading the block's input, then one reading that and a Constant (or, the other way, a
    // graph output box read off the block's input beside the op).
    const chain = (blocks: number, side: 'constant' | 'output') => {
      const boxes: LayoutBox[] = [{ id: 'in:x', width: 72, height: 30 }];
      const edges: [string, string][] = [];
      let x = 'in:x';
      for (let i = 0; i < blocks; i++) {
        boxes.push(
          { id: `mm_${i}`, width: 80, height: 30 },
          { id: `add_${i}`, width: 72, height: 30 },
          { id: `side_${i}`, width: 120, height: 30 },
        );
        edges.push([x, `mm_${i}`], [`mm_${i}`, `add_${i}`]);
        edges.push(side === 'constant' ? [`side_${i}`, `add_${i}`] : [x, `side_${i}`]);
        x = `add_${i}`;
      }
      return { boxes, edges };
    };
    for (const side of ['constant', 'output'] as const) {
      const [few, many] = [100, 1000].map((blocks) => {
        const { boxes, edges } = chain(blocks, side);
        const layout = fastLayered(boxes, edges);
        expect(overlappingBoxes(layout, boxes), side).toEqual([]);
        return layout.width;
      });
      // Two boxes side by side, however deep (each block was a step aside: 62,162 units wide at 1,000 blocks).
      expect(many!, side).toBeLessThan(300);
      expect(many! - few!, side).toBeLessThan(8);
    }
  });
});
