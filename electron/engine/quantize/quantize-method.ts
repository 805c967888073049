import type { ModelProto } from 'onnx-buf';
import type { z } from 'zod';
import type { SampleSource } from '../datasets/sample-source.js';
import type { FloatByDefault } from '../transform/node-selection.js';

export {
  commonQuantizeOptionsSchema,
  type CommonQuantizeOptions,
} from '../../../shared/options/quantize-options.js';
import {
  commonQuantizeOptionsSchema,
  type CommonQuantizeOptions,
  int8StaticOptionsSchema,
} from '../../../shared/options/quantize-options.js';
import { optionMeta } from '../../../shared/options/option-spec.js';

/** A node left in float, and why (reported to the user). */
export interface SkippedNode {
  name: string;
  opType: string;
  reason: string;
  /**
   * The command-line flag of the option that kept it float (`--exclude-nodes`, `--quantize-input-conv`), when
   * the user's options rather than a limit of the method decided: `onnx-studio explain` names it as the cure.
   */
  option?: string;
}

/** An option's flag as typed (`--quantize-input-conv`), read from its declaration so the two cannot differ. */
function flagOf(schema: z.ZodType): string {
  const flag = optionMeta(schema)?.flag;
  if (!flag) throw new Error('flagOf: the option declares no flag');
  return `--${flag}`;
}

export const EXCLUDE_NODES_FLAG = flagOf(commonQuantizeOptionsSchema.shape.excludeNodes);
export const QUANTIZE_INPUT_CONV_FLAG = flagOf(int8StaticOptionsSchema.shape.quantizeInputConv);

/** What every method records for a node the user named in --exclude-nodes. */
export const EXCLUDED_SKIP = {
  reason: `excluded by ${EXCLUDE_NODES_FLAG}`,
  option: EXCLUDE_NODES_FLAG,
} as const satisfies Pick<SkippedNode, 'reason' | 'option'>;

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
  /**
   * Every op type the method can quantize at all, what `--op-types` may name (checked before the model is read,
   * transform/node-selection.ts); absent for a method that converts every float node (fp16).
   */
  selectableOpTypes?: readonly string[];
  /**
   * The method says itself which excluded nodes it would not have touched anyway, on the graph it really
   * transforms (int8-static, after a pre-optimization that may fuse them into others).
   */
  checksExclusionsItself?: true;
  /** The named nodes it keeps float unless an option says otherwise (int8-static's input Conv), and why. */
  floatByDefault?: FloatByDefault;
  quantize(input: QuantizeInput<z.infer<Schema>>): Promise<QuantizeOutcome>;
}
