/**
 * The options of every quantization method, declared once (see option-spec.ts). The engine's methods
 * (electron/engine/quantize/methods/) validate with these schemas; the CLI flags, `--help`, the app's forms
 * and the reproduce command are derived from them.
 */
import { z } from 'zod';
import { type MethodSpec, option } from './option-spec.js';

const INT8_METHODS = ['int8-dynamic', 'int8-static', 'int8-weight'] as const;

/** Options every quantization method reads (the `common` of a quantize step). */
export const commonQuantizeOptionsSchema = z
  .object({
    perTensor: option(z.boolean().default(false), {
      description: 'One scale per tensor instead of one per output channel.',
      flag: 'per-tensor',
      methods: INT8_METHODS,
    }),
    asymmetric: option(z.boolean().default(false), {
      description: 'Asymmetric weights with zero points (default: symmetric).',
      flag: 'asymmetric',
      methods: [...INT8_METHODS, 'int4'],
    }),
    reduceRange: option(z.boolean().default(false), {
      description: '7-bit weights, for CPUs without VNNI where 8-bit products can saturate.',
      flag: 'reduce-range',
      methods: INT8_METHODS,
    }),
    opTypes: option(z.array(z.string().min(1)).optional(), {
      description: 'Only quantize these op types (default: every type the method supports).',
      flag: 'op-types',
      example: 'Conv, MatMul, Gemm',
    }),
    excludeNodes: option(z.array(z.string().min(1)).default([]), {
      description: 'Leave these nodes in float, by node name.',
      flag: 'exclude-nodes',
      example: 'node names, e.g. /head/MatMul',
    }),
  })
  .strict();

export type CommonQuantizeOptions = z.infer<typeof commonQuantizeOptionsSchema>;

export const int8DynamicOptionsSchema = z
  .object({
    form: option(z.enum(['fused', 'onnx']).default('fused'), {
      description:
        'fused: com.microsoft DynamicQuantizeMatMul (fastest in onnxruntime). onnx: standard DynamicQuantizeLinear + MatMulInteger, for other runtimes.',
      flag: 'dynamic-form',
    }),
  })
  .strict();

export const int8StaticOptionsSchema = z
  .object({
    calibMethod: option(z.enum(['minmax', 'percentile', 'entropy']).default('percentile'), {
      description: 'How activation ranges come from the calibration samples.',
      flag: 'calib-method',
    }),
    percentile: option(z.number().gt(50).lte(100).default(99.999), {
      description: 'With percentile calibration: the share of values (in %) the range must cover.',
      flag: 'percentile',
    }),
    calibSamples: option(z.number().int().min(1).optional(), {
      description: 'Use at most this many calibration samples (synthetic data: 64 unless set).',
      flag: 'calib-samples',
    }),
    activationType: option(z.enum(['uint8', 'int8']).default('uint8'), {
      description: 'Element type of quantized activations (uint8 is the fast path on x86).',
      flag: 'activation-type',
    }),
    maxMemory: option(
      z
        .string()
        .regex(/^\s*\d+(\.\d+)?\s*[kmgt]?(i?b)?\s*$/i, 'give a size such as 512M, 2G or 1.5GiB')
        .optional(),
      {
        description:
          "Memory calibration may use (default: a quarter of RAM, at most 4G). When one sample's activations would not fit, percentile and entropy calibrate in several passes over the data, with the same ranges.",
        flag: 'max-memory',
        example: '2G',
      },
    ),
    histogramBins: option(z.number().int().min(256).max(65536).multipleOf(2).default(2048), {
      description: 'Histogram bins per sign for percentile and entropy calibration.',
      flag: 'histogram-bins',
    }),
    optimize: option(z.boolean().default(true), {
      description:
        "Run onnxruntime's basic graph optimizations first (folds BatchNorm into Conv, MatMul+Add into Gemm).",
      flag: 'no-optimize',
    }),
    equalize: option(z.boolean().default(false), {
      description:
        'Balance activation ranges across channels first (same float model): outlier channels, as trained FPNs and MobileNets have, otherwise take most of the 256 levels of a tensor. Costs one extra pass over up to 8 calibration samples.',
      flag: 'equalize',
    }),
    quantizeInputConv: option(z.boolean().default(false), {
      description:
        "Also quantize a convolution that reads the model's input with 4 channels or fewer (an image's first conv). By default it stays float: onnxruntime runs it slower in int8, and it is the layer most sensitive to 8-bit input.",
      flag: 'quantize-input-conv',
    }),
  })
  .strict();

export const int8WeightOptionsSchema = z.object({}).strict();

export const FP16_DEFAULT_BLOCK_NOTE = 'on top of the ops that are never safe in float16';

export const fp16OptionsSchema = z
  .object({
    keepIoTypes: option(z.boolean().default(true), {
      description:
        "Keep the model's inputs and outputs float32 (Casts at the edges); off makes them float16.",
      flag: 'no-keep-io-types',
    }),
    blockOpTypes: option(z.array(z.string().min(1)).default([]), {
      description: `Also keep these op types in float32 (${FP16_DEFAULT_BLOCK_NOTE}).`,
      flag: 'block-ops',
      example: 'Softmax, LayerNormalization',
    }),
  })
  .strict();

/** Block sizes MatMulNBits accepts (powers of two from 16). */
export const INT4_BLOCK_SIZES = [16, 32, 64, 128, 256] as const;

export const int4OptionsSchema = z
  .object({
    blockSize: option(
      z
        .number()
        .int()
        .refine((v) => (INT4_BLOCK_SIZES as readonly number[]).includes(v), {
          message: `block size must be one of ${INT4_BLOCK_SIZES.join(', ')}`,
        })
        .default(32),
      {
        description: `Weights per quantization block (${INT4_BLOCK_SIZES.join(', ')}): smaller is more accurate, larger is smaller.`,
        flag: 'block-size',
      },
    ),
    accuracyLevel: option(z.number().int().min(0).max(4).default(4), {
      description:
        'MatMulNBits accuracy_level: 4 = int8 compute on CPU (fastest), 0 = unset (float compute).',
      flag: 'accuracy-level',
    }),
  })
  .strict();

/** Every quantization method, in the order the CLI's help and the app's forms list them. */
export const QUANTIZE_METHOD_SPECS = {
  'int8-weight': {
    name: 'int8-weight',
    summary: 'weight-only int8 (DequantizeLinear before float ops): ~4x smaller, runs on every EP',
    optionSchema: int8WeightOptionsSchema,
    quantizedOutput: true,
  },
  fp16: {
    name: 'fp16',
    summary: 'float16 weights and compute (inputs/outputs stay float32): ~2x smaller, fast on GPUs',
    optionSchema: fp16OptionsSchema,
  },
  int4: {
    name: 'int4',
    summary:
      'weight-only block-wise int4 MatMul weights and embedding tables (com.microsoft MatMulNBits, GatherBlockQuantized): ~7x smaller, ORT only',
    optionSchema: int4OptionsSchema,
    quantizedOutput: true,
  },
  'int8-dynamic': {
    name: 'int8-dynamic',
    summary:
      'int8 weights, activations quantized at run time (com.microsoft DynamicQuantizeMatMul): smaller and faster MatMul/Gemm on CPU, no calibration data needed.',
    optionSchema: int8DynamicOptionsSchema,
    quantizedOutput: true,
  },
  'int8-static': {
    name: 'int8-static',
    summary:
      'int8 weights and uint8 activations in QDQ format, with activation ranges calibrated on sample data (fused by onnxruntime into QLinearConv / QLinearMatMul).',
    optionSchema: int8StaticOptionsSchema,
    needsCalibration: true,
    quantizedOutput: true,
  },
} as const satisfies Record<string, MethodSpec>;
