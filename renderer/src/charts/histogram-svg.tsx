/**
 * The latency distribution, drawn as plain SVG by React rather than by recharts. It is the one chart that
 * redraws on every streamed batch (five times a second), and recharts' per-chart store made each of those
 * redraws a 10–45 ms main-thread task on a 2-core machine; these thirty rectangles and a few labels cost
 * about a millisecond. It keeps the look of the other charts (same colors, axes, grid) and saves as SVG/PNG
 * like them (ChartCard finds `svg.chart-svg`).
 */
import type { HistogramBin } from '../state/statistics.js';
import type { ChartColors } from '../theme.js';
import { niceRange } from '../../../shared/chart-scale.js';
import { countTicks, SvgChart } from './svg-chart-support.js';

const MARGIN = { top: 8, right: 16, bottom: 40, left: 50 };

export interface HistogramSvgProps {
  bins: HistogramBin[];
  height: number;
  colors: ChartColors;
  /** The bars' colour (the variant's, as in the other charts); default the accent colour. */
  fill?: string;
  formatValue: (v: number) => string;
  /**
   * A round tick value of the x axis, e.g. `0.20 ms` (the ticks are 1, 2 or 5 × 10^k apart); `ticks` are all of
   * them, so every label can be written with the same decimals.
   */
  formatTick: (v: number, ticks: readonly number[]) => string;
  /** Under the x axis, e.g. "run time". */
  xLabel: string;
  /** What one count is, for the hover text ("runs"). */
  unit: string;
  /** Read out by screen readers. */
  description: string;
}

/**
 * The x axis of a histogram: round ticks along the runs' range (0.10 ms, 0.15 ms...), not the centres of every
 * n-th bin, and an axis that starts at a labelled round tick at or below the first bin (it started at the
 * fastest run, unlabelled, so the first label floated somewhere inside the plot).
 */
export function histogramAxis(bins: readonly HistogramBin[]): { from: number; to: number; ticks: number[] } {
  const first = bins[0]?.from ?? 0;
  const to = bins[bins.length - 1]?.to ?? first + 1;
  const round = niceRange(first, to, 5);
  const from = Math.min(first, round[0] ?? first);
  const span = to - from || 1;
  return { from, to, ticks: round.filter((v) => v >= from - span * 1e-9 && v <= to + span * 1e-9) };
}

export function HistogramSvg(props: HistogramSvgProps) {
  return (
    <SvgChart
      height={props.height}
      description={props.description}
      draw={(width) => <HistogramDrawing {...props} width={width} />}
    />
  );
}

function HistogramDrawing({
  bins,
  height,
  width,
  colors,
  fill,
  formatValue,
  formatTick,
  xLabel,
  unit,
}: HistogramSvgProps & { width: number }) {
  const plotWidth = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotHeight = Math.max(10, height - MARGIN.top - MARGIN.bottom);
  const ticks = countTicks(Math.max(0, ...bins.map((b) => b.count)));
  const top = ticks[ticks.length - 1] || 1;
  const y = (count: number) => MARGIN.top + plotHeight - (count / top) * plotHeight;
  const axisY = MARGIN.top + plotHeight;
  const text = { fill: colors.text, fontSize: 12 };
  const { from, to, ticks: xTicks } = histogramAxis(bins);
  const span = to - from || 1;
  const xOf = (v: number) => MARGIN.left + ((v - from) / span) * plotWidth;
  const slot = plotWidth / Math.max(1, bins.length);
  const gap = Math.min(1, slot / 4);

  return (
    <>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(t)} y2={y(t)} stroke={colors.grid} />
          <text x={MARGIN.left - 8} y={y(t)} dy="0.32em" textAnchor="end" {...text}>
            {t}
          </text>
        </g>
      ))}
      <line x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={axisY} stroke={colors.muted} />
      <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={axisY} y2={axisY} stroke={colors.muted} />
      {bins.map((b, i) => {
        const x = xOf(b.from);
        return (
          <g key={i}>
            <rect
              className="histogram-bar"
              x={x + gap / 2}
              y={y(b.count)}
              width={Math.max(0.5, xOf(b.to) - x - gap)}
              height={axisY - y(b.count)}
              fill={fill ?? colors.accent}
            >
              <title>{`${formatValue(b.from)} – ${formatValue(b.to)}: ${b.count} ${unit}`}</title>
            </rect>
          </g>
        );
      })}
      {xTicks.map((v) => (
        <g key={v}>
          <line x1={xOf(v)} x2={xOf(v)} y1={axisY} y2={axisY + 5} stroke={colors.muted} />
          <text x={xOf(v)} y={axisY + 8} dy="0.71em" textAnchor="middle" {...text}>
            {formatTick(v, xTicks)}
          </text>
        </g>
      ))}
      <text
        x={MARGIN.left + plotWidth / 2}
        y={height - 6}
        textAnchor="middle"
        fill={colors.muted}
        fontSize={12}
      >
        {xLabel}
      </text>
    </>
  );
}
