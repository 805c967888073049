/**
 * The weights `onnx-studio diff` compares: every initializer, and every Constant node's value. Exporters (and
 * some converters) hold weights in Constant nodes rather than initializers; a quantizer treats both alike
 * (int8-weight turns a Constant's `W` into `W_quantized` + `W_scale`, fp16 casts its value in place), so the
 * diff must too, or such a model's weights are invisible in its totals.
 */
import type { GraphProto, NodeProto, TensorProto } from 'onnx-buf';
import { constantAttributeTensor } from '../onnx/constants.js';
import { isDefaultDomain } from '../onnx/domains.js';
import { walkGraphs } from '../onnx/walk-graphs.js';

/** A weight, the graph that holds it, and the name the graph reads it by. */
export interface Located {
  t: TensorProto;
  graph: GraphProto;
  /** An initializer's own name; a Constant node's output (its `value` tensor's name is often empty or stale). */
  name: string;
}

/**
 * The tensor a Constant node holds, in any of its dense forms (`value`, `value_floats`, `value_int`...);
 * undefined for other nodes, a `sparse_value` (sparse initializers are not diffed either) and a malformed one.
 */
export function constantValue(node: NodeProto): TensorProto | undefined {
  if (node.opType !== 'Constant' || !isDefaultDomain(node.domain) || !node.output[0]) return undefined;
  const attribute = node.attribute.find((a) => a.name.startsWith('value'));
  if (!attribute || attribute.refAttrName !== '') return undefined;
  try {
    return constantAttributeTensor(attribute, node.output[0]);
  } catch {
    return undefined;
  }
}

/** Every weight of a model, main graph and subgraph bodies, each graph's initializers first. */
export function weightsOf(main: GraphProto): Located[] {
  const out: Located[] = [];
  walkGraphs(main, (graph) => {
    for (const t of graph.initializer) out.push({ t, graph, name: t.name });
    for (const node of graph.node) {
      const t = constantValue(node);
      if (t) out.push({ t, graph, name: node.output[0]! });
    }
  });
  return out;
}
