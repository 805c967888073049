import type { GraphProto } from 'onnx-buf';

/*
 * The quick check validation runs on every graph (validate-model.ts): are the nodes already listed in
 * an order that runs? It maps every value name to the first node producing it. A Map of 20,000 freshly
 * decoded names cost more than decoding them (hashing each string, and a table regrown a dozen times,
 * in fresh memory, on every load), so this is an open-addressing table of names with a hash computed
 * here, kept between calls and cleared after each.
 */

let keys: (string | undefined)[] = [];
let producers = new Int32Array(0);

function hashOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A table of at least twice `count` slots (a power of two), empty. */
function tableFor(count: number): number {
  let size = 1024;
  while (size < count * 2) size *= 2;
  if (keys.length < size) {
    keys = new Array<string | undefined>(size).fill(undefined);
    producers = new Int32Array(size);
  }
  return keys.length - 1;
}

/**
 * True when every node's inputs are produced by an earlier node or by no node of this graph (graph
 * inputs, initializers, outer-scope values). A graph with a cycle can never pass, since some node on the
 * cycle must consume a value produced later. Values that subgraphs capture are ignored here; the full
 * sort handles them when this quick check fails, as it does for any node holding a subgraph.
 */
export function isListedInOrder(graph: GraphProto): boolean {
  const nodes = graph.node;
  let outputs = 0;
  for (const node of nodes) outputs += node.output.length;
  const mask = tableFor(outputs);
  try {
    // Backwards, so each name ends up with its first producer.
    for (let i = nodes.length - 1; i >= 0; i--) {
      for (const out of nodes[i]!.output) {
        if (out === '') continue;
        let slot = hashOf(out) & mask;
        while (keys[slot] !== undefined && keys[slot] !== out) slot = (slot + 1) & mask;
        keys[slot] = out;
        producers[slot] = i;
      }
    }
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      for (const input of node.input) {
        if (input === '') continue;
        let slot = hashOf(input) & mask;
        let key = keys[slot];
        while (key !== undefined && key !== input) {
          slot = (slot + 1) & mask;
          key = keys[slot];
        }
        // Produced by this node or a later one: not in order.
        if (key !== undefined && producers[slot]! >= i) return false;
      }
      // Same test as subgraphsOf(node).length > 0, without building the list for every node.
      for (const attr of node.attribute) if (attr.g || attr.graphs.length > 0) return false;
    }
    return true;
  } finally {
    // Keep no model's names alive between calls.
    keys.fill(undefined, 0, mask + 1);
  }
}
