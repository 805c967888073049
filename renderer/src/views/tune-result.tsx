/**
 * One tune run drawn: its trials as a chart (objective against quality, the budget as a line) and a table, the
 * choice, and the sensitivity table. Auto-optimize runs (auto-optimize-panel.tsx) and collected cluster sweeps
 * (sweep-results.tsx) both show this.
 */
import { CartesianGrid, ReferenceLine, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { niceRange } from '../../../shared/chart-scale.js';
import { interruptedTuneNote } from '../../../shared/pipeline-interruption.js';
import {
  accuracyWords,
  benchTimeWords,
  describeBudget,
  describeTuneData,
  formatCosine,
  gainRule,
  latencyVerdictWords,
  noChoiceWords,
  objectiveValue,
  placedByNoisyRun,
  trialNumbered,
  tuneChoice,
  tuneOptionLabel,
  tuneStopReason,
  type TuneTrial,
} from '../../../shared/tune.js';
import { groupTrialPoints, sameModelAs, trialModelKey, type TrialPointGroup } from '../state/tune-view.js';
import type { TuneRecord } from '../../../shared/workspace.js';
import { sensitivityFigure } from '../../../shared/sensitivity.js';
import { axisProps, tooltipStyle } from '../charts/recharts-support.js';
import { ChartCard } from '../charts/chart-card.js';
import {
  listNames,
  overlapGroups,
  SPREAD_PX,
  spreadOffsets,
  type PlacedPoint,
} from '../charts/pareto-overlap.js';
import { markerPaint } from '../charts/pareto-points.js';
import { useWidth } from '../charts/svg-chart-support.js';
import { DRAWN_NOISY, NOISY_RUN } from '../state/compare-data.js';
import type { Studio } from '../state/use-studio.js';
import type { ConnectionState } from '../host/ws-host.js';
import { connectionWords, SERVE_SEARCH } from '../host/connection-words.js';
import { useChartColors } from '../theme.js';
import { capitalized } from '../state/quality-words.js';

const ratio = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(3)}×`);

/** The run's accuracy in words: `next-token accuracy` for a language model graded on its own ids. */
function accuracyName(record: TuneRecord): string {
  return record.original ? accuracyWords(record.original) : 'accuracy';
}

function quality(t: TuneTrial, record: TuneRecord): string {
  if (t.status === 'failed') return 'failed';
  if (record.budget.kind === 'accuracy-drop' && t.accuracy !== undefined)
    return `${(t.accuracy * 100).toFixed(2)}% (${t.dropPoints !== undefined ? (-t.dropPoints).toFixed(2) : '?'} pts)`;
  return t.cosine === undefined ? '–' : formatCosine(t.cosine, record.budget);
}

/**
 * The chosen trial's quality in its sentence, named: the table's column header says what a bare figure is, the
 * sentence has none ("0.550x p50, 1.00000" left the cosine unnamed).
 */
export function chosenQuality(t: TuneTrial, record: TuneRecord): string {
  const figure = quality(t, record);
  if (t.status === 'failed' || figure === '–') return `quality ${figure}`;
  return record.budget.kind === 'accuracy-drop' && t.accuracy !== undefined
    ? `${accuracyName(record)} ${figure}`
    : `output cosine ${figure}`;
}

/**
 * Which data the run measured and calibrated on: the outcome's identities once known (describeTuneData, as the
 * CLI prints them), else the names the record started with (a run recorded before, or still checking its data).
 */
export function tuneDataSentence(record: Pick<TuneRecord, 'data' | 'outcome'>): string {
  if (record.outcome?.data) return describeTuneData(record.outcome.data);
  const { evaluation, calibration } = record.data;
  if (calibration === undefined) return `Measured on ${evaluation}; no recipe tried calibrates.`;
  return calibration !== evaluation
    ? `Measured on ${evaluation}, calibrated on ${calibration}.`
    : `Measured on ${evaluation} (also the calibration data).`;
}

/**
 * The chosen trial's latency with its verdict, as the CLI's Chosen line says it: `1.331× p50 (slower)`. The size
 * objective's choice is benchmarked at the end of the search (run-tune.ts `benchChosen`); until then, or for a
 * run recorded before that, `not benchmarked`.
 */
export function chosenLatency(t: TuneTrial): string {
  if (t.p50Ratio === undefined) return 'p50 not benchmarked';
  const verdict = latencyVerdictWords(t);
  return `${ratio(t.p50Ratio)} p50${verdict ? ` (${verdict})` : ''}`;
}

/** The chart's frame (px), which the layout below mirrors: recharts places the plot inside it. */
const FRAME = {
  height: 280,
  margin: { top: 16, right: 32, bottom: 8, left: 8 },
  yAxisWidth: 76,
  xAxisHeight: 44,
} as const;
/** A marker's area (px², recharts' ZAxis range) and radius; its outline adds up to 1.5 px outside. */
const MARKER_AREA = 110;
const MARKER_R = Math.sqrt(MARKER_AREA / Math.PI);
const MARKER_REACH = MARKER_R + 2;
const CHAR_PX = 7;
const LABEL_HEIGHT_PX = 14;
/** From a marker's centre to its label's near edge beside it (px). */
const LABEL_GAP_PX = MARKER_REACH + 3;

/** The plot inside a chart `width` px wide (px). */
export function trialPlot(width: number): { width: number; height: number } {
  const { margin, yAxisWidth, xAxisHeight, height } = FRAME;
  return {
    width: Math.max(1, width - margin.left - margin.right - yAxisWidth),
    height: height - margin.top - margin.bottom - xAxisHeight,
  };
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Where a point's label is drawn, from its marker's drawn centre (px). */
export interface TrialLabelPlacement {
  /** The text's anchor point; the text is centred on it vertically. */
  dx: number;
  dy: number;
  anchor: 'start' | 'middle' | 'end';
  /** A line from the marker to a label set away from it (the places beside it were taken). */
  leader?: { x1: number; y1: number; x2: number; y2: number };
}

export interface TrialChartLayout {
  /** Each point's offset from its exact place (px): points that cover each other are spread (pareto-overlap.ts). */
  offsets: { dx: number; dy: number }[];
  /** Each point's label; undefined where no place near it is free, and the note under the chart names it. */
  labels: (TrialLabelPlacement | undefined)[];
  /** The points spread apart, by their labels, one list per place. */
  spread: string[][];
}

const overlaps = (a: Box, b: Box) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Whether the segment from (x1, y1) to (x2, y2) passes within `r` of (cx, cy). */
function passesNear(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  cx: number,
  cy: number,
  r: number,
): boolean {
  const vx = x2 - x1;
  const vy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((cx - x1) * vx + (cy - y1) * vy) / (vx * vx + vy * vy || 1)));
  return Math.hypot(x1 + t * vx - cx, y1 + t * vy - cy) < r;
}

/** How far a point is from a box (px): 0 inside it. */
function distanceToBox(p: { x: number; y: number }, box: Box): number {
  return Math.hypot(
    Math.max(box.left - p.x, 0, p.x - box.right),
    Math.max(box.top - p.y, 0, p.y - box.bottom),
  );
}

/** Whether a line (a label's leader) crosses a box, with a pixel to spare. */
function crosses(line: { x1: number; y1: number; x2: number; y2: number }, box: Box): boolean {
  const steps = Math.max(2, Math.ceil(Math.hypot(line.x2 - line.x1, line.y2 - line.y1) / 2));
  for (let k = 0; k <= steps; k++) {
    const x = line.x1 + ((line.x2 - line.x1) * k) / steps;
    const y = line.y1 + ((line.y2 - line.y1) * k) / steps;
    if (x > box.left - 1 && x < box.right + 1 && y > box.top - 1 && y < box.bottom + 1) return true;
  }
  return false;
}

/**
 * The places a label of width `w` may take around its marker, nearest first: beside it (right, left, above,
 * below, then the corners), then further out in the same eight directions with a line back to the marker.
 */
function labelCandidates(w: number): { box: Box; at: TrialLabelPlacement }[] {
  const h = LABEL_HEIGHT_PX;
  const g = LABEL_GAP_PX;
  const c = g * 0.75;
  const near: { box: Box; at: TrialLabelPlacement }[] = [
    { box: { left: g, right: g + w, top: -h / 2, bottom: h / 2 }, at: { dx: g, dy: 0, anchor: 'start' } },
    { box: { left: -g - w, right: -g, top: -h / 2, bottom: h / 2 }, at: { dx: -g, dy: 0, anchor: 'end' } },
    {
      box: { left: -w / 2, right: w / 2, top: -g - h, bottom: -g },
      at: { dx: 0, dy: -g - h / 2, anchor: 'middle' },
    },
    {
      box: { left: -w / 2, right: w / 2, top: g, bottom: g + h },
      at: { dx: 0, dy: g + h / 2, anchor: 'middle' },
    },
  ];
  for (const [ux, uy] of [
    [1, -1],
    [-1, -1],
    [1, 1],
    [-1, 1],
  ] as const) {
    const box = cornerBox(ux * c, uy * c, ux, uy, w, h);
    near.push({ box, at: textAt(box, ux) });
  }
  const far: { box: Box; at: TrialLabelPlacement }[] = [];
  for (const d of [2.4 * g, 3.6 * g, 5 * g, 7 * g]) {
    // Sixteen directions, right first, then round both ways.
    for (const step of [0, 8, 4, 12, 2, 6, 10, 14, 1, 7, 9, 15, 3, 5, 11, 13]) {
      const angle = (step * Math.PI) / 8;
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      const ux = Math.abs(cos) < 0.3 ? 0 : Math.sign(cos);
      const uy = Math.abs(sin) < 0.3 ? 0 : Math.sign(sin);
      const box = cornerBox(cos * d, sin * d, ux, uy, w, h);
      // From the marker's edge to the nearest point of the label's box.
      const x2 = Math.max(box.left, Math.min(0, box.right));
      const y2 = Math.max(box.top, Math.min(0, box.bottom));
      const length = Math.hypot(x2, y2) || 1;
      const leader = { x1: (x2 / length) * MARKER_REACH, y1: (y2 / length) * MARKER_REACH, x2, y2 };
      far.push({ box, at: { ...textAt(box, ux), leader } });
    }
  }
  return [...near, ...far];
}

/** A label's box whose corner (or edge middle, where `ux` or `uy` is 0) facing the marker is at (x, y). */
function cornerBox(x: number, y: number, ux: number, uy: number, w: number, h: number): Box {
  const left = ux > 0 ? x : ux < 0 ? x - w : x - w / 2;
  const top = uy > 0 ? y : uy < 0 ? y - h : y - h / 2;
  return { left, right: left + w, top, bottom: top + h };
}

function textAt(box: Box, ux: number): TrialLabelPlacement {
  const dy = (box.top + box.bottom) / 2;
  if (ux > 0) return { dx: box.left, dy, anchor: 'start' };
  if (ux < 0) return { dx: box.right, dy, anchor: 'end' };
  return { dx: (box.left + box.right) / 2, dy, anchor: 'middle' };
}

/**
 * Where each point and its label are drawn on a plot of `plot` px with these axis domains. Points whose markers
 * cover each other are spread a few pixels around their common place (pareto-overlap.ts, as Compare's Pareto
 * chart does); every other point is drawn at its own figures. Each label takes the first place around its marker
 * that covers no marker and no label placed before it and stays in the chart, beside the marker or further out
 * with a line back to it; a label with no such place is left for the note under the chart, never dropped.
 */
export function layoutTrialChart(
  points: readonly { x: number; y: number; label: string }[],
  domain: { x: readonly [number, number]; y: readonly [number, number] },
  plot: { width: number; height: number },
): TrialChartLayout {
  const placed: PlacedPoint[] = points.map((p, i) => ({
    id: String(i),
    x: ((p.x - domain.x[0]) / (domain.x[1] - domain.x[0] || 1)) * plot.width,
    y: (1 - (p.y - domain.y[0]) / (domain.y[1] - domain.y[0] || 1)) * plot.height,
    r: MARKER_R,
  }));
  const groups = overlapGroups(placed);
  const spreadBy = spreadOffsets(groups);
  const offsets = placed.map((p) => spreadBy.get(p.id) ?? { dx: 0, dy: 0 });
  const centres = placed.map((p, i) => ({ x: p.x + offsets[i]!.dx, y: p.y + offsets[i]!.dy }));
  const taken: Box[] = centres.map((c) => ({
    left: c.x - MARKER_REACH,
    right: c.x + MARKER_REACH,
    top: c.y - MARKER_REACH,
    bottom: c.y + MARKER_REACH,
  }));
  // The plot, with the top and right margins a label may reach into (not the axes' side).
  const bounds: Box = {
    left: 0,
    right: plot.width + FRAME.margin.right - 2,
    top: 2 - FRAME.margin.top,
    bottom: plot.height,
  };
  const leaders: { x1: number; y1: number; x2: number; y2: number }[] = [];
  const labels = points.map((p, i) => {
    const c = centres[i]!;
    for (const { box, at } of labelCandidates(p.label.length * CHAR_PX)) {
      const drawn = {
        left: c.x + box.left,
        right: c.x + box.right,
        top: c.y + box.top,
        bottom: c.y + box.bottom,
      };
      const inside =
        drawn.left >= bounds.left &&
        drawn.right <= bounds.right &&
        drawn.top >= bounds.top &&
        drawn.bottom <= bounds.bottom;
      if (!inside || taken.some((t) => overlaps(drawn, t)) || leaders.some((l) => crosses(l, drawn)))
        continue;
      const { leader } = at;
      if (leader) {
        const line = { x1: c.x + leader.x1, y1: c.y + leader.y1, x2: c.x + leader.x2, y2: c.y + leader.y2 };
        // The line reaches its label past no other marker and through no other label.
        const blocked =
          centres.some(
            (o, k) => k !== i && passesNear(line.x1, line.y1, line.x2, line.y2, o.x, o.y, MARKER_REACH),
          ) || taken.slice(points.length).some((t) => crosses(line, t));
        if (blocked) continue;
        leaders.push(line);
      } else {
        // A label beside its marker reads as that marker's only where no other marker is as near to it ("#4" at
        // the corner of #4 sat beside #6).
        const own = distanceToBox(c, drawn);
        if (centres.some((o, k) => k !== i && distanceToBox(o, drawn) < own + 3)) continue;
      }
      taken.push(drawn);
      return at;
    }
    return undefined;
  });
  return {
    offsets,
    labels,
    spread: groups.map((g) => g.map((p) => points[Number(p.id)]!.label)),
  };
}

/** The sentences under the chart: points that share a place or a marker, and labels that found no room. */
export function trialChartNotes(
  groups: readonly Pick<TrialPointGroup, 'label' | 'indices' | 'x' | 'y'>[],
  layout: Pick<TrialChartLayout, 'labels' | 'spread'>,
  figure: (p: { x: number; y: number }) => string,
): string[] {
  const notes: string[] = [];
  const same = groups
    .filter((g) => g.indices.length > 1)
    .map((g) => listNames(g.indices.map((i) => `#${i}`)));
  if (same.length > 0)
    notes.push(
      `${same.join('; ')} made the same model (the same size and quality at the same figures): one point each, labelled with all of them.`,
    );
  if (layout.spread.length > 0)
    notes.push(
      `${layout.spread.map((g) => listNames(g)).join('; ')} sit at nearly one place, so each is drawn ${SPREAD_PX} px from it; hover for each one's figures.`,
    );
  const unlabelled = groups.filter((_, i) => !layout.labels[i]);
  if (unlabelled.length > 0)
    notes.push(
      `No room on the chart for the label of ${unlabelled.map((g) => `${g.label} (at ${figure(g)})`).join(', ')}; hover a point for its trial.`,
    );
  return notes;
}

/**
 * How a trial is drawn: its marker (filled when it meets the budget, dark on the Pareto front, ringed when chosen;
 * hollow and dashed, by Compare's markerPaint, when a noisy run placed it) and its label.
 */
export function TrialMarker(props: {
  cx?: number;
  cy?: number;
  payload?: TrialPointGroup & { at: number };
  layout: TrialChartLayout;
  front: ReadonlySet<number>;
  textColor: string;
}) {
  const { cx, cy, payload, layout, front, textColor } = props;
  if (cx === undefined || cy === undefined || !payload) return null;
  const offset = layout.offsets[payload.at] ?? { dx: 0, dy: 0 };
  const label = layout.labels[payload.at];
  const x = cx + offset.dx;
  const y = cy + offset.dy;
  return (
    <g className="trial-point" data-trials={payload.label} data-hollow={payload.noisy ? 'true' : undefined}>
      <circle
        cx={x}
        cy={y}
        r={MARKER_R}
        {...markerPaint({
          fill: payload.met ? (front.has(payload.index) ? '#2e7d32' : '#81c784') : 'transparent',
          stroke: payload.chosen ? textColor : payload.met ? '#2e7d32' : '#c62828',
          hollow: payload.noisy,
        })}
        fillOpacity={0.8}
        strokeWidth={payload.chosen ? 3 : 2}
      />
      {label?.leader && (
        <line
          x1={x + label.leader.x1}
          y1={y + label.leader.y1}
          x2={x + label.leader.x2}
          y2={y + label.leader.y2}
          stroke={textColor}
          strokeOpacity={0.6}
          strokeWidth={1}
        />
      )}
      {label && (
        <text
          className="trial-label"
          x={x + label.dx}
          y={y + label.dy}
          textAnchor={label.anchor}
          dominantBaseline="central"
          fill={textColor}
          fontSize={12}
        >
          {payload.label}
        </text>
      )}
    </g>
  );
}

/**
 * What the trial chart's marks mean, under its title. A trial a noisy run placed (placedByNoisyRun) is drawn
 * hollow and dashed, as on Compare's Pareto chart, and said so in Compare's words: filled read "on the front".
 */
export function trialChartSubtitle(
  record: Pick<TuneRecord, 'objective' | 'budget' | 'outcome'>,
  noisy: boolean,
): string {
  const noisyWords = noisy
    ? `; a trial ${NOISY_RUN} is ${DRAWN_NOISY} (green within the budget, red outside), where its figures put it, and is never on the front`
    : '';
  return `Left is ${record.objective === 'latency' ? 'faster' : 'smaller'}, up is better; the dotted line is the original. The dashed line is the budget (${describeBudget(record.budget)}): filled points meet it (dark: on the Pareto front), hollow red ones break it${noisyWords}${record.outcome?.chosen !== undefined ? '; the black ring is the choice' : ''}.`;
}

/**
 * A point's tooltip title: the trials it stands for (several made one model at one place: the figures are all of
 * theirs), and, for one a noisy run placed, that it was (Compare's tooltip says it so).
 */
export function trialPointTitle(group: Pick<TrialPointGroup, 'indices' | 'names' | 'noisy'>): string {
  const names = group.indices.map((i, k) => `#${i} ${group.names[k]}`).join(', ');
  return group.noisy ? `${names}; ${NOISY_RUN}` : names;
}

function TrialChart({ record }: { record: TuneRecord }) {
  const colors = useChartColors();
  const [box, width] = useWidth<HTMLDivElement>();
  const accuracy = record.budget.kind === 'accuracy-drop';
  const front = new Set(record.outcome?.pareto ?? []);
  const trialPoints = record.trials
    .filter((t) => t.status === 'done' && objectiveValue(t, record.objective) !== undefined)
    .map((t) => ({
      index: t.index,
      name: t.name,
      x: objectiveValue(t, record.objective)!,
      y: accuracy ? -(t.dropPoints ?? 0) : (t.cosine ?? 0),
      model: trialModelKey(t),
      met: t.meetsBudget === true,
      chosen: record.outcome?.chosen === t.index,
      noisy: placedByNoisyRun(t, record.objective),
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
  // Only trials that made the same model at the same figures share a point, labelled with all of them; every
  // other trial is drawn at its own figures, spread a few pixels where markers would cover each other, and every
  // point says which trial of the table it is (beside it, further out with a line, or in the note below).
  const grouped = groupTrialPoints(trialPoints);
  const layout = layoutTrialChart(
    grouped,
    { x: [xTicks[0]!, xTicks.at(-1)!], y: [yTicks[0]!, yMax] },
    trialPlot(width),
  );
  const points = grouped.map((p, at) => ({ ...p, at }));
  const notes =
    width > 0
      ? trialChartNotes(
          grouped,
          layout,
          (p) =>
            `${p.x.toFixed(3)}×, ${accuracy ? `${p.y.toFixed(2)} pts` : formatCosine(p.y, record.budget)}`,
        )
      : [];
  const objectiveLabel = record.objective === 'latency' ? 'p50 / original' : 'size / original';
  return (
    <ChartCard
      id="tune-trials"
      title={`Trials: ${record.objective === 'latency' ? 'latency' : 'size'} vs ${accuracy ? `${accuracyName(record)} change` : 'output cosine'}`}
      subtitle={trialChartSubtitle(
        record,
        points.some((p) => p.noisy),
      )}
      height={FRAME.height}
      {...(points.length === 0 ? { empty: <p className="muted">Trials appear here as they finish.</p> } : {})}
    >
      <div ref={box} style={{ width: '100%', height: FRAME.height }}>
        {width > 0 && (
          <ScatterChart width={width} height={FRAME.height} margin={FRAME.margin}>
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
              height={FRAME.xAxisHeight}
              label={{ value: objectiveLabel, position: 'insideBottom', offset: 0, fill: colors.muted }}
            />
            <YAxis
              type="number"
              dataKey="y"
              name={accuracy ? `${accuracyName(record)} change (pts)` : 'cosine'}
              domain={[yTicks[0]!, yMax]}
              ticks={yTicks}
              interval={0}
              tickFormatter={(v: number) => (accuracy ? `${v.toFixed(1)} pts` : v.toFixed(4))}
              {...axisProps(colors)}
              width={FRAME.yAxisWidth}
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
                name === objectiveLabel
                  ? `${Number(v).toFixed(3)}×`
                  : accuracy
                    ? Number(v).toFixed(2)
                    : formatCosine(Number(v), record.budget)
              }
              labelFormatter={(_label, payload) => {
                const group = (payload?.[0] as { payload?: (typeof points)[number] } | undefined)?.payload;
                return group ? trialPointTitle(group) : '';
              }}
            />
            <ZAxis range={[MARKER_AREA, MARKER_AREA]} />
            <Scatter
              data={points}
              isAnimationActive={false}
              shape={(props: { cx?: number; cy?: number; payload?: (typeof points)[number] }) => (
                <TrialMarker {...props} layout={layout} front={front} textColor={colors.text} />
              )}
            />
          </ScatterChart>
        )}
      </div>
      {notes.length > 0 && (
        <p className="muted chart-subtitle" data-testid="tune-trials-note">
          {notes.join(' ')}
        </p>
      )}
    </ChartCard>
  );
}

/**
 * The headline of a run recorded running: "Searching…" while the host is there. With the connection to serve
 * lost (a killed serve closes with no word, so the page cannot tell it stopped) it said "Searching…" until a
 * reload; it says what the banner says of that state (connection-words.ts), of this search. A serve that said it
 * stopped, or came back restarted, ends the job, and the run reads interrupted (shownTuneRun).
 */
export function runningHeadline(connection: ConnectionState | undefined): string {
  return (connection && connectionWords(connection, SERVE_SEARCH)) ?? 'Searching…';
}

/**
 * A run that stopped before its search ended (Cancel, or ONNX Studio stopping under it) chose nothing
 * (tune-search.ts): its best trial so far was never weighed against the trials it did not run. That trial, by
 * the rule a finished search chooses by (tuneChoice), is still worth naming: its variant is kept under its trial
 * name. Undefined for a run that did not stop so.
 */
export function bestSoFar(record: TuneRecord): TuneTrial | undefined {
  if (record.status !== 'cancelled' && record.status !== 'interrupted') return undefined;
  return tuneChoice(record.outcome?.trials ?? record.trials, record.objective, record.budget)?.trial;
}

/**
 * What a stopped run chose, in words: nothing, and its best trial so far with the variant it is kept as (by
 * `variantLabel`), or why there is none yet.
 */
export function stoppedSearchSentence(
  record: TuneRecord,
  variantLabel: (variantId: string) => string | undefined,
): string {
  const head = 'Stopped before the search ended, so nothing was chosen';
  const best = bestSoFar(record);
  if (best) {
    const label = best.variantId === undefined ? undefined : variantLabel(best.variantId);
    return `${head}; best so far: #${best.index} ${best.name}${label ? ` (kept as variant '${label}')` : ''}.`;
  }
  const trials = record.outcome?.trials ?? record.trials;
  return trials.some((t) => t.status === 'done' && t.meetsBudget)
    ? `${head}; no trial so far meets the budget and is ${gainRule(record.objective)}.`
    : `${head}; no trial met the budget yet.`;
}

/**
 * A run's trials, chart and choice. `studio` finds the chosen variant in the workspace; a sweep names its file;
 * `connection` is serve's (HostContext), for a run still running.
 */
export function TuneResult({
  record,
  studio,
  chosenFile,
  connection,
}: {
  record: TuneRecord;
  studio?: Studio;
  chosenFile?: string;
  connection?: ConnectionState;
}) {
  const chosen = record.outcome && trialNumbered(record.outcome, record.outcome.chosen);
  const variant = studio?.variants.find((v) => v.id === record.chosenVariantId);
  const rows = record.outcome?.sensitivity?.rows.slice(0, 10) ?? [];
  // The run keeps its choice as a variant; the same recipe may have made one the workspace already had.
  const duplicate = studio
    ? sameModelAs(studio.state.workspace?.variants ?? [], record.chosenVariantId)
    : undefined;
  const outcome = record.outcome;
  const top1 =
    record.budget.kind !== 'accuracy-drop' && record.trials.some((t) => t.top1Agreement !== undefined);
  // Cancelled or interrupted: no choice, so "no trial meets the budget" would be false; the best so far instead.
  const stopped = record.status === 'cancelled' || record.status === 'interrupted';
  const best = bestSoFar(record);
  return (
    <div className="tune-result" data-testid="tune-run" data-status={record.status}>
      <p>
        <strong>
          {record.status === 'running'
            ? runningHeadline(connection)
            : record.status === 'done'
              ? outcome
                ? `Done: ${outcome.trials.length} trial${outcome.trials.length === 1 ? '' : 's'} in ${outcome.seconds.toFixed(1)} s; the search stopped because ${tuneStopReason(outcome.stoppedBy, tuneOptionLabel)}.${benchTimeWords(outcome)}`
                : 'Done.'
              : record.status === 'cancelled'
                ? 'Cancelled: the finished trials are kept.'
                : record.status === 'interrupted'
                  ? interruptedTuneNote(record.interrupted ?? 'cut off', record.trials.length)
                  : `Failed: ${record.error ?? ''}`}
        </strong>{' '}
        Budget: {describeBudget(record.budget)}; objective: {record.objective}. {tuneDataSentence(record)}
      </p>
      {chosen && (
        <p className="tune-chosen" data-testid="tune-chosen">
          Chosen: <strong>{variant?.label ?? chosen.name}</strong>: {ratio(chosen.sizeRatio)} size,{' '}
          {chosenLatency(chosen)}, {chosenQuality(chosen, record)}.{' '}
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
      {stopped && (
        <p className="muted" data-testid="tune-stopped">
          {stoppedSearchSentence(record, (id) => studio?.variants.find((v) => v.id === id)?.label)}
        </p>
      )}
      {record.outcome && !chosen && !stopped && record.status !== 'running' && (
        <p className="muted" data-testid="tune-no-choice">
          {noChoiceWords(outcome?.trials ?? [], record.objective)}
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
            <th>
              {record.budget.kind === 'accuracy-drop' ? `${capitalized(accuracyName(record))} (Δ)` : 'Cosine'}
            </th>
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
              <td>
                {t.name}
                {best?.index === t.index && <span className="tag">best so far</span>}
              </td>
              <td>{ratio(t.sizeRatio)}</td>
              <td>
                {ratio(t.p50Ratio)}
                {latencyVerdictWords(t) && <span className="muted">, {latencyVerdictWords(t)}</span>}
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
