/**
 * What a pipeline, a job or an Auto-optimize run says when ONNX Studio stopped under it, in one place for the
 * backend (the pipeline runner, shared/pipeline-runner.ts, the job history, electron/engine/jobs/job-history.ts,
 * and the tune job and its records, electron/engine/tune/tune-job.ts and tune-records.ts), which records it,
 * and the page, which shows the same as soon as `serve` says it is stopping (before anything can be read back).
 * No zod and no runtime imports: the page's bundle loads it.
 *
 * Two ways: ONNX Studio was closing (the app quit, `serve` was stopped with Ctrl+C) and stopped its pipelines
 * itself, or it stopped without a word (killed, crashed) and the next start finds them cut off. Either way the
 * pipeline is `interrupted`, not `cancelled`: nobody cancelled it, and Run again finishes it. So is an
 * Auto-optimize run: its finished trials are kept, and Start Auto-optimize searches again.
 */
import type { PipelineInterruption, PipelineRecord, PipelineStepRecord, TuneRecord } from './workspace.js';

export type { PipelineInterruption };

/** The note of the step that was running when ONNX Studio stopped it while closing. */
export const STOPPED_WHILE_CLOSING =
  'Interrupted: ONNX Studio was closing (the app quit, or onnx-studio serve was stopped), which stopped this step. Run the pipeline again to finish it.';

/** The note of a step that was not run because ONNX Studio was closing. */
export const NOT_RUN_WHILE_CLOSING = 'Not run: ONNX Studio stopped its pipelines (it was closing).';

/** The note of a step that a restart found cut off (ONNX Studio was killed or crashed while it ran). */
export const CUT_OFF = 'ONNX Studio stopped before this step finished. Run the pipeline again to finish it.';

/** What a job that ONNX Studio stopped under says, after "Interrupted at N%" (the job list). */
export const JOB_STOPPED_WHILE_CLOSING =
  'ONNX Studio was closing (the app quit, or onnx-studio serve was stopped), which stopped this job. Start it again to get its result.';

/** What a job that a restart found cut off says (ONNX Studio was killed or crashed while it ran or waited). */
export const JOB_CUT_OFF =
  'ONNX Studio stopped before this job finished (it was killed or crashed). Start it again to get its result.';

/** Why a job did not finish, when ONNX Studio stopped under it. */
export function interruptedJobNote(how: PipelineInterruption): string {
  return how === 'closing' ? JOB_STOPPED_WHILE_CLOSING : JOB_CUT_OFF;
}

/** A step that did not finish because ONNX Studio stopped: running or still to run. */
export function interruptedStep(step: PipelineStepRecord, how: PipelineInterruption): PipelineStepRecord {
  if (step.status !== 'running' && step.status !== 'pending') return step;
  if (how === 'closing' && step.status === 'pending')
    return { ...step, status: 'skipped', note: NOT_RUN_WHILE_CLOSING };
  return { ...step, status: 'interrupted', note: how === 'closing' ? STOPPED_WHILE_CLOSING : CUT_OFF };
}

/**
 * A running pipeline as it reads once ONNX Studio stopped under it (as the runner records it: `closing` when it
 * stopped it while closing, `cut off` when a restart finds it marked running); any other pipeline as it is.
 */
export function interruptedPipeline(p: PipelineRecord, how: PipelineInterruption): PipelineRecord {
  if (p.status !== 'running') return p;
  return { ...p, status: 'interrupted', steps: p.steps.map((s) => interruptedStep(s, how)) };
}

/** Why an Auto-optimize search did not finish, when ONNX Studio stopped under it, and what is kept of it. */
export function interruptedTuneNote(how: PipelineInterruption, finishedTrials: number): string {
  const why =
    how === 'closing'
      ? 'ONNX Studio was closing (the app quit, or onnx-studio serve was stopped), which stopped this search'
      : 'ONNX Studio stopped before this search finished (it was killed or crashed)';
  const kept =
    finishedTrials === 0
      ? 'no trial had finished'
      : `its ${finishedTrials === 1 ? 'finished trial is' : `${finishedTrials} finished trials are`} kept`;
  return `Interrupted: ${why}; ${kept}. Start Auto-optimize to search again.`;
}

/**
 * A running Auto-optimize record as it reads once ONNX Studio stopped under it (`closing`: the tune job records it
 * so as it stops; `cut off`: a restart finds it marked running with its job gone), ended `endedAt` unless it says
 * when; any other record as it is.
 */
export function interruptedTune(record: TuneRecord, how: PipelineInterruption, endedAt: string): TuneRecord {
  if (record.status !== 'running') return record;
  return { ...record, status: 'interrupted', interrupted: how, endedAt: record.endedAt ?? endedAt };
}
