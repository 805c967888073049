/**
 * The pipelines of the open model, as the backend keeps them: each recipe with its steps (made, benchmarked,
 * evaluated), what failed or was skipped and why, and "Run again" for one that was interrupted (the app or
 * `serve` stopped under it), failed or cancelled. Survives a page reload and an app restart. A variant that
 * was evaluated and lost more than a point of accuracy against the original says so in red beside its title.
 */
import type { EvalRecord, PipelineRecord, PipelineStepStatus } from '../../../shared/workspace.js';
import { variantAccuracyDrop } from '../state/accuracy-drop.js';
import { AccuracyDropBadge } from './accuracy-drop-badge.js';

const STEP_SYMBOL: Record<PipelineStepStatus, string> = {
  pending: '○',
  running: '◔',
  done: '✓',
  failed: '✗',
  cancelled: '⊘',
  interrupted: '!',
  skipped: '–',
};

const SHOWN = 8;

export function PipelineList({
  pipelines,
  evaluations = [],
  onRerun,
}: {
  pipelines: readonly PipelineRecord[];
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
                {p.variant && <AccuracyDropBadge points={variantAccuracyDrop(evaluations, p.variant)} />}
              </span>
              <span
                className={`badge badge-${p.status === 'interrupted' || p.status === 'cancelled' ? 'failed' : p.status}`}
              >
                {p.status}
              </span>
            </div>
            <ol className="pipeline-steps">
              {p.steps.map((s, i) => (
                <li key={i} data-status={s.status} className={`pipeline-step step-${s.status}`}>
                  <span aria-hidden="true" className="step-symbol">
                    {STEP_SYMBOL[s.status]}
                  </span>{' '}
                  {s.title}
                  <span className="visually-hidden">: {s.status}</span>
                  {(s.error || s.note) && <span className="step-why"> — {s.error?.message ?? s.note}</span>}
                </li>
              ))}
            </ol>
            {(p.status === 'interrupted' || p.status === 'failed' || p.status === 'cancelled') && (
              <button type="button" className="small" onClick={() => onRerun(p.id)}>
                Run again
              </button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
