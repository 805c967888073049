/**
 * Where the words of a bar chart go, so that none lands on another: the Compare view's size, latency and
 * accuracy charts are horizontal bars, one row per variant, with the variant's name (and, for latency, its
 * figures) on the left and the value label to the right of its bar, in room kept for it. Text widths are
 * estimated from the character count (no DOM measuring: reading a width forces a layout per label on every redraw). Pure;
 * tested in chart-layout.test.ts.
 */

/** Font size of chart text (px). */
export const CHART_FONT_PX = 12;
/** A row per category: room for two lines of 12 px text and a gap. */
export const BAR_ROW_PX = 38;
/** Above the first row and below the last (the value axis and its tick labels). */
const CHART_TOP_PX = 8;
const CHART_AXIS_PX = 30;

/**
 * A generous estimate of a label's width in px: about 0.62 em per character for the UI's sans-serif
 * (digits and lower case are narrower, so real text fits in it).
 */
export function textWidth(text: string, fontPx = CHART_FONT_PX): number {
  return Math.ceil(text.length * fontPx * 0.62);
}

/** A row with three lines of text (name and two lines of figures, 1.25em apart) and a gap. */
export const BAR_ROW_3_LINES_PX = 52;

/** The chart's height for `rows` bars, each `rowPx` high. */
export function barChartHeight(rows: number, rowPx = BAR_ROW_PX): number {
  return CHART_TOP_PX + Math.max(2, rows) * rowPx + CHART_AXIS_PX;
}

/** Width of the category axis (names on the left): the longest line, within [min, max]. */
export function categoryAxisWidth(lines: readonly string[], min = 72, max = 200): number {
  const widest = Math.max(0, ...lines.map((l) => textWidth(l)));
  return Math.min(max, Math.max(min, widest + 14));
}

/**
 * The label cut to `maxPx` with an ellipsis in the middle, keeping its start and its end (the tooltip and the
 * table have it whole): names that differ only at the end (`tuned: int8-static percentile` and `... (2)`)
 * stay apart, where an ellipsis at the end made them the same.
 */
export function fitLabel(label: string, maxPx: number): string {
  if (textWidth(label) <= maxPx) return label;
  const chars = Math.max(1, Math.floor(maxPx / (CHART_FONT_PX * 0.62)) - 1);
  if (chars < 6) return `${label.slice(0, chars)}…`;
  const tail = Math.floor((chars * 2) / 5);
  return `${label.slice(0, chars - tail).trimEnd()}…${label.slice(label.length - tail).trimStart()}`;
}

/** Room to the right of the plot for the value labels printed after the bars (the longest one fits). */
export function valueLabelRoom(captions: readonly string[]): number {
  return Math.max(16, ...captions.map((c) => textWidth(c) + 12));
}

/**
 * Which tick labels to print on a value axis `plotPx` wide, so that none touches the next: every k-th one,
 * k as small as the widest label allows (the grid keeps a line at every tick, so the axis stays as tight
 * around the bars as before). Returns a label for every tick, empty where it is skipped.
 */
export function thinTickLabels(
  ticks: readonly number[],
  plotPx: number,
  format: (v: number) => string,
): string[] {
  const labels = ticks.map(format);
  if (ticks.length < 2) return labels;
  const widest = Math.max(...labels.map((l) => textWidth(l)));
  const gapPx = plotPx / (ticks.length - 1);
  const every = Math.max(1, Math.ceil((widest + 10) / Math.max(1, gapPx)));
  return labels.map((l, i) => (i % every === 0 ? l : ''));
}
