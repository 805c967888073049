import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../../shared/bench.js';
import { compareToBaseline } from '../../../shared/bench-comparisons.js';
import { benchResult, latencies } from '../../engine/testing/bench-results.js';
import type { CliContext } from '../cli-context.js';
import { benchJson, verdictLegend, verdictWords } from './bench-output.js';
import { printReport } from './bench.js';

/** A run of `samples[0]` (the baseline) against each of the others, as run-benchmark.ts reports it. */
function report(models: string[], samples: number[][]): BenchReport {
  const results = models.map((m, i) => benchResult(m, samples[i]!));
  return {
    results,
    comparisons: compareToBaseline(results, samples),
    ...(results.length > 1 ? { processPeakRssBytes: results[0]!.peakRssBytes } : {}),
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

describe('bench: each ratio’s verdict in tune’s words', () => {
  it('says slower, within noise and unreliable run after the ratio, and nothing after a faster one', () => {
    const samples = [
      latencies(1, 0.04),
      latencies(0.5, 0.02),
      latencies(1.5, 0.06),
      latencies(1.02, 0.04),
      latencies(1, 0.9),
    ];
    const { comparisons } = report(['a.onnx', 'fast.onnx', 'slow.onnx', 'same.onnx', 'wild.onnx'], samples);
    expect(comparisons.map(verdictWords)).toEqual([undefined, 'slower', 'within noise', 'unreliable run']);
    expect(verdictLegend(comparisons)).toEqual([
      expect.stringMatching(/^'within noise': this run cannot tell the p50 ratio from 1/),
      expect.stringMatching(/^'unreliable run': the runs spread too much/),
    ]);
  });
});

describe('bench: the peak RSS of a run of several models is the process’s, said once', () => {
  it('leaves peakRssBytes out of results[] and puts the process’s peak at the top level of the JSON', () => {
    const samples = [latencies(1, 0.04), latencies(1, 0.04)];
    const r = report(['a.onnx', 'b.onnx'], samples);
    const json = benchJson(r);
    expect(json.processPeakRssBytes).toBe(104_689_664);
    for (const each of json.results as Record<string, unknown>[])
      expect(each).not.toHaveProperty('peakRssBytes');
    expect(json.comparisons).toEqual([expect.objectContaining({ model: 'b.onnx', latencyVerdict: 'same' })]);
    // The engine's report is not changed under the caller.
    expect(r.results[0]).toHaveProperty('peakRssBytes');
  });

  it('keeps a single model’s peak as its own, with no process-wide figure and no comparisons', () => {
    const r = report(['a.onnx'], [latencies(1, 0.04)]);
    const json = benchJson(r);
    expect(json).not.toHaveProperty('processPeakRssBytes');
    expect(json).not.toHaveProperty('comparisons');
    expect((json.results as Record<string, unknown>[])[0]?.peakRssBytes).toBe(104_689_664);
  });
});

describe('bench: the text report', () => {
  /** What `printReport` writes. */
  function text(r: BenchReport): string {
    let out = '';
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out += String(chunk);
        callback();
      },
    });
    printReport({ stdout } as unknown as CliContext, r);
    return out;
  }

  it('marks what nothing set in the Inputs table, and adds no column when everything was set', () => {
    const r = report(['a.onnx'], [latencies(1, 0.04)]);
    const guessedInputs = [
      { name: 'x', dtype: 'float32', shape: [1, 3, 48, 320], guessed: 'N=1, W=320' },
      { name: 'sr', dtype: 'int64', shape: [1], guessed: 'values 16000' },
    ];
    const marked = text({ ...r, results: r.results.map((m) => ({ ...m, inputs: guessedInputs })) });
    expect(marked).toMatch(/^Input\s+Type\s+Shape\s+Guessed \(nothing set it\)$/m);
    expect(marked).toMatch(/^x\s+float32\s+\[1, 3, 48, 320\]\s+N=1, W=320$/m);
    expect(marked).toMatch(/^sr\s+int64\s+\[1\]\s+values 16000$/m);
    const set = text({
      ...r,
      results: r.results.map((m) => ({ ...m, inputs: [{ name: 'x', dtype: 'float32', shape: [2, 4] }] })),
    });
    expect(set).toMatch(/^Input\s+Type\s+Shape$/m);
    expect(set).not.toMatch(/Guessed/);
  });

  it('puts the verdict beside each ratio and the process’s peak once under the table', () => {
    const samples = [latencies(1, 0.04), latencies(0.5, 0.02), latencies(1.5, 0.06), latencies(1.02, 0.04)];
    const out = text(report(['a.onnx', 'fast.onnx', 'slow.onnx', 'same.onnx'], samples));
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
    const out = text(report(['a.onnx'], samples));
    expect(out).toMatch(/Runs\/s\s+Peak RSS\n/);
    expect(out).toMatch(/^a\.onnx\s.*\s99\.8 MiB$/m);
    expect(out).not.toMatch(/Peak RSS of the benchmark process/);
  });
});
