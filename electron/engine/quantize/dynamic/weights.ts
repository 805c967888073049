import { type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { type ConstantRef, type GraphIndex, findConstant } from '../../onnx/graph.js';
import { dtypeName } from '../../onnx/dtypes.js';
import { decodeToFloat32 } from '../../onnx/tensor-codec.js';

/*
 * Finding the constant behind a node input: an initializer, a sparse initializer or a Constant node,
 * possibly behind a Cast to float (how float16/bfloat16 checkpoints of float32 models are exported).
 */

const DT = TensorProto_DataType;
const FLOAT_TYPES: ReadonlySet<number> = new Set([DT.FLOAT, DT.FLOAT16, DT.BFLOAT16, DT.DOUBLE]);

/** A constant float tensor as a node sees it. */
export interface ResolvedConstant {
  /** The value name the node reads. */
  name: string;
  /** Where the stored data lives. */
  ref: ConstantRef;
  /** The Cast between the stored constant and the node, if any. */
  cast: NodeProto | undefined;
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

function castTarget(node: NodeProto): number | undefined {
  const to = node.attribute.find((a) => a.name === 'to');
  return to ? Number(to.i) : undefined;
}

/**
 * Resolves `name` to a float constant, looking through one Cast (float16/bfloat16/double -> float
 * or the like). `allowOverridable` accepts initializers that a graph input of the same name can
 * override (IR < 4 models list every initializer as an input).
 */
export function resolveFloatConstant(
  index: GraphIndex,
  name: string,
  allowOverridable: boolean,
): ConstantLookup {
  let ref = findConstant(index, name, { allowOverridable });
  let cast: NodeProto | undefined;
  let computeType: number | undefined;
  if (!ref) {
    const producer = index.producer(name);
    const node = producer?.node;
    if (
      node &&
      node.opType === 'Cast' &&
      (node.domain === '' || node.domain === 'ai.onnx') &&
      node.input[0]
    ) {
      const inner = findConstant(index, node.input[0], { allowOverridable });
      if (inner) {
        ref = inner;
        cast = node;
        computeType = castTarget(node);
      }
    }
  }
  if (!ref) {
    if (!allowOverridable && findConstant(index, name, { allowOverridable: true })) {
      return { ok: false, reason: `'${name}' is also a graph input, so it can be replaced at run time` };
    }
    return { ok: false, reason: `'${name}' is computed at run time, not a constant weight` };
  }
  const tensor = ref.tensor;
  const storedType = tensor.dataType;
  if (!FLOAT_TYPES.has(storedType)) {
    return { ok: false, reason: `'${name}' is stored as ${dtypeName(storedType)}, not a float type` };
  }
  const seen = computeType ?? storedType;
  if (!FLOAT_TYPES.has(seen)) return { ok: false, reason: `'${name}' is cast to ${dtypeName(seen)}` };
  let cached: Float32Array | undefined;
  const constant: ResolvedConstant = {
    name,
    ref,
    cast,
    computeType: seen,
    storedType,
    dims: tensor.dims.map(Number),
    get values(): Float32Array {
      cached ??= decodeToFloat32(tensor);
      return cached;
    },
  };
  return { ok: true, constant };
}

/** Whether every value of the array is finite. */
export function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return false;
  return true;
}
