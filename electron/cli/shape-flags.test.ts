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

  it('reads a 0 dim, which the model judges (only a KV cache past length may be 0: resolveInputSpecs)', () => {
    expect(parseShapeFlags(['past=1x2x0x8'], ['past_sequence_length=0']).shapes).toEqual({
      past: [1, 2, 0, 8],
    });
    expect(parseShapeFlags(undefined, ['past_sequence_length=0']).dims).toEqual({ past_sequence_length: 0 });
    expect(refusal(() => parseShapeFlags(['x=1x-2'], undefined)).message).toBe(
      "--shape expects INPUT=1x3x224x224, got 'x=1x-2'.",
    );
    expect(refusal(() => parseShapeFlags(undefined, ['batch=-1'])).message).toContain('with a whole VALUE');
  });
});
