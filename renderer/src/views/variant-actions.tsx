/**
 * What a user can do with one variant besides exporting it: rename it, remove it (its file and every result
 * that measured it), or start new recipes from it (e.g. quantize a pruned variant). Shown under the Export
 * view's variant list, for the chosen variant.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { ORIGINAL_TARGET } from '../../../shared/workspace.js';
import { MAX_VARIANT_NAME, renamedVariantName } from '../../../shared/variant-naming.js';
import type { ActionOutcome } from '../state/use-studio.js';
import type { Variant } from '../state/variants.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ErrorPanel } from './error-panel.js';

/** The longest display name the workspace accepts. */
const MAX_NAME = MAX_VARIANT_NAME;

/**
 * The name field's width in characters: the name and a little room to type, at least wide enough for a
 * typical default name. At the browser's default (20) `structured 10% + int8-static` showed with its start cut
 * off. CSS caps it at the row's width (styles.css, `.rename-form input`).
 */
function nameFieldSize(draft: string): number {
  return Math.min(Math.max(draft.length + 4, 32), MAX_NAME);
}

type ActionState =
  | { kind: 'idle' }
  /** `error`: why the typed name cannot be saved, shown on the field (the form stays open). */
  | { kind: 'renaming'; draft: string; error?: string }
  | { kind: 'confirm-remove' }
  | { kind: 'working' }
  | { kind: 'done'; message: string }
  | { kind: 'failed'; title: string; error: StudioErrorInfo };

/**
 * What to do when a rename or removal is refused: the message says why (a job reading the variant, a name
 * taken); the per-code default for BAD_REQUEST is about opening a model, which read as nonsense here.
 */
const VARIANT_ACTION_WHAT_TO_DO = {
  BAD_REQUEST:
    'Do what the message above says, then try again (a job that reads the variant: wait for it to end, or cancel it in Jobs at the bottom of the window).',
} as const;

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
  const renameButton = useRef<HTMLButtonElement>(null);
  // Set when the form or the question that had the focus goes away: the focus goes back to Rename….
  const refocus = useRef(false);
  const finish = (next: ActionState) => {
    refocus.current = true;
    setAction(next);
  };
  useEffect(() => {
    if (!refocus.current || action.kind === 'renaming' || action.kind === 'working') return;
    refocus.current = false;
    renameButton.current?.focus();
  }, [action]);

  // Another variant chosen: drop a half-typed name, an open question or an error about the previous one.
  // "Removed …" stays: removing is what chose another variant.
  useEffect(() => {
    setAction((a) => (a.kind === 'done' ? a : { kind: 'idle' }));
  }, [variant.id]);

  const parent = variant.parent;
  const parentLabel =
    parent === undefined || parent === ORIGINAL_TARGET
      ? 'the original model'
      : (variants.find((v) => v.id === parent)?.label ?? 'a variant that was since removed');

  const rename = async (draft: string) => {
    const name = draft.trim();
    if (name === '') {
      setAction({ kind: 'renaming', draft, error: `Enter a name (1 to ${MAX_NAME} characters).` });
      return;
    }
    if (name === variant.label) {
      finish({ kind: 'idle' });
      return;
    }
    // The backend's own rule, said here on the field before asking it (the original is no variant there).
    const checked = renamedVariantName(
      variants.filter((v) => !v.isOriginal).map((v) => ({ id: v.id, name: v.label })),
      variant.id,
      name,
    );
    if ('problem' in checked) {
      setAction({ kind: 'renaming', draft, error: checked.problem });
      return;
    }
    setAction({ kind: 'working' });
    const outcome = await onRename(variant.id, name);
    finish(
      outcome.ok
        ? { kind: 'done', message: `Renamed ${variant.label}.` }
        : { kind: 'failed', title: 'The variant was not renamed', error: outcome.error },
    );
  };

  const remove = async () => {
    const label = variant.label;
    setAction({ kind: 'working' });
    const outcome = await onRemove(variant.id);
    finish(
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
            size={nameFieldSize(action.draft)}
            maxLength={MAX_NAME}
            autoFocus
            aria-invalid={action.error ? true : undefined}
            aria-describedby={action.error ? `${id}-name-error` : undefined}
            onChange={(e) => setAction({ kind: 'renaming', draft: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === 'Escape') finish({ kind: 'idle' });
            }}
          />
          <button type="submit" className="primary">
            Save name
          </button>
          <button type="button" onClick={() => finish({ kind: 'idle' })}>
            Cancel
          </button>
          {action.error && (
            <p id={`${id}-name-error`} className="field-error" role="alert">
              {action.error}
            </p>
          )}
        </form>
      ) : (
        <div className="button-row">
          <button
            ref={renameButton}
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
            aria-describedby={jobsRunning ? `${id}-busy` : undefined}
          >
            Remove…
          </button>
        </div>
      )}
      {jobsRunning && action.kind !== 'renaming' && (
        <p id={`${id}-busy`} className="field-hint">
          A variant can be removed once the running jobs have finished.
        </p>
      )}
      {action.kind === 'done' && (
        <p className="success" role="status">
          {action.message}
        </p>
      )}
      {action.kind === 'failed' && (
        <ErrorPanel title={action.title} error={action.error} whatToDo={VARIANT_ACTION_WHAT_TO_DO} />
      )}
      {action.kind === 'confirm-remove' && (
        <ConfirmDialog
          title={`Remove ${variant.label}?`}
          message="Its file in the workspace and every benchmark and evaluation of it are deleted. Files you exported stay where they are. This cannot be undone."
          confirmLabel="Remove"
          onConfirm={() => void remove()}
          // The dialog gives the focus back to Remove… as it closes.
          onCancel={() => setAction({ kind: 'idle' })}
        />
      )}
    </div>
  );
}
