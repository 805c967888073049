/**
 * The Pareto scatter's quality axis leaves room for its bubbles: a point at 100% (the original's agreement or
 * cosine with itself, a variant's that matches it) had its centre on the plot's top edge and half its bubble cut
 * off above the plot. The drawing itself is checked in e2e/charts.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../state/compare-data.js';
import { qualityTicks } from './quality-axis.js';
import { layoutParetoInside, PARETO_FRAME } from './pareto-points.js';

const point = (id: string, plotP50Ms: number, quality: number, bytes: number, index: number): CompareRow => ({
  id,
  label: id,
  isOriginal: id === 'original',
  index,
  plotP50Ms,
  quality,
  bytes,
});

const { margin, xAxisHeight, height } = PARETO_FRAME;
const PLOT = { top: margin.top, bottom: height - margin.bottom - xAxisHeight };

/** Each drawn circle's top and bottom (px), as ParetoPoint draws it with the layout. */
function drawnRows(
  rows: CompareRow[],
  domain: readonly [number, number],
  layout: ReturnType<typeof layoutParetoInside>['layout'],
) {
  const sy = (v: number) =>
    PLOT.bottom - ((v - domain[0]) / (domain[1] - domain[0])) * (PLOT.bottom - PLOT.top);
  return rows.map((r) => {
    const y = sy(r.quality as number) + (layout.offsets.get(r.id)?.dy ?? 0);
    const radius = layout.radius.get(r.id)!;
    return { id: r.id, top: y - radius - 1, bottom: y + radius + 1 };
  });
}

describe('the Pareto quality axis has room for a bubble at 100%', () => {
  it('runs past its last tick just enough for the largest bubble, spread up from a shared place, to be drawn inside', () => {
    // The original (the largest file) and fp16 at 100% agreement at one place; int8 lower and smaller.
    const rows = [
      point('original', 1, 1, 4000, 0),
      point('fp16', 1, 1, 2000, 1),
      point('int8', 0.5, 0.96, 1000, 2),
    ];
    const ticks = qualityTicks(
      rows.map((r) => r.quality as number),
      'top1Agreement',
    ).ticks;
    expect(ticks.at(-1)).toBe(1);
    for (const width of [1440, 800]) {
      const { yDomain, layout } = layoutParetoInside(
        rows,
        [0, 1.5],
        [ticks[0]!, ticks.at(-1)!],
        width,
        rows.map((r) => r.id),
      );
      expect(layout.groups).toEqual([['original', 'fp16']]);
      expect(yDomain[1]).toBeGreaterThan(1);
      for (const d of drawnRows(rows, yDomain, layout)) {
        expect(d.top, `${d.id} at ${width}`).toBeGreaterThanOrEqual(PLOT.top - 0.01);
        expect(d.bottom, `${d.id} at ${width}`).toBeLessThanOrEqual(PLOT.bottom + 0.01);
      }
      // No more room than needed: the topmost bubble ends a pixel (the spare) below the plot's top.
      expect(Math.min(...drawnRows(rows, yDomain, layout).map((d) => d.top))).toBeLessThan(PLOT.top + 1.5);
    }
  });

  it('leaves the axis as its ticks are where every bubble is inside already', () => {
    const rows = [point('original', 1, 0.5, 1000, 0), point('int8', 0.5, 0.6, 1000, 1)];
    const { yDomain } = layoutParetoInside(
      rows,
      [0, 1.5],
      [0, 1],
      1440,
      rows.map((r) => r.id),
    );
    expect(yDomain).toEqual([0, 1]);
  });

  it('gives room at the bottom too, for a point on the lowest tick', () => {
    const rows = [point('original', 1, 0.9, 4000, 0), point('pruned', 0.5, 0.4, 4000, 1)];
    const { yDomain, layout } = layoutParetoInside(
      rows,
      [0, 1.5],
      [0.4, 0.9],
      1440,
      rows.map((r) => r.id),
    );
    expect(yDomain[0]).toBeLessThan(0.4);
    for (const d of drawnRows(rows, yDomain, layout))
      expect(d.bottom).toBeLessThanOrEqual(PLOT.bottom + 0.01);
  });
});
