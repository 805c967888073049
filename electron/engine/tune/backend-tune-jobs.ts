/** The TuneJobs of a StudioBackend the caller holds (the CLI's `tune`, `trial`): its jobs and its variant removal. */
import type { JobSpec, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import type { StudioBackend } from '../jobs/studio-backend.js';
import type { TuneJobs } from './tune-jobs.js';

/** Runs a job to its end: its result, or its error as a StudioError (CANCELLED when cancelled). */
export async function runJob<T>(backend: StudioBackend, spec: JobSpec, what: string): Promise<T> {
  const { jobId } = backend.jobs.start(spec);
  const end = (await backend.jobs.whenDone(jobId)) as TerminalJobEvent<T>;
  if (end.type === 'result') return end.result;
  if (end.type === 'cancelled') throw new StudioError('CANCELLED', `${what} was cancelled.`);
  throw new StudioError(
    end.error.code,
    `${what} failed: ${end.error.message}`,
    end.error.detail === undefined ? undefined : { detail: end.error.detail },
  );
}

export function backendTuneJobs(backend: StudioBackend): TuneJobs {
  return {
    run: (spec, what) => runJob(backend, spec, what),
    async removeVariant(modelPath, variantId) {
      const removed = await backend.dispatch('studio:workspace.removeVariant', { modelPath, variantId });
      if (!removed.ok) throw new StudioError(removed.error.code, removed.error.message);
    },
  };
}
