/**
 * The display name of a job's target, from the job's own workspace: a variant's name, or, for a variant an
 * Auto-optimize trial made and removed once the trial ended, the trial's name (`int8-static minmax
 * per-channel`). Job titles never show a variant's id (`v-2635a93423`).
 */
import type { Workspace } from '../../../shared/workspace.js';

export function workspaceTargetName(ws: Workspace | null | undefined, target: string): string | undefined {
  if (!ws) return undefined;
  const variant = ws.variants.find((v) => v.id === target);
  if (variant) return variant.name;
  for (const tune of [...(ws.tunes ?? [])].reverse()) {
    const trial = tune.trials.find((t) => t.variantId === target);
    if (trial) return `trial ${trial.index + 1}: ${trial.name}`;
  }
  return undefined;
}
