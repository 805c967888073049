import { describe, expect, it } from 'vitest';
import {
  barChartHeight,
  BAR_ROW_PX,
  categoryAxisWidth,
  fitLabel,
  textWidth,
  thinTickLabels,
  valueLabelRoom,
} from './chart-layout.js';

describe('bar chart layout', () => {
  it('gives every row room for a name and a line of figures', () => {
    expect(BAR_ROW_PX).toBeGreaterThanOrEqual(2 * 12 * 1.25);
    expect(barChartHeight(6) - barChartHeight(5)).toBe(BAR_ROW_PX);
    expect(barChartHeight(0)).toBe(barChartHeight(2));
  });

  it('sizes the name column to the longest name, within bounds, and cuts what does not fit', () => {
    expect(categoryAxisWidth(['original', 'structured 50%'])).toBeGreaterThanOrEqual(
      textWidth('structured 50%'),
    );
    expect(categoryAxisWidth(['a'])).toBe(72);
    expect(categoryAxisWidth(['a very long variant name that nobody would read in full'])).toBe(200);
    expect(fitLabel('int8-dynamic', 200)).toBe('int8-dynamic');
    const cut = fitLabel('a very long variant name that nobody would read in full', 100);
    expect(cut).toContain('…');
    expect(cut.endsWith('full')).toBe(true);
    expect(textWidth(cut)).toBeLessThanOrEqual(100);
    // Two names that differ only at the end stay apart when cut (an ellipsis at the end made them one).
    const a = fitLabel('tuned: int8-static percentile 99.99', 130);
    const b = fitLabel('tuned: int8-static percentile 99.999', 130);
    expect(a).not.toBe(b);
    expect(textWidth(b)).toBeLessThanOrEqual(130);
  });

  it('keeps room right of the plot for the longest value label', () => {
    expect(valueLabelRoom(['293.0 KiB', '146.6 KiB ×0.50'])).toBeGreaterThan(textWidth('146.6 KiB ×0.50'));
    expect(valueLabelRoom([])).toBe(16);
  });

  it('labels as many ticks as fit, never two closer than a label', () => {
    const ticks = [0, 0.05, 0.1, 0.15, 0.2, 0.25];
    const format = (v: number) => `${v.toFixed(2)} ms`;
    expect(thinTickLabels(ticks, 800, format)).toEqual(ticks.map(format));
    for (const plotPx of [80, 160, 240, 320, 400, 600]) {
      const labels = thinTickLabels(ticks, plotPx, format);
      expect(labels[0]).toBe('0.00 ms');
      const shown = labels.flatMap((l, i) => (l ? [i] : []));
      const gapPx = (plotPx / (ticks.length - 1)) * ((shown[1] ?? Infinity) - (shown[0] ?? 0));
      expect(gapPx, `${plotPx}px: ${labels.join('|')}`).toBeGreaterThanOrEqual(textWidth('0.00 ms'));
    }
    expect(thinTickLabels(ticks, 160, format).filter(Boolean).length).toBeLessThan(ticks.length);
  });
});
