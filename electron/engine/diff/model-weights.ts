/**
 * The weights `onnx-studio diff` compares: every initializer, every sparse initializer, and every Constant node's
 * value (a `sparse_value` included). A sparse weight counts as what it stores (its values and indices, as
 * `inspect` counts it) under its dense shape; a quantizer reading one makes a dense `W_quantized` of it. Exporters (and
 * some converters) hold weights in Constant nodes rather than initializers; a quantizer treats both alike
 * (int8-weight turns a Constant's `W` into `W_quantized` + `W_scale`, fp16 casts its value in place), so the
 * diff must too, or such a model's weights are invisible in its totals.
 */
import type { GraphProto, NodeProto, SparseTensorProto, TensorProto } from 'onnx-buf';
import { tensorByteSize } from '../onnx/tensor-codec.js';
import { constantAttributeTensor } from '../onnx/constants.js';
import { isDefaultDomain } from '../onnx/domains.js';
import { walkGraphs } from '../onnx/walk-graphs.js';

/** A weight, the graph that holds it, and the name the graph reads it by. */
export interface Located {
  t: TensorProto;
  graph: GraphProto;
  /** An initializer's own name; a Constant node's output (its `value` tensor's name is often empty or stale). */
  name: string;
  /** A sparse weight: `t` is its values, this the whole (dims, indices). */
  sparse?: SparseTensorProto;
}

/** A weight's logical shape: a sparse weight's dense dims. */
export function weightShape(w: Located): number[] {
  return (w.sparse?.dims ?? w.t.dims).map(Number);
}

/**
 * The bytes a weight stores: a sparse weight's values and indices together, as `inspect` counts them. `sizeOf`
 * gives a tensor's bytes (for a streamed tensor, from where they are: asking it would read them).
 */
export function weightBytes(w: Located, sizeOf: (t: TensorProto) => number = tensorByteSize): number {
  return sizeOf(w.t) + (w.sparse?.indices ? sizeOf(w.sparse.indices) : 0);
}

/** A sparse tensor as a weight, named `name`; undefined without values (a malformed one). */
function sparseWeight(s: SparseTensorProto, graph: GraphProto, name: string): Located | undefined {
  return s.values ? { t: s.values, graph, name, sparse: s } : undefined;
}

/**
 * The tensor a Constant node holds, in any of its dense forms (`value`, `value_floats`, `value_int`...);
 * undefined for other nodes, a `sparse_value` (constantSparseValue) and a malformed one.
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

/** The sparse tensor of a Constant node's `sparse_value`; undefined for any other node. */
function constantSparseValue(node: NodeProto): SparseTensorProto | undefined {
  if (node.opType !== 'Constant' || !isDefaultDomain(node.domain) || !node.output[0]) return undefined;
  return node.attribute.find((a) => a.name === 'sparse_value' && a.refAttrName === '')?.sparseTensor;
}

/**
 * Every weight of a model, main graph and subgraph bodies, each graph's initializers first, then its sparse
 * initializers (named by their values, as onnxruntime reads them).
 */
export function weightsOf(main: GraphProto): Located[] {
  const out: Located[] = [];
  const add = (w: Located | undefined) => {
    if (w) out.push(w);
  };
  walkGraphs(main, (graph) => {
    for (const t of graph.initializer) out.push({ t, graph, name: t.name });
    for (const s of graph.sparseInitializer) add(sparseWeight(s, graph, s.values?.name ?? ''));
    for (const node of graph.node) {
      const t = constantValue(node);
      if (t) out.push({ t, graph, name: node.output[0]! });
      const s = constantSparseValue(node);
      if (s) add(sparseWeight(s, graph, node.output[0]!));
    }
  });
  return out;
}
