/** The `StudioHost` of the desktop app: a thin wrapper over the preload's `window.studio`. */
import type { StudioApi } from '../../../shared/ipc-contract.js';
import type { StudioHost } from './studio-host.js';

/** The preload's API, or `undefined` when the page is not running inside ONNX Studio's window. */
export function findStudioApi(): StudioApi | undefined {
  return (window as Window & { studio?: StudioApi }).studio;
}

export function createElectronHost(api: StudioApi): StudioHost {
  // Spread the API's own methods (the contextBridge object is plain), then adjust what differs.
  const host: StudioHost = {
    inspectModel: (path) => api.inspectModel(path),
    modelGraph: (request) => api.modelGraph(request),
    modelDiff: (request) => api.modelDiff(request),
    modelLoadCheck: (request) => api.modelLoadCheck(request),
    openModelDialog: () => api.openModelDialog(),
    openPathDialog: (request) => api.openPathDialog(request),
    savePathDialog: (request) => api.savePathDialog(request),
    listFolder: (path) => api.listFolder(path),
    startJob: (spec) => api.startJob(spec),
    cancelJob: (jobId) => api.cancelJob(jobId),
    listJobs: () => api.listJobs(),
    startPipelines: (request) => api.startPipelines(request),
    rerunPipeline: (request) => api.rerunPipeline(request),
    getWorkspace: (modelPath) => api.getWorkspace(modelPath),
    listWorkspaces: () => api.listWorkspaces(),
    renameVariant: (request) => api.renameVariant(request),
    removeVariant: (request) => api.removeVariant(request),
    addBenchRecord: (request) => api.addBenchRecord(request),
    setExperiment: (request) => api.setExperiment(request),
    checkDataset: (request) => api.checkDataset(request),
    cancelDatasetCheck: (checkId) => api.cancelDatasetCheck(checkId),
    collectSweep: (request) => api.collectSweep(request),
    buildReport: (modelPath) => api.buildReport(modelPath),
    saveReport: (request) => api.saveReport(request),
    listMethods: () => api.listMethods(),
    listProviders: () => api.listProviders(),
    listRecent: () => api.listRecent(),
    clearRecent: () => api.clearRecent(),
    appInfo: () => api.appInfo(),
    onJobEvent: (listener) => api.onJobEvent(listener),
    onMenuCommand: (listener) => api.onMenuCommand(listener),
    onModelOpenRequest: (listener) => api.onModelOpenRequest(listener),
    onWorkspaceChanged: (listener) => api.onWorkspaceChanged(listener),
    onRecentChanged: (listener) => api.onRecentChanged(listener),
    onDatasetCheckProgress: (listener) => api.onDatasetCheckProgress(listener),
    kind: 'electron',
    // webUtils answers '' for files that exist only in memory; the views want an explicit "no path".
    getPathForFile: (file) => api.getPathForFile(file) || null,
  };
  return host;
}
