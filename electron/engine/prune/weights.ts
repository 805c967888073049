import { type GraphProto, type ModelProto, type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { intAttribute } from '../onnx/attributes.js';
import { isFloatDtype } from '../onnx/dtypes.js';
import { type ConstantRef, GraphIndex, findConstant, subgraphsOf } from '../onnx/graph.js';
import { resolveFloatConstant } from '../onnx/resolve-constant.js';

/*
 * Where the weight of a Conv / ConvTranspose / Gemm / MatMul lives, for both pruning methods. Weights may be
 * initializers, sparse initializers or Constant nodes (`findConstant` hides the difference), in the main graph
 * or in an If / Loop / Scan body, and may sit behind a Cast to float: half-precision checkpoints store float16
 * or bfloat16 weights and cast them at run time. The Cast is looked through by the quantizers' own resolver
 * (onnx/resolve-constant.ts), so pruning and quantization agree on what a weight is.
 */

/**
 * The constant behind a node input of the main graph, or undefined when it is computed at run time.
 * Initializers that a graph input of the same name could override (IR < 4 models list every weight as an
 * input) count as constants: nobody feeds weights at inference time.
 */
export function constantInput(index: GraphIndex, node: NodeProto, slot: number): ConstantRef | undefined {
  const name = node.input[slot];
  if (name === undefined || name === '') return undefined;
  return findConstant(index, name, { allowOverridable: true, searchOuterScopes: false });
}

/** One graph of the model, with an index that knows its enclosing scopes. */
export interface PruneScope {
  graph: GraphProto;
  index: GraphIndex;
  /** The If / Loop / Scan node whose attribute holds this graph; absent for the main graph. */
  holder?: NodeProto;
}

/** The main graph and, depth first, every subgraph (If branches, Loop / Scan bodies). */
export function pruneScopes(model: ModelProto): PruneScope[] {
  const out: PruneScope[] = [];
  const visit = (graph: GraphProto, parent: GraphIndex | undefined, holder: NodeProto | undefined): void => {
    const index = new GraphIndex(graph, parent);
    out.push({ graph, index, ...(holder ? { holder } : {}) });
    for (const node of graph.node) for (const sub of subgraphsOf(node)) visit(sub, index, node);
  };
  if (model.graph) visit(model.graph, undefined, undefined);
  return out;
}

/** A prunable weight: which input of the node holds it and along which axis the node reduces (sums) over it. */
export interface WeightSlot {
  node: NodeProto;
  slot: number;
  /** The stored constant (the one behind the Cast, when there is one): what pruning rewrites. */
  ref: ConstantRef;
  dims: number[];
  /** The axis summed over by the node (input channels / features): where N:M groups run. */
  reductionAxis: number;
  /** The Cast to a float type between the stored constant and the node (a half-precision weight). */
  cast?: { node: NodeProto; index: GraphIndex };
}

/**
 * Why a node's weight cannot be pruned, or its slot. `index` is the index of the node's graph; the weight may
 * live in an enclosing graph (a subgraph reading an outer weight), behind one Cast to a float type.
 */
export function weightSlot(index: GraphIndex, node: NodeProto): WeightSlot | { reason: string } {
  const candidates: number[] =
    node.opType === 'Conv' || node.opType === 'ConvTranspose'
      ? [1]
      : node.opType === 'Gemm' || node.opType === 'MatMul'
        ? [1, 0]
        : [];
  if (candidates.length === 0) return { reason: `${node.opType} has no weight that pruning knows` };
  for (const slot of candidates) {
    const name = node.input[slot];
    if (name === undefined || name === '') continue;
    const stored = findConstant(index, name, { allowOverridable: true });
    if (stored && !isFloatDtype(stored.tensor.dataType)) {
      const type = TensorProto_DataType[stored.tensor.dataType] ?? String(stored.tensor.dataType);
      return { reason: `its weight '${stored.name}' is ${type}, not a float type (prune before quantizing)` };
    }
    // Computed at run time (or a Cast of something that is not a float constant): try the other operand.
    const found = resolveFloatConstant(index, name, true, { castInOuterScopes: true });
    if (!found.ok) continue;
    const { ref, dims, cast, castGraph } = found.constant;
    if (dims.length < 2) return { reason: `its weight '${ref.name}' has ${dims.length} dims` };
    const castIndex = cast ? scopeOf(index, castGraph) : undefined;
    // A Cast resolved in a graph the index chain does not reach cannot happen; treated as not a constant.
    if (cast && !castIndex) continue;
    return {
      node,
      slot,
      ref,
      dims,
      reductionAxis: reductionAxis(node, slot, dims.length),
      ...(cast && castIndex ? { cast: { node: cast, index: castIndex } } : {}),
    };
  }
  return { reason: 'its weight is computed at run time, not a constant' };
}

/** The index of `graph` among `index` and its enclosing scopes. */
function scopeOf(index: GraphIndex, graph: GraphProto | undefined): GraphIndex | undefined {
  for (let idx: GraphIndex | undefined = index; idx; idx = idx.parent) if (idx.graph === graph) return idx;
  return undefined;
}

/** Something that reads a value: a node (in the value's graph or a subgraph), or a graph's outputs. */
export type ValueReader = { node: NodeProto } | { output: GraphProto };

/**
 * Every reader of value `name` as defined in `index`'s graph: its nodes, the nodes of subgraphs that capture
 * it (unless a subgraph defines a value of the same name, which shadows it there), and graph outputs.
 * `scopes` maps each subgraph to its index (see pruneScopes).
 */
export function readersOf(
  scopes: ReadonlyMap<GraphProto, GraphIndex>,
  index: GraphIndex,
  name: string,
): ValueReader[] {
  const out: ValueReader[] = [];
  const visit = (idx: GraphIndex): void => {
    for (const c of idx.consumersOf(name)) out.push({ node: c.node });
    if (idx.isGraphOutput(name)) out.push({ output: idx.graph });
    for (const holder of idx.implicitConsumersOf(name)) {
      for (const sub of subgraphsOf(holder)) {
        const inner = scopes.get(sub);
        if (inner && !inner.definesLocally(name)) visit(inner);
      }
    }
  };
  visit(index);
  return out;
}

function reductionAxis(node: NodeProto, slot: number, rank: number): number {
  switch (node.opType) {
    case 'Conv':
      return 1;
    case 'ConvTranspose':
      return 0;
    case 'Gemm':
      return slot === 1 ? (intAttribute(node, 'transB', 0) ? 1 : 0) : intAttribute(node, 'transA', 0) ? 0 : 1;
    default:
      return slot === 1 ? rank - 2 : rank - 1;
  }
}
