/**
 * The preload: exposes `window.studio` (the `StudioApi` of the shared contract) and nothing else.
 *
 * CommonJS because sandboxed preloads cannot be ES modules, and a sandboxed preload can `require` only
 * `electron` (and a few polyfills), so everything from `shared/` is imported as types only. The channel
 * names are therefore copied here, typed as `typeof IPC_CHANNELS` so a mismatch fails to compile.
 *
 * Raw `ipcRenderer` and IPC event objects never reach the page: the event's `sender` would let a
 * compromised page send on any channel.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Result } from '../../shared/errors.js';
import type {
  IPC_CHANNELS,
  IpcEventChannel,
  IpcEvents,
  IpcMethodChannel,
  IpcRequest,
  IpcResponse,
  StudioApi,
  Unsubscribe,
} from '../../shared/ipc-contract.js';

const channels: typeof IPC_CHANNELS = {
  modelInspect: 'studio:model.inspect',
  modelOpenDialog: 'studio:model.openDialog',
  jobStart: 'studio:job.start',
  jobCancel: 'studio:job.cancel',
  jobEvent: 'studio:job.event',
  menuCommand: 'studio:menu.command',
};

/** Main always answers with a `Result`; a rejection (e.g. no handler registered) becomes one too. */
async function invoke<C extends IpcMethodChannel>(
  channel: C,
  request: IpcRequest<C>,
): Promise<IpcResponse<C>> {
  try {
    return (await ipcRenderer.invoke(channel, request)) as IpcResponse<C>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failed: Result<never> = {
      ok: false,
      error: { code: 'INTERNAL', message: `IPC to ${channel} failed: ${message}` },
    };
    return failed;
  }
}

function subscribe<C extends IpcEventChannel>(
  channel: C,
  listener: (payload: IpcEvents[C]) => void,
): Unsubscribe {
  const wrapped = (_event: IpcRendererEvent, payload: IpcEvents[C]): void => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}

const api: StudioApi = {
  inspectModel: (path) => invoke(channels.modelInspect, { path }),
  openModelDialog: () => invoke(channels.modelOpenDialog, {}),
  startJob: (spec) => invoke(channels.jobStart, spec),
  cancelJob: (jobId) => invoke(channels.jobCancel, { jobId }),
  // contextBridge passes DOM File objects through intact, which is what webUtils needs.
  getPathForFile: (file) => webUtils.getPathForFile(file as File),
  onJobEvent: (listener) => subscribe(channels.jobEvent, listener),
  onMenuCommand: (listener) => subscribe(channels.menuCommand, listener),
};

contextBridge.exposeInMainWorld('studio', api);
