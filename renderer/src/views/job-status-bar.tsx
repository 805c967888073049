/**
 * Jobs, visible from every view: a status bar at the bottom of the window says how many jobs run and how
 * many failed, and opens a panel with every job of this session (any model), each with its model, progress,
 * Cancel, and for a failure its message and what to do. A failure the user has not looked at stays
 * highlighted until they open the panel.
 *
 * The bar is always there, also before any job: the job history of earlier runs (jobs/ in the data folder) is
 * listed in it, and a user looking for last run's jobs had no way in until a job ran in this one.
 *
 * Every count is of all the models opened this session (the list shows them all): the bar's "N failed" and
 * the hint beside it say the same N, the hint adding how many of them are new since the list was last opened
 * and, when some are of other models, how many are of the open one.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useModalDialog } from '../components/modal-dialog.js';
import { isActive, type JobRecord } from '../state/studio-state.js';
import { JobList, openFailures } from './job-list.js';
import { jobCountsText, listedJobs } from '../state/job-outcomes.js';

/**
 * The hint beside the bar while failures are unseen: the same count as the bar (every model's failures that
 * still stand), how many are new, and how many are of the open model when others have failures too.
 */
export function failureHint(failed: readonly JobRecord[], unseen: number, modelPath?: string): string {
  const n = failed.length;
  const subject = n === 1 ? 'A job failed' : `${n} jobs failed`;
  const elsewhere = modelPath !== undefined && failed.some((j) => j.modelPath !== modelPath);
  const here = failed.filter((j) => j.modelPath === modelPath).length;
  const scope = elsewhere ? ` across all models (${here} on this one)` : '';
  const fresh = unseen > 0 && unseen < n ? `, ${unseen} new` : '';
  return `${subject}${scope}${fresh}: open the list to see why.`;
}

/**
 * The Jobs button's count and the empty list's words when none is listed: "none yet" only where no job was listed
 * yet; after Clear finished (`cleared`) the jobs were there and were only taken off the list.
 */
export function noJobsWords(cleared: boolean): { button: string; list: string } {
  const start = 'Jobs you start (Queue, Benchmark, Evaluate, Export) are listed here with their progress.';
  return cleared
    ? {
        button: 'none listed',
        list: `No jobs listed: Clear finished took the finished ones off this list (what they made stays with the model). ${start}`,
      }
    : {
        button: 'none yet',
        list: `No jobs yet, in this run or an earlier one with this data folder. ${start}`,
      };
}

export function JobStatusBar({
  jobs: allJobs,
  onCancel,
  onClear,
  cleared = false,
  modelPath,
}: {
  jobs: JobRecord[];
  onCancel: (jobId: string) => void;
  onClear: () => void;
  /** Whether Clear finished took jobs off the list (studio-state.ts `clearedJobIds`): the empty list says so. */
  cleared?: boolean;
  /** The open model's path: the hint says how many failures are of it when other models have some too. */
  modelPath?: string;
}) {
  // The jobs the list shows (not an export that wrote nothing), so the bar counts what the list lists.
  const jobs = listedJobs(allJobs);
  const id = useId();
  const [open, setOpen] = useState(false);
  const [seenFailures, setSeenFailures] = useState<ReadonlySet<string>>(new Set());
  const dialog = useRef<HTMLDialogElement>(null);
  // A failure whose rerun succeeded no longer counts: the bar would send the user to a problem that is gone.
  const failed = openFailures(jobs);
  const unseen = failed.filter((j) => !seenFailures.has(j.jobId)).length;
  const active = jobs.filter(isActive);
  const fraction = active.length > 0 ? active.reduce((a, j) => a + j.fraction, 0) / active.length : 0;

  // It opens on Close (a second Enter on "Clear finished", the first control, emptied the list) and gives the
  // focus back to the Jobs button, which stays when Clear finished empties the list.
  useModalDialog(dialog, open, () => document.getElementById('main'));
  useEffect(() => {
    if (open) setSeenFailures(new Set(failed.map((j) => j.jobId)));
  }, [open, failed.length]);

  return (
    <footer className="status-bar" data-testid="status-bar">
      <button
        type="button"
        className={unseen > 0 ? 'status-jobs status-failed' : 'status-jobs'}
        onClick={() => setOpen(true)}
        aria-haspopup="dialog"
        title="The jobs of every model opened this session, and those of earlier runs"
        data-testid="status-jobs"
      >
        Jobs: {jobs.length > 0 ? jobCountsText(jobs) : noJobsWords(cleared).button}
        {active.length > 0 && (
          <span className="status-progress" aria-hidden="true">
            <span style={{ width: `${Math.round(fraction * 100)}%` }} />
          </span>
        )}
      </button>
      {unseen > 0 && (
        <span className="status-hint" data-testid="status-hint">
          {failureHint(failed, unseen, modelPath)}
        </span>
      )}
      <dialog
        ref={dialog}
        className="jobs-panel"
        aria-labelledby={`${id}-title`}
        onCancel={(e) => {
          e.preventDefault();
          setOpen(false);
        }}
        data-testid="jobs-panel"
      >
        {/* One row: the title, then Clear finished and Close side by side (two headers stacked them). */}
        <header className="section-header jobs-panel-header">
          <h2 id={`${id}-title`}>All jobs</h2>
          <span className="jobs-panel-actions">
            {jobs.some((j) => !isActive(j)) && (
              <button type="button" className="small" onClick={onClear}>
                Clear finished
              </button>
            )}
            <button type="button" className="small" onClick={() => setOpen(false)} data-autofocus>
              Close
            </button>
          </span>
        </header>
        {/* Rendered only while open: a closed dialog's content would still be in the page, twice over. */}
        {open &&
          (jobs.length > 0 ? (
            <JobList jobs={jobs} onCancel={onCancel} showModel heading={false} />
          ) : (
            <p className="muted" data-testid="jobs-empty">
              {noJobsWords(cleared).list}
            </p>
          ))}
      </dialog>
    </footer>
  );
}
