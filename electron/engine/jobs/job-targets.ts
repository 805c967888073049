import path from 'node:path';
import type { JobInfo, JobSpec } from '../../../shared/ipc-contract.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';

/** Every model of the workspace a job reads: what it quantizes or prunes from, measures, or exports. */
export function targetsOf(spec: JobSpec): string[] {
  switch (spec.kind) {
    case 'inspect':
      return [ORIGINAL_TARGET];
    case 'quantize':
    case 'prune':
      return [spec.source ?? ORIGINAL_TARGET];
    case 'bench':
      return spec.targets ?? [ORIGINAL_TARGET];
    case 'evaluate':
      return [spec.target ?? ORIGINAL_TARGET, ...(spec.reference ? [spec.reference] : [])];
    case 'export':
      return [spec.target];
  }
}

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
