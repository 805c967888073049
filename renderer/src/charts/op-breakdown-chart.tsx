/**
 * The Compare view's time-per-operator-type card: each profiled model's kernel time split by op type, as
 * stacked shares of its own total. Rows come from `state/compare-data.ts` (`opBreakdown`); it takes turns to
 * draw (take-turns.tsx).
 */
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMs, OTHER_OPS, type OpBreakdownRow, opBreakdownCaption } from '../state/compare-data.js';
import { seriesColor, useChartColors, type ChartColors } from '../theme.js';
import { ChartCard } from './chart-card.js';
import { categoryAxisWidth } from './chart-layout.js';
import { axisProps, CategoryTick, tooltipStyle } from './recharts-support.js';
import { useWidth } from './svg-chart-support.js';
import { takingTurns, type PendingProp } from './take-turns.js';
import { tickLabeller } from './tick-labels.js';

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
                return [
                  `${(Number(v) * 100).toFixed(1)}%${ms !== undefined ? ` (${formatMs(ms)} of ${formatMs(row?.totalMs)} in its run)` : ''}`,
                  String(name),
                ];
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
 * Redrawn only when what it draws changed (take-turns.tsx): the signature lists the few numbers the chart draws
 * (rows are a handful of variants, so comparing them is cheap), never the sample arrays.
 */
export const OpBreakdownChart = takingTurns(
  OpBreakdownChartView,
  (p: { rows: OpBreakdownRow[]; opTypes: string[]; sourceLabel?: string | undefined }) => p,
);
