/**
 * A model's graph as the app's Graph view draws it: compact JSON the engine builds
 * (electron/engine/inspect/model-graph.ts) from the protobuf, so the renderer needs no ONNX parser. Edges
 * are implied by tensor names (a node's input is another node's output, a graph input or an initializer);
 * subgraph bodies (If, Loop, Scan) are nested under the node that holds them.
 */

/** The type of a value from the model's value info (inputs, outputs, value_info); shape dims may be names. */
export interface ValueType {
  dtype: string;
  shape: (number | string | null)[];
  /** The model declares no shape at all, not even a rank (`shape` is then empty, but it is not a scalar). */
  rankUnknown?: true;
}

/** What the engine read from a constant tensor (an initializer or a Constant node's value). */
export interface WeightStats {
  dtype: string;
  shape: number[];
  bytes: number;
  /** Absent where the values were not read: external data, a non-numeric dtype, or too many elements. */
  min?: number;
  max?: number;
  mean?: number;
  /** Share of elements that are exactly zero, 0..1. */
  sparsity?: number;
  /** Why min/max/mean are absent. */
  note?: string;
}

export interface GraphAttribute {
  name: string;
  /** A short rendering: `[1, 1]`, `3`, `"NOTSET"`, `tensor float32[64]`, `graph (12 nodes)`. */
  value: string;
}

export interface GraphNode {
  /** Unique in the whole model: the path of indexes, e.g. `12` or `12/then_branch/3`. */
  id: string;
  /** As in the model; may be empty. */
  name: string;
  opType: string;
  /** `''` for the default ONNX domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: GraphAttribute[];
  /** The bodies this node holds (If's then/else, Loop's and Scan's body), by attribute name. */
  subgraphs?: { attribute: string; graph: GraphBody }[];
}

export interface GraphBody {
  nodes: GraphNode[];
  inputs: string[];
  outputs: string[];
  /** Types of the values declared in this graph (inputs, outputs, value_info), by tensor name. */
  values: Record<string, ValueType>;
  /** Constants of this graph (initializers), by name. */
  weights: Record<string, WeightStats>;
}

export interface ModelGraph {
  path: string;
  /** Nodes of the main graph only. */
  mainNodes: number;
  /** Nodes including every subgraph body (what the Graph view says it shows). */
  totalNodes: number;
  graph: GraphBody;
}

/** Every node of a graph and of its subgraphs, depth first, with the depth of the graph it is in. */
export function* walkGraphNodes(body: GraphBody, depth = 0): Generator<{ node: GraphNode; depth: number }> {
  for (const node of body.nodes) {
    yield { node, depth };
    for (const sub of node.subgraphs ?? []) yield* walkGraphNodes(sub.graph, depth + 1);
  }
}

/** The op type as people name it: `MatMulNBits` for com.microsoft's, `ai.onnx.ml::TreeEnsemble` for others. */
export function opLabel(node: Pick<GraphNode, 'opType' | 'domain'>): string {
  return node.domain === '' || node.domain === 'ai.onnx' || node.domain === 'com.microsoft'
    ? node.opType
    : `${node.domain}::${node.opType}`;
}
