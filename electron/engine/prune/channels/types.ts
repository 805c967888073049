import type { NodeProto } from 'onnx-buf';
import type { ConstantRef } from '../../onnx/graph.js';
import type { Layout, ResolvedLayout } from '../channel-layout.js';

/*
 * The vocabulary of the channel analysis: the groups it finds, the edits pruning them needs, and the
 * channel tags of tensors. Its own file so that the consumers (channel selection, applying edits, bias
 * compensation) can depend on these shapes without pulling in the graph walk.
 */

/** A layer whose output channels belong to a group: removing a channel slices `outAxis` of its weight. */
export interface ChannelSource {
  node: NodeProto;
  weight: ConstantRef;
  outAxis: number;
  /** |gamma| / sqrt(var + eps) of a BatchNorm that directly follows, for BatchNorm-aware ranking. */
  bnScale?: Float64Array;
}

/** One change that removing channels implies. Layouts name spaces; map them with `analysis.root`. */
export type ChannelEdit =
  /** Keep the surviving positions of `axis` of a constant (weights, biases, BatchNorm parameters...). */
  | { kind: 'slice'; node: NodeProto; constant: ConstantRef; axis: number; layout: ResolvedLayout }
  /** Set a depthwise Conv's `group` to the surviving number of its input channels. */
  | { kind: 'group'; node: NodeProto; layout: ResolvedLayout }
  /** Set entry `position` of an int shape constant (a Reshape target) to the surviving length. */
  | { kind: 'shape'; node: NodeProto; constant: ConstantRef; position: number; layout: ResolvedLayout }
  /** Bias compensation of a consumer that sums over channels: see bias-compensation.ts. */
  | CompensationEdit;

/**
 * A consumer (Conv, Gemm, MatMul) that sums over the channels of `layout` with `weight`: for every removed
 * channel whose constant estimate `constant` (one per base position of `layout`) is known, the consumer's
 * bias gains `scale * k * sum(weight[o, channel, ...])` for each output `o`.
 */
export interface CompensationEdit {
  kind: 'compensate';
  node: NodeProto;
  weight: ConstantRef;
  /** The weight's axis over input channels, and over the consumer's outputs (the rest are summed too). */
  inAxis: number;
  outAxis: number;
  layout: ResolvedLayout;
  constant: Float64Array;
  /** The consumer's outputs (a created bias follows their pruning). */
  outLayout: ResolvedLayout;
  /** Gemm: alpha / beta (the bias is scaled by beta). */
  scale: number;
  /** The bias input: `bias` when it is a constant this edit may change; absent for none (MatMul, no C). */
  bias?: ConstantRef;
  /** Whether the bias is sliced by an edit of its own (then it is changed in place before slicing). */
  biasSliced: boolean;
  /** Why the bias cannot be compensated (removed channels with a known estimate are then reported). */
  blocked?: string;
}

/** A tensor that carries channels: where its channel axis is, counted from the end, and its layout. */
export interface ChannelTensor {
  layout: Layout;
  /** The channel axis as a negative index (-1 = last), stable under broadcasting. */
  axisFromEnd: number;
  /** The tensor's rank, when known. */
  rank?: number;
  /**
   * Bias compensation: each base position's value when the producers' weights are zero (their bias carried
   * through the per-channel ops since), NaN when unknown; absent means all unknown. See channel-constants.ts.
   */
  constant?: Float64Array;
}

/** A group of channel spaces that must be pruned together. */
export interface ChannelGroup {
  /** The representative space id. */
  root: number;
  /** Channels in the group. */
  channels: number;
  /** Layers whose output channels are the group's channels (weights ranked and sliced along `outAxis`). */
  sources: ChannelSource[];
  /** Nodes tied to the group: the sources, then pass-through layers such as depthwise Convs. */
  members: string[];
  /** Why the group cannot be pruned; empty when it can. */
  blocked: string[];
}

export interface ChannelAnalysis {
  groups: ChannelGroup[];
  edits: ChannelEdit[];
  /** Channel-carrying tensors, for updating their value_info after pruning. */
  tensors: Map<string, ChannelTensor>;
  /** The representative of a space (spaces tied together share one). */
  root(space: number): number;
}

export interface AnalyseOptions {
  /** Op types whose output channels may be pruned. */
  opTypes: ReadonlySet<string>;
  /** Nodes (by name) whose output channels must stay. */
  excludeNodes: ReadonlySet<string>;
}
