/**
 * Small SVG chart writers for the HTML report: horizontal bars (with whiskers), a scatter with bubble sizes,
 * and overlaid histograms. Output is plain SVG markup with every text escaped, no scripts, no external
 * resources, so the report opens anywhere and passes a strict Content-Security-Policy.
 */

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

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

/** "Nice" axis ticks from 0 (or min) to at least max. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min, min + 1];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
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

/** A horizontal bar chart; `format` writes the value labels. */
export function barChart(options: {
  title: string;
  unit: string;
  rows: BarRow[];
  format?: (v: number) => string;
  tickFormat?: (v: number) => string;
  width?: number;
}): string {
  const { title, unit, rows } = options;
  const format = options.format ?? ((v: number) => `${fmt(v)} ${unit}`);
  const tickFormat = options.tickFormat ?? ((v: number) => fmt(v));
  const width = options.width ?? 760;
  const labelWidth = 190;
  const noteWidth = 170;
  const rowHeight = 30;
  const top = 34;
  const plotWidth = width - labelWidth - noteWidth - 20;
  const height = top + rows.length * rowHeight + 28;
  const max = Math.max(...rows.map((r) => Math.max(r.value, r.whisker?.[1] ?? 0)), 1e-12);
  const ticks = niceTicks(0, max, 4);
  const scaleMax = ticks[ticks.length - 1] ?? max;
  const x = (v: number) => labelWidth + (plotWidth * v) / scaleMax;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(`<text x="0" y="18" class="chart-title">${escapeXml(title)}</text>`);
  for (const t of ticks) {
    const tx = x(t);
    parts.push(
      `<line x1="${tx.toFixed(1)}" y1="${top - 6}" x2="${tx.toFixed(1)}" y2="${height - 24}" class="grid"/>`,
    );
    parts.push(
      `<text x="${tx.toFixed(1)}" y="${height - 8}" text-anchor="middle" class="tick">${escapeXml(tickFormat(t))}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const color = row.color ?? PALETTE[i % PALETTE.length]!;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 19}" text-anchor="end" class="label">${escapeXml(row.label)}</text>`,
    );
    const w = Math.max(0, x(row.value) - labelWidth);
    parts.push(
      `<rect x="${labelWidth}" y="${y + 5}" width="${w.toFixed(1)}" height="${rowHeight - 10}" rx="2" fill="${color}"><title>${escapeXml(`${row.label}: ${format(row.value)}`)}</title></rect>`,
    );
    if (row.whisker) {
      const [lo, hi] = row.whisker;
      const cy = y + rowHeight / 2;
      parts.push(
        `<line x1="${x(lo).toFixed(1)}" y1="${cy}" x2="${x(hi).toFixed(1)}" y2="${cy}" class="whisker"/>`,
      );
      for (const v of [lo, hi])
        parts.push(
          `<line x1="${x(v).toFixed(1)}" y1="${cy - 6}" x2="${x(v).toFixed(1)}" y2="${cy + 6}" class="whisker"/>`,
        );
    }
    const text = row.note ? `${format(row.value)}  ${row.note}` : format(row.value);
    parts.push(`<text x="${width - noteWidth}" y="${y + 19}" class="value">${escapeXml(text)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  /** Bubble area scales with this (e.g. file size). */
  size: number;
  color?: string;
}

/** A scatter plot with bubble sizes (the Pareto view: latency against accuracy, size as area). */
export function scatterChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  points: ScatterPoint[];
  width?: number;
  height?: number;
}): string {
  const { title, xLabel, yLabel, points } = options;
  const width = options.width ?? 760;
  const height = options.height ?? 380;
  const left = 70;
  const right = 30;
  const top = 34;
  const bottom = 50;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xTicks = niceTicks(0, Math.max(...xs) * 1.1 || 1, 5);
  const yMinRaw = Math.min(...ys);
  const yMaxRaw = Math.max(...ys);
  const pad = (yMaxRaw - yMinRaw) * 0.2 || Math.max(Math.abs(yMaxRaw) * 0.02, 0.01);
  const yTicks = niceTicks(yMinRaw - pad, yMaxRaw + pad, 5);
  const x0 = xTicks[0]!;
  const x1 = xTicks[xTicks.length - 1]!;
  const y0 = yTicks[0]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const px = (v: number) => left + ((width - left - right) * (v - x0)) / (x1 - x0 || 1);
  const py = (v: number) => height - bottom - ((height - top - bottom) * (v - y0)) / (y1 - y0 || 1);
  const maxSize = Math.max(...points.map((p) => p.size), 1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(`<text x="0" y="18" class="chart-title">${escapeXml(title)}</text>`);
  for (const t of xTicks) {
    parts.push(
      `<line x1="${px(t).toFixed(1)}" y1="${top}" x2="${px(t).toFixed(1)}" y2="${height - bottom}" class="grid"/>`,
    );
    parts.push(
      `<text x="${px(t).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${escapeXml(fmt(t))}</text>`,
    );
  }
  for (const t of yTicks) {
    parts.push(
      `<line x1="${left}" y1="${py(t).toFixed(1)}" x2="${width - right}" y2="${py(t).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeXml(fmt(t, 4))}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle" class="axis">${escapeXml(xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + height - bottom) / 2})" class="axis">${escapeXml(yLabel)}</text>`,
  );
  points.forEach((p, i) => {
    const r = 5 + 20 * Math.sqrt(p.size / maxSize);
    const color = p.color ?? PALETTE[i % PALETTE.length]!;
    parts.push(
      `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="${r.toFixed(1)}" fill="${color}" fill-opacity="0.55" stroke="${color}"><title>${escapeXml(`${p.label}: ${fmt(p.x)} / ${fmt(p.y, 4)}`)}</title></circle>`,
    );
    // Labels alternate above and below their bubble, so close points do not print over each other.
    const ly = i % 2 === 0 ? py(p.y) - r - 4 : py(p.y) + r + 13;
    parts.push(
      `<text x="${px(p.x).toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="middle" class="label">${escapeXml(p.label)}</text>`,
    );
  });
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
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 760;
  const height = options.height ?? 300;
  const bins = options.bins ?? 40;
  const left = 60;
  const right = 20;
  const top = 34;
  const bottom = 64;
  const all = options.series.flatMap((s) => [...s.values]).sort((a, b) => a - b);
  const lo = all[0] ?? 0;
  // Cut the far tail (above the 99.5th percentile) so one outlier does not squash the distribution.
  const hi = all[Math.min(all.length - 1, Math.floor(all.length * 0.995))] ?? 1;
  const span = hi - lo || Math.max(hi * 0.1, 1e-6);
  const binWidth = span / bins;
  const counts = options.series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) c[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / binWidth)))]! += 1;
    const n = s.values.length || 1;
    return c.map((k) => k / n);
  });
  const maxShare = Math.max(...counts.flat(), 1e-9);
  const xTicks = niceTicks(lo, lo + span, 5).filter((t) => t >= lo - 1e-12 && t <= lo + span + 1e-12);
  const px = (v: number) => left + ((width - left - right) * (v - lo)) / span;
  const py = (share: number) => height - bottom - ((height - top - bottom) * share) / maxShare;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  parts.push(`<title>${escapeXml(options.title)}</title>`);
  parts.push(`<text x="0" y="18" class="chart-title">${escapeXml(options.title)}</text>`);
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
    const color = options.series[i]!.color ?? PALETTE[i % PALETTE.length]!;
    const pts: string[] = [`${px(lo).toFixed(1)},${py(0).toFixed(1)}`];
    c.forEach((share, b) => {
      pts.push(`${px(lo + b * binWidth).toFixed(1)},${py(share).toFixed(1)}`);
      pts.push(`${px(lo + (b + 1) * binWidth).toFixed(1)},${py(share).toFixed(1)}`);
    });
    pts.push(`${px(lo + span).toFixed(1)},${py(0).toFixed(1)}`);
    parts.push(
      `<polyline points="${pts.join(' ')}" fill="${color}" fill-opacity="0.15" stroke="${color}" stroke-width="1.5"/>`,
    );
    const lx = left + (i % 4) * 170;
    const ly = height - 12 - Math.floor(i / 4) * 0;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly}" class="label">${escapeXml(options.series[i]!.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
