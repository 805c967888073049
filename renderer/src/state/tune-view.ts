/**
 * What the Auto-optimize panel derives from a tune run, beyond its record: trial points of the chart grouped
 * where they would be drawn on top of each other, and whether the variant the run kept repeats one the
 * workspace already has.
 */
import { canonicalJson } from '../../../shared/canonical-json.js';
import { sameFile } from '../../../shared/same-file.js';
import type { WorkspaceVariant } from '../../../shared/workspace.js';

export interface TrialPoint {
  index: number;
  name: string;
  x: number;
  y: number;
  met: boolean;
  chosen: boolean;
}

/** Points drawn as one: every trial at (nearly) the same spot, with one label naming them all (`#1, #4`). */
export interface TrialPointGroup extends TrialPoint {
  indices: number[];
  names: string[];
  label: string;
}

/**
 * Groups points closer than `share` of each axis's span (a marker's width on a chart a few hundred pixels
 * wide): recipes that made the same model (equal size, equal accuracy) otherwise hide each other. A group
 * takes the place of its first point; it is chosen if any of its trials is, and meets the budget if all do.
 */
export function groupTrialPoints(
  points: readonly TrialPoint[],
  span: { x: number; y: number },
  share = 0.02,
): TrialPointGroup[] {
  const groups: TrialPointGroup[] = [];
  for (const p of points) {
    const near = groups.find(
      (g) => Math.abs(g.x - p.x) <= span.x * share && Math.abs(g.y - p.y) <= span.y * share,
    );
    if (near) {
      near.indices.push(p.index);
      near.names.push(p.name);
      near.chosen ||= p.chosen;
      near.met &&= p.met;
      near.label = `#${near.indices.join(', #')}`;
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
