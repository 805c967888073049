import { describe, expect, it } from 'vitest';
import {
  latencyMetricName,
  latencyStatsOf,
  MAX_STORED_SAMPLES,
  parseLatencyMetricName,
  percentile,
  percentileOfSorted,
  summarize,
  thinSamples,
  type LatencyStats,
} from './latency-stats.js';
import { p50RatioToOriginal, sameShapes } from './latency-stats.js';

describe('percentiles (linear interpolation, type 7)', () => {
  it('matches numpy.percentile on known arrays', () => {
    // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) -> [1, 1.75, 2.5, 3.7, 4]
    const a = [4, 1, 3, 2];
    expect(percentile(a, 0)).toBe(1);
    expect(percentile(a, 25)).toBeCloseTo(1.75, 12);
    expect(percentile(a, 50)).toBeCloseTo(2.5, 12);
    expect(percentile(a, 90)).toBeCloseTo(3.7, 12);
    expect(percentile(a, 100)).toBe(4);
    // numpy.percentile(range(1, 101), [50, 90, 95, 99]) -> [50.5, 90.1, 95.05, 99.01]
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBeCloseTo(50.5, 12);
    expect(percentile(hundred, 90)).toBeCloseTo(90.1, 12);
    expect(percentile(hundred, 95)).toBeCloseTo(95.05, 12);
    expect(percentile(hundred, 99)).toBeCloseTo(99.01, 12);
  });

  it('handles one sample, no samples and out-of-range p', () => {
    expect(percentileOfSorted([7], 99)).toBe(7);
    expect(percentileOfSorted([], 50)).toBeNaN();
    expect(() => percentileOfSorted([1, 2], 101)).toThrow(RangeError);
    expect(() => percentileOfSorted([1, 2], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('gives mean, sample std, min, percentiles, max and throughput', () => {
    // numpy: mean 5, std(ddof=1) 2.1380899..., median 4.5 for [2, 4, 4, 4, 5, 5, 7, 9]
    const s = summarize([9, 4, 2, 4, 5, 7, 4, 5]);
    expect(s.iterations).toBe(8);
    expect(s.meanMs).toBeCloseTo(5, 12);
    expect(s.stdMs).toBeCloseTo(2.138089935299395, 12);
    expect(s.minMs).toBe(2);
    expect(s.maxMs).toBe(9);
    expect(s.p50Ms).toBeCloseTo(4.5, 12);
    expect(s.p90Ms).toBeCloseTo(7.6, 12); // h = 6.3: 7 + 0.3 * (9 - 7)
    expect(s.p95Ms).toBeCloseTo(8.3, 12);
    expect(s.p99Ms).toBeCloseTo(8.86, 12);
    expect(s.throughput).toBeCloseTo(200, 12); // 1000 ms / 5 ms
  });

  it('is exact for constant samples far from zero (no cancellation)', () => {
    const s = summarize(Array.from({ length: 1000 }, () => 1e9 + 0.5));
    expect(s.stdMs).toBe(0);
    expect(s.meanMs).toBe(1e9 + 0.5);
  });

  it('reports a single sample with zero spread and no samples as NaN', () => {
    const one = summarize([3]);
    expect(one.stdMs).toBe(0);
    expect(one.p99Ms).toBe(3);
    const none = summarize([]);
    expect(none.iterations).toBe(0);
    expect(none.meanMs).toBeNaN();
    expect(none.throughput).toBe(0);
  });

  it('does not reorder the caller\'s array', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('latencyStatsOf', () => {
  const engineResult = {
    model: '/m.onnx',
    ep: 'cpu',
    threads: 0,
    initMs: 12,
    firstRunMs: 3,
    warmup: 10,
    iterations: 100,
    meanMs: 1.5,
    stdMs: 0.2,
    minMs: 1.1,
    p50Ms: 1.4,
    p90Ms: 1.8,
    p95Ms: 1.9,
    p99Ms: 2.4,
    maxMs: 3.1,
    throughput: 666.7,
    peakRssBytes: 1e8,
    modelBytes: 4096,
  };

  it('copies exactly the latency figures, initMs and firstRunMs included, in a fixed order', () => {
    const stats = latencyStatsOf(engineResult);
    expect(Object.keys(stats)).toEqual([
      'iterations',
      'meanMs',
      'stdMs',
      'minMs',
      'p50Ms',
      'p90Ms',
      'p95Ms',
      'p99Ms',
      'maxMs',
      'initMs',
      'firstRunMs',
    ]);
    expect(stats).toEqual({
      iterations: 100,
      meanMs: 1.5,
      stdMs: 0.2,
      minMs: 1.1,
      p50Ms: 1.4,
      p90Ms: 1.8,
      p95Ms: 1.9,
      p99Ms: 2.4,
      maxMs: 3.1,
      initMs: 12,
      firstRunMs: 3,
    });
  });

  it('leaves out initMs and firstRunMs when they were not measured', () => {
    const { initMs: _i, firstRunMs: _f, ...rest } = engineResult;
    const stats: LatencyStats = latencyStatsOf(rest);
    expect('initMs' in stats).toBe(false);
    expect('firstRunMs' in stats).toBe(false);
    expect(latencyStatsOf(summarize([2, 1, 3]))).toEqual({
      iterations: 3,
      meanMs: 2,
      stdMs: 1,
      minMs: 1,
      p50Ms: 2,
      p90Ms: expect.closeTo(2.8, 12),
      p95Ms: expect.closeTo(2.9, 12),
      p99Ms: expect.closeTo(2.98, 12),
      maxMs: 3,
    });
  });
});

describe('thinSamples', () => {
  it('keeps short runs whole (as a copy) and thins long ones evenly to MAX_STORED_SAMPLES', () => {
    const short = [1, 2, 3];
    const kept = thinSamples(short, 10);
    expect(kept).toEqual([1, 2, 3]);
    expect(kept).not.toBe(short);
    const thinned = thinSamples(Array.from({ length: 10_000 }, (_, i) => i));
    expect(thinned).toHaveLength(MAX_STORED_SAMPLES);
    expect(thinned.slice(0, 3)).toEqual([0, 5, 10]);
    expect(thinned.at(-1)).toBe(9995);
  });

  it('picks by exact integer arithmetic when the step is not a whole number', () => {
    // 7 of 10: floor(i * 10 / 7) for i = 0..6.
    expect(thinSamples([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 7)).toEqual([0, 1, 2, 4, 5, 7, 8]);
    // 3 of 2999 * 3: i * n / max is a whole number, so no rounding below it.
    const n = 8997;
    expect(thinSamples(Array.from({ length: n }, (_, i) => i), 3)).toEqual([0, 2999, 5998]);
  });
});

describe('latency metric names', () => {
  it('round-trips the model index and ignores other metrics', () => {
    expect(latencyMetricName(3)).toBe('latency/3');
    expect(parseLatencyMetricName(latencyMetricName(12))).toBe(12);
    expect(parseLatencyMetricName('latency/3')).toBe(3);
    expect(parseLatencyMetricName('top1')).toBeUndefined();
    expect(parseLatencyMetricName('latency/')).toBeUndefined();
    expect(parseLatencyMetricName('latency/1/x')).toBeUndefined();
  });
});

describe('p50RatioToOriginal', () => {
  const wide = [{ name: 'x', shape: [1, 3, 48, 320] }];
  const narrow = [{ name: 'x', shape: [1, 3, 48, 1] }];
  it('prefers the same interleaved run, else the latest original fed the same shapes, and no ratio otherwise', () => {
    expect(p50RatioToOriginal(0.5, 1, { p50Ms: 4, inputs: wide }, narrow)).toBe(0.5);
    expect(p50RatioToOriginal(0.5, undefined, { p50Ms: 2, inputs: wide }, wide)).toBe(0.25);
    expect(p50RatioToOriginal(0.5, undefined, { p50Ms: 2, inputs: wide }, narrow)).toBeUndefined();
    // Records from before inputs were recorded still get their ratio.
    expect(p50RatioToOriginal(0.5, undefined, { p50Ms: 2 }, narrow)).toBe(0.25);
    expect(sameShapes(wide, [{ name: 'x', shape: [1, 3, 48, 320] }])).toBe(true);
  });
});
