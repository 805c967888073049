/**
 * `bench --generate`'s comparisons against the first model, each ratio judged against the run's noise by the shared
 * rule (shared/latency-noise.ts), on one sample per timed generation.
 *
 * Why not every decode step: steps of one generation are not independent samples of one latency. Each step attends
 * over a longer cache, so a long generation's steps spread from its first to its last by the context alone; over
 * every step of every generation, the IQR of two identical models passed half the median and read as "unreliable
 * run". A generation's mean step is one sample that the context growth does not spread, and the interleaved runs
 * give each model the same number of them. The ratio shown stays the decode step's p50 ratio (tokens/s is
 * 1000 / that p50); the verdict says whether the generations can tell the models apart.
 */
import type { BenchComparison, BenchModelResult } from '../../../shared/bench.js';
import { ratioNoise, type RatioNoise } from '../../../shared/latency-noise.js';
import { summarize } from '../../../shared/latency-stats.js';

/** Each generation's mean decode step (ms): the decode verdict's samples. */
export function meanStepPerGeneration(generations: readonly (readonly number[])[]): number[] {
  return generations
    .filter((steps) => steps.length > 0)
    .map((steps) => steps.reduce((a, b) => a + b, 0) / steps.length);
}

/** The noise band of `variant`'s samples against `baseline`'s (undefined without a median of either). */
function judge(variant: readonly number[], baseline: readonly number[]): RatioNoise | undefined {
  if (variant.length === 0 || baseline.length === 0) return undefined;
  return ratioNoise(
    { ...summarize(variant), samples: variant },
    { ...summarize(baseline), samples: baseline },
  );
}

/** What each model's timed generations gave: its first tokens (ms) and its decode steps, per generation. */
export interface GenerationSamples {
  firstTokens: readonly number[];
  steps: readonly (readonly number[])[];
}

/**
 * Comparison i is results[i + 1] against results[0]. `p50Ratio` is of the decode step (results' p50Ms); the
 * decode verdict rests on each generation's mean step, the first token's on its one prefill per generation.
 */
export function generationComparisons(
  results: readonly Pick<BenchModelResult, 'model' | 'p50Ms' | 'modelBytes' | 'generation'>[],
  samples: readonly GenerationSamples[],
): BenchComparison[] {
  const baseline = results[0];
  const base = samples[0];
  if (!baseline?.generation || !base) return [];
  const baseMeans = meanStepPerGeneration(base.steps);
  return results.slice(1).map((result, k) => {
    const own = samples[k + 1] ?? { firstTokens: [], steps: [] };
    const g = result.generation!;
    const decode = judge(meanStepPerGeneration(own.steps), baseMeans);
    const first = judge(own.firstTokens, base.firstTokens);
    return {
      model: result.model,
      baseline: baseline.model,
      p50Ratio: result.p50Ms / baseline.p50Ms,
      sizeRatio: result.modelBytes / baseline.modelBytes,
      latencyVerdict: decode?.verdict ?? 'same',
      ...(decode?.unreliable ? { latencyUnreliable: true as const } : {}),
      generation: {
        firstTokenP50Ratio: g.firstToken.p50Ms / baseline.generation!.firstToken.p50Ms,
        firstTokenVerdict: first?.verdict ?? 'same',
        ...(first?.unreliable ? { firstTokenUnreliable: true as const } : {}),
        tokensPerSecondRatio: g.tokensPerSecond / baseline.generation!.tokensPerSecond,
        generations: Math.min(g.generations, baseline.generation!.generations),
      },
    };
  });
}
