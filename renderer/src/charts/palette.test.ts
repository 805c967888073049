import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OTHER_DARK, OTHER_LIGHT, SERIES_DARK, SERIES_LIGHT } from '../../../shared/chart-colors.js';

/** Each `--series-N` ... `--series-other` run of the stylesheet, in order (light, then the two dark ones). */
function stylesheetPalettes(): { series: string[]; other: string }[] {
  const css = readFileSync(new URL('../styles.css', import.meta.url), 'utf8');
  const blocks: { series: string[]; other: string }[] = [];
  let current: string[] = [];
  for (const m of css.matchAll(/--series-(\d+|other):\s*(#[0-9a-fA-F]{3,6})\s*;/g)) {
    if (m[1] === 'other') {
      blocks.push({ series: current, other: m[2]!.toLowerCase() });
      current = [];
    } else current.push(m[2]!.toLowerCase());
  }
  return blocks;
}

describe('chart palette in the stylesheet', () => {
  it('declares the tested palettes of shared/chart-colors.ts (light, dark by the OS, dark by choice)', () => {
    expect(stylesheetPalettes()).toEqual([
      { series: [...SERIES_LIGHT], other: OTHER_LIGHT },
      { series: [...SERIES_DARK], other: OTHER_DARK },
      { series: [...SERIES_DARK], other: OTHER_DARK },
    ]);
  });
});
