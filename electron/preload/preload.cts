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
  modelGraph: 'studio:model.graph',
  modelDiff: 'studio:model.diff',
  modelLoadCheck: 'studio:model.loadCheck',
  modelOpenDialog: 'studio:model.openDialog',
  dialogOpenPath: 'studio:dialog.openPath',
  dialogSavePath: 'studio:dialog.savePath',
  fsList: 'studio:fs.list',
  jobStart: 'studio:job.start',
  jobCancel: 'studio:job.cancel',
  jobList: 'studio:job.list',
  pipelineStart: 'studio:pipeline.start',
  pipelineRerun: 'studio:pipeline.rerun',
  workspaceGet: 'studio:workspace.get',
  workspaceList: 'studio:workspace.list',
  workspaceRenameVariant: 'studio:workspace.renameVariant',
  workspaceRemoveVariant: 'studio:workspace.removeVariant',
  workspaceAddBenchRecord: 'studio:workspace.addBenchRecord',
  experimentSet: 'studio:experiment.set',
  datasetCheck: 'studio:dataset.check',
  datasetCheckCancel: 'studio:dataset.cancelCheck',
  sweepCollect: 'studio:sweep.collect',
  reportBuild: 'studio:report.build',
  reportSave: 'studio:report.save',
  methodsList: 'studio:methods.list',
  engineProviders: 'studio:engine.providers',
  recentList: 'studio:recent.list',
  recentClear: 'studio:recent.clear',
  appInfo: 'studio:app.info',
  jobEvent: 'studio:job.event',
  menuCommand: 'studio:menu.command',
  modelOpenRequest: 'studio:model.openRequest',
  workspaceChanged: 'studio:workspace.changed',
  recentChanged: 'studio:recent.changed',
  datasetCheckProgress: 'studio:dataset.checkProgress',
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
  modelGraph: (request) => invoke(channels.modelGraph, request),
  modelDiff: (request) => invoke(channels.modelDiff, request),
  modelLoadCheck: (request) => invoke(channels.modelLoadCheck, request),
  openModelDialog: () => invoke(channels.modelOpenDialog, {}),
  openPathDialog: (request) => invoke(channels.dialogOpenPath, request),
  savePathDialog: (request) => invoke(channels.dialogSavePath, request),
  listFolder: (path) => invoke(channels.fsList, { path }),
  startJob: (spec) => invoke(channels.jobStart, spec),
  cancelJob: (jobId) => invoke(channels.jobCancel, { jobId }),
  listJobs: () => invoke(channels.jobList, {}),
  startPipelines: (request) => invoke(channels.pipelineStart, request),
  rerunPipeline: (request) => invoke(channels.pipelineRerun, request),
  getWorkspace: (modelPath) => invoke(channels.workspaceGet, { modelPath }),
  listWorkspaces: () => invoke(channels.workspaceList, {}),
  renameVariant: (request) => invoke(channels.workspaceRenameVariant, request),
  removeVariant: (request) => invoke(channels.workspaceRemoveVariant, request),
  addBenchRecord: (request) => invoke(channels.workspaceAddBenchRecord, request),
  setExperiment: (request) => invoke(channels.experimentSet, request),
  checkDataset: (request) => invoke(channels.datasetCheck, request),
  cancelDatasetCheck: (checkId) => invoke(channels.datasetCheckCancel, { checkId }),
  collectSweep: (request) => invoke(channels.sweepCollect, request),
  buildReport: (modelPath) => invoke(channels.reportBuild, { modelPath }),
  saveReport: (request) => invoke(channels.reportSave, request),
  listMethods: () => invoke(channels.methodsList, {}),
  listProviders: () => invoke(channels.engineProviders, {}),
  listRecent: () => invoke(channels.recentList, {}),
  clearRecent: () => invoke(channels.recentClear, {}),
  appInfo: () => invoke(channels.appInfo, {}),
  // contextBridge passes DOM File objects through intact, which is what webUtils needs.
  getPathForFile: (file) => webUtils.getPathForFile(file as File),
  onJobEvent: (listener) => subscribe(channels.jobEvent, listener),
  onMenuCommand: (listener) => subscribe(channels.menuCommand, listener),
  onModelOpenRequest: (listener) => subscribe(channels.modelOpenRequest, listener),
  onWorkspaceChanged: (listener) => subscribe(channels.workspaceChanged, listener),
  onRecentChanged: (listener) => subscribe(channels.recentChanged, listener),
  onDatasetCheckProgress: (listener) => subscribe(channels.datasetCheckProgress, listener),
};

contextBridge.exposeInMainWorld('studio', api);
