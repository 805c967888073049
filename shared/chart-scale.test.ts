import { describe, expect, it } from 'vitest';
import {
  byteTicks,
  latencyAxis,
  niceRange,
  niceStep,
  niceTicks,
  percentTickFormat,
  shareAxis,
  shareRange,
  shareTicks,
} from './chart-scale.js';
import { clipTail } from './chart-scale.js';

/** True when `step` is 1, 2 or 5 times a power of ten. */
function isRoundStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}

const steps = (ticks: number[]) => ticks.slice(1).map((t, i) => t - ticks[i]!);

describe('axis scales', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(0.03)).toBeCloseTo(0.05);
    expect(niceStep(0.2)).toBeCloseTo(0.2);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(7)).toBe(10);
    expect(niceTicks(0.17, { headroom: 0.25 })).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25]);
    expect(niceTicks(950)).toEqual([0, 200, 400, 600, 800, 1000]);
    // Every tick list, whatever the maximum: from 0, evenly spaced in a round step, ending at or above it.
    for (const max of [0.0123, 0.17, 0.3, 0.31, 0.9, 1, 7.7, 8, 12.5, 99, 101, 4321]) {
      const ticks = niceTicks(max, { headroom: 0.15 });
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max * 1.15 - 1e-12);
      expect(ticks.at(-1)!).toBeLessThan(max * 1.15 * 1.5);
      expect(ticks.length).toBeLessThanOrEqual(6);
      for (const s of steps(ticks)) {
        expect(isRoundStep(s), `${ticks.join(', ')}`).toBe(true);
        expect(s).toBeCloseTo(ticks[1]!, 9);
      }
      // Labels print as written: 0.30000000000000004 never reaches the axis.
      for (const t of ticks) expect(String(t).length).toBeLessThan(8);
    }
  });

  it('scales latency to the bars and says when whiskers are clipped', () => {
    // A 0.17 ms bar beside a p99 of 8 ms: the axis ends near the bars, not at 8 ms.
    const axis = latencyAxis([0.17, 0.12], [0.3, 8]);
    expect(axis.ticks.at(-1)).toBe(0.25);
    expect(axis.clipped).toBe(true);
    expect(latencyAxis([1, 2], [2.2, 2.4]).clipped).toBe(false);
    // Room above the tallest bar, but never twice its height.
    for (const max of [0.0172, 0.17, 0.3, 0.41, 0.8, 1, 1.7, 3.99, 40, 160]) {
      const top = latencyAxis([max / 3, max], [max * 50]).ticks.at(-1)!;
      expect(top).toBeGreaterThanOrEqual(max * 1.25 - 1e-12);
      expect(top).toBeLessThan(max * 2);
    }
  });

  it('ticks sizes in round units of the largest value', () => {
    const { ticks, format } = byteTicks(293 * 1024);
    expect(ticks.map(format)).toEqual(['0 KiB', '100 KiB', '200 KiB', '300 KiB']);
    const MiB = 1024 ** 2;
    const big = byteTicks(3.2 * MiB);
    expect(big.ticks.map(big.format)).toEqual(['0 MiB', '1 MiB', '2 MiB', '3 MiB', '4 MiB']);
    expect(byteTicks(13.3 * MiB).ticks).toEqual([0, 5, 10, 15].map((n) => n * MiB));
    expect(byteTicks(700).ticks).toEqual([0, 200, 400, 600, 800]);
    expect(byteTicks(3 * 1024 ** 3).ticks).toEqual([0, 1, 2, 3].map((n) => n * 1024 ** 3));
    // The sizes that once gave 146.5 KiB and 293.0 KiB ticks: every label is a round number of its unit.
    for (const max of [146.5 * 1024, 586 * 1024, 1.3 * MiB, 9.9 * MiB, 700 * MiB]) {
      const axis = byteTicks(max, { headroom: 0.15 });
      const labels = axis.ticks.map(axis.format);
      // One unit on the whole axis, numbers of at most one decimal, in a round step of that unit.
      expect(new Set(labels.map((l) => l.split(' ')[1])).size, labels.join(', ')).toBe(1);
      for (const l of labels) expect(l, labels.join(', ')).toMatch(/^\d+(\.\d)? (B|KiB|MiB|GiB)$/);
      const numbers = labels.map((l) => Number(l.split(' ')[0]));
      for (const s of steps(numbers)) expect(isRoundStep(s), labels.join(', ')).toBe(true);
      expect(axis.ticks.at(-1)!).toBeGreaterThanOrEqual(max * 1.15);
    }
  });

  it('covers a narrow band with round ticks for scatter axes', () => {
    expect(niceRange(0.0276, 0.0505)).toEqual([0.02, 0.03, 0.04, 0.05, 0.06]);
    expect(niceRange(0.9694, 0.975)).toEqual([0.968, 0.97, 0.972, 0.974, 0.976]);
  });

  it('never puts a share above 100%', () => {
    expect(Math.max(...shareTicks())).toBe(1);
    // Accuracies near 100%: the band is padded, but its top is 100%, not 102% or 107%.
    expect(shareRange([0.991, 0.999])).toEqual([0.985, 0.99, 0.995, 1]);
    expect(shareRange([1, 0.998]).at(-1)).toBe(1);
    expect(shareRange([0.991, 0.44])).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    for (const values of [[0.99], [1], [0.5, 0.999], [0.9999, 0.9998], [0.2, 0.3]]) {
      const ticks = shareRange(values);
      expect(ticks.at(-1)!).toBeLessThanOrEqual(1);
      expect(ticks[0]!).toBeGreaterThanOrEqual(0);
      expect(ticks[0]!).toBeLessThanOrEqual(Math.min(...values));
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(Math.max(...values));
    }
  });
});

describe('shareAxis', () => {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

  it('runs from 0 where every figure prints the same, and says which figure', () => {
    expect(shareAxis([1, 1, 0.99999], pct)).toEqual({ ticks: shareTicks(), allAt: '100.00%' });
  });

  it('zooms to figures that differ, with tick labels that differ too', () => {
    const { ticks, allAt } = shareAxis([0.994, 0.989], pct);
    expect(allAt).toBeUndefined();
    expect(ticks).toEqual(shareRange([0.994, 0.989]));
    const labels = ticks.map(percentTickFormat(ticks));
    expect(new Set(labels).size).toBe(labels.length);
    expect(shareTicks().map(percentTickFormat(shareTicks()))).toEqual(['0%', '25%', '50%', '75%', '100%']);
  });
});

describe('clipTail', () => {
  it('cuts a latency distribution at its rare outliers (p99, or Q3 + 3 IQR, not below a plain tail’s p95) and counts them', () => {
    // 200 runs near 1 ms and two of 40 ms: without the cut the axis spans 40 ms and the runs fill 1 bar.
    const runs = [...Array.from({ length: 198 }, (_, i) => 1 + (i % 10) * 0.01), 40, 41];
    const { kept, beyond, cutoff } = clipTail(runs);
    expect(beyond).toBe(2);
    expect(kept).toHaveLength(198);
    expect(cutoff).toBeCloseTo(1.09, 9);
    expect(clipTail([1, 2, 3])).toEqual({ kept: [1, 2, 3], beyond: 0, cutoff: 3 });
    // 3% of slow runs at 2.5x (past the p99 the cut would keep): cut at Q3 + 3 IQR, the slow runs counted.
    const busy = [...Array.from({ length: 97 }, (_, i) => 0.17 + (i % 10) * 0.002), 0.43, 0.44, 0.45];
    const cut = clipTail(busy);
    expect(cut.beyond).toBe(3);
    expect(cut.cutoff!).toBeLessThan(0.25);
    expect(clipTail([])).toEqual({ kept: [], beyond: 0, cutoff: undefined });
  });

  it('cuts a browser run whose slow runs are a cluster of their own (p90 at 10x the p50) below its p95', () => {
    // The user's wasm run: 85 runs near 0.14 ms, 15 of 1.5-7 ms. Cut at p95 (4.4 ms), 82 runs fell in one bar.
    const fast = Array.from({ length: 85 }, (_, i) => 0.1 + (i % 17) * 0.01);
    const slow = Array.from({ length: 15 }, (_, i) => 1.5 + i * 0.4);
    const cut = clipTail([...fast, ...slow]);
    expect(cut.cutoff!).toBeLessThan(1);
    expect(cut.beyond).toBe(15);
    // A plain tail (p95 under twice the median) still keeps its p95: timings on a coarse clock are not cut.
    const coarse = [...Array(60).fill(0.1), ...Array(30).fill(0.11), ...Array(10).fill(0.12)];
    expect(clipTail(coarse).beyond).toBe(0);
  });
});
