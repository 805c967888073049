import path from 'node:path';
import type { JobInfo } from '../../../shared/ipc-contract.js';
import { targetsOf } from '../../../shared/job-targets.js';

/** The first queued or running job that reads `target` of the model at `modelPath`. */
export function activeJobReading(jobs: JobInfo[], modelPath: string, target: string): JobInfo | undefined {
  const model = path.resolve(modelPath);
  return jobs.find(
    (job) =>
      (job.state === 'queued' || job.state === 'running') &&
      path.resolve(job.spec.modelPath) === model &&
      targetsOf(job.spec).includes(target),
  );
}
