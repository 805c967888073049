/**
 * The Compare view's file-size card: each variant's .onnx size and its ratio to the original, as ratio bars.
 * Like every Compare chart, it takes rows already derived by `state/compare-data.ts` (so the chart, the table
 * and the exported CSV agree), draws with animations off (the charts redraw as samples stream in), and takes
 * turns to draw with the others (take-turns.tsx).
 */
import { formatBytes } from '../format.js';
import type { CompareRow } from '../state/compare-data.js';
import { byteTicks } from '../../../shared/chart-scale.js';
import { ChartCard } from './chart-card.js';
import { barChartHeight } from './chart-layout.js';
import { RatioBarChart } from './ratio-bar-chart.js';
import { takingTurns, type PendingProp } from './take-turns.js';

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

/**
 * Redrawn only when what it draws changed (take-turns.tsx): the signature lists the few numbers the chart draws
 * (rows are a handful of variants, so comparing them is cheap), never the sample arrays.
 */
export const SizeChart = takingTurns(SizeChartView, (p: { rows: CompareRow[] }) =>
  p.rows.map((r) => [r.label, r.index, r.isOriginal, r.bytes, r.sizeRatio]),
);
