import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BenchModelResult, BenchReport } from '../../../shared/bench.js';
import { summarize } from '../../../shared/latency-stats.js';
import type { CliContext } from '../cli-context.js';
import {
  benchJson,
  judgeComparisons,
  processPeakRssBytes,
  verdictLegend,
  verdictWords,
} from './bench-output.js';
import { printReport } from './bench.js';

/** `n` latencies (ms) around `median` spanning `iqr` in their middle half (logistic quantiles: deterministic). */
function latencies(median: number, iqr: number, n = 100): number[] {
  const s = iqr / (2 * Math.log(3));
  return Array.from({ length: n }, (_, i) => median + s * Math.log((i + 0.5) / n / (1 - (i + 0.5) / n)));
}

/** A model's result as the engine reports it: every model of a run holds the process's one peak. */
function result(model: string, samples: number[], peakRssBytes = 104_689_664): BenchModelResult {
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

/** A run of `samples[0]` (the baseline) against each of the others, as run-benchmark.ts reports it. */
function report(models: string[], samples: number[][]): BenchReport {
  const results = models.map((m, i) => result(m, samples[i]!));
  return {
    results,
    comparisons: results.slice(1).map((r) => ({
      model: r.model,
      baseline: results[0]!.model,
      p50Ratio: r.p50Ms / results[0]!.p50Ms,
      sizeRatio: 1,
    })),
    settings: {
      ep: 'cpu',
      threads: 0,
      interOpThreads: 0,
      optLevel: 'all',
      allowSpinning: false,
      warmup: 10,
      iterations: 100,
      data: 'synthetic (4 samples, seed 0)',
      samples: 4,
      rssMethod: 'exact',
    },
    notes: [],
    seconds: 1,
  };
}

describe('bench: each ratio judged against its run’s noise, as tune judges it', () => {
  const original = latencies(1, 0.04);

  it('says faster, slower and within noise from the samples, and unreliable for a run that spreads too much', () => {
    const samples = [
      original,
      latencies(0.5, 0.02),
      latencies(1.5, 0.06),
      latencies(1.02, 0.04),
      latencies(1, 0.9),
    ];
    const r = report(['a.onnx', 'fast.onnx', 'slow.onnx', 'same.onnx', 'wild.onnx'], samples);
    const judged = judgeComparisons(r, samples);
    expect(judged.map((c) => [c.model, c.latencyVerdict, c.latencyUnreliable])).toEqual([
      ['fast.onnx', 'faster', undefined],
      ['slow.onnx', 'slower', undefined],
      ['same.onnx', 'same', undefined],
      ['wild.onnx', 'same', true],
    ]);
    // tune's words (tune-print.ts): a faster ratio stands alone.
    expect(judged.map(verdictWords)).toEqual([undefined, 'slower', 'within noise', 'unreliable run']);
    expect(verdictLegend(judged)).toEqual([
      expect.stringMatching(/^'within noise': this run cannot tell the p50 ratio from 1/),
      expect.stringMatching(/^'unreliable run': the runs spread too much/),
    ]);
    // The figures the engine reported are kept as they were.
    expect(judged[0]).toMatchObject(r.comparisons[0]!);
  });

  it('reads 0.81x of a run whose middle half spans 40% of the median as within noise', () => {
    const samples = [latencies(1, 0.4), latencies(0.81, 0.35)];
    const [c] = judgeComparisons(report(['a.onnx', 'b.onnx'], samples), samples);
    expect(c?.p50Ratio).toBeCloseTo(0.81, 2);
    expect(c?.latencyVerdict).toBe('same');
    expect(verdictWords(c!)).toBe('within noise');
  });

  it('judges the same model given twice by position, not by path', () => {
    const samples = [original, latencies(0.5, 0.02), latencies(1, 0.04)];
    const judged = judgeComparisons(report(['a.onnx', 'a.onnx', 'a.onnx'], samples), samples);
    expect(judged.map((c) => c.latencyVerdict)).toEqual(['faster', 'same']);
  });
});

describe('bench: the peak RSS of a run of several models is the process’s, said once', () => {
  it('leaves peakRssBytes out of results[] and puts the process’s peak at the top level of the JSON', () => {
    const samples = [latencies(1, 0.04), latencies(1, 0.04)];
    const r = report(['a.onnx', 'b.onnx'], samples);
    const json = benchJson(r, judgeComparisons(r, samples));
    expect(processPeakRssBytes(r)).toBe(104_689_664);
    expect(json.processPeakRssBytes).toBe(104_689_664);
    for (const each of json.results as Record<string, unknown>[])
      expect(each).not.toHaveProperty('peakRssBytes');
    expect(json.comparisons).toEqual([expect.objectContaining({ model: 'b.onnx', latencyVerdict: 'same' })]);
    // The engine's report is not changed under the caller.
    expect(r.results[0]).toHaveProperty('peakRssBytes');
  });

  it('keeps a single model’s peak as its own, with no process-wide figure and no comparisons', () => {
    const r = report(['a.onnx'], [latencies(1, 0.04)]);
    const json = benchJson(r, judgeComparisons(r, []));
    expect(processPeakRssBytes(r)).toBeUndefined();
    expect(json).not.toHaveProperty('processPeakRssBytes');
    expect(json).not.toHaveProperty('comparisons');
    expect((json.results as Record<string, unknown>[])[0]?.peakRssBytes).toBe(104_689_664);
  });
});

describe('bench: the text report', () => {
  /** What `printReport` writes. */
  function text(r: BenchReport, samples: number[][]): string {
    let out = '';
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out += String(chunk);
        callback();
      },
    });
    printReport({ stdout } as unknown as CliContext, r, judgeComparisons(r, samples));
    return out;
  }

  it('puts the verdict beside each ratio and the process’s peak once under the table', () => {
    const samples = [latencies(1, 0.04), latencies(0.5, 0.02), latencies(1.5, 0.06), latencies(1.02, 0.04)];
    const out = text(report(['a.onnx', 'fast.onnx', 'slow.onnx', 'same.onnx'], samples), samples);
    expect(out).toMatch(/Runs\/s\n/);
    expect(out).not.toMatch(/Peak RSS\n/);
    expect(out).toMatch(/^Peak RSS of the benchmark process \(all 4 models loaded\): 99\.8 MiB$/m);
    expect(out).toMatch(/^fast\.onnx\s+0\.50x\s+1\.00x$/m);
    expect(out).toMatch(/^slow\.onnx\s+1\.50x, slower\s+1\.00x$/m);
    expect(out).toMatch(/^same\.onnx\s+1\.02x, within noise\s+1\.00x$/m);
    expect(out).toMatch(/^'within noise': this run cannot tell the p50 ratio from 1/m);
    expect(out).not.toMatch(/'unreliable run'/);
  });

  it('keeps the Peak RSS column for one model', () => {
    const samples = [latencies(1, 0.04)];
    const out = text(report(['a.onnx'], samples), samples);
    expect(out).toMatch(/Runs\/s\s+Peak RSS\n/);
    expect(out).toMatch(/^a\.onnx\s.*\s99\.8 MiB$/m);
    expect(out).not.toMatch(/Peak RSS of the benchmark process/);
  });
});
