import { describe, expect, it } from 'vitest';
import { histogram, latencyStats, percentileOfSorted, thinSamples } from './statistics.js';

describe('latency statistics', () => {
  it('interpolates percentiles like numpy (type 7)', () => {
    expect(percentileOfSorted([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileOfSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
    expect(percentileOfSorted([], 50)).toBeNaN();
  });

  it('summarizes unsorted samples with the sample standard deviation', () => {
    const stats = latencyStats([3, 1, 2, 4]);
    expect(stats).toMatchObject({ count: 4, meanMs: 2.5, minMs: 1, maxMs: 4, p50Ms: 2.5 });
    expect(stats?.stdMs).toBeCloseTo(Math.sqrt(5 / 3));
    expect(latencyStats([])).toBeUndefined();
    expect(latencyStats([7])?.stdMs).toBe(0);
  });

  it('bins between the 0.5th and 99.5th percentile so one outlier does not squash the rest', () => {
    const samples = [...Array.from({ length: 999 }, (_, i) => 1 + (i % 100) / 100), 50];
    const bins = histogram(samples, 10);
    expect(bins).toHaveLength(10);
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(1000);
    expect((bins.at(-1) as { to: number }).to).toBeLessThan(3);
  });

  it('puts identical samples in one bin', () => {
    expect(histogram([2, 2, 2], 30)).toEqual([expect.objectContaining({ count: 3 })]);
    expect(histogram([], 30)).toEqual([]);
  });

  it('thins evenly and keeps short runs whole', () => {
    expect(thinSamples([1, 2, 3], 10)).toEqual([1, 2, 3]);
    const thinned = thinSamples(
      Array.from({ length: 10_000 }, (_, i) => i),
      2000,
    );
    expect(thinned).toHaveLength(2000);
    expect(thinned[1]).toBe(5);
  });
});
