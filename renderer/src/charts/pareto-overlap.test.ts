import { describe, expect, it } from 'vitest';
import { PARETO_RULE, type CompareRow } from '../state/compare-data.js';
import { overlapCaption, overlapGroups, settleOverlaps, SPREAD_PX, spreadOffsets } from './pareto-overlap.js';
import { drawnHollow, layoutPareto } from './pareto-points.js';

const point = (
  id: string,
  plotP50Ms: number,
  quality: number,
  index: number,
  extra: Partial<CompareRow> = {},
): CompareRow => ({
  id,
  label: id,
  isOriginal: id === 'original',
  index,
  plotP50Ms,
  quality,
  bytes: 1000,
  ...extra,
});

describe('Pareto points at the same place are all seen (user test 2.7)', () => {
  // bigcnn: the original exactly under fp16, int4 and int8-dynamic; int8-static alone elsewhere.
  const rows = [
    point('original', 1, 0.99, 0),
    point('fp16', 1, 0.99, 1, { bytes: 500 }),
    point('int4', 1.001, 0.99, 2, { bytes: 300 }),
    point('int8-dynamic', 1, 0.9899, 3, { bytes: 260 }),
    point('int8-static', 0.4, 0.99, 4, { bytes: 260 }),
  ];
  const drawOrder = rows.map((r) => r.id);

  it('groups the points that cover each other and spreads each a few pixels from their place', () => {
    const layout = layoutPareto(rows, [0, 1.2], [0.9, 1], 600, drawOrder);
    expect(layout.groups).toEqual([['original', 'fp16', 'int4', 'int8-dynamic']]);
    // Four distinct places around the ring, the lone point where it is.
    const offsets = layout.groups[0]!.map((id) => layout.offsets.get(id)!);
    const keys = new Set(offsets.map((o) => `${Math.round(o.dx)},${Math.round(o.dy)}`));
    expect(keys.size).toBe(4);
    expect(layout.offsets.has('int8-static')).toBe(false);
    // The count is drawn by the group's last-drawn bubble, clear of the spread group.
    expect(layout.counts.get('int8-dynamic')).toMatchObject({ count: 4 });
    const count = layout.counts.get('int8-dynamic')!;
    expect(Math.max(Math.abs(count.dx), Math.abs(count.dy))).toBeGreaterThan(SPREAD_PX);
  });

  it('leaves points apart alone, and chains points that cover each other in turn', () => {
    expect(
      overlapGroups([
        { id: 'a', x: 0, y: 0, r: 8 },
        { id: 'b', x: 40, y: 0, r: 8 },
      ]),
    ).toEqual([]);
    const chained = overlapGroups([
      { id: 'a', x: 0, y: 0, r: 10 },
      { id: 'b', x: 5, y: 0, r: 10 },
      { id: 'c', x: 10, y: 0, r: 10 },
    ]);
    expect(chained.map((g) => g.map((p) => p.id))).toEqual([['a', 'b', 'c']]);
    const spread = spreadOffsets(chained);
    const centre = { x: 5, y: 0 };
    for (const p of chained[0]!) {
      const o = spread.get(p.id)!;
      expect(Math.hypot(p.x + o.dx - centre.x, p.y + o.dy - centre.y)).toBeCloseTo(SPREAD_PX, 6);
    }
  });

  it('says on the chart which points overlap', () => {
    expect(overlapCaption([])).toBeUndefined();
    expect(overlapCaption([{ labels: ['original', 'fp16', 'int4'] }])).toContain(
      'Overlapping points: original, fp16 and int4 sit at nearly one place',
    );
  });
});

describe('the Pareto text and drawing agree on noisy runs (user test 1.2)', () => {
  it('draws a noisy run’s variant hollow, and the rule says so instead of "left off"', () => {
    expect(drawnHollow(point('int8', 1, 0.9, 1, { unreliableRun: 'p90 4x p50' }))).toBe(true);
    expect(drawnHollow(point('int8', 1, 0.9, 1))).toBe(false);
    // The original is the baseline: always placed as it is.
    expect(drawnHollow(point('original', 1, 0.9, 0, { unreliableRun: 'p90 4x p50' }))).toBe(false);
    expect(PARETO_RULE).not.toContain('is left off');
    expect(PARETO_RULE).toContain('drawn hollow and dashed');
  });
});

describe('every bubble a group covers is counted, and its count covers none (app user test, finding 12)', () => {
  it('groups two bubbles of one size that lie more than half on each other', () => {
    // 0.7 of a radius apart: about 55% of each is under the other, and the pair read as one bubble.
    const groups = overlapGroups([
      { id: 'original', x: 100, y: 50, r: 12 },
      { id: 'structured', x: 108.4, y: 50, r: 12 },
    ]);
    expect(groups.map((g) => g.map((p) => p.id))).toEqual([['original', 'structured']]);
  });

  it('spreads a pair side by side, so neither leaves its quality gridline', () => {
    const offsets = spreadOffsets([
      [
        { id: 'a', x: 0, y: 0, r: 8 },
        { id: 'b', x: 0, y: 0, r: 8 },
      ],
    ]);
    expect(offsets.get('a')!.dy).toBeCloseTo(0, 9);
    expect(offsets.get('b')!.dy).toBeCloseTo(0, 9);
    expect(offsets.get('a')!.dx).toBeCloseTo(-SPREAD_PX, 9);
  });

  it('adds a bubble the spread moves a member onto, and spreads the larger group again', () => {
    const points = [
      { id: 'a', x: 0, y: 0, r: 10 },
      { id: 'b', x: 2, y: 0, r: 10 },
      // 16 px from a where it is: apart; but a is spread to x = -9, 7 px from it.
      { id: 'c', x: -16, y: 0, r: 10 },
    ];
    expect(overlapGroups(points)).toHaveLength(1);
    expect(overlapGroups(points)[0]).toHaveLength(2);
    const { groups, offsets } = settleOverlaps(points);
    expect(groups.map((g) => g.map((p) => p.id))).toEqual([['a', 'b', 'c']]);
    expect(offsets.has('c')).toBe(true);
  });

  it('puts the count on the side no other bubble is on', () => {
    // A group in the plot's lower half (whose count would go above it) with a lone bubble right above it.
    const rows = [
      point('original', 1, 0.93, 0),
      point('fp16', 1, 0.93, 1),
      point('int8', 1, 0.9475, 2, { bytes: 1000 }),
    ];
    const drawOrder = rows.map((r) => r.id);
    const layout = layoutPareto(rows, [0, 2], [0.9, 1], 600, drawOrder);
    expect(layout.groups).toEqual([['original', 'fp16']]);
    expect(layout.counts.get('fp16')).toMatchObject({ count: 2, side: 'below' });
    // Without the bubble above, the lower half's count goes above, where the room usually is.
    const alone = layoutPareto(rows.slice(0, 2), [0, 2], [0.9, 1], 600, drawOrder.slice(0, 2));
    expect(alone.counts.get('fp16')).toMatchObject({ count: 2, side: 'above' });
  });

  it('puts the count beside the group when a bubble is below it and the plot ends above it', () => {
    // At 100%, the plot's top edge: no room above; a bubble where the count would go below.
    const rows = [point('original', 1, 1, 0), point('fp16', 1, 1, 1), point('int8', 1, 0.985, 2)];
    const layout = layoutPareto(
      rows,
      [0, 2],
      [0.9, 1],
      600,
      rows.map((r) => r.id),
    );
    const count = layout.counts.get('fp16')!;
    expect(count.side).toBe('right');
    expect(count).toMatchObject({ textAnchor: 'start' });
    expect(count.dx).toBeGreaterThan(SPREAD_PX);
  });
});
