import { describe, expect, it } from 'vitest';
import { StudioError } from '../engine/errors.js';
import { valueFlagText } from '../../shared/cli-command.js';
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

  it("reads positions for a decoder's position_ids, from 0 or after a past, as the reproduced command writes them", () => {
    expect(
      parseShapeFlags(undefined, undefined, ['position_ids=positions', 'pos=positions+5']).values,
    ).toEqual({
      position_ids: { kind: 'positions', start: 0 },
      pos: { kind: 'positions', start: 5 },
    });
    for (const v of [
      { kind: 'positions', start: 0 },
      { kind: 'positions', start: 7 },
      { kind: 'constant', value: 16000 },
      { kind: 'range', min: 0, max: 99 },
    ] as const)
      expect(parseShapeFlags(undefined, undefined, [`x=${valueFlagText(v)}`]).values).toEqual({ x: v });
    for (const bad of ['p=positions-1', 'p=positions+1.5', 'p=positions+', 'p=position'])
      expect(refusal(() => parseShapeFlags(undefined, undefined, [bad])).message).toBe(
        `--value expects INPUT=VALUE, INPUT=MIN:MAX (MIN <= MAX), INPUT=true or false, INPUT=positions or INPUT=positions+N (N whole), got '${bad}'.`,
      );
  });

  it("reads a bool's value in words, as the app's form shows it (a user typed use_cache_branch=false)", () => {
    expect(parseShapeFlags(undefined, undefined, ['use_cache_branch=false', 'flag=TRUE']).values).toEqual({
      use_cache_branch: { kind: 'constant', value: 0 },
      flag: { kind: 'constant', value: 1 },
    });
  });
});
