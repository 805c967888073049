/**
 * The Compare view's accuracy or fidelity card: each variant's figure and its ratio to the original, as ratio
 * bars, with the zoomed axis (quality-axis.ts) and the figures on other data (quality-data.ts) said and
 * marked. Rows come from `state/compare-data.ts`, as for the table and CSV; it takes turns to draw
 * (take-turns.tsx).
 */
import {
  earlierQualityMark,
  formatQuality,
  QUALITY_LABELS,
  QUALITY_NOUNS,
  staleFiguresNote,
  staleFigureIds,
  type CompareRow,
  type JobFailure,
  type QualityMetric,
  qualityCaption,
} from '../state/compare-data.js';
import { ChartCard } from './chart-card.js';
import { barChartHeight } from './chart-layout.js';
import { JobFailed } from './job-failed.js';
import { qualityAxisNote, qualityTicks } from './quality-axis.js';
import { dataMark, dataRelation, qualityDataCaption } from './quality-data.js';
import { RatioBarChart } from './ratio-bar-chart.js';
import { takingTurns, type PendingProp } from './take-turns.js';

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
    metric === 'cosine'
      ? v.toFixed(Math.max(2, ticks.digits))
      : `${(v * 100).toFixed(Math.max(0, ticks.digits - 2))}%`;
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
                Evaluate the variants on a dataset to compare accuracy (with labels, or a language
                model&apos;s next-token accuracy on its own token ids) or fidelity to the original
                (otherwise).
              </p>
            ),
          })}
    >
      {/* Figures, but an evaluation since failed: the models it was to measure are missing or out of date. */}
      {failure && <JobFailed failure={failure} what={staleFiguresNote(failure, rows)} />}
      <RatioBarChart
        rows={rows}
        stale={staleFigureIds(failure, rows)}
        staleMark={(r) => earlierQualityMark(r)}
        value={(r) => r.quality}
        format={(v) => formatQuality(v, metric)}
        // A cosine is already relative to the original (1 = identical): a "×1.00" after it says nothing; a figure
        // on other data has no ratio to the original's.
        ratioOf={(r) =>
          metric === 'cosine' || relations.get(r.id)?.kind === 'other' ? undefined : r.qualityRatio
        }
        mark={(r) => {
          const relation = relations.get(r.id);
          return relation ? dataMark(relation) : undefined;
        }}
        unitLabel={metric ? QUALITY_NOUNS[metric] : 'quality'}
        axis={() => ({ ticks: ticks.ticks, format: tickFormat })}
      />
    </ChartCard>
  );
}

/**
 * Redrawn only when what it draws changed (take-turns.tsx): the signature lists the few numbers the chart draws
 * (rows are a handful of variants, so comparing them is cheap), never the sample arrays.
 */
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
    p.rows.map((r) => [
      r.label,
      r.index,
      r.isOriginal,
      r.quality,
      r.qualityRatio,
      r.dataset?.sha256,
      r.dataset?.samples,
      // The data line under the chart names the data, how it was read and the evaluations' notes.
      r.dataset?.name,
      r.data,
      r.dataNotes?.join('\n'),
      // An earlier figure's mark says when it was measured.
      r.measuredAt,
    ]),
  ],
);
