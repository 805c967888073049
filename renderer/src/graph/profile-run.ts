/**
 * Which benchmark the Graph view's kernel-time overlay comes from: the latest profiled run of the graph shown,
 * and a line that names it (when it ran, where, on what inputs), since a workspace holds many benchmarks and
 * the figures on the nodes are that one run's. Pure.
 */
import type { BenchProfile } from '../../../shared/bench.js';
import { shortShapes } from '../../../shared/input-spec.js';
import { groupedShortShapes } from '../../../shared/input-groups.js';
import type { BenchRecord, Workspace } from '../../../shared/workspace.js';
import { describeSource } from '../state/compare-data.js';
import { describeDataset } from '../state/experiment.js';

export interface ProfiledRun {
  record: BenchRecord;
  profile: BenchProfile;
  /** How many benchmarks of the target were profiled, this one included. */
  profiledRuns: number;
}

/** The latest benchmark that profiled a target (one with kernel time to show), if any. */
export function latestProfiledRun(workspace: Workspace | null, target: string): ProfiledRun | undefined {
  const profiled = (workspace?.benchmarks ?? []).flatMap((record) => {
    const result = record.results.find((r) => r.target === target && r.profile);
    // As Compare's per-op chart (state/variants.ts): a profile without kernel time is no profile.
    return result?.profile && result.profile.byOpType.length > 0 ? [{ record, profile: result.profile }] : [];
  });
  const latest = profiled.at(-1);
  return latest ? { ...latest, profiledRuns: profiled.length } : undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `07:12` on the day `now` is, else `2026-12-06 07:12` (local time). */
function whenText(iso: string, now: Date): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const sameDay =
    at.getFullYear() === now.getFullYear() &&
    at.getMonth() === now.getMonth() &&
    at.getDate() === now.getDate();
  return sameDay ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

/** What the run was fed: its dataset, else its inputs' shapes (`x 1x3x32x32`). */
function fedText(record: BenchRecord): string | undefined {
  if (record.dataset) return `on ${describeDataset(record.dataset)}`;
  const inputs = record.inputs ?? [];
  if (inputs.length === 0) return undefined;
  return inputs.length === 1 ? `${inputs[0]!.name} ${shortShapes(inputs)}` : groupedShortShapes(inputs);
}

/**
 * `Kernel time from the profiled benchmark of 07:12 (onnxruntime-node · cpu, x 1x3x32x32), the latest of 5 of
 * this graph.`
 */
export function profiledRunLine(run: ProfiledRun, now: Date): string {
  const { record } = run;
  const how = [describeSource(record), fedText(record)].filter((t) => t !== undefined).join(', ');
  const latest = run.profiledRuns > 1 ? `, the latest of ${run.profiledRuns} of this graph` : '';
  return `Kernel time from the profiled benchmark of ${whenText(record.createdAt, now)} (${how})${latest}.`;
}
