/**
 * Stand-ins for the Electron pieces `registerIpcHandlers` (../ipc.ts) uses, so tests run the real handlers
 * without the Electron binary: `StandInIpcMain` keeps the handlers and calls them as Electron does for
 * `ipcRenderer.invoke`, and `StandInWindow` records (or forwards) what main sends to a renderer.
 *
 * Behaviour copied from Electron where a test could notice it: registering a channel twice throws, invoking
 * a channel nobody handles rejects, the handler gets an event whose `senderFrame` is `null` once the frame is
 * gone, and what crosses the boundary is a structured clone (a value that cannot be cloned fails here too).
 * A window's contents emit `destroyed` when it closes, `did-start-navigation` when it navigates (`close`,
 * `reload`, `navigate`), with the fields of Electron's details that main reads, and `render-process-gone` when
 * its renderer crashes (`crash`: the window stays, not destroyed).
 */
import { EventEmitter } from 'node:events';
import type { IpcMainInvokeEvent } from 'electron';
import type { CheckOwner, EventSink, IpcElectron, IpcWindow } from '../ipc.js';

type IpcMainLike = IpcElectron['ipcMain'];
type InvokeListener = Parameters<IpcMainLike['handle']>[1];

/** Who calls: the URL of the calling frame (`null`: the frame was destroyed) and its window's contents. */
export interface StandInSender {
  frameUrl: string | null;
  sender?: EventSink & CheckOwner;
}

export class StandInIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, InvokeListener>();

  handle(channel: string, listener: InvokeListener): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  /** What `ipcRenderer.invoke(channel, ...args)` from `from` does in main. */
  async invoke(from: StandInSender, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler)
      throw new Error(`Error invoking remote method '${channel}': No handler registered for '${channel}'`);
    const event = {
      senderFrame: from.frameUrl === null ? null : { url: from.frameUrl },
      sender: from.sender,
    } as unknown as IpcMainInvokeEvent;
    return structuredClone(await handler(event, ...structuredClone(args)));
  }
}

/**
 * A window showing `url` (or whatever page `url()` says it shows now); `send` records each message and hands
 * a structured clone to `deliver`.
 */
export class StandInWindow implements IpcWindow {
  destroyed = false;
  readonly sent: { channel: string; payload: unknown }[] = [];
  readonly webContents: IpcWindow['webContents'] & CheckOwner;
  private readonly events = new EventEmitter();

  constructor(url: string | (() => string), deliver?: (channel: string, payload: unknown) => void) {
    this.webContents = {
      on: (event: string, listener: Parameters<EventEmitter['on']>[1]) => this.events.on(event, listener),
      once: (event, listener) => this.events.once(event, listener),
      getURL: () => (typeof url === 'string' ? url : url()),
      isDestroyed: () => this.destroyed,
      send: (channel: string, ...args: unknown[]) => {
        if (this.destroyed) throw new Error('Object has been destroyed');
        const payload = structuredClone(args[0]);
        this.sent.push({ channel, payload });
        deliver?.(channel, payload);
      },
    };
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** The window closes: its contents are destroyed. */
  close(): void {
    this.destroyed = true;
    this.events.emit('destroyed');
  }

  /** Ctrl+R: the main frame starts a navigation to a new document. */
  reload(): void {
    this.navigate({ isMainFrame: true, isSameDocument: false });
  }

  /** The renderer process crashes or is killed; the window and its contents stay. */
  crash(): void {
    this.events.emit(
      'render-process-gone',
      { preventDefault: () => undefined },
      { reason: 'crashed', exitCode: 11 },
    );
  }

  /** A navigation starts: of a subframe, or in the same document (a hash change). */
  navigate(details: { isMainFrame: boolean; isSameDocument: boolean }): void {
    this.events.emit('did-start-navigation', { ...details, preventDefault: () => undefined });
  }
}

/** `IpcElectron` over a stand-in `ipcMain` and a list of windows the test may change. */
export function standInElectron(windows: StandInWindow[] = []): {
  electron: IpcElectron;
  ipcMain: StandInIpcMain;
  windows: StandInWindow[];
} {
  const ipcMain = new StandInIpcMain();
  return { electron: { ipcMain, getAllWindows: () => windows }, ipcMain, windows };
}
