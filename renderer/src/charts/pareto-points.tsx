/**
 * How the Pareto scatter draws its points: each a bubble of its own (radius from its file size), spread a little
 * where points cover each other (pareto-overlap.ts) with a count beside them, hollow and dashed where its run was
 * too noisy to tell speeds apart (such a variant is never on the front, and the caption says it is drawn so), and
 * a tooltip that lists every model at the hovered place.
 */
import type { CompareRow } from '../state/compare-data.js';
import { settleOverlaps, SPREAD_PX, type PlacedPoint } from './pareto-overlap.js';
import { CHART_FONT_PX, textWidth } from './chart-layout.js';

/** The scatter's frame (px), which its layout below mirrors: recharts places the plot inside it. */
export const PARETO_FRAME = {
  height: 300,
  margin: { top: 28, right: 40, bottom: 8, left: 8 },
  yAxisWidth: 80,
  xAxisHeight: 48,
} as const;

/** Bubble areas (px²) from the smallest file to the largest, as recharts' ZAxis range was. */
const AREA = { min: 80, max: 900 };

/** A bubble's radius (px): its area grows with its file size, from AREA.min (no bytes known) to AREA.max. */
export function bubbleRadius(bytes: number | undefined, maxBytes: number): number {
  const share = bytes !== undefined && maxBytes > 0 ? bytes / maxBytes : 0;
  return Math.sqrt((AREA.min + (AREA.max - AREA.min) * share) / Math.PI);
}

/** A row drawn on a noisy run's figures: never on the front, drawn hollow (the original, the baseline, is not). */
export function drawnHollow(row: CompareRow): boolean {
  return !row.isOriginal && row.unreliableRun !== undefined;
}

/**
 * A marker's paint, on Compare's Pareto chart and on Auto-optimize's trial chart alike: filled in `fill` and
 * outlined in `stroke` (none where undefined), or, for a point placed by a run too noisy to tell speeds apart
 * (`hollow`), not filled at all and outlined dashed (in `stroke`, else `fill`): a filled marker reads as a
 * verdict (on the front, within the budget) that such a run cannot give.
 */
export function markerPaint(p: { fill: string; stroke: string | undefined; hollow: boolean }): {
  fill: string;
  stroke: string;
  strokeDasharray?: string;
} {
  return p.hollow
    ? { fill: 'none', stroke: p.stroke ?? p.fill, strokeDasharray: '4 3' }
    : { fill: p.fill, stroke: p.stroke ?? 'none' };
}

export interface ParetoLayout {
  /** Radius per row id (px). */
  radius: Map<string, number>;
  /** Offset from its exact place per row id that shares a place with others (px). */
  offsets: Map<string, { dx: number; dy: number }>;
  /** The groups of rows at nearly one place: their ids, in row order. */
  groups: string[][];
  /**
   * The count beside each group, carried by its member drawn last (so no bubble covers it): where its text goes,
   * relative to that member's exact place, clear of the whole spread group.
   */
  counts: Map<string, GroupCount>;
}

/** Sides a group's count can take, in the order tried on a tie. */
type CountSide = 'below' | 'above' | 'right' | 'left';

export interface GroupCount {
  count: number;
  side: CountSide;
  /** The text's anchor (px from the member's exact place: x, and the top of its line) and SVG's text-anchor. */
  dx: number;
  dy: number;
  textAnchor: 'middle' | 'start' | 'end';
}

/** The count's words ("3 models here"): laid out here, drawn by ParetoPoint. */
export function countText(count: number): string {
  return `${count} models here`;
}

/** A box (px) as the count's text occupies it. */
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** How much of box `b` the bubble `p` reaches into (px², by its bounding square: cheap, and enough to compare). */
function boxOverlap(b: Box, p: PlacedPoint): number {
  const w = Math.min(b.right, p.x + p.r) - Math.max(b.left, p.x - p.r);
  const h = Math.min(b.bottom, p.y + p.r) - Math.max(b.top, p.y - p.r);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Where a group's count goes: below, above, right of or left of the group, `gap` px from `anchor` (clear of the
 * spread group), on the side where the fewest other bubbles (as drawn) are in its way and least of it leaves
 * `room`. On a tie: below in the plot's upper half, above in its lower half (where the room usually is), then the
 * sides. The text's box is its estimated width and one font height.
 */
function placeCount(
  anchor: { x: number; y: number },
  gap: number,
  text: string,
  others: readonly PlacedPoint[],
  room: Box,
): Omit<GroupCount, 'count'> {
  const width = textWidth(text);
  const h = CHART_FONT_PX;
  const placements: {
    side: CountSide;
    box: Box;
    dx: number;
    dy: number;
    textAnchor: GroupCount['textAnchor'];
  }[] = [
    { side: 'below', dx: 0, dy: gap, textAnchor: 'middle', box: box(anchor.x - width / 2, anchor.y + gap) },
    {
      side: 'above',
      dx: 0,
      dy: -gap - h,
      textAnchor: 'middle',
      box: box(anchor.x - width / 2, anchor.y - gap - h),
    },
    { side: 'right', dx: gap, dy: -h / 2, textAnchor: 'start', box: box(anchor.x + gap, anchor.y - h / 2) },
    {
      side: 'left',
      dx: -gap,
      dy: -h / 2,
      textAnchor: 'end',
      box: box(anchor.x - gap - width, anchor.y - h / 2),
    },
  ];
  function box(left: number, top: number): Box {
    return { left, right: left + width, top, bottom: top + h };
  }
  const cost = (b: Box): number => {
    const outside =
      Math.max(0, room.left - b.left) +
      Math.max(0, b.right - room.right) +
      Math.max(0, room.top - b.top) +
      Math.max(0, b.bottom - room.bottom);
    return others.reduce((sum, p) => sum + boxOverlap(b, p), 0) + outside * width;
  };
  const order: CountSide[] =
    anchor.y > (room.top + room.bottom) / 2
      ? ['above', 'below', 'right', 'left']
      : ['below', 'above', 'right', 'left'];
  const ranked = order
    .map((side) => placements.find((p) => p.side === side)!)
    .map((p, rank) => ({ p, rank, cost: cost(p.box) }))
    .sort((a, b) => a.cost - b.cost || a.rank - b.rank);
  const { side, dx, dy, textAnchor } = ranked[0]!.p;
  return { side, dx, dy, textAnchor };
}

/**
 * Where each point lands in a chart `width` px wide with these axis domains, and which points cover each other
 * there. Mirrors recharts' own mapping (plot = frame less margins and axes), so the groups are what is drawn.
 */
export function layoutPareto(
  points: readonly CompareRow[],
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
  width: number,
  /** The ids in the order the points are drawn (largest bubbles first). */
  drawOrder: readonly string[],
): ParetoLayout {
  const { margin, yAxisWidth, xAxisHeight, height } = PARETO_FRAME;
  const left = margin.left + yAxisWidth;
  const right = Math.max(left + 1, width - margin.right);
  const top = margin.top;
  const bottom = height - margin.bottom - xAxisHeight;
  const maxBytes = Math.max(0, ...points.map((p) => p.bytes ?? 0));
  const sx = (v: number) => left + ((v - xDomain[0]) / (xDomain[1] - xDomain[0] || 1)) * (right - left);
  const sy = (v: number) => bottom - ((v - yDomain[0]) / (yDomain[1] - yDomain[0] || 1)) * (bottom - top);
  const placed: PlacedPoint[] = [...points]
    .sort((a, b) => a.index - b.index)
    .map((p) => ({
      id: p.id,
      x: sx(p.plotP50Ms as number),
      y: sy(p.quality as number),
      r: bubbleRadius(p.bytes, maxBytes),
    }));
  const { groups, offsets } = settleOverlaps(placed);
  const drawn = placed.map((p) => {
    const o = offsets.get(p.id);
    return o ? { ...p, x: p.x + o.dx, y: p.y + o.dy } : p;
  });
  const counts = new Map<string, GroupCount>();
  for (const group of groups) {
    const last = [...group].sort((a, b) => drawOrder.indexOf(b.id) - drawOrder.indexOf(a.id))[0]!;
    const gap = SPREAD_PX + Math.max(...group.map((p) => p.r)) + 4;
    const members = new Set(group.map((p) => p.id));
    const others = drawn.filter((p) => !members.has(p.id));
    // The text may use the frame's top and right margins, not the axes' labels (left and below the plot).
    const room = { left, right: Math.max(right, width), top: 0, bottom };
    const place = placeCount(last, gap, countText(group.length), others, room);
    counts.set(last.id, { count: group.length, ...place });
  }
  return {
    radius: new Map(placed.map((p) => [p.id, p.r])),
    offsets,
    groups: groups.map((g) => g.map((p) => p.id)),
    counts,
  };
}

/** The circles' outline (ParetoPoint's strokeWidth): half of it lies outside the radius, with a pixel to spare. */
const OUTLINE_PX = 2;

/** The vertical extent of the plot in the frame (px): between the top margin and the x axis. */
function plotRows(): { top: number; bottom: number } {
  const { margin, xAxisHeight, height } = PARETO_FRAME;
  return { top: margin.top, bottom: height - margin.bottom - xAxisHeight };
}

/**
 * The layout with a quality axis that has room for every bubble. The ticks stop at a share's 1 (a cosine or an
 * agreement of 100%, where the original always is), so a point there had its centre on the plot's top edge and
 * the upper half of its bubble above the plot, cut by the chart's edge. The domain grows at an end by just the
 * pixels the drawn bubbles (radius, spread offset, outline) cross it by; the ticks stay where they were, so the
 * axis still reads up to 100%. Repeated because the new scale moves the points (and may regroup them).
 */
export function layoutParetoInside(
  points: readonly CompareRow[],
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
  width: number,
  drawOrder: readonly string[],
): { yDomain: [number, number]; layout: ParetoLayout } {
  const { top, bottom } = plotRows();
  const [lo, hi] = yDomain;
  const span = hi - lo || 1;
  const pad = { top: 0, bottom: 0 };
  const domainOf = (): [number, number] => {
    const perPx = span / Math.max(1, bottom - top - pad.top - pad.bottom);
    return [lo - pad.bottom * perPx, hi + pad.top * perPx];
  };
  for (let round = 0; ; round++) {
    const domain = domainOf();
    const layout = layoutPareto(points, xDomain, domain, width, drawOrder);
    const sy = (v: number) => bottom - ((v - domain[0]) / (domain[1] - domain[0])) * (bottom - top);
    let over = { top: 0, bottom: 0 };
    for (const p of points) {
      const y = sy(p.quality as number) + (layout.offsets.get(p.id)?.dy ?? 0);
      const reach = (layout.radius.get(p.id) ?? 0) + OUTLINE_PX;
      over = {
        top: Math.max(over.top, top - (y - reach)),
        bottom: Math.max(over.bottom, y + reach - bottom),
      };
    }
    // A third of the plot at most each way: points that need more are drawn as before rather than squashed.
    const most = (bottom - top) / 3;
    if ((over.top <= 0.01 && over.bottom <= 0.01) || round === 4) return { yDomain: domain, layout };
    pad.top = Math.min(most, pad.top + Math.max(0, over.top));
    pad.bottom = Math.min(most, pad.bottom + Math.max(0, over.bottom));
  }
}

/** What a point's shape needs beyond recharts' own props. */
export interface PointStyle {
  fill: string;
  /** The outline: the text colour on the front, none off it. */
  ring: string | undefined;
  hollow: boolean;
}

/**
 * One point, drawn at recharts' centre plus its spread offset; the group's last-drawn member also draws the count
 * of the group ("3 models here") on the side the layout chose.
 */
export function ParetoPoint(props: {
  cx?: number;
  cy?: number;
  payload?: CompareRow;
  layout: ParetoLayout;
  styles: Map<string, PointStyle>;
  textColor: string;
}) {
  const { cx, cy, payload, layout, styles, textColor } = props;
  if (cx === undefined || cy === undefined || !payload) return null;
  const style = styles.get(payload.id);
  const offset = layout.offsets.get(payload.id) ?? { dx: 0, dy: 0 };
  const r = layout.radius.get(payload.id) ?? 8;
  const x = cx + offset.dx;
  const y = cy + offset.dy;
  const count = layout.counts.get(payload.id);
  return (
    <g className="pareto-point" data-id={payload.id} data-hollow={style?.hollow ? 'true' : undefined}>
      <circle
        cx={x}
        cy={y}
        r={r}
        {...markerPaint({ fill: style?.fill ?? 'none', stroke: style?.ring, hollow: style?.hollow === true })}
        fillOpacity={0.75}
        strokeWidth={2}
      />
      {count !== undefined && (
        <text
          className="pareto-count"
          x={cx + count.dx}
          y={cy + count.dy}
          dy="0.8em"
          textAnchor={count.textAnchor}
          fill={textColor}
          fontSize={CHART_FONT_PX}
        >
          {countText(count.count)}
        </text>
      )}
    </g>
  );
}

/**
 * The tooltip: the hovered model's figures, and those of every model drawn at the same place (a group), so none
 * is only in the legend.
 */
export function ParetoTooltip(props: {
  active?: boolean;
  payload?: readonly { payload?: CompareRow }[];
  rows: readonly CompareRow[];
  layout: ParetoLayout;
  describe: (row: CompareRow) => string;
  style: { background: string; borderColor: string; color: string };
}) {
  const hovered = props.payload?.[0]?.payload;
  if (!props.active || !hovered) return null;
  const group = props.layout.groups.find((g) => g.includes(hovered.id)) ?? [hovered.id];
  const shown = group.flatMap((id) => props.rows.filter((r) => r.id === id));
  return (
    <div
      className="pareto-tooltip"
      style={{ ...props.style, borderStyle: 'solid', borderWidth: 1, padding: '6px 10px' }}
    >
      {shown.length > 1 && <p className="pareto-tooltip-head">{shown.length} models here:</p>}
      {shown.map((r) => (
        <p key={r.id}>
          <strong>{r.label}</strong>: {props.describe(r)}
        </p>
      ))}
    </div>
  );
}
