/**
 * The app's modal <dialog>s, one way. A dialog is shown with showModal (the focus stays inside, Escape
 * cancels) and the focus goes to its control marked `data-autofocus`, a safe one (a Close button, a path
 * field; never a destructive action such as Clear finished, which a second Enter would then press). When it
 * closes, however it closes (Escape, a button, the dialog leaving the page), the focus goes back to the
 * control that had it before it opened; when that control is gone, or there was none (Ctrl+O pressed on the
 * page), to the fallback the caller names. The browser's own restoring does not cover a dialog that React
 * removes from the page, so the focus fell to <body> and the next Tab started from the top.
 */
import { useEffect, useRef, type RefObject } from 'react';

/** The control a dialog focuses as it opens: its attribute (`<button data-autofocus>`). */
export const AUTOFOCUS_SELECTOR = '[data-autofocus]';

/** What the helper uses of an element (a plain object stands in for one in tests). */
export interface FocusableLike {
  focus(options?: FocusOptions): void;
  readonly isConnected: boolean;
}

/** What the helper uses of a <dialog>. */
export interface ModalDialogLike {
  readonly open: boolean;
  showModal(): void;
  close(): void;
  contains(other: unknown): boolean;
  querySelector(selector: string): unknown;
  readonly ownerDocument: { readonly activeElement: unknown; readonly body: unknown };
}

/** Where the focus goes when the dialog closes and the control that opened it is gone (or was the page). */
export type FocusFallback = () => FocusableLike | null | undefined;

function focusable(element: unknown): FocusableLike | null {
  return element !== null && typeof element === 'object' && 'focus' in element && 'isConnected' in element
    ? (element as FocusableLike)
    : null;
}

/**
 * Shows `dialog` as a modal, focuses its `data-autofocus` control and returns the function that closes it
 * and gives the focus back (to the control that had it, else to `fallback`'s).
 */
export function showModalDialog(dialog: ModalDialogLike, fallback?: FocusFallback): () => void {
  const doc = dialog.ownerDocument;
  const before = doc.activeElement;
  const opener = before === doc.body || dialog.contains(before) ? null : focusable(before);
  if (!dialog.open) dialog.showModal();
  focusable(dialog.querySelector(AUTOFOCUS_SELECTOR))?.focus();
  return () => {
    if (dialog.open) dialog.close();
    const back = opener?.isConnected ? opener : fallback?.();
    if (back?.isConnected) back.focus();
  };
}

/**
 * `showModalDialog` for a component: the dialog in `ref` is shown while `open` is true (and it is in the
 * page), and closed, with the focus given back, when `open` turns false or the component leaves.
 */
export function useModalDialog(
  ref: RefObject<HTMLDialogElement | null>,
  open: boolean,
  fallback?: FocusFallback,
): void {
  // The latest fallback, read as the dialog closes (the caller's function is new on every render).
  const latest = useRef(fallback);
  latest.current = fallback;
  useEffect(() => {
    const dialog = ref.current;
    if (!open || !dialog) return;
    return showModalDialog(dialog, () => latest.current?.());
  }, [open, ref]);
}
