import { describe, expect, it } from 'vitest';
import { sbatchQuote } from './scheduler-files.js';

describe('sbatchQuote: a path on an #SBATCH line', () => {
  it('quotes by sbatch\'s rules: spaces kept inside double quotes, # and " escaped', () => {
    expect(sbatchQuote('/data/swéep d\'ir #1 "x"')).toBe('"/data/swéep d\'ir \\#1 \\"x\\""');
  });

  it('refuses what an #SBATCH line cannot hold: a line break, and a backslash (it turns off %A/%a in log names)', () => {
    expect(() => sbatchQuote('/data/a\nb')).toThrow(/line break/);
    expect(() => sbatchQuote('/data/a\\b')).toThrow(/backslash in its path, which turns off Slurm's %A\/%a/);
  });
});
