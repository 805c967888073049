import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareToBaseline } from '../../../shared/bench-comparisons.js';
import type { BenchModelResult } from '../../../shared/bench.js';
import { summarize } from '../../../shared/latency-stats.js';
import { buildKvCacheLm } from '../testing/kv-cache-lm.js';
import { modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { generationComparisons } from './generate-verdicts.js';
import { benchParams, runBenchmark } from './run-benchmark.js';

/** Generations whose steps grow with the context (1 ms to 3 ms over 60 steps), times `scale`, with a little jitter. */
function generations(count: number, scale: number, seed: number): number[][] {
  let s = seed;
  const jitter = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return 1 + 0.02 * (s / 2147483648 - 0.5);
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 60 }, (_, k) => scale * (1 + k / 30) * jitter()),
  );
}

function resultOf(model: string, steps: number[][], firstTokens: number[]) {
  const decode = summarize(steps.flat());
  const first = summarize(firstTokens);
  const g = (x: {
    p50Ms: number;
    p90Ms: number;
    meanMs: number;
    minMs: number;
    maxMs: number;
    iterations: number;
  }) => ({
    count: x.iterations,
    meanMs: x.meanMs,
    p50Ms: x.p50Ms,
    p90Ms: x.p90Ms,
    minMs: x.minMs,
    maxMs: x.maxMs,
  });
  return {
    model,
    iterations: decode.iterations,
    p50Ms: decode.p50Ms,
    p90Ms: decode.p90Ms,
    modelBytes: 1000,
    generation: {
      promptTokens: 8,
      decodeSteps: 60,
      newTokens: 61,
      generations: steps.length,
      firstToken: g(first),
      decode: g(decode),
      tokensPerSecond: 1000 / decode.p50Ms,
      ids: [],
    },
  } satisfies Pick<
    BenchModelResult,
    'model' | 'iterations' | 'p50Ms' | 'p90Ms' | 'modelBytes' | 'generation'
  >;
}

describe('bench --generate: verdicts', () => {
  const firstA = [20, 20.2, 19.9, 20.1, 20, 20.3, 19.8, 20];
  const firstB = firstA.map((v) => v * 1.01);

  it('judges the decode on each generation, so identical models read the same speed, not an unreliable run', () => {
    const a = generations(8, 1, 1);
    const b = generations(8, 1, 2);
    const results = [resultOf('a', a, firstA), resultOf('b', b, firstB)];
    // Every step together spreads by the context alone: what made identical models "unreliable".
    expect(compareToBaseline(results, [a.flat(), b.flat()])[0]!.latencyUnreliable).toBe(true);
    const [c] = generationComparisons(results, [
      { firstTokens: firstA, steps: a },
      { firstTokens: firstB, steps: b },
    ]);
    expect(c!.latencyVerdict).toBe('same');
    expect(c!.latencyUnreliable).toBeUndefined();
    expect(c!.generation).toMatchObject({ firstTokenVerdict: 'same', generations: 8 });
    expect(c!.generation!.tokensPerSecondRatio).toBeCloseTo(1 / c!.p50Ratio, 9);
  });

  it('says faster and slower for real differences, the first token on its own samples', () => {
    const a = generations(8, 1, 1);
    const b = generations(8, 0.5, 2);
    const slowFirst = firstA.map((v) => v * 2);
    const results = [resultOf('a', a, firstA), resultOf('b', b, slowFirst)];
    const [c] = generationComparisons(results, [
      { firstTokens: firstA, steps: a },
      { firstTokens: slowFirst, steps: b },
    ]);
    expect(c!.latencyVerdict).toBe('faster');
    expect(c!.generation!.firstTokenVerdict).toBe('slower');
    expect(c!.generation!.firstTokenP50Ratio).toBeCloseTo(2, 5);
  });
});

describe('bench --generate: defaults and progress', () => {
  const tmp = makeTempDir('onnx-studio-generate-bench-');
  const model = path.join(tmp.dir, 'decoder_with_past_model.onnx');
  fs.writeFileSync(model, modelBytes(buildKvCacheLm({ vocab: 32 })));
  afterAll(() => tmp.cleanup());

  it('defaults to 1 warmup and 5 timed generations for any caller, and keeps what is given', () => {
    expect(benchParams({ models: [model], generate: 4 })).toMatchObject({ warmup: 1, iterations: 5 });
    const timed = benchParams({ models: [model], generate: 4, durationMs: 100 });
    expect(timed.iterations).toBeUndefined();
    expect(timed.warmup).toBe(1);
    expect(benchParams({ models: [model], generate: 4, warmup: 0, iterations: 2 })).toMatchObject({
      warmup: 0,
      iterations: 2,
    });
    expect(benchParams({ models: [model] })).toMatchObject({ warmup: 10, iterations: 100 });
  });

  it('never moves the progress bar back with --duration: warmup fills a tenth, measuring the rest', async () => {
    const fractions: number[] = [];
    const report = await runBenchmark(
      benchParams({
        models: [model],
        generate: 6,
        warmup: 3,
        durationMs: 300,
        dims: { sequence_length: 4 },
        intraOpThreads: 1,
      }),
      { onProgress: (f) => fractions.push(f) },
    );
    expect(report.results[0]!.generation!.generations).toBeGreaterThan(0);
    const drops = fractions.filter((f, i) => i > 0 && f < fractions[i - 1]! - 1e-12);
    expect(drops).toEqual([]);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(1);
    // Warmup reached its share and no further before measuring began.
    expect(fractions).toContain(0.1);
  });
});
