/**
 * What the Auto-optimize panel derives from a tune run, beyond its record: trial points of the chart grouped
 * where trials made the same model at the same figures, and whether the variant the run kept repeats one the
 * workspace already has.
 */
import { canonicalJson } from '../../../shared/canonical-json.js';
import { sameFile } from '../../../shared/same-file.js';
import type { TuneTrial } from '../../../shared/tune.js';
import type { WorkspaceVariant } from '../../../shared/workspace.js';

export interface TrialPoint {
  index: number;
  name: string;
  x: number;
  y: number;
  /** What tells the trial's model apart (trialModelKey): trials share a point only when it is the same. */
  model: string;
  met: boolean;
  chosen: boolean;
  /** Placed by a benchmark too noisy to tell speeds apart (shared/tune.ts placedByNoisyRun): drawn hollow. */
  noisy: boolean;
}

/** Trials drawn as one point: the same model at the same figures, with one label naming them all (`#1, #4`). */
export interface TrialPointGroup extends TrialPoint {
  indices: number[];
  names: string[];
  label: string;
}

/**
 * What tells a trial's model apart, as far as the trial records it: its file's size and every quality figure.
 * Two recipes that wrote the same model (an option that changed nothing) agree on all of them; two models that
 * differ by a few bytes (51,637 and 51,633) are two models, however close their points.
 */
export function trialModelKey(
  t: Pick<TuneTrial, 'bytes' | 'sizeRatio' | 'accuracy' | 'cosine' | 'agreement' | 'top1Agreement'>,
): string {
  return JSON.stringify([
    t.bytes ?? t.sizeRatio ?? null,
    t.accuracy ?? null,
    t.cosine ?? null,
    t.agreement ?? null,
    t.top1Agreement ?? null,
  ]);
}

/**
 * Groups the trials that made the same model and sit at the very same place (equal figures on both axes):
 * drawn apart, one would hide the other exactly. Trials that are only close (a 0.688x p50 beside a 0.717x)
 * stay points of their own, at their own figures; the chart spreads those that cover each other a few pixels
 * apart (tune-result.tsx). A group takes the place of its first point; it is chosen if any of its trials is,
 * meets the budget if all do, and was placed by a noisy run if any was.
 */
export function groupTrialPoints(points: readonly TrialPoint[]): TrialPointGroup[] {
  const groups: TrialPointGroup[] = [];
  for (const p of points) {
    const same = groups.find((g) => g.x === p.x && g.y === p.y && g.model === p.model);
    if (same) {
      same.indices.push(p.index);
      same.names.push(p.name);
      same.chosen ||= p.chosen;
      same.met &&= p.met;
      same.noisy ||= p.noisy;
      same.label = `#${same.indices.join(', #')}`;
    } else groups.push({ ...p, indices: [p.index], names: [p.name], label: `#${p.index}` });
  }
  return groups;
}

/**
 * Another variant that is the model `variantId` is: the tune run kept a model the workspace already had, under a
 * new name. Where both recorded a sha256 (shared/same-file.ts) the bytes decide; variants of older workspaces
 * match when made from the same parent by the same recipe (method, options, calibration data) into a file of
 * the same size.
 */
export function sameModelAs(
  variants: readonly WorkspaceVariant[],
  variantId: string | undefined,
): WorkspaceVariant | undefined {
  const chosen = variants.find((v) => v.id === variantId);
  if (!chosen) return undefined;
  const recipeOf = (v: WorkspaceVariant) => {
    const r = v.recipe as Record<string, unknown>;
    const dataset = r['calibrationDataset'] as { sha256: string; samples: number } | undefined;
    return canonicalJson({
      parent: v.parent,
      operation: r['operation'],
      method: r['method'],
      common: r['common'],
      options: r['options'],
      calibration: dataset ? [dataset.sha256, dataset.samples] : null,
      shapes: r['shapes'] ?? null,
      dims: r['dims'] ?? null,
      values: r['values'] ?? null,
    });
  };
  const key = recipeOf(chosen);
  const same = (v: WorkspaceVariant) =>
    chosen.sha256 !== undefined && v.sha256 !== undefined
      ? sameFile(v, chosen)
      : v.fileBytes === chosen.fileBytes && recipeOf(v) === key;
  return variants.find((v) => v.id !== chosen.id && same(v));
}
