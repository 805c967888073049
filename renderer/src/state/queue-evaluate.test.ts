import { describe, expect, it } from 'vitest';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';
import {
  checkedTargets,
  evaluatePlan,
  ORIGINAL_NEEDS_LABELS,
  ORIGINAL_NEEDS_REAL_IDS,
  ORIGINAL_ON_OWN_IDS,
} from './queue-evaluate.js';
import { CLASSIFIER_SUMMARY, LM_SUMMARY } from './test-fixtures.js';

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

  it('leaves the original out once the data check finds no labels, saying why in the words the button uses', () => {
    const chosen = [ORIGINAL_TARGET, 'v1'];
    const plan = evaluatePlan(chosen, npz);
    expect(checkedTargets(chosen, plan, true)).toEqual({ targets: [ORIGINAL_TARGET, 'v1'] });
    const unlabelled = checkedTargets(chosen, plan, false);
    expect(unlabelled.targets).toEqual(['v1']);
    // One declaration of why: the note and the disabled button's reason say the same thing.
    const why =
      'the original is evaluated only on data with labels (without, it is the reference its variants are compared with)';
    expect(unlabelled.note).toBe(`The data has no labels: ${why}.`);
    expect(ORIGINAL_NEEDS_LABELS.toLowerCase()).toContain(why);
    // The original not chosen: nothing left out, nothing to say.
    expect(checkedTargets(['v1'], evaluatePlan(['v1'], npz), false)).toEqual({ targets: ['v1'] });
  });
});

describe("Compare's Evaluate button on a language model's own token ids", () => {
  const ids: DatasetSpecInput = { kind: 'npy', path: '/d/ids.npy' };

  it('counts and evaluates the original on real ids without labels: they grade it (next-token accuracy)', () => {
    // Before, the original was left out of any data without labels, a language model's ids too.
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1'], ids, LM_SUMMARY)).toEqual({
      targets: [ORIGINAL_TARGET, 'v1'],
      label: 'Evaluate 2 models',
    });
    expect(evaluatePlan([ORIGINAL_TARGET], ids, LM_SUMMARY)).toEqual({
      targets: [ORIGINAL_TARGET],
      label: 'Evaluate 1 model',
    });
  });

  it('leaves it out of synthetic ids (random: they grade nothing), saying real ids would do', () => {
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1'], synthetic, LM_SUMMARY).targets).toEqual(['v1']);
    expect(evaluatePlan([ORIGINAL_TARGET], synthetic, LM_SUMMARY)).toEqual({
      targets: [],
      label: 'Evaluate 0 models',
      reason: ORIGINAL_NEEDS_REAL_IDS,
    });
    expect(ORIGINAL_NEEDS_REAL_IDS).toContain('real token ids');
  });

  it('keeps the rule for other models, and for a model not inspected yet', () => {
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1'], ids, CLASSIFIER_SUMMARY).targets).toEqual(['v1']);
    expect(evaluatePlan([ORIGINAL_TARGET], ids, CLASSIFIER_SUMMARY).reason).toBe(ORIGINAL_NEEDS_LABELS);
    expect(evaluatePlan([ORIGINAL_TARGET, 'v1'], ids, undefined).targets).toEqual(['v1']);
  });

  it('keeps the original once the data check finds no labels in data that may carry them, and says why', () => {
    const chosen = [ORIGINAL_TARGET, 'v1'];
    const lm = checkedTargets(chosen, evaluatePlan(chosen, npz, LM_SUMMARY), false, npz, LM_SUMMARY);
    expect(lm).toEqual({ targets: [ORIGINAL_TARGET, 'v1'], note: ORIGINAL_ON_OWN_IDS });
    expect(ORIGINAL_ON_OWN_IDS).toContain('graded on its own token ids (next-token accuracy');
    // The same .npz on a classifier: left out, in the words the button uses.
    const classifier = checkedTargets(
      chosen,
      evaluatePlan(chosen, npz, CLASSIFIER_SUMMARY),
      false,
      npz,
      CLASSIFIER_SUMMARY,
    );
    expect(classifier.targets).toEqual(['v1']);
    expect(classifier.note).toMatch(
      /^The data has no labels: the original is evaluated only on data with labels/,
    );
    // A variant alone on the ids: nothing to say.
    expect(checkedTargets(['v1'], evaluatePlan(['v1'], ids, LM_SUMMARY), false, ids, LM_SUMMARY)).toEqual({
      targets: ['v1'],
    });
  });
});
