/**
 * How much accuracy a variant lost against the original, when both were measured on the same labelled
 * data: what the badge beside a variant says (Compare's table, the Optimize view's pipelines). One-shot
 * pruning can cost tens of points (a digits classifier at 50% structured went from 99.1% to 44%), and a
 * variant must not look like a win while it does. Pure; tested in accuracy-drop.test.ts.
 */
import {
  ORIGINAL_TARGET,
  type DatasetIdentity,
  type EvalRecord,
  type PipelineRecord,
} from '../../../shared/workspace.js';
import type { MeasuredTask } from '../../../shared/eval-tasks.js';
import { describeDataset } from './experiment.js';
import { accuracyMetricOf, capitalized, QUALITY_NOUNS } from './quality-words.js';

/** A drop worth a warning beside the variant: more than one point of accuracy. */
export const NOTABLE_DROP_POINTS = 1;

export interface MeasuredAccuracy {
  /** Top-1 accuracy, 0..1. */
  accuracy: number;
  /** The data it was measured on, when recorded. */
  dataset?: DatasetIdentity;
  /** Its evaluation's task: `next-token` for a language model graded on its own ids (quality-words.ts). */
  task?: MeasuredTask;
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

/** The badge's text: "−55.1 pts accuracy", "−3.0 pts next-token accuracy" (a true minus sign). */
export function formatDrop(points: number, noun = QUALITY_NOUNS.accuracy): string {
  return `−${points.toFixed(1)} pts ${noun}`;
}

/** What a measured accuracy is, in words: `accuracy`, or `next-token accuracy`. */
export function accuracyNoun(measured: Pick<MeasuredAccuracy, 'task'>): string {
  return QUALITY_NOUNS[accuracyMetricOf(measured.task)];
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
    return measured(e);
  }
  return undefined;
}

/** A drop as a pipeline shows it: the points, and which evaluations they come from, for the badge's tooltip. */
export interface PipelineDrop {
  points: number;
  variant: MeasuredAccuracy;
  original: MeasuredAccuracy;
  /**
   * Whose evaluation of the variant it is: the pipeline's own Evaluate step's, or (where the pipeline has no
   * such step, or it did not finish) the variant's latest, from elsewhere (Compare, another run).
   */
  from: 'own' | 'no-step' | 'step-not-done';
}

function measured(e: EvalRecord): MeasuredAccuracy | undefined {
  if (typeof e.report.accuracy !== 'number') return undefined;
  return { accuracy: e.report.accuracy, ...(e.dataset ? { dataset: e.dataset } : {}), task: e.report.task };
}

/**
 * The drop a pipeline's badge shows: its own Evaluate step's figure against the original's on that same data. A
 * pipeline that made `int8-static` and evaluated it on cnn_eval.npz showed a later Compare evaluation on other
 * data instead (the variant's latest). The step names the record its job stored; a step recorded before steps
 * kept it ran right after the variant was made, so the variant's first evaluation is its own. Only where the
 * pipeline has no evaluation of its own (no Evaluate step, or one that did not finish) is it the variant's latest,
 * and the result says so. Undefined when there is nothing to compare.
 */
export function pipelineAccuracyDrop(
  evaluations: readonly EvalRecord[],
  pipeline: Pick<PipelineRecord, 'variant' | 'steps'>,
): PipelineDrop | undefined {
  const variantId = pipeline.variant;
  if (!variantId) return undefined;
  const step = pipeline.steps.find((s) => s.kind === 'evaluate');
  let variant: MeasuredAccuracy | undefined;
  let from: PipelineDrop['from'];
  if (step?.status === 'done') {
    const own = step.recordId
      ? evaluations.find((e) => e.id === step.recordId)
      : evaluations.find((e) => e.target === variantId);
    // Its own evaluation had no labels (no accuracy): there is no drop of its own to show.
    variant = own && measured(own);
    from = 'own';
  } else {
    variant = latestAccuracy(evaluations, variantId);
    from = step ? 'step-not-done' : 'no-step';
  }
  if (!variant) return undefined;
  const original = latestAccuracy(evaluations, ORIGINAL_TARGET, variant.dataset);
  const points = accuracyDrop(variant, original);
  return points === undefined || !original ? undefined : { points, variant, original, from };
}

/** "72.50%". */
function percent(accuracy: number): string {
  return `${(accuracy * 100).toFixed(2)}%`;
}

/**
 * The badge's tooltip for a pipeline's drop: which evaluation it is, on which data, with both figures ("This
 * pipeline's evaluation: 66.67% on cnn_eval.npz (60 samples), against the original's 100.00% on the same data.").
 */
export function pipelineDropTitle(drop: PipelineDrop): string {
  const data = drop.variant.dataset
    ? `on ${describeDataset(drop.variant.dataset)}`
    : 'on data whose name was not recorded';
  const figures = `${percent(drop.variant.accuracy)} ${data}, against the original's ${percent(drop.original.accuracy)} on the same data.`;
  const noun = accuracyNoun(drop.variant);
  switch (drop.from) {
    case 'own':
      return `${capitalized(noun)} lost in this pipeline's evaluation: ${figures}`;
    case 'no-step':
      return `Not measured by this pipeline (it has no evaluation step): the variant's latest evaluation, ${figures}`;
    case 'step-not-done':
      return `Not measured by this pipeline (its evaluation did not finish): the variant's latest evaluation, ${figures}`;
  }
}
