/**
 * Every channel name, namespaced `studio:<area>.<verb>` so they cannot collide with a library's channels.
 * This module has no runtime imports, so the renderer bundle can load it without zod. The sandboxed preload
 * cannot load any module at runtime, so it keeps a copy typed as `typeof IPC_CHANNELS`: a typo or a
 * renamed channel fails to compile there.
 */
export const IPC_CHANNELS = {
  /** Request/response: read a model and summarize it (runs off the UI thread; adds it to the recent list). */
  modelInspect: 'studio:model.inspect',
  /** Request/response: a model's or a variant's graph for the Graph view (nodes, value types, weight statistics). */
  modelGraph: 'studio:model.graph',
  /** Request/response: what a variant changed, node by node and weight by weight (`onnx-studio diff`). */
  modelDiff: 'studio:model.diff',
  /** Request/response: whether onnxruntime can load a model (a session made and released in a task process). */
  modelLoadCheck: 'studio:model.loadCheck',
  /** Request/response: show the native Open dialog for a model (Electron only). */
  modelOpenDialog: 'studio:model.openDialog',
  /** Request/response: native dialog to pick a file or folder, e.g. a dataset (Electron only). */
  dialogOpenPath: 'studio:dialog.openPath',
  /** Request/response: native Save dialog, e.g. where to export a variant (Electron only). */
  dialogSavePath: 'studio:dialog.savePath',
  /** Request/response: list a folder on the backend's machine (the file browser of `serve`). */
  fsList: 'studio:fs.list',
  /** Request/response: start a long-running job; its progress arrives as `jobEvent`s. */
  jobStart: 'studio:job.start',
  /** Request/response: ask a running or queued job to stop. */
  jobCancel: 'studio:job.cancel',
  /** Request/response: the jobs of this session (queued, running and recently ended), to catch up after a reload. */
  jobList: 'studio:job.list',
  /** Request/response: make a variant, then benchmark and evaluate it, as one pipeline the backend runs and keeps. */
  pipelineStart: 'studio:pipeline.start',
  /** Request/response: run an interrupted, failed or cancelled pipeline again from its first unfinished step. */
  pipelineRerun: 'studio:pipeline.rerun',
  /** Request/response: the workspace of a model (its variants and results); empty if nothing was made yet. */
  workspaceGet: 'studio:workspace.get',
  /** Request/response: every model that has a workspace, most recently changed first. */
  workspaceList: 'studio:workspace.list',
  /** Request/response: give a variant another display name. */
  workspaceRenameVariant: 'studio:workspace.renameVariant',
  /** Request/response: delete a variant's file and its results. */
  workspaceRemoveVariant: 'studio:workspace.removeVariant',
  /** Request/response: record a benchmark the renderer measured itself (onnxruntime-web, WebGPU/WASM). */
  workspaceAddBenchRecord: 'studio:workspace.addBenchRecord',
  /** Request/response: set the experiment of a model (input spec, datasets by role); answers the workspace. */
  experimentSet: 'studio:experiment.set',
  /** Request/response: check a dataset against a model before a job is queued (shapes, dtypes, labels). */
  datasetCheck: 'studio:dataset.check',
  /** Request/response: stop a running data check, named by the `checkId` its request carried. */
  datasetCheckCancel: 'studio:dataset.cancelCheck',
  /** Merge a cluster sweep's results (`tune --collect`). */
  sweepCollect: 'studio:sweep.collect',
  /** Request/response: the comparison report of a workspace, as self-contained HTML and as JSON. */
  reportBuild: 'studio:report.build',
  /** Request/response: write the report (report.html + report.json) into a folder on the backend's machine. */
  reportSave: 'studio:report.save',
  /** Request/response: every quantization/pruning method with its options as form fields, and the dataset kinds. */
  methodsList: 'studio:methods.list',
  /** Request/response: the execution providers of onnxruntime-node here, and why unavailable ones are. */
  engineProviders: 'studio:engine.providers',
  /** Request/response: recently opened models, newest first. */
  recentList: 'studio:recent.list',
  /** Request/response: forget the recently opened models. */
  recentClear: 'studio:recent.clear',
  /** Request/response: version, host kind, capabilities, the bundled sample model. */
  appInfo: 'studio:app.info',
  /** Event, backend → renderer: one `JobEvent`. */
  jobEvent: 'studio:job.event',
  /** Event, main → renderer: the user chose a menu command the renderer carries out (e.g. File > Open…). */
  menuCommand: 'studio:menu.command',
  /** Event, main → renderer: open this model (File > Open Recent, a file given to the app by the OS). */
  modelOpenRequest: 'studio:model.openRequest',
  /** Event, backend → renderer: a workspace changed (a variant or result was added, renamed or removed). */
  workspaceChanged: 'studio:workspace.changed',
  /** Event, backend → renderer: the recent-models list changed. */
  recentChanged: 'studio:recent.changed',
  /**
   * Event, backend → renderer: how far a data check sent with a `checkId` is (samples read of samples to read),
   * throttled to about 10 a second per check; also for the checks of a `pipeline.start` that carried one.
   */
  datasetCheckProgress: 'studio:dataset.checkProgress',
} as const;
