import { type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { intAttribute } from '../onnx/attributes.js';
import { isFloatDtype } from '../onnx/dtypes.js';
import { type ConstantRef, type GraphIndex, findConstant } from '../onnx/graph.js';

/*
 * Where the weight of a Conv / ConvTranspose / Gemm / MatMul lives, for both pruning methods. Weights may be
 * initializers, sparse initializers or Constant nodes (`findConstant` hides the difference).
 */

/**
 * The constant behind a node input, or undefined when it is computed at run time. Initializers that a graph
 * input of the same name could override (IR < 4 models list every weight as an input) count as constants:
 * nobody feeds weights at inference time.
 */
export function constantInput(index: GraphIndex, node: NodeProto, slot: number): ConstantRef | undefined {
  const name = node.input[slot];
  if (name === undefined || name === '') return undefined;
  return findConstant(index, name, { allowOverridable: true, searchOuterScopes: false });
}

/** A prunable weight: which input of the node holds it and along which axis the node reduces (sums) over it. */
export interface WeightSlot {
  node: NodeProto;
  slot: number;
  ref: ConstantRef;
  dims: number[];
  /** The axis summed over by the node (input channels / features): where N:M groups run. */
  reductionAxis: number;
}

/** Why a node's weight cannot be pruned, or its slot. */
export function weightSlot(index: GraphIndex, node: NodeProto): WeightSlot | { reason: string } {
  const candidates: number[] =
    node.opType === 'Conv' || node.opType === 'ConvTranspose'
      ? [1]
      : node.opType === 'Gemm' || node.opType === 'MatMul'
        ? [1, 0]
        : [];
  if (candidates.length === 0) return { reason: `${node.opType} has no weight that pruning knows` };
  for (const slot of candidates) {
    const ref = constantInput(index, node, slot);
    if (!ref) continue;
    const dims = ref.tensor.dims.map(Number);
    if (!isFloatDtype(ref.tensor.dataType)) {
      const type = TensorProto_DataType[ref.tensor.dataType] ?? String(ref.tensor.dataType);
      return { reason: `its weight '${ref.name}' is ${type}, not a float type (prune before quantizing)` };
    }
    if (dims.length < 2) return { reason: `its weight '${ref.name}' has ${dims.length} dims` };
    return { node, slot, ref, dims, reductionAxis: reductionAxis(node, slot, dims.length) };
  }
  return { reason: 'its weight is computed at run time, not a constant' };
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
