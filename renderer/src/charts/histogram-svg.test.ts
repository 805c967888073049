import { describe, expect, it } from 'vitest';
import { histogramAxis } from './histogram-svg.js';
import { spanFormatter } from './tick-labels.js';

describe('the latency histogram’s x axis', () => {
  it('starts at a labelled round tick and writes every label with the same decimals', () => {
    // The user's int8-static run: 30 bins from 0.1037 to 0.2150 ms.
    const bins = Array.from({ length: 30 }, (_, i) => ({
      from: 0.1037 + (i * (0.215 - 0.1037)) / 30,
      to: 0.1037 + ((i + 1) * (0.215 - 0.1037)) / 30,
      count: 1,
    }));
    const axis = histogramAxis(bins);
    // Before: the axis started at the fastest run (0.1037 ms), unlabelled; the first label was 0.15 ms.
    expect(axis.from).toBe(axis.ticks[0]);
    expect(axis.from).toBeLessThanOrEqual(0.1037);
    const label = spanFormatter(axis.ticks, (v, d) => `${v.toFixed(Math.max(d, 1))} ms`);
    // Before: "0.2 ms" beside the other charts' "0.20 ms".
    expect(axis.ticks.map((t) => label(t))).toEqual(['0.10 ms', '0.15 ms', '0.20 ms']);
  });
});
