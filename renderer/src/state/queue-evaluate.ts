/**
 * What Compare's Evaluate button will queue, decided before the click: the original is evaluated only on data
 * with labels (without, it is the reference its variants' fidelity is measured against), so with the original
 * alone chosen and synthetic data (the form's default) the button said "Evaluate 1 model", was enabled, and
 * queued nothing. The button's count, whether it is enabled and the reason when it is not all come from here,
 * and so do the targets the click queues. Plain functions, tested without React (queue-evaluate.test.ts).
 */
import { datasetLacksLabels } from '../../../shared/dataset-labels.js';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';

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
 * The plan for the chosen targets and the form's data (`null` while the form does not make a valid spec: the
 * count is then of the chosen, and the click shows the form's errors). Data that may carry labels inside (a
 * .npz, a .jsonl, an image folder) counts the original: the data check decides, and the page says so if not.
 */
export function evaluatePlan(chosen: readonly string[], data: DatasetSpecInput | null): EvaluatePlan {
  const unlabelled = data !== null && datasetLacksLabels(data);
  const targets = unlabelled ? chosen.filter((t) => t !== ORIGINAL_TARGET) : [...chosen];
  const label = `Evaluate ${targets.length} ${targets.length === 1 ? 'model' : 'models'}`;
  if (targets.length > 0) return { targets, label };
  return {
    targets,
    label,
    reason: chosen.length === 0 ? 'Choose at least one model to evaluate.' : ORIGINAL_NEEDS_LABELS,
  };
}

/**
 * What a click queues once the data check has said whether the data has labels (data that may carry them counted
 * the original in the plan), and the note shown when the original was chosen but is left out.
 */
export function checkedTargets(
  chosen: readonly string[],
  plan: EvaluatePlan,
  labelled: boolean,
): { targets: string[]; note?: string } {
  if (labelled) return { targets: [...plan.targets] };
  const targets = plan.targets.filter((t) => t !== ORIGINAL_TARGET);
  return chosen.includes(ORIGINAL_TARGET)
    ? { targets, note: `The data has no labels: ${ORIGINAL_ONLY_WITH_LABELS}.` }
    : { targets };
}
