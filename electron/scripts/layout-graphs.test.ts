import { describe, expect, it } from 'vitest';
import { buildScene, type SceneBody } from '../../renderer/src/graph/graph-scene.js';
import {
  branchy,
  deepChain,
  residualChain,
  smallCnn,
  transformer,
  TRANSFORMER_EDGES_PER_BLOCK,
  TRANSFORMER_NODES_PER_BLOCK,
} from './layout-graphs.js';

/** Boxes and edges of the graph as the Graph view lays it out, nothing expanded. */
function counts(body: SceneBody) {
  const scene = buildScene(body, new Set());
  return { nodes: body.nodes.length, boxes: scene.nodes.length, edges: scene.edges.length };
}

describe('bench-layout graphs', () => {
  it('have the nodes, boxes and edges their comments promise', () => {
    expect(counts(deepChain(10))).toEqual({ nodes: 10, boxes: 12, edges: 11 });
    expect(counts(residualChain(5))).toEqual({ nodes: 20, boxes: 22, edges: 26 });
    expect(counts(transformer(3))).toEqual({
      nodes: 3 * TRANSFORMER_NODES_PER_BLOCK,
      boxes: 3 * TRANSFORMER_NODES_PER_BLOCK + 3,
      edges: 3 * TRANSFORMER_EDGES_PER_BLOCK + 1,
    });
    // 60 blocks of 14 edges, one more into the If of block 49 (it reads gate_on too), one to the output.
    expect(counts(branchy(60))).toEqual({ nodes: 600, boxes: 603, edges: 60 * 14 + 1 + 1 });
    expect(counts(smallCnn())).toEqual({ nodes: 200, boxes: 202, edges: 239 });
  });

  it('are the same graph every time they are built', () => {
    for (const build of [() => transformer(2), () => branchy(50), () => smallCnn(12, 4)])
      expect(build()).toEqual(build());
  });
});
