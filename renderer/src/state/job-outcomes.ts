/**
 * How jobs ended, as the status bar, the jobs list and the state's trimming all read it: which failures a later
 * run of the same work made good (and so no longer count), and the bar's counts in words.
 *
 * Structural over what it reads of a job, so that `studio-state.ts` (which trims the job list by it) can import
 * it without an import cycle; a `JobRecord` is one.
 */

/** What this module reads of a job. */
export interface JobOutcome {
  jobId: string;
  kind: string;
  title: string;
  modelPath: string;
  targets: readonly string[];
  measurement?: { engine: string; provider: string };
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  submittedAtMs: number;
  fraction: number;
  cancelRequested: boolean;
  /** What a job that ended could not do: done, but partly failed. */
  partial?: string;
  /** The terminal result (an export's says whether it wrote the file). */
  result?: unknown;
  /** It ended because onnx-studio serve stopped under it (Ctrl+C, or a restart), not by a Cancel. */
  stoppedWithServe?: boolean;
}

/**
 * An export that wrote nothing: the destination exists or is the original model, so the backend answered with a
 * question (`{written: false}`), which the Export view asks in its dialog. It is not listed: "Done" beside
 * "Export … to …/x.onnx" said a file was written when none was (a user test: after "Keep it", and once more
 * beside the export that did replace the file).
 */
export function isUnwrittenExport(job: Pick<JobOutcome, 'kind' | 'status' | 'result'>): boolean {
  const result = job.result as { written?: unknown } | null | undefined;
  return job.kind === 'export' && job.status === 'done' && result?.written === false;
}

/** The jobs the list, the status bar and their counts show: all but exports that wrote nothing. */
export function listedJobs<J extends JobOutcome>(jobs: readonly J[]): J[] {
  return jobs.filter((j) => !isUnwrittenExport(j));
}

/**
 * The same work submitted again: a later run of a failed job, from "Run again" or by hand. Where both jobs say
 * what they measure, that decides (the same targets, measured the same way): one job can carry two titles (the
 * page's when it submitted it, the backend's after a reload). Otherwise the titles, which name the targets (an
 * export's names the variant and the file it writes).
 */
function sameWork(a: JobOutcome, b: JobOutcome): boolean {
  if (a.modelPath !== b.modelPath || a.kind !== b.kind) return false;
  if (a.targets.length === 0 || b.targets.length === 0) return a.title === b.title;
  const sameTargets = a.targets.length === b.targets.length && a.targets.every((t, i) => t === b.targets[i]);
  const sameMeasurement =
    !a.measurement ||
    !b.measurement ||
    (a.measurement.engine === b.measurement.engine && a.measurement.provider === b.measurement.provider);
  return sameTargets && sameMeasurement;
}

/**
 * The ids of failed jobs a later run of the same work made good (it succeeded): they no longer count as
 * failures in the status bar, and the list says so instead of showing them first.
 */
export function resolvedFailures(jobs: readonly JobOutcome[]): ReadonlySet<string> {
  const resolved = new Set<string>();
  for (const failed of jobs) {
    if (failed.status !== 'failed') continue;
    const later = jobs.some(
      (j) =>
        j.status === 'done' &&
        !isUnwrittenExport(j) &&
        j.submittedAtMs >= failed.submittedAtMs &&
        j.jobId !== failed.jobId &&
        sameWork(j, failed),
    );
    if (later) resolved.add(failed.jobId);
  }
  return resolved;
}

/** The failures that still stand: failed, and not made good by a later run. */
export function openFailures<J extends JobOutcome>(jobs: readonly J[]): J[] {
  const resolved = resolvedFailures(jobs);
  return jobs.filter((j) => j.status === 'failed' && !resolved.has(j.jobId));
}

/**
 * The status bar's counts: what runs, waits and failed (failures that still stand, and jobs that partly failed)
 * while any does; once all ended, how they ended. A cancelled job is not "finished" (it did not do its work),
 * nor is one that partly failed (a browser benchmark in which some models could not run), and a failure a
 * rerun made good is neither a failure that stands nor a success: each is said as what it is.
 */
export function jobCountsText(jobs: readonly JobOutcome[]): string {
  const count = (status: JobOutcome['status']) => jobs.filter((j) => j.status === status).length;
  const open = openFailures(jobs).length;
  const partly = jobs.filter((j) => j.status === 'done' && j.partial !== undefined).length;
  const parts: string[] = [];
  if (count('running') > 0) parts.push(`${count('running')} running`);
  if (count('queued') > 0) parts.push(`${count('queued')} queued`);
  if (open > 0) parts.push(`${open} failed`);
  if (partly > 0) parts.push(`${partly} partly failed`);
  if (count('running') + count('queued') + open > 0) return parts.join(' · ');
  const redone = count('failed') - open;
  if (count('done') > partly) parts.push(`${count('done') - partly} finished`);
  if (count('cancelled') > 0) parts.push(`${count('cancelled')} cancelled`);
  if (redone > 0) parts.push(`${redone} failed, then succeeded`);
  return parts.join(' · ');
}

/**
 * How far a cancelled job got, for its line in the list: "Cancelled at 40%" (the badge says "Cancelled" too,
 * but a bare "Stopped" said neither who stopped it nor how far it was), "by you" when this page asked, "when
 * onnx-studio serve stopped" when it went with serve (as the page's banner says).
 */
export function cancelledText(
  job: Pick<JobOutcome, 'fraction' | 'cancelRequested' | 'stoppedWithServe'>,
): string {
  const pct = Math.round(job.fraction * 100);
  if (job.stoppedWithServe) return `Cancelled when onnx-studio serve stopped, at ${pct}%`;
  return `Cancelled ${job.cancelRequested ? 'by you ' : ''}at ${pct}%`;
}
