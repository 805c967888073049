/**
 * What jobs take from their model's experiment (workspace.ts `Experiment`), as pure functions the backend
 * and the mock host share: the input spec a job runs with, the experiment dataset some data is, and the
 * bundled sample's own datasets.
 */
import { canonicalJson } from './canonical-json.js';
import type { ExperimentSetRequest, JobSpec, SampleModelInfo } from './ipc-contract.js';
import type { DataRefInfo, DatasetRole, Experiment, ExperimentDataset, Workspace } from './workspace.js';

const ROLES: readonly DatasetRole[] = ['calibration', 'evaluation'];

/** The input spec a job runs with: its own shapes, dims and values, else the experiment's. */
export function withExperimentInputs<S extends JobSpec>(spec: S, ws: Workspace): S {
  if (spec.kind !== 'bench' && spec.kind !== 'quantize' && spec.kind !== 'evaluate') return spec;
  const own = spec.shapes !== undefined || spec.dims !== undefined || spec.values !== undefined;
  const inputs = ws.experiment?.inputs;
  if (own || !inputs) return spec;
  return { ...spec, shapes: inputs.shapes, ...(inputs.values ? { values: inputs.values } : {}) };
}

/** The experiment dataset whose data this is, if any (to name a figure by it). */
export function experimentDatasetFor(ws: Workspace, data: DataRefInfo): ExperimentDataset | undefined {
  return ROLES.map((r) => ws.experiment?.datasets?.[r]).find(
    (d) => d !== undefined && canonicalJson(d.data.spec) === canonicalJson(data.spec),
  );
}

/**
 * The bundled sample's own experiment, for its workspace alone: its input spec, set, its labelled test set for
 * evaluation and its calibration images (the test set when it has none). `now` stamps the spec as confirmed (it
 * is the sample's, not a guess).
 */
export function sampleExperiment(sample: SampleModelInfo, now: string): Experiment {
  const evaluation = { name: 'digits test set (sample)', data: sample.data };
  const calibration = sample.calibration ? { name: 'digits calibration set (sample)', data: sample.calibration } : evaluation;
  return { inputs: sample.inputs, inputsConfirmedAt: now, datasets: { calibration, evaluation } };
}


/**
 * The name a dataset is shown by when the user gave none: its main file's name, with its labels file's where the
 * labels come from a separate file (`test-inputs.npy + test-labels.npy`: the same inputs with other labels are
 * other data, and were both called `test-inputs.npy`), or `synthetic`.
 */
export function defaultDatasetName(spec: unknown): string {
  const { kind, path, labels } = spec as { kind?: string; path?: string; labels?: unknown };
  if (kind === 'synthetic' || path === undefined) return 'synthetic';
  return typeof labels === 'string' && labels !== ''
    ? `${fileName(path)} + ${fileName(labels)}`
    : fileName(path);
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * The experiment after a `studio:experiment.set` request (the spec already checked against the model): a
 * `null` forgets, an absent field keeps, `confirmInputs` stamps the spec with `now`. A dataset saved again without
 * a name keeps its name when its spec is unchanged.
 */
export function applyExperimentChange(current: Experiment | undefined, request: ExperimentSetRequest, now: string): Experiment {
  const experiment: Experiment = { ...current };
  if (request.inputs === null) {
    delete experiment.inputs;
    delete experiment.inputsConfirmedAt;
  } else if (request.inputs) {
    experiment.inputs = request.inputs;
  }
  if (request.confirmInputs && experiment.inputs) experiment.inputsConfirmedAt = now;
  if (request.datasets) {
    const datasets = { ...experiment.datasets };
    for (const role of ROLES) {
      const given = request.datasets[role];
      if (given === null) delete datasets[role];
      else if (given) {
        // Saving the same data again without a name keeps the name it had (the sample's "digits test set").
        const kept = datasets[role] && canonicalJson(datasets[role].data.spec) === canonicalJson(given.data.spec) ? datasets[role].name : undefined;
        datasets[role] = { name: given.name ?? kept ?? defaultDatasetName(given.data.spec), data: given.data };
      }
    }
    experiment.datasets = datasets;
  }
  return experiment;
}
