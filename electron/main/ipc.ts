/**
 * The only main-process file that touches `ipcMain` (a lint rule enforces it). It registers one handler per
 * method of the shared contract, and every handler does the same things in order:
 *   1. refuse callers whose frame is not our `app://` renderer (a stray frame must not drive the engine);
 *   2. hand the payload to the backend, which parses it with the contract's zod schema (the renderer is
 *      untrusted input), runs the method and returns a `Result` (nothing throws across IPC).
 * Events from the backend (job events, workspace and recent-list changes) go to every window.
 *
 * The Electron pieces it uses come in as `IpcElectron` (the real ones by default), so tests register these
 * same handlers on a stand-in `ipcMain` without the Electron binary (ipc.test.ts, e2e/preload-bridge.spec.ts).
 */
import { BrowserWindow, ipcMain, type IpcMain, type WebContents } from 'electron';
import type { StudioErrorInfo } from '../../shared/errors.js';
import {
  IPC_CHANNELS,
  IPC_METHOD_CHANNELS,
  type IpcEventChannel,
  type IpcEvents,
  type IpcMethodChannel,
  type IpcResponse,
  type MenuCommand,
} from '../../shared/ipc-contract.js';
import type { StudioBackend } from '../engine/jobs/studio-backend.js';
import { isAppUrl } from './app-url.js';

/** What an event is sent through: a window's `webContents` (narrowed to what this file calls). */
export type EventSink = Pick<WebContents, 'isDestroyed' | 'send'>;

/** A window as this file sees it. */
export interface IpcWindow {
  isDestroyed(): boolean;
  webContents: EventSink & Pick<WebContents, 'getURL'>;
}

/** The Electron pieces the handlers use: where to register them, and the windows events go to. */
export interface IpcElectron {
  ipcMain: Pick<IpcMain, 'handle'>;
  getAllWindows(): readonly IpcWindow[];
}

const realElectron = (): IpcElectron => ({ ipcMain, getAllWindows: () => BrowserWindow.getAllWindows() });

/**
 * Call once, after `app` is ready (main passes only the backend; tests pass stand-ins for Electron).
 * Returns a function that stops forwarding events.
 */
export function registerIpcHandlers(
  backend: StudioBackend,
  electron: IpcElectron = realElectron(),
): () => void {
  for (const channel of IPC_METHOD_CHANNELS) register(electron.ipcMain, backend, channel);
  return backend.onEvent((event) => {
    for (const window of electron.getAllWindows()) {
      if (!window.isDestroyed() && isAppUrl(window.webContents.getURL()))
        sendToRenderer(window.webContents, event.channel, event.payload as never);
    }
  });
}

/** Send a contract event to one renderer. Silently drops it when the window is gone (closing is not an error). */
export function sendToRenderer<C extends IpcEventChannel>(
  contents: EventSink,
  channel: C,
  payload: IpcEvents[C],
): void {
  if (!contents.isDestroyed()) contents.send(channel, payload);
}

/** Forward a menu command to a window's renderer. */
export function sendMenuCommand(window: IpcWindow | null, command: MenuCommand): void {
  if (window && !window.isDestroyed()) sendToRenderer(window.webContents, IPC_CHANNELS.menuCommand, command);
}

/** Ask a window's renderer to open a model (File > Open Recent, a file the OS handed to the app). */
export function sendOpenModel(window: IpcWindow | null, path: string): void {
  if (window && !window.isDestroyed())
    sendToRenderer(window.webContents, IPC_CHANNELS.modelOpenRequest, { path });
}

function register<C extends IpcMethodChannel>(
  ipc: IpcElectron['ipcMain'],
  backend: StudioBackend,
  channel: C,
): void {
  ipc.handle(channel, async (event, payload: unknown): Promise<IpcResponse<C>> => {
    const frameUrl = event.senderFrame?.url ?? '';
    if (!isAppUrl(frameUrl)) {
      console.warn(`[ipc] refused ${channel} from ${frameUrl || 'a destroyed frame'}`);
      const error: StudioErrorInfo = {
        code: 'BAD_REQUEST',
        message: 'This request did not come from the ONNX Studio window, so it was refused.',
      };
      return { ok: false, error };
    }
    // The IPC event is the context host handlers (native dialogs) use to find the calling window.
    return backend.dispatch(channel, payload, event);
  });
}
