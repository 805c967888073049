/**
 * What evaluation data measures a model with by itself (without a reference to compare it with): its labels, or,
 * for a language model on real token ids, its own ids (eval's next-token task). The rule is shared/own-ids.ts
 * `measuresNothingAlone`; this module applies it to what the page knows, the spec and, once the data check ran,
 * whether it found labels. Zod-free, like the rule.
 */
import { datasetLacksLabels } from '../../../shared/dataset-labels.js';
import { measuresNothingAlone, ownIdsGraded } from '../../../shared/own-ids.js';

/** The model as the rule reads it: its summary's inputs and outputs (undefined: not inspected yet). */
export type OwnIdsModel = Parameters<typeof measuresNothingAlone>[1];

/** A dataset spec by the fields the rule reads. */
type SpecLike = { kind: string; labels?: unknown };

/**
 * `measuresNothingAlone` once the data check said whether the data has labels (`labelled`; undefined where it has
 * not run: the spec says what it can). Found without labels, only a language model's real ids measure it
 * (`ownIdsGraded`, the rule's other half).
 */
export function measuresNothingFound(spec: SpecLike, model: OwnIdsModel, labelled?: boolean): boolean {
  if (labelled === undefined) return measuresNothingAlone(spec, model);
  return !labelled && !ownIdsGraded(spec, model);
}

/**
 * Whether the evaluation data has labels: `own-ids` where it has none but a language model's real ids grade it
 * (next-token accuracy), `unknown` until a check of data whose kind may carry labels says.
 */
export type EvaluationLabels = 'present' | 'own-ids' | 'none' | 'unknown';

/**
 * What the data's last check found when it is of this very spec (`check`), else what the spec says: synthetic data
 * and a .npy without a labels file have none, a labels file is labels, the other kinds may carry them inside.
 */
export function evaluationLabelsOf(
  spec: SpecLike | undefined,
  check: { labels?: unknown } | undefined,
  model: OwnIdsModel,
): EvaluationLabels {
  if (!spec) return 'unknown';
  if (check?.labels) return 'present';
  if (!check && !datasetLacksLabels(spec)) return spec.labels ? 'present' : 'unknown';
  return measuresNothingFound(spec, model, check ? false : undefined) ? 'none' : 'own-ids';
}
