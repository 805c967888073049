/**
 * The workspace: everything ONNX Studio made and measured for one model, persisted on disk so it is there
 * after a restart. One workspace per original model (keyed by its absolute path); variants live as files in
 * the workspace's folder, results as JSON next to them (`electron/engine/workspace/`).
 *
 * Models are referred to by a *target*: `'original'` for the model the workspace belongs to, or a variant's
 * id. Bench and evaluate jobs name targets, never arbitrary paths, so the charts can line results up by
 * variant.
 *
 * Sizes are bytes, times ms, fractions 0..1, timestamps ISO 8601 strings (UTC).
 */
import type { BenchInputInfo, BenchProfile, BenchReport } from './bench.js';
import type { EvalReportInfo, PruneReportInfo, QuantizeReportInfo } from './job-reports.js';
import type { InputSpec } from './input-spec.js';
import type { LatencyStats } from './latency-stats.js';
import type { TuneBudget, TuneObjective } from './options/tune-options.js';
import type { TuneOriginal, TuneOutcome, TuneTrial } from './tune.js';
import type { DatasetIdentity } from './dataset-identity.js';
import type { ExternalDataFile, ModelSummary } from './model-summary.js';

/** Version of the on-disk format; a newer file than the app understands is refused with a message. */
export const WORKSPACE_VERSION = 1;

/** The target name of the workspace's own model. */
export const ORIGINAL_TARGET = 'original';

/** Where a job's input data came from: a dataset spec (shared/dataset-spec.ts) and the folder its relative paths use. */
export interface DataRefInfo {
  spec: unknown;
  baseDir?: string;
}

/** How a variant was made: enough to make it again (and to print the CLI command that does). */
export type VariantRecipe =
  | {
      operation: 'quantize';
      method: string;
      common: Record<string, unknown>;
      options: Record<string, unknown>;
      calibration?: DataRefInfo;
      /** The calibration data it was made with. */
      calibrationDataset?: DatasetIdentity;
      shapes?: Record<string, number[]>;
      dims?: Record<string, number>;
      values?: InputSpec['values'];
    }
  | {
      operation: 'prune';
      method: string;
      common: Record<string, unknown>;
      options: Record<string, unknown>;
    };

export interface WorkspaceVariant {
  /** Stable id, e.g. `v-1f3a9c0d`; what bench/evaluate/export jobs name as their target. */
  id: string;
  /** Display name, unique in the workspace, e.g. `int8-dynamic` or `int8-dynamic (2)`. */
  name: string;
  /** Absolute path of the variant's .onnx file (inside the workspace folder). */
  path: string;
  /** The .onnx file plus any external data. */
  fileBytes: number;
  /**
   * sha256 of the variant's .onnx file (what `sha256sum` prints) when it is the whole model: two variants with
   * the same hash are the same model. Absent for a variant with external data (its .onnx names its data file
   * after the variant's id, so no two are alike byte for byte) and in workspaces from before it was recorded.
   */
  sha256?: string;
  createdAt: string;
  /** The target it was made from: `'original'`, or a variant id (e.g. pruned, then quantized). */
  parent: string;
  recipe: VariantRecipe;
  report: QuantizeReportInfo | PruneReportInfo;
  /** The `onnx-studio` command(s) that reproduce it from the original model, one per line. */
  cliCommand: string;
  /**
   * The file name `cliCommand` writes (no folder), recorded when the variant is made: a later variant's command
   * never writes it, even once this one is renamed or the variants before it are removed. Absent in workspaces
   * from before it was recorded (worked out again by variantSteps' rule).
   */
  cliOutput?: string;
}

export interface BenchTargetResult extends LatencyStats {
  /** `'original'` or a variant id. */
  target: string;
  /** Bytes of the model measured. */
  modelBytes: number;
  /** Runs per second of one sequential stream: 1000 / meanMs. */
  throughput: number;
  peakRssBytes?: number;
  /**
   * Latency samples (ms) in run order for the distribution chart: all of them up to 2,000, evenly thinned
   * above that.
   */
  samples?: number[];
  profile?: BenchProfile;
}

/** Which runtime measured a benchmark. */
export type BenchEngine = 'onnxruntime-node' | 'onnxruntime-web';

/** The concrete inputs a measurement fed (name, dtype, shape), shown beside its figures: bench.ts's. */
export type FedInput = BenchInputInfo;

/** Which data a figure was measured on (shared/dataset-identity.ts). */
export type { DatasetIdentity };

/** A dataset the experiment uses in one role. */
export interface ExperimentDataset {
  /** Shown in forms and beside figures; default: the main file's name. */
  name: string;
  data: DataRefInfo;
}

export type DatasetRole = 'calibration' | 'evaluation';

/**
 * The user's experiment on this model, owned by the backend: the inputs every job feeds and the datasets
 * by role. Never inherited from another model; the bundled sample brings its own.
 */
export interface Experiment {
  /** Concrete shapes (and values of integer inputs) for every job of this model that does not set its own. */
  inputs?: InputSpec;
  /** When the user confirmed `inputs` (ISO time); absent while they are only the guesses. */
  inputsConfirmedAt?: string;
  datasets?: Partial<Record<DatasetRole, ExperimentDataset>>;
}

export interface BenchRecord {
  id: string;
  createdAt: string;
  engine: BenchEngine;
  /** Execution provider: `cpu`, `cuda`, `webgpu`, `wasm`, ... */
  provider: string;
  /** Where it ran, for chart legends, e.g. `onnxruntime-node cpu` or `onnxruntime-web webgpu (SwiftShader)`. */
  label: string;
  /** One per target, baseline first. */
  results: BenchTargetResult[];
  /** The engine's settings (onnxruntime-node benchmarks). */
  settings?: BenchReport['settings'];
  /** The inputs fed (the same for every target of one run). */
  inputs?: FedInput[];
  /** The dataset fed, when the benchmark ran on data rather than synthetic inputs. */
  dataset?: DatasetIdentity;
  notes: string[];
}

export interface EvalRecord {
  id: string;
  createdAt: string;
  /** The target evaluated. */
  target: string;
  /** The target compared with for fidelity, when there was one. */
  reference?: string;
  /** The data evaluated on. */
  dataset?: DatasetIdentity;
  /** The inputs fed for the first sample (data decides the shapes). */
  inputs?: FedInput[];
  report: EvalReportInfo;
}

export interface Workspace {
  version: typeof WORKSPACE_VERSION;
  /** Derived from the model's absolute path; names the workspace folder. */
  key: string;
  model: {
    /** Absolute path of the original model. */
    path: string;
    /** Its size (file plus external data) when the workspace last saw it. */
    fileBytes: number;
    /** Its modification time (ms since the epoch) when the workspace last saw it. */
    mtimeMs: number;
    /** The last inspect summary. */
    summary?: ModelSummary;
  };
  createdAt: string;
  updatedAt: string;
  variants: WorkspaceVariant[];
  benchmarks: BenchRecord[];
  evaluations: EvalRecord[];
  /** What the app asked for in one go (make a variant, then benchmark and evaluate it), newest last. */
  pipelines?: PipelineRecord[];
  /** Input spec and datasets by role (set with `studio:experiment.set`). */
  experiment?: Experiment;
  /** Auto-optimize runs (`tune` jobs), newest last: their trials stream in as they end. */
  tunes?: TuneRecord[];
  /**
   * Never stored: `studio:workspace.get` adds the `studio:pipeline.start`s of this model still checking their
   * data, so a page reloaded (or another tab) while one runs sees it and can cancel it by its `checkId`.
   */
  startsInFlight?: PipelineStartInFlight[];
}

/**
 * A `studio:pipeline.start` sent with a `checkId` whose pipelines' data checks are still running
 * (shared/pipeline-runner.ts `startsInFlight`). `studio:dataset.cancelCheck` with its `checkId` stops it: the
 * pipelines not started by then are not.
 */
export interface PipelineStartInFlight {
  checkId: string;
  /** Each pipeline's title, in the request's order. */
  titles: string[];
  /** The pipeline whose data is checked now (an index into `titles`). */
  item: number;
  /** How many pipelines started so far, and how many were refused (their data did not fit). */
  started: number;
  failed: number;
}

/**
 * How ONNX Studio stopped under a pipeline, a job or an Auto-optimize run: while `closing`, or `cut off` (killed,
 * crashed; found so at the next start). shared/pipeline-interruption.ts says what each reads as.
 */
export type PipelineInterruption = 'closing' | 'cut off';

/** An Auto-optimize run of the app: the tune job's trials and outcome, kept with the model. */
export interface TuneRecord {
  id: string;
  jobId: string;
  startedAt: string;
  endedAt?: string;
  /** `interrupted`: ONNX Studio stopped under the search (`interrupted` says how); nobody cancelled it. */
  status: 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  interrupted?: PipelineInterruption;
  error?: string;
  objective: TuneObjective;
  budget: TuneBudget;
  /**
   * The data quality was measured on and calibration used, described; `calibration` is absent where no recipe
   * tried calibrates (the outcome's `data` names both by content).
   */
  data: { evaluation: string; calibration?: string };
  original?: TuneOriginal;
  /** Every ended trial so far. */
  trials: TuneTrial[];
  /** Set when the run ends (done, cancelled, or interrupted while closing): the whole outcome. */
  outcome?: TuneOutcome;
  /** The chosen trial's variant, kept in the workspace as an ordinary variant. */
  chosenVariantId?: string;
}

export type PipelineStepKind = 'make' | 'bench' | 'evaluate-original' | 'evaluate';
export type PipelineStepStatus =
  'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted' | 'skipped';
export type PipelineStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface PipelineStepRecord {
  kind: PipelineStepKind;
  title: string;
  status: PipelineStepStatus;
  /** The job that ran (or runs) this step. */
  jobId?: string;
  /** The workspace record its job stored (a `BenchRecord` or `EvalRecord` id): the pipeline shows its own figures. */
  recordId?: string;
  error?: { code: string; message: string };
  /** Why a step was skipped, or what else the user should know. */
  note?: string;
}

/**
 * A pipeline the backend runs step by step (shared/pipeline-runner.ts) and keeps here, so a reloaded page or
 * a restarted app shows it running, finished, or interrupted (and able to run again).
 */
export interface PipelineRecord {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  status: PipelineStatus;
  /** The PipelineRequest (shared/ipc-contract.ts) it was started with; validated again before a re-run. */
  request: unknown;
  /** The variant the `make` step made, once it has. */
  variant?: string;
  /** The host's data check found no labels in the evaluation data: the original needs no evaluation of its own. */
  evaluationUnlabelled?: boolean;
  steps: PipelineStepRecord[];
}

/** One line of the list of workspaces (the "recent models" of the empty state). */
export interface WorkspaceListing {
  key: string;
  modelPath: string;
  variants: number;
  updatedAt: string;
  /** False when the original model is no longer where it was. */
  modelExists: boolean;
}

/**
 * The URL path, relative to the page, where the renderer can fetch a workspace model's bytes (for
 * onnxruntime-web benchmarks in the page). Served by both hosts: `app://renderer/workspace-files/...` in
 * Electron, `/<token>/workspace-files/...` by `onnx-studio serve`. Only workspace models are served, never an
 * arbitrary path. Resolve it against `document.baseURI`.
 */
export function workspaceFileUrlPath(workspaceKey: string, target: string): string {
  return `workspace-files/${encodeURIComponent(workspaceKey)}/${encodeURIComponent(target)}`;
}

/** The first path segment of `workspaceFileUrlPath`. */
export const WORKSPACE_FILES_SEGMENT = 'workspace-files';

/** The path segment after a model's `workspaceFileUrlPath` under which its external data is served. */
export const WORKSPACE_EXTERNAL_DATA_SEGMENT = 'external-data';

/**
 * The URL path, relative to the page, of a workspace model's external data (for onnxruntime-web, which fetches
 * each data file itself): without `location`, the list of the model's external data files (a
 * `WorkspaceExternalData`, JSON); with it, that data file's bytes, `location` as the model writes it. Both hosts
 * serve exactly the files the model names, resolved as the engine resolves them (inside the model's folder),
 * never another path. Resolve it against `document.baseURI`.
 */
export function workspaceExternalDataUrlPath(
  workspaceKey: string,
  target: string,
  location?: string,
): string {
  const list = `${workspaceFileUrlPath(workspaceKey, target)}/${WORKSPACE_EXTERNAL_DATA_SEGMENT}`;
  return location === undefined ? list : `${list}/${encodeURIComponent(location)}`;
}

/** One external data file of a workspace model, as the hosts list it. */
export interface WorkspaceExternalDataFile extends ExternalDataFile {
  /** The size of the whole file: what a page that fetches it downloads and holds (`bytes` is what the model reads). */
  fileBytes: number;
}

/** What `workspaceExternalDataUrlPath(key, target)` answers: the model's external data files, none for a whole model. */
export interface WorkspaceExternalData {
  files: WorkspaceExternalDataFile[];
}
