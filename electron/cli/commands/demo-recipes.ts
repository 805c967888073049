/**
 * Which recipes the demo runs on the sample, and why: picked from what the model is made of (Conv or
 * MatMul weights), so the demo shows each method where it pays off and says why it skips the others. Pure.
 */
import type { JobSpec, SampleModelInfo } from '../../../shared/ipc-contract.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { PRUNE_STARTING_VALUES } from '../../../shared/prune-starting-values.js';

export interface DemoRecipe {
  name: string;
  spec: JobSpec;
  /** One sentence: why this recipe suits the model, and what to expect of it. */
  why: string;
}

export interface SkippedRecipe {
  name: string;
  why: string;
}

/** The share of channels the demo's structured pruning removes: modest, so its trade-off is readable. */
export const DEMO_PRUNE_RATIO = PRUNE_STARTING_VALUES.structured.common.sparsity;

/** Weight-bearing ops of each family: which kernels the model's time and bytes go to. */
function families(summary: ModelSummary): { conv: number; matmul: number } {
  const count = (ops: string[]) => ops.reduce((n, op) => n + (summary.opCounts[op] ?? 0), 0);
  return { conv: count(['Conv', 'ConvTranspose']), matmul: count(['MatMul', 'Gemm']) };
}

/** The recipes for `summary`'s model, calibrated and evaluated on the sample's data. */
export function demoRecipes(
  modelPath: string,
  summary: ModelSummary,
  sample: SampleModelInfo,
): { run: DemoRecipe[]; skipped: SkippedRecipe[] } {
  const { conv, matmul } = families(summary);
  const convNet = conv >= matmul;
  const calibration = sample.calibration ?? sample.data;
  const calibrationName = sample.calibration ? 'its calibration images' : 'its test images';
  const run: DemoRecipe[] = [];
  const skipped: SkippedRecipe[] = [];

  run.push({
    name: 'int8-static',
    spec: { kind: 'quantize', modelPath, method: 'int8-static', calibration, options: { calibSamples: 128 } },
    why: convNet
      ? `${conv} Conv layers: onnxruntime runs them as int8 QLinearConv when activation ranges are calibrated ` +
        `(here on ${calibrationName}); expect about a quarter of the size and a large speed-up on CPUs with int8 dot-product instructions.`
      : `int8 weights and calibrated int8 activations for the ${matmul} MatMul/Gemm layers: a quarter of the size, faster on CPUs with int8 dot-product instructions.`,
  });
  if (convNet) {
    skipped.push({
      name: 'int8-dynamic',
      why: "it leaves Conv in float (onnxruntime has no fused dynamic Conv kernel), so on a Conv net it barely changes size or speed; it suits MatMul-heavy models such as transformers.",
    });
    skipped.push({
      name: 'int4',
      why: "it quantizes MatMul weights (MatMulNBits) and Gather tables (GatherBlockQuantized) only; this model's weights are in Conv layers.",
    });
  } else {
    run.push({
      name: 'int8-dynamic',
      spec: { kind: 'quantize', modelPath, method: 'int8-dynamic' },
      why: `${matmul} MatMul/Gemm layers: int8 weights with activations quantized per call, no calibration data needed.`,
    });
  }
  run.push({
    name: 'fp16',
    spec: { kind: 'quantize', modelPath, method: 'fp16' },
    why: 'half the file at almost no accuracy cost; a CPU still computes in float32, so expect the same latency here (GPUs run it in half precision).',
  });
  if (conv > 0) {
    run.push({
      name: `structured ${Math.round(DEMO_PRUNE_RATIO * 100)}%`,
      spec: {
        kind: 'prune',
        modelPath,
        method: 'structured',
        common: { ...PRUNE_STARTING_VALUES.structured.common },
        options: { ...PRUNE_STARTING_VALUES.structured.options },
      },
      why:
        `removes the ${Math.round(DEMO_PRUNE_RATIO * 100)}% weakest output channels of each Conv (rounded to multiples of ${PRUNE_STARTING_VALUES.structured.options.roundTo} for fast kernels): ` +
        'a smaller and faster float model, at an accuracy cost that one-shot pruning without fine-tuning cannot avoid: compare it.',
    });
  }
  return { run, skipped };
}
