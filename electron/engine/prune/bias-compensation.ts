import { type GraphProto, type NodeProto, type TensorProto, TensorProto_DataType } from 'onnx-buf';
import { type ConstantRef, UniqueNameGenerator, insertNodesAfter, replaceConstant } from '../onnx/graph.js';
import { makeNode } from '../onnx/graph-build.js';
import { nodeLabel } from '../onnx/node-label.js';
import { decodeToFloat32, encodeTensor } from '../onnx/tensor-codec.js';
import { type KeptChannels, keptPositions, layoutBase } from './channel-layout.js';
import type { CompensationEdit } from './channels/types.js';

/*
 * Bias compensation: a removed channel is one with (near) zero weights, but its producer's bias still makes
 * it send a constant k downstream (Relu(b), a folded BatchNorm's shift...). Dropping the channel would take
 * k * sum(W[o, channel, ...]) away from every output o of each consumer that sums over it, so that amount is
 * added to the consumer's bias instead (a bias is created where there is none: a Conv or Gemm gets its bias
 * input, a MatMul an Add after it). This is exact for a channel with zero weights, away from the borders a
 * Conv pads with zeros; for a channel with small weights it keeps its mean-ish contribution.
 *
 * The estimates k come from the channel analysis in channels/ (carried through per-channel ops, NaN where
 * unknown). It runs on the original weights, before any constant is sliced.
 */

export interface CompensationResult {
  /** Constants replaced in place (by name), so that later slicing reads the new data. */
  updated: Map<string, ConstantRef>;
  /** Nodes whose bias changed or was created. */
  changed: Set<NodeProto>;
  /** Removed (consumer, input channel) pairs whose nonzero constant was moved into the consumer's bias. */
  compensated: number;
  /** Removed pairs with a nonzero or unknown estimate that could not be compensated, by reason. */
  skipped: Map<string, number>;
}

/** Row-major sums of `values` (dims) over every axis but `outAxis` and `inAxis`, weighted by `k[in]`. */
function weightedSums(
  values: Float32Array,
  dims: readonly number[],
  inAxis: number,
  outAxis: number,
  k: Float64Array,
): Float64Array {
  const stride = (axis: number): number => dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const [inStride, outStride] = [stride(inAxis), stride(outAxis)];
  const [inLength, outLength] = [dims[inAxis]!, dims[outAxis]!];
  const out = new Float64Array(outLength);
  for (let i = 0; i < values.length; i++) {
    const kv = k[Math.floor(i / inStride) % inLength]!;
    if (kv !== 0) out[Math.floor(i / outStride) % outLength]! += kv * values[i]!;
  }
  return out;
}

function encodeLike(
  name: string,
  dataType: number,
  dims: readonly number[],
  values: Float64Array,
): TensorProto {
  return encodeTensor(
    name,
    dataType,
    dims,
    dataType === TensorProto_DataType.DOUBLE ? values : Float32Array.from(values),
  );
}

/**
 * Moves the constants of the channels `keptOf` removes into the biases of their consumers. Call before any
 * constant of the graph is changed.
 */
export function compensateBiases(
  graph: GraphProto,
  edits: readonly CompensationEdit[],
  keptOf: KeptChannels,
): CompensationResult {
  const result: CompensationResult = {
    updated: new Map(),
    changed: new Set(),
    compensated: 0,
    skipped: new Map(),
  };
  const skip = (reason: string, n: number): void => {
    if (n > 0) result.skipped.set(reason, (result.skipped.get(reason) ?? 0) + n);
  };
  let names: UniqueNameGenerator | undefined;
  // The Adds that carry a MatMul's compensation, inserted after their MatMul in one pass at the end.
  const insertions = new Map<NodeProto, NodeProto[]>();
  for (const edit of edits) {
    const { positions, changed } = keptPositions(edit.layout, keptOf);
    if (!changed) continue;
    const length = layoutBase(edit.layout) * edit.layout.factor;
    const keptSet = new Set(positions);
    const k = new Float64Array(length);
    let known = 0;
    let unknown = 0;
    for (let p = 0; p < length; p++) {
      if (keptSet.has(p)) continue;
      const v = edit.constant[Math.floor(p / edit.layout.factor)]!;
      if (Number.isNaN(v)) unknown++;
      else if (v !== 0) {
        k[p] = v;
        known++;
      }
    }
    // Positions of one channel (a Flatten's H*W) count once.
    const per = (n: number): number => Math.ceil(n / edit.layout.factor);
    skip(
      `the value of the removed channel is not a constant the analysis can follow into '${nodeLabel(edit.node)}'`,
      per(unknown),
    );
    if (known === 0) continue;
    if (edit.blocked) {
      skip(edit.blocked, per(known));
      continue;
    }
    const dims = edit.weight.tensor.dims.map(Number);
    if (dims[edit.inAxis] !== length) {
      skip(`the weight of '${nodeLabel(edit.node)}' does not have one entry per input channel`, per(known));
      continue;
    }
    const delta = weightedSums(decodeToFloat32(edit.weight.tensor), dims, edit.inAxis, edit.outAxis, k);
    for (let o = 0; o < delta.length; o++) delta[o]! *= edit.scale;
    names ??= new UniqueNameGenerator(graph);
    if (!applyDelta(graph, edit, delta, keptOf, result, names, insertions)) {
      skip(`the bias of '${nodeLabel(edit.node)}' is not one value per output`, per(known));
      continue;
    }
    result.compensated += per(known);
    result.changed.add(edit.node);
  }
  insertNodesAfter(graph, insertions);
  return result;
}

function applyDelta(
  graph: GraphProto,
  edit: CompensationEdit,
  delta: Float64Array,
  keptOf: KeptChannels,
  result: CompensationResult,
  names: UniqueNameGenerator,
  insertions: Map<NodeProto, NodeProto[]>,
): boolean {
  const n = delta.length;
  const current = edit.bias ? (result.updated.get(edit.bias.name) ?? edit.bias) : undefined;
  const dataType = current?.tensor.dataType ?? edit.weight.tensor.dataType;
  const old = current ? Float64Array.from(decodeToFloat32(current.tensor)) : undefined;
  if (current && old && edit.biasSliced) {
    // The bias is the node's own and an edit slices it: change it in place, full length.
    const dims = current.tensor.dims.map(Number);
    for (let i = 0; i < old.length; i++) old[i]! += delta[i % n]!;
    result.updated.set(current.name, replaceConstant(current, encodeLike(current.name, dataType, dims, old)));
    return true;
  }
  if (old && old.length !== 1 && old.length !== n) return false;
  // A new bias, one value per output, already cut to the outputs that stay.
  const full = Float64Array.from(delta, (d, o) => d + (old ? old[old.length === 1 ? 0 : o]! : 0));
  const { positions, changed } = keptPositions(edit.outLayout, keptOf);
  const values = changed ? Float64Array.from(positions, (p) => full[p]!) : full;
  const node = edit.node;
  const stem = node.name || edit.weight.name;
  const name = names.next(`${stem}.compensated_bias`);
  // `names` made the name unique in the graph, so addInitializer's check (a pass over every name the graph
  // defines, per layer: minutes on a model of thousands of layers) is not needed.
  graph.initializer.push(encodeLike(name, dataType, [values.length], values));
  if (node.opType === 'MatMul') {
    const output = node.output[0]!;
    const product = names.next(`${output}.before_bias`);
    node.output[0] = product;
    const add = makeNode('Add', [product, name], [output], { name: names.next(`${stem}.compensation`) });
    // Right after the MatMul, before the Add of an earlier edit of it (which now reads this one's output).
    insertions.set(node, [add, ...(insertions.get(node) ?? [])]);
    return true;
  }
  while (node.input.length < 3) node.input.push('');
  node.input[2] = name;
  return true;
}
