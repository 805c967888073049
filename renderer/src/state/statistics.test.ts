import { describe, expect, it } from 'vitest';
import { histogram, latencyStats } from './statistics.js';

describe('latency statistics', () => {
  it('summarizes unsorted samples with the sample standard deviation', () => {
    const stats = latencyStats([3, 1, 2, 4]);
    expect(stats).toEqual({
      iterations: 4,
      meanMs: 2.5,
      stdMs: expect.closeTo(Math.sqrt(5 / 3), 12),
      minMs: 1,
      p50Ms: 2.5,
      p90Ms: expect.closeTo(3.7, 12),
      p95Ms: expect.closeTo(3.85, 12),
      p99Ms: expect.closeTo(3.97, 12),
      maxMs: 4,
    });
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
});
