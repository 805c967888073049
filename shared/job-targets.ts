import type { JobInfo, JobSpec } from './ipc-contract.js';
import { ORIGINAL_TARGET } from './workspace.js';

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
    case 'tune':
      return [ORIGINAL_TARGET];
  }
}

/**
 * The models of the workspace a job measures, a figure each: a benchmark's targets (baseline first), an
 * evaluation's target (its reference is read, not measured). Other jobs measure none.
 */
export function measuredTargets(spec: JobSpec): string[] {
  switch (spec.kind) {
    case 'bench':
      return spec.targets ?? [ORIGINAL_TARGET];
    case 'evaluate':
      return [spec.target ?? ORIGINAL_TARGET];
    default:
      return [];
  }
}

/**
 * The first queued or running job of the model at `modelPath` that reads `target`. `samePath` compares model
 * paths (the engine resolves them; the mock host compares them as they are).
 */
export function activeJobReading(
  jobs: readonly JobInfo[],
  modelPath: string,
  target: string,
  samePath: (a: string, b: string) => boolean = (a, b) => a === b,
): JobInfo | undefined {
  return jobs.find(
    (job) =>
      (job.state === 'queued' || job.state === 'running') &&
      samePath(job.spec.modelPath, modelPath) &&
      targetsOf(job.spec).includes(target),
  );
}

/** Why a variant cannot be removed now, and what to do. */
export function variantInUseMessage(job: JobInfo): string {
  return `The variant is in use by a ${job.state} ${job.spec.kind} job (${job.jobId}). Wait for it to finish or cancel it, then remove the variant.`;
}
