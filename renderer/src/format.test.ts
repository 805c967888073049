import { describe, expect, it } from 'vitest';
import { formatNodeCount, formatShape } from './format.js';

describe('formatting', () => {
  it('counts nodes in the singular for one ("then_branch (1 node)", not "1 nodes")', () => {
    expect(formatNodeCount(1)).toBe('1 node');
    expect(formatNodeCount(0)).toBe('0 nodes');
    expect(formatNodeCount(3)).toBe('3 nodes');
  });

  it('writes a shape of zero dims as a scalar', () => {
    expect(formatShape([])).toBe('scalar');
    expect(formatShape([null, 3, 'batch'])).toBe('[?, 3, batch]');
  });
});
