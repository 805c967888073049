/**
 * What a tune run needs of the studio: run a job to its end, and delete a variant. The CLI gives it a
 * StudioBackend's `runner`, which is also what the app's tune job gets.
 */
import type { JobSpec } from '../../../shared/ipc-contract.js';

export interface TuneJobs {
  /**
   * The job's result, or its error as a StudioError (CANCELLED when cancelled). `what` names the work in an
   * error message; `title` is the job's title in the job list (shared/job-titles.ts), by default built from
   * the spec and the workspace's names.
   */
  run<T>(spec: JobSpec, what: string, title?: string): Promise<T>;
  removeVariant(modelPath: string, variantId: string): Promise<void>;
}
