import { describe, expect, it } from 'vitest';
import type { DatasetIdentity, EvalRecord } from '../../../shared/workspace.js';
import {
  accuracyDrop,
  formatDrop,
  isNotableDrop,
  latestAccuracy,
  variantAccuracyDrop,
} from './accuracy-drop.js';

const digits: DatasetIdentity = { name: 'test-inputs.npy', samples: 360, sha256: 'a'.repeat(64) };
const other: DatasetIdentity = { name: 'val.npy', samples: 100, sha256: 'b'.repeat(64) };

function evaluation(target: string, accuracy: number | undefined, dataset?: DatasetIdentity): EvalRecord {
  return {
    id: `e-${target}-${accuracy}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    target,
    ...(dataset ? { dataset } : {}),
    report: {
      model: target,
      data: 'x',
      samples: 360,
      task: accuracy === undefined ? 'none' : 'classification',
      taskReason: '',
      output: 'logits',
      seconds: 1,
      samplesPerSecond: 1,
      timing: { dataMs: 0, inferenceMs: 0, referenceMs: 0 },
      notes: [],
      ...(accuracy !== undefined ? { accuracy } : {}),
    },
  };
}

describe('accuracy drop', () => {
  it('is the points lost against the original, on the same data', () => {
    // The digits classifier pruned 50% structured, one-shot.
    expect(
      accuracyDrop({ accuracy: 0.44, dataset: digits }, { accuracy: 0.991, dataset: digits }),
    ).toBeCloseTo(55.1, 6);
    expect(accuracyDrop({ accuracy: 0.995 }, { accuracy: 0.991 })).toBeCloseTo(-0.4, 6);
    expect(accuracyDrop(undefined, { accuracy: 0.9 })).toBeUndefined();
    expect(accuracyDrop({ accuracy: 0.9 }, undefined)).toBeUndefined();
    // Two datasets do not make a drop.
    expect(
      accuracyDrop({ accuracy: 0.44, dataset: other }, { accuracy: 0.991, dataset: digits }),
    ).toBeUndefined();
  });

  it('warns above one point, with a true minus sign', () => {
    expect(isNotableDrop(55.1)).toBe(true);
    expect(isNotableDrop(1.2)).toBe(true);
    expect(isNotableDrop(1)).toBe(false);
    expect(isNotableDrop(0.3)).toBe(false);
    expect(isNotableDrop(-4)).toBe(false);
    expect(isNotableDrop(undefined)).toBe(false);
    expect(formatDrop(55.1)).toBe('−55.1 pts accuracy');
  });

  it("finds a variant's drop in the workspace's evaluations", () => {
    const records = [
      evaluation('original', 0.9, other),
      evaluation('original', 0.991, digits),
      evaluation('v-1', 0.5, digits),
      evaluation('v-1', undefined, digits), // a fidelity-only evaluation later: the accuracy stays
      evaluation('v-2', 0.989, digits),
    ];
    expect(latestAccuracy(records, 'original')?.accuracy).toBe(0.991);
    expect(latestAccuracy(records, 'original', other)?.accuracy).toBe(0.9);
    expect(variantAccuracyDrop(records, 'v-1')).toBeCloseTo(49.1, 6);
    expect(variantAccuracyDrop(records, 'v-2')).toBeCloseTo(0.2, 6);
    expect(variantAccuracyDrop(records, 'v-3')).toBeUndefined();
    // The original measured on other data only: no drop to show.
    expect(
      variantAccuracyDrop([evaluation('original', 0.9, other), evaluation('v-1', 0.5, digits)], 'v-1'),
    ).toBeUndefined();
  });
});
