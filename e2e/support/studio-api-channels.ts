/**
 * Every member of `window.studio` (shared/ipc-contract.ts StudioApi) and the channel it uses (`null`: answered in
 * the preload). Typed against StudioApi, so a member added to the contract and missing here fails to compile;
 * the preload-bridge and Electron end-to-end tests both compare `window.studio` with it.
 */
import { IPC_CHANNELS } from '../../shared/ipc-channels.js';
import type { StudioApi } from '../../shared/ipc-contract.js';

export const API_CHANNELS = {
  inspectModel: IPC_CHANNELS.modelInspect,
  modelGraph: IPC_CHANNELS.modelGraph,
  modelDiff: IPC_CHANNELS.modelDiff,
  modelLoadCheck: IPC_CHANNELS.modelLoadCheck,
  openModelDialog: IPC_CHANNELS.modelOpenDialog,
  openPathDialog: IPC_CHANNELS.dialogOpenPath,
  savePathDialog: IPC_CHANNELS.dialogSavePath,
  listFolder: IPC_CHANNELS.fsList,
  startJob: IPC_CHANNELS.jobStart,
  cancelJob: IPC_CHANNELS.jobCancel,
  listJobs: IPC_CHANNELS.jobList,
  startPipelines: IPC_CHANNELS.pipelineStart,
  rerunPipeline: IPC_CHANNELS.pipelineRerun,
  getWorkspace: IPC_CHANNELS.workspaceGet,
  listWorkspaces: IPC_CHANNELS.workspaceList,
  renameVariant: IPC_CHANNELS.workspaceRenameVariant,
  removeVariant: IPC_CHANNELS.workspaceRemoveVariant,
  addBenchRecord: IPC_CHANNELS.workspaceAddBenchRecord,
  setExperiment: IPC_CHANNELS.experimentSet,
  checkDataset: IPC_CHANNELS.datasetCheck,
  cancelDatasetCheck: IPC_CHANNELS.datasetCheckCancel,
  collectSweep: IPC_CHANNELS.sweepCollect,
  buildReport: IPC_CHANNELS.reportBuild,
  saveReport: IPC_CHANNELS.reportSave,
  listMethods: IPC_CHANNELS.methodsList,
  listProviders: IPC_CHANNELS.engineProviders,
  listRecent: IPC_CHANNELS.recentList,
  clearRecent: IPC_CHANNELS.recentClear,
  appInfo: IPC_CHANNELS.appInfo,
  getPathForFile: null,
  onJobEvent: IPC_CHANNELS.jobEvent,
  onMenuCommand: IPC_CHANNELS.menuCommand,
  onModelOpenRequest: IPC_CHANNELS.modelOpenRequest,
  onWorkspaceChanged: IPC_CHANNELS.workspaceChanged,
  onRecentChanged: IPC_CHANNELS.recentChanged,
  onDatasetCheckProgress: IPC_CHANNELS.datasetCheckProgress,
} as const satisfies Record<keyof StudioApi, string | null>;
