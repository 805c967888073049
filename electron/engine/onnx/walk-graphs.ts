import type { GraphProto } from 'onnx-buf';
import { subgraphsOf } from './graph-index.js';

/** Calls `visit` on a graph and, depth first, on every subgraph held by its nodes' attributes (If, Loop, Scan). */
export function walkGraphs(
  graph: GraphProto,
  visit: (graph: GraphProto, depth: number) => void,
  depth = 0,
): void {
  visit(graph, depth);
  for (const node of graph.node) {
    for (const sub of subgraphsOf(node)) walkGraphs(sub, visit, depth + 1);
  }
}
