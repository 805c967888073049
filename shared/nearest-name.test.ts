import { describe, expect, it } from 'vitest';
import { nearestName } from './nearest-name.js';

describe('nearestName', () => {
  it('prefers a name that starts with or contains what was typed over one as few edits away', () => {
    const nodes = ['l0_gd', 'l0_q_mm', 'l0_k_mm', 'l1_q_mm'];
    expect(nearestName('l0_q', nodes)).toBe('l0_q_mm');
    expect(nearestName('q_mm', ['l0_gd', 'l1_q_mm', 'l0_k_mm'])).toBe('l1_q_mm');
    // The shortest of several, case aside.
    expect(nearestName('CONV', ['conv_block_2', 'conv1', 'bn1'])).toBe('conv1');
  });

  it('keeps the other rules: the same name case aside, else within two edits, else nothing', () => {
    expect(nearestName('Iterations', ['iterations', 'warmup'])).toBe('iterations');
    expect(nearestName('iteratons', ['iterations', 'warmup'])).toBe('iterations');
    expect(nearestName('xyz', ['iterations', 'warmup'])).toBeUndefined();
    // Two letters are too few to read as the start of a name.
    expect(nearestName('ep', ['epsilon', 'steps'])).toBeUndefined();
  });
});
