/**
 * The contract between the renderer and the backend, declared once and typed at both ends. The same methods
 * and events travel over Electron IPC (`electron/main/ipc.ts` registers them, `electron/preload/preload.cts`
 * exposes them as `window.studio`) and over the WebSocket of `onnx-studio serve` (`shared/ws-protocol.ts`
 * wraps them in envelopes). Both hosts dispatch to one host-independent implementation
 * (`electron/engine/jobs/studio-backend.ts`), so a method behaves the same in the app and in a browser.
 *
 * Rules every method follows:
 * - Requests are validated with the zod schema below before anything else sees them.
 * - Every response is a `Result<T>`: errors are values, never thrown across IPC (Electron keeps only the
 *   message of a thrown error, and a rejected promise in the renderer is easy to forget).
 * - Request schemas use no defaults or transforms, so a request's input type equals its parsed type and
 *   the preload can send exactly the type main receives.
 *
 * The renderer should import this file with `import type` only: the schemas pull in zod, which the UI
 * bundle does not need.
 */
import { z } from 'zod';
import { datasetSpecSchema, describeSpecIssues, type DatasetSpecInput } from './dataset-spec.js';
import type { Int8Support } from './explain.js';
import type { CollectedSweep } from './sweep.js';
import { EXECUTION_PROVIDERS, OPT_LEVELS, type ProviderStatus } from './bench.js';
import { TASK_REQUESTS } from './eval-tasks.js';
import { inputSpecSchema, inputValuesSchema } from './input-spec-schema.js';
import type { InputSpec } from './input-spec.js';
import type { Result, StudioErrorInfo } from './errors.js';
import type { JobResults } from './job-results.js';
import type { MethodCatalog } from './method-catalog-types.js';
import { MAX_VARIANT_NAME } from './variant-naming.js';
import type { ModelSummary } from './model-summary.js';
import type { ModelGraph } from './model-graph.js';
import type { ModelDiff } from './model-diff.js';
import type { SkippedNodeInfo } from './job-reports.js';
import type { PipelineInterruption } from './pipeline-interruption.js';
import type {
  BenchRecord,
  DatasetIdentity,
  FedInput,
  PipelineRecord,
  Workspace,
  WorkspaceListing,
  WorkspaceVariant,
} from './workspace.js';
import type { StudioReport } from './report.js';
import { IPC_CHANNELS } from './ipc-channels.js';

// ---------------------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------------------

export { IPC_CHANNELS };

// ---------------------------------------------------------------------------------------------------------
// Request schemas (validated before any handler runs)
// ---------------------------------------------------------------------------------------------------------

/**
 * A file path from the renderer. Absolute (POSIX `/…`, Windows `C:\…` or UNC `\\…`) because a relative path
 * would silently resolve against the main process's working directory; NUL bytes are refused because the
 * OS would truncate the path at them.
 */
export const absolutePathSchema = z
  .string()
  .min(1, 'The path is empty.')
  .max(4096, 'The path is longer than 4096 characters.')
  .refine((p) => !p.includes('\0'), 'The path contains a NUL character.')
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p), 'The path must be absolute.');

const emptyRequestSchema = z.strictObject({});

export const inspectModelRequestSchema = z.strictObject({
  /** Absolute path of the `.onnx` file. The file is only read, never written. */
  path: absolutePathSchema,
});

export const modelGraphRequestSchema = z.strictObject({
  /** The workspace's model. */
  modelPath: absolutePathSchema,
  /** `'original'` or a variant id of that workspace. */
  target: z.string().min(1).max(100),
});

/** Whether onnxruntime can load the model at `path` (nothing is run): checked once when a model is opened. */
export const modelLoadCheckRequestSchema = z.strictObject({
  path: absolutePathSchema,
});

export const modelDiffRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  /** The variant to compare with the workspace's model. */
  variantId: z.string().min(1).max(100),
});

export const openModelDialogRequestSchema = emptyRequestSchema;

const fileFilterSchema = z.strictObject({
  /** e.g. `NumPy arrays`. */
  name: z.string().min(1).max(100),
  /** Without dots, e.g. `['npy', 'npz']`; `['*']` for all files. */
  extensions: z.array(z.string().min(1).max(20)).min(1).max(20),
});

export const openPathDialogRequestSchema = z.strictObject({
  /** A file, or a folder (e.g. an image folder dataset). */
  kind: z.enum(['file', 'folder']),
  title: z.string().max(200).optional(),
  filters: z.array(fileFilterSchema).max(10).optional(),
});

export const savePathDialogRequestSchema = z.strictObject({
  title: z.string().max(200).optional(),
  /** Suggested path or file name. */
  defaultPath: z.string().max(4096).optional(),
  filters: z.array(fileFilterSchema).max(10).optional(),
});

export const fsListRequestSchema = z.strictObject({
  /** The folder to list. */
  path: absolutePathSchema,
});

/** A variant's id, or `'original'` for the workspace's own model (see shared/workspace.ts). */
const targetSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, 'A target is "original" or a variant id.');

/** How a dataset problem starts its message, so `parseIpcRequest` can tell it from a malformed request. */
const INVALID_DATASET = 'Invalid dataset:';

/** A dataset spec (shared/dataset-spec.ts), checked here so a mistake is reported before a job is queued. */
const datasetSpecInputSchema = z.custom<DatasetSpecInput>().superRefine((value, ctx) => {
  const parsed = datasetSpecSchema.safeParse(value);
  if (!parsed.success)
    ctx.addIssue({ code: 'custom', message: `${INVALID_DATASET} ${describeSpecIssues(parsed.error)}` });
});

export const dataRefSchema = z.strictObject({
  spec: datasetSpecInputSchema,
  /** Folder that relative paths in `spec` resolve against (default: the model's folder). */
  baseDir: absolutePathSchema.optional(),
});

const optionsRecordSchema = z.record(z.string(), z.unknown());
const shapesSchema = z.record(z.string(), z.array(z.number().int().min(0)).max(16));
// 0 only for a KV cache's past length: judged against the model (resolveInputSpecs, cache-dims.ts).
const dimsSchema = z.record(z.string(), z.number().int().min(0));
/** Values to feed inputs whose values matter (integers such as a sample rate), by input name. */
const valuesSchema = z.record(z.string(), inputValuesSchema);
/**
 * Where a job's `shapes`, `dims` and `values` came from, so its messages name them as the user set them: `--shape`
 * and `--dim` on a command line (`flags`, which data of other sizes contradicts as an error), a recipe's `inputs`,
 * or the Model view's input spec (`app`, also when absent). The jobs of `onnx-studio tune` send `flags`.
 */
const inputsOriginSchema = z.enum(['flags', 'recipe', 'app']);
/** Display name of the variant a job makes (default: the method's name, made unique). */
const variantNameSchema = z.string().min(1).max(MAX_VARIANT_NAME);

/** The kinds of job; each kind's spec is below, and `JobResults` (shared/job-results.ts) types each result. */
export const JOB_KINDS = ['inspect', 'quantize', 'prune', 'bench', 'evaluate', 'export', 'tune'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Every job names `modelPath`: the original model, whose workspace records what the job makes or measures.
 * Originals are never written; variants are written into the workspace folder.
 */
export const inspectJobSpecSchema = z.strictObject({
  kind: z.literal('inspect'),
  modelPath: absolutePathSchema,
});

export const quantizeJobSpecSchema = z.strictObject({
  kind: z.literal('quantize'),
  modelPath: absolutePathSchema,
  /** Quantize this target (default `'original'`); e.g. a pruned variant. */
  source: targetSchema.optional(),
  /** A method name from `studio:methods.list` (`int8-dynamic`, `int8-static`, `fp16`, ...). */
  method: z.string().min(1).max(100),
  /** Options every method understands (`quantize.common` fields of the catalog). */
  common: optionsRecordSchema.optional(),
  /** The method's own options (its `fields` in the catalog); validated by the engine's registry. */
  options: optionsRecordSchema.optional(),
  /** Calibration samples, for methods with `needsCalibration`. */
  calibration: dataRefSchema.optional(),
  /**
   * Concrete input shapes (and values) for synthetic calibration data of models with symbolic dims. Absent:
   * the workspace's experiment input spec, if any.
   */
  shapes: shapesSchema.optional(),
  dims: dimsSchema.optional(),
  values: valuesSchema.optional(),
  inputsOrigin: inputsOriginSchema.optional(),
  name: variantNameSchema.optional(),
});

export const pruneJobSpecSchema = z.strictObject({
  kind: z.literal('prune'),
  modelPath: absolutePathSchema,
  source: targetSchema.optional(),
  method: z.string().min(1).max(100),
  /** `sparsity` (0..1) is required; see `prune.common` fields of the catalog. */
  common: optionsRecordSchema,
  options: optionsRecordSchema.optional(),
  name: variantNameSchema.optional(),
});

const benchDataSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('synthetic'),
    /** How many distinct random feeds to prepare; runs cycle through them. */
    samples: z.number().int().min(1).max(1024),
    seed: z.number().int().min(0).max(0xffffffff),
  }),
  z.strictObject({
    kind: z.literal('dataset'),
    data: dataRefSchema,
    /** At most this many samples are read into memory before timing. */
    maxSamples: z.number().int().min(1).max(1024),
  }),
]);

export const benchJobSpecSchema = z
  .strictObject({
    kind: z.literal('bench'),
    modelPath: absolutePathSchema,
    /** What to measure, baseline first (ratios are against it); default `['original']`. Run interleaved. */
    targets: z.array(targetSchema).min(1).max(16).optional(),
    /** Default `cpu`. */
    ep: z.enum(EXECUTION_PROVIDERS).optional(),
    /** Intra-op threads; 0 or absent = onnxruntime's default. */
    intraOpThreads: z.number().int().min(0).max(4096).optional(),
    interOpThreads: z.number().int().min(0).max(4096).optional(),
    optLevel: z.enum(OPT_LEVELS).optional(),
    allowSpinning: z.boolean().optional(),
    /** Untimed runs per model before measuring (default 10). */
    warmup: z.number().int().min(0).max(1_000_000).optional(),
    /** Timed runs per model (default 100); or set `durationMs` instead. */
    iterations: z.number().int().min(1).max(10_000_000).optional(),
    /** Measure for this long (ms, all targets together) instead of a number of runs. */
    durationMs: z.number().positive().max(86_400_000).optional(),
    /** Absent (with `dims` and `values`): the workspace's experiment input spec, if any. */
    shapes: shapesSchema.optional(),
    dims: dimsSchema.optional(),
    values: valuesSchema.optional(),
    /** Default: 4 synthetic feeds, seed 0. */
    data: benchDataSpecSchema.optional(),
    /** Record and aggregate onnxruntime's profile (per-op times, from a separate pass after timing: latencies are not affected). */
    profile: z.boolean().optional(),
  })
  .refine((s) => s.iterations === undefined || s.durationMs === undefined, {
    message: 'Set iterations or durationMs, not both.',
  });

export const evaluateJobSpecSchema = z.strictObject({
  kind: z.literal('evaluate'),
  modelPath: absolutePathSchema,
  /** The target to evaluate (default `'original'`). */
  target: targetSchema.optional(),
  /** The samples (with labels for accuracy). */
  data: dataRefSchema,
  /** Compare every output with this target's (usually `'original'`) for fidelity. */
  reference: targetSchema.optional(),
  task: z.enum(TASK_REQUESTS).optional(),
  /** Evaluate at most this many samples. */
  limit: z.number().int().min(1).optional(),
  /**
   * For synthetic data and open dims data files leave open. Absent (with `dims` and `values`): the
   * workspace's experiment input spec, if any. Data files' own sizes still decide the dims they fix.
   */
  shapes: shapesSchema.optional(),
  dims: dimsSchema.optional(),
  values: valuesSchema.optional(),
  inputsOrigin: inputsOriginSchema.optional(),
});

/** A dataset for one role of the experiment; `null` removes it. */
const experimentDatasetSchema = z.strictObject({
  /** Shown beside figures (default: the main file's name). */
  name: z.string().min(1).max(120).optional(),
  data: dataRefSchema,
});

export const experimentSetRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  /** The input spec every job of this model uses; `null` forgets it. Checked against the model. */
  inputs: inputSpecSchema.nullable().optional(),
  /** Record the spec as confirmed by the user (the app stops asking). */
  confirmInputs: z.boolean().optional(),
  /** Datasets by role; a role left out stays as it is, `null` removes it. */
  datasets: z
    .strictObject({
      calibration: experimentDatasetSchema.nullable().optional(),
      evaluation: experimentDatasetSchema.nullable().optional(),
    })
    .optional(),
});

/** A sweep folder written by `onnx-studio tune --emit` (its results merged as `tune --collect` does). */
export const sweepCollectRequestSchema = z.strictObject({
  dir: absolutePathSchema,
});

export const datasetCheckRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  /** What the data is for: calibration needs inputs only; evaluation needs labels or a reference. */
  role: z.enum(['calibration', 'evaluation']),
  data: dataRefSchema,
  /** The model to check against (default `'original'`). */
  target: targetSchema.optional(),
  /**
   * An id the page chooses for this check, unique among its running checks, so that
   * `studio:dataset.cancelCheck` can stop it (a check reads up to MAX_CHECKED_SAMPLES samples of a file, which takes a while).
   */
  checkId: z.string().min(1).max(200).optional(),
});

export const cancelDatasetCheckRequestSchema = z.strictObject({
  /** The `checkId` the check's request carried. */
  checkId: z.string().min(1).max(200),
});

/**
 * The payload of the `studio:dataset.checkProgress` event: how far the check named `checkId` is. The backend
 * builds it from what the task process reports and sends only payloads this schema accepts.
 */
export const datasetCheckProgressSchema = z.strictObject({
  /** The `checkId` of the `studio:dataset.check` (or `studio:pipeline.start`) request. */
  checkId: z.string().min(1).max(200),
  /** Samples read so far. */
  done: z.number().int().min(0),
  /** Samples the check reads (at most MAX_CHECKED_SAMPLES); 0 while not known. */
  total: z.number().int().min(0),
  /** Which data: a pipeline's check reads its calibration data, then its evaluation data, under one id. */
  role: z.enum(['calibration', 'evaluation']).optional(),
  /** A `studio:pipeline.start`'s check: which of its pipelines (0-based) the data is checked for. */
  item: z.number().int().min(0).optional(),
});

export const exportJobSpecSchema = z.strictObject({
  kind: z.literal('export'),
  modelPath: absolutePathSchema,
  /** The variant to export. */
  target: targetSchema,
  /** Where to write it (atomically: a temporary file in that folder, renamed when complete). */
  outputPath: absolutePathSchema,
  /** Replace an existing file. Without it the job ends with `{written: false, reason: 'exists'}` (ask, then retry). */
  overwrite: z.boolean().optional(),
  /**
   * Replacing the original model itself additionally needs this (without it: `{written: false, reason:
   * 'original'}`; the UI asks for an explicit confirmation): originals are sacred.
   */
  replaceOriginal: z.boolean().optional(),
});

/**
 * Auto-optimize: `onnx-studio tune` as a job. Its trials are ordinary jobs it starts; they and the outcome are
 * recorded in the workspace (`tunes`). Data absent: the experiment's datasets by role.
 */
export const tuneJobSpecSchema = z.strictObject({
  kind: z.literal('tune'),
  modelPath: absolutePathSchema,
  /** The tune options (shared/options/tune-options.ts: a budget, the objective, limits); validated by the engine. */
  options: optionsRecordSchema,
  calibration: dataRefSchema.optional(),
  evaluation: dataRefSchema.optional(),
  shapes: shapesSchema.optional(),
  dims: dimsSchema.optional(),
  values: valuesSchema.optional(),
});

export const jobSpecSchema = z.discriminatedUnion('kind', [
  inspectJobSpecSchema,
  quantizeJobSpecSchema,
  pruneJobSpecSchema,
  benchJobSpecSchema,
  evaluateJobSpecSchema,
  exportJobSpecSchema,
  tuneJobSpecSchema,
]);

/** Benchmark settings of a pipeline (its targets are the original and the variant it made). */
export const pipelineBenchSchema = z.strictObject({
  ep: z.enum(EXECUTION_PROVIDERS).optional(),
  warmup: z.number().int().min(0).max(1_000_000).optional(),
  iterations: z.number().int().min(1).max(10_000_000).optional(),
  profile: z.boolean().optional(),
});

/**
 * Make a variant, then (optionally) benchmark it against the original and evaluate it on data. The backend
 * runs the steps (shared/pipeline-runner.ts), keeps the pipeline in the workspace, and streams each step's job
 * events; the original is evaluated on a dataset once per workspace, as the baseline of every variant.
 */
export const pipelineRequestSchema = z.strictObject({
  make: z.discriminatedUnion('kind', [quantizeJobSpecSchema, pruneJobSpecSchema]),
  bench: pipelineBenchSchema.optional(),
  evaluate: z.strictObject({ data: dataRefSchema }).optional(),
  /** Shown in the pipeline list (default: from the recipe). */
  title: z.string().min(1).max(200).optional(),
});

/** The most pipelines one `studio:pipeline.start` queues (the Optimize view sends one per ticked recipe). */
export const MAX_PIPELINES_PER_START = 200;

/**
 * `studio:pipeline.start`: the pipelines the user queued with one click, in one message, so the backend owns
 * all of them at once (a reload of the page while the first one's data is checked loses none). Each one's data
 * is checked before any of its steps, in order; one whose data fails is reported and the next goes on.
 */
export const pipelineStartRequestSchema = z.strictObject({
  pipelines: z.array(pipelineRequestSchema).min(1).max(MAX_PIPELINES_PER_START),
  /**
   * An id for the data checks (as `studio:dataset.check`'s `checkId`): their progress arrives as
   * `studio:dataset.checkProgress` events, with the index of the pipeline checked, and
   * `studio:dataset.cancelCheck` stops them: the pipelines not started by then are not.
   */
  checkId: z.string().min(1).max(200).optional(),
});

export const pipelineRerunRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  pipelineId: z.string().min(1).max(100),
});

export const cancelJobRequestSchema = z.strictObject({
  jobId: z.string().min(1).max(200),
});

export const workspaceRequestSchema = z.strictObject({
  /** The original model's absolute path. */
  modelPath: absolutePathSchema,
});

export const renameVariantRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  variantId: targetSchema,
  name: variantNameSchema,
});

export const removeVariantRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  variantId: targetSchema,
});

const finiteMs = z.number().finite().min(0);

/** One input a benchmark fed: workspace.ts `FedInput` (the type stays the one declaration; this checks it). */
const fedInputSchema = z.strictObject({
  name: z.string().min(1).max(1000),
  dtype: z.string().min(1).max(40),
  shape: z.array(z.number().int().min(0)).max(16),
  shapes: z.array(z.array(z.number().int().min(0)).max(16)).max(16).optional(),
}) satisfies z.ZodType<FedInput>;

/** One model's figures from a benchmark the renderer ran (onnxruntime-web). */
export const benchTargetResultInputSchema = z.strictObject({
  target: targetSchema,
  modelBytes: z.number().int().min(0),
  iterations: z.number().int().min(1),
  meanMs: finiteMs,
  stdMs: finiteMs,
  minMs: finiteMs,
  p50Ms: finiteMs,
  p90Ms: finiteMs,
  p95Ms: finiteMs,
  p99Ms: finiteMs,
  maxMs: finiteMs,
  throughput: z.number().finite().min(0),
  initMs: finiteMs.optional(),
  firstRunMs: finiteMs.optional(),
  /** At most 2,000 latency samples (thin them evenly before sending). */
  samples: z.array(finiteMs).max(2000).optional(),
});

export const addBenchRecordRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  engine: z.literal('onnxruntime-web'),
  /** `webgpu` or `wasm`. */
  provider: z.string().min(1).max(40),
  /** Legend text, e.g. `onnxruntime-web webgpu (SwiftShader)`. */
  label: z.string().min(1).max(200),
  results: z.array(benchTargetResultInputSchema).min(1).max(16),
  /**
   * The inputs the page fed (the same for every target), so Compare can flag figures measured at other
   * shapes than the input spec gives later. Optional: a page from before sends none.
   */
  inputs: z.array(fedInputSchema).max(256).optional(),
  notes: z.array(z.string().max(1000)).max(20).optional(),
});

export const reportSaveRequestSchema = z.strictObject({
  modelPath: absolutePathSchema,
  /** Folder to write `report.html` and `report.json` into (created if missing). */
  outputDir: absolutePathSchema,
  /** Replace existing report files. */
  overwrite: z.boolean().optional(),
});

export type InspectModelRequest = z.infer<typeof inspectModelRequestSchema>;
export type ModelGraphRequest = z.infer<typeof modelGraphRequestSchema>;
export type ModelLoadCheckRequest = z.infer<typeof modelLoadCheckRequestSchema>;
/**
 * What `studio:model.loadCheck` found: onnxruntime loads the model, or it refuses it (`problem`: the
 * MODEL_INVALID error with onnxruntime's reason and what to do). Benchmarks and evaluations of a model it
 * refuses can only fail; quantizing and pruning (our own code) still work.
 */
export type ModelLoadCheck = { loadable: true } | { loadable: false; problem: StudioErrorInfo };
export type ModelDiffRequest = z.infer<typeof modelDiffRequestSchema>;

/** A variant's diff against its workspace's model, with the nodes its quantizer left in float and why. */
export interface VariantDiff extends ModelDiff {
  skippedNodes: SkippedNodeInfo[];
}
export type OpenModelDialogRequest = z.infer<typeof openModelDialogRequestSchema>;
export type OpenPathDialogRequest = z.infer<typeof openPathDialogRequestSchema>;
export type SavePathDialogRequest = z.infer<typeof savePathDialogRequestSchema>;
export type FsListRequest = z.infer<typeof fsListRequestSchema>;
export type DataRef = z.infer<typeof dataRefSchema>;
export type InspectJobSpec = z.infer<typeof inspectJobSpecSchema>;
export type QuantizeJobSpec = z.infer<typeof quantizeJobSpecSchema>;
export type PruneJobSpec = z.infer<typeof pruneJobSpecSchema>;
export type BenchJobSpec = z.infer<typeof benchJobSpecSchema>;
export type EvaluateJobSpec = z.infer<typeof evaluateJobSpecSchema>;
export type TuneJobSpec = z.infer<typeof tuneJobSpecSchema>;
export type ExportJobSpec = z.infer<typeof exportJobSpecSchema>;
export type JobSpec = z.infer<typeof jobSpecSchema>;
export type PipelineRequest = z.infer<typeof pipelineRequestSchema>;
export type PipelineStartRequest = z.infer<typeof pipelineStartRequestSchema>;
export type PipelineRerunRequest = z.infer<typeof pipelineRerunRequestSchema>;
export type CancelJobRequest = z.infer<typeof cancelJobRequestSchema>;
export type WorkspaceRequest = z.infer<typeof workspaceRequestSchema>;
export type RenameVariantRequest = z.infer<typeof renameVariantRequestSchema>;
export type RemoveVariantRequest = z.infer<typeof removeVariantRequestSchema>;
export type BenchTargetResultInput = z.infer<typeof benchTargetResultInputSchema>;
export type AddBenchRecordRequest = z.infer<typeof addBenchRecordRequestSchema>;
export type ReportSaveRequest = z.infer<typeof reportSaveRequestSchema>;
export type ExperimentSetRequest = z.infer<typeof experimentSetRequestSchema>;
export type DatasetCheckRequest = z.infer<typeof datasetCheckRequestSchema>;
export type CancelDatasetCheckRequest = z.infer<typeof cancelDatasetCheckRequestSchema>;
export type DatasetCheckProgress = z.infer<typeof datasetCheckProgressSchema>;
export type SweepCollectRequest = z.infer<typeof sweepCollectRequestSchema>;
export type EmptyRequest = Record<string, never>;

// ---------------------------------------------------------------------------------------------------------
// Response types
// ---------------------------------------------------------------------------------------------------------

/**
 * What a `studio:pipeline.start` did with its pipelines: those started (in order) and those whose data check (or
 * start) failed, each by index in the request, and whether a cancel stopped the rest, which were not started.
 */
export interface PipelineStartOutcome {
  started: { index: number; pipeline: PipelineRecord }[];
  failed: { index: number; error: StudioErrorInfo }[];
  cancelled: boolean;
}

export interface FsEntry {
  name: string;
  /** Absolute path. */
  path: string;
  kind: 'file' | 'folder';
  /** File size, for files. */
  bytes?: number;
  /** A dot file or folder: the file browser hides it unless asked, and says how many it hides. */
  hidden?: true;
}

export interface FsListing {
  /** The folder listed (absolute, normalized). */
  path: string;
  /** Its parent, or `null` at a root. */
  parent: string | null;
  /** Visible entries, then hidden ones (dot files, flagged); within each, folders first, then files, by name. */
  entries: FsEntry[];
}

/**
 * What `studio:dataset.check` found: the data fits the model (otherwise the answer is a BAD_INPUT error
 * naming the input, or a BAD_REQUEST naming the file or the labels).
 */
export interface DatasetCheckReport {
  identity: DatasetIdentity;
  /** The inputs of the first sample as they would be fed. */
  inputs: FedInput[];
  /** Whether the data has labels (accuracy can be measured); without, variants are compared by fidelity. */
  hasLabels: boolean;
  /**
   * Without labels: the model is a language model graded on these real ids (next-token accuracy, shared/own-ids.ts),
   * so its accuracy is measured all the same. Absent otherwise.
   */
  ownIds?: true;
  /** Present when the data has numeric labels (class ids, values, vectors of values): their range. */
  labels?: {
    count: number;
    /** Smallest and largest label (class ids for classification, one-hot rows' included). */
    min: number;
    max: number;
    /** Classes the scored output scores (its last dim), when the labels are class ids and it reads as class scores. */
    modelClasses?: number;
    /** The output accuracy is measured on, when the labels are class ids (of several outputs, the one that fits them). */
    output?: string;
    /** Values per sample, when the labels are vectors read as regression targets (not one-hot rows). */
    width?: number;
  };
  /** Things worth knowing that do not stop the job (e.g. fewer samples than a calibration usually needs). */
  warnings: string[];
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * A job as `studio:job.list` reports it. Times are ms since the Unix epoch. The list has this run's jobs, then
 * those of earlier runs in the same data folder (the job history, electron/engine/jobs/job-history.ts), newest
 * first: ended, or interrupted (`terminal.interrupted`) when ONNX Studio stopped under them. A job of an earlier
 * run has no metric samples, and its `result` is null (what it made is in the workspace) but an export's.
 */
export interface JobInfo {
  jobId: string;
  spec: JobSpec;
  state: JobState;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  /** The last progress event. */
  progress?: { fraction: number; stage: string; etaMs?: number };
  /** The terminal event, once the job ended. */
  terminal?: TerminalJobEvent;
  /** The `seq` of the last event sent for this job. */
  lastSeq: number;
  /**
   * The job's title, as the job list shows it (shared/job-titles.ts: variants by name, never by id), when the
   * backend started it with one: a page that finds the job after a reload shows the same title.
   */
  title?: string;
  /**
   * While the job runs: every metric sample it emitted so far (up to its last event, `lastSeq`), per metric
   * name, the newest 50,000 of each. A page that attaches late (a reload) draws a running benchmark's live
   * figures from these, then continues with the events after `lastSeq`.
   */
  metrics?: { name: string; unit: string; values: number[] }[];
}

/** The sample model bundled with the app, with its data, so a new user can try every feature at once. */
export interface SampleModelInfo {
  /** Absolute path of the sample model: a trained handwritten-digit classifier (10 classes). */
  modelPath: string;
  /** `.npy` of its labelled test inputs (first axis = samples). */
  inputsPath: string;
  /** `.npy` of the integer labels of those inputs. */
  labelsPath: string;
  /** A dataset spec of its labelled test images (npy inputs + npy labels): the evaluation set. */
  data: DataRef;
  /** `.npy` of its calibration inputs, when it ships some apart from the test set. */
  calibrationPath?: string;
  /** A dataset spec of those calibration inputs; without one the test set calibrates too. */
  calibration?: DataRef;
  /** Its input spec (one image per run): the sample's experiment starts with it set. */
  inputs: InputSpec;
  description: string;
}

export interface AppInfo {
  version: string;
  /** Which host serves the contract. */
  host: 'electron' | 'serve';
  platform: string;
  /** What this host can do: native dialogs exist only in Electron; `serve` offers `fs.list` and uploads. */
  capabilities: { nativeDialogs: boolean; fileBrowser: boolean; upload: boolean };
  /** Where workspaces are stored. */
  dataDir: string;
  homeDir: string;
  /** Absent when the sample is not installed. */
  sample?: SampleModelInfo;
  /** The int8 dot-product instructions of this machine's CPU (what `explain` reads); absent when unknown. */
  int8?: Int8Support;
}

// ---------------------------------------------------------------------------------------------------------
// Request/response methods
// ---------------------------------------------------------------------------------------------------------

/** Method channel → request type → response value type. Every response travels as `Result<response>`. */
export interface IpcMethods {
  [IPC_CHANNELS.modelInspect]: { request: InspectModelRequest; response: ModelSummary };
  [IPC_CHANNELS.modelGraph]: { request: ModelGraphRequest; response: ModelGraph };
  [IPC_CHANNELS.modelDiff]: { request: ModelDiffRequest; response: VariantDiff };
  [IPC_CHANNELS.modelLoadCheck]: { request: ModelLoadCheckRequest; response: ModelLoadCheck };
  /** `null` when the user closed the dialog without choosing a file. */
  [IPC_CHANNELS.modelOpenDialog]: { request: OpenModelDialogRequest; response: string | null };
  [IPC_CHANNELS.dialogOpenPath]: { request: OpenPathDialogRequest; response: string | null };
  [IPC_CHANNELS.dialogSavePath]: { request: SavePathDialogRequest; response: string | null };
  [IPC_CHANNELS.fsList]: { request: FsListRequest; response: FsListing };
  [IPC_CHANNELS.jobStart]: { request: JobSpec; response: { jobId: string } };
  /** `cancelled` is false when the job had already finished (or never existed); that is not an error. */
  [IPC_CHANNELS.jobCancel]: { request: CancelJobRequest; response: { cancelled: boolean } };
  [IPC_CHANNELS.jobList]: { request: EmptyRequest; response: JobInfo[] };
  [IPC_CHANNELS.pipelineStart]: { request: PipelineStartRequest; response: PipelineStartOutcome };
  [IPC_CHANNELS.pipelineRerun]: { request: PipelineRerunRequest; response: PipelineRecord };
  [IPC_CHANNELS.workspaceGet]: { request: WorkspaceRequest; response: Workspace };
  [IPC_CHANNELS.workspaceList]: { request: EmptyRequest; response: WorkspaceListing[] };
  [IPC_CHANNELS.workspaceRenameVariant]: { request: RenameVariantRequest; response: WorkspaceVariant };
  /** `removed` is false when there was no such variant. */
  [IPC_CHANNELS.workspaceRemoveVariant]: { request: RemoveVariantRequest; response: { removed: boolean } };
  [IPC_CHANNELS.workspaceAddBenchRecord]: { request: AddBenchRecordRequest; response: BenchRecord };
  [IPC_CHANNELS.experimentSet]: { request: ExperimentSetRequest; response: Workspace };
  [IPC_CHANNELS.datasetCheck]: { request: DatasetCheckRequest; response: DatasetCheckReport };
  /**
   * `cancelled` is false when no check with that id was running (it had finished, or never started); that is
   * not an error. The cancelled check answers a CANCELLED error.
   */
  [IPC_CHANNELS.datasetCheckCancel]: { request: CancelDatasetCheckRequest; response: { cancelled: boolean } };
  [IPC_CHANNELS.sweepCollect]: { request: SweepCollectRequest; response: CollectedSweep };
  [IPC_CHANNELS.reportBuild]: { request: WorkspaceRequest; response: { html: string; json: StudioReport } };
  [IPC_CHANNELS.reportSave]: { request: ReportSaveRequest; response: { htmlPath: string; jsonPath: string } };
  [IPC_CHANNELS.methodsList]: { request: EmptyRequest; response: MethodCatalog };
  [IPC_CHANNELS.engineProviders]: { request: EmptyRequest; response: ProviderStatus[] };
  [IPC_CHANNELS.recentList]: { request: EmptyRequest; response: string[] };
  [IPC_CHANNELS.recentClear]: { request: EmptyRequest; response: Record<string, never> };
  [IPC_CHANNELS.appInfo]: { request: EmptyRequest; response: AppInfo };
}

export type IpcMethodChannel = keyof IpcMethods;
export type IpcRequest<C extends IpcMethodChannel> = IpcMethods[C]['request'];
export type IpcResponse<C extends IpcMethodChannel> = Result<IpcMethods[C]['response']>;

/** The schema each method's payload is parsed with; the mapped type keeps it in step with `IpcMethods`. */
export const IPC_REQUEST_SCHEMAS: { [C in IpcMethodChannel]: z.ZodType<IpcRequest<C>> } = {
  [IPC_CHANNELS.modelInspect]: inspectModelRequestSchema,
  [IPC_CHANNELS.modelGraph]: modelGraphRequestSchema,
  [IPC_CHANNELS.modelDiff]: modelDiffRequestSchema,
  [IPC_CHANNELS.modelLoadCheck]: modelLoadCheckRequestSchema,
  [IPC_CHANNELS.modelOpenDialog]: openModelDialogRequestSchema,
  [IPC_CHANNELS.dialogOpenPath]: openPathDialogRequestSchema,
  [IPC_CHANNELS.dialogSavePath]: savePathDialogRequestSchema,
  [IPC_CHANNELS.fsList]: fsListRequestSchema,
  [IPC_CHANNELS.jobStart]: jobSpecSchema,
  [IPC_CHANNELS.jobCancel]: cancelJobRequestSchema,
  [IPC_CHANNELS.jobList]: emptyRequestSchema,
  [IPC_CHANNELS.pipelineStart]: pipelineStartRequestSchema,
  [IPC_CHANNELS.pipelineRerun]: pipelineRerunRequestSchema,
  [IPC_CHANNELS.workspaceGet]: workspaceRequestSchema,
  [IPC_CHANNELS.workspaceList]: emptyRequestSchema,
  [IPC_CHANNELS.workspaceRenameVariant]: renameVariantRequestSchema,
  [IPC_CHANNELS.workspaceRemoveVariant]: removeVariantRequestSchema,
  [IPC_CHANNELS.workspaceAddBenchRecord]: addBenchRecordRequestSchema,
  [IPC_CHANNELS.experimentSet]: experimentSetRequestSchema,
  [IPC_CHANNELS.datasetCheck]: datasetCheckRequestSchema,
  [IPC_CHANNELS.datasetCheckCancel]: cancelDatasetCheckRequestSchema,
  [IPC_CHANNELS.sweepCollect]: sweepCollectRequestSchema,
  [IPC_CHANNELS.reportBuild]: workspaceRequestSchema,
  [IPC_CHANNELS.reportSave]: reportSaveRequestSchema,
  [IPC_CHANNELS.methodsList]: emptyRequestSchema,
  [IPC_CHANNELS.engineProviders]: emptyRequestSchema,
  [IPC_CHANNELS.recentList]: emptyRequestSchema,
  [IPC_CHANNELS.recentClear]: emptyRequestSchema,
  [IPC_CHANNELS.appInfo]: emptyRequestSchema,
};

/** Every method channel, for hosts that register them all (and tests that check they do). */
export const IPC_METHOD_CHANNELS = Object.keys(IPC_REQUEST_SCHEMAS) as IpcMethodChannel[];

/** Methods only a host with native UI can answer; `serve` answers them with a BAD_REQUEST saying what to use instead. */
export const NATIVE_DIALOG_CHANNELS: readonly IpcMethodChannel[] = [
  IPC_CHANNELS.modelOpenDialog,
  IPC_CHANNELS.dialogOpenPath,
  IPC_CHANNELS.dialogSavePath,
];

/** Parses a method's payload; the error message names the first problem, `detail` lists them all. */
export function parseIpcRequest<C extends IpcMethodChannel>(
  channel: C,
  payload: unknown,
): { ok: true; value: IpcRequest<C> } | { ok: false; error: StudioErrorInfo } {
  const parsed = IPC_REQUEST_SCHEMAS[channel].safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`);
  // A dataset the user described (a zero std, a crop without shorter-side-crop) is their input, not a page bug.
  const dataset = parsed.error.issues.find((i) => i.message.startsWith(INVALID_DATASET));
  if (dataset) {
    return {
      ok: false,
      error: {
        code: 'BAD_REQUEST',
        message: `The dataset is not valid: ${dataset.message.slice(INVALID_DATASET.length).trim()}. Correct it and try again.`,
        detail: issues.join('\n'),
      },
    };
  }
  return {
    ok: false,
    error: {
      code: 'BAD_REQUEST',
      message: `The request to ${channel} was malformed: ${issues[0] ?? 'invalid payload'}. This is a bug in the page that sent it; reload it and try again.`,
      detail: issues.join('\n'),
    },
  };
}

export function isIpcMethodChannel(value: unknown): value is IpcMethodChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(IPC_REQUEST_SCHEMAS, value);
}

// ---------------------------------------------------------------------------------------------------------
// Events (backend → renderer)
// ---------------------------------------------------------------------------------------------------------

/** Menu commands main forwards to the renderer, which owns the flow (e.g. open → inspect → show). */
export type MenuCommand = 'open-model' | 'open-sample' | 'export-variant' | 'export-report';

interface JobEventBase {
  /** The id `studio:job.start` returned. */
  jobId: string;
  /** Per-job sequence number: 0 for the first event, +1 for each next one, so gaps and reordering show. */
  seq: number;
  /** When the event was emitted, in ms since the Unix epoch. */
  timeMs: number;
}

/** Throttled to about 10 Hz per job, so a fast loop cannot flood the renderer. */
export interface JobProgressEvent extends JobEventBase {
  type: 'progress';
  /** Completed fraction of the whole job, 0 to 1. */
  fraction: number;
  /** Short human-readable stage, e.g. `queued`, `calibrating` or `warming up`. */
  stage: string;
  /** Estimated time left (ms), once the job has run long enough to tell. */
  etaMs?: number;
}

export interface JobLogEvent extends JobEventBase {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Measurements for charts. Samples are batched: a 10,000-run benchmark sends a few events, not 10,000. */
export interface JobMetricEvent extends JobEventBase {
  type: 'metric';
  /**
   * Metric name. Benchmarks stream `latency/<i>` (ms), `i` indexing the job's targets (see
   * `parseLatencyMetricName` in shared/latency-stats.ts).
   */
  name: string;
  /** Unit of `values`, e.g. `ms`, `bytes`, `ratio` (0 to 1) or `count`. */
  unit: string;
  /** One or more samples, in the order they were measured. */
  values: number[];
}

/** Terminal: the job finished; `result`'s type depends on the job kind (`JobResults`). */
export interface JobResultEvent<R = unknown> extends JobEventBase {
  type: 'result';
  result: R;
  /**
   * Set when part of the job's work could not be done although the rest was (a browser benchmark in which some
   * models failed): what was not done, in a few words ("2 of 6 models not measured"). The job counts as partly
   * failed, not as finished; its log says why.
   */
  partial?: string;
}

/** Terminal: the job failed; `error.message` says what was wrong and what to do. */
export interface JobFailedEvent extends JobEventBase {
  type: 'failed';
  error: StudioErrorInfo;
}

/**
 * Terminal: the job stopped because `studio:job.cancel` asked it to, or, with `interrupted`, because ONNX Studio
 * stopped under it: `closing` (the app quit, `serve` was stopped: it stopped its jobs) or `cut off` (it was killed
 * or crashed; the next start found the job unfinished in the job history). Nobody cancelled it then
 * (shared/pipeline-interruption.ts says why, as for a pipeline).
 */
export interface JobCancelledEvent extends JobEventBase {
  type: 'cancelled';
  interrupted?: PipelineInterruption;
}

/** Every job emits any number of progress/log/metric events, then exactly one terminal event. */
export type JobEvent<R = unknown> =
  JobProgressEvent | JobLogEvent | JobMetricEvent | JobResultEvent<R> | JobFailedEvent | JobCancelledEvent;

export type JobEventType = JobEvent['type'];
export type TerminalJobEvent<R = unknown> = JobResultEvent<R> | JobFailedEvent | JobCancelledEvent;

export function isTerminalJobEvent<R>(event: JobEvent<R>): event is TerminalJobEvent<R> {
  return event.type === 'result' || event.type === 'failed' || event.type === 'cancelled';
}

/** The result of a job of kind `K`, e.g. `JobResultOf<'quantize'>`. */
export type JobResultOf<K extends JobKind> = JobResults[K];

/** Event channel → payload. */
export interface IpcEvents {
  [IPC_CHANNELS.jobEvent]: JobEvent;
  [IPC_CHANNELS.menuCommand]: MenuCommand;
  [IPC_CHANNELS.modelOpenRequest]: { path: string };
  [IPC_CHANNELS.workspaceChanged]: { modelPath: string; key: string };
  [IPC_CHANNELS.recentChanged]: string[];
  [IPC_CHANNELS.datasetCheckProgress]: DatasetCheckProgress;
}

export type IpcEventChannel = keyof IpcEvents;

/** One event with its channel, as hosts fan them out. */
export type StudioEvent = { [C in IpcEventChannel]: { channel: C; payload: IpcEvents[C] } }[IpcEventChannel];

// ---------------------------------------------------------------------------------------------------------
// The preload API (`window.studio`)
// ---------------------------------------------------------------------------------------------------------

/** Stops a subscription. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A file the user dropped or picked in the page. Typed structurally (a DOM `File` fits) so `shared/` needs
 * no DOM types.
 */
export interface DroppedFile {
  readonly name: string;
  readonly size: number;
}

/**
 * What the preload exposes as `window.studio`: a narrow, typed surface, one function per contract method.
 * The renderer never sees `ipcRenderer` itself, so a compromised page can call these methods and nothing
 * else. No method rejects; failures come back as `{ ok: false, error }`.
 */
export interface StudioApi {
  /** Summarize the model at an absolute path. */
  inspectModel(path: string): Promise<Result<ModelSummary>>;
  /** The graph of the workspace's model (`target: 'original'`) or of one of its variants. */
  modelGraph(request: ModelGraphRequest): Promise<Result<ModelGraph>>;
  /** What a variant changed against the workspace's model. */
  modelDiff(request: ModelDiffRequest): Promise<Result<VariantDiff>>;
  /** Whether onnxruntime can load the model at an absolute path (checked in a task process; nothing runs). */
  modelLoadCheck(request: ModelLoadCheckRequest): Promise<Result<ModelLoadCheck>>;
  /** Show the native Open dialog; the value is the chosen path, or `null` if the user cancelled. */
  openModelDialog(): Promise<Result<string | null>>;
  openPathDialog(request: OpenPathDialogRequest): Promise<Result<string | null>>;
  savePathDialog(request: SavePathDialogRequest): Promise<Result<string | null>>;
  listFolder(path: string): Promise<Result<FsListing>>;
  startJob(spec: JobSpec): Promise<Result<{ jobId: string }>>;
  cancelJob(jobId: string): Promise<Result<{ cancelled: boolean }>>;
  listJobs(): Promise<Result<JobInfo[]>>;
  /** Queues pipelines, each after its data check; see `pipelineStartRequestSchema`. */
  startPipelines(request: PipelineStartRequest): Promise<Result<PipelineStartOutcome>>;
  rerunPipeline(request: PipelineRerunRequest): Promise<Result<PipelineRecord>>;
  getWorkspace(modelPath: string): Promise<Result<Workspace>>;
  listWorkspaces(): Promise<Result<WorkspaceListing[]>>;
  renameVariant(request: RenameVariantRequest): Promise<Result<WorkspaceVariant>>;
  removeVariant(request: RemoveVariantRequest): Promise<Result<{ removed: boolean }>>;
  addBenchRecord(request: AddBenchRecordRequest): Promise<Result<BenchRecord>>;
  setExperiment(request: ExperimentSetRequest): Promise<Result<Workspace>>;
  /**
   * Check data against a model; give it a `checkId` to be able to cancel it and to hear its progress
   * (`onDatasetCheckProgress`).
   */
  checkDataset(request: DatasetCheckRequest): Promise<Result<DatasetCheckReport>>;
  /** Stop the running check whose request carried `checkId`; it answers a CANCELLED error. */
  cancelDatasetCheck(checkId: string): Promise<Result<{ cancelled: boolean }>>;
  /** A cluster sweep's results merged: the same outcome as `tune --collect DIR`. */
  collectSweep(request: SweepCollectRequest): Promise<Result<CollectedSweep>>;
  buildReport(modelPath: string): Promise<Result<{ html: string; json: StudioReport }>>;
  saveReport(request: ReportSaveRequest): Promise<Result<{ htmlPath: string; jsonPath: string }>>;
  listMethods(): Promise<Result<MethodCatalog>>;
  listProviders(): Promise<Result<ProviderStatus[]>>;
  listRecent(): Promise<Result<string[]>>;
  clearRecent(): Promise<Result<Record<string, never>>>;
  appInfo(): Promise<Result<AppInfo>>;
  /**
   * The absolute path of a dropped file (Electron's `webUtils.getPathForFile`, since sandboxed pages no
   * longer see `File.path`). Empty string when the file has no path on disk, e.g. one built in the page.
   */
  getPathForFile(file: DroppedFile): string;
  /** Subscribe to every job's events; filter by `jobId`. */
  onJobEvent(listener: (event: JobEvent) => void): Unsubscribe;
  onMenuCommand(listener: (command: MenuCommand) => void): Unsubscribe;
  onModelOpenRequest(listener: (request: { path: string }) => void): Unsubscribe;
  onWorkspaceChanged(listener: (change: { modelPath: string; key: string }) => void): Unsubscribe;
  onRecentChanged(listener: (recent: string[]) => void): Unsubscribe;
  /** Progress of the data checks sent with a `checkId` (every check's: filter by `checkId`). */
  onDatasetCheckProgress(listener: (progress: DatasetCheckProgress) => void): Unsubscribe;
}
