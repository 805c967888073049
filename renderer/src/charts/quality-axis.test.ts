import { describe, expect, it } from 'vitest';
import { qualityTicks } from './compare-charts.js';

describe('the quality axis is zoomed to the data', () => {
  it('tells a cosine of 0.9757 from 1.0000, and accuracy of 98.9% from 99.4% (not a 0-1 axis)', () => {
    const cosine = qualityTicks([1, 0.99991, 0.9757]);
    expect(cosine.ticks[0]).toBeGreaterThan(0.9);
    expect(cosine.ticks[0]).toBeLessThanOrEqual(0.9757);
    expect(cosine.ticks.at(-1)).toBe(1);
    expect(cosine.digits).toBeGreaterThanOrEqual(2);
    const accuracy = qualityTicks([0.9944, 0.9889]);
    expect(accuracy.ticks[0]).toBeGreaterThan(0.98);
    expect(accuracy.digits).toBeGreaterThanOrEqual(3);
  });

  it('never zooms so far that every tick reads the same: cosines within 1e-7 of 1 get distinct labels', () => {
    const { ticks, digits } = qualityTicks([1, 0.99999995, 0.9999999]);
    const labels = ticks.map((t) => t.toFixed(digits));
    expect(new Set(labels).size).toBe(labels.length);
    expect(ticks.at(-1)).toBe(1);
  });
});
