import { describe, expect, it } from 'vitest';
import type { DatasetIdentity, EvalRecord, PipelineRecord } from '../../../shared/workspace.js';
import {
  accuracyDrop,
  formatDrop,
  isNotableDrop,
  latestAccuracy,
  pipelineAccuracyDrop,
  pipelineDropTitle,
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
    // A pipeline with no evaluation of its own shows the variant's latest.
    const drop = (evaluations: EvalRecord[], variant: string) =>
      pipelineAccuracyDrop(evaluations, { variant, steps: [] })?.points;
    expect(drop(records, 'v-1')).toBeCloseTo(49.1, 6);
    expect(drop(records, 'v-2')).toBeCloseTo(0.2, 6);
    expect(drop(records, 'v-3')).toBeUndefined();
    // The original measured on other data only: no drop to show.
    expect(drop([evaluation('original', 0.9, other), evaluation('v-1', 0.5, digits)], 'v-1')).toBeUndefined();
  });

  it("shows a pipeline its own evaluation's drop, on that evaluation's data, and names it", () => {
    // The user test: int8-static evaluated by its pipeline on cnn_eval.npz (66.67%, -33.3 pts), later in Compare
    // on imgs (70%, -30.0 pts); the badge showed -30.0 pts and said "the same labelled data" without naming it.
    const evalSet: DatasetIdentity = { name: 'cnn_eval.npz', samples: 60, sha256: 'c'.repeat(64) };
    const imgs: DatasetIdentity = { name: 'imgs', samples: 30, sha256: 'd'.repeat(64) };
    const own = { ...evaluation('v-int8', 2 / 3, evalSet), id: 'e-own' };
    const records = [
      evaluation('original', 1, evalSet),
      own,
      evaluation('original', 1, imgs),
      evaluation('v-int8', 0.7, imgs),
    ];
    const steps = (evaluate: Partial<PipelineRecord['steps'][number]> | undefined) =>
      [
        { kind: 'make', title: 'Quantize: int8-static', status: 'done' },
        ...(evaluate
          ? [{ kind: 'evaluate', title: 'Evaluate int8-static', status: 'done', ...evaluate }]
          : []),
      ] as PipelineRecord['steps'];
    const ownDrop = pipelineAccuracyDrop(records, {
      variant: 'v-int8',
      steps: steps({ recordId: 'e-own' }),
    })!;
    expect(ownDrop.points).toBeCloseTo(33.33, 2);
    expect(formatDrop(ownDrop.points)).toBe('−33.3 pts accuracy');
    expect(pipelineDropTitle(ownDrop)).toBe(
      "Accuracy lost in this pipeline's evaluation: 66.67% on cnn_eval.npz (60 samples), against the original's 100.00% on the same data.",
    );
    // A step recorded before steps kept their record: the variant's first evaluation is the step's.
    expect(pipelineAccuracyDrop(records, { variant: 'v-int8', steps: steps({}) })!.points).toBeCloseTo(
      33.33,
      2,
    );
    // No evaluation step, or one that did not finish: the latest evaluation, and the tooltip says so.
    const latest = pipelineAccuracyDrop(records, { variant: 'v-int8', steps: steps(undefined) })!;
    expect(latest.points).toBeCloseTo(30, 6);
    expect(pipelineDropTitle(latest)).toBe(
      "Not measured by this pipeline (it has no evaluation step): the variant's latest evaluation, 70.00% on imgs (30 samples), against the original's 100.00% on the same data.",
    );
    const failed = pipelineAccuracyDrop(records, { variant: 'v-int8', steps: steps({ status: 'failed' }) })!;
    expect(pipelineDropTitle(failed)).toMatch(
      /^Not measured by this pipeline \(its evaluation did not finish\)/,
    );
    // Its own evaluation had no labels: no drop of its own, not another evaluation's.
    const unlabelled = [...records, { ...evaluation('v-int8', undefined, evalSet), id: 'e-plain' }];
    expect(
      pipelineAccuracyDrop(unlabelled, { variant: 'v-int8', steps: steps({ recordId: 'e-plain' }) }),
    ).toBeUndefined();
  });
});
