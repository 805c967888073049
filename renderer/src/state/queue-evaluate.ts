/**
 * What Compare's Evaluate button will queue, decided before the click: the original is evaluated only on data
 * with labels, or a language model's real token ids (graded on themselves: next-token accuracy); without, it is
 * the reference its variants' fidelity is measured against. So with the original alone chosen and synthetic data
 * (the form's default) the button said "Evaluate 1 model", was enabled, and queued nothing. The button's count,
 * whether it is enabled and the reason when it is not all come from here, and so do the targets the click queues.
 * The rule is shared/own-ids.ts `measuresNothingAlone` (evaluation-labels.ts). Plain functions, tested without
 * React (queue-evaluate.test.ts).
 */
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { gradesOwnIds } from '../../../shared/own-ids.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';
import { measuresNothingFound, type OwnIdsModel } from './evaluation-labels.js';
import { GRADED_ON_OWN_IDS } from './quality-words.js';

export interface EvaluatePlan {
  /** The targets a click evaluates, in the order chosen. */
  targets: string[];
  /** The button's words: `Evaluate 2 models`. */
  label: string;
  /** Why nothing can be evaluated (the button is disabled and this is shown beside it); absent otherwise. */
  reason?: string;
}

/** Why the original is left out on data without labels, said once for the button and for the data check's note. */
const ORIGINAL_ONLY_WITH_LABELS =
  'the original is evaluated only on data with labels (without, it is the reference its variants are compared with)';

/** Said when the original alone is chosen and the data certainly has no labels. */
export const ORIGINAL_NEEDS_LABELS = `${ORIGINAL_ONLY_WITH_LABELS[0]!.toUpperCase()}${ORIGINAL_ONLY_WITH_LABELS.slice(1)}: choose a variant, or data with labels.`;

/**
 * Said instead when the model is a language model and the data synthetic: random ids grade nothing, and real ids
 * (a .npy of token ids, no labels needed) would.
 */
export const ORIGINAL_NEEDS_REAL_IDS =
  "Synthetic ids are random and grade nothing: a language model's original is evaluated on real token ids (a .npy " +
  'of ids, no labels needed) or data with labels. Choose a variant, or such data.';

/** The note when the data check found no labels but the original is evaluated anyway, on its own ids. */
export const ORIGINAL_ON_OWN_IDS = `The data has no labels: ${GRADED_ON_OWN_IDS}, so the original is evaluated too.`;

/**
 * The plan for the chosen targets and the form's data (`null` while the form does not make a valid spec: the
 * count is then of the chosen, and the click shows the form's errors), for the model the page has open (its
 * summary; undefined: not inspected yet). Data that may carry labels inside (a .npz, a .jsonl, an image folder)
 * counts the original: the data check decides, and the page says so if not. A language model's real ids count
 * it too: they grade it without labels.
 */
export function evaluatePlan(
  chosen: readonly string[],
  data: DatasetSpecInput | null,
  model?: OwnIdsModel,
): EvaluatePlan {
  const unlabelled = data !== null && measuresNothingFound(data, model);
  const targets = unlabelled ? chosen.filter((t) => t !== ORIGINAL_TARGET) : [...chosen];
  const label = `Evaluate ${targets.length} ${targets.length === 1 ? 'model' : 'models'}`;
  if (targets.length > 0) return { targets, label };
  const reason =
    chosen.length === 0
      ? 'Choose at least one model to evaluate.'
      : data?.kind === 'synthetic' && model !== undefined && gradesOwnIds(model)
        ? ORIGINAL_NEEDS_REAL_IDS
        : ORIGINAL_NEEDS_LABELS;
  return { targets, label, reason };
}

/**
 * What a click queues once the data check has said whether the data has labels (data that may carry them counted
 * the original in the plan), and the note shown when the original was chosen but is left out, or is evaluated
 * without labels (a language model's real ids: `data` and `model` as for the plan).
 */
export function checkedTargets(
  chosen: readonly string[],
  plan: EvaluatePlan,
  labelled: boolean,
  data?: DatasetSpecInput,
  model?: OwnIdsModel,
): { targets: string[]; note?: string } {
  if (labelled) return { targets: [...plan.targets] };
  if (data !== undefined && !measuresNothingFound(data, model, false))
    return plan.targets.includes(ORIGINAL_TARGET)
      ? { targets: [...plan.targets], note: ORIGINAL_ON_OWN_IDS }
      : { targets: [...plan.targets] };
  const targets = plan.targets.filter((t) => t !== ORIGINAL_TARGET);
  return chosen.includes(ORIGINAL_TARGET)
    ? { targets, note: `The data has no labels: ${ORIGINAL_ONLY_WITH_LABELS}.` }
    : { targets };
}
