import { type GraphProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { intAttribute } from './attributes.js';
import { type ConstantRef, findConstant } from './constants.js';
import { isDefaultDomain } from './domains.js';
import { dtypeName, isFloatDtype } from './dtypes.js';
import type { GraphIndex } from './graph-index.js';
import { isStreamedTensor } from './streamed-weights.js';
import { decodeToFloat32 } from './tensor-codec.js';

/*
 * The float constant behind a node input, as the quantizers see it: an initializer, a sparse
 * initializer or a Constant node (findConstant), possibly behind one Cast, which is how float16 and
 * bfloat16 checkpoints of float32 models are exported. The caller decides which compute types it
 * takes (int8-static only float32; int8-dynamic float32 and float16).
 */

/** A constant float tensor as a node sees it. */
export interface ResolvedConstant {
  /** The value name the node reads. */
  name: string;
  /** Where the stored data lives. */
  ref: ConstantRef;
  /** The Cast between the stored constant and the node, if any. */
  cast: NodeProto | undefined;
  /** The graph that holds the Cast (the node's own, unless `castInOuterScopes`). */
  castGraph: GraphProto | undefined;
  /** The element type the node sees (the Cast's `to`, else the stored type). */
  computeType: number;
  /** The stored element type. */
  storedType: number;
  dims: number[];
  /** The values as float32 (decoded lazily, cached; a view of the tensor for float32 raw data: do not write). */
  readonly values: Float32Array;
}

/** A reason a value is not a usable constant, or the constant. */
export type ConstantLookup = { ok: true; constant: ResolvedConstant } | { ok: false; reason: string };

export interface ResolveConstantOptions {
  /** Look for the constant in enclosing graphs too (default true). */
  searchOuterScopes?: boolean;
  /**
   * Look for the Cast in enclosing graphs too (default false: int8-dynamic removes the Cast after a
   * rewrite from the graph it edits; the weight-only methods remove it from `castGraph`).
   */
  castInOuterScopes?: boolean;
}

/**
 * The default-domain node of `opType` (a Cast, a Transpose) that produces `name`, with the index of the graph
 * holding it; `outer` looks in enclosing graphs too. None where another op, or a graph input, makes `name`.
 */
export function producerOfType(
  index: GraphIndex,
  name: string,
  opType: string,
  outer: boolean,
): { node: NodeProto; index: GraphIndex } | undefined {
  for (let idx: GraphIndex | undefined = index; idx; idx = outer ? idx.parent : undefined) {
    const node = idx.producer(name)?.node;
    if (node) {
      const matches = node.opType === opType && isDefaultDomain(node.domain);
      return matches && node.input[0] ? { node, index: idx } : undefined;
    }
    if (idx.definesLocally(name)) return undefined;
  }
  return undefined;
}

/**
 * Resolves `name` to a float constant, looking through one Cast. `allowOverridable` accepts
 * initializers that a graph input of the same name can override (IR < 4 models list every
 * initializer as an input). A Cast without a `to` attribute (an invalid model) computes in no float
 * type, so its input is not taken as a weight.
 */
export function resolveFloatConstant(
  index: GraphIndex,
  name: string,
  allowOverridable: boolean,
  options: ResolveConstantOptions = {},
): ConstantLookup {
  const scope = { allowOverridable, searchOuterScopes: options.searchOuterScopes ?? true };
  let ref = findConstant(index, name, scope);
  let cast: { node: NodeProto; index: GraphIndex } | undefined;
  if (!ref) {
    cast = producerOfType(index, name, 'Cast', options.castInOuterScopes ?? false);
    ref = cast && findConstant(cast.index, cast.node.input[0]!, scope);
    if (!ref) cast = undefined;
  }
  if (!ref) {
    if (!allowOverridable && findConstant(index, name, { ...scope, allowOverridable: true })) {
      return { ok: false, reason: `'${name}' is also a graph input, so it can be replaced at run time` };
    }
    return { ok: false, reason: `'${name}' is computed at run time, not a constant weight` };
  }
  const tensor = ref.tensor;
  const storedType = tensor.dataType;
  if (!isFloatDtype(storedType)) {
    return { ok: false, reason: `'${name}' is stored as ${dtypeName(storedType)}, not a float type` };
  }
  const computeType = cast ? intAttribute(cast.node, 'to', DT.UNDEFINED) : storedType;
  if (!isFloatDtype(computeType)) {
    return { ok: false, reason: `'${name}' is cast to ${dtypeName(computeType)}` };
  }
  let cached: Float32Array | undefined;
  const constant: ResolvedConstant = {
    name,
    ref,
    cast: cast?.node,
    castGraph: cast?.index.graph,
    computeType,
    storedType,
    dims: tensor.dims.map(Number),
    get values(): Float32Array {
      // A streamed weight is read again when asked: keeping it here would keep every weight a plan holds.
      if (isStreamedTensor(tensor)) return decodeToFloat32(tensor);
      cached ??= decodeToFloat32(tensor);
      return cached;
    },
  };
  return { ok: true, constant };
}
