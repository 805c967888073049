/**
 * Electron entry point (`package.json` `main`): app lifecycle and composition only. Each concern lives in
 * its own file: the `app://` scheme, the window and its security rules, its remembered state, the menu,
 * dialogs, and IPC. The work itself happens in the host-independent backend (electron/engine/jobs/), whose
 * engine and task processes are started here with `utilityProcess`.
 */
import { app, BrowserWindow, Menu, screen, session, shell, utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../engine/host/engine-client.js';
import { sampleModel } from '../engine/jobs/sample-model.js';
import { StudioBackend } from '../engine/jobs/studio-backend.js';
import { TaskPool } from '../engine/jobs/task-pool.js';
import { defaultDataDir } from '../engine/workspace/data-dir.js';
import { registerAppProtocol, registerAppSchemePrivileges } from './app-protocol.js';
import { dialogHandlers } from './dialogs.js';
import { registerIpcHandlers, sendMenuCommand, sendOpenModel } from './ipc.js';
import { buildAppMenu } from './menu.js';
import { utilityLauncher, type UtilityFork } from './utility-transport.js';
import { createMainWindow, denyAllPermissions, hardenWebContents, isVettedExternalUrl } from './window.js';
import { boundsToRestore, loadWindowState, trackWindowState } from './window-state.js';

/** Built by Vite next to the compiled main process: `out/renderer/` beside `out/electron/main/`. */
const RENDERER_ROOT = fileURLToPath(new URL('../../renderer/', import.meta.url));
const ENGINE_ENTRY = fileURLToPath(new URL('../engine/host/engine-process.js', import.meta.url));
const TASK_ENTRY = fileURLToPath(new URL('../engine/jobs/task-process.js', import.meta.url));
const DOCS_URL = 'https://github.com/onnx-studio/onnx-studio#readme';

// The same data folder as `onnx-studio serve` and `demo`, so every host sees the same workspaces.
app.setPath('userData', defaultDataDir());

// Scheme privileges are fixed when Chromium starts, so this must run before `ready`.
registerAppSchemePrivileges();

/** A model path among command-line arguments (double-clicking a .onnx file, `onnx-studio-app model.onnx`). */
function modelArgument(argv: readonly string[]): string | undefined {
  return argv.slice(1).find((a) => !a.startsWith('-') && a.toLowerCase().endsWith('.onnx'));
}

let backend: StudioBackend | undefined;
/** A model to open once the window exists (from argv or macOS `open-file` before ready). */
let pendingOpen: string | undefined = modelArgument(process.argv);

function mainWindow(): BrowserWindow | null {
  return BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null;
}

function openInWindow(modelPath: string): void {
  const window = mainWindow();
  if (!window) {
    pendingOpen = modelPath;
    return;
  }
  if (window.isMinimized()) window.restore();
  window.focus();
  if (window.webContents.isLoading())
    window.webContents.once('did-finish-load', () => sendOpenModel(window, modelPath));
  else sendOpenModel(window, modelPath);
}

async function openWindow(): Promise<BrowserWindow> {
  const stateFile = path.join(app.getPath('userData'), 'window-state.json');
  const saved = await loadWindowState(stateFile);
  const bounds = boundsToRestore(
    saved?.bounds,
    screen.getAllDisplays().map((d) => d.workArea),
    { width: 1280, height: 820 },
  );
  const window = createMainWindow(bounds);
  if (saved?.maximized) window.maximize();
  trackWindowState(window, stateFile);
  window.webContents.once('did-finish-load', () => {
    if (pendingOpen) {
      sendOpenModel(window, pendingOpen);
      pendingOpen = undefined;
    }
  });
  return window;
}

async function rebuildMenu(recent: readonly string[]): Promise<void> {
  Menu.setApplicationMenu(
    buildAppMenu(
      {
        // The renderer owns the open → inspect → show flow; the menu just asks it to start.
        openModel: () => sendMenuCommand(mainWindow(), 'open-model'),
        openRecent: (p) => openInWindow(p),
        clearRecent: () => void backend?.recent.clear(),
        openSample: () => {
          const sample = sampleModel();
          if (sample) openInWindow(sample.modelPath);
          else sendMenuCommand(mainWindow(), 'open-sample');
        },
        exportVariant: () => sendMenuCommand(mainWindow(), 'export-variant'),
        exportReport: () => {
          // The renderer knows which model is open; it picks the folder (dialog.openPath) and saves.
          sendMenuCommand(mainWindow(), 'export-report');
        },
        openDocs: () => {
          if (isVettedExternalUrl(DOCS_URL)) void shell.openExternal(DOCS_URL);
        },
      },
      recent,
    ),
  );
  if (recent[0]) app.addRecentDocument(recent[0]);
}

// One instance only: a second launch (e.g. double-clicking a model) hands its model to this instance
// instead of starting a second engine that would compete for the same workspace files.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    const model = modelArgument(argv);
    if (model) openInWindow(model);
    else {
      const window = mainWindow();
      if (window?.isMinimized()) window.restore();
      window?.focus();
    }
  });

  // macOS: a model dropped on the Dock icon or opened from Finder (may arrive before `ready`).
  app.on('open-file', (event, file) => {
    event.preventDefault();
    if (app.isReady()) openInWindow(file);
    else pendingOpen = file;
  });

  // Registered before any window exists so no web contents escapes the rules.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  // Closing the last window quits, except on macOS where apps stay in the Dock until Cmd+Q.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // macOS: clicking the Dock icon with no windows open brings one back.
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) void openWindow();
  });

  // End the engine and task processes (cancelling their jobs) before quitting.
  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed || !backend) return;
    event.preventDefault();
    disposed = true;
    void backend.dispose().finally(() => app.quit());
  });

  void app.whenReady().then(async () => {
    denyAllPermissions(session.defaultSession);
    const fork = utilityProcess.fork as unknown as UtilityFork;
    backend = new StudioBackend({
      dataDir: app.getPath('userData'),
      host: 'electron',
      version: app.getVersion(),
      capabilities: { nativeDialogs: true, fileBrowser: true, upload: false },
      hostHandlers: dialogHandlers(),
      engine: new EngineClient({
        launch: utilityLauncher({ fork, entry: ENGINE_ENTRY, serviceName: 'ONNX Studio engine' }),
      }),
      tasks: new TaskPool({
        launch: utilityLauncher({ fork, entry: TASK_ENTRY, serviceName: 'ONNX Studio tasks' }),
      }),
    });
    registerAppProtocol(RENDERER_ROOT, backend.store);
    registerIpcHandlers(backend);
    backend.recent.onChange((recent) => void rebuildMenu(recent));
    await rebuildMenu(await backend.recent.list());
    await openWindow();
  });
}
