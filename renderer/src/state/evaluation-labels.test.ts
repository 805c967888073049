import { describe, expect, it } from 'vitest';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { evaluationLabelsOf, measuresNothingFound } from './evaluation-labels.js';
import { CLASSIFIER_SUMMARY, LM_SUMMARY } from './test-fixtures.js';

const ids: DatasetSpecInput = { kind: 'npy', path: '/d/ids.npy' };
const labelled: DatasetSpecInput = { kind: 'npy', path: '/d/x.npy', labels: '/d/y.npy' };
const synthetic: DatasetSpecInput = { kind: 'synthetic', samples: 8, seed: 0 };
const jsonl: DatasetSpecInput = { kind: 'jsonl', path: '/d/ids.jsonl' };

describe("Optimize's evaluation labels, for Auto-optimize's budget", () => {
  it("takes a language model's real ids as its labels (an accuracy budget of next-token accuracy)", () => {
    // Before: 'none', and only the cosine budget was offered, though tune grades a language model on its ids.
    expect(evaluationLabelsOf(ids, undefined, LM_SUMMARY)).toBe('own-ids');
    // A checked .jsonl found without labels: the same.
    expect(evaluationLabelsOf(jsonl, {}, LM_SUMMARY)).toBe('own-ids');
  });

  it('refuses synthetic ids, and data without labels for other models', () => {
    expect(evaluationLabelsOf(synthetic, undefined, LM_SUMMARY)).toBe('none');
    expect(evaluationLabelsOf(synthetic, {}, LM_SUMMARY)).toBe('none');
    expect(evaluationLabelsOf(ids, undefined, CLASSIFIER_SUMMARY)).toBe('none');
    expect(evaluationLabelsOf(jsonl, {}, CLASSIFIER_SUMMARY)).toBe('none');
    // Not inspected yet: no language model.
    expect(evaluationLabelsOf(ids, undefined, undefined)).toBe('none');
  });

  it('reads labels as before: a labels file, a check that found them; unknown until a check of a kind that may hold them', () => {
    expect(evaluationLabelsOf(labelled, undefined, LM_SUMMARY)).toBe('present');
    expect(evaluationLabelsOf(jsonl, { labels: { min: 0, max: 9 } }, CLASSIFIER_SUMMARY)).toBe('present');
    expect(evaluationLabelsOf(jsonl, undefined, CLASSIFIER_SUMMARY)).toBe('unknown');
    expect(evaluationLabelsOf(jsonl, undefined, LM_SUMMARY)).toBe('unknown');
    expect(evaluationLabelsOf(undefined, undefined, LM_SUMMARY)).toBe('unknown');
  });

  it('applies the shared rule to what the data check found', () => {
    expect(measuresNothingFound(jsonl, LM_SUMMARY)).toBe(false);
    expect(measuresNothingFound(jsonl, CLASSIFIER_SUMMARY, false)).toBe(true);
    expect(measuresNothingFound(jsonl, LM_SUMMARY, false)).toBe(false);
    expect(measuresNothingFound(synthetic, LM_SUMMARY, false)).toBe(true);
    expect(measuresNothingFound(ids, CLASSIFIER_SUMMARY, true)).toBe(false);
  });
});
