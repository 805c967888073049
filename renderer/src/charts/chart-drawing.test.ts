import { describe, expect, it } from 'vitest';
import { layoutLegend } from '../export/chart-image.js';
import { countTicks } from './svg-chart-support.js';

describe('histogram count axis', () => {
  it('uses round steps that cover the largest count', () => {
    expect(countTicks(0)).toEqual([0]);
    expect(countTicks(3)).toEqual([0, 1, 2, 3]);
    expect(countTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(countTicks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    for (const max of [1, 9, 11, 57, 99, 101, 1234, 99999]) {
      const ticks = countTicks(max);
      expect(ticks[0]).toBe(0);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(7);
      expect(ticks.every(Number.isInteger)).toBe(true);
    }
  });
});


describe('legend layout for saved charts', () => {
  it('flows entries into rows that fit the width', () => {
    const entries = ['original', 'int8-dynamic', 'int8-static', 'fp16', 'structured 30%'].map((label) => ({
      label,
      color: '#000',
    }));
    const wide = layoutLegend(entries, 2000);
    expect(new Set(wide.map((p) => p.y))).toEqual(new Set([0]));
    const narrow = layoutLegend(entries, 260);
    expect(Math.max(...narrow.map((p) => p.y))).toBeGreaterThan(0);
    for (const p of narrow) expect(p.x).toBeLessThan(260);
    // Entries on one row never overlap.
    for (let i = 1; i < narrow.length; i++) {
      const [prev, cur] = [narrow[i - 1]!, narrow[i]!];
      if (prev.y === cur.y) expect(cur.x).toBeGreaterThan(prev.x + prev.entry.label.length * 7);
    }
  });
});
