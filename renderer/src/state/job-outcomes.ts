/**
 * How jobs ended, as the status bar, the jobs list and the state's trimming all read it: which failures a later
 * run of the same work made good (and so no longer count), and the bar's counts in words.
 *
 * Structural over what it reads of a job, so that `studio-state.ts` (which trims the job list by it) can import
 * it without an import cycle; a `JobRecord` is one.
 */
import type { PipelineInterruption } from '../../../shared/pipeline-interruption.js';

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
  /** It ended because ONNX Studio stopped under it (closing, or cut off), not by a Cancel. */
  interrupted?: PipelineInterruption;
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
 * an interrupted one (ONNX Studio stopped under it) not "cancelled" (nobody cancelled it), nor is one that partly
 * failed "finished" (a browser benchmark in which some models could not run), and a failure a rerun made good is
 * neither a failure that stands nor a success: each is said as what it is.
 */
export function jobCountsText(jobs: readonly JobOutcome[]): string {
  const count = (status: JobOutcome['status']) => jobs.filter((j) => j.status === status).length;
  const open = openFailures(jobs).length;
  const partly = jobs.filter((j) => j.status === 'done' && j.partial !== undefined).length;
  const interrupted = jobs.filter((j) => j.status === 'cancelled' && j.interrupted !== undefined).length;
  const parts: string[] = [];
  if (count('running') > 0) parts.push(`${count('running')} running`);
  if (count('queued') > 0) parts.push(`${count('queued')} queued`);
  if (open > 0) parts.push(`${open} failed`);
  if (partly > 0) parts.push(`${partly} partly failed`);
  if (count('running') + count('queued') + open > 0) return parts.join(' · ');
  const redone = count('failed') - open;
  if (count('done') > partly) parts.push(`${count('done') - partly} finished`);
  if (count('cancelled') > interrupted) parts.push(`${count('cancelled') - interrupted} cancelled`);
  if (interrupted > 0) parts.push(`${interrupted} interrupted`);
  if (redone > 0) parts.push(`${redone} failed, then succeeded`);
  return parts.join(' · ');
}

/**
 * How far a cancelled job got, for its line in the list: "Cancelled at 40%" (the badge says "Cancelled" too,
 * but a bare "Stopped" said neither who stopped it nor how far it was), "by you" when this page asked;
 * "Interrupted at 40%" when ONNX Studio stopped under it (the list says why below), or a bare "Interrupted" when
 * how far it got is not known (a job found unfinished after a restart, last recorded as it started).
 */
export function cancelledText(job: Pick<JobOutcome, 'fraction' | 'cancelRequested' | 'interrupted'>): string {
  const pct = Math.round(job.fraction * 100);
  if (job.interrupted) return pct > 0 ? `Interrupted at ${pct}%` : 'Interrupted';
  return `Cancelled ${job.cancelRequested ? 'by you ' : ''}at ${pct}%`;
}
