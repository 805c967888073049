/**
 * Points of the Pareto scatter that sit at (nearly) the same place: found in pixels, spread a few pixels around
 * their common place so each is seen, and counted ("3 models here"). A user test found 9 models in the legend and
 * about 5 on the chart: the original sat exactly under fp16, int4 and int8-dynamic (the same speed and accuracy).
 * Pure; tested in pareto-overlap.test.ts.
 */

import { listWords } from '../../../shared/counted.js';

/** A point where the chart draws it: centre and radius in pixels. */
export interface PlacedPoint {
  id: string;
  x: number;
  y: number;
  r: number;
}

/**
 * Two bubbles closer than this (centre to centre, px) read as one: most of the smaller is under the larger, or
 * all of it when they are the same size.
 */
export function coverDistance(a: PlacedPoint, b: PlacedPoint): number {
  return Math.max(6, 0.6 * Math.min(a.r, b.r));
}

/**
 * Groups of two or more points that cover each other, chained (A covers B, B covers C: one group), each in the
 * order given; points alone are in no group.
 */
export function overlapGroups(points: readonly PlacedPoint[]): PlacedPoint[][] {
  const parent = points.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (Math.hypot(a.x - b.x, a.y - b.y) < coverDistance(a, b)) parent[find(j)] = find(i);
    }
  const groups = new Map<number, PlacedPoint[]>();
  points.forEach((p, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), p]));
  return [...groups.values()].filter((g) => g.length > 1);
}

/** How far from their common place the members of a group are drawn (px): enough to see each one's edge. */
export const SPREAD_PX = 10;

/**
 * A small, deterministic offset per member of each group (px): around a ring about the group's centre, the first
 * at the top, in the order of the group. The figures (tooltip, table) stay exact; only the drawing moves.
 */
export function spreadOffsets(groups: readonly PlacedPoint[][], radius = SPREAD_PX): Map<string, { dx: number; dy: number }> {
  const offsets = new Map<string, { dx: number; dy: number }>();
  for (const group of groups) {
    const cx = group.reduce((s, p) => s + p.x, 0) / group.length;
    const cy = group.reduce((s, p) => s + p.y, 0) / group.length;
    group.forEach((p, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / group.length;
      offsets.set(p.id, { dx: cx + radius * Math.cos(angle) - p.x, dy: cy + radius * Math.sin(angle) - p.y });
    });
  }
  return offsets;
}

/** "original, fp16 and int4" (shared/counted.ts). */
export const listNames = listWords;

/**
 * The caption's sentence when points overlap: which, and how they are drawn. Undefined when none do.
 */
export function overlapCaption(groups: readonly { labels: readonly string[] }[]): string | undefined {
  if (groups.length === 0) return undefined;
  const each = groups.map((g) => listNames(g.labels)).join('; ');
  return `Overlapping points: ${each} sit at nearly one place, so each is drawn ${SPREAD_PX} px from it, with a count of the models there; hover for each one's figures.`;
}
