import type { GraphProto, NodeProto, TensorProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { setIntAttribute } from '../onnx/attributes.js';
import { type ConstantRef, replaceConstant } from '../onnx/graph.js';
import { decodeTensor, encodeTensor } from '../onnx/tensor-codec.js';
import { type CompensationResult, compensateBiases } from './bias-compensation.js';
import { type KeptChannels, keptLength, keptPositions, resolveLayout } from './channel-layout.js';
import type { ChannelAnalysis, CompensationEdit } from './channels/types.js';
import { sliceTensorAxis } from './tensor-slice.js';

/*
 * Carrying out a channel selection: every edit the analysis recorded is applied with the surviving
 * positions of its layout; each constant is rewritten once (all its sliced axes together), and the declared
 * shapes (value_info) of channel-carrying tensors are updated, or dropped where the new size cannot be told.
 */

interface PendingConstant {
  ref: ConstantRef;
  slices: Map<number, number[]>;
}

export interface ApplyOptions {
  /** Move the constant output of removed channels into their consumers' biases (default true). */
  biasCompensation?: boolean;
}

export interface AppliedEdits {
  /** The nodes that changed. */
  changed: Set<NodeProto>;
  /** What bias compensation did (absent when it was off). */
  compensation?: CompensationResult;
}

/** Applies the edits for `kept` (by group root). */
export function applyChannelEdits(
  graph: GraphProto,
  analysis: ChannelAnalysis,
  kept: ReadonlyMap<number, Int32Array>,
  options: ApplyOptions = {},
): AppliedEdits {
  const keptOf: KeptChannels = (space) => kept.get(analysis.root(space));
  const changed = new Set<NodeProto>();
  const constants = new Map<string, PendingConstant>();
  // Compensation reads the original weights, so it runs before anything is sliced.
  let compensation: CompensationResult | undefined;
  if (options.biasCompensation ?? true) {
    const compensations = analysis.edits.filter((e): e is CompensationEdit => e.kind === 'compensate');
    compensation = compensateBiases(graph, compensations, keptOf);
    for (const node of compensation.changed) changed.add(node);
  }
  for (const edit of analysis.edits) {
    if (edit.kind === 'compensate') continue;
    if (edit.kind === 'group') {
      const { changed: any } = keptPositions(edit.layout, keptOf);
      if (!any) continue;
      setIntAttribute(edit.node, 'group', keptLength(edit.layout, keptOf));
      changed.add(edit.node);
      continue;
    }
    if (edit.kind === 'shape') {
      const { changed: any } = keptPositions(edit.layout, keptOf);
      if (!any) continue;
      setShapeEntry(edit.constant, edit.position, keptLength(edit.layout, keptOf));
      changed.add(edit.node);
      continue;
    }
    const { positions, changed: any } = keptPositions(edit.layout, keptOf);
    if (!any) continue;
    changed.add(edit.node);
    const pending = constants.get(edit.constant.name) ?? {
      ref: compensation?.updated.get(edit.constant.name) ?? edit.constant,
      slices: new Map<number, number[]>(),
    };
    constants.set(edit.constant.name, pending);
    const previous = pending.slices.get(edit.axis);
    if (previous && (previous.length !== positions.length || previous.some((p, i) => p !== positions[i]))) {
      throw new StudioError(
        'INTERNAL',
        `Two different channel selections for axis ${edit.axis} of '${edit.constant.name}'.`,
      );
    }
    pending.slices.set(edit.axis, positions);
  }
  for (const { ref, slices } of constants.values()) {
    let tensor: TensorProto = ref.tensor;
    for (const [axis, positions] of slices) tensor = sliceTensorAxis(tensor, axis, positions);
    replaceConstant(ref, tensor);
  }
  updateValueInfo(graph, analysis, keptOf);
  return { changed, ...(compensation ? { compensation } : {}) };
}

function setShapeEntry(ref: ConstantRef, position: number, value: number): void {
  const decoded = decodeTensor(ref.tensor);
  const values = decoded.values;
  if (values instanceof BigInt64Array) {
    const copy = BigInt64Array.from(values);
    copy[position] = BigInt(value);
    replaceConstant(ref, encodeTensor(ref.name, decoded.dataType, decoded.dims, copy));
  } else if (values instanceof Int32Array) {
    const copy = Int32Array.from(values);
    copy[position] = value;
    replaceConstant(ref, encodeTensor(ref.name, decoded.dataType, decoded.dims, copy));
  } else {
    throw new StudioError('INTERNAL', `Shape constant '${ref.name}' is not an integer tensor.`);
  }
}

function updateValueInfo(graph: GraphProto, analysis: ChannelAnalysis, keptOf: KeptChannels): void {
  const stale = new Set<string>();
  for (const vi of graph.valueInfo) {
    const tensor = analysis.tensors.get(vi.name);
    const type = vi.type?.value;
    if (!tensor || type?.case !== 'tensorType' || !type.value.shape) continue;
    const dims = type.value.shape.dim;
    const dim = dims[dims.length + tensor.axisFromEnd];
    if (!dim) {
      stale.add(vi.name);
      continue;
    }
    if (dim.value.case !== 'dimValue') continue; // symbolic or unknown: still true
    const layout = resolveLayout(tensor.layout, Number(dim.value.value));
    if (!layout) {
      stale.add(vi.name);
      continue;
    }
    const length = keptLength(layout, keptOf);
    if (length !== Number(dim.value.value)) dim.value = { case: 'dimValue', value: BigInt(length) };
  }
  if (stale.size > 0) graph.valueInfo = graph.valueInfo.filter((vi) => !stale.has(vi.name));
}
