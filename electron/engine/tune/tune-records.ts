/**
 * Auto-optimize runs that ONNX Studio stopped under without a word (killed, crashed): the workspace keeps their
 * record `running` (tune-job.ts writes each ended trial, then the end), and the next start finds it so with its
 * job gone. Such a record reads interrupted, `cut off` (shared/pipeline-interruption.ts), as a pipeline does
 * (shared/pipeline-runner.ts `reconcile`) and as the job itself does in the job list (jobs/job-history.ts): its
 * finished trials are kept, and Start Auto-optimize searches again. A run ONNX Studio stopped while closing wrote
 * itself interrupted (`closing`) as it stopped.
 */
import { interruptedTune } from '../../../shared/pipeline-interruption.js';
import type { TuneRecord, Workspace } from '../../../shared/workspace.js';

/**
 * The ids of the workspace's running tune records whose job runs nowhere. `runningJobs` (asked only when a
 * record says it is running) gives the jobs queued or running in this process and in any other host still running
 * on this data folder (the app beside `serve`; one whose processes this host cannot see while its heartbeat is
 * fresh, jobs/job-history.ts): a run of another host is its own.
 */
export async function cutOffTunes(
  tunes: readonly TuneRecord[] | undefined,
  runningJobs: () => Promise<ReadonlySet<string>>,
): Promise<Set<string>> {
  const running = (tunes ?? []).filter((t) => t.status === 'running');
  if (running.length === 0) return new Set();
  const live = await runningJobs();
  return new Set(running.filter((t) => !live.has(t.jobId)).map((t) => t.id));
}

/**
 * Marks the records `ids` (cutOffTunes) interrupted, cut off, ended `atIso`, those still running. Returns whether
 * anything changed (the caller saves the workspace).
 */
export function markTunesCutOff(ws: Workspace, ids: ReadonlySet<string>, atIso: string): boolean {
  if (ids.size === 0 || !ws.tunes) return false;
  let changed = false;
  ws.tunes = ws.tunes.map((t) => {
    if (!ids.has(t.id) || t.status !== 'running') return t;
    changed = true;
    return interruptedTune(t, 'cut off', atIso);
  });
  return changed;
}
