import { describe, expect, it } from 'vitest';
import { mockModelGraph } from '../host/mock-graph.js';
import { buildScene, inputId, outputId, sceneGraphOf, type Scene, type SceneBody } from './graph-scene.js';
import { fastLayered } from './layered-layout.js';
import { indexGraph, searchGraph } from './graph-index.js';
import { LABEL_SCALE } from './opening-view.js';

const graph = mockModelGraph('/models/m.onnx');
const byId = (scene: Scene, id: string) => scene.nodes.find((n) => n.id === id)!;
const inside = (inner: Scene['nodes'][number], outer: Scene['nodes'][number]) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;

describe('buildScene', () => {
  it('shows a collapsed If as one expandable node, its captures as edges into it', () => {
    const scene = buildScene(sceneGraphOf(graph), new Set());
    expect(scene.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining(['0', '6', '10', inputId('image'), outputId('probabilities')]),
    );
    expect(scene.nodes.some((n) => n.id.startsWith('6/'))).toBe(false);
    expect(byId(scene, '6')).toMatchObject({ kind: 'op', expandable: true });
    // The branches read pool2 (node 5) from the outer graph: the If depends on it.
    expect(scene.edges.some((e) => e.from === '5' && e.to === '6')).toBe(true);
    expect(scene.edges.some((e) => e.from === inputId('use_scale') && e.to === '6')).toBe(true);
  });

  it('expands an If into a frame holding both branches, and lays everything out top-down', () => {
    const scene = buildScene(sceneGraphOf(graph), new Set(['6']));
    const frame = byId(scene, '6');
    expect(frame.kind).toBe('frame');
    for (const id of ['6/then_branch/0', '6/else_branch/0']) {
      expect(byId(scene, id).depth).toBe(1);
      expect(inside(byId(scene, id), frame)).toBe(true);
    }
    expect(scene.captions.map((c) => c.text)).toEqual(['then_branch', 'else_branch']);
    // A caption clears the outline of its body's selected first node: half a 12-unit line above the middle,
    // and the outline 2 units out and up to 3 px / LABEL_SCALE wide (the smallest scale captions are drawn at).
    const reach = 2 + 3 / LABEL_SCALE / 2;
    scene.captions.forEach((c, i) => {
      const first = byId(scene, ['6/then_branch/0', '6/else_branch/0'][i]!);
      expect(first.y - reach - (c.y + 6)).toBeGreaterThanOrEqual(2);
      expect(c.y - 6).toBeGreaterThanOrEqual(frame.y + 22);
    });
    // Edges of the main graph go downwards.
    for (const e of scene.edges) {
      const from = byId(scene, e.from);
      const to = byId(scene, e.to);
      if (from.depth === 0 && to.depth === 0) expect(to.y).toBeGreaterThan(from.y);
    }
    // No two boxes of one graph overlap.
    const top = scene.nodes.filter((n) => n.depth === 0);
    for (const a of top)
      for (const b of top)
        if (a !== b)
          expect(
            a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y,
          ).toBe(true);
  });
});

describe('fastLayered', () => {
  it('lays out a chain far deeper than dagre can recurse, one rank per node', () => {
    const n = 5000;
    const boxes = Array.from({ length: n }, (_, i) => ({ id: String(i), width: 80, height: 30 }));
    const edges = Array.from({ length: n - 1 }, (_, i): [string, string] => [String(i), String(i + 1)]);
    const layout = fastLayered(boxes, edges);
    for (let i = 1; i < n; i++)
      expect(layout.boxes.get(String(i))!.y).toBeGreaterThan(layout.boxes.get(String(i - 1))!.y);
    expect(layout.edges).toHaveLength(n - 1);
  });

  it('puts siblings of one rank side by side without overlap', () => {
    const body: SceneBody = {
      inputs: ['x'],
      outputs: [],
      nodes: ['a', 'b', 'c'].map((id) => ({ id, label: 'Relu', inputs: ['x'], outputs: [`${id}.out`] })),
    };
    const scene = buildScene(body, new Set());
    const [a, b, c] = ['a', 'b', 'c'].map((id) => byId(scene, id));
    expect(a!.y).toBe(b!.y);
    expect(b!.y).toBe(c!.y);
    const xs = [a!, b!, c!].sort((p, q) => p.x - q.x);
    expect(xs[0]!.x + xs[0]!.width).toBeLessThanOrEqual(xs[1]!.x);
  });
});

describe('searchGraph', () => {
  it('finds nodes by name, op type and the tensors they touch, inside bodies too', () => {
    const index = indexGraph(graph);
    expect(searchGraph(index, 'softmax')).toEqual(['10']);
    expect(searchGraph(index, 'identity')).toEqual(['6/else_branch/0']);
    expect(searchGraph(index, 'fc_mm').sort()).toEqual(['8', '9']);
    expect(searchGraph(index, 'probabilities').sort()).toEqual(['10', 'out:probabilities']);
    expect(index.nodes.get('6/then_branch/0')!.ancestors).toEqual(['6']);
    expect(searchGraph(index, '  ')).toEqual([]);
  });
});
