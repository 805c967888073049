import { z } from 'zod';
import { StudioError } from '../../errors.js';
import {
  budgetNote,
  defaultMemoryBudget,
  formatMemory,
  parseMemorySize,
} from '../calibrate/memory-budget.js';
import { calibrateModel } from '../calibrate/calibrate.js';
import { registerQuantizeMethod } from '../method-registry.js';
import {
  QUANTIZE_INPUT_CONV_FLAG,
  type QuantizeInput,
  type QuantizeMethod,
  type QuantizeOutcome,
} from '../quantize-method.js';
import { inferElementTypes } from '../../onnx/element-types.js';
import { GraphIndex } from '../../onnx/graph-index.js';
import { prepareQdqOpset } from '../static/opset.js';
import {
  excludedWrites,
  followFusedExclusions,
  noteUnquantizedExclusions,
  sayWhyFollowed,
} from '../static/fused-exclusions.js';
import { preoptimizeModel } from '../static/preoptimize.js';
import { noteSaturation } from '../../bench/int8-support.js';
import { emitQdq } from '../static/qdq-emit.js';
import {
  COMPUTE_OPS,
  DEFAULT_OP_TYPES,
  FOLD_OPS,
  SHARE_OPS,
  UNARY_OPS,
  type PlanOptions,
  calibrationTensors,
  inputConvStaysFloat,
  planQdq,
} from '../static/qdq-plan.js';
import { HARD_ACTIVATION_OPS, decomposeHardActivations } from '../static/decompose-hard-activations.js';
import { ChannelSpreadMeter, equalizeActivationChannels } from '../static/equalize-channels.js';
import { findChannelGroups } from '../static/channel-groups.js';
import { foldBatchNormIntoConvTranspose } from '../static/fold-convtranspose-bn.js';
import { rewriteUpsamplingForNhwc } from '../static/nhwc-upsampling.js';
import {
  int8StaticOptionsSchema,
  QUANTIZE_METHOD_SPECS,
} from '../../../../shared/options/quantize-options.js';

/*
 * int8-static: QDQ-format static quantization with calibrated activation ranges. What is emitted and
 * why is described in docs/quantize-static.md; the pieces are:
 *   static/preoptimize.ts  onnxruntime basic-level pre-optimization (BatchNorm folding, MatMul+Add -> Gemm)
 *   static/opset.ts        which Q/DQ forms the model's opset allows (raise to 13, or com.microsoft Q/DQ)
 *   static/qdq-plan.ts     which tensors get Q/DQ so that onnxruntime fuses every group
 *   calibrate/             streaming calibration (minmax, percentile, entropy) in bounded memory
 *   static/qdq-emit.ts     the rewrite: Q/DQ nodes, int8 weights, int32 biases
 */

export { int8StaticOptionsSchema };

export type Int8StaticOptions = z.infer<typeof int8StaticOptionsSchema>;

/**
 * A channel this many times the median channel's range is an outlier worth equalizing: the detector
 * fixture's trained-like FPN outliers measure 31x, its plain FPN 4x (docs/quantize-static.md).
 */
const OUTLIER_SPREAD = 10;

async function quantizeStatic(input: QuantizeInput<Int8StaticOptions>): Promise<QuantizeOutcome> {
  const { model, options, note, signal } = input;
  let { common } = input;
  const cancelled = (): StudioError => new StudioError('CANCELLED', 'Quantization was cancelled.');
  if (!input.calibration) {
    throw new StudioError(
      'BAD_REQUEST',
      "int8-static needs calibration data: pass --calib-data (a dataset, or 'synthetic').",
    );
  }
  if (!model.graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
  if (signal?.aborted) throw cancelled();

  // The model's own Gemms, named before the pre-optimization can add Gemms of its own: a Gemm of a model saved
  // from onnxruntime may carry a fusion's name already, and is still a Gemm to --op-types (qdq-plan.ts).
  const modelGemms = new Set(model.graph.node.filter((n) => n.opType === 'Gemm').map((n) => n.name));
  // What the excluded nodes write, before the pre-optimization may fuse them into others (fused-exclusions.ts).
  const excluded = excludedWrites(model.graph, common.excludeNodes);
  if (options.optimize) {
    try {
      const result = await preoptimizeModel(model);
      if (result.changes.length > 0) {
        note(
          `Graph pre-optimized with onnxruntime's basic level before quantization: ${result.changes.join(', ')}.`,
        );
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      note(`onnxruntime's basic pre-optimization failed (${reason}); the graph is quantized as it is.`);
    }
  }
  if (signal?.aborted) throw cancelled();
  if (options.optimize) {
    const folded = foldBatchNormIntoConvTranspose(model.graph);
    if (folded > 0) {
      note(
        `${folded} BatchNormalization${folded > 1 ? 's' : ''} folded into the ConvTranspose before ${folded > 1 ? 'them' : 'it'} ` +
          "(onnxruntime's pre-optimization folds them into Conv only).",
      );
    }
  }
  // An excluded node fused into another protects that one: it computes what the user wanted kept float.
  const followed = options.optimize && model.graph ? followFusedExclusions(excluded, model.graph, note) : [];
  if (followed.length > 0)
    common = { ...common, excludeNodes: [...common.excludeNodes, ...followed.map((f) => f.node)] };
  if (model.graph)
    noteUnquantizedExclusions(excluded, model.graph, new Set(common.opTypes ?? DEFAULT_OP_TYPES), note);

  if (options.equalize) {
    const eq = await equalizeActivationChannels(model, input.calibration, {
      maxSamples: Math.min(options.calibSamples ?? 8, 8),
      ...(signal ? { signal } : {}),
    });
    note(
      eq.groups === 0
        ? 'Equalization found no channel group to balance (activations between convolutions that only Add, Relu, MaxPool or Resize pass through).'
        : `Activation channels equalized in ${eq.groups} group${eq.groups > 1 ? 's' : ''}: the largest channel range went from ${eq.spreadBefore.toFixed(1)}x to ${eq.spreadAfter.toFixed(1)}x the median (the float model computes the same).`,
    );
  }
  // Outlier channels cost 8-bit activations the most and are cheap to see: say so, with the remedy.
  // Calibration measures them as it goes (the histogram methods from the activations they fetch, minmax from
  // per-channel reductions in the graph): no run of its own, within calibration's memory.
  const outliers = options.equalize ? undefined : new ChannelSpreadMeter(findChannelGroups(model.graph));
  if (signal?.aborted) throw cancelled();

  const forms = prepareQdqOpset(model, !common.perTensor, note);
  const graph = model.graph!;
  const opTypes = new Set(common.opTypes ?? DEFAULT_OP_TYPES);
  const quantizedProducers = new Set(
    [...Object.keys(COMPUTE_OPS), ...UNARY_OPS, ...SHARE_OPS, ...FOLD_OPS].filter((op) => opTypes.has(op)),
  );
  const floatInputConv = !options.quantizeInputConv;
  const floatNodes = floatInputConv ? inputConvStaysFloat : undefined;
  const hardOps = [...HARD_ACTIVATION_OPS].filter((op) => opTypes.has(op));
  if (hardOps.length > 0 && forms.qlinearOps) {
    const count = decomposeHardActivations(graph, {
      ops: new Set(hardOps),
      quantizedProducers,
      ...(floatNodes ? { floatNodes } : {}),
      excludeNodes: new Set(common.excludeNodes),
      opset: forms.opset,
    });
    if (count > 0) {
      note(
        `${count} HardSigmoid/HardSwish op${count > 1 ? 's' : ''} rewritten as Add + Clip + Mul, which onnxruntime ` +
          'runs in 8 bits (QLinearAdd, a change of scale, QLinearMul); it has no integer HardSigmoid/HardSwish.',
      );
    }
  }
  if (forms.qlinearOps) {
    const rewritten = rewriteUpsamplingForNhwc(graph, {
      quantizedProducers,
      ...(floatNodes ? { floatNodes } : {}),
      opTypes,
      excludeNodes: new Set(common.excludeNodes),
      opset: forms.opset,
    });
    const parts = [
      rewritten.resize > 0
        ? `${rewritten.resize} nearest Resize${rewritten.resize > 1 ? 's' : ''} as Expand`
        : '',
      rewritten.convTranspose > 0
        ? `${rewritten.convTranspose} ConvTranspose${rewritten.convTranspose > 1 ? 's' : ''} as a 1x1 Conv + pixel shuffle`
        : '',
    ].filter(Boolean);
    if (parts.length > 0) {
      note(
        `Upsampling rewritten channels-last for onnxruntime's 8-bit kernels: ${parts.join(', ')} ` +
          '(the same values; see docs/quantize-static.md).',
      );
    }
  }
  const planOptions: PlanOptions = {
    opTypes,
    modelGemms,
    quantizeAllSelected: common.opTypes !== undefined,
    excludeNodes: new Set(common.excludeNodes),
    perTensor: common.perTensor,
    maxPool8Bit: forms.maxPool8Bit,
    qlinearOps: forms.qlinearOps,
    floatInputConv,
    types: inferElementTypes(graph),
  };
  let plan = planQdq(graph, planOptions);
  if (plan.nodes.length === 0)
    return { quantizedNodes: 0, skippedNodes: sayWhyFollowed(plan.skipped, followed) };

  const roots = calibrationTensors(plan);
  const calibration = await calibrateModel(model, roots, input.calibration, {
    method: options.calibMethod,
    percentile: options.percentile,
    bins: options.histogramBins,
    ...(options.calibSamples !== undefined ? { maxSamples: options.calibSamples } : {}),
    memoryBudget:
      options.maxMemory !== undefined ? parseMemorySize(options.maxMemory) : defaultMemoryBudget(),
    ...(signal ? { signal } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    ...(outliers ? { channels: outliers } : {}),
  });
  const spread = outliers?.spread() ?? 1;
  if (spread >= OUTLIER_SPREAD) {
    note(
      `Some activation channels between convolutions are far larger than the rest (up to ${spread.toFixed(0)}x the median channel's range over ${calibration.samples} calibration samples): ` +
        'with one 8-bit scale per tensor the other channels lose precision. The equalize option (--equalize) balances them first (the float model computes the same); tune tries it too.',
    );
  }
  note(
    `Calibrated ${roots.length} activation tensor${roots.length === 1 ? '' : 's'} over ${calibration.samples} sample${calibration.samples === 1 ? '' : 's'} with ${options.calibMethod}` +
      (options.calibMethod === 'percentile' ? ` (${options.percentile})` : '') +
      '.',
  );
  if (calibration.samplesNote) note(calibration.samplesNote);
  if (calibration.nonFiniteNote) note(calibration.nonFiniteNote);
  const memory = budgetNote(
    {
      passes: calibration.passes,
      limitBytes: calibration.passes[0]?.limitBytes ?? 0,
      oversized: calibration.oversized ?? [],
    },
    options.maxMemory ?? `${formatMemory(defaultMemoryBudget())}, the default`,
  );
  if (memory) note(memory);
  // Roots with no finite value (NaN or infinite activations on every sample) get no range: the nodes that need
  // them stay float. Every tensor that shared such a root is banned with it: once the share op (Flatten,
  // Reshape, MaxPool...) is dropped, its output would become a root of its own that calibration never saw.
  const missing = roots.filter((r) => !calibration.ranges.has(r));
  if (missing.length > 0) {
    const banned = new Set(missing);
    for (;;) {
      const missingRoots = new Set(banned);
      for (const [t, r] of plan.root) if (missingRoots.has(r)) banned.add(t);
      plan = planQdq(graph, { ...planOptions, banned });
      const unmeasured = calibrationTensors(plan).filter((r) => !calibration.ranges.has(r) && !banned.has(r));
      if (unmeasured.length === 0) break;
      for (const r of unmeasured) banned.add(r);
    }
    note(
      `Calibration saw no finite value of ${missing.length} activation tensor${missing.length > 1 ? 's' : ''} ` +
        `(${missing
          .slice(0, 3)
          .map((m) => `'${m}'`)
          .join(', ')}${missing.length > 3 ? ', ...' : ''}): the nodes using ` +
        `${missing.length > 1 ? 'them' : 'it'} stay float. NaN or infinite activations usually mean NaN or infinite ` +
        `weights in the model, or calibration data outside the range it expects.`,
    );
  }
  if (signal?.aborted) throw cancelled();

  const emitted = emitQdq(model, plan, {
    activationType: options.activationType,
    symmetricWeights: !common.asymmetric,
    reduceRange: common.reduceRange,
    forms,
    ranges: calibration.ranges,
    note,
    ...(signal ? { signal } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  if (options.activationType === 'int8') {
    note(
      'int8 activations: onnxruntime on x86 only fuses int8 QDQ groups after converting them to uint8, which it does ' +
        'only for tensors with a single consumer; uint8 activations (the default) fuse everywhere on x86.',
    );
  }
  noteSaturation(common.reduceRange, emitted.quantizedNodes, note);
  return { quantizedNodes: emitted.quantizedNodes, skippedNodes: sayWhyFollowed(plan.skipped, followed) };
}

export const int8StaticMethod: QuantizeMethod<typeof int8StaticOptionsSchema> = {
  ...QUANTIZE_METHOD_SPECS['int8-static'],
  quantize: quantizeStatic,
  // The ops it quantizes around (data movement between them follows).
  opTypes: Object.keys(COMPUTE_OPS),
  // What --op-types may name: the data movement and activations around them too.
  selectableOpTypes: DEFAULT_OP_TYPES,
  // Its excluded nodes are checked against the graph it plans (fused-exclusions.ts), after the pre-optimization.
  checksExclusionsItself: true,
  // The input Conv rule (--quantize-input-conv), which a misspelt --exclude-nodes' list of names says apart.
  floatByDefault: {
    names: (model) => {
      const graph = model.graph;
      if (!graph) return new Set();
      const index = new GraphIndex(graph);
      return new Set(
        graph.node.filter((n) => n.name !== '' && inputConvStaysFloat(n, index)).map((n) => n.name),
      );
    },
    why: `a Conv reading the model's input stays float unless ${QUANTIZE_INPUT_CONV_FLAG}`,
  },
};

registerQuantizeMethod(int8StaticMethod);
