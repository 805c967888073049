import { describe, expect, it } from 'vitest';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';
import { evaluatePlan, ORIGINAL_NEEDS_LABELS } from './queue-evaluate.js';

const synthetic: DatasetSpecInput = { kind: 'synthetic', samples: 32, seed: 0 };
const npyLabelled: DatasetSpecInput = { kind: 'npy', path: '/d/x.npy', labels: '/d/y.npy' };
const npz: DatasetSpecInput = { kind: 'npz', path: '/d/eval.npz' };

describe("Compare's Evaluate button", () => {
  it('is disabled, saying why, with the original alone and data without labels', () => {
    // It said "Evaluate 1 model", was enabled, and a click queued nothing.
    const plan = evaluatePlan([ORIGINAL_TARGET], synthetic);
    expect(plan).toEqual({ targets: [], label: 'Evaluate 0 models', reason: ORIGINAL_NEEDS_LABELS });
  });

  it('counts only what a click queues: the original is left out on data without labels', () => {
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1', 'v2'], synthetic)).toEqual({
      targets: ['v1', 'v2'],
      label: 'Evaluate 2 models',
    });
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1'], { kind: 'npy', path: '/d/x.npy' }).label).toBe(
      'Evaluate 1 model',
    );
  });

  it('counts the original on data with labels, or that may carry them (the data check decides)', () => {
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1'], npyLabelled).targets).toEqual([ORIGINAL_TARGET, 'v1']);
    expect(evaluatePlan([ORIGINAL_TARGET], npz)).toEqual({
      targets: [ORIGINAL_TARGET],
      label: 'Evaluate 1 model',
    });
    // A form that makes no valid spec yet: the click shows its errors, the count is of the chosen.
    expect(evaluatePlan([ORIGINAL_TARGET], null).targets).toEqual([ORIGINAL_TARGET]);
  });

  it('asks for a model when none is chosen', () => {
    expect(evaluatePlan([], npz)).toMatchObject({
      targets: [],
      reason: 'Choose at least one model to evaluate.',
    });
  });
});
