/** Benchmark figures of known spread, for the tests of what reads a bench report. */
import type { BenchModelResult } from '../../../shared/bench.js';
import { summarize } from '../../../shared/latency-stats.js';

/** `n` latencies (ms) around `median` spanning `iqr` in their middle half (logistic quantiles: deterministic). */
export function latencies(median: number, iqr: number, n = 100): number[] {
  const s = iqr / (2 * Math.log(3));
  return Array.from({ length: n }, (_, i) => median + s * Math.log((i + 0.5) / n / (1 - (i + 0.5) / n)));
}

/** A model's result as the engine reports it: every model of a run holds the process's one peak. */
export function benchResult(model: string, samples: number[], peakRssBytes = 104_689_664): BenchModelResult {
  const { iterations, meanMs, stdMs, minMs, p50Ms, p90Ms, p95Ms, p99Ms, maxMs } = summarize(samples);
  return {
    model,
    ep: 'cpu',
    threads: 0,
    interOpThreads: 0,
    initMs: 2,
    firstRunMs: 1,
    warmup: 10,
    ...{ iterations, meanMs, stdMs, minMs, p50Ms, p90Ms, p95Ms, p99Ms, maxMs },
    throughput: 1000 / meanMs,
    peakRssBytes,
    modelBytes: 1000,
    inputs: [],
  };
}
