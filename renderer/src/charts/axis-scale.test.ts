import { describe, expect, it } from 'vitest';
import { byteTicks, latencyAxis, niceRange, niceStep, niceTicks, shareTicks } from './axis-scale.js';

describe('axis scales', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(0.03)).toBeCloseTo(0.05);
    expect(niceStep(0.2)).toBeCloseTo(0.2);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(7)).toBe(10);
    expect(niceTicks(0.17, { headroom: 0.35 })).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(950)).toEqual([0, 500, 1000]);
  });

  it('scales latency to the bars and says when whiskers are clipped', () => {
    // A 0.17 ms bar beside a p99 of 8 ms: the axis ends near the bars, not at 8 ms.
    const axis = latencyAxis([0.17, 0.12], [0.3, 8]);
    expect(axis.ticks.at(-1)).toBeLessThan(0.5);
    expect(axis.clipped).toBe(true);
    expect(latencyAxis([1, 2], [2.2, 2.4]).clipped).toBe(false);
  });

  it('ticks sizes in round units of the largest value', () => {
    const { ticks, format } = byteTicks(293 * 1024);
    expect(ticks.map(format)).toEqual(['0 KiB', '100 KiB', '200 KiB', '300 KiB']);
    expect(byteTicks(3.2 * 1024 * 1024).ticks.map(byteTicks(3.2 * 1024 * 1024).format)).toEqual(['0 MiB', '1 MiB', '2 MiB', '3 MiB', '4 MiB']);
  });

  it('covers a narrow band with round ticks for scatter axes', () => {
    expect(niceRange(0.0276, 0.0505)).toEqual([0.02, 0.03, 0.04, 0.05, 0.06]);
    expect(niceRange(0.9694, 0.975)).toEqual([0.968, 0.97, 0.972, 0.974, 0.976]);
  });

  it('never puts a share above 100%', () => {
    expect(Math.max(...shareTicks())).toBe(1);
  });
});
