/**
 * The reports of the quantize, prune and evaluate jobs, as plain JSON. These mirror the engine's report types
 * (`electron/engine/quantize/quantize-model.ts`, `prune/prune-model.ts`, `evaluate/evaluate-model.ts`): the
 * backend checks at compile time that every engine report is assignable to the type here, so the two cannot
 * drift apart silently. `shared/` cannot import the engine (it runs in the browser too), hence the copies.
 *
 * Sizes are bytes, times ms unless the field name says otherwise (`seconds`), fractions 0..1.
 */

import type { ImageReading } from './image-reading.js';
import type { MeasuredTask } from './eval-tasks.js';

/** A node a quantizer left in float, and why. */
export interface SkippedNodeInfo {
  name: string;
  opType: string;
  reason: string;
  /** The flag of the option that kept it float (`--quantize-input-conv`), when an option rather than a limit did. */
  option?: string;
}

/** The JSON of `onnx-studio quantize --json`. */
export interface QuantizeReportInfo {
  output: string;
  method: string;
  inputBytes: number;
  outputBytes: number;
  quantizedNodes: number;
  skippedNodes: SkippedNodeInfo[];
  seconds: number;
  notes: string[];
}

export interface PrunedLayerInfo {
  name: string;
  opType: string;
  unit: 'weights' | 'channels';
  weight?: string;
  total: number;
  removed: number;
  sparsity: number;
  group?: string[];
}

export interface SkippedPruneInfo {
  name: string;
  opType: string;
  reason: string;
  channels?: number;
  group?: string[];
}

/** The JSON of `onnx-studio prune --json`. */
export interface PruneReportInfo {
  output: string;
  method: string;
  targetSparsity: number;
  achievedSparsity: number;
  prunedNodes: number;
  removedChannels: number;
  inputBytes: number;
  outputBytes: number;
  layers: PrunedLayerInfo[];
  skipped: SkippedPruneInfo[];
  parameters: { before: number; after: number };
  gzipBytes?: { input: number; output: number };
  seconds: number;
  notes: string[];
}

export interface ClassMetricsInfo {
  class: number;
  name?: string;
  support: number;
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface OutputFidelityInfo {
  output: string;
  /** Cosine similarity of all values with the reference's (1 = same direction). */
  cosine: number;
  worstSampleCosine: number;
  /** Signal-to-quantization-noise ratio (dB); `null` when identical (infinite). */
  sqnrDb: number | null;
  maxAbsErr: number;
  meanAbsErr: number;
  /**
   * Share of samples whose top-1 class matches the reference's (of positions, for per-token scores); `null` when
   * the output is not class scores.
   */
  top1Agreement: number | null;
  /** Where top-1 agreement is per position: how many positions it covers. */
  top1Positions?: number;
  /** Positions left out of the figures as padding, and the input (an attention mask) that said so. */
  padded?: { positions: number; by: string };
  exact: boolean;
  /**
   * For a bool or integer output: the share of its values equal to the reference's (tune's cosine budget leaves
   * such outputs out and reports this); `null` for a float output. Absent in reports made before it existed.
   */
  valueAgreement?: number | null;
}

export interface FidelityReportInfo extends OutputFidelityInfo {
  outputs?: OutputFidelityInfo[];
  /** Samples left out of every figure because the reference's output held NaN or Inf there. */
  leftOutSamples?: number;
}

/** The JSON of `onnx-studio eval --json`. */
export interface EvalReportInfo {
  model: string;
  reference?: string;
  data: string;
  /** Image folders: how the images became the input (absent for other data, and in reports made before it). */
  imageReading?: ImageReading;
  samples: number;
  task: MeasuredTask;
  taskReason: string;
  output: string;
  /** Of several outputs, which one class labels were scored against and why (absent in older reports). */
  scoredOutput?: { reason: string; cliHint?: string };
  /** The inputs of the first sample as fed (absent in workspaces written before it was recorded). */
  inputs?: { name: string; dtype: string; shape: number[] }[];
  seconds: number;
  samplesPerSecond: number;
  /** `scoringMs`: grading next-token positions (absent for other tasks). */
  timing: { dataMs: number; inferenceMs: number; referenceMs: number; scoringMs?: number };
  notes: string[];
  correct?: number;
  accuracy?: number;
  top5?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  perClass?: ClassMetricsInfo[];
  /** Rows: true class, columns: predicted class, in the order of `perClass`. */
  confusion?: number[][];
  mae?: number;
  mse?: number;
  rmse?: number;
  /**
   * A language model graded on its own ids (task `next-token`): each position on the id after it. `accuracy`,
   * `correct` and `top5` above are these positions' too. Absent for other tasks and in older reports.
   */
  nextToken?: NextTokenInfo;
  fidelity?: FidelityReportInfo;
}

/** Next-token figures (evaluate/next-token.ts). */
export interface NextTokenInfo {
  /** The input whose ids were graded, one position on. */
  idsInput: string;
  /** Positions graded: each has an id after it, and neither is padding. */
  positions: number;
  correct: number;
  accuracy: number;
  top5?: number;
  /** Mean -log p(next id), nats. NaN (null in JSON) where a position's is not finite: a note says where. */
  crossEntropy: number;
  /** exp(crossEntropy); NaN or Inf (null in JSON) with it. */
  perplexity: number;
  /**
   * Share of graded positions whose top-scored id is the position's own id, not the next: high for a masked LM or
   * an autoencoder, whose next-token figures say nothing (shared/own-ids.ts echoesOwnIds).
   */
  ownIdShare?: number;
  /** The ids the output scores (its last dim). */
  vocab?: number;
  /** The scores were read as probabilities (they summed to 1), not logits. */
  probabilities?: boolean;
  /** Positions left out as padding, by an attention mask. */
  padded?: { positions: number; by: string };
}
