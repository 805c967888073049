/**
 * The Compare view's latency card: each variant's p50 as a bar with whiskers to p90 and p99
 * (latency-whiskers.tsx), its ratio to the original of its own run, normalised where runs differ, and the
 * warnings of noisy or failed benchmarks. Rows come from `state/compare-data.ts`, as for the table and CSV;
 * it takes turns (take-turns.tsx).
 */
import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, LabelList, Tooltip, XAxis, YAxis } from 'recharts';
import {
  formatMs,
  formatRatio,
  latencyNoiseNote,
  unreliableRunsWarning,
  latencyNormalisation,
  baselineNote,
  ratioBaseToShow,
  staleFiguresNote,
  staleFigureIds,
  EARLIER_MARK,
  type BenchmarkFailure,
  type CompareRow,
} from '../state/compare-data.js';
import { seriesColor, useChartColors } from '../theme.js';
import { groupedShortShapes } from '../../../shared/input-groups.js';
import { latencyAxis } from '../../../shared/chart-scale.js';
import { ChartCard } from './chart-card.js';
import {
  BAR_ROW_3_LINES_PX,
  BAR_ROW_PX,
  barChartHeight,
  barRowPx,
  categoryAxisWidth,
  categoryRoom,
  nameLines,
} from './chart-layout.js';
import { JobFailed } from './job-failed.js';
import { Whiskers } from './latency-whiskers.js';
import { categoryAxis, CategoryTick, horizontalFrame, tooltipStyle, valueAxis } from './recharts-support.js';
import { useWidth } from './svg-chart-support.js';
import { takingTurns, type PendingProp } from './take-turns.js';
import { spanFormatter, tickLabeller } from './tick-labels.js';

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
  // Which run of the original that is, where its latest ran under other settings than most variants' runs.
  const baseline = baselineNote(rows);
  // Otherwise each variant's ratio is to the original of its own run; where that p50 is not the original's
  // bar, it is printed with the ratio ("×1.06 of the original's 0.210 ms"), so a faster-looking figure is never labelled slower.
  const basesShown =
    normalised !== undefined ||
    rows.some((r) => r.p50Ms !== undefined && ratioBaseToShow(r, original) !== undefined);
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
        measured !== undefined
          ? `${measured} in its own run, the original ${formatMs(r.latencyRatioBaseMs)} there`
          : undefined;
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
        inputs: r.latency?.inputs ? groupedShortShapes(r.latency.inputs) : undefined,
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
  const [box, width] = useWidth<HTMLDivElement>();
  // Names get the room the card has (two fifths of a wide one), and a second line where that is not enough.
  const labelWidth = categoryAxisWidth(
    data.flatMap((d) => [d.label, ...d.caption.split('\n')]),
    72,
    categoryRoom(width),
  );
  // Three lines a row (name, figures, the ratio's base) where bases are shown; one more for a name on two lines.
  const lines = Math.max(
    0,
    ...data.map((d) => nameLines(d.label, labelWidth).length + d.caption.split('\n').length),
  );
  const height = barChartHeight(
    data.length,
    Math.max(basesShown ? BAR_ROW_3_LINES_PX : BAR_ROW_PX, barRowPx(lines)),
  );
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
      }.${baseline ? ` ${baseline}` : ''}${
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

/**
 * Redrawn only when what it draws changed (take-turns.tsx): the signature lists the few numbers the chart draws
 * (rows are a handful of variants, so comparing them is cheap), never the sample arrays.
 */
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
      r.baseline?.kind,
      r.baseline?.latestMs,
    ]),
  ],
);
