/**
 * A modal question before something that cannot be undone (replacing a file, removing a variant). The
 * native <dialog> traps focus, Escape cancels, the safe choice has the focus, and the focus goes back to the
 * button that asked once the question is answered (components/modal-dialog.ts).
 */
import { useId, useRef } from 'react';
import { useModalDialog } from '../components/modal-dialog.js';

export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useModalDialog(ref, true);
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-t`}
      aria-describedby={`${id}-m`}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      className="confirm"
    >
      <h2 id={`${id}-t`}>{title}</h2>
      <p id={`${id}-m`}>{message}</p>
      <div className="button-row">
        <button type="button" onClick={onCancel} data-autofocus>
          Keep it
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
