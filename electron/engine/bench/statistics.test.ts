import { describe, expect, it } from 'vitest';
import { percentile, percentileOfSorted, summarize } from './statistics.js';

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
    expect(s.count).toBe(8);
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
    expect(none.count).toBe(0);
    expect(none.meanMs).toBeNaN();
    expect(none.throughput).toBe(0);
  });

  it('does not reorder the caller\'s array', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});
