import { StudioError } from '../errors.js';
import { formatDims } from '../datasets/input-match.js';

import type { TaskRequest } from '../../../shared/eval-tasks.js';

export type { TaskRequest } from '../../../shared/eval-tasks.js';

/**
 * How predictions are read from the measured output: `scores` (one score per class, prediction = argmax),
 * `label` (the output is the predicted class index itself, as scikit-learn classifiers export it), or
 * `values` (regression targets).
 */
export type TaskPlan =
  | { task: 'classification'; mode: 'scores'; classes: number; reason: string }
  | { task: 'classification'; mode: 'label'; reason: string }
  | { task: 'regression'; mode: 'values'; reason: string };

/** Whether per-sample output dims hold one vector: at most one dim larger than 1. */
export function isVector(dims: readonly number[]): boolean {
  return dims.filter((d) => d > 1).length <= 1;
}

/** Element types of an output that can be the predicted class itself (one value per sample). */
export const INTEGER_TYPES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/** What `--task auto` does with whole-number labels, stated with every decision it makes from them. */
export const WHOLE_NUMBER_LABELS =
  'whole-number labels are class indices even when stored as floats (0.0, 1.0, ...); --task regression reads them as targets';

/**
 * Decides classification or regression from the first labeled sample and the measured output (`--task auto`),
 * or checks that the requested task fits them; the reason says what was decided and why.
 */
export function planTask(
  requested: TaskRequest,
  label: number | Float64Array,
  output: { name: string; type: string; dims: readonly number[] },
  /** The labels are one-hot rows of this many values, read as class indices (`label` is the first row's class). */
  oneHotWidth?: number,
): TaskPlan {
  const values = output.dims.reduce((a, b) => a * b, 1);
  const shape = `${output.type} ${formatDims(output.dims)}`;
  const scalarLabel = typeof label === 'number';
  const integerLabel = scalarLabel && Number.isInteger(label);
  const scores = isVector(output.dims) && values >= 2;
  const classIndexOutput = values === 1 && INTEGER_TYPES.has(output.type);

  if (requested === 'classification' || (requested === 'auto' && integerLabel && (scores || classIndexOutput))) {
    if (!scalarLabel) {
      throw new StudioError('BAD_REQUEST', `Classification needs one class index per sample, but the labels hold ${label.length} values per sample.`);
    }
    const why =
      oneHotWidth !== undefined
        ? `labels are one-hot rows of ${oneHotWidth}, read as class indices, and `
        : requested === 'auto'
          ? 'labels are class indices and '
          : '';
    // The decision reads the label's value, not the type it is stored in: 3.0 in a float32 file is class 3.
    const read = requested === 'auto' && oneHotWidth === undefined ? `; ${WHOLE_NUMBER_LABELS}` : '';
    if (scores) {
      return {
        task: 'classification',
        mode: 'scores',
        classes: values,
        reason: `classification: ${why}output '${output.name}' (${shape}) scores ${values} classes${read}`,
      };
    }
    if (classIndexOutput) {
      return {
        task: 'classification',
        mode: 'label',
        reason: `classification: ${why}output '${output.name}' (${shape}) is the predicted class${read}`,
      };
    }
    throw new StudioError(
      'BAD_REQUEST',
      `Output '${output.name}' (${shape}) is neither class scores (one vector of 2 or more per sample) nor a class index; choose another output with --output, or --task regression.`,
    );
  }
  const targets = scalarLabel ? 1 : label.length;
  if (targets !== values) {
    // The engine's words fit every host; the flag to check is the CLI's hint (`--output` names the output file
    // in tune, which measures the model's first output and has no flag to choose another).
    const notClasses = requested === 'auto' && scalarLabel && !integerLabel && scores;
    throw new StudioError(
      'BAD_REQUEST',
      `Regression compares output '${output.name}' (${shape}, ${values} value${values === 1 ? '' : 's'} per sample) with labels of ${targets} value${targets === 1 ? '' : 's'} per sample; they must match. ` +
        (notClasses ? 'The labels are not whole numbers, so they cannot be class indices.' : `Give labels of ${values} value${values === 1 ? '' : 's'} per sample.`),
      notClasses ? undefined : { cliHint: 'Check --labels.' },
    );
  }
  const why =
    requested === 'regression' ? '' : scalarLabel && !integerLabel ? 'labels are not whole numbers; ' : !scalarLabel ? 'labels are vectors; ' : 'one value per sample; ';
  return { task: 'regression', mode: 'values', reason: `regression: ${why}output '${output.name}' (${shape}) vs ${targets}-value targets` };
}
