/** The Model view's charts: how many nodes of each op type, and how many weight bytes of each dtype. */
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes, formatExact } from '../format.js';
import { seriesColor, useChartColors } from '../theme.js';
import { ChartCard } from './chart-card.js';
import { takingTurns, type PendingProp } from './take-turns.js';

/** More op types than this are folded into "other" so the bars stay readable. */
const MAX_OP_BARS = 20;

export function opHistogramData(opCounts: Record<string, number>): { op: string; count: number }[] {
  const rows = Object.entries(opCounts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([op, count]) => ({ op, count }));
  if (rows.length <= MAX_OP_BARS) return rows;
  const kept = rows.slice(0, MAX_OP_BARS - 1);
  const other = rows.slice(MAX_OP_BARS - 1).reduce((sum, r) => sum + r.count, 0);
  return [...kept, { op: `other (${rows.length - kept.length} types)`, count: other }];
}

function OpHistogramChartView({ opCounts, pending }: { opCounts: Record<string, number> } & PendingProp) {
  const colors = useChartColors();
  const data = opHistogramData(opCounts);
  const height = Math.max(120, data.length * 24 + 40);
  return (
    <ChartCard
      id="op-histogram"
      pending={pending}
      height={height}
      title="Operators by type"
      subtitle="Nodes in the main graph; the op types that dominate are where quantization pays off."
      {...(data.length === 0 ? { empty: <p className="muted">This graph has no nodes.</p> } : {})}
    >
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 32, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={colors.grid} horizontal={false} />
          <XAxis type="number" allowDecimals={false} stroke={colors.muted} tick={{ fill: colors.muted }} />
          <YAxis
            type="category"
            dataKey="op"
            width={150}
            stroke={colors.muted}
            tick={{ fill: colors.text, fontSize: 12 }}
          />
          <Tooltip
            formatter={(value) => [formatExact(Number(value)), 'nodes']}
            contentStyle={{ background: colors.surface, borderColor: colors.grid, color: colors.text }}
          />
          <Bar
            dataKey="count"
            name="nodes"
            fill={colors.accent}
            isAnimationActive={false}
            label={{ position: 'right', fill: colors.text, fontSize: 12 }}
          />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

function DtypeBytesChartView({
  parameterBytes,
  pending,
}: { parameterBytes: Record<string, number> } & PendingProp) {
  const colors = useChartColors();
  const data = Object.entries(parameterBytes)
    .sort(([, a], [, b]) => b - a)
    .map(([dtype, bytes]) => ({ dtype, bytes }));
  const height = Math.max(100, data.length * 32 + 40);
  return (
    <ChartCard
      id="dtype-bytes"
      pending={pending}
      height={height}
      title="Weight bytes by type"
      subtitle="Constant tensor data per element type; float32 weights are what int8 (4x) and fp16 (2x) shrink."
      {...(data.length === 0 ? { empty: <p className="muted">This model stores no weights.</p> } : {})}
    >
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 80, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={colors.grid} horizontal={false} />
          <XAxis
            type="number"
            stroke={colors.muted}
            tick={{ fill: colors.muted }}
            tickFormatter={(v: number) => formatBytes(v)}
          />
          <YAxis
            type="category"
            dataKey="dtype"
            width={90}
            stroke={colors.muted}
            tick={{ fill: colors.text, fontSize: 12 }}
          />
          <Tooltip
            formatter={(value) => [formatBytes(Number(value)), 'bytes']}
            contentStyle={{ background: colors.surface, borderColor: colors.grid, color: colors.text }}
          />
          <Bar
            dataKey="bytes"
            isAnimationActive={false}
            label={{
              position: 'right',
              fill: colors.text,
              fontSize: 12,
              formatter: (v: unknown) => formatBytes(Number(v)),
            }}
          >
            {data.map((row, i) => (
              <Cell key={row.dtype} fill={seriesColor(colors, i)} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** Both charts draw in turns (take-turns.tsx), so opening a model is not one long task. */
export const OpHistogramChart = takingTurns(
  OpHistogramChartView,
  (p: { opCounts: Record<string, number> }) => p,
);

export const DtypeBytesChart = takingTurns(
  DtypeBytesChartView,
  (p: { parameterBytes: Record<string, number> }) => p,
);
