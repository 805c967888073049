/**
 * The studio shell: toolbar (open, sample, theme), the views as tabs (Model, Graph, Optimize, Compare,
 * Export), drag and drop of .onnx files, and keyboard shortcuts. All outside effects go through the
 * `StudioHost` it is given, by way of `useStudio`.
 *
 * Keyboard: Ctrl/⌘+O opens a model; Alt+1..5 switch views; in the tab bar the arrow keys, Home and End move
 * between tabs (the WAI-ARIA tabs pattern), and Tab moves into the view.
 */
import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type DragEvent,
  type KeyboardEvent,
} from 'react';
import { ORIGINAL_TARGET } from '../../shared/workspace.js';
import { FileBrowser } from './forms/file-browser.js';
import { droppedModelPath } from './dropped-files.js';
import { baseName } from './format.js';
import { HostContext } from './host/host-context.js';
import { loadOpenModel, saveOpenModel, type OpenModelMemory } from './state/session-model.js';
import type { StudioHost } from './host/studio-host.js';
import type { ConnectionState } from './host/ws-host.js';
import { connectionWords, SERVE_JOBS } from './host/connection-words.js';
import { lazyModule, type ModuleState } from './lazy-module.js';
import { isActive } from './state/studio-state.js';
import { useStudio } from './state/use-studio.js';
import { applyThemeChoice, loadThemeChoice, type ThemeChoice } from './theme.js';
import { EmptyState } from './views/empty-state.js';
import { JobStatusBar } from './views/job-status-bar.js';
import { InputSpecPanel, InputSpecRequired } from './views/input-spec-panel.js';
import { inputSpecState } from './state/experiment.js';
import { ErrorPanel } from './views/error-panel.js';
import { ExportView } from './views/export-view.js';
import { OptimizeView } from './views/optimize-view.js';

export const TABS = [
  { id: 'model', label: 'Model' },
  // Graph view (issue 15): one entry here, one lazy module and one panel below, marked "Graph view".
  { id: 'graph', label: 'Graph' },
  { id: 'optimize', label: 'Optimize' },
  { id: 'compare', label: 'Compare' },
  { id: 'export', label: 'Export' },
] as const;
export type TabId = (typeof TABS)[number]['id'];

const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const THEME_TEXT: Record<ThemeChoice, string> = {
  system: 'Theme: system',
  light: 'Theme: light',
  dark: 'Theme: dark',
};

/*
 * The chart views load on demand (lazy-module.ts). recharts is most of the bundle and only Compare uses it:
 * evaluating it at startup made the first paint one long task. The Model view's module is fetched while the
 * model is parsed.
 */
const modelViewModule = lazyModule(() => import('./views/model-summary-view.js'));
const compareViewModule = lazyModule(() => import('./views/compare-view.js'));
// Graph view: its module (canvas drawing, overlays) loads on first visit; the layout runs in a worker.
const graphViewModule = lazyModule(() => import('./views/graph-view.js'));

function ModuleStatus({ state, onRetry }: { state: ModuleState<unknown>; onRetry: () => void }) {
  if (state.kind === 'failed') {
    return (
      <>
        <ErrorPanel
          title="Could not load this view"
          error={{
            code: 'IO',
            message: `${state.message} Try again. If it keeps failing, the app's files changed since this window opened: reload the page, or restart ONNX Studio.`,
          }}
        />
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      </>
    );
  }
  return (
    <p className="loading" role="status">
      Loading the view…
    </p>
  );
}

export function App({ host }: { host: StudioHost }) {
  const studio = useStudio(host);
  const { state, view, actions, appInfo } = studio;
  const [tab, setTab] = useState<TabId>('model');
  const [browsing, setBrowsing] = useState(false);
  // Optimize is mounted on first visit and then kept (hidden) so its forms survive a look at other views.
  const [optimizeVisited, setOptimizeVisited] = useState(false);
  useEffect(() => {
    if (tab === 'optimize') setOptimizeVisited(true);
  }, [tab]);
  // What Optimize's recipes start from; Export's "Make a variant from it" sets it.
  const [recipeSource, setRecipeSource] = useState<string>(ORIGINAL_TARGET);
  const [recent, setRecent] = useState<string[]>([]);
  const [connection, setConnection] = useState<ConnectionState>('connected');
  const [theme, setTheme] = useState<ThemeChoice>(loadThemeChoice);
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child element crossed; count them to know when the drag left.
  const dragDepth = useRef(0);
  const tabRefs = useRef<Partial<Record<TabId, HTMLButtonElement | null>>>({});
  // The Open model… button shown (the toolbar's, or the start screen's): the file browser gives the focus back
  // to it when Ctrl+O opened the browser from the page.
  const openButton = useRef<HTMLButtonElement>(null);

  useEffect(() => applyThemeChoice(theme), [theme]);

  useEffect(() => {
    let live = true;
    void host.listRecent().then((r) => {
      if (live && r.ok) setRecent(r.value);
    });
    const off = host.onRecentChanged(setRecent);
    return () => {
      live = false;
      off();
    };
  }, [host]);

  // `serve` only: a dropped connection is shown until it is back (the host reconnects by itself).
  useEffect(() => {
    const withConnection = host as StudioHost & {
      onConnectionChange?: (l: (s: ConnectionState) => void) => () => void;
    };
    return withConnection.onConnectionChange?.(setConnection);
  }, [host]);

  /** The native Open dialog where there is one; the in-page browser of the backend's disk otherwise. */
  const openWithDialog = useCallback(async () => {
    // A click before the app info has arrived asks for it: a browser page has no native dialog to fall back on.
    const info = appInfo ?? (await host.appInfo().then((r) => (r.ok ? r.value : undefined)));
    if (info && !info.capabilities.nativeDialogs) {
      setBrowsing(true);
      return;
    }
    const result = await host.openModelDialog();
    if (!result.ok) actions.showError('Could not show the Open dialog', result.error);
    else if (result.value !== null) await actions.openModel(result.value);
  }, [actions, appInfo, host]);

  // Menu commands arrive from the app menu, so the menu and the buttons share one flow.
  useEffect(
    () =>
      host.onMenuCommand((command) => {
        if (command === 'open-model') void openWithDialog();
        else if (command === 'open-sample') void actions.openSample();
        else if ((command === 'export-variant' || command === 'export-report') && state.model)
          setTab('export');
      }),
    [host, actions, openWithDialog, state.model],
  );

  // A reload reopens the model this tab had open, on the view it showed (state/session-model.ts).
  const restoring = useRef<OpenModelMemory | undefined>(undefined);
  useEffect(() => {
    const memory = loadOpenModel();
    if (!memory) return;
    restoring.current = memory;
    void actions.openModel(memory.path);
    // Once, on load: later opens are the user's.
  }, []);

  // A newly opened model starts on its summary (a reopened one on the view it showed).
  const openedPath = state.model?.path;
  useEffect(() => {
    if (openedPath) {
      const restored = restoring.current;
      restoring.current = undefined;
      const back = restored?.path === openedPath ? TABS.find((t) => t.id === restored.tab)?.id : undefined;
      setTab(back ?? 'model');
    }
    setRecipeSource(ORIGINAL_TARGET);
  }, [openedPath]);
  useEffect(() => {
    if (openedPath) saveOpenModel({ path: openedPath, tab });
  }, [openedPath, tab]);
  // A remembered model that cannot be opened again (moved, deleted) is forgotten, not retried on every reload.
  useEffect(() => {
    if (view.kind === 'failed' && !state.model) saveOpenModel(null);
  }, [view.kind, state.model]);

  const loaded = view.kind === 'loaded' && state.model !== null;
  useEffect(() => {
    if (view.kind === 'loading') void modelViewModule.preload();
  }, [view.kind]);
  const [modelView, retryModelView] = modelViewModule.useModule(loaded && tab === 'model');
  const [compareView, retryCompareView] = compareViewModule.useModule(loaded && tab === 'compare');
  const [graphView, retryGraphView] = graphViewModule.useModule(loaded && tab === 'graph');
  // Compare's module (with recharts) takes one 40–60 ms task to start. Do it while the user reads the model,
  // not when they first look at Compare, which is often while a benchmark streams.
  useEffect(() => {
    if (!loaded) return;
    // Not every browser has requestIdleCallback (Safari); a timer does the same job less politely.
    if (typeof requestIdleCallback !== 'function') {
      const timer = setTimeout(() => void compareViewModule.preload(), 1000);
      return () => clearTimeout(timer);
    }
    const idle = requestIdleCallback(() => void compareViewModule.preload(), { timeout: 3000 });
    return () => cancelIdleCallback(idle);
  }, [loaded]);

  const onKeyDown = useCallback(
    (event: globalThis.KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'o') {
        // In the desktop app the menu accelerator handles it; in a browser this is the only way.
        if (host.kind !== 'electron') {
          event.preventDefault();
          void openWithDialog();
        }
        return;
      }
      if (event.altKey && !event.ctrlKey && !event.metaKey && /^[1-9]$/.test(event.key) && loaded) {
        const next = TABS[Number(event.key) - 1];
        if (next) {
          event.preventDefault();
          setTab(next.id);
          tabRefs.current[next.id]?.focus();
        }
      }
    },
    [openWithDialog, host.kind, loaded],
  );
  useEffect(() => {
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onKeyDown]);

  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const last = TABS.length - 1;
    const target =
      event.key === 'ArrowRight'
        ? index === last
          ? 0
          : index + 1
        : event.key === 'ArrowLeft'
          ? index === 0
            ? last
            : index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : undefined;
    if (target === undefined) return;
    event.preventDefault();
    const next = TABS[target];
    if (next) {
      setTab(next.id);
      tabRefs.current[next.id]?.focus();
    }
  };

  // The .onnx among the dropped files: opened where it is, or (serve) uploaded with the files dropped with it.
  const openDroppedFiles = (files: File[]) => {
    void droppedModelPath(host, files).then((dropped) => {
      if (dropped.ok) void actions.openModel(dropped.path);
      else actions.showError(dropped.title, dropped.error);
    });
  };

  const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');
  const inputsReady = state.model ? inputSpecState(state.model, state.workspace).ready : true;
  const running = state.jobs.filter(isActive).length;

  return (
    <HostContext.Provider
      value={{ host, appInfo, connection, ...(state.model ? { modelPath: state.model.path } : {}) }}
    >
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
          // All of them: a model with external data is dropped together with its data file.
          const files = Array.from(event.dataTransfer.files);
          if (files.length > 0) openDroppedFiles(files);
        }}
      >
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="toolbar">
          <span className="brand">ONNX Studio</span>
          {loaded && state.model && (
            <span className="toolbar-model muted" title={state.model.path}>
              {baseName(state.model.path)}
            </span>
          )}
          <span className="toolbar-spacer" />
          {running > 0 && (
            <button
              type="button"
              className="small activity"
              onClick={() => setTab('optimize')}
              aria-label={`${running} jobs running or queued: show them`}
            >
              {/* Queued jobs count here too: "4 running" stood beside the status bar's "1 running · 3 queued". */}
              {running} active
            </button>
          )}
          {view.kind !== 'empty' && (
            <>
              <button ref={openButton} type="button" onClick={() => void openWithDialog()}>
                Open model…
              </button>
              <button type="button" onClick={() => void actions.openSample()}>
                Try the sample model
              </button>
            </>
          )}
          <button
            type="button"
            className="small"
            onClick={() => setTheme(THEME_NEXT[theme])}
            aria-label={`${THEME_TEXT[theme]}. Switch theme`}
          >
            {THEME_TEXT[theme]}
          </button>
        </header>

        {connection !== 'connected' && (
          <p className="connection-banner" role="status">
            {connectionWords(connection, SERVE_JOBS)}
          </p>
        )}
        {loaded && (
          <nav className="tabs" role="tablist" aria-label="Views">
            {TABS.map((t, i) => (
              <button
                key={t.id}
                ref={(el) => {
                  tabRefs.current[t.id] = el;
                }}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls={`panel-${t.id}`}
                tabIndex={tab === t.id ? 0 : -1}
                onClick={() => setTab(t.id)}
                onKeyDown={(e) => onTabKey(e, i)}
                title={`Alt+${i + 1}`}
              >
                {t.label}
              </button>
            ))}
          </nav>
        )}

        <main className="content" id="main" tabIndex={-1}>
          {view.kind === 'empty' && (
            <EmptyState
              viewCount={TABS.length}
              onOpen={() => void openWithDialog()}
              openButtonRef={openButton}
              onTrySample={() => void actions.openSample()}
              sampleAvailable={appInfo ? appInfo.sample !== undefined : true}
              recent={recent}
              onOpenRecent={(path) => void actions.openModel(path)}
            />
          )}
          {view.kind === 'loading' && (
            <p className="loading" role="status">
              Reading {baseName(view.path)}…
            </p>
          )}
          {view.kind === 'failed' && <ErrorPanel title={view.title} error={view.error} />}
          {view.kind === 'loaded' && view.openError && (
            <div className="open-error" data-testid="open-error">
              <ErrorPanel title={view.openError.title} error={view.openError.error} compact />
              <p className="muted">
                {state.model ? `${baseName(state.model.path)} is still open. ` : ''}
                <button type="button" className="small" onClick={actions.dismissError}>
                  Dismiss
                </button>
              </p>
            </div>
          )}
          {loaded && state.model && (
            <>
              {tab !== 'optimize' && (
                <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
                  {tab === 'model' && (
                    <InputSpecPanel key={state.model.path} studio={studio} summary={state.model} workspace={state.workspace} />
                  )}
                  {tab !== 'model' && tab !== 'export' && tab !== 'graph' && !inputsReady && (
                    <InputSpecRequired summary={state.model} onGoToModel={() => setTab('model')} />
                  )}
                  {tab === 'model' &&
                    (modelView.kind === 'loaded' ? (
                      <modelView.module.ModelSummaryView summary={state.model} />
                    ) : (
                      <ModuleStatus state={modelView} onRetry={retryModelView} />
                    ))}
                  {/* Graph view */}
                  {tab === 'graph' &&
                    (graphView.kind === 'loaded' ? (
                      <graphView.module.GraphView host={host} modelPath={state.model.path} workspace={state.workspace} />
                    ) : (
                      <ModuleStatus state={graphView} onRetry={retryGraphView} />
                    ))}
                  {tab === 'compare' &&
                    (compareView.kind === 'loaded' ? (
                      <compareView.module.CompareView
                        host={host}
                        studio={studio}
                        inputsReady={inputsReady}
                        onGoToOptimize={() => setTab('optimize')}
                      />
                    ) : (
                      <ModuleStatus state={compareView} onRetry={retryCompareView} />
                    ))}
                  {tab === 'export' && (
                    <ExportView
                      host={host}
                      studio={studio}
                      onGoToOptimize={() => setTab('optimize')}
                      onMakeFrom={(target) => {
                        setRecipeSource(target);
                        setTab('optimize');
                      }}
                    />
                  )}
                </section>
              )}
              {/* Optimize is mounted on first visit and then stays (hidden), so the recipes and data a user
                  filled in survive a look at Compare. */}
              {(optimizeVisited || tab === 'optimize') && (
                <section
                  role="tabpanel"
                  id="panel-optimize"
                  aria-labelledby="tab-optimize"
                  className="panel"
                  hidden={tab !== 'optimize'}
                >
                  {!inputsReady && <InputSpecRequired summary={state.model} onGoToModel={() => setTab('model')} />}
                  <OptimizeView
                    inputsReady={inputsReady}
                    key={state.model.path}
                    host={host}
                    studio={studio}
                    source={recipeSource}
                    onSourceChange={setRecipeSource}
                  />
                </section>
              )}
            </>
          )}
        </main>

        <JobStatusBar
          jobs={state.jobs}
          onCancel={(id) => void actions.cancel(id)}
          onClear={actions.clearFinishedJobs}
          cleared={(state.clearedJobIds?.length ?? 0) > 0}
          {...(state.model ? { modelPath: state.model.path } : {})}
        />

        {dragging && (
          <div className="drop-overlay" aria-hidden="true">
            Drop the .onnx file to open it
          </div>
        )}
        {browsing && (
          <FileBrowser
            mode="file"
            title="Open an ONNX model"
            extensions={['onnx']}
            {...(state.model ? { start: state.model.path } : {})}
            onChoose={(path) => {
              setBrowsing(false);
              void actions.openModel(path);
            }}
            onClose={() => setBrowsing(false)}
            returnFocus={() => openButton.current}
          />
        )}
      </div>
    </HostContext.Provider>
  );
}
