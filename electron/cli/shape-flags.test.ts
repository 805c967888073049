import { describe, expect, it } from 'vitest';
import { StudioError } from '../engine/errors.js';
import { parseShapeFlags } from './shape-flags.js';

function refusal(f: () => unknown): StudioError {
  try {
    f();
  } catch (error) {
    if (error instanceof StudioError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('--shape, --dim and --value', () => {
  it('reads whole shapes, dim sizes and values', () => {
    expect(parseShapeFlags(['x=1x3x48x320', 'mask=2,7'], ['batch=4'], ['sr=16000', 'ids=0:99'])).toEqual({
      shapes: { x: [1, 3, 48, 320], mask: [2, 7] },
      dims: { batch: 4 },
      values: { sr: { kind: 'constant', value: 16000 }, ids: { kind: 'range', min: 0, max: 99 } },
      origin: 'flags',
    });
  });

  it('refuses a 0 dim in --shape as --dim does (a user test benchmarked an empty tensor and calibrated on none)', () => {
    const e = refusal(() => parseShapeFlags(['x=0x256'], undefined));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe("--shape expects every dim >= 1 (as --dim does), got 'x=0x256'.");
    expect(refusal(() => parseShapeFlags(undefined, ['batch=0'])).message).toContain('VALUE >= 1');
  });
});
