/**
 * The only main-process file that touches `ipcMain` (a lint rule enforces it). It registers one handler per
 * method of the shared contract, and every handler does the same four things in order:
 *   1. refuse callers whose frame is not our `app://` renderer (a stray frame must not drive the engine);
 *   2. parse the payload with the contract's zod schema (the renderer is untrusted input);
 *   3. run the handler;
 *   4. return a `Result`, turning any thrown error into `{ ok: false, error }`, so nothing throws across IPC.
 */
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { z } from 'zod';
import type { StudioErrorInfo } from '../../shared/errors.js';
import {
  IPC_CHANNELS,
  IPC_REQUEST_SCHEMAS,
  type IpcEventChannel,
  type IpcEvents,
  type IpcMethodChannel,
  type IpcMethods,
  type IpcRequest,
  type IpcResponse,
  type JobEvent,
  type JobSpec,
  type MenuCommand,
} from '../../shared/ipc-contract.js';
import { StudioError, toErrorInfo } from '../engine/errors.js';
import { inspectModel } from '../engine/inspect/inspect-model.js';
import { isAppUrl } from './app-protocol.js';

/**
 * What ipc.ts needs from the job manager. Until one is passed in, job requests answer with an error value
 * instead of hanging or throwing.
 */
export interface JobRunner {
  /** Start a job; `emit` delivers its events, ending with exactly one terminal event. */
  start(spec: JobSpec, emit: (event: JobEvent) => void): Promise<{ jobId: string }>;
  /** Ask a job to stop; resolves `false` when it had already finished or never existed. */
  cancel(jobId: string): Promise<boolean>;
}

export interface IpcDependencies {
  jobs?: JobRunner;
}

type Handler<C extends IpcMethodChannel> = (
  request: IpcRequest<C>,
  event: IpcMainInvokeEvent,
) => Promise<IpcMethods[C]['response']>;

/** Call once, after `app` is ready. */
export function registerIpcHandlers(deps: IpcDependencies = {}): void {
  // A mapped type over the contract: adding a method to `IpcMethods` without a handler here fails to compile.
  const handlers: { [C in IpcMethodChannel]: Handler<C> } = {
    [IPC_CHANNELS.modelInspect]: (request) => inspectModel(request.path),

    [IPC_CHANNELS.modelOpenDialog]: async (_request, event) => {
      const options: Electron.OpenDialogOptions = {
        title: 'Open ONNX model',
        properties: ['openFile'],
        filters: [
          { name: 'ONNX models', extensions: ['onnx'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      // Parent the dialog to the calling window so it is modal to it (a sheet on macOS).
      const parent = BrowserWindow.fromWebContents(event.sender);
      const choice = parent
        ? await dialog.showOpenDialog(parent, options)
        : await dialog.showOpenDialog(options);
      return choice.canceled ? null : (choice.filePaths[0] ?? null);
    },

    [IPC_CHANNELS.jobStart]: (spec, event) => {
      const jobs = requireJobs(deps);
      const sender = event.sender;
      // Events go back to the window that started the job, for as long as that window exists.
      return jobs.start(spec, (jobEvent) => sendToRenderer(sender, IPC_CHANNELS.jobEvent, jobEvent));
    },

    [IPC_CHANNELS.jobCancel]: async (request) => ({
      cancelled: await requireJobs(deps).cancel(request.jobId),
    }),
  };

  for (const channel of Object.keys(handlers) as IpcMethodChannel[]) {
    register(channel, handlers[channel] as Handler<typeof channel>);
  }
}

/** Send a contract event to one renderer. Silently drops it when the window is gone (closing is not an error). */
export function sendToRenderer<C extends IpcEventChannel>(
  contents: WebContents,
  channel: C,
  payload: IpcEvents[C],
): void {
  if (!contents.isDestroyed()) contents.send(channel, payload);
}

/** Forward a menu command to the focused window's renderer. */
export function sendMenuCommand(window: BrowserWindow | null, command: MenuCommand): void {
  if (window && !window.isDestroyed()) sendToRenderer(window.webContents, IPC_CHANNELS.menuCommand, command);
}

function register<C extends IpcMethodChannel>(channel: C, handler: Handler<C>): void {
  ipcMain.handle(channel, async (event, payload: unknown): Promise<IpcResponse<C>> => {
    const frameUrl = event.senderFrame?.url ?? '';
    if (!isAppUrl(frameUrl)) {
      console.warn(`[ipc] refused ${channel} from ${frameUrl || 'a destroyed frame'}`);
      return failure({
        code: 'BAD_REQUEST',
        message: 'This request did not come from the ONNX Studio window, so it was refused.',
      });
    }
    const parsed = IPC_REQUEST_SCHEMAS[channel].safeParse(payload);
    if (!parsed.success) {
      return failure({
        code: 'BAD_REQUEST',
        message: `The request to ${channel} was malformed: ${parsed.error.issues[0]?.message ?? 'invalid payload'}`,
        detail: z.prettifyError(parsed.error),
      });
    }
    try {
      return { ok: true, value: await handler(parsed.data, event) };
    } catch (error) {
      return failure(toErrorInfo(error));
    }
  });
}

function requireJobs(deps: IpcDependencies): JobRunner {
  if (!deps.jobs) {
    // Thrown inside a handler, so `register` turns it into an error value.
    throw new StudioError('INTERNAL', 'Running jobs is not available in this version of ONNX Studio yet.');
  }
  return deps.jobs;
}

function failure(error: StudioErrorInfo): { ok: false; error: StudioErrorInfo } {
  return { ok: false, error };
}
