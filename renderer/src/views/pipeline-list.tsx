/**
 * The pipelines of the open model, as the backend keeps them: each recipe with its steps (made, benchmarked,
 * evaluated), what failed or was skipped and why, and "Run again" for one that was interrupted (the app or
 * `serve` stopped under it), failed or cancelled (not for a model onnxruntime cannot load: see rerunOffer). Survives a page reload and an app restart. A variant that
 * was evaluated and lost more than a point of accuracy against the original says so in red beside its title: the
 * pipeline's own evaluation, its data named in the tooltip (pipelineAccuracyDrop).
 */
import type {
  EvalRecord,
  PipelineRecord,
  PipelineStepKind,
  PipelineStepRecord,
  PipelineStepStatus,
} from '../../../shared/workspace.js';
import type { JobRecord } from '../state/studio-state.js';
import { pipelineAccuracyDrop, pipelineDropTitle } from '../state/accuracy-drop.js';
import { AccuracyDropBadge } from './accuracy-drop-badge.js';
import { accuracyMetricOf } from '../state/quality-words.js';

const STEP_SYMBOL: Record<StepShown, string> = {
  pending: '○',
  queued: '◷',
  running: '◔',
  done: '✓',
  failed: '✗',
  cancelled: '⊘',
  interrupted: '!',
  skipped: '–',
};

const SHOWN = 8;

/** What a step shows: the backend's status, or `queued` while its job waits for a lane (it says "Queued"). */
type StepShown = PipelineStepStatus | 'queued';

/**
 * A step the backend marks running has its job started, but the job may still wait behind others: the step
 * says `queued` then, as its job does in the jobs list, not `running` beside a job that says "Queued".
 */
export function stepShown(
  step: Pick<PipelineStepRecord, 'status' | 'jobId'>,
  jobs: readonly JobRecord[],
): StepShown {
  if (step.status !== 'running' || !step.jobId) return step.status;
  return jobs.find((j) => j.jobId === step.jobId)?.status === 'queued' ? 'queued' : 'running';
}

/**
 * Whether "Run again" can help: a pipeline that was interrupted, cancelled or failed, except one whose step
 * failed because onnxruntime cannot load the model (MODEL_INVALID: a custom operator, a too-new opset): the
 * file does not change, so running it again can only fail the same way.
 */
export function rerunOffer(p: Pick<PipelineRecord, 'status' | 'steps'>): 'offer' | 'unloadable' | 'none' {
  if (p.status !== 'interrupted' && p.status !== 'failed' && p.status !== 'cancelled') return 'none';
  const unloadable = p.steps.some((s) => s.status === 'failed' && s.error?.code === 'MODEL_INVALID');
  return unloadable ? 'unloadable' : 'offer';
}

/** The pipeline's badge: `queued` while it runs and its running step's job waits. */
export function pipelineShown(
  p: Pick<PipelineRecord, 'status' | 'steps'>,
  jobs: readonly JobRecord[],
): string {
  if (p.status !== 'running') return p.status;
  const current = p.steps.find((s) => s.status === 'running');
  return current && stepShown(current, jobs) === 'queued' ? 'queued' : 'running';
}

/** What a step of each kind does, as a failed pipeline's heading says it ("failed: evaluating the original"). */
const STEP_DOING: Record<PipelineStepKind, string> = {
  make: 'making the variant',
  bench: 'benchmarking',
  'evaluate-original': 'evaluating the original',
  evaluate: 'evaluating the variant',
};

/** The steps that failed, in words, e.g. "evaluating the original"; undefined where none did. */
export function failedSteps(p: Pick<PipelineRecord, 'steps'>): string | undefined {
  const failed = [...new Set(p.steps.filter((s) => s.status === 'failed').map((s) => STEP_DOING[s.kind]))];
  if (failed.length === 0) return undefined;
  return failed.length === 1 ? failed[0] : `${failed.slice(0, -1).join(', ')} and ${failed.at(-1)!}`;
}

/**
 * The pipeline's heading: its badge (`pipelineShown`), and for a failed one what failed: "failed: evaluating
 * the original". A bare "failed" above a variant made, benchmarked and evaluated (✓ ✓ ✓) read as a
 * contradiction: only the original's evaluation, the accuracy baseline, had failed.
 */
export function pipelineHeading(
  p: Pick<PipelineRecord, 'status' | 'steps'>,
  jobs: readonly JobRecord[],
): string {
  const shown = pipelineShown(p, jobs);
  const what = p.status === 'failed' ? failedSteps(p) : undefined;
  return what ? `${shown}: ${what}` : shown;
}

/**
 * Under a failed pipeline whose variant was made and measured and only the original's evaluation failed: what
 * that leaves (no accuracy baseline on this data) and what Run again does. Undefined otherwise.
 */
export function originalOnlyFailure(p: Pick<PipelineRecord, 'status' | 'steps'>): string | undefined {
  if (p.status !== 'failed') return undefined;
  const failed = p.steps.filter((s) => s.status === 'failed');
  if (failed.length === 0 || failed.some((s) => s.kind !== 'evaluate-original')) return undefined;
  if (!p.steps.some((s) => s.kind === 'make' && s.status === 'done')) return undefined;
  return "The variant's own steps finished; the original's evaluation on this data failed, so its accuracy has no baseline on the same data. Run again evaluates the original only.";
}

/** The drop of the pipeline's own evaluation, or where it has none, of the variant's latest, saying which. */
function PipelineDropBadge({
  pipeline,
  evaluations,
}: {
  pipeline: PipelineRecord;
  evaluations: readonly EvalRecord[];
}) {
  const drop = pipelineAccuracyDrop(evaluations, pipeline);
  return drop ? (
    <AccuracyDropBadge
      points={drop.points}
      metric={accuracyMetricOf(drop.variant.task)}
      title={pipelineDropTitle(drop)}
    />
  ) : null;
}

export function PipelineList({
  pipelines,
  evaluations = [],
  variantIds,
  jobs = [],
  onRerun,
}: {
  pipelines: readonly PipelineRecord[];
  /** The workspace's variants: a pipeline whose variant was removed since says so under its "done". */
  variantIds?: ReadonlySet<string>;
  /** The page's jobs: a running step whose job still waits shows `queued`, as the job does. */
  jobs?: readonly JobRecord[];
  /** The workspace's evaluations: a pipeline's variant shows its accuracy drop, once measured. */
  evaluations?: readonly EvalRecord[];
  onRerun: (pipelineId: string) => void;
}) {
  if (pipelines.length === 0) return null;
  const newest = [...pipelines].reverse().slice(0, SHOWN);
  return (
    <section aria-labelledby="pipelines-title" className="job-list pipeline-list">
      <header className="section-header">
        <h2 id="pipelines-title">Pipelines</h2>
        {pipelines.length > SHOWN && (
          <span className="muted">
            newest {SHOWN} of {pipelines.length}
          </span>
        )}
      </header>
      <ol>
        {newest.map((p) => (
          <li key={p.id} className="job pipeline" data-testid="pipeline" data-status={p.status}>
            <div className="job-head">
              <span className="job-title">
                {p.title}
                <PipelineDropBadge pipeline={p} evaluations={evaluations} />
              </span>
              <span
                className={`badge badge-${p.status === 'interrupted' || p.status === 'cancelled' ? 'failed' : pipelineShown(p, jobs)}`}
                data-testid="pipeline-status"
              >
                {pipelineHeading(p, jobs)}
              </span>
            </div>
            <ol className="pipeline-steps">
              {p.steps.map((s, i) => (
                <li
                  key={i}
                  data-status={stepShown(s, jobs)}
                  className={`pipeline-step step-${stepShown(s, jobs)}`}
                >
                  <span aria-hidden="true" className="step-symbol">
                    {STEP_SYMBOL[stepShown(s, jobs)]}
                  </span>{' '}
                  {s.title}
                  <span className="visually-hidden">: {stepShown(s, jobs)}</span>
                  {(s.error || s.note) && <span className="step-why"> — {s.error?.message ?? s.note}</span>}
                </li>
              ))}
            </ol>
            {originalOnlyFailure(p) && (
              <p className="field-hint" data-testid="pipeline-original-failed">
                {originalOnlyFailure(p)}
              </p>
            )}
            {p.variant && variantIds && !variantIds.has(p.variant) && (
              <p className="field-hint" data-testid="pipeline-variant-removed">
                Its variant was removed since: its results went with it.
              </p>
            )}
            {rerunOffer(p) === 'offer' && (
              <button type="button" className="small" onClick={() => onRerun(p.id)}>
                Run again
              </button>
            )}
            {rerunOffer(p) === 'unloadable' && (
              <p className="field-hint" data-testid="no-rerun">
                Not offered again: onnxruntime cannot load this model, so the same steps would fail the same
                way. Export the model without what it refuses and open the new file.
              </p>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
