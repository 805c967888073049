/**
 * What a user can do with one variant besides exporting it: rename it, remove it (its file and every result
 * that measured it), or start new recipes from it (e.g. quantize a pruned variant). Shown under the Export
 * view's variant list, for the chosen variant.
 */
import { useEffect, useId, useState } from 'react';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';
import type { ActionOutcome } from '../state/use-studio.js';
import type { Variant } from '../state/variants.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ErrorPanel } from './error-panel.js';

/** The longest display name the workspace accepts. */
const MAX_NAME = 120;

type ActionState =
  | { kind: 'idle' }
  | { kind: 'renaming'; draft: string }
  | { kind: 'confirm-remove' }
  | { kind: 'working' }
  | { kind: 'done'; message: string }
  | { kind: 'failed'; title: string; error: StudioErrorInfo };

export function VariantActions({
  variant,
  variants,
  jobsRunning,
  onRename,
  onRemove,
  onMakeFrom,
}: {
  variant: Variant;
  /** Every model of the workspace, to name the parent. */
  variants: Variant[];
  /** A running job may be reading the variant's file, so removing waits until none runs. */
  jobsRunning: boolean;
  onRename: (target: string, name: string) => Promise<ActionOutcome>;
  onRemove: (target: string) => Promise<ActionOutcome>;
  onMakeFrom: (target: string) => void;
}) {
  const [action, setAction] = useState<ActionState>({ kind: 'idle' });
  const id = useId();

  // Another variant chosen: drop a half-typed name or an open question about the previous one.
  useEffect(() => {
    setAction((a) => (a.kind === 'renaming' || a.kind === 'confirm-remove' ? { kind: 'idle' } : a));
  }, [variant.id]);

  const parent = variant.parent;
  const parentLabel =
    parent === undefined || parent === ORIGINAL_TARGET
      ? 'the original model'
      : (variants.find((v) => v.id === parent)?.label ?? 'a variant that was since removed');

  const rename = async (draft: string) => {
    const name = draft.trim();
    if (name === '') {
      setAction({
        kind: 'failed',
        title: 'The variant was not renamed',
        error: { code: 'BAD_REQUEST', message: 'Enter a name (1 to 120 characters).' },
      });
      return;
    }
    if (name === variant.label) {
      setAction({ kind: 'idle' });
      return;
    }
    setAction({ kind: 'working' });
    const outcome = await onRename(variant.id, name);
    setAction(
      outcome.ok
        ? { kind: 'done', message: `Renamed ${variant.label}.` }
        : { kind: 'failed', title: 'The variant was not renamed', error: outcome.error },
    );
  };

  const remove = async () => {
    const label = variant.label;
    setAction({ kind: 'working' });
    const outcome = await onRemove(variant.id);
    setAction(
      outcome.ok
        ? { kind: 'done', message: `Removed ${label} and its results.` }
        : { kind: 'failed', title: 'The variant was not removed', error: outcome.error },
    );
  };

  return (
    <div className="variant-actions" role="group" aria-label={`Manage ${variant.label}`}>
      <p className="muted">Made from {parentLabel}.</p>
      {action.kind === 'renaming' ? (
        <form
          className="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            void rename(action.draft);
          }}
        >
          <label htmlFor={`${id}-name`}>New name</label>
          <input
            id={`${id}-name`}
            value={action.draft}
            maxLength={MAX_NAME}
            autoFocus
            onChange={(e) => setAction({ kind: 'renaming', draft: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setAction({ kind: 'idle' });
            }}
          />
          <button type="submit" className="primary">
            Save name
          </button>
          <button type="button" onClick={() => setAction({ kind: 'idle' })}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="button-row">
          <button
            type="button"
            onClick={() => setAction({ kind: 'renaming', draft: variant.label })}
            disabled={action.kind === 'working'}
          >
            Rename…
          </button>
          <button type="button" onClick={() => onMakeFrom(variant.id)} disabled={action.kind === 'working'}>
            Make a variant from it…
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => setAction({ kind: 'confirm-remove' })}
            disabled={action.kind === 'working' || jobsRunning}
            title={jobsRunning ? 'Wait for the running jobs to finish first.' : undefined}
          >
            Remove…
          </button>
        </div>
      )}
      {jobsRunning && action.kind !== 'renaming' && (
        <p className="field-hint">A variant can be removed once the running jobs have finished.</p>
      )}
      {action.kind === 'done' && (
        <p className="success" role="status">
          {action.message}
        </p>
      )}
      {action.kind === 'failed' && <ErrorPanel title={action.title} error={action.error} />}
      {action.kind === 'confirm-remove' && (
        <ConfirmDialog
          title={`Remove ${variant.label}?`}
          message="Its file in the workspace and every benchmark and evaluation of it are deleted. Files you exported stay where they are. This cannot be undone."
          confirmLabel="Remove"
          onConfirm={() => void remove()}
          onCancel={() => setAction({ kind: 'idle' })}
        />
      )}
    </div>
  );
}
