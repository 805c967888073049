/**
 * The only main-process file that touches `ipcMain` (a lint rule enforces it). It registers one handler per
 * method of the shared contract, and every handler does the same things in order:
 *   1. refuse callers whose frame is not our `app://` renderer (a stray frame must not drive the engine);
 *   2. hand the payload to the backend, which parses it with the contract's zod schema (the renderer is
 *      untrusted input), runs the method and returns a `Result` (nothing throws across IPC).
 * Events from the backend (job events, workspace and recent-list changes) go to every window.
 *
 * A data check (`dataset.check`, `pipeline.start` with a `checkId`) belongs to the window contents that asked
 * until its request settles: when that page goes away (the window is closed, reloads: a navigation of its
 * main frame, or its renderer process crashes or is killed) its checks are cancelled, as `studio:dataset.cancelCheck` would, so the engine does not read
 * data for nobody and no pipeline starts for a page that is gone. `onnx-studio serve` does the same per
 * socket (both use `CheckOwners`, ../engine/jobs/check-owners.ts).
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
import { CheckOwners, checkIdOf } from '../engine/jobs/check-owners.js';
import type { StudioBackend } from '../engine/jobs/studio-backend.js';
import { isAppUrl } from './app-url.js';

/** What an event is sent through: a window's `webContents` (narrowed to what this file calls). */
export type EventSink = Pick<WebContents, 'isDestroyed' | 'send'>;

/**
 * The contents of the window that sent a request (`event.sender`), as far as the data checks it starts need:
 * they are cancelled when it is destroyed, its main frame starts a navigation (a reload), or its renderer
 * process goes away (a crash or a kill leaves the window open, showing nothing, until the user reloads).
 */
export interface CheckOwner {
  once(event: 'destroyed', listener: () => void): unknown;
  on(
    event: 'did-start-navigation',
    listener: (details: { isMainFrame: boolean; isSameDocument: boolean }) => void,
  ): unknown;
  on(event: 'render-process-gone', listener: () => void): unknown;
}

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
  const checks = new CheckOwners<CheckOwner>(backend);
  const watched = new WeakSet<CheckOwner>();
  /** From the first check a window's contents start, its going away cancels the ones still running. */
  const watch = (owner: CheckOwner) => {
    if (watched.has(owner)) return;
    watched.add(owner);
    owner.once('destroyed', () => checks.cancelOwnedBy(owner));
    owner.on('did-start-navigation', (details) => {
      // A hash change (the renderer's routes) is the same page; a reload or another page is not.
      if (details.isMainFrame && !details.isSameDocument) checks.cancelOwnedBy(owner);
    });
    // The page that would show the answer is gone; a reload starts a new page, with new checks.
    owner.on('render-process-gone', () => checks.cancelOwnedBy(owner));
  };
  for (const channel of IPC_METHOD_CHANNELS) register(electron.ipcMain, checks, watch, channel);
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
  checks: CheckOwners<CheckOwner>,
  watch: (owner: CheckOwner) => void,
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
    const owner: CheckOwner = event.sender;
    if (checkIdOf(channel, payload) !== undefined) watch(owner);
    // The IPC event is the context host handlers (native dialogs) use to find the calling window.
    return checks.dispatch(owner, channel, payload, event);
  });
}
