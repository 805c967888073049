/**
 * The page's side of pipelines, as plain functions (unit-tested in pipeline-requests.test.ts): what the
 * Optimize view asks the backend for, and which of the backend's pipeline jobs the job list must show. The
 * workflow itself (which step runs when, what is skipped) is the backend's (shared/pipeline-runner.ts).
 */
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { JobSpec, PipelineRequest } from '../../../shared/ipc-contract.js';
import { ORIGINAL_TARGET, type PipelineRecord } from '../../../shared/workspace.js';
import type { MeasurementSource, StudioAction, StudioState } from './studio-state.js';

/** One recipe to apply to the original model, or to a variant of it. */
export interface RecipeRequest {
  kind: 'quantize' | 'prune';
  method: string;
  /** The variant id to start from (e.g. quantize a pruned variant); the original when absent. */
  source?: string;
  common: Record<string, unknown>;
  options: Record<string, unknown>;
  /** Calibration samples, for methods that need them. */
  calibration?: DatasetSpecInput;
  /** Display name of the variant (default: the backend's, from the method). */
  name?: string;
}

export interface BenchSettings {
  /** Native execution provider, e.g. `cpu`. */
  ep: string;
  warmup: number;
  iterations: number;
  /** Record onnxruntime's profile for the per-op breakdown (a separate pass after timing: latencies are not affected). */
  profile: boolean;
}

/** What to do with each variant once it is made. */
export interface FollowUp {
  bench?: BenchSettings;
  evaluate?: DatasetSpecInput;
}

type Ep = NonNullable<Extract<JobSpec, { kind: 'bench' }>['ep']>;

/** One pipeline per recipe: make the variant, then the follow-ups the user ticked. */
export function pipelineRequests(modelPath: string, recipes: RecipeRequest[], followUp: FollowUp = {}): PipelineRequest[] {
  return recipes.map((recipe) => {
    const common = { modelPath, method: recipe.method, ...(recipe.source ? { source: recipe.source } : {}), ...(recipe.name ? { name: recipe.name } : {}) };
    const make: PipelineRequest['make'] =
      recipe.kind === 'quantize'
        ? {
            kind: 'quantize',
            ...common,
            common: recipe.common,
            options: recipe.options,
            ...(recipe.calibration ? { calibration: { spec: recipe.calibration } } : {}),
          }
        : { kind: 'prune', ...common, common: recipe.common, options: recipe.options };
    return {
      make,
      ...(followUp.bench
        ? { bench: { ep: followUp.bench.ep as Ep, warmup: followUp.bench.warmup, iterations: followUp.bench.iterations, profile: followUp.bench.profile } }
        : {}),
      ...(followUp.evaluate ? { evaluate: { data: { spec: followUp.evaluate } } } : {}),
    };
  });
}

/**
 * `job-submitted` actions for the running steps of pipelines whose jobs the page does not know yet (the
 * backend started them), so they show in the job list with the step's title and benchmarks stream live.
 */
export function pipelineJobActions(state: StudioState, pipelines: readonly PipelineRecord[], nowMs: number): StudioAction[] {
  const known = new Set(state.jobs.map((j) => j.jobId));
  const actions: StudioAction[] = [];
  for (const p of pipelines) {
    for (const step of p.steps) {
      if (step.status !== 'running' || !step.jobId || known.has(step.jobId)) continue;
      const request = p.request as Partial<PipelineRequest> | undefined;
      const modelPath = request?.make?.modelPath ?? state.model?.path ?? '';
      // What the step measures (as `measuredTargets` says of its job): a failed evaluation stays on its model.
      const targets =
        step.kind === 'evaluate-original'
          ? [ORIGINAL_TARGET]
          : !p.variant || step.kind === 'make'
            ? []
            : step.kind === 'bench'
              ? [ORIGINAL_TARGET, p.variant]
              : [p.variant];
      const kind = step.kind === 'make' ? (request?.make?.kind ?? 'quantize') : step.kind === 'bench' ? 'bench' : 'evaluate';
      const measurement: MeasurementSource | undefined =
        step.kind === 'bench' ? { engine: 'onnxruntime-node', provider: request?.bench?.ep ?? 'cpu' } : undefined;
      actions.push({
        type: 'job-submitted',
        jobId: step.jobId,
        kind,
        title: step.title,
        modelPath,
        atMs: nowMs,
        ...(targets.length > 0 ? { targets } : {}),
        ...(measurement ? { measurement } : {}),
      });
    }
  }
  return actions;
}

/** The title of the pipeline step each job ran, by job id (the job list names them so after a reload too). */
export function pipelineStepTitles(pipelines: readonly PipelineRecord[]): Record<string, string> {
  const titles: Record<string, string> = {};
  for (const p of pipelines) for (const s of p.steps) if (s.jobId) titles[s.jobId] = s.title;
  return titles;
}

/**
 * Jobs of pipeline steps that already ended before the page saw them running (a quick step between two
 * workspace refreshes): the page asks the backend's job list for them.
 */
export function finishedUnknownJobs(state: StudioState, pipelines: readonly PipelineRecord[]): string[] {
  const known = new Set(state.jobs.map((j) => j.jobId));
  const ids: string[] = [];
  for (const p of pipelines) {
    for (const s of p.steps) {
      if (s.jobId && s.status !== 'running' && s.status !== 'pending' && !known.has(s.jobId)) ids.push(s.jobId);
    }
  }
  return ids;
}
