import { describe, expect, it } from 'vitest';
import {
  barChartHeight,
  barRowPx,
  BAR_ROW_3_LINES_PX,
  BAR_ROW_PX,
  categoryAxisWidth,
  categoryRoom,
  fitLabel,
  nameLines,
  textWidth,
  thinTickLabels,
  valueLabelRoom,
} from './chart-layout.js';
import { textWidth as glyphsWidth } from '../../../shared/chart-labels.js';

describe('bar chart layout', () => {
  it('gives every row room for a name and a line of figures', () => {
    expect(BAR_ROW_PX).toBeGreaterThanOrEqual(2 * 12 * 1.25);
    expect(barChartHeight(6) - barChartHeight(5)).toBe(BAR_ROW_PX);
    expect(barChartHeight(0)).toBe(barChartHeight(2));
  });

  it('sizes the name column to the longest name, within bounds, and cuts what does not fit', () => {
    expect(categoryAxisWidth(['original', 'structured 50%'])).toBeGreaterThanOrEqual(
      glyphsWidth('structured 50%', 12),
    );
    expect(categoryAxisWidth(['a'])).toBe(72);
    expect(categoryAxisWidth(['a very long variant name that nobody would read in full'])).toBe(200);
    expect(fitLabel('int8-dynamic', 200)).toBe('int8-dynamic');
    const cut = fitLabel('0.376 ms ×1.00 of the original’s 0.394 ms', 100);
    expect(cut.endsWith('…')).toBe(true);
    expect(glyphsWidth(cut, 12)).toBeLessThanOrEqual(100);
  });

  it('gives names the room a wide card has, and a second line at a space, never two half-words (user test 13)', () => {
    // The tester's 600 px cards at 1440 px: "structured 10%…g pruned)", "magnitude 30% +…t8-static".
    const axis = categoryAxisWidth(
      ['structured 10% (nothing pruned)', 'magnitude 30% + int8-static'],
      72,
      categoryRoom(600),
    );
    expect(nameLines('structured 10% (nothing pruned)', axis)).toEqual(['structured 10% (nothing pruned)']);
    expect(nameLines('magnitude 30% + int8-static', axis)).toEqual(['magnitude 30% + int8-static']);
    // A narrow card keeps 200 px, and the name goes on two lines at a space.
    expect(categoryRoom(300)).toBe(200);
    expect(nameLines('structured 10% (nothing pruned)', 200)).toEqual(['structured 10% (nothing', 'pruned)']);
    // Longer than two lines: its start and its end, the words between left out at a space.
    const name = 'int8-dynamic with a very long descriptive name for the final classifier layer only';
    const lines = nameLines(name, 200);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.startsWith('… ')).toBe(true);
    expect(lines[1]!.endsWith('layer only')).toBe(true);
    for (const line of lines)
      for (const word of line.split(' ')) expect(word === '…' || name.split(' ').includes(word)).toBe(true);
    // Names that differ only at the end stay apart.
    const a = nameLines('tuned: int8-static percentile 99.99 per-channel with fallback', 130);
    const b = nameLines('tuned: int8-static percentile 99.99 per-channel with fallback (2)', 130);
    expect(a).not.toEqual(b);
    // A row has room for every line: a name on two lines under figures on two more.
    expect(barRowPx(2)).toBe(BAR_ROW_PX);
    expect(barRowPx(3)).toBe(BAR_ROW_3_LINES_PX);
    expect(barRowPx(4)).toBeGreaterThanOrEqual(4 * 12 * 1.25);
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
