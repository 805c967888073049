/** The heading a saved chart carries above its bars: the card's title and caption, wrapped to the image. */
import { describe, expect, it } from 'vitest';
import { textWidth, wrapText } from '../../../shared/chart-labels.js';
import { layoutHeading } from './chart-image.js';

describe('the heading of a saved chart', () => {
  const caption =
    "Measured with onnxruntime-node · cpu on inputs 1x3x48x200. Each variant is timed interleaved with the original in its own run; its ratio is to that run's original p50 (below ×1 is faster). Runs differ, so each bar is normalised to the original's 1.49 ms: its ratio × that p50; the p50 it measured is under it.";

  it('keeps every word of the caption, in order, in lines that fit the width', () => {
    const lines = wrapText(caption, 560, 12, true);
    expect(lines.join(' ')).toBe(caption.replace(/\s+/g, ' '));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(textWidth(line, 12)).toBeLessThanOrEqual(560);
  });

  it('cuts a word longer than a line rather than run it off the image', () => {
    const lines = wrapText(`sha256 ${'a'.repeat(50)}`, 200, 12, true);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(textWidth(line, 12)).toBeLessThanOrEqual(200);
    expect(lines.join('')).toBe(`sha256${'a'.repeat(50)}`);
    // Without breakWords (a chart's own labels), the word keeps a line of its own, whole.
    expect(wrapText(`sha256 ${'a'.repeat(50)}`, 200, 12)).toEqual(['sha256', 'a'.repeat(50)]);
  });

  it('puts the title and the caption (engine, inputs, the normalised note) above the chart', () => {
    const heading = layoutHeading({ title: 'Latency (p50, whiskers to p90 and p99)', caption }, 576);
    expect(heading.title).toEqual(['Latency (p50, whiskers to p90 and p99)']);
    expect(heading.caption.join(' ')).toContain('onnxruntime-node · cpu on inputs 1x3x48x200');
    expect(heading.caption.join(' ')).toContain('normalised to the original');
    expect(heading.height).toBe(8 + 20 + heading.caption.length * 16 + 8);
    // A narrow card wraps into more lines, and takes more room.
    const narrow = layoutHeading({ title: 'Latency (p50, whiskers to p90 and p99)', caption }, 300);
    expect(narrow.caption.length).toBeGreaterThan(heading.caption.length);
    expect(narrow.height).toBeGreaterThan(heading.height);
    expect(layoutHeading({ title: 'File size' }, 576)).toEqual({
      title: ['File size'],
      caption: [],
      height: 36,
    });
  });
});
