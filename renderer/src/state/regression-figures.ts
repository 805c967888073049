/**
 * The figures of evaluations that read their labels as values (regression: MAE, MSE, RMSE), which the quality
 * metrics (accuracy, fidelity to the original) leave out. Labels of several values per sample that are not one-hot
 * rows are regression targets: the engine measured MAE 1.40 against them, and the app showed nothing but "The data
 * has no labels". Pure; tested in regression-figures.test.ts.
 */
import type { EvalRecord } from '../../../shared/workspace.js';
import { describeDataset } from './experiment.js';

export interface RegressionRow {
  id: string;
  label: string;
  mae: number;
  mse: number;
  rmse: number;
  /** The output compared with the labels. */
  output: string;
  /** The data and labels it was measured on, in words. */
  data: string;
}

/**
 * One row per variant (in the order given) whose latest evaluation against labels read them as values; a variant
 * whose latest labelled evaluation measured accuracy has none (its accuracy is the figure shown).
 */
export function regressionRows(
  evaluations: readonly EvalRecord[],
  variants: readonly { id: string; label: string }[],
): RegressionRow[] {
  return variants.flatMap((v) => {
    const latest = evaluations.filter((e) => e.target === v.id && e.report.task !== 'none').at(-1);
    const r = latest?.report;
    if (!latest || !r || r.task !== 'regression' || r.mae === undefined) return [];
    return [
      {
        id: v.id,
        label: v.label,
        mae: r.mae,
        mse: r.mse ?? Number.NaN,
        rmse: r.rmse ?? Number.NaN,
        output: r.output,
        data: latest.dataset ? describeDataset(latest.dataset) : r.data,
      },
    ];
  });
}

/** An error figure as the table prints it: 4 significant digits, exponent form for the very large or small. */
export function formatError(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '–' : String(value);
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(3);
  return value.toPrecision(4);
}
