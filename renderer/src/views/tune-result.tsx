/**
 * One tune run drawn: its trials as a chart (objective against quality, the budget as a line) and a table, the
 * choice, and the sensitivity table. Auto-optimize runs (auto-optimize-panel.tsx) and collected cluster sweeps
 * (sweep-results.tsx) both show this.
 */
import {
  CartesianGrid,
  Cell,
  LabelList,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from 'recharts';
import { niceRange } from '../../../shared/chart-scale.js';
import {
  describeBudget,
  gainRule,
  noChoiceAdvice,
  objectiveValue,
  trialNumbered,
  tuneOptionLabel,
  tuneStopReason,
  type TuneTrial,
} from '../../../shared/tune.js';
import { groupTrialPoints, sameModelAs } from '../state/tune-view.js';
import type { TuneRecord } from '../../../shared/workspace.js';
import { sensitivityFigure } from '../../../shared/sensitivity.js';
import { axisProps, tooltipStyle } from '../charts/recharts-support.js';
import { ChartCard } from '../charts/chart-card.js';
import type { Studio } from '../state/use-studio.js';
import { useChartColors } from '../theme.js';

const ratio = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(3)}×`);

function quality(t: TuneTrial, record: TuneRecord): string {
  if (t.status === 'failed') return 'failed';
  if (record.budget.kind === 'accuracy-drop' && t.accuracy !== undefined)
    return `${(t.accuracy * 100).toFixed(2)}% (${t.dropPoints !== undefined ? (-t.dropPoints).toFixed(2) : '?'} pts)`;
  return t.cosine?.toFixed(5) ?? '–';
}

/**
 * The chosen trial's quality in its sentence, named: the table's column header says what a bare figure is, the
 * sentence has none ("0.550x p50, 1.00000" left the cosine unnamed).
 */
export function chosenQuality(t: TuneTrial, record: TuneRecord): string {
  const figure = quality(t, record);
  if (t.status === 'failed' || figure === '–') return `quality ${figure}`;
  return record.budget.kind === 'accuracy-drop' && t.accuracy !== undefined ? `accuracy ${figure}` : `output cosine ${figure}`;
}

/** Where a point's label sits beside its marker (Recharts LabelList positions). */
export type LabelSide = 'right' | 'left' | 'top' | 'bottom';

/** The plot the label placement assumes: the narrowest the card draws (an 800 px window), in pixels. */
const PLOT_PX = { width: 560, height: 210 };
const MARKER_PX = 7;
const LABEL_OFFSET_PX = 9;
const CHAR_PX = 7;
const LABEL_HEIGHT_PX = 14;

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * A side for each point's label where it covers no marker and no label placed before it (right first, then
 * left, above, below), or none where every side would: the tooltip still names that point. Computed on the
 * narrowest plot the card draws, so labels that clear each other there clear each other wider too.
 */
export function placeLabels(
  points: readonly { x: number; y: number; label: string }[],
  domain: { x: readonly [number, number]; y: readonly [number, number] },
): (LabelSide | undefined)[] {
  const px = (p: { x: number; y: number }) => ({
    x: ((p.x - domain.x[0]) / (domain.x[1] - domain.x[0] || 1)) * PLOT_PX.width,
    y: (1 - (p.y - domain.y[0]) / (domain.y[1] - domain.y[0] || 1)) * PLOT_PX.height,
  });
  const taken: Box[] = points.map((p) => {
    const c = px(p);
    return { left: c.x - MARKER_PX, right: c.x + MARKER_PX, top: c.y - MARKER_PX, bottom: c.y + MARKER_PX };
  });
  const overlaps = (a: Box, b: Box) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return points.map((p, i) => {
    const c = px(p);
    const w = p.label.length * CHAR_PX;
    const h = LABEL_HEIGHT_PX;
    const at = LABEL_OFFSET_PX;
    const boxes: [LabelSide, Box][] = [
      ['right', { left: c.x + at, right: c.x + at + w, top: c.y - h / 2, bottom: c.y + h / 2 }],
      ['left', { left: c.x - at - w, right: c.x - at, top: c.y - h / 2, bottom: c.y + h / 2 }],
      [
        'top',
        { left: c.x - w / 2, right: c.x + w / 2, top: c.y - MARKER_PX - 4 - h, bottom: c.y - MARKER_PX - 4 },
      ],
      [
        'bottom',
        { left: c.x - w / 2, right: c.x + w / 2, top: c.y + MARKER_PX + 4, bottom: c.y + MARKER_PX + 4 + h },
      ],
    ];
    const free = boxes.find(([, box]) => taken.every((t, k) => k === i || !overlaps(box, t)));
    if (!free) return undefined;
    taken.push(free[1]);
    return free[0];
  });
}

function TrialChart({ record }: { record: TuneRecord }) {
  const colors = useChartColors();
  const accuracy = record.budget.kind === 'accuracy-drop';
  const front = new Set(record.outcome?.pareto ?? []);
  const trialPoints = record.trials
    .filter((t) => t.status === 'done' && objectiveValue(t, record.objective) !== undefined)
    .map((t) => ({
      index: t.index,
      name: t.name,
      x: objectiveValue(t, record.objective)!,
      y: accuracy ? -(t.dropPoints ?? 0) : (t.cosine ?? 0),
      met: t.meetsBudget === true,
      chosen: record.outcome?.chosen === t.index,
    }));
  const budgetY = record.budget.kind === 'accuracy-drop' ? -record.budget.points : record.budget.cosine;
  const ys = [...trialPoints.map((p) => p.y), budgetY];
  const span = Math.max(...ys) - Math.min(...ys) || (accuracy ? 1 : 0.01);
  // Round ticks (shared/chart-scale.ts), with room above and below the points and the budget line.
  // A cosine never passes 1: the axis stops there.
  const yTop = Math.max(...ys) + span * 0.1;
  const yTicks = niceRange(Math.min(...ys) - span * 0.1, accuracy ? yTop : Math.min(1, yTop));
  // The axis's last tick may be 1 (a cosine's top), where the best trials sit: a little room above it, with no
  // tick there, keeps their markers inside the plot (they were half cut by its edge).
  const yMax = yTicks.at(-1)! + (accuracy ? 0 : (yTicks.at(-1)! - yTicks[0]!) * 0.04);
  const xTicks = niceRange(0, Math.max(1.05, ...trialPoints.map((p) => p.x * 1.05)));
  // Trials at the same spot (recipes that made the same model) are one point with one label naming them all;
  // every point says which trial of the table it is.
  const grouped = groupTrialPoints(trialPoints, {
    x: xTicks.at(-1)! - xTicks[0]!,
    y: yMax - yTicks[0]!,
  });
  // Each label on a side where it covers no other point or label ("#0" was drawn under the #1 marker).
  const sides = placeLabels(grouped, {
    x: [xTicks[0]!, xTicks.at(-1)!],
    y: [yTicks[0]!, yMax],
  });
  const points = grouped.map((p, i) => ({
    ...p,
    ...(sides[i] ? { [`label-${sides[i]}`]: p.label } : {}),
  }));
  const objectiveLabel = record.objective === 'latency' ? 'p50 / original' : 'size / original';
  return (
    <ChartCard
      id="tune-trials"
      title={`Trials: ${record.objective === 'latency' ? 'latency' : 'size'} vs ${accuracy ? 'accuracy change' : 'output cosine'}`}
      subtitle={`Left is ${record.objective === 'latency' ? 'faster' : 'smaller'}, up is better; the dotted line is the original. The dashed line is the budget (${describeBudget(record.budget)}): filled points meet it (dark: on the Pareto front), hollow red ones break it; the black ring is the choice.`}
      {...(points.length === 0 ? { empty: <p className="muted">Trials appear here as they finish.</p> } : {})}
    >
      <ResponsiveContainer width="100%" height={280}>
        <ScatterChart margin={{ top: 16, right: 32, bottom: 8, left: 8 }}>
          <CartesianGrid stroke={colors.grid} />
          <XAxis
            type="number"
            dataKey="x"
            name={objectiveLabel}
            domain={[xTicks[0]!, xTicks.at(-1)!]}
            ticks={xTicks}
            interval={0}
            tickFormatter={(v: number) => `${v.toFixed(2)}×`}
            {...axisProps(colors)}
            height={44}
            label={{ value: objectiveLabel, position: 'insideBottom', offset: 0, fill: colors.muted }}
          />
          <YAxis
            type="number"
            dataKey="y"
            name={accuracy ? 'accuracy change (pts)' : 'cosine'}
            domain={[yTicks[0]!, yMax]}
            ticks={yTicks}
            interval={0}
            tickFormatter={(v: number) => (accuracy ? `${v.toFixed(1)} pts` : v.toFixed(4))}
            {...axisProps(colors)}
            width={76}
          />
          <ReferenceLine
            y={budgetY}
            stroke={colors.text}
            strokeDasharray="6 4"
            label={{ value: 'budget', position: 'insideTopRight', fill: colors.muted }}
          />
          <ReferenceLine x={1} stroke={colors.muted} strokeDasharray="2 4" />
          <Tooltip
            contentStyle={tooltipStyle(colors)}
            formatter={(v, name) =>
              name === objectiveLabel ? `${Number(v).toFixed(3)}×` : Number(v).toFixed(accuracy ? 2 : 5)
            }
            labelFormatter={(_label, payload) => {
              const group = (payload?.[0] as { payload?: (typeof points)[number] } | undefined)?.payload;
              // Grouped points lie close together (within 2% of each axis), not necessarily at the same values.
              return group ? group.indices.map((i, k) => `#${i} ${group.names[k]}`).join(', ') : '';
            }}
          />
          <ZAxis range={[110, 110]} />
          <Scatter data={points} isAnimationActive={false} fillOpacity={0.8}>
            {points.map((p) => (
              <Cell
                key={p.index}
                fill={p.met ? (front.has(p.index) ? '#2e7d32' : '#81c784') : 'transparent'}
                stroke={p.chosen ? colors.text : p.met ? '#2e7d32' : '#c62828'}
                strokeWidth={p.chosen ? 3 : 2}
              />
            ))}
            {(['right', 'left', 'top', 'bottom'] as const).map((side) => (
              <LabelList
                key={side}
                dataKey={`label-${side}`}
                position={side}
                offset={side === 'right' || side === 'left' ? LABEL_OFFSET_PX : 4}
                fill={colors.text}
                fontSize={12}
              />
            ))}
          </Scatter>
        </ScatterChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** A run's trials, chart and choice. `studio` finds the chosen variant in the workspace; a sweep names its file. */
export function TuneResult({
  record,
  studio,
  chosenFile,
}: {
  record: TuneRecord;
  studio?: Studio;
  chosenFile?: string;
}) {
  const chosen = record.outcome && trialNumbered(record.outcome, record.outcome.chosen);
  const variant = studio?.variants.find((v) => v.id === record.chosenVariantId);
  const rows = record.outcome?.sensitivity?.rows.slice(0, 10) ?? [];
  // The run keeps its choice as a variant; the same recipe may have made one the workspace already had.
  const duplicate = studio
    ? sameModelAs(studio.state.workspace?.variants ?? [], record.chosenVariantId)
    : undefined;
  const outcome = record.outcome;
  const top1 = record.budget.kind !== 'accuracy-drop' && record.trials.some((t) => t.top1Agreement !== undefined);
  return (
    <div className="tune-result" data-testid="tune-run" data-status={record.status}>
      <p>
        <strong>
          {record.status === 'running'
            ? 'Searching…'
            : record.status === 'done'
              ? outcome
                ? `Done: ${outcome.trials.length} trial${outcome.trials.length === 1 ? '' : 's'} in ${outcome.seconds.toFixed(1)} s; the search stopped because ${tuneStopReason(outcome.stoppedBy, tuneOptionLabel)}.`
                : 'Done.'
              : record.status === 'cancelled'
                ? 'Cancelled: the finished trials are kept.'
                : `Failed: ${record.error ?? ''}`}
        </strong>{' '}
        Budget: {describeBudget(record.budget)}; objective: {record.objective}. Measured on{' '}
        {record.data.evaluation}
        {record.data.calibration !== record.data.evaluation
          ? `, calibrated on ${record.data.calibration}`
          : ' (also the calibration data)'}
        .
      </p>
      {chosen && (
        <p className="tune-chosen" data-testid="tune-chosen">
          Chosen: <strong>{variant?.label ?? chosen.name}</strong>: {ratio(chosen.sizeRatio)} size,{' '}
          {ratio(chosen.p50Ratio)} p50
          {chosen.latencyUnreliable ? ' (unreliable run)' : chosen.latencyVerdict === 'same' ? ' (within noise)' : ''},{' '}
          {chosenQuality(chosen, record)}.{' '}
          {chosenFile
            ? `Its file: ${chosenFile}.`
            : 'It is a variant like the others: compare, export or report it.'}
        </p>
      )}
      {chosen && duplicate && (
        <div className="banner banner-warn" data-testid="tune-duplicate">
          <p>
            <strong>{variant?.label ?? chosen.name}</strong> is the same model as{' '}
            <strong>{duplicate.name}</strong>, which you already had: the same recipe from the same model
            {(duplicate.recipe as { calibrationDataset?: unknown }).calibrationDataset
              ? ' and calibration data'
              : ''}
            , and a file of the same size. The search found nothing better than it; keep one of the two.
          </p>
        </div>
      )}
      {outcome && outcome.notes.length > 0 && (
        <div className="tune-notes" data-testid="tune-notes">
          <p className="field-hint">What the search left out, and why:</p>
          <ul>
            {outcome.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </div>
      )}
      {record.outcome && !chosen && record.status !== 'running' && (
        <p className="muted">
          No trial meets the budget and is {gainRule(record.objective)}: nothing was kept.{' '}
          {noChoiceAdvice(outcome?.trials ?? [], record.objective)}
        </p>
      )}
      <TrialChart record={record} />
      {/* Class scores: the share of samples whose top class is the original's, beside the cosine that can hide it. */}
      <table className="tune-trials" data-testid="tune-trials">
        <thead>
          <tr>
            <th>#</th>
            <th>Trial</th>
            <th>Size</th>
            <th>p50</th>
            <th>{record.budget.kind === 'accuracy-drop' ? 'Accuracy (Δ)' : 'Cosine'}</th>
            {top1 && <th>Top-1 agreement</th>}
            <th>Budget</th>
          </tr>
        </thead>
        <tbody>
          {record.trials.map((t) => (
            <tr
              key={t.index}
              data-trial={t.index}
              className={record.outcome?.chosen === t.index ? 'tune-row-chosen' : undefined}
            >
              <td>{t.index}</td>
              <td>{t.name}</td>
              <td>{ratio(t.sizeRatio)}</td>
              <td>
                {ratio(t.p50Ratio)}
                {t.latencyUnreliable ? (
                  <span className="muted">, unreliable run</span>
                ) : (
                  t.latencyVerdict === 'same' && <span className="muted">, within noise</span>
                )}
                {t.latencyVerdict === 'slower' && <span className="muted">, slower</span>}
              </td>
              <td>{quality(t, record)}</td>
              {top1 && (
                <td>{t.top1Agreement !== undefined ? `${(t.top1Agreement * 100).toFixed(2)}%` : '–'}</td>
              )}
              <td>{t.status === 'failed' ? t.error : t.meetsBudget ? 'met' : 'broken'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > 0 && (
        <table className="tune-sensitivity" data-testid="tune-sensitivity">
          <caption className="muted">
            The nodes int8-static hurts most (SQNR each loses; kept in float first by the fallback)
          </caption>
          <thead>
            <tr>
              <th>Node</th>
              <th>Op</th>
              <th>Drop dB</th>
              <th>Local SQNR dB</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.node}>
                <td>{r.node}</td>
                <td>{r.opType}</td>
                <td>{sensitivityFigure(r, 'dropDb')}</td>
                <td>{sensitivityFigure(r, 'localSqnrDb')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
