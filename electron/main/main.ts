/**
 * Electron entry point (`package.json` `main`): app lifecycle and composition only. Each concern lives in
 * its own file: the `app://` scheme, the window and its security rules, the menu, and IPC.
 */
import { app, BrowserWindow, Menu, session } from 'electron';
import { fileURLToPath } from 'node:url';
import { registerAppProtocol, registerAppSchemePrivileges } from './app-protocol.js';
import { registerIpcHandlers, sendMenuCommand } from './ipc.js';
import { buildAppMenu } from './menu.js';
import { createMainWindow, denyAllPermissions, hardenWebContents } from './window.js';

/** Built by Vite next to the compiled main process: `out/renderer/` beside `out/electron/main/`. */
const RENDERER_ROOT = fileURLToPath(new URL('../../renderer/', import.meta.url));

// Scheme privileges are fixed when Chromium starts, so this must run before `ready`.
registerAppSchemePrivileges();

// One instance only: a second launch (e.g. double-clicking the app again) focuses the existing window
// instead of starting a second engine that would compete for the same workspace files.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const window = BrowserWindow.getAllWindows()[0];
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  // Registered before any window exists so no web contents escapes the rules.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  // Closing the last window quits, except on macOS where apps stay in the Dock until Cmd+Q.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // macOS: clicking the Dock icon with no windows open brings one back.
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) createMainWindow();
  });

  void app.whenReady().then(() => {
    denyAllPermissions(session.defaultSession);
    registerAppProtocol(RENDERER_ROOT);
    registerIpcHandlers();
    Menu.setApplicationMenu(
      buildAppMenu({
        // The renderer owns the open → inspect → show flow; the menu just asks it to start.
        openModel: () =>
          sendMenuCommand(
            BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null,
            'open-model',
          ),
      }),
    );
    createMainWindow();
  });
}
