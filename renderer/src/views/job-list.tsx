/**
 * Every job with a progress bar, its stage, the time left, and a Cancel button while it can still be
 * stopped. A failed job shows the engine's message and what to do; one that ONNX Studio stopped under (it
 * closed, or was killed) reads "Interrupted", and says why.
 */
import { useEffect, useState } from 'react';
import { estimateRemainingMs, formatDuration } from '../state/eta.js';
import { isActive, type JobRecord } from '../state/studio-state.js';
import { cancelledText, listedJobs, openFailures, resolvedFailures } from '../state/job-outcomes.js';
import { ErrorPanel, jobWhatToDo } from './error-panel.js';
import { baseName } from '../format.js';
import { ProgressBar } from '../components/progress-bar.js';
import { interruptedJobNote } from '../../../shared/pipeline-interruption.js';

const STATUS_TEXT: Record<JobRecord['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Re-render once a second while something runs, so ETAs count down. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return active ? Math.max(now, Date.now()) : now;
}

export function JobList({
  jobs: allJobs,
  onCancel,
  onClear,
  showModel,
  heading = true,
}: {
  jobs: JobRecord[];
  /** False inside a dialog whose own title names the list ("All jobs"): one heading, not two. */
  heading?: boolean;
  onCancel: (jobId: string) => void;
  onClear?: () => void;
  /** Name each job's model (the panel lists the jobs of every model opened in this session). */
  showModel?: boolean;
}) {
  // An export that wrote nothing (it asked first) is not a job of the list: it would read "Done".
  const jobs = listedJobs(allJobs);
  const anyActive = jobs.some(isActive);
  const now = useNow(anyActive);
  if (jobs.length === 0) {
    return (
      <p className="muted" data-testid="jobs-empty">
        No jobs yet. Pick a recipe above and press Queue: each job shows its progress here and can be
        cancelled.
      </p>
    );
  }
  const finished = jobs.some((j) => !isActive(j));
  const resolved = resolvedFailures(jobs);
  return (
    <section
      {...(heading ? { 'aria-labelledby': 'jobs-title' } : { 'aria-label': 'Jobs' })}
      className="job-list"
    >
      {(heading || (finished && onClear)) && (
        <header className="section-header">
          {heading && <h2 id="jobs-title">Jobs</h2>}
          {finished && onClear && (
            <button type="button" className="small" onClick={onClear}>
              Clear finished
            </button>
          )}
        </header>
      )}
      <ol>
        {jobsForList(jobs).map((job) => (
          <JobItem
            key={job.jobId}
            job={job}
            now={now}
            onCancel={onCancel}
            showModel={showModel === true}
            resolved={resolved.has(job.jobId)}
          />
        ))}
      </ol>
    </section>
  );
}

// Which failures a rerun made good is decided with the state's trimming (state/job-outcomes.ts): re-exported here.
export { openFailures, resolvedFailures };

/**
 * The list's order: the failures that still stand first (the status bar sends the user here to see why),
 * then the jobs that run or wait, then the finished ones; newest first within each.
 */
export function jobsForList(jobs: readonly JobRecord[]): JobRecord[] {
  const open = new Set(openFailures(jobs).map((j) => j.jobId));
  const rank = (j: JobRecord) => (open.has(j.jobId) ? 0 : isActive(j) ? 1 : 2);
  const newest = jobsNewestFirst(jobs);
  return newest.sort((a, b) => rank(a) - rank(b) || newest.indexOf(a) - newest.indexOf(b));
}

/** Newest first by submission time, ties by id: the order never changes while jobs progress or after a reload. */
export function jobsNewestFirst(jobs: readonly JobRecord[]): JobRecord[] {
  return [...jobs].sort(
    (a, b) => b.submittedAtMs - a.submittedAtMs || (a.jobId < b.jobId ? 1 : a.jobId > b.jobId ? -1 : 0),
  );
}

function JobItem({
  job,
  now,
  onCancel,
  showModel,
  resolved,
}: {
  job: JobRecord;
  now: number;
  onCancel: (jobId: string) => void;
  showModel: boolean;
  /** A failure a later run of the same work made good. */
  resolved: boolean;
}) {
  const active = isActive(job);
  const pct = Math.round(job.fraction * 100);
  // The backend's estimate counted down from when it was made; the page's own from the progress so far.
  const eta =
    job.status !== 'running'
      ? undefined
      : job.etaMs !== undefined && job.etaAtMs !== undefined
        ? Math.max(0, job.etaMs - Math.max(0, now - job.etaAtMs))
        : job.runningSinceMs !== undefined
          ? estimateRemainingMs(job.runningSinceMs, now, job.fraction)
          : undefined;
  const elapsed =
    job.finishedAtMs !== undefined && job.runningSinceMs !== undefined
      ? job.finishedAtMs - job.runningSinceMs
      : undefined;
  return (
    <li
      className={`job job-${job.status}${resolved ? ' job-resolved' : ''}`}
      data-testid="job"
      data-status={job.status}
      data-resolved={resolved ? 'true' : undefined}
      aria-label={job.title}
    >
      <div className="job-head">
        <span className="job-title">
          {showModel && job.modelPath && <span className="job-model">{baseName(job.modelPath)}</span>}
          {job.title}
        </span>
        {job.status === 'done' && job.partial !== undefined ? (
          <span className="badge badge-partial">Partly failed</span>
        ) : job.status === 'cancelled' && job.interrupted ? (
          <span className="badge badge-cancelled">Interrupted</span>
        ) : (
          <span className={`badge badge-${job.status}`}>{STATUS_TEXT[job.status]}</span>
        )}
      </div>
      {resolved && (
        <p className="field-hint">Ran again later and succeeded: this failure no longer counts.</p>
      )}
      {job.status !== 'failed' && (
        <ProgressBar
          fraction={job.fraction}
          label={`Progress of ${job.title}`}
          valueText={`${pct}%${eta !== undefined ? `, ${formatDuration(eta)} left` : ''}`}
        />
      )}
      <div className="job-meta">
        <span>
          {active
            ? `${pct}% · ${job.stage}`
            : job.status === 'done'
              ? job.partial !== undefined
                ? `Finished, but ${job.partial}`
                : 'Finished'
              : job.status === 'cancelled'
                ? cancelledText(job)
                : ''}
          {elapsed !== undefined && job.status === 'done' ? ` in ${formatDuration(elapsed)}` : ''}
          {elapsed !== undefined && job.status === 'cancelled' ? `, after ${formatDuration(elapsed)}` : ''}
        </span>
        {active && (
          <span className="eta" data-testid="eta">
            {job.status === 'queued'
              ? 'waiting for the jobs before it'
              : eta !== undefined
                ? `${eta < 1000 ? '' : 'about '}${formatDuration(eta)} left`
                : 'estimating time left…'}
          </span>
        )}
        {active && (
          <button
            type="button"
            className="small danger"
            onClick={() => onCancel(job.jobId)}
            disabled={job.cancelRequested}
            aria-label={`Cancel ${job.title}`}
          >
            {job.cancelRequested ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {(job.notes.length > 0 || (job.status === 'cancelled' && job.interrupted)) && (
        <ul className="job-notes">
          {job.notes.map((note, i) => (
            <li key={i}>{note}</li>
          ))}
          {job.status === 'cancelled' && job.interrupted && (
            <li data-testid="job-interrupted">{interruptedJobNote(job.interrupted)}</li>
          )}
        </ul>
      )}
      {job.status === 'failed' && job.error && (
        <ErrorPanel
          title={`${job.title} failed`}
          error={job.error}
          compact
          whatToDo={jobWhatToDo(job.kind)}
        />
      )}
    </li>
  );
}
