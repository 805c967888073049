/** The `StudioHost` of the desktop app: a thin wrapper over the preload's `window.studio`. */
import type { StudioApi } from '../../../shared/ipc-contract.js';
import type { StudioHost } from './studio-host.js';

/** The preload's API, or `undefined` when the page is not running inside ONNX Studio's window. */
export function findStudioApi(): StudioApi | undefined {
  return (window as Window & { studio?: StudioApi }).studio;
}

export function createElectronHost(api: StudioApi): StudioHost {
  return {
    kind: 'electron',
    inspectModel: (path) => api.inspectModel(path),
    openModelDialog: () => api.openModelDialog(),
    startJob: (spec) => api.startJob(spec),
    cancelJob: (jobId) => api.cancelJob(jobId),
    // webUtils answers '' for files that exist only in memory; the views want an explicit "no path".
    getPathForFile: (file) => api.getPathForFile(file) || null,
    onJobEvent: (listener) => api.onJobEvent(listener),
    onMenuCommand: (listener) => api.onMenuCommand(listener),
  };
}
