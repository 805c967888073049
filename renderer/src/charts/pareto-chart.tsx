/**
 * The Compare view's Pareto card: latency against quality, a bubble per variant sized by its file, the front
 * outlined. This file lays out the card and its scatter; the points are drawn and spread by pareto-points.tsx
 * and pareto-overlap.ts, the axes note is pareto-axes.ts. Rows come from `state/compare-data.ts`; it takes
 * turns.
 */
import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes } from '../format.js';
import {
  formatMs,
  formatQuality,
  latencyNormalisation,
  QUALITY_LABELS,
  EARLIER_MARK,
  NOISY_RUN,
  type CompareRow,
  type QualityMetric,
  paretoCaption,
} from '../state/compare-data.js';
import { seriesColor, useChartColors } from '../theme.js';
import { niceRange } from '../../../shared/chart-scale.js';
import { ChartCard } from './chart-card.js';
import { paretoAxesNote } from './pareto-axes.js';
import { overlapCaption } from './pareto-overlap.js';
import {
  drawnHollow,
  layoutParetoInside,
  PARETO_FRAME,
  ParetoPoint,
  ParetoTooltip,
} from './pareto-points.js';
import { qualityTicks } from './quality-axis.js';
import { axisProps, tooltipStyle } from './recharts-support.js';
import { useWidth } from './svg-chart-support.js';
import { takingTurns, type PendingProp } from './take-turns.js';
import { spanFormatter } from './tick-labels.js';

function ParetoChartView({
  rows,
  metric,
  front,
  earlier,
  sourceLabel,
  pending,
}: PendingProp & {
  rows: CompareRow[];
  /** Which engine measured the latencies placed (`describeSource`): said on the axis and in the caption. */
  sourceLabel: string;
  metric: QualityMetric | undefined;
  front: Set<string>;
  /** Rows placed by a figure from before a failed job (`staleFigureIds`): "(earlier)" in the legend. */
  earlier?: ReadonlySet<string>;
}) {
  const colors = useChartColors();
  // Placed by each variant's ratio in its own interleaved run, normalised to the original's p50 (as the
  // Pareto front is decided): absolute p50s of different runs are not comparable.
  const points = rows.filter((r) => r.plotP50Ms !== undefined && r.quality !== undefined);
  const normalised = latencyNormalisation(rows);
  const bySizeDown = [...points].sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0));
  // Round ticks around the data (a scatter's band is narrow), with room for the bubbles; shares stop at 1.
  const xs = points.map((p) => p.plotP50Ms as number);
  const ys = points.map((p) => p.quality as number);
  const xPad = (Math.max(...xs) - Math.min(...xs) || Math.max(...xs) * 0.1 || 1) * 0.15;
  const xTicks =
    points.length > 0 ? niceRange(Math.max(0, Math.min(...xs) - xPad), Math.max(...xs) + xPad) : [0, 1];
  // The quality chart's axis rule (quality-axis.ts): figures that print the same are not zoomed into four
  // ticks that all read 1.000000.
  const yTicks = points.length > 0 ? qualityTicks(ys, metric ?? 'accuracy').ticks : [0, 1];
  const xTick = spanFormatter(xTicks, (v, d) => `${v.toFixed(Math.max(d, v >= 100 ? 0 : 2))} ms`);
  const yTick = spanFormatter(
    yTicks.map((t) => (metric === 'cosine' ? t : t * 100)),
    (v, d) => (metric === 'cosine' ? v.toFixed(Math.max(d, 3)) : `${v.toFixed(d)}%`),
  );
  const xDomain = [xTicks[0] ?? 0, xTicks[xTicks.length - 1] ?? 1] as const;
  const [box, width] = useWidth<HTMLDivElement>();
  // Where each point lands, in pixels: points that cover each other are spread a little and counted; the quality
  // axis runs a little past its last tick where a bubble at 100% would stick out of the plot.
  const { yDomain, layout } = layoutParetoInside(
    points,
    xDomain,
    [yTicks[0] ?? 0, yTicks[yTicks.length - 1] ?? 1],
    width,
    bySizeDown.map((p) => p.id),
  );
  const styles = new Map(
    points.map((p) => [
      p.id,
      {
        fill: seriesColor(colors, p.index),
        ring: front.has(p.id) ? colors.text : undefined,
        hollow: drawnHollow(p),
      },
    ]),
  );
  const overlaps = overlapCaption(
    layout.groups.map((g) => ({
      labels: g.flatMap((id) => points.filter((p) => p.id === id).map((p) => p.label)),
    })),
  );
  // Both axes are zoomed to the data: each that does not start at 0 says so (a 1.5% latency gap can fill
  // half the plot).
  const axesNote = paretoAxesNote({
    latency: xDomain[0],
    latencyText: xTick(xDomain[0]),
    quality: yTicks[0] ?? 0,
    qualityText: yTick(metric === 'cosine' ? (yTicks[0] ?? 0) : (yTicks[0] ?? 0) * 100),
  });
  const { margin, yAxisWidth, xAxisHeight, height } = PARETO_FRAME;
  const describe = (r: CompareRow) =>
    `p50 ${formatMs(r.plotP50Ms)}${normalised && !r.isOriginal ? ' (normalised)' : ''}, ${formatQuality(r.quality, metric)}, ${formatBytes(r.bytes ?? 0)}` +
    (drawnHollow(r) ? `; ${NOISY_RUN}` : '');
  return (
    <ChartCard
      id="pareto"
      pending={pending}
      height={height}
      legend={points.map((p) => ({
        label: `${p.label}${drawnHollow(p) ? ' (noisy run)' : ''}${earlier?.has(p.id) ? ` ${EARLIER_MARK}` : ''}`,
        color: seriesColor(colors, p.index),
        outlined: front.has(p.id),
      }))}
      title="Latency vs quality (bubble = file size)"
      subtitle={`${paretoCaption(rows, sourceLabel)}${axesNote}${overlaps ? ` ${overlaps}` : ''}`}
      {...(points.length > 0 && metric
        ? {}
        : { empty: <p className="muted">Benchmark and evaluate the variants to place them here.</p> })}
    >
      <div ref={box} style={{ width: '100%', height }}>
        {width > 0 && (
          <ScatterChart width={width} height={height} margin={margin}>
            <CartesianGrid stroke={colors.grid} />
            <XAxis
              type="number"
              dataKey="plotP50Ms"
              name="p50 latency"
              {...axisProps(colors)}
              tickFormatter={xTick}
              interval={0}
              ticks={xTicks}
              domain={[...xDomain]}
              // Down a little, so the first latency and the lowest share do not meet at the corner.
              tickMargin={8}
              height={xAxisHeight}
              label={{
                value: `p50 latency, ${sourceLabel}${normalised ? ' (normalised to the original)' : ''}`,
                position: 'insideBottom',
                offset: 0,
                fill: colors.muted,
              }}
            />
            <YAxis
              type="number"
              dataKey="quality"
              name={metric ? QUALITY_LABELS[metric] : 'quality'}
              {...axisProps(colors)}
              tickFormatter={(v: number) => yTick(metric === 'cosine' ? v : v * 100)}
              interval={0}
              ticks={yTicks}
              domain={[...yDomain]}
              width={yAxisWidth}
            />
            <Tooltip
              content={
                <ParetoTooltip
                  rows={points}
                  layout={layout}
                  describe={describe}
                  style={tooltipStyle(colors)}
                />
              }
            />
            {/* One series, each point drawn by ParetoPoint (its colour, ring, spread offset, count): a Scatter per
                variant made recharts redo its per-series work for each. Largest bubbles first, so a small one is
                never hidden under a big one; no name labels on the points (close variants stacked them): the
                legend names each colour, the tooltip every model at a place. */}
            <Scatter
              data={bySizeDown}
              isAnimationActive={false}
              shape={(props: { cx?: number; cy?: number; payload?: CompareRow }) => (
                <ParetoPoint {...props} layout={layout} styles={styles} textColor={colors.text} />
              )}
            />
          </ScatterChart>
        )}
      </div>
    </ChartCard>
  );
}

/**
 * Redrawn only when what it draws changed (take-turns.tsx): the signature lists the few numbers the chart draws
 * (rows are a handful of variants, so comparing them is cheap), never the sample arrays.
 */
export const ParetoChart = takingTurns(
  ParetoChartView,
  (p: {
    rows: CompareRow[];
    metric: QualityMetric | undefined;
    front: Set<string>;
    earlier?: ReadonlySet<string>;
    sourceLabel: string;
  }) => [
    p.metric,
    p.sourceLabel,
    [...p.front],
    [...(p.earlier ?? [])],
    p.rows.map((r) => [
      r.id,
      r.label,
      r.index,
      r.isOriginal,
      r.p50Ms,
      r.plotP50Ms,
      r.quality,
      r.bytes,
      r.unreliableRun,
    ]),
  ],
);
