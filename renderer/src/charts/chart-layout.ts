/**
 * Where the words of a bar chart go, so that none lands on another: the Compare view's size, latency and
 * accuracy charts are horizontal bars, one row per variant, with the variant's name (and, for latency, its
 * figures) on the left and the value label to the right of its bar, in room kept for it. Text widths are
 * estimated from the character count (no DOM measuring: reading a width forces a layout per label on every redraw). Pure;
 * tested in chart-layout.test.ts. Names are laid out as the report lays out its own (shared/chart-labels.ts): with
 * the room the card has, on two lines where one is not enough, never cut into two half-words.
 */
import { fitLine, labelLines, textWidth as glyphsWidth } from '../../../shared/chart-labels.js';

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

/** A row's height for `lines` lines of text (a name on two lines, figures under it): two fit in `BAR_ROW_PX`. */
export function barRowPx(lines: number): number {
  return BAR_ROW_PX + (BAR_ROW_3_LINES_PX - BAR_ROW_PX) * Math.max(0, lines - 2);
}

/** The chart's height for `rows` bars, each `rowPx` high. */
export function barChartHeight(rows: number, rowPx = BAR_ROW_PX): number {
  return CHART_TOP_PX + Math.max(2, rows) * rowPx + CHART_AXIS_PX;
}

/** The category tick's room for its text: the axis width less its gap to the axis (recharts-support.tsx). */
const TICK_GAP_PX = 14;

/**
 * The most a chart `chartPx` wide gives its names: 200 px, or two fifths of a wide card's width ("structured 10%
 * (nothing pruned)" was cut at 200 px in a 600 px card at 1440 px).
 */
export function categoryRoom(chartPx: number): number {
  return Math.max(200, Math.round(chartPx * 0.4));
}

/**
 * Width of the category axis (names on the left): the longest line, within [min, max] (`categoryRoom` of the
 * chart's width). A name wider than that goes on two lines (`nameLines`).
 */
export function categoryAxisWidth(lines: readonly string[], min = 72, max = 200): number {
  const widest = Math.max(0, ...lines.map((l) => glyphsWidth(l, CHART_FONT_PX)));
  return Math.min(max, Math.max(min, Math.ceil(widest) + TICK_GAP_PX));
}

/**
 * A category's name in the axis `axisPx` wide: one line where it fits, else two broken at a space, its middle
 * words left out ("…") only where two lines are not enough (shared/chart-labels.ts `labelLines`); never two
 * half-words. The tooltip has it whole.
 */
export function nameLines(label: string, axisPx: number): string[] {
  return labelLines(label, axisPx - TICK_GAP_PX, CHART_FONT_PX);
}

/** A line of figures under a name, whole where it fits in `maxPx`, else cut at its end ("…"). */
export function fitLabel(label: string, maxPx: number): string {
  return fitLine(label, maxPx, CHART_FONT_PX);
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
