/**
 * The Compare view's charts. Each takes rows already derived by `state/compare-data.ts`, so what a chart
 * shows, the table and the exported CSV agree. Animations are off: the charts redraw as samples stream
 * in, and an animation restarting ten times a second only blurs the numbers.
 *
 * The recharts charts take turns to draw (take-turns.tsx), so opening Compare or a streamed batch never
 * makes several of them work in one main-thread task; the latency distribution, which redraws on every
 * batch, is our own SVG (histogram-svg.tsx).
 */
import { useMemo, type ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  LabelList,
  Rectangle,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  type BarShapeProps,
} from 'recharts';
import { formatBytes } from '../format.js';
import {
  formatMs,
  formatQuality,
  formatRatio,
  latencyNoiseNote,
  unreliableRunsWarning,
  latencyNormalisation,
  QUALITY_LABELS,
  ratioBaseToShow,
  describeFailure,
  staleFiguresNote,
  staleFigureIds,
  EARLIER_MARK,
  type BenchmarkFailure,
  type CompareRow,
  type JobFailure,
  type OpBreakdownRow,
  type QualityMetric,
  opBreakdownCaption,
  paretoCaption,
  qualityCaption,
} from '../state/compare-data.js';
import { histogram } from '../state/statistics.js';
import { seriesColor, useChartColors, type ChartColors } from '../theme.js';
import { ChartCard } from './chart-card.js';
import { JOB_WHAT_TO_DO } from '../views/error-panel.js';
import { HistogramSvg } from './histogram-svg.js';
import { shortShapes } from '../../../shared/input-spec.js';
import {
  byteTicks,
  latencyAxis,
  niceRange,
  clipTail,
} from '../../../shared/chart-scale.js';
import { OTHER_OPS } from '../state/compare-data.js';
import { takingTurns, type PendingProp } from './take-turns.js';
import {
  BAR_ROW_3_LINES_PX,
  barChartHeight,
  categoryAxisWidth,
  CHART_FONT_PX,
  fitLabel,
  thinTickLabels,
  valueLabelRoom,
} from './chart-layout.js';
import { useWidth } from './svg-chart-support.js';
import {
  drawnHollow,
  layoutParetoInside,
  PARETO_FRAME,
  ParetoPoint,
  ParetoTooltip,
} from './pareto-points.js';
import { overlapCaption } from './pareto-overlap.js';
import { paretoAxesNote } from './pareto-axes.js';
import { qualityAxisNote, qualityTicks } from './quality-axis.js';
import { dataMark, dataRelation, qualityDataCaption } from './quality-data.js';

/** The latency distribution's height. */
const BAR_HEIGHT = 260;

export function tooltipStyle(colors: ChartColors) {
  return { background: colors.surface, borderColor: colors.grid, color: colors.text };
}

export function axisProps(colors: ChartColors) {
  return { stroke: colors.muted, tick: { fill: colors.text, fontSize: 12 } };
}

/**
 * A variant's name on the category axis, with optional further lines (its figures; `\n` between lines) in the
 * muted colour, the whole block centred on the bar.
 */
function CategoryTick(props: {
  x?: number;
  y?: number;
  payload?: { value?: string | number };
  captions?: Record<string, string>;
  width: number;
  colors: ChartColors;
}) {
  const { x = 0, y = 0, payload, captions, width, colors } = props;
  const name = String(payload?.value ?? '');
  const caption = captions?.[name];
  const lines = caption ? caption.split('\n') : [];
  const room = width - 14;
  // Lines are 1.25em apart; the first moves up by half the block (one caption line: -0.25em, as before).
  const firstDy = lines.length === 0 ? '0.32em' : lines.length === 1 ? '-0.25em' : `${-0.625 * lines.length + 0.32}em`;
  return (
    <g transform={`translate(${x},${y})`}>
      <text textAnchor="end" fill={colors.text} fontSize={CHART_FONT_PX}>
        <title>{caption ? `${name}: ${lines.join(' ')}` : name}</title>
        <tspan x={-6} dy={firstDy}>
          {fitLabel(name, room)}
        </tspan>
        {lines.map((line, i) => (
          <tspan key={i} x={-6} dy="1.25em" fill={colors.muted}>
            {fitLabel(line, room)}
          </tspan>
        ))}
      </text>
    </g>
  );
}

/**
 * A horizontal bar per variant, its name on the left and its value and ratio to the original after the
 * bar, in room kept for them (no label ever lands on another, however many variants or however long
 * their names).
 */
function RatioBarChart({
  rows,
  value,
  format,
  ratioOf,
  unitLabel,
  axis,
  stale,
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
        (stale?.has(r.id) ? ` ${EARLIER_MARK}` : '') +
        (mark?.(r) !== undefined ? ` · ${mark(r)!}` : ''),
    }));
  const scale = axis(
    Math.max(0, ...data.map((d) => d.value)),
    data.map((d) => d.value),
  );
  const labelWidth = categoryAxisWidth(data.map((d) => d.label));
  const right = valueLabelRoom(data.map((d) => d.caption));
  const [box, width] = useWidth<HTMLDivElement>();
  const height = barChartHeight(data.length);
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
          <YAxis {...categoryAxis(colors, labelWidth)} tick={<CategoryTick width={labelWidth} colors={colors} />} />
          <Tooltip formatter={(v) => [format(Number(v)), unitLabel]} contentStyle={tooltipStyle(colors)} />
          <Bar dataKey="value" name={unitLabel} isAnimationActive={false} barSize={22} shape={BarShape}>
            {data.map((d) => (
              <Cell
                key={d.label}
                fill={seriesColor(colors, d.index)}
                {...(d.stale ? { fillOpacity: 0.35, className: 'bar-earlier' } : {})}
                {...(d.marked
                  ? { stroke: colors.text, strokeWidth: 1.5, strokeDasharray: '4 3', className: 'bar-other-data' }
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

/** What both horizontal bar charts share: names on the left, values along the bottom, room on the right. */
function horizontalFrame<T>(width: number, height: number, data: T[], right: number) {
  return { width, height, data, layout: 'vertical' as const, margin: { top: 8, right, bottom: 4, left: 0 } };
}

function valueAxis(colors: ChartColors, ticks: number[], tickFormatter: (v: number) => string) {
  return { type: 'number' as const, ...axisProps(colors), interval: 0, ticks, tickFormatter };
}

function categoryAxis(colors: ChartColors, width: number) {
  return { type: 'category' as const, dataKey: 'label', ...axisProps(colors), interval: 0, width };
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

/** Tick labels for a value axis `plotPx` wide: every tick gets a grid line, labels only where they fit. */
function tickLabeller(
  ticks: readonly number[],
  plotPx: number,
  format: (v: number) => string,
): (v: number) => string {
  const labels = thinTickLabels(ticks, plotPx, format);
  const byTick = new Map(ticks.map((t, i) => [t, labels[i] ?? '']));
  return (v) => byTick.get(v) ?? format(v);
}

function SizeChartView({ rows, pending }: { rows: CompareRow[] } & PendingProp) {
  const has = rows.some((r) => r.bytes !== undefined);
  return (
    <ChartCard
      id="size"
      pending={pending}
      height={barChartHeight(rows.length)}
      title="File size"
      subtitle="The .onnx file plus external data; the ratio is to the original (×0.25 is four times smaller)."
      {...(has ? {} : { empty: <p className="muted">Sizes appear as variants are made.</p> })}
    >
      <RatioBarChart
        rows={rows}
        value={(r) => r.bytes}
        format={formatBytes}
        ratioOf={(r) => r.sizeRatio}
        unitLabel="size"
        axis={(max) => byteTicks(max)}
      />
    </ChartCard>
  );
}

/** Tick labels that stay distinct however close the values are: enough decimals for a fifth of the span. */
export function spanFormatter(
  values: readonly number[],
  format: (v: number, decimals: number) => string,
): (v: number) => string {
  const finite = values.filter(Number.isFinite);
  const span = finite.length > 1 ? Math.max(...finite) - Math.min(...finite) : Math.abs(finite[0] ?? 1);
  const decimals = span > 0 ? Math.min(6, Math.max(0, Math.ceil(-Math.log10(span / 5)))) : 2;
  return (v) => format(v, decimals);
}

/**
 * The whiskers of a latency bar, to p90 (thick) and p99 (thin), each with a cap at its value. One that
 * reaches past the axis (the axis fits the bars, not an 8 ms p99) stops at the axis's end with an arrowhead
 * instead of a cap, so it never reads as ending there; its value is in the tooltip and the table.
 */
function Whiskers(props: {
  x?: number | string;
  y?: number | string;
  width?: number | string;
  height?: number | string;
  value?: unknown;
  axisEnd: number;
  stroke: string;
}) {
  const w = props.value as { p50: number; p90: number; p99: number } | undefined;
  const [x, y, width, height] = [props.x, props.y, props.width, props.height].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  if (!w || !(w.p50 > 0)) return null;
  const px = (ms: number) => x + (width * Math.min(ms, props.axisEnd)) / w.p50;
  const cy = y + height / 2;
  const end = (ms: number, half: number) =>
    ms > props.axisEnd ? (
      <path
        className="whisker-clipped"
        d={`M ${px(ms) - 7} ${cy - half} L ${px(ms)} ${cy} L ${px(ms) - 7} ${cy + half}`}
        fill="none"
        stroke={props.stroke}
        strokeWidth={1.5}
      />
    ) : (
      <line x1={px(ms)} x2={px(ms)} y1={cy - half} y2={cy + half} stroke={props.stroke} strokeWidth={1.5} />
    );
  return (
    <g className="latency-whiskers">
      <line x1={x + width} x2={px(w.p99)} y1={cy} y2={cy} stroke={props.stroke} strokeWidth={1} />
      <line x1={x + width} x2={px(w.p90)} y1={cy} y2={cy} stroke={props.stroke} strokeWidth={2.5} />
      {w.p99 > w.p90 && end(w.p99, 4)}
      {end(w.p90, 7)}
    </g>
  );
}

/**
 * A benchmark or evaluation that ran and failed, said where its figures would be: with the engine's message,
 * and where the job's details and what to do are (the Jobs panel, opened from the status bar at the bottom of
 * the window).
 */
export function JobFailed({ failure, what }: { failure: JobFailure; what: string }) {
  const whatToDo = JOB_WHAT_TO_DO[failure.error.code];
  return (
    <div data-testid={`${failure.kind}-failed`}>
      <p className="inline-error">
        <strong>
          {describeFailure(failure)}
          {what ? `, so ${what}` : ''}:
        </strong>{' '}
        {failure.error.message}
      </p>
      {whatToDo && (
        <p data-testid="failed-what-to-do">
          <strong>What to do: </strong>
          {whatToDo}
        </p>
      )}
      {/* The job's title names it ("Evaluate fp16"): labelled, so it never reads as an instruction. */}
      <p className="muted" data-testid="failed-job">
        Job: {failure.title}. “Jobs” at the bottom of the window has the details
        {whatToDo ? '' : ' and what to do'}.
      </p>
    </div>
  );
}

function LatencyChartView({
  rows,
  sourceLabel,
  controls,
  failure,
  elsewhere,
  pending,
}: PendingProp & {
  rows: CompareRow[];
  sourceLabel: string;
  controls?: ReactNode;
  /** Changes when `controls` show something else (memoized charts compare this, not the elements). */
  controlsKey?: string;
  /** The model's latest benchmark, when it failed (`benchmarkFailure`). */
  failure?: BenchmarkFailure | undefined;
  /**
   * A failed benchmark on an engine that has no figures at all (a first browser benchmark that failed while the
   * engine's figures are shown): said here, as nothing can be selected to show it; it marks no figure earlier.
   */
  elsewhere?: { failure: BenchmarkFailure; sourceLabel: string } | undefined;
}) {
  const colors = useChartColors();
  const original = rows.find((r) => r.isOriginal);
  // Runs of different benchmarks are not comparable (the machine's load moves the original's own p50 between
  // them), so where they differ every bar is normalised to the original's row: its ratio in its own
  // interleaved run × the original's p50; the p50 it measured is printed under it.
  const normalised = latencyNormalisation(rows);
  // Otherwise each variant's ratio is to the original of its own run; where that p50 is not the original's
  // bar, it is printed with the ratio ("×1.06 of the original's 0.210 ms"), so a faster-looking figure is never labelled slower.
  const basesShown =
    normalised !== undefined || rows.some((r) => r.p50Ms !== undefined && ratioBaseToShow(r, original) !== undefined);
  // Figures the failed benchmark was to replace are older than it: faded and "(earlier)", as on the quality card.
  const stale = staleFigureIds(failure, rows);
  const data = rows
    .filter((r) => r.p50Ms !== undefined)
    .map((r) => {
      const plotted = normalised !== undefined && r.plotP50Ms !== undefined;
      const p50 = plotted ? (r.plotP50Ms as number) : (r.p50Ms as number);
      const p90 = plotted ? r.plotP90Ms : r.p90Ms;
      const p99 = plotted ? r.plotP99Ms : r.p99Ms;
      // Short, to fit under the name; the tooltip adds the original's p50 in that run.
      const measured = plotted && !r.isOriginal ? `measured ${formatMs(r.p50Ms)}` : undefined;
      const measuredFull =
        measured !== undefined ? `${measured} in its own run, the original ${formatMs(r.latencyRatioBaseMs)} there` : undefined;
      const base = ratioBaseToShow(r, original);
      return {
        label: r.label,
        index: r.index,
        stale: stale.has(r.id),
        p50,
        whiskers: { p50, p90: p90 ?? p50, p99: p99 ?? p50 },
        // The ratio's base, where shown, on a line of its own: "0.113 ms ×2.53" over "of 0.0447 ms".
        caption:
          `${formatMs(p50)} ${r.isOriginal ? '' : formatRatio(r.latencyRatio)}`.trim() +
          (r.latency?.final ? '' : ' (live)') +
          (stale.has(r.id) ? ` ${EARLIER_MARK}` : '') +
          (measured ? `\n${measured}` : !plotted && base !== undefined ? `\nof ${formatMs(base)}` : ''),
        inputs: r.latency?.inputs ? shortShapes(r.latency.inputs) : undefined,
        p90,
        p99,
        measured: measuredFull,
        // "within noise": a difference the run's noise cannot tell from none is said to be so (the table too).
        noise: latencyNoiseNote(r),
      };
    });
  const captions = Object.fromEntries(data.map((d) => [d.label, d.caption]));
  // Runs so noisy their medians say little (latency-noise.ts): said on the card, with what to do.
  const unreliable = unreliableRunsWarning(
    rows.filter((r) => r.p50Ms !== undefined),
    sourceLabel,
  );
  // What every bar was fed, said once in the caption (and so in a saved image); the tooltip has each row's.
  const fedInputs = new Set(data.flatMap((d) => (d.inputs ? [d.inputs] : [])));
  const axis = latencyAxis(
    data.map((d) => d.p50),
    data.map((d) => d.p99 ?? d.p90 ?? 0),
  );
  const top = axis.ticks[axis.ticks.length - 1] ?? 1;
  const tick = spanFormatter(axis.ticks, (v, d) => `${v.toFixed(Math.max(d, v >= 100 ? 0 : 1))} ms`);
  // Three lines a row (name, figures, the ratio's base) where bases are shown.
  const height = barChartHeight(data.length, basesShown ? BAR_ROW_3_LINES_PX : undefined);
  const [box, width] = useWidth<HTMLDivElement>();
  const labelWidth = categoryAxisWidth(data.flatMap((d) => [d.label, ...d.caption.split('\n')]));
  const right = 24;
  const tickLabel = tickLabeller(axis.ticks, width - labelWidth - right, tick);
  return (
    <ChartCard
      id="latency"
      pending={pending}
      height={height}
      title="Latency (p50, whiskers to p90 and p99)"
      subtitle={`Measured with ${sourceLabel}${fedInputs.size === 1 ? ` on inputs ${[...fedInputs][0]}` : ''}. Each variant is timed interleaved with the original in its own run; its ratio is to that run's original p50 (below ×1 is faster)${
        normalised
          ? `. Runs differ (the machine's load moves the original between them), so each bar is normalised to the original's ${formatMs(normalised.baseMs)}: its ratio × that p50, whiskers scaled alike; the p50 it measured is under it`
          : basesShown
            ? ', given under it ("of … ms") where it is not the original\'s bar'
            : ''
      }.${
        axis.clipped
          ? ` The axis fits the bars: whiskers past ${tick(top)} stop at its end with an arrow (p90 and p99 in the tooltip and the table).`
          : ''
      }`}
      {...(controls ? { controls } : {})}
      {...(data.length > 0
        ? {}
        : {
            empty: failure ? (
              <JobFailed failure={failure} what="there are no latencies to show" />
            ) : (
              <p className="muted">Run a benchmark to see latencies here.</p>
            ),
          })}
    >
      {unreliable && (
        <p className="field-warning" role="status" data-testid="latency-unreliable">
          <strong>Unreliable figures.</strong> {unreliable}
        </p>
      )}
      {/* Figures from earlier runs, but the latest benchmark failed: the figures may not be what the user expects. */}
      {failure && <JobFailed failure={failure} what={staleFiguresNote(failure, rows)} />}
      {elsewhere && (
        <JobFailed
          failure={elsewhere.failure}
          what={`there are no ${elsewhere.sourceLabel} figures; these are ${sourceLabel}'s`}
        />
      )}
      <div ref={box} style={{ width: '100%', height }}>
        {width > 0 && (
          <BarChart {...horizontalFrame(width, height, data, right)}>
            <CartesianGrid stroke={colors.grid} horizontal={false} />
            <XAxis {...valueAxis(colors, axis.ticks, tickLabel)} domain={[0, top]} allowDataOverflow />
            <YAxis
              {...categoryAxis(colors, labelWidth)}
              tick={<CategoryTick width={labelWidth} captions={captions} colors={colors} />}
            />
            <Tooltip
              formatter={(v, _name, item) => {
                const d = (
                  item as {
                    payload?: {
                      inputs?: string;
                      p90?: number;
                      p99?: number;
                      measured?: string;
                      stale?: boolean;
                      noise?: string;
                    };
                  }
                ).payload;
                const whiskers = `p90 ${formatMs(d?.p90)}, p99 ${formatMs(d?.p99)}`;
                return [
                  `${formatMs(Number(v))} (${whiskers}${d?.inputs ? `; inputs ${d.inputs}` : ''})${d?.measured ? `; ${d.measured}` : ''}` +
                    (d?.noise ? `; ratio ${d.noise}` : '') +
                    // The bar's figure is older than a benchmark that failed to replace it, as its caption says.
                    (d?.stale ? ` ${EARLIER_MARK}` : ''),
                  normalised ? 'p50, normalised' : 'p50',
                ];
              }}
              contentStyle={tooltipStyle(colors)}
            />
            <Bar dataKey="p50" name="p50" isAnimationActive={false} barSize={22}>
              {data.map((d) => (
                <Cell
                  key={d.label}
                  fill={seriesColor(colors, d.index)}
                  {...(d.stale ? { fillOpacity: 0.35, className: 'bar-earlier' } : {})}
                />
              ))}
              <LabelList dataKey="whiskers" content={<Whiskers axisEnd={top} stroke={colors.whisker} />} />
            </Bar>
          </BarChart>
        )}
      </div>
    </ChartCard>
  );
}

function QualityChartView({
  rows,
  metric,
  output,
  failure,
  pending,
}: {
  rows: CompareRow[];
  metric: QualityMetric | undefined;
  /** The model output the fidelity figures compare, when known (`comparedOutput`). */
  output?: string | undefined;
  /** The model's latest evaluation that failed, unless its targets were evaluated since (`evaluationFailure`). */
  failure?: JobFailure | undefined;
} & PendingProp) {
  const has = metric !== undefined && rows.some((r) => r.quality !== undefined);
  // Zoomed to the data where the figures differ as printed; all at one figure, not zoomed (quality-axis.ts).
  const ticks = qualityTicks(
    rows.flatMap((r) => (r.quality !== undefined ? [r.quality] : [])),
    metric,
  );
  const tickFormat = (v: number) =>
    metric === 'cosine' ? v.toFixed(Math.max(2, ticks.digits)) : `${(v * 100).toFixed(Math.max(0, ticks.digits - 2))}%`;
  const zoomNote = has ? qualityAxisNote(ticks, tickFormat) : '';
  // Figures on other data than the original's (a sample limit, another file) are flagged on their bars and named
  // under the chart (quality-data.ts); one on other data gets no ratio to the original.
  const original = rows.find((r) => r.isOriginal);
  const relations = new Map(rows.map((r) => [r.id, dataRelation(r, original)]));
  const dataNote = has ? qualityDataCaption(rows) : undefined;
  return (
    <ChartCard
      id="quality"
      pending={pending}
      height={barChartHeight(rows.length)}
      title={metric ? QUALITY_LABELS[metric] : 'Accuracy or fidelity'}
      subtitle={
        <>
          {qualityCaption(metric, output) + zoomNote}
          {dataNote && (
            <span className="chart-data-note" data-testid="quality-data">
              {' '}
              {dataNote}
            </span>
          )}
        </>
      }
      {...(has
        ? {}
        : {
            empty: failure ? (
              <JobFailed failure={failure} what="there is no accuracy or fidelity to show" />
            ) : (
              <p className="muted">
                Evaluate the variants on a dataset to compare accuracy (with labels) or fidelity to the
                original (without).
              </p>
            ),
          })}
    >
      {/* Figures, but an evaluation since failed: the models it was to measure are missing or out of date. */}
      {failure && <JobFailed failure={failure} what={staleFiguresNote(failure, rows)} />}
      <RatioBarChart
        rows={rows}
        stale={staleFigureIds(failure, rows)}
        value={(r) => r.quality}
        format={(v) => formatQuality(v, metric)}
        // A cosine is already relative to the original (1 = identical): a "×1.00" after it says nothing; a figure
        // on other data has no ratio to the original's.
        ratioOf={(r) => (metric === 'cosine' || relations.get(r.id)?.kind === 'other' ? undefined : r.qualityRatio)}
        mark={(r) => {
          const relation = relations.get(r.id);
          return relation ? dataMark(relation) : undefined;
        }}
        unitLabel={metric ?? 'quality'}
        axis={() => ({ ticks: ticks.ticks, format: tickFormat })}
      />
    </ChartCard>
  );
}

// The quality axis lives in quality-axis.ts; re-exported for the tests that know it here.
export { qualityTicks } from './quality-axis.js';

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
      { fill: seriesColor(colors, p.index), ring: front.has(p.id) ? colors.text : undefined, hollow: drawnHollow(p) },
    ]),
  );
  const overlaps = overlapCaption(
    layout.groups.map((g) => ({ labels: g.flatMap((id) => points.filter((p) => p.id === id).map((p) => p.label)) })),
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
  const plotMiddleY = (margin.top + height - margin.bottom - xAxisHeight) / 2;
  const describe = (r: CompareRow) =>
    `p50 ${formatMs(r.plotP50Ms)}${normalised && !r.isOriginal ? ' (normalised)' : ''}, ${formatQuality(r.quality, metric)}, ${formatBytes(r.bytes ?? 0)}` +
    (drawnHollow(r) ? '; from a run too noisy to tell speeds apart' : '');
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
              content={<ParetoTooltip rows={points} layout={layout} describe={describe} style={tooltipStyle(colors)} />}
            />
            {/* One series, each point drawn by ParetoPoint (its colour, ring, spread offset, count): a Scatter per
                variant made recharts redo its per-series work for each. Largest bubbles first, so a small one is
                never hidden under a big one; no name labels on the points (close variants stacked them): the
                legend names each colour, the tooltip every model at a place. */}
            <Scatter
              data={bySizeDown}
              isAnimationActive={false}
              shape={(props: { cx?: number; cy?: number; payload?: CompareRow }) => (
                <ParetoPoint
                  {...props}
                  layout={layout}
                  styles={styles}
                  plotMiddle={plotMiddleY}
                  textColor={colors.text}
                />
              )}
            />
          </ScatterChart>
        )}
      </div>
    </ChartCard>
  );
}

/** Our own SVG, not recharts: it redraws on every streamed batch and must stay cheap (histogram-svg.tsx). */
export function LatencyHistogramChart({
  samples,
  label,
  live,
  controls,
  colorIndex = 0,
  failure,
}: {
  samples: number[] | undefined;
  label: string;
  live: boolean;
  /** The variant's place in the comparison: its colour in every other chart. */
  colorIndex?: number;
  controls?: ReactNode;
  /** The latest benchmark of this variant, when it failed: said instead of "no timed runs yet". */
  failure?: BenchmarkFailure | undefined;
}) {
  const colors = useChartColors();
  // Cut at the rare slow runs (clipTail): a few outliers stretched the axis until ~95% of the runs fell in 3 bars.
  const clipped = useMemo(() => clipTail(samples ?? []), [samples]);
  const bins = useMemo(() => histogram(clipped.kept, 30), [clipped]);
  const runs = samples?.length ?? 0;
  const beyond =
    clipped.beyond > 0
      ? ` ${clipped.beyond} ${clipped.beyond === 1 ? 'run lies' : 'runs lie'} beyond ${formatMs(clipped.cutoff)} (${
          clipped.beyond > 0.05 * (samples?.length ?? 0)
            ? `slow runs, ${Math.round((100 * clipped.beyond) / (samples?.length ?? 1))}% of them`
            : 'rare slow runs'
        }), not drawn, so the rest stay readable: the slowest took ${formatMs(Math.max(...(samples ?? [])))}.`
      : '';
  const timed =
    runs > 0
      ? `${runs} timed runs${live ? ', updating live as samples stream in' : ''}.`
      : failure
        ? 'No timed runs: the benchmark failed.'
        : 'No timed runs yet.';
  return (
    <ChartCard
      id="histogram"
      title={`Latency distribution: ${label}`}
      subtitle={runs > 0 ? `${timed} A long right tail means occasional slow runs.${beyond}` : timed}
      {...(controls ? { controls } : {})}
      {...(bins.length > 0
        ? {}
        : {
            empty: failure ? (
              <JobFailed failure={failure} what="there is no distribution to show" />
            ) : (
              <p className="muted">The distribution appears while a benchmark of this variant runs.</p>
            ),
          })}
    >
      <HistogramSvg
        bins={bins}
        height={BAR_HEIGHT}
        colors={colors}
        fill={seriesColor(colors, colorIndex)}
        formatValue={formatMs}
        formatTick={(v, ticks) => spanFormatter(ticks, (t, d) => `${t.toFixed(Math.max(d, 1))} ms`)(v)}
        xLabel="run time"
        unit="runs"
        description={`Latency distribution of ${label}: ${runs} runs${
          bins.length > 0 ? ` from ${formatMs(bins[0]?.from)} to ${formatMs(bins[bins.length - 1]?.to)}` : ''
        }.${beyond}`}
      />
    </ChartCard>
  );
}

/** One colour per op type; "other" (the sum of the rest) is a grey no op type uses. */
function opColor(colors: ChartColors, op: string, index: number): string {
  return op === OTHER_OPS ? colors.other : seriesColor(colors, index);
}

function OpBreakdownChartView({
  rows,
  opTypes,
  sourceLabel,
  pending,
}: { rows: OpBreakdownRow[]; opTypes: string[]; sourceLabel?: string | undefined } & PendingProp) {
  const colors = useChartColors();
  const height = Math.max(160, rows.length * 44 + 80);
  // Shares of each model's own kernel time (opBreakdown): every bar ends at 100%.
  const xTicks = [0, 0.25, 0.5, 0.75, 1];
  const xTick = (v: number) => `${Math.round(v * 100)}%`;
  const labelWidth = categoryAxisWidth(rows.map((r) => r.label));
  const [box, width] = useWidth<HTMLDivElement>();
  const tickLabel = tickLabeller(xTicks, width - labelWidth - 32, xTick);
  return (
    <ChartCard
      id="op-breakdown"
      pending={pending}
      height={height}
      legend={opTypes.map((op, i) => ({ label: op, color: opColor(colors, op, i) }))}
      title="Time per operator type"
      subtitle={opBreakdownCaption(sourceLabel)}
      {...(rows.length > 0
        ? {}
        : { empty: <p className="muted">Benchmark with “Profile operators” on to see where time goes.</p> })}
    >
      <div ref={box} style={{ width: '100%', height }}>
        {width > 0 && (
          <BarChart
            width={width}
            height={height}
            data={rows}
            layout="vertical"
            margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
          >
            <CartesianGrid stroke={colors.grid} horizontal={false} />
            <XAxis
              type="number"
              {...axisProps(colors)}
              ticks={xTicks}
              domain={[0, 1]}
              interval={0}
              tickFormatter={tickLabel}
            />
            <YAxis
              type="category"
              dataKey="label"
              width={labelWidth}
              {...axisProps(colors)}
              interval={0}
              tick={<CategoryTick width={labelWidth} colors={colors} />}
            />
            <Tooltip
              contentStyle={tooltipStyle(colors)}
              formatter={(v, name, item) => {
                const row = (item as { payload?: OpBreakdownRow } | undefined)?.payload;
                const ms = row?.ms[String(name)];
                return [`${(Number(v) * 100).toFixed(1)}%${ms !== undefined ? ` (${formatMs(ms)} of ${formatMs(row?.totalMs)} in its run)` : ''}`, String(name)];
              }}
            />
            {opTypes.map((op, i) => (
              <Bar
                key={op}
                dataKey={op}
                stackId="ops"
                fill={opColor(colors, op, i)}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        )}
      </div>
    </ChartCard>
  );
}

/**
 * Each chart redraws only when what it draws changed: while a benchmark streams, the size, quality and
 * per-op charts stay as they are, and only the latency figures move. A signature lists the few numbers a
 * chart draws (rows are a handful of variants, so comparing them is cheap), never the sample arrays.
 */
export const SizeChart = takingTurns(SizeChartView, (p: { rows: CompareRow[] }) =>
  p.rows.map((r) => [r.label, r.index, r.isOriginal, r.bytes, r.sizeRatio]),
);

export const QualityChart = takingTurns(
  QualityChartView,
  (p: {
    rows: CompareRow[];
    metric: QualityMetric | undefined;
    output?: string | undefined;
    failure?: JobFailure | undefined;
  }) => [
    p.metric,
    p.output,
    p.failure?.jobId,
    p.failure?.inARow,
    p.rows.map((r) => [r.label, r.index, r.isOriginal, r.quality, r.qualityRatio, r.dataset?.sha256, r.dataset?.samples]),
  ],
);

export const LatencyChart = takingTurns(
  LatencyChartView,
  (p: {
    rows: CompareRow[];
    sourceLabel: string;
    controlsKey?: string;
    failure?: BenchmarkFailure | undefined;
    elsewhere?: { failure: BenchmarkFailure } | undefined;
  }) => [
    p.sourceLabel,
    p.controlsKey,
    p.failure?.jobId,
    p.failure?.inARow,
    p.elsewhere?.failure.jobId,
    p.rows.map((r) => [
      r.id,
      r.label,
      r.index,
      r.isOriginal,
      r.p50Ms,
      r.p90Ms,
      r.p99Ms,
      r.latencyRatio,
      r.latencyRatioBaseMs,
      r.plotP50Ms,
      r.latency?.final,
      r.latencyNoise?.verdict,
      r.unreliableRun,
    ]),
  ],
);

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
    p.rows.map((r) => [r.id, r.label, r.index, r.isOriginal, r.p50Ms, r.plotP50Ms, r.quality, r.bytes, r.unreliableRun]),
  ],
);

export const OpBreakdownChart = takingTurns(
  OpBreakdownChartView,
  (p: { rows: OpBreakdownRow[]; opTypes: string[]; sourceLabel?: string | undefined }) => p,
);
