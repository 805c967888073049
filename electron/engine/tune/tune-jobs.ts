/**
 * What a tune run needs of the studio: run a job to its end, and delete a variant. The CLI gives it a
 * StudioBackend's `runner`, which is also what the app's tune job gets.
 */
import type { JobSpec } from '../../../shared/ipc-contract.js';

export interface TuneJobs {
  /** The job's result, or its error as a StudioError (CANCELLED when cancelled). */
  run<T>(spec: JobSpec, what: string): Promise<T>;
  removeVariant(modelPath: string, variantId: string): Promise<void>;
}
