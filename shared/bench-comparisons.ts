/**
 * A benchmark's comparisons against its first model, each judged against the run's noise.
 *
 * Judged where the samples are (the engine's runBenchmark; the mock host's benchmarks too), so every reader of a
 * bench report gets the same verdict: `bench` and a recipe's bench step print it, tune's trials keep it. The rule is Compare's (shared/latency-noise.ts
 * `ratioNoise`): a bare ratio says nothing of whether the run can tell it from 1 (two runs of one pair measured
 * 0.81x and 1.25x).
 */
import type { BenchComparison, BenchModelResult } from './bench.js';
import { ratioNoise } from './latency-noise.js';

/**
 * Comparison i is results[i + 1] against results[0], by index (a model may be given twice); `samples[i]` holds
 * the latencies (ms) of `results[i]`.
 */
export function compareToBaseline(
  results: readonly Pick<BenchModelResult, 'model' | 'iterations' | 'p50Ms' | 'p90Ms' | 'modelBytes'>[],
  samples: readonly (readonly number[])[],
): BenchComparison[] {
  const baseline = results[0];
  if (!baseline) return [];
  return results.slice(1).map((result, i) => {
    const noise = ratioNoise({ ...result, samples: samples[i + 1] }, { ...baseline, samples: samples[0] });
    return {
      model: result.model,
      baseline: baseline.model,
      p50Ratio: result.p50Ms / baseline.p50Ms,
      sizeRatio: result.modelBytes / baseline.modelBytes,
      // No noise band (no p50) is no evidence of a difference.
      latencyVerdict: noise?.verdict ?? 'same',
      ...(noise?.unreliable ? { latencyUnreliable: true as const } : {}),
    };
  });
}
