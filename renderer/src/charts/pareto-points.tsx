/**
 * How the Pareto scatter draws its points: each a bubble of its own (radius from its file size), spread a little
 * where points cover each other (pareto-overlap.ts) with a count beside them, hollow and dashed where its run was
 * too noisy to tell speeds apart (such a variant is never on the front, and the caption says it is drawn so), and
 * a tooltip that lists every model at the hovered place.
 */
import type { CompareRow } from '../state/compare-data.js';
import { overlapGroups, SPREAD_PX, spreadOffsets, type PlacedPoint } from './pareto-overlap.js';
import { CHART_FONT_PX } from './chart-layout.js';

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

export interface ParetoLayout {
  /** Radius per row id (px). */
  radius: Map<string, number>;
  /** Offset from its exact place per row id that shares a place with others (px). */
  offsets: Map<string, { dx: number; dy: number }>;
  /** The groups of rows at nearly one place: their ids, in row order. */
  groups: string[][];
  /**
   * The count beside each group, carried by its member drawn last (so no bubble covers it), with its distance
   * from that member's exact place (px): clear of the whole spread group.
   */
  counts: Map<string, { count: number; gap: number }>;
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
    .map((p) => ({ id: p.id, x: sx(p.plotP50Ms as number), y: sy(p.quality as number), r: bubbleRadius(p.bytes, maxBytes) }));
  const groups = overlapGroups(placed);
  const counts = new Map<string, { count: number; gap: number }>();
  for (const group of groups) {
    const last = [...group].sort((a, b) => drawOrder.indexOf(b.id) - drawOrder.indexOf(a.id))[0]!;
    counts.set(last.id, { count: group.length, gap: SPREAD_PX + Math.max(...group.map((p) => p.r)) + 4 });
  }
  return {
    radius: new Map(placed.map((p) => [p.id, p.r])),
    offsets: spreadOffsets(groups),
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
 * of the group ("3 models here"), below it (above it in the plot's lower half).
 */
export function ParetoPoint(props: {
  cx?: number;
  cy?: number;
  payload?: CompareRow;
  layout: ParetoLayout;
  styles: Map<string, PointStyle>;
  /** The y (px) past which the count goes above its group rather than below (points near the top have no room above). */
  plotMiddle: number;
  textColor: string;
}) {
  const { cx, cy, payload, layout, styles, plotMiddle, textColor } = props;
  if (cx === undefined || cy === undefined || !payload) return null;
  const style = styles.get(payload.id);
  const offset = layout.offsets.get(payload.id) ?? { dx: 0, dy: 0 };
  const r = layout.radius.get(payload.id) ?? 8;
  const x = cx + offset.dx;
  const y = cy + offset.dy;
  const count = layout.counts.get(payload.id);
  const above = cy > plotMiddle;
  return (
    <g className="pareto-point" data-id={payload.id} data-hollow={style?.hollow ? 'true' : undefined}>
      <circle
        cx={x}
        cy={y}
        r={r}
        fill={style?.hollow ? 'none' : style?.fill}
        fillOpacity={0.75}
        stroke={style?.hollow ? style.fill : (style?.ring ?? 'none')}
        strokeWidth={2}
        {...(style?.hollow ? { strokeDasharray: '4 3' } : {})}
      />
      {count !== undefined && (
        <text
          className="pareto-count"
          x={cx}
          y={cy + (above ? -1 : 1) * count.gap}
          dy={above ? '0' : '0.8em'}
          textAnchor="middle"
          fill={textColor}
          fontSize={CHART_FONT_PX}
        >
          {count.count} models here
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
    <div className="pareto-tooltip" style={{ ...props.style, borderStyle: 'solid', borderWidth: 1, padding: '6px 10px' }}>
      {shown.length > 1 && <p className="pareto-tooltip-head">{shown.length} models here:</p>}
      {shown.map((r) => (
        <p key={r.id}>
          <strong>{r.label}</strong>: {props.describe(r)}
        </p>
      ))}
    </div>
  );
}
