/**
 * The main window and the security rules every web contents in the app lives under. The renderer shows
 * model files from anywhere, so it is treated as untrusted: it runs sandboxed, without Node, and can only
 * reach the narrow `window.studio` API the preload exposes.
 */
import { BrowserWindow, shell, type Rectangle, type Session, type WebContents } from 'electron';
import { fileURLToPath } from 'node:url';
import { APP_ENTRY_URL } from './app-protocol.js';

/** Compiled next to this file as `out/electron/preload/preload.cjs` (sandboxed preloads must be CommonJS). */
const PRELOAD_PATH = fileURLToPath(new URL('../preload/preload.cjs', import.meta.url));

/** Hosts whose https links may open in the user's browser; anything else is dropped. */
const EXTERNAL_HOSTS: ReadonlySet<string> = new Set([
  'github.com',
  'onnx.ai',
  'onnxruntime.ai',
  'netron.app',
]);

/** `bounds`: where to open (the remembered position and size, see window-state.ts). */
export function createMainWindow(
  bounds: Partial<Rectangle> & { width: number; height: number } = { width: 1280, height: 820 },
): BrowserWindow {
  const window = new BrowserWindow({
    ...bounds,
    minWidth: 720,
    minHeight: 480,
    title: 'ONNX Studio',
    // Shown on `ready-to-show` so the user never sees an empty white frame.
    show: false,
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}

/**
 * Applied to every web contents the app creates (via `web-contents-created`), not just the main window, so
 * a window or frame we forgot about cannot navigate away, open popups or embed a `<webview>`.
 */
export function hardenWebContents(contents: WebContents): void {
  // The app is one page; any navigation (a dropped file, a stray link) would replace the UI with content
  // that still has the preload API.
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openExternalIfVetted(url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfVetted(url);
    return { action: 'deny' };
  });
}

/** The UI needs no camera, microphone, notifications or geolocation; refuse every permission request. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Only plain https links to known hosts reach `shell.openExternal`: the OS would happily run `file:`,
 * `smb:` or custom-scheme URLs, which makes an unchecked openExternal a code-execution primitive.
 */
export function isVettedExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    EXTERNAL_HOSTS.has(parsed.hostname)
  );
}

function openExternalIfVetted(url: string): void {
  if (isVettedExternalUrl(url)) void shell.openExternal(url);
}
