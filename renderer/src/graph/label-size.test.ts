import { describe, expect, it } from 'vitest';
import { fitLabel, LABEL_FONT_UNITS, labelFontUnits, labelPadUnits, MIN_LABEL_PX } from './label-size.js';
import { LABEL_SCALE } from './opening-view.js';

/** A monospace measure: 6 units a character, like a 12-unit font's average. */
const mono = (s: string) => Array.from(s).length * 6;

describe('labelFontUnits', () => {
  it('keeps the laid-out font at natural size and above', () => {
    expect(labelFontUnits(1)).toBe(LABEL_FONT_UNITS);
    expect(labelFontUnits(2)).toBe(LABEL_FONT_UNITS);
  });

  it('never draws a label smaller than MIN_LABEL_PX on screen, down to where labels stop', () => {
    for (const scale of [LABEL_SCALE, 0.5, 0.6, 0.75]) {
      expect(labelFontUnits(scale) * scale).toBeGreaterThanOrEqual(MIN_LABEL_PX - 1e-9);
    }
    // Fit on a 27-node conv net chain at 1440x900 lands at 0.36; the label used to be 12 * 0.36 = 4.3 px.
    expect(labelFontUnits(0.36) * 0.36).toBeCloseTo(MIN_LABEL_PX);
  });
});

describe('labelPadUnits', () => {
  it('pads 8 units at natural size and 2 px on screen zoomed out, so a short label is not cut for padding', () => {
    expect(labelPadUnits(1)).toBe(8);
    expect(labelPadUnits(0.36) * 0.36).toBeCloseTo(2);
    // The narrowest box (72 units) leaves "Conv" at 8 px (about 21 px wide) its room at LABEL_SCALE.
    expect((72 - 2 * labelPadUnits(LABEL_SCALE)) * LABEL_SCALE).toBeGreaterThan(21);
  });
});

describe('fitLabel', () => {
  it('returns a label that fits unchanged', () => {
    expect(fitLabel('Conv', 24, mono)).toBe('Conv');
  });

  it('cuts a long label to the most characters that fit with an ellipsis', () => {
    const cut = fitLabel('BatchNormalization', 60, mono);
    expect(cut).toBe('BatchNorm…');
    expect(mono(cut)).toBeLessThanOrEqual(60);
    expect(mono('BatchNorma…')).toBeGreaterThan(60);
  });

  it('gives nothing where not even one character and the ellipsis fit', () => {
    expect(fitLabel('Conv', 8, mono)).toBe('');
  });

  it('does not split a character outside the basic plane', () => {
    expect(fitLabel('𝑥𝑦𝑧𝑤', 18, mono)).toBe('𝑥𝑦…');
  });
});
