import type { ModelProto } from 'onnx-buf';
import type { z } from 'zod';
import type { SampleSource } from '../datasets/sample-source.js';

export {
  commonQuantizeOptionsSchema,
  type CommonQuantizeOptions,
} from '../../../shared/options/quantize-options.js';
import type { CommonQuantizeOptions } from '../../../shared/options/quantize-options.js';

/** A node left in float, and why (reported to the user). */
export interface SkippedNode {
  name: string;
  opType: string;
  reason: string;
}

export interface QuantizeProgress {
  /** e.g. 'calibrating', 'quantizing'. */
  phase: string;
  done: number;
  total: number;
}

/** What a method gets: a private copy of the model to rewrite in place, and the run's context. */
export interface QuantizeInput<Options> {
  model: ModelProto;
  options: Options;
  common: CommonQuantizeOptions;
  /** Calibration samples, for methods that need them. */
  calibration?: SampleSource;
  /** The original model's path, for methods that run it (calibration). */
  modelPath: string;
  signal?: AbortSignal;
  onProgress?: (progress: QuantizeProgress) => void;
  /** Human-readable notes (e.g. "opset raised from 11 to 13 for per-axis DequantizeLinear"). */
  note: (message: string) => void;
}

export interface QuantizeOutcome {
  quantizedNodes: number;
  skippedNodes: SkippedNode[];
}

/**
 * One quantization method. Methods register under their CLI name with an option schema, so the CLI,
 * the app's forms and recipe validation all come from one table (architecture practice 8).
 */
export interface QuantizeMethod<Schema extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  /** Method-specific options (beyond the common ones), validated before the method runs. */
  optionSchema: Schema;
  /** Whether the method needs `calibration` samples (from its spec in shared/options/quantize-options.ts). */
  needsCalibration?: boolean;
  /**
   * The method reads each weight through `rawData` (or the tensor codec) and only creates new tensors with
   * makeRawTensor / encodeTensor, so a model with external data can be streamed (onnx/streamed-weights.ts).
   */
  streamsExternalData?: boolean;
  /**
   * The op types the method quantizes, named when a model has none of them; absent for a method that
   * converts every float node (fp16).
   */
  opTypes?: readonly string[];
  quantize(input: QuantizeInput<z.infer<Schema>>): Promise<QuantizeOutcome>;
}
