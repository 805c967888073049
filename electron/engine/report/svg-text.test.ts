import { describe, expect, it } from 'vitest';
import { textWidth, wrapText } from './svg-text.js';

describe('chart text widths without a browser', () => {
  it('never estimates below what Chromium measures in DejaVu Sans, the widest system-ui fallback', () => {
    // getComputedTextLength() of these in Debian's Chromium (font: 12px / 11px system-ui, sans-serif).
    expect(textWidth('0.586 ms  0.36x (measured 0.583)', 12)).toBeGreaterThanOrEqual(205);
    expect(textWidth('1234567890', 12)).toBeGreaterThanOrEqual(76);
    expect(textWidth('The axis fits the bars: whiskers past 2.5 stop at its end with an arrow (p90 and p99 are in the table).', 11)).toBeGreaterThanOrEqual(553);
    // ...and not far above it (a caption wrapped at half the width would waste the chart's height).
    expect(textWidth('Inputs: image float32 [1, 3, 32, 32].', 11)).toBeLessThan(196 * 1.15);
  });

  it('wraps at spaces to the width, keeping every word, and gives an over-long word a line of its own', () => {
    const text = 'Variants were timed in other runs than the original: each bar is its ratio in its own run.';
    const lines = wrapText(text, 200, 11);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(textWidth(line, 11)).toBeLessThanOrEqual(200);
    expect(lines.join(' ')).toBe(text);
    expect(wrapText('short', 200, 11)).toEqual(['short']);
    expect(wrapText('a '.concat('x'.repeat(80), ' b'), 100, 11)).toEqual(['a', 'x'.repeat(80), 'b']);
  });
});
