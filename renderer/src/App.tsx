/**
 * The first screen: an empty state until the user opens or drops a model, then the model's summary or an
 * error they can act on. All outside effects go through the `StudioHost` it is given.
 */
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import type { StudioErrorInfo } from '../../shared/errors.js';
import type { ModelSummary } from '../../shared/model-summary.js';
import { baseName } from './format.js';
import type { StudioHost } from './host/studio-host.js';
import { EmptyState } from './views/empty-state.js';
import { ErrorPanel } from './views/error-panel.js';
import { ModelSummaryView } from './views/model-summary-view.js';

type ViewState =
  | { kind: 'empty' }
  | { kind: 'loading'; path: string }
  | { kind: 'loaded'; summary: ModelSummary }
  | { kind: 'failed'; title: string; error: StudioErrorInfo };

export function App({ host }: { host: StudioHost }) {
  const [view, setView] = useState<ViewState>({ kind: 'empty' });
  const [dragging, setDragging] = useState(false);
  // Each inspect gets a number; an answer that arrives after a newer request started is dropped, so
  // opening two models quickly cannot show the first one last.
  const latestRequest = useRef(0);
  // dragenter/dragleave fire for every child element crossed; count them to know when the drag left.
  const dragDepth = useRef(0);

  const inspect = useCallback(
    async (path: string) => {
      const request = ++latestRequest.current;
      setView({ kind: 'loading', path });
      const result = await host.inspectModel(path);
      if (request !== latestRequest.current) return;
      setView(
        result.ok
          ? { kind: 'loaded', summary: result.value }
          : { kind: 'failed', title: `Could not open ${baseName(path)}`, error: result.error },
      );
    },
    [host],
  );

  const openWithDialog = useCallback(async () => {
    const result = await host.openModelDialog();
    if (!result.ok) {
      setView({ kind: 'failed', title: 'Could not show the Open dialog', error: result.error });
    } else if (result.value !== null) {
      await inspect(result.value);
    }
  }, [host, inspect]);

  // File > Open… in the app menu arrives as a command, so the menu and the button share one flow.
  useEffect(
    () =>
      host.onMenuCommand((command) => {
        if (command === 'open-model') void openWithDialog();
      }),
    [host, openWithDialog],
  );

  const openDroppedFile = (file: File) => {
    if (!file.name.toLowerCase().endsWith('.onnx')) {
      setView({
        kind: 'failed',
        title: `${file.name} is not an ONNX model`,
        error: { code: 'BAD_REQUEST', message: `ONNX Studio opens .onnx files; ${file.name} is not one.` },
      });
      return;
    }
    const path = host.getPathForFile(file);
    if (path === null) {
      setView({
        kind: 'failed',
        title: `Could not open ${file.name}`,
        error: {
          code: 'BAD_REQUEST',
          message: `${file.name} has no location on disk (it may have been dragged from a browser or an archive). Save it to a folder first, then open it from there.`,
        },
      });
      return;
    }
    void inspect(path);
  };

  const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');

  return (
    <div
      className={dragging ? 'app dragging' : 'app'}
      data-testid="drop-zone"
      onDragEnter={(event) => {
        if (!carriesFiles(event)) return;
        dragDepth.current += 1;
        setDragging(true);
      }}
      onDragLeave={() => {
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
      }}
      // Both handlers must cancel the default, or Chromium treats the drop as a navigation to the file.
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = carriesFiles(event) ? 'copy' : 'none';
      }}
      onDrop={(event) => {
        event.preventDefault();
        dragDepth.current = 0;
        setDragging(false);
        const file = event.dataTransfer.files[0];
        if (file) openDroppedFile(file);
      }}
    >
      <header className="toolbar">
        <span className="brand">ONNX Studio</span>
        {view.kind !== 'empty' && (
          <button type="button" onClick={() => void openWithDialog()}>
            Open model…
          </button>
        )}
      </header>

      <main className="content">
        {view.kind === 'empty' && <EmptyState onOpen={() => void openWithDialog()} />}
        {view.kind === 'loading' && (
          <p className="loading" role="status">
            Reading {baseName(view.path)}…
          </p>
        )}
        {view.kind === 'loaded' && <ModelSummaryView summary={view.summary} />}
        {view.kind === 'failed' && <ErrorPanel title={view.title} error={view.error} />}
      </main>

      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          Drop the .onnx file to open it
        </div>
      )}
    </div>
  );
}
