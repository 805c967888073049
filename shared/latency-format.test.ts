import { describe, expect, it } from 'vitest';
import { formatLatencyRatio, formatMs, formatRatio, ratioBaseToShow } from './latency-format.js';

describe('latency figures in words, for the app and the report', () => {
  it('prints ms with 3 significant digits and ratios with enough to tell them apart', () => {
    expect([
      formatMs(0.0447),
      formatMs(0.286),
      formatMs(1.234),
      formatMs(123.4),
      formatMs(undefined),
    ]).toEqual(['0.0447 ms', '0.286 ms', '1.23 ms', '123 ms', '–']);
    expect([formatRatio(0.054), formatRatio(1.239), formatRatio(12.34), formatRatio(undefined)]).toEqual([
      '×0.054',
      '×1.24',
      '×12.3',
      '–',
    ]);
  });

  it("adds the ratio's base only where it does not print as the original's row", () => {
    expect(ratioBaseToShow(0.286, 0.491)).toBe(0.286);
    expect(ratioBaseToShow(0.4912, 0.491)).toBeUndefined();
    expect(formatLatencyRatio(1.2378, 0.286, 0.491)).toBe("×1.24 of the original's 0.286 ms");
    expect(formatLatencyRatio(0.98, 0.491, 0.491)).toBe('×0.98');
    expect(formatLatencyRatio(undefined, 0.286, 0.491)).toBe('–');
  });
});
