/*
 * How the positions of one tensor axis map to prunable channels.
 *
 * Every prunable layer's output channels form a "space" (an id). A tensor axis that carries channels is a
 * sequence of segments: `count` channels of a space, each channel taking `inner` consecutive positions
 * (1 for a Conv output; H*W after a Flatten; m after a depthwise Conv with channel multiplier m), and every
 * position is further multiplied by `factor` when a Flatten's spatial size is only known later (null until
 * a consumer with a known length resolves it). Concat along the channel axis concatenates segments.
 */

export interface Segment {
  space: number;
  count: number;
  inner: number;
}

export interface Layout {
  segments: readonly Segment[];
  /** Uniform multiplier of every position; null when not known yet (a Flatten of unknown spatial size). */
  factor: number | null;
}

/** A layout whose factor is known. */
export interface ResolvedLayout {
  segments: readonly Segment[];
  factor: number;
}

/** One space, one position per channel. */
export function singleLayout(space: number, count: number): ResolvedLayout {
  return { segments: [{ space, count, inner: 1 }], factor: 1 };
}

/** Positions per factor unit: sum of count * inner. */
export function layoutBase(layout: Layout): number {
  let n = 0;
  for (const s of layout.segments) n += s.count * s.inner;
  return n;
}

/**
 * The layout with its factor fixed so that it spans `length` positions, or undefined when that is
 * impossible (the length is not what the layout says, or not a whole multiple of it).
 */
export function resolveLayout(layout: Layout, length: number): ResolvedLayout | undefined {
  const base = layoutBase(layout);
  if (base <= 0 || !Number.isInteger(length) || length <= 0) return undefined;
  if (layout.factor !== null)
    return layout.factor * base === length ? { segments: layout.segments, factor: layout.factor } : undefined;
  return length % base === 0 ? { segments: layout.segments, factor: length / base } : undefined;
}

/** Folds the factor into every segment's inner size (factor 1). */
export function flattenFactor(layout: ResolvedLayout): ResolvedLayout {
  if (layout.factor === 1) return layout;
  return { segments: layout.segments.map((s) => ({ ...s, inner: s.inner * layout.factor })), factor: 1 };
}

/** Every position multiplied by `by` (null: by an unknown amount). */
export function scaleLayout(layout: Layout, by: number | null): Layout {
  if (by === null || layout.factor === null) return { segments: layout.segments, factor: null };
  return { segments: layout.segments, factor: layout.factor * by };
}

/** Whether two layouts describe positions the same way (same segment sizes and factor). */
export function sameStructure(a: Layout, b: Layout): boolean {
  if (a.factor !== b.factor || a.segments.length !== b.segments.length) return false;
  return a.segments.every((s, i) => s.count === b.segments[i]!.count && s.inner === b.segments[i]!.inner);
}

/** The kept channels of each space (ascending), or undefined for spaces that keep all. */
export type KeptChannels = (space: number) => Int32Array | undefined;

/** The positions of a resolved layout that survive, ascending, and whether any was removed. */
export function keptPositions(
  layout: ResolvedLayout,
  kept: KeptChannels,
): { positions: number[]; changed: boolean } {
  const positions: number[] = [];
  let at = 0;
  let changed = false;
  for (const seg of layout.segments) {
    const unit = seg.inner * layout.factor;
    const keep = kept(seg.space);
    if (keep && keep.length < seg.count) changed = true;
    const channels = keep ?? Int32Array.from({ length: seg.count }, (_, i) => i);
    for (const c of channels) for (let u = 0; u < unit; u++) positions.push(at + c * unit + u);
    at += seg.count * unit;
  }
  return { positions, changed };
}

/** How many positions of a resolved layout survive. */
export function keptLength(layout: ResolvedLayout, kept: KeptChannels): number {
  let n = 0;
  for (const seg of layout.segments) n += (kept(seg.space)?.length ?? seg.count) * seg.inner * layout.factor;
  return n;
}
