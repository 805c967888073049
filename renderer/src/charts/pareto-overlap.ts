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
 * Two bubbles closer than this (centre to centre, px) read as one: two of one size lie about half on each other
 * or more (a user test saw one at 0.7 of a radius read as a single bubble); a smaller one lies inside the larger.
 */
export function coverDistance(a: PlacedPoint, b: PlacedPoint): number {
  return Math.max(6, 0.8 * Math.min(a.r, b.r));
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
 * on the left, in the order of the group (a pair sits side by side, on its quality's gridline). The figures
 * (tooltip, table) stay exact; only the drawing moves.
 */
export function spreadOffsets(groups: readonly PlacedPoint[][], radius = SPREAD_PX): Map<string, { dx: number; dy: number }> {
  const offsets = new Map<string, { dx: number; dy: number }>();
  for (const group of groups) {
    const cx = group.reduce((s, p) => s + p.x, 0) / group.length;
    const cy = group.reduce((s, p) => s + p.y, 0) / group.length;
    group.forEach((p, i) => {
      const angle = Math.PI + (2 * Math.PI * i) / group.length;
      offsets.set(p.id, { dx: cx + radius * Math.cos(angle) - p.x, dy: cy + radius * Math.sin(angle) - p.y });
    });
  }
  return offsets;
}

/**
 * The groups of points as drawn: those that cover each other where they are, and any point a spread member
 * then covers (spreading moves a member towards its neighbours). Repeated until no group grows; `offsets` is
 * the spread of the final groups.
 */
export function settleOverlaps(points: readonly PlacedPoint[]): {
  groups: PlacedPoint[][];
  offsets: Map<string, { dx: number; dy: number }>;
} {
  let groups = overlapGroups(points);
  let offsets = spreadOffsets(groups);
  for (let round = 0; round < points.length; round++) {
    const drawn = points.map((p) => {
      const o = offsets.get(p.id);
      return o ? { ...p, x: p.x + o.dx, y: p.y + o.dy } : p;
    });
    const joined = new Map(points.map((p) => [p.id, p]));
    const pairs = [...groups.map((g) => g.map((p) => p.id)), ...overlapGroups(drawn).map((g) => g.map((p) => p.id))];
    const merged = mergeGroups(
      points.map((p) => p.id),
      pairs,
    ).map((ids) => ids.map((id) => joined.get(id)!));
    if (merged.length === groups.length && merged.every((g, i) => g.length === groups[i]!.length)) break;
    groups = merged;
    offsets = spreadOffsets(groups);
  }
  return { groups, offsets };
}

/** Unions of the given id lists that share a member, each in the order of `order`; singletons dropped. */
function mergeGroups(order: readonly string[], lists: readonly string[][]): string[][] {
  const parent = new Map(order.map((id) => [id, id]));
  const find = (id: string): string => {
    const up = parent.get(id)!;
    if (up === id) return id;
    const root = find(up);
    parent.set(id, root);
    return root;
  };
  for (const list of lists) for (const id of list.slice(1)) parent.set(find(id), find(list[0]!));
  const byRoot = new Map<string, string[]>();
  for (const id of order) byRoot.set(find(id), [...(byRoot.get(find(id)) ?? []), id]);
  return [...byRoot.values()].filter((g) => g.length > 1);
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
