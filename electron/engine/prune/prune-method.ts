import type { ModelProto } from 'onnx-buf';
import type { z } from 'zod';

/** Op types whose weights pruning touches when `opTypes` is not given. */
export const DEFAULT_PRUNE_OP_TYPES: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

export { commonPruneOptionsSchema, type CommonPruneOptions } from '../../../shared/options/prune-options.js';
import type { CommonPruneOptions } from '../../../shared/options/prune-options.js';

/** What one pruned layer (magnitude) or channel group (structured) lost; part of the report. */
export interface PrunedLayer {
  /** The node, or for a channel group the first node whose output channels form the group. */
  name: string;
  opType: string;
  /** What `total` and `removed` count. */
  unit: 'weights' | 'channels';
  /** The weight pruned (magnitude). */
  weight?: string;
  /** Weights in the layer, or channels in the group. */
  total: number;
  /** Zero weights after pruning (magnitude), or channels removed (structured). */
  removed: number;
  /** removed / total. */
  sparsity: number;
  /** Structured: every node whose output channels are tied together in this group (residual Add, depthwise, ...). */
  group?: string[];
}

/** A layer or channel group left alone, and why (reported to the user). */
export interface SkippedPrune {
  name: string;
  opType: string;
  reason: string;
  /** Structured: channels in the group. */
  channels?: number;
  /** Structured: the nodes whose output channels are tied together in this group. */
  group?: string[];
}

export interface PruneProgress {
  /** e.g. 'analysing', 'scoring', 'pruning'. */
  phase: string;
  done: number;
  total: number;
}

/** What a method gets: a private copy of the model to rewrite in place, and the run's context. */
export interface PruneInput<Options> {
  model: ModelProto;
  options: Options;
  common: CommonPruneOptions;
  signal?: AbortSignal;
  onProgress?: (progress: PruneProgress) => void;
  /** Human-readable notes for the user (e.g. "dense kernels do not run faster on zeros"). */
  note: (message: string) => void;
}

export interface PruneOutcome {
  /** Fraction actually removed, in the method's unit (weights or channels of the layers it pruned). */
  achievedSparsity: number;
  /** Nodes whose weights or attributes changed. */
  prunedNodes: number;
  /** Output channels removed across all groups (0 for unstructured methods). */
  removedChannels: number;
  layers: PrunedLayer[];
  skipped: SkippedPrune[];
  /** The method's reading of the target (e.g. N:M fixes it), when it differs from `common.sparsity`. */
  targetSparsity?: number;
  /** Whether the size win shows only once the file is compressed (unstructured zeros). */
  measureCompressed?: boolean;
  /**
   * When the method had layers to prune but changed nothing: why (words that follow "Nothing was pruned: ")
   * and what to change; prune-model.ts puts the sentence first in the notes.
   */
  nothingPruned?: { why: string; fix: string };
}

/**
 * One pruning method. Methods register under their CLI name with an option schema, so the CLI, the app's
 * forms and recipe validation all come from one table (architecture practice 8).
 */
export interface PruneMethod<Schema extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  /** Method-specific options (beyond the common ones), validated before the method runs. */
  optionSchema: Schema;
  /** The method can work on streamed weights (see QuantizeMethod.streamsExternalData). */
  streamsExternalData?: boolean;
  prune(input: PruneInput<z.infer<Schema>>): Promise<PruneOutcome>;
}
