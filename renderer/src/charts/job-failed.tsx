/**
 * The note a Compare card shows for a benchmark or evaluation that failed: where its figures would be, or
 * above figures it failed to replace. Shared by the latency, quality and latency-distribution cards.
 */
import { describeFailure, type JobFailure } from '../state/compare-data.js';
import { JOB_WHAT_TO_DO } from '../views/error-panel.js';

/**
 * A benchmark or evaluation that ran and failed, said where its figures would be: with the engine's message,
 * and where the job's details and what to do are (the Jobs panel, opened from the status bar at the bottom of
 * the window).
 */
export function JobFailed({ failure, what }: { failure: JobFailure; what: string }) {
  const whatToDo = JOB_WHAT_TO_DO[failure.error.code];
  return (
    <div data-testid={`${failure.kind}-failed`}>
      <p className="inline-error">
        <strong>
          {describeFailure(failure)}
          {what ? `, so ${what}` : ''}:
        </strong>{' '}
        {failure.error.message}
      </p>
      {whatToDo && (
        <p data-testid="failed-what-to-do">
          <strong>What to do: </strong>
          {whatToDo}
        </p>
      )}
      {/* The job's title names it ("Evaluate fp16"): labelled, so it never reads as an instruction. */}
      <p className="muted" data-testid="failed-job">
        Job: {failure.title}. “Jobs” at the bottom of the window has the details
        {whatToDo ? '' : ' and what to do'}.
      </p>
    </div>
  );
}
