/**
 * The Model view's charts: how many nodes of each op type, and how many weight bytes of each dtype. Plain
 * SVG bars (bar-list-svg.tsx), so opening a model never waits for recharts.
 */
import { formatBytes, formatExact } from '../format.js';
import { seriesColor, useChartColors } from '../theme.js';
import { BarListSvg } from './bar-list-svg.js';
import { ChartCard } from './chart-card.js';
import { countTicks } from './svg-chart-support.js';
import { byteTicks } from '../../../shared/chart-scale.js';

/** More op types than this are folded into "other" so the bars stay readable. */
const MAX_OP_BARS = 20;

export function opHistogramData(opCounts: Record<string, number>): { op: string; count: number; other?: true }[] {
  const rows = Object.entries(opCounts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([op, count]) => ({ op, count }));
  if (rows.length <= MAX_OP_BARS) return rows;
  const kept = rows.slice(0, MAX_OP_BARS - 1);
  const other = rows.slice(MAX_OP_BARS - 1).reduce((sum, r) => sum + r.count, 0);
  return [...kept, { op: `other (${rows.length - kept.length} types)`, count: other, other: true }];
}

/** Node counts of the main graph and of its If/Loop/Scan bodies, added up by op type. */
export function allOpCounts(main: Record<string, number>, bodies: Record<string, number>): Record<string, number> {
  const all = { ...main };
  for (const [op, n] of Object.entries(bodies)) all[op] = (all[op] ?? 0) + n;
  return all;
}

export function OpHistogramChart({
  opCounts,
  subgraphOpCounts = {},
}: {
  opCounts: Record<string, number>;
  subgraphOpCounts?: Record<string, number>;
}) {
  const colors = useChartColors();
  // A model whose weights sit in If/Loop/Scan bodies has its MatMuls there: counting the main graph alone hid
  // the op types quantization works on.
  const inBodies = Object.values(subgraphOpCounts).reduce((a, b) => a + b, 0);
  const data = opHistogramData(allOpCounts(opCounts, subgraphOpCounts));
  return (
    <ChartCard
      id="op-histogram"
      title="Operators by type"
      subtitle={
        inBodies > 0
          ? `Nodes in the main graph and the ${formatExact(inBodies)} inside If/Loop/Scan bodies; the op types that dominate are where quantization pays off.`
          : 'Nodes in the main graph; the op types that dominate are where quantization pays off.'
      }
      {...(data.length === 0 ? { empty: <p className="muted">This graph has no nodes.</p> } : {})}
    >
      <BarListSvg
        rows={data.map((r) => ({
          label: r.op,
          value: r.count,
          // The folded rest is grey, so it never reads as one more op type.
          color: r.other ? colors.other : colors.accent,
        }))}
        colors={colors}
        labelWidth={150}
        valueWidth={48}
        ticks={countTicks(Math.max(0, ...data.map((r) => r.count)))}
        formatValue={formatExact}
        unit="nodes"
        description={`Nodes by operator type: ${data.map((r) => `${r.op} ${r.count}`).join(', ')}.`}
      />
    </ChartCard>
  );
}

export function DtypeBytesChart({ parameterBytes }: { parameterBytes: Record<string, number> }) {
  const colors = useChartColors();
  const data = Object.entries(parameterBytes)
    .sort(([, a], [, b]) => b - a)
    .map(([dtype, bytes], i) => ({ label: dtype, value: bytes, color: seriesColor(colors, i) }));
  // Round ticks in the unit of the largest value: 0, 100 KiB, 200 KiB... (not 146.5 KiB).
  const axis = byteTicks(Math.max(0, ...data.map((r) => r.value)));
  return (
    <ChartCard
      id="dtype-bytes"
      title="Weight bytes by type"
      subtitle="Constant tensor data per element type; float32 weights are what int8 (4x) and fp16 (2x) shrink."
      {...(data.length === 0 ? { empty: <p className="muted">This model stores no weights.</p> } : {})}
    >
      <BarListSvg
        rows={data}
        colors={colors}
        labelWidth={90}
        valueWidth={88}
        ticks={axis.ticks}
        formatValue={formatBytes}
        formatTick={axis.format}
        unit=""
        description={`Weight bytes by element type: ${data.map((r) => `${r.label} ${formatBytes(r.value)}`).join(', ')}.`}
      />
    </ChartCard>
  );
}
