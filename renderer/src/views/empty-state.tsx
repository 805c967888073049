/**
 * What a new user sees first: what the app wants (an .onnx file), the ways to give it, a sample model to
 * try every feature with in the first minute, and the models opened before.
 */
import type { Ref } from 'react';
import { baseName } from '../format.js';

export function EmptyState({
  onOpen,
  openButtonRef,
  onTrySample,
  sampleAvailable,
  recent,
  onOpenRecent,
  viewCount,
}: {
  /** How many views Alt+number switches between (the tab bar's, so the hint never falls behind it). */
  viewCount: number;
  onOpen: () => void;
  /** The Open model… button, where the file browser gives the focus back when Ctrl+O opened it. */
  openButtonRef?: Ref<HTMLButtonElement>;
  onTrySample: () => void;
  sampleAvailable: boolean;
  recent: string[];
  onOpenRecent: (path: string) => void;
}) {
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h1 id="empty-title">Open an ONNX model</h1>
      <p>
        Drop an <code>.onnx</code> file anywhere on this window, or choose one from your disk. ONNX Studio
        reads the model and shows its inputs, outputs, size and operators. Your file is never modified.
      </p>
      <div className="button-row center">
        <button ref={openButtonRef} type="button" className="primary" onClick={onOpen}>
          Open model…
        </button>
        {sampleAvailable && (
          <button type="button" onClick={onTrySample}>
            Try the sample model
          </button>
        )}
      </div>
      {sampleAvailable && (
        <p className="muted">
          The sample is a trained handwritten-digits classifier (a 2.6 MB ResNet-style CNN) with its labelled
          test set and calibration images: quantize it, benchmark it and compare accuracy in about a minute.
        </p>
      )}
      {recent.length > 0 && (
        <nav aria-label="Recent models" className="recent">
          <h2>Recent</h2>
          <ul>
            {recent.slice(0, 8).map((path) => (
              <li key={path}>
                <button type="button" className="link" onClick={() => onOpenRecent(path)} title={path}>
                  {baseName(path)}
                </button>
                <span className="muted path-inline"> {path}</span>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <p className="muted">
        Shortcuts: <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>O</kbd> open · <kbd>Alt</kbd> + <kbd>1</kbd>–
        <kbd>{viewCount}</kbd> switch views
      </p>
    </section>
  );
}
