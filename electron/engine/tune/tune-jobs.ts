/**
 * What a tune run needs of the studio: run a job to its end, and delete a variant. The CLI gives it a
 * StudioBackend's `runner`, which is also what the app's tune job gets.
 */
import type { JobSpec } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';

export interface TuneJobs {
  /**
   * The job's result, or its error as a StudioError (CANCELLED when cancelled). `what` names the work in an
   * error message; `title` is the job's title in the job list (shared/job-titles.ts), by default built from
   * the spec and the workspace's names.
   */
  run<T>(spec: JobSpec, what: string, title?: string): Promise<T>;
  removeVariant(modelPath: string, variantId: string): Promise<void>;
}

/**
 * The same jobs, refusing to start one once `signal` is aborted: a Ctrl+C cancels the jobs running at that
 * moment, and one that lands between two jobs (a trial's quantization done, its evaluation not yet started)
 * must stop the next one rather than let the trial run on.
 */
export function stopOnAbort(jobs: TuneJobs, signal: AbortSignal | undefined): TuneJobs {
  if (!signal) return jobs;
  return {
    run: (spec, what, title) =>
      signal.aborted
        ? Promise.reject(new StudioError('CANCELLED', `${what} was cancelled.`))
        : jobs.run(spec, what, title),
    removeVariant: (modelPath, variantId) => jobs.removeVariant(modelPath, variantId),
  };
}
