/**
 * The options of every pruning method, declared once (see option-spec.ts). The engine's methods
 * (electron/engine/prune/methods/) validate with these schemas; the CLI flags, `--help`, the app's forms and
 * the reproduce command are derived from them.
 */
import { z } from 'zod';
import { PRUNE_STARTING_VALUES } from '../prune-starting-values.js';
import { type MethodSpec, option } from './option-spec.js';

/** Where the app's form and the demo start each method (the flags' help says so). */
const { structured: STRUCTURED_START, magnitude: MAGNITUDE_START } = PRUNE_STARTING_VALUES;

/** Options every pruning method reads (the `common` of a prune step). */
export const commonPruneOptionsSchema = z
  .object({
    // 1 would remove every weight (or channel): a model that computes nothing, refused rather than written.
    sparsity: option(z.number().min(0).lt(1, 'must be below 1 (1 would remove every weight)'), {
      description:
        'Fraction to remove, from 0 up to (not including) 1: of the weights (magnitude) or of the output channels (structured); 0 leaves the model numerically unchanged. ' +
        `Start small (${STRUCTURED_START.common.sparsity} structured, ${MAGNITUDE_START.common.sparsity} magnitude) and evaluate: without fine-tuning, accuracy falls as it grows.`,
      flag: 'sparsity',
      example: String(STRUCTURED_START.common.sparsity),
    }),
    scope: option(z.enum(['layer', 'global']).default('layer'), {
      description: 'layer: every layer loses the same fraction. global: one ranking across layers.',
      flag: 'scope',
    }),
    opTypes: option(z.array(z.string().min(1)).optional(), {
      description: 'Only prune these op types (default: Conv, ConvTranspose, Gemm, MatMul).',
      flag: 'op-types',
      example: 'Conv, Gemm',
    }),
    excludeNodes: option(z.array(z.string().min(1)).default([]), {
      description: 'Leave these nodes unpruned, by node name (structured: their output channels).',
      flag: 'exclude-nodes',
      example: 'node names, e.g. /stem/Conv',
    }),
  })
  .strict();

export type CommonPruneOptions = z.infer<typeof commonPruneOptionsSchema>;

export const magnitudeOptionsSchema = z
  .object({
    pattern: option(
      z
        .string()
        .regex(/^\d+:\d+$/, 'write the pattern as N:M, e.g. 2:4')
        .optional(),
      {
        description: 'Keep N of every M consecutive weights along the input axis, e.g. 2:4 (fixes the sparsity to 1 - N/M).',
        flag: 'pattern',
        example: '2:4',
      },
    ),
    storage: option(z.enum(['dense', 'sparse']).default('dense'), {
      description:
        'sparse stores strongly pruned weights as ONNX sparse initializers where that is smaller (onnxruntime densifies them at load).',
      flag: 'sparse-storage',
      switchTo: 'sparse',
    }),
  })
  .strict();

export const structuredOptionsSchema = z
  .object({
    criterion: option(z.enum(['l1', 'l2']).default('l2'), {
      description: 'How channels are ranked: by the L1 or L2 norm of their weights.',
      flag: 'criterion',
    }),
    batchNormAware: option(z.boolean().default(true), {
      description: "Scale channel scores by the following BatchNorm's gamma.",
      flag: 'no-bn-scale',
    }),
    roundTo: option(z.number().int().min(1).default(1), {
      description:
        'Keep a multiple of this many channels per layer (hardware-friendly widths, e.g. 8). ' +
        `The app and the demo start at ${STRUCTURED_START.options.roundTo}; without this flag the CLI keeps the counts the sparsity gives.`,
      flag: 'round-to',
    }),
    maxLayerSparsity: option(z.number().gt(0).max(1).default(0.9), {
      description: 'Global scope: the largest fraction of its channels any one layer may lose.',
      flag: 'max-layer-sparsity',
    }),
    biasCompensation: option(z.boolean().default(true), {
      description:
        "Move what a removed channel still outputs (its bias through Relu, BatchNorm...) into the next layer's bias.",
      flag: 'no-bias-compensation',
    }),
  })
  .strict();

export const PRUNE_METHOD_SPECS = {
  magnitude: {
    name: 'magnitude',
    summary:
      'Zero the smallest weights (unstructured, optional N:M): smaller once compressed, not faster; ' +
      'without fine-tuning, accuracy drops as the ratio grows: evaluate before you keep it',
    optionSchema: magnitudeOptionsSchema,
  },
  structured: {
    name: 'structured',
    summary:
      'Remove whole channels/features (L1/L2, BatchNorm-aware) with their dependents: a smaller model, often faster. ' +
      'One-shot pruning without fine-tuning costs accuracy, often a lot: start with a small ratio (0.1-0.2) and evaluate; ' +
      'fine-tune the pruned model in your framework to win the accuracy back',
    optionSchema: structuredOptionsSchema,
  },
} as const satisfies Record<string, MethodSpec>;
