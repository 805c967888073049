/**
 * The recipes `tune` tries on a model, most promising first for the objective, and the ones it leaves out with
 * the reason. Which methods can help follows from the model's operators: int8-static and int8-dynamic need
 * Conv/MatMul/Gemm to be worth it (int8-dynamic leaves Conv in float), int4 packs MatMul/Gemm weights and Gather tables only, int8-weight
 * stores the weights of Conv/MatMul/Gemm and the tables of Gather in int8 but computes in float (a file objective
 * only), fp16 halves the file but a CPU computes it in float32.
 */
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { TuneOptions } from '../../../shared/options/tune-options.js';
import { tuneCalibrates, type NameTuneSetting, type TrialRecipe } from '../../../shared/tune.js';

export interface TuneCandidate {
  name: string;
  recipe: TrialRecipe;
  /**
   * Candidates of one class make variants of the same structure (they differ in calibration only), so once one
   * of them meets the budget the others cannot beat it on the objective by much: the search skips them.
   */
  sameAs: string;
  /** The lowest size ratio this recipe can reach (for the size objective's early stop). */
  sizeFloor: number;
}

export interface CandidatePlan {
  candidates: TuneCandidate[];
  skipped: { name: string; why: string }[];
}

const quantize = (
  method: string,
  common: Record<string, unknown> = {},
  options: Record<string, unknown> = {},
): TrialRecipe => ({
  kind: 'quantize',
  method,
  common,
  options,
});

function int8Static(calibMethod: 'percentile' | 'minmax' | 'entropy', perTensor: boolean): TuneCandidate {
  return {
    name: `int8-static ${calibMethod} ${perTensor ? 'per-tensor' : 'per-channel'}`,
    recipe: quantize('int8-static', perTensor ? { perTensor: true } : {}, { calibMethod }),
    sameAs: `int8-static ${perTensor ? 'per-tensor' : 'per-channel'}`,
    sizeFloor: 0.25,
  };
}

/**
 * int8-static with activation equalization (--equalize): for conv nets whose activations have outlier channels.
 * Same structure and speed as plain per-channel int8-static, so it is skipped once one of those meets the budget.
 */
function int8StaticEqualized(): TuneCandidate {
  return {
    name: 'int8-static percentile per-channel equalized',
    recipe: quantize('int8-static', {}, { calibMethod: 'percentile', equalize: true }),
    sameAs: 'int8-static per-channel',
    sizeFloor: 0.25,
  };
}

/** A model's operator counts, as inspect gives them: the main graph's, and those inside If/Loop bodies. */
export type TuneOpCounts = Pick<ModelSummary, 'opCounts' | 'subgraphOpCounts'>;

/**
 * The candidates for a model with these operator counts, in the order the search tries them. `nameSetting` names
 * the option that would bring back one left out, as the reader's host does (the CLI's flag, the app's label).
 * int8-static quantizes the main graph only (its calibration cannot see inside If/Loop bodies); the other
 * methods quantize or prune weights inside them too, so for them the bodies' ops count.
 */
export function tuneCandidates(
  ops: TuneOpCounts,
  options: TuneOptions,
  nameSetting: NameTuneSetting,
): CandidatePlan {
  const inBodies = ops.subgraphOpCounts ?? {};
  const countIn = (counts: Record<string, number>, ...names: string[]) =>
    names.reduce((n, op) => n + (counts[op] ?? 0), 0);
  const count = (...names: string[]) => countIn(ops.opCounts, ...names) + countIn(inBodies, ...names);
  const convs = count('Conv', 'ConvTranspose');
  const matmuls = count('MatMul', 'Gemm');
  const gathers = count('Gather');
  // int8-static is tried exactly where tune calibrates (shared/tune.ts says so to the app's form).
  const staticOps = tuneCalibrates(ops);
  const skipped: { name: string; why: string }[] = [];
  const int8: TuneCandidate[] = [];
  const others: TuneCandidate[] = [];

  if (!staticOps && convs + matmuls > 0) {
    skipped.push({
      name: 'int8-static',
      why: "the model's Conv, MatMul and Gemm nodes are all inside If/Loop bodies, which it leaves in float",
    });
  } else if (convs + matmuls > 0) {
    int8.push(
      int8Static('percentile', false),
      int8Static('minmax', false),
      int8Static('entropy', false),
      ...(countIn(ops.opCounts, 'Conv', 'ConvTranspose') > 0 ? [int8StaticEqualized()] : []),
      int8Static('percentile', true),
    );
  } else {
    skipped.push({ name: 'int8-static', why: 'the model has no Conv, MatMul or Gemm to run in int8' });
  }
  if (matmuls > 0 && matmuls >= convs) {
    int8.push({
      name: 'int8-dynamic',
      recipe: quantize('int8-dynamic'),
      sameAs: 'int8-dynamic',
      sizeFloor: 0.25,
    });
  } else {
    skipped.push({
      name: 'int8-dynamic',
      why:
        matmuls === 0
          ? 'it quantizes MatMul and Gemm only, and the model has none'
          : `it quantizes MatMul and Gemm only (${matmuls} here) and leaves the ${convs} convolutions in float`,
    });
  }
  // int4 packs MatMul/Gemm weights (MatMulNBits) and the tables Gathers read (GatherBlockQuantized): a model with
  // either has work for it, as int8-weight counts Gathers too.
  if (matmuls + gathers > 0 && convs === 0) {
    others.push({ name: 'int4', recipe: quantize('int4'), sameAs: 'int4', sizeFloor: 0.125 });
  } else {
    skipped.push({
      name: 'int4',
      why:
        matmuls + gathers === 0
          ? 'it packs MatMul and Gemm weights and Gather tables only, and the model has none'
          : 'it packs MatMul and Gemm weights and Gather tables only and leaves the convolutions in float32',
    });
  }
  // Weight-only int8: the weights shrink to about a quarter, embedding tables included (which int8-static and
  // int8-dynamic leave in float), but they are dequantized as the model runs, so it is not faster: on the
  // encoders we measured it ran at 1.1x of the original's p50 beside int8-dynamic's 0.4x.
  const weightOnly: TuneCandidate[] = [];
  if (options.objective !== 'size') {
    skipped.push({
      name: 'int8-weight',
      why: `it stores the weights in int8 and dequantizes them as the model runs, so it shrinks the file but is not faster (try ${nameSetting({ option: 'objective', value: 'size' })})`,
    });
  } else if (convs + matmuls + gathers > 0) {
    weightOnly.push({
      name: 'int8-weight',
      recipe: quantize('int8-weight'),
      sameAs: 'int8-weight',
      sizeFloor: 0.25,
    });
  } else {
    skipped.push({
      name: 'int8-weight',
      why: 'it quantizes the weights of Conv, MatMul, Gemm and Gather only, and the model has none',
    });
  }
  if (options.objective === 'size' || options.ep !== 'cpu') {
    others.push({ name: 'fp16', recipe: quantize('fp16'), sameAs: 'fp16', sizeFloor: 0.5 });
  } else {
    skipped.push({
      name: 'fp16',
      why: `a CPU computes float16 models in float32, so it halves the file but is not faster (try ${nameSetting({ option: 'objective', value: 'size' })})`,
    });
  }
  if (options.allowPruning) {
    if (convs + matmuls > 0) {
      for (const sparsity of [0.1, 0.2, 0.3]) {
        others.push({
          name: `structured ${Math.round(sparsity * 100)}%`,
          recipe: { kind: 'prune', method: 'structured', common: { sparsity }, options: {} },
          sameAs: `structured ${sparsity}`,
          sizeFloor: 1 - sparsity,
        });
      }
    }
  } else {
    skipped.push({
      name: 'structured pruning',
      why: `not without ${nameSetting({ option: 'allowPruning' })} (one-shot pruning usually costs accuracy)`,
    });
  }
  // For size, the smallest formats first (int8-weight before the other int8 formats: it also shrinks the Gather
  // tables they leave in float, and needs no calibration); for latency, int8 first (what makes CPU inference
  // faster).
  const ordered: TuneCandidate[] =
    options.objective === 'size'
      ? [
          ...others.filter((c) => c.sizeFloor < 0.25),
          ...weightOnly,
          ...int8,
          ...others.filter((c) => c.sizeFloor >= 0.25),
        ]
      : [
          ...int8.slice(0, 1),
          ...int8.filter((c) => c.recipe.method === 'int8-dynamic'),
          ...int8.slice(1).filter((c) => c.recipe.method !== 'int8-dynamic'),
          ...others,
        ];
  return { candidates: ordered, skipped };
}
