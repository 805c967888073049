/**
 * The horizontal bar chart of the size and quality cards: one bar per variant, its figure and its ratio to
 * the original printed after the bar. Kept apart from the cards, which only say what to draw and how to
 * format it.
 */
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  LabelList,
  Rectangle,
  Tooltip,
  XAxis,
  YAxis,
  type BarShapeProps,
} from 'recharts';
import { formatRatio, EARLIER_MARK, type CompareRow } from '../state/compare-data.js';
import { seriesColor, useChartColors } from '../theme.js';
import {
  barChartHeight,
  barRowPx,
  categoryAxisWidth,
  categoryRoom,
  CHART_FONT_PX,
  nameLines,
  valueLabelRoom,
} from './chart-layout.js';
import { categoryAxis, CategoryTick, horizontalFrame, tooltipStyle, valueAxis } from './recharts-support.js';
import { useWidth } from './svg-chart-support.js';
import { tickLabeller } from './tick-labels.js';

/**
 * A horizontal bar per variant, its name on the left and its value and ratio to the original after the
 * bar, in room kept for them (no label ever lands on another, however many variants or however long
 * their names).
 */
export function RatioBarChart({
  rows,
  value,
  format,
  ratioOf,
  unitLabel,
  axis,
  stale,
  staleMark,
  mark,
}: {
  rows: CompareRow[];
  /**
   * A note after a row's figure that flags it ("50 samples", "other data": quality-data.ts): its bar is drawn with
   * a dashed outline and the note ends its value label, so the flag is in a saved image too.
   */
  mark?: (r: CompareRow) => string | undefined;
  /** Rows whose figure is older than a job that failed to replace it (`staleFigureIds`): faded, "(earlier)". */
  stale?: ReadonlySet<string>;
  /** The mark after a stale row's figure (default "(earlier)"): what the figure is from, where that is known. */
  staleMark?: (r: CompareRow) => string;
  value: (r: CompareRow) => number | undefined;
  format: (v: number) => string;
  ratioOf: (r: CompareRow) => number | undefined;
  unitLabel: string;
  /**
   * Round ticks (the first is the start of the axis, 0 unless it is zoomed to the data, the last its end)
   * and how to label them.
   */
  axis: (max: number, values: number[]) => { ticks: number[]; format: (v: number) => string };
}) {
  const colors = useChartColors();
  const data = rows
    .filter((r) => value(r) !== undefined)
    .map((r) => ({
      label: r.label,
      value: value(r) as number,
      index: r.index,
      stale: stale?.has(r.id) === true,
      marked: mark?.(r) !== undefined,
      // A ratio only where there is one (a cosine is its own ratio to the original: "×1.00" adds nothing).
      caption:
        `${format(value(r) as number)} ${r.isOriginal || ratioOf(r) === undefined ? '' : formatRatio(ratioOf(r))}`.trim() +
        (stale?.has(r.id) ? ` ${staleMark?.(r) ?? EARLIER_MARK}` : '') +
        (mark?.(r) !== undefined ? ` · ${mark(r)!}` : ''),
    }));
  const scale = axis(
    Math.max(0, ...data.map((d) => d.value)),
    data.map((d) => d.value),
  );
  const [box, width] = useWidth<HTMLDivElement>();
  // Names get the room the card has (two fifths of a wide one), and a second line where that is not enough.
  const labelWidth = categoryAxisWidth(
    data.map((d) => d.label),
    72,
    categoryRoom(width),
  );
  const right = valueLabelRoom(data.map((d) => d.caption));
  const height = barChartHeight(
    data.length,
    barRowPx(Math.max(0, ...data.map((d) => nameLines(d.label, labelWidth).length))),
  );
  const tickLabel = tickLabeller(scale.ticks, width - labelWidth - right, scale.format);
  return (
    <div ref={box} style={{ width: '100%', height }}>
      {width > 0 && (
        <BarChart {...horizontalFrame(width, height, data, right)}>
          <CartesianGrid stroke={colors.grid} horizontal={false} />
          <XAxis
            {...valueAxis(colors, scale.ticks, tickLabel)}
            domain={[scale.ticks[0] ?? 0, scale.ticks[scale.ticks.length - 1] ?? 'auto']}
          />
          <YAxis
            {...categoryAxis(colors, labelWidth)}
            tick={<CategoryTick width={labelWidth} colors={colors} />}
          />
          <Tooltip formatter={(v) => [format(Number(v)), unitLabel]} contentStyle={tooltipStyle(colors)} />
          <Bar dataKey="value" name={unitLabel} isAnimationActive={false} barSize={22} shape={BarShape}>
            {data.map((d) => (
              <Cell
                key={d.label}
                fill={seriesColor(colors, d.index)}
                {...(d.stale ? { fillOpacity: 0.35, className: 'bar-earlier' } : {})}
                {...(d.marked
                  ? {
                      stroke: colors.text,
                      strokeWidth: 1.5,
                      strokeDasharray: '4 3',
                      className: 'bar-other-data',
                    }
                  : {})}
              />
            ))}
            <LabelList dataKey="caption" content={<ValueLabel textColor={colors.text} />} />
          </Bar>
        </BarChart>
      )}
    </div>
  );
}

/**
 * The default bar, given as a shape of our own for what that changes in recharts: it drops the bars of zero
 * width (a 0.00% accuracy) before their labels are drawn, unless the bar has a custom shape. A zero bar
 * still draws nothing (Rectangle renders no path at width 0), but its value label is printed at the axis.
 */
function BarShape(props: BarShapeProps) {
  return <Rectangle {...props} />;
}

/** A bar's value label, on one line just after the bar's end, in the room kept right of the plot. */
function ValueLabel(props: {
  x?: number | string;
  y?: number | string;
  width?: number | string;
  height?: number | string;
  value?: unknown;
  /** Not `fill`: recharts passes each bar's fill to its label, and coloured text is hard to read. */
  textColor: string;
}) {
  const x = Number(props.x ?? 0) + Number(props.width ?? 0) + 6;
  const y = Number(props.y ?? 0) + Number(props.height ?? 0) / 2;
  return (
    <text
      className="chart-value-label"
      x={x}
      y={y}
      dy="0.32em"
      fill={props.textColor}
      fontSize={CHART_FONT_PX}
    >
      {String(props.value ?? '')}
    </text>
  );
}
