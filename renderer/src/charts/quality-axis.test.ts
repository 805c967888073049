import { describe, expect, it } from 'vitest';
import { qualityAxisNote, qualityTicks } from './quality-axis.js';

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

describe('the quality axis does not zoom in on no difference (user test 2.8)', () => {
  it('three variants all at 80.00%: a 0-100% axis and "all at 80.00%", not 79.985% to 80.005%', () => {
    const axis = qualityTicks([0.8, 0.8, 0.8], 'accuracy');
    expect(axis.ticks[0]).toBe(0);
    expect(axis.ticks.at(-1)).toBe(1);
    expect(axis.allAt).toBe('80.00%');
    const percent = (v: number) => `${(v * 100).toFixed(Math.max(0, axis.digits - 2))}%`;
    expect(qualityAxisNote(axis, percent)).toBe(' All at 80.00%: no difference to show, so the axis starts at 0.');
    // Differences below the printed precision (two decimals of a percent) are none to the reader either.
    expect(qualityTicks([0.8, 0.800001, 0.799999], 'accuracy').allAt).toBe('80.00%');
  });

  it('figures a hundredth of a point apart zoom, but never to ticks with three decimals of a percent', () => {
    const axis = qualityTicks([0.8, 0.8001], 'accuracy');
    expect(axis.allAt).toBeUndefined();
    expect(axis.ticks[0]).toBeGreaterThan(0.7);
    const labels = axis.ticks.map((t) => `${(t * 100).toFixed(Math.max(0, axis.digits - 2))}%`);
    for (const label of labels) expect(label, labels.join(', ')).not.toMatch(/\.\d\d\d%$/);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('still zooms cosines that differ at their printed precision (five decimals), with distinct ticks', () => {
    const axis = qualityTicks([1, 0.99991], 'cosine');
    expect(axis.allAt).toBeUndefined();
    expect(axis.ticks[0]).toBeGreaterThan(0.999);
    const labels = axis.ticks.map((t) => t.toFixed(Math.max(2, axis.digits)));
    expect(new Set(labels).size).toBe(labels.length);
    expect(qualityTicks([1, 0.99999995], 'cosine').allAt).toBe('1.00000');
  });
});
