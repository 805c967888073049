/**
 * Horizontal bars, one per category, drawn as plain SVG by React: the Model view's charts (operators by
 * type, weight bytes by dtype). With recharts, the first chart drawn after opening a model was a 50–60 ms
 * main-thread task on a 2-core machine (its per-chart store and text measuring, code the page had not run
 * yet); these few rectangles cost a millisecond or two, and the Model view no longer loads recharts at all.
 * Looks like the other charts (colors, grid, axis) and saves as SVG/PNG like them (`svg.chart-svg`).
 */
import type { ChartColors } from '../theme.js';
import { fitLabel } from './chart-layout.js';
import { SvgChart } from './svg-chart-support.js';

export interface BarRow {
  label: string;
  value: number;
  color: string;
}

export interface BarListSvgProps {
  rows: BarRow[];
  colors: ChartColors;
  /** Room for the category labels on the left (px). */
  labelWidth: number;
  /** Room for the value printed after each bar (px). */
  valueWidth: number;
  /** Tick values of the value axis, from 0; the last is the axis's end. */
  ticks: number[];
  formatValue: (v: number) => string;
  /** Labels of the ticks, when they read better than `formatValue` (round "100 KiB", not "100.0 KiB"). */
  formatTick?: (v: number) => string;
  /** What a value is, for the hover text ("nodes"); empty when the formatted value says it. */
  unit: string;
  /** Read out by screen readers. */
  description: string;
}

const ROW = 24;
const TOP = 4;
const AXIS = 26;

/** The chart's height for `rows` bars. */
export function barListHeight(rows: number): number {
  return TOP + Math.max(1, rows) * ROW + AXIS;
}

export function BarListSvg(props: BarListSvgProps) {
  return (
    <SvgChart
      height={barListHeight(props.rows.length)}
      description={props.description}
      draw={(width) => <BarListDrawing {...props} width={width} />}
    />
  );
}

function BarListDrawing({
  rows,
  colors,
  labelWidth,
  valueWidth,
  ticks,
  formatValue,
  formatTick = formatValue,
  unit,
  width,
}: BarListSvgProps & { width: number }) {
  const left = labelWidth;
  const plotWidth = Math.max(10, width - left - valueWidth);
  const end = ticks[ticks.length - 1] || 1;
  const x = (v: number) => left + (Math.max(0, v) / end) * plotWidth;
  const axisY = TOP + rows.length * ROW;
  const text = { fill: colors.text, fontSize: 12 };
  return (
    <>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={TOP} y2={axisY} stroke={colors.grid} />
          <text x={x(t)} y={axisY + 8} dy="0.71em" textAnchor="middle" fill={colors.muted} fontSize={12}>
            {formatTick(t)}
          </text>
        </g>
      ))}
      <line x1={left} x2={left} y1={TOP} y2={axisY} stroke={colors.muted} />
      <line x1={left} x2={left + plotWidth} y1={axisY} y2={axisY} stroke={colors.muted} />
      {rows.map((row, i) => {
        const top = TOP + i * ROW;
        const middle = top + ROW / 2;
        return (
          <g key={row.label}>
            {/* One line a row: a label wider than its room is cut at its end (never mid-name), whole in its tooltip. */}
            <text className="bar-label" x={left - 8} y={middle} dy="0.32em" textAnchor="end" {...text}>
              {fitLabel(row.label, left - 12) !== row.label && <title>{row.label}</title>}
              {fitLabel(row.label, left - 12)}
            </text>
            <rect
              className="bar-rect"
              x={left}
              y={top + 3}
              width={Math.max(0.5, x(row.value) - left)}
              height={ROW - 6}
              fill={row.color}
            >
              <title>{`${row.label}: ${formatValue(row.value)}${unit ? ` ${unit}` : ''}`}</title>
            </rect>
            {/* A halo of the card's colour: a value near the last tick sat on its gridline ("21.9 KiB" at 25). */}
            <text
              className="bar-value"
              x={x(row.value) + 6}
              y={middle}
              dy="0.32em"
              stroke={colors.surface}
              strokeWidth={4}
              strokeLinejoin="round"
              paintOrder="stroke"
              {...text}
            >
              {formatValue(row.value)}
            </text>
          </g>
        );
      })}
    </>
  );
}
