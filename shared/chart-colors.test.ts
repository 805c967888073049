import { describe, expect, it } from 'vitest';
import {
  chroma,
  closestPair,
  colorDistance,
  MIN_SERIES_CHROMA,
  MIN_SERIES_DISTANCE,
  OTHER_DARK,
  OTHER_LIGHT,
  parseHex,
  SERIES_DARK,
  SERIES_LIGHT,
} from './chart-colors.js';

describe('chart colours', () => {
  it('measures colour distances in CIELAB', () => {
    expect(parseHex('#fff')).toEqual([255, 255, 255]);
    expect(colorDistance('#000000', '#ffffff')).toBeCloseTo(100, 0);
    expect(colorDistance('#2457d6', '#2457d6')).toBe(0);
    expect(chroma('#808080')).toBeLessThan(1);
    expect(chroma('#ff0000')).toBeGreaterThan(80);
    // Two blues that read as one series (the old series 1 and 6 were about this close).
    expect(colorDistance('#2457d6', '#2a5fd0')).toBeLessThan(MIN_SERIES_DISTANCE);
  });

  for (const [theme, series, other] of [
    ['light', SERIES_LIGHT, OTHER_LIGHT],
    ['dark', SERIES_DARK, OTHER_DARK],
  ] as const) {
    it(`gives every category of the ${theme} palette its own colour, and "other" a grey none of them is`, () => {
      expect(series.length).toBeGreaterThanOrEqual(10);
      const { distance, pair } = closestPair(series);
      expect(distance, `${pair.join(' and ')} are too alike`).toBeGreaterThanOrEqual(MIN_SERIES_DISTANCE);
      for (const c of series) {
        expect(chroma(c), `${c} is nearly grey`).toBeGreaterThanOrEqual(MIN_SERIES_CHROMA);
        expect(colorDistance(c, other), `${c} is close to the "other" grey`).toBeGreaterThanOrEqual(25);
      }
      expect(chroma(other)).toBeLessThan(8);
    });
  }
});
