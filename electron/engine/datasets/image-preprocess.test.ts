/**
 * Which values of an image reading are marked as not given: a size of which the model fixed one side and the user
 * gave the other (`[1, 3, 224, 'W']` with `--dim W=300`) was marked as the model's as a whole, the given width too.
 */
import { describe, expect, it } from 'vitest';
import { imageReadingMarkedText } from '../../../shared/image-reading.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { planImageInput } from './image-preprocess.js';

const input = (declared: (number | string)[], dims: number[], guessedAxes?: number[]): ResolvedInput => ({
  name: 'image',
  elemType: 1,
  ortType: 'float32',
  declared,
  dims,
  ...(guessedAxes ? { guessedAxes } : {}),
});

describe('an image reading marks the size', () => {
  it('per side where the model fixed one side and the user gave the other', () => {
    const { reading } = planImageInput(input([1, 3, 224, 'W'], [1, 3, 224, 300]));
    expect(reading.size).toEqual([224, 300]);
    expect(reading.defaulted).toMatchObject({ height: 'model' });
    expect(reading.defaulted).not.toHaveProperty('size');
    expect(reading.defaulted).not.toHaveProperty('width');
    expect(imageReadingMarkedText(reading)).toBe(
      '224 (model input) x 300 · rgb nchw (model input) · stretch (bilinear), scale 1/255, mean 0, std 1 (defaults) · float32 (model input)',
    );
  });

  it('as a whole where the model fixed both sides, and not at all where the user gave both', () => {
    const fixed = planImageInput(input([1, 3, 224, 224], [1, 3, 224, 224])).reading;
    expect(fixed.defaulted).toMatchObject({ size: 'model' });
    expect(fixed.defaulted).not.toHaveProperty('height');
    expect(imageReadingMarkedText(fixed)).toMatch(/^224x224 rgb nchw \(model input\) · /);
    const given = planImageInput(input([1, 3, 'H', 'W'], [1, 3, 128, 96])).reading;
    for (const key of ['size', 'height', 'width']) expect(given.defaulted).not.toHaveProperty(key);
    expect(imageReadingMarkedText(given)).toMatch(/^128x96 · rgb nchw \(model input\) · /);
  });
});
