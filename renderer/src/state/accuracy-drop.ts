/**
 * How much accuracy a variant lost against the original, when both were measured on the same labelled
 * data: what the badge beside a variant says (Compare's table, the Optimize view's pipelines). One-shot
 * pruning can cost tens of points (a digits classifier at 50% structured went from 99.1% to 44%), and a
 * variant must not look like a win while it does. Pure; tested in accuracy-drop.test.ts.
 */
import { ORIGINAL_TARGET, type DatasetIdentity, type EvalRecord } from '../../../shared/workspace.js';

/** A drop worth a warning beside the variant: more than one point of accuracy. */
export const NOTABLE_DROP_POINTS = 1;

export interface MeasuredAccuracy {
  /** Top-1 accuracy, 0..1. */
  accuracy: number;
  /** The data it was measured on, when recorded. */
  dataset?: DatasetIdentity;
}

/**
 * Points (0-100 scale) the variant lost against the original: 99.1% → 44.0% is 55.1. Negative when it
 * gained. Undefined when either was not measured, or when both name their data and it differs (two
 * datasets do not make a drop).
 */
export function accuracyDrop(
  variant: MeasuredAccuracy | undefined,
  original: MeasuredAccuracy | undefined,
): number | undefined {
  if (!variant || !original || !Number.isFinite(variant.accuracy) || !Number.isFinite(original.accuracy))
    return undefined;
  if (variant.dataset && original.dataset && variant.dataset.sha256 !== original.dataset.sha256)
    return undefined;
  return (original.accuracy - variant.accuracy) * 100;
}

/** Whether a drop deserves the badge. */
export function isNotableDrop(points: number | undefined): points is number {
  return points !== undefined && points > NOTABLE_DROP_POINTS;
}

/** The badge's text: "−55.1 pts accuracy" (a true minus sign). */
export function formatDrop(points: number): string {
  return `−${points.toFixed(1)} pts accuracy`;
}

/**
 * The latest accuracy of `target` in the workspace's evaluations; with `dataset`, the latest on that data
 * (the original is usually evaluated once per dataset, its variants each on theirs).
 */
export function latestAccuracy(
  evaluations: readonly EvalRecord[],
  target: string,
  dataset?: DatasetIdentity,
): MeasuredAccuracy | undefined {
  for (let i = evaluations.length - 1; i >= 0; i--) {
    const e = evaluations[i]!;
    if (e.target !== target || typeof e.report.accuracy !== 'number') continue;
    if (dataset && e.dataset && e.dataset.sha256 !== dataset.sha256) continue;
    return { accuracy: e.report.accuracy, ...(e.dataset ? { dataset: e.dataset } : {}) };
  }
  return undefined;
}

/** The drop of a variant from the workspace's records: its latest accuracy against the original's on the same data. */
export function variantAccuracyDrop(
  evaluations: readonly EvalRecord[],
  variantId: string,
): number | undefined {
  const variant = latestAccuracy(evaluations, variantId);
  if (!variant) return undefined;
  return accuracyDrop(variant, latestAccuracy(evaluations, ORIGINAL_TARGET, variant.dataset));
}
