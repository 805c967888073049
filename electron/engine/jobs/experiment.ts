/**
 * The experiment of a model (shared/workspace.ts `Experiment`) on the backend's side: storing it, checking
 * data against the model before a job is queued, and applying the input spec to every job that does not
 * state its own shapes. The experiment is the backend's data: the page only asks to change it.
 */
import path from 'node:path';
import type { DatasetCheckReport, DatasetCheckRequest, ExperimentSetRequest } from '../../../shared/ipc-contract.js';
import { applyExperimentChange, experimentDatasetFor } from '../../../shared/experiment.js';
import { inputSpecProblem } from '../../../shared/input-spec.js';
import type { Workspace } from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import type { ExecutorDeps } from './job-executors.js';
import { detachedContext, inspectInTask, runTask } from './job-executors.js';

/** Applies an `studio:experiment.set` request to the workspace; the input spec is checked against the model. */
export async function setExperiment(deps: ExecutorDeps, request: ExperimentSetRequest): Promise<Workspace> {
  if (request.inputs) {
    const ws = await deps.store.get(request.modelPath);
    const summary = ws.model.summary ?? (await inspectInTask(deps, request.modelPath));
    const problem = inputSpecProblem(summary.inputs, request.inputs);
    if (problem) throw new StudioError('BAD_INPUT', `${problem} Correct the input spec and save it again.`);
  }
  await deps.store.update(request.modelPath, (ws) => {
    ws.experiment = applyExperimentChange(ws.experiment, request, new Date().toISOString());
  });
  return deps.store.get(request.modelPath);
}

/** `studio:dataset.check`: opens the data against the model in a task process, with the experiment's spec. */
export async function checkDatasetInTask(deps: ExecutorDeps, request: DatasetCheckRequest): Promise<DatasetCheckReport> {
  const ws = await deps.store.get(request.modelPath);
  const model = await deps.store.resolveTarget(request.modelPath, request.target ?? 'original');
  const inputs = ws.experiment?.inputs;
  const named = experimentDatasetFor(ws, request.data);
  return runTask<DatasetCheckReport>(
    deps,
    {
      kind: 'checkDataset',
      model: model.path,
      data: request.data.spec,
      baseDir: request.data.baseDir ?? path.dirname(path.resolve(request.modelPath)),
      role: request.role,
      ...(named ? { name: named.name } : {}),
      ...(inputs ? { shapes: inputs.shapes, ...(inputs.values ? { values: inputs.values } : {}) } : {}),
    },
    detachedContext(),
  );
}
