/**
 * Small SVG chart writers for the HTML report: horizontal bars (with whiskers), a scatter with bubble sizes,
 * and overlaid histograms. Output is plain SVG markup with every text escaped, no scripts, no external
 * resources, so the report opens anywhere and passes a strict Content-Security-Policy.
 *
 * Axes and colours follow the app's (shared/chart-scale.ts, shared/chart-colors.ts): round 1-2-5 ticks,
 * sizes in whole KiB/MiB, shares never past 100%, a latency axis fitted to the bars (whiskers past it stop
 * at its end with an arrow), one colour per category and grey only for "other".
 */
import { OTHER_LIGHT, SERIES_LIGHT } from '../../../shared/chart-colors.js';
import { clipTail, niceRange, niceTicks, shareAxis } from '../../../shared/chart-scale.js';
import { labelLines, textWidth, wrapText } from './svg-text.js';

/** One colour per series (the app's light palette: no grey among them). */
export const PALETTE: readonly string[] = SERIES_LIGHT;
/** The "other" bucket's grey. */
export const OTHER_COLOR = OTHER_LIGHT;

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  return Number(value.toPrecision(digits)).toString();
}

/**
 * A chart's title and the lines under it (what it was measured on, how its axis reads), wrapped to the chart's
 * `width` (a long caption or title ran off the SVG's right edge, cut mid-word). `height` is how far below a
 * one-line title with no notes the content starts: the title's extra lines (17 px each) and the notes' (15 px).
 */
function chartHeader(title: string, notes: readonly string[], width: number): { svg: string; height: number } {
  // A bold 13 px title is about 8% wider than the regular text textWidth measures.
  const titleLines = wrapText(title, width, 13 * 1.08);
  const noteRows = notes.flatMap((note) => wrapText(note, width, 11));
  const below = 17 * (titleLines.length - 1);
  const svg = [
    ...titleLines.map((line, i) => `<text x="0" y="${18 + 17 * i}" class="chart-title">${escapeXml(line)}</text>`),
    ...noteRows.map((line, i) => `<text x="0" y="${34 + below + 15 * i}" class="tick chart-note">${escapeXml(line)}</text>`),
  ].join('');
  return { svg, height: below + 15 * noteRows.length };
}

export interface BarRow {
  label: string;
  value: number;
  /** Low and high whisker ends (e.g. p90 and p99 around a p50 bar). */
  whisker?: [number, number];
  /** Text after the bar, e.g. `0.26x`. */
  note?: string;
  color?: string;
}

/** The room a bar chart gives its names (px of 12 px text), from 190 px up to this. */
const MAX_LABEL_WIDTH = 280;

/**
 * A bar's name in `maxPx` of 12 px text: whole on one line where it fits, else on two broken at a space, its middle
 * words left out ("…") only where two are not enough (shared/chart-labels.ts, as the app's charts lay out theirs).
 */
export function nameLines(label: string, maxPx: number): string[] {
  return labelLines(label, maxPx, 12);
}

/** A horizontal bar chart; `format` writes the value labels. */
export function barChart(options: {
  title: string;
  unit: string;
  rows: BarRow[];
  format?: (v: number) => string;
  tickFormat?: (v: number) => string;
  /**
   * The value axis's ticks (the first is its start, the last its end), e.g. round byte or share ticks. An axis
   * that does not start at 0 says so under the title: its bars show differences, not proportions.
   */
  ticks?: number[];
  /** Lines under the title that say what the figures were measured on (inputs, dataset). */
  captions?: string[];
  /**
   * Fit the axis to the bars, not to the whiskers: a p99 of 8 ms must not flatten 0.17 ms bars. Whiskers
   * past the axis stop at its end with an arrow, and a note under the title says so.
   */
  fitBars?: boolean;
  /** Under the axis, e.g. `latency (ms)`; default: `unit` when the ticks are bare numbers (no `tickFormat`). */
  axisLabel?: string;
  /** The least width; the chart is wider when its notes after the bars need it. */
  width?: number;
}): string {
  const { title, unit, rows } = options;
  const format = options.format ?? ((v: number) => `${fmt(v)} ${unit}`);
  const tickFormat = options.tickFormat ?? ((v: number) => fmt(v));
  // The names get the room the longest needs, from 190 px up to MAX_LABEL_WIDTH (the chart widens for it).
  const labelWidth = Math.min(MAX_LABEL_WIDTH, Math.max(190, Math.ceil(Math.max(0, ...rows.map((r) => textWidth(r.label, 12)))) + 12));
  const names = rows.map((r) => nameLines(r.label, labelWidth - 12));
  // Rows of a chart with a name on two lines are taller, so the lines keep clear of the next row's.
  const rowHeight = names.some((n) => n.length > 1) ? 38 : 30;
  const valueText = (row: BarRow) => (row.note ? `${format(row.value)}  ${row.note}` : format(row.value));
  // The notes after the bars get the room their longest one needs ("0.586 ms  0.36x (measured 0.583)" ran past
  // a fixed 170 px); the chart widens rather than squeezing the bars below 340 px.
  const noteWidth = Math.max(170, Math.ceil(Math.max(0, ...rows.map((r) => textWidth(valueText(r), 12)))) + 10);
  const width = Math.max(options.width ?? 760, labelWidth + 340 + noteWidth + 20);
  const plotWidth = width - labelWidth - noteWidth - 20;
  const axisLabel = options.axisLabel ?? (options.tickFormat || !unit ? undefined : unit);
  const barMax = Math.max(...rows.map((r) => r.value), 1e-12);
  const whiskerMax = Math.max(barMax, ...rows.map((r) => r.whisker?.[1] ?? 0));
  const ticks =
    options.ticks ??
    (options.fitBars ? niceTicks(barMax, { headroom: 0.25 }) : niceTicks(whiskerMax, { headroom: 0.02 }));
  const scaleMax = ticks[ticks.length - 1] ?? whiskerMax;
  const scaleMin = Math.min(ticks[0] ?? 0, scaleMax);
  const clipped = rows.some((r) => (r.whisker?.[1] ?? 0) > scaleMax);
  const offAxis = rows.some((r) => (r.whisker?.[0] ?? 0) > scaleMax);
  const notes = [
    ...(options.captions ?? []),
    ...(scaleMin > 0
      ? [`The axis starts at ${tickFormat(scaleMin)}, not 0: the bars show differences, not proportions.`]
      : []),
    ...(clipped
      ? [
          `The axis fits the bars: whiskers past ${tickFormat(scaleMax)} stop at its end with an arrow${
            offAxis ? ', dashed from the bar where even p90 is past it' : ''
          } (p90 and p99 are in the table).`,
        ]
      : []),
  ];
  const head = chartHeader(title, notes, width);
  const top = 34 + head.height;
  const axisY = top + rows.length * rowHeight + 20;
  const height = axisY + (axisLabel ? 24 : 8);
  const span = scaleMax - scaleMin || 1;
  const x = (v: number) => labelWidth + (plotWidth * (Math.min(Math.max(v, scaleMin), scaleMax) - scaleMin)) / span;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(head.svg);
  for (const t of ticks) {
    const tx = x(t);
    parts.push(
      `<line x1="${tx.toFixed(1)}" y1="${top - 6}" x2="${tx.toFixed(1)}" y2="${axisY - 16}" class="grid"/>`,
    );
    parts.push(
      `<text x="${tx.toFixed(1)}" y="${axisY}" text-anchor="middle" class="tick">${escapeXml(tickFormat(t))}</text>`,
    );
  }
  // Bare tick numbers say nothing of their unit ("0 0.5 1 1.5 2 2.5": ms? s?): name it under the axis.
  if (axisLabel)
    parts.push(
      `<text x="${labelWidth + plotWidth / 2}" y="${axisY + 16}" text-anchor="middle" class="axis">${escapeXml(axisLabel)}</text>`,
    );
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    // The baseline of one line of 12 px text centred on the row.
    const middle = y + rowHeight / 2 + 4;
    const color = row.color ?? PALETTE[i % PALETTE.length]!;
    // A long name goes on two lines at a space (its middle words left out only where two are not enough), with
    // the whole name as its tooltip; uncut it ran off the left edge of the picture, cut mid-word it read as two
    // half-words ("structured 10%…ng pruned)").
    const own = names[i]!;
    const lineYs = own.length === 1 ? [middle] : [middle - 7, middle + 7];
    const lines =
      own.length === 1
        ? escapeXml(own[0]!)
        : own.map((line, j) => `<tspan x="${labelWidth - 8}" y="${lineYs[j]}">${escapeXml(line)}</tspan>`).join('');
    parts.push(
      `<text x="${labelWidth - 8}" y="${lineYs[0]}" text-anchor="end" class="label"><title>${escapeXml(row.label)}</title>${lines}</text>`,
    );
    const w = Math.max(0, x(row.value) - labelWidth);
    parts.push(
      `<rect x="${labelWidth}" y="${y + rowHeight / 2 - 10}" width="${w.toFixed(1)}" height="20" rx="2" fill="${color}"><title>${escapeXml(`${row.label}: ${format(row.value)}`)}</title></rect>`,
    );
    if (row.whisker) parts.push(whisker(row, y + rowHeight / 2, x, scaleMax, format));
    parts.push(`<text x="${width - noteWidth}" y="${middle}" class="value">${escapeXml(valueText(row))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A bar's p90-p99 whisker: a line with an end tick at each figure on the axis. One past the axis's end runs to
 * that end and ends in an arrow; when even its low end (p90) is past it, the line starts at the bar's end (p50),
 * dashed, since none of the span is on the axis (a lone arrowhead said nothing). Its tooltip gives both figures.
 */
function whisker(row: BarRow, cy: number, x: (v: number) => number, scaleMax: number, format: (v: number) => string): string {
  const [lo, hi] = row.whisker!;
  const offAxis = lo > scaleMax;
  const from = x(offAxis ? row.value : lo);
  const to = x(hi);
  const tip = `<title>${escapeXml(`${row.label}: p90 ${format(lo)}, p99 ${format(hi)}`)}</title>`;
  const style = offAxis ? 'class="whisker whisker-off-axis" stroke-dasharray="4 3"' : 'class="whisker"';
  const parts = [`<line x1="${from.toFixed(1)}" y1="${cy}" x2="${to.toFixed(1)}" y2="${cy}" ${style}>${tip}</line>`];
  if (!offAxis) parts.push(`<line x1="${from.toFixed(1)}" y1="${cy - 6}" x2="${from.toFixed(1)}" y2="${cy + 6}" class="whisker"/>`);
  parts.push(
    hi > scaleMax
      ? `<path d="M ${(to - 7).toFixed(1)} ${cy - 5} L ${to.toFixed(1)} ${cy} L ${(to - 7).toFixed(1)} ${cy + 5}" fill="none" class="whisker whisker-clipped"/>`
      : `<line x1="${to.toFixed(1)}" y1="${cy - 6}" x2="${to.toFixed(1)}" y2="${cy + 6}" class="whisker"/>`,
  );
  return parts.join('');
}

/** Swatches and names in rows under a chart (names never print over each other or over the data). */
function legend(
  entries: { label: string; color: string; hollow?: boolean | undefined }[],
  left: number,
  y: number,
  width: number,
): { svg: string; height: number } {
  const parts: string[] = [];
  let lx = left;
  let ly = y;
  for (const e of entries) {
    const w = 24 + Math.ceil(e.label.length * 7.2);
    if (lx > left && lx + w > width) {
      lx = left;
      ly += 18;
    }
    parts.push(
      e.hollow
        ? `<rect x="${lx + 0.5}" y="${ly - 8.5}" width="9" height="9" fill="none" stroke="${e.color}" stroke-width="1.5" stroke-dasharray="3 2"/>`
        : `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${e.color}"/>`,
    );
    parts.push(`<text x="${lx + 14}" y="${ly}" class="label">${escapeXml(e.label)}</text>`);
    lx += w;
  }
  return { svg: parts.join(''), height: entries.length > 0 ? ly - y + 18 : 0 };
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  /** Bubble area scales with this (e.g. file size). */
  size: number;
  color?: string;
  /**
   * Drawn hollow and dashed, as the app draws a variant from a run too noisy to tell speeds apart
   * (renderer/src/charts/pareto-points.tsx `drawnHollow`); its legend entry says why.
   */
  hollow?: boolean;
}

/** A scatter plot with bubble sizes (the Pareto view: latency against accuracy, size as area), named by a legend. */
export function scatterChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  points: ScatterPoint[];
  /** y is a share (accuracy, agreement): round ticks around the points, never above 100%. */
  yShare?: boolean;
  /** Lines under the title that say what the figures were measured on (inputs, dataset). */
  captions?: string[];
  width?: number;
  height?: number;
}): string {
  const { title, xLabel, yLabel, points } = options;
  const width = options.width ?? 760;
  const left = 70;
  const right = 30;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xTicks = niceTicks(Math.max(...xs), { headroom: 0.1 });
  const yMinRaw = Math.min(...ys);
  const yMaxRaw = Math.max(...ys);
  const pad = (yMaxRaw - yMinRaw) * 0.2 || Math.max(Math.abs(yMaxRaw) * 0.02, 0.01);
  const yFormat = options.yShare
    ? (v: number) => `${Number((v * 100).toFixed(2))}%`
    : (v: number) => fmt(v, 4);
  // Shares that all print the same get 0 to 100% (shareAxis), as the app's axis: zoomed, it ran 99.85-100%
  // with every point on its top edge.
  const shareY = options.yShare ? shareAxis(ys, yFormat) : undefined;
  const yTicks = shareY?.ticks ?? niceRange(yMinRaw - pad, yMaxRaw + pad, 5);
  const x0 = xTicks[0]!;
  const x1 = xTicks[xTicks.length - 1]!;
  const y0 = yTicks[0]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const captions = [
    ...(options.captions ?? []),
    ...(shareY?.allAt !== undefined
      ? [`All at ${shareY.allAt}: no difference to show, so the ${yLabel} axis starts at 0.`]
      : y0 > 0
        ? [`The ${yLabel} axis starts at ${yFormat(y0)}, not 0, to show the differences.`]
        : []),
  ];
  // Room under the title (and captions) for the largest bubble of a point at the top.
  const head = chartHeader(title, captions, width);
  const top = 50 + head.height;
  const bottom = 50;
  const named = points.map((p, i) => ({ ...p, color: p.color ?? PALETTE[i % PALETTE.length]! }));
  const key = legend(named, left, 0, width - right);
  const plotBottom = (options.height ?? 380) + head.height - bottom;
  const height = plotBottom + bottom + key.height + 6;
  const px = (v: number) => left + ((width - left - right) * (v - x0)) / (x1 - x0 || 1);
  const maxSize = Math.max(...points.map((p) => p.size), 1);
  const radius = (p: ScatterPoint) => 5 + 20 * Math.sqrt(p.size / maxSize);
  // The axis runs on past its last tick as far as a bubble near it needs (a share of 100% sits on that tick):
  // centred on the plot's top edge, half of each bubble stuck out over the captions.
  const plotHeight = plotBottom - top;
  const headroom = Math.max(
    0,
    ...points.map((p) => radius(p) + 1 - (plotHeight * (y1 - p.y)) / (y1 - y0 || 1)),
  );
  const tickSpan = plotHeight - Math.min(headroom, plotHeight / 3);
  const py = (v: number) => plotBottom - (tickSpan * (v - y0)) / (y1 - y0 || 1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(head.svg);
  for (const t of xTicks) {
    parts.push(
      `<line x1="${px(t).toFixed(1)}" y1="${top}" x2="${px(t).toFixed(1)}" y2="${plotBottom}" class="grid"/>`,
    );
    parts.push(
      `<text x="${px(t).toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" class="tick">${escapeXml(fmt(t))}</text>`,
    );
  }
  for (const t of yTicks) {
    parts.push(
      `<line x1="${left}" y1="${py(t).toFixed(1)}" x2="${width - right}" y2="${py(t).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeXml(yFormat(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${plotBottom + 40}" text-anchor="middle" class="axis">${escapeXml(xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${(top + plotBottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + plotBottom) / 2})" class="axis">${escapeXml(yLabel)}</text>`,
  );
  // Largest bubbles first, so a small one is never hidden under a big one; the legend names the colours.
  for (const p of [...named].sort((a, b) => b.size - a.size)) {
    const r = radius(p);
    const paint = p.hollow
      ? `fill="none" stroke="${p.color}" stroke-width="2" stroke-dasharray="4 3" class="hollow"`
      : `fill="${p.color}" fill-opacity="0.55" stroke="${p.color}"`;
    parts.push(
      `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="${r.toFixed(1)}" ${paint}><title>${escapeXml(`${p.label}: ${fmt(p.x)} / ${yFormat(p.y)}`)}</title></circle>`,
    );
  }
  parts.push(`<g transform="translate(0 ${plotBottom + bottom + 12})">${key.svg}</g>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface HistogramSeries {
  label: string;
  values: readonly number[];
  color?: string;
}

/** Overlaid histograms (outlines) of several sample sets on one axis, e.g. latency distributions. */
export function histogramChart(options: {
  title: string;
  xLabel: string;
  series: HistogramSeries[];
  bins?: number;
  /** Lines under the title that say what the figures were measured on (inputs). */
  captions?: string[];
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 760;
  const bins = options.bins ?? 40;
  const left = 60;
  const right = 20;
  // Cut at the rare slow runs of all series (clipTail: p99, or nearer): rare outliers no longer squash the distribution into a few bars; the
  // runs beyond are counted in a caption.
  const cut = clipTail(options.series.flatMap((s) => [...s.values]));
  const beyond = cut.beyond;
  const captions = [
    ...(options.captions ?? []),
    ...(beyond > 0 && cut.cutoff !== undefined
      ? [`${beyond} ${beyond === 1 ? 'run lies' : 'runs lie'} beyond ${fmt(cut.cutoff)} ms (rare slow runs), not drawn.`]
      : []),
  ];
  const head = chartHeader(options.title, captions, width);
  const top = 34 + head.height;
  const colors = options.series.map((series, i) => series.color ?? PALETTE[i % PALETTE.length]!);
  const key = legend(
    options.series.map((series, i) => ({ label: series.label, color: colors[i]! })),
    left,
    0,
    width - right,
  );
  const bottom = 46 + key.height;
  const height = (options.height ?? 300) - 18 + key.height + head.height;
  const all = [...cut.kept].sort((a, b) => a - b);
  const lo = all[0] ?? 0;
  const hi = cut.cutoff ?? 1;
  const span = hi - lo || Math.max(hi * 0.1, 1e-6);
  const binWidth = span / bins;
  const counts = options.series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) if (v <= hi) c[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / binWidth)))]! += 1;
    const n = s.values.length || 1;
    return c.map((k) => k / n);
  });
  const maxShare = Math.max(...counts.flat(), 1e-9);
  const xTicks = niceRange(lo, lo + span, 5).filter(
    (t) => t >= lo - span * 1e-9 && t <= lo + span * (1 + 1e-9),
  );
  const px = (v: number) => left + ((width - left - right) * (v - lo)) / span;
  const py = (share: number) => height - bottom - ((height - top - bottom) * share) / maxShare;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  parts.push(`<title>${escapeXml(options.title)}</title>`);
  parts.push(head.svg);
  for (const t of xTicks) {
    parts.push(
      `<line x1="${px(t).toFixed(1)}" y1="${top}" x2="${px(t).toFixed(1)}" y2="${height - bottom}" class="grid"/>`,
    );
    parts.push(
      `<text x="${px(t).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${escapeXml(fmt(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - bottom + 34}" text-anchor="middle" class="axis">${escapeXml(options.xLabel)}</text>`,
  );
  counts.forEach((c, i) => {
    const color = colors[i]!;
    const pts: string[] = [`${px(lo).toFixed(1)},${py(0).toFixed(1)}`];
    c.forEach((share, b) => {
      pts.push(`${px(lo + b * binWidth).toFixed(1)},${py(share).toFixed(1)}`);
      pts.push(`${px(lo + (b + 1) * binWidth).toFixed(1)},${py(share).toFixed(1)}`);
    });
    pts.push(`${px(lo + span).toFixed(1)},${py(0).toFixed(1)}`);
    parts.push(
      `<polyline points="${pts.join(' ')}" fill="${color}" fill-opacity="0.15" stroke="${color}" stroke-width="1.5"/>`,
    );
  });
  // Rows of swatches under the axis label: however many series, no name prints over another.
  parts.push(`<g transform="translate(0 ${height - key.height + 6})">${key.svg}</g>`);
  parts.push('</svg>');
  return parts.join('');
}
