import path from 'node:path';
import type { JobInfo } from '../../../shared/ipc-contract.js';
import { activeJobReading as activeJobReadingIn } from '../../../shared/job-targets.js';

/** The first queued or running job that reads `target` of the model at `modelPath` (paths resolved). */
export function activeJobReading(jobs: JobInfo[], modelPath: string, target: string): JobInfo | undefined {
  return activeJobReadingIn(jobs, modelPath, target, (a, b) => path.resolve(a) === path.resolve(b));
}
