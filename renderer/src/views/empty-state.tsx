/** What a new user sees first: what the app wants (an .onnx file) and the two ways to give it. */
export function EmptyState({ onOpen }: { onOpen: () => void }) {
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h1 id="empty-title">Open an ONNX model</h1>
      <p>
        Drop an <code>.onnx</code> file anywhere on this window, or choose one from your disk. ONNX Studio
        reads the model and shows its inputs, outputs, size and operators. Your file is never modified.
      </p>
      <button type="button" className="primary" onClick={onOpen}>
        Open model…
      </button>
      <p className="muted">
        Shortcut: <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>O</kbd>
      </p>
    </section>
  );
}
