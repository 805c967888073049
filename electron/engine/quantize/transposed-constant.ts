import type { GraphProto, NodeProto } from 'onnx-buf';
import type { GraphIndex } from '../onnx/graph-index.js';
import {
  type ConstantLookup,
  type ResolveConstantOptions,
  type ResolvedConstant,
  producerOfType,
  resolveFloatConstant,
} from '../onnx/resolve-constant.js';

/*
 * The constant weight behind a node input as every quantizer resolves it: resolveFloatConstant's
 * constant, or a 2-D Transpose of one. PyTorch exports an LM head tied to the embedding as
 * MatMul(hidden, Transpose(table, perm [1, 0])); without looking through the Transpose the largest
 * matrix of the model stays float. The constant is returned as stored (dims and values untransposed):
 * each quantizer already handles a [N, K] weight (Gemm transB), so it swaps its layout rather than
 * materializing a transposed copy of what can be a 250 MB table.
 */

/** The Transpose between a stored constant and the node. */
export interface TransposeView {
  node: NodeProto;
  /** The index of the graph that holds the Transpose. */
  index: GraphIndex;
  graph: GraphProto;
  /** True for perm [1, 0] (or no perm: a 2-D reversal); false for the identity perm [0, 1]. */
  swapped: boolean;
}

export type WeightLookup =
  | { ok: true; constant: ResolvedConstant; transpose: TransposeView | undefined }
  | { ok: false; reason: string };

/**
 * Resolves `name` as resolveFloatConstant does and, when it is computed at run time, looks through the
 * default-domain Transpose that produces it (found where the Cast would be: `castInOuterScopes`) to a
 * 2-D float constant. Other perms and ranks keep resolveFloatConstant's reason.
 */
export function resolveWeightConstant(
  index: GraphIndex,
  name: string,
  allowOverridable: boolean,
  options: ResolveConstantOptions = {},
): WeightLookup {
  const found: ConstantLookup = resolveFloatConstant(index, name, allowOverridable, options);
  if (found.ok) return { ...found, transpose: undefined };
  const producer = producerOfType(index, name, 'Transpose', options.castInOuterScopes ?? false);
  if (!producer) return found;
  const inner = resolveFloatConstant(producer.index, producer.node.input[0]!, allowOverridable, options);
  if (!inner.ok || inner.constant.dims.length !== 2) return found;
  const swapped = transposeSwaps(producer.node);
  if (swapped === undefined) return found;
  return {
    ok: true,
    constant: inner.constant,
    transpose: { ...producer, graph: producer.index.graph, swapped },
  };
}

/** Whether a 2-D Transpose swaps its axes (perm [1, 0] or none), keeps them ([0, 1]), or is not 2-D. */
function transposeSwaps(node: NodeProto): boolean | undefined {
  const attr = node.attribute.find((a) => a.name === 'perm');
  if (!attr) return true;
  const perm = attr.ints.map(Number).join(',');
  return perm === '1,0' ? true : perm === '0,1' ? false : undefined;
}
