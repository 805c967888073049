/**
 * The Compare view's latency-distribution card: the timed runs of one variant, live while samples stream in,
 * cut at the rare slow runs. Drawn by our own SVG (histogram-svg.tsx), not recharts, and not taking turns: it
 * redraws on every streamed batch and must stay cheap.
 */
import { useMemo, type ReactNode } from 'react';
import { formatMs, type BenchmarkFailure } from '../state/compare-data.js';
import { histogram } from '../state/statistics.js';
import { seriesColor, useChartColors } from '../theme.js';
import { clipTail } from '../../../shared/chart-scale.js';
import { ChartCard } from './chart-card.js';
import { HistogramSvg } from './histogram-svg.js';
import { JobFailed } from './job-failed.js';
import { spanFormatter } from './tick-labels.js';

/** The latency distribution's height. */
const BAR_HEIGHT = 260;

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
