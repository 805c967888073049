/**
 * Lookups the Graph view needs over a `ModelGraph`: a node by id with the chain of graphs it sits in (value
 * types and weights of an outer graph are visible inside a body), and search by node name, op type or
 * tensor name. Pure.
 */
import type {
  GraphBody,
  GraphNode,
  ModelGraph,
  ValueType,
  WeightStats,
} from '../../../shared/model-graph.js';
import { opLabel } from '../../../shared/model-graph.js';
import { inputId, outputId } from './graph-scene.js';

export interface IndexedNode {
  node: GraphNode;
  /** From the main graph down to the body holding the node. */
  scopes: GraphBody[];
  /** Ids of the nodes holding those bodies (what must be expanded to see it). */
  ancestors: string[];
}

export interface GraphIndex {
  nodes: Map<string, IndexedNode>;
  /** Tensor name → ids of the nodes (and graph inputs/outputs) that produce or read it. */
  tensors: Map<string, string[]>;
}

export function indexGraph(model: ModelGraph): GraphIndex {
  const nodes = new Map<string, IndexedNode>();
  const tensors = new Map<string, string[]>();
  const touch = (name: string, id: string) => {
    if (name === '') return;
    const ids = tensors.get(name);
    if (ids) {
      if (ids[ids.length - 1] !== id) ids.push(id);
    } else tensors.set(name, [id]);
  };
  const visit = (body: GraphBody, scopes: GraphBody[], ancestors: string[]) => {
    const chain = [...scopes, body];
    for (const node of body.nodes) {
      nodes.set(node.id, { node, scopes: chain, ancestors });
      for (const t of [...node.inputs, ...node.outputs]) touch(t, node.id);
      for (const s of node.subgraphs ?? []) visit(s.graph, chain, [...ancestors, node.id]);
    }
  };
  for (const name of model.graph.inputs) touch(name, inputId(name));
  visit(model.graph, [], []);
  for (const name of model.graph.outputs) touch(name, outputId(name));
  return { nodes, tensors };
}

/** The type of a value as declared in the innermost scope that declares it. */
export function valueType(
  entry: IndexedNode | undefined,
  model: ModelGraph,
  name: string,
): ValueType | undefined {
  const scopes = entry?.scopes ?? [model.graph];
  for (let i = scopes.length - 1; i >= 0; i--) {
    const t = scopes[i]!.values[name];
    if (t) return t;
  }
  return undefined;
}

export function weightOf(
  entry: IndexedNode | undefined,
  model: ModelGraph,
  name: string,
): WeightStats | undefined {
  const scopes = entry?.scopes ?? [model.graph];
  for (let i = scopes.length - 1; i >= 0; i--) {
    const w = scopes[i]!.weights[name];
    if (w) return w;
  }
  return undefined;
}

/** Ids of nodes whose name or op type contains `query` (case-insensitive), else of those touching a tensor whose name does. */
export function searchGraph(index: GraphIndex, query: string, limit = 500): string[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const found = new Set<string>();
  for (const [id, { node }] of index.nodes) {
    if (found.size >= limit) break;
    if (node.name.toLowerCase().includes(q) || opLabel(node).toLowerCase().includes(q)) found.add(id);
  }
  // Tensor names contain op names (`/stem/Conv_output_0`): they count only when no node matched by itself.
  if (found.size > 0) return [...found];
  for (const [name, ids] of index.tensors) {
    if (found.size >= limit) break;
    if (name.toLowerCase().includes(q)) for (const id of ids) found.add(id);
  }
  return [...found];
}
