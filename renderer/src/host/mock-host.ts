/**
 * A `StudioHost` with an in-memory backend, for component tests, the browser tests of the built renderer and
 * UI work in plain `vite dev` (open the page with `?host=mock`). It answers every contract method the way
 * the real backend does (results, workspace changes, job events with progress, streamed latency samples,
 * cancellation, export confirmations), with made-up but plausible numbers, so every view can be driven
 * without an engine.
 *
 * Behaviour is chosen by name so tests need no setup: a model whose file name contains `broken` fails to
 * parse, `missing` fails with an IO error; a quantize method named `fail` fails; evaluation data whose path
 * contains `corrupt` passes the data check, then the evaluation fails; data whose path contains `slow` takes a
 * minute to check (unless cancelled), reading 20,000 samples, for the check's progress and Cancel (`slow-pipeline`:
 * only the check `pipeline.start` runs is slow, the page's own check is quick). `?scenario=serve` makes it
 * behave like `onnx-studio serve` (no native dialogs: the in-page file browser is used); `?scenario=charts`
 * opens the sample with variants and figures already measured (mock-charts-scenario.ts).
 */
import { compareToBaseline } from '../../../shared/bench-comparisons.js';
import type { BenchProfile, ProviderStatus } from '../../../shared/bench.js';
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';
import type {
  AppInfo,
  DatasetCheckProgress,
  DatasetCheckReport,
  DatasetCheckRequest,
  FsEntry,
  FsListing,
  JobEvent,
  JobInfo,
  JobSpec,
  MenuCommand,
  SampleModelInfo,
} from '../../../shared/ipc-contract.js';
import { applyExperimentChange, defaultDatasetName, experimentDatasetFor, sampleExperiment } from '../../../shared/experiment.js';
import { inputSpecProblem } from '../../../shared/input-spec.js';
import type { MethodCatalog } from '../../../shared/method-catalog-types.js';
import { formatCliCommand, recipeCommand } from '../../../shared/cli-command.js';
import { buildMethodCatalog } from '../../../shared/options/method-catalog.js';
import { PipelineRunner, type PipelineJobOutcome } from '../../../shared/pipeline-runner.js';
import { MAX_CHECKED_SAMPLES } from '../../../shared/dataset-check-limits.js';
import { checkExport } from '../../../shared/export-checks.js';
import { jobTitle, workspaceTargetName } from '../../../shared/job-titles.js';
import { defaultVariantName, uniqueVariantName, variantSteps } from '../../../shared/variant-naming.js';
import type { ExportJobResult } from '../../../shared/job-results.js';
import { activeJobReading, variantInUseMessage } from '../../../shared/job-targets.js';
import { latencyStatsOf, summarize } from '../../../shared/latency-stats.js';
import { seedChartsScenario } from './mock-charts-scenario.js';
import { mockModelGraph, mockVariantDiff } from './mock-graph.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { StudioReport } from '../../../shared/report.js';
import type {
  BenchRecord,
  BenchTargetResult,
  DatasetIdentity,
  FedInput,
  VariantRecipe,
  Workspace,
  WorkspaceVariant,
} from '../../../shared/workspace.js';
import { PRODUCT_SAMPLE, sampleInFolder } from '../../../shared/sample.js';
import type { StudioHost } from './studio-host.js';

/** The path the mock Open dialog "chooses". */
export const MOCK_DIALOG_PATH = '/models/mobilenet-v2.onnx';
/** The mock's bundled sample. */
const MOCK_SAMPLE_DIR = '/opt/onnx-studio/samples/digits-resnet';
export const MOCK_SAMPLE_PATH = `${MOCK_SAMPLE_DIR}/${PRODUCT_SAMPLE.model}`;

/** A made-up sha256 (64 hex digits) that is the same for the same value: FNV-1a of its JSON, repeated. */
function mockSha256(value: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(value)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(8);
}

/** A made-up but stable identity: the name the backend would give, a hash-like id from the spec. */
function mockIdentity(ws: Workspace, data: { spec: unknown }, samples: number): DatasetIdentity {
  const named = experimentDatasetFor(ws, data as Parameters<typeof experimentDatasetFor>[1]);
  return { name: named?.name ?? defaultDatasetName(data.spec), samples, sha256: mockSha256(data.spec) };
}

/** How long the mock takes to check data whose path says `slow` (unless cancelled). */
const SLOW_CHECK_MS = 60_000;

/** The product's sample (shared/sample.ts), at a made-up install folder. */
const MOCK_SAMPLE_INFO: SampleModelInfo = sampleInFolder(MOCK_SAMPLE_DIR, PRODUCT_SAMPLE, (dir, file) => `${dir}/${file}`);

/** A small but realistic summary (MobileNetV2-like) so every part of the summary view has data. */
export const SAMPLE_SUMMARY: ModelSummary = {
  path: MOCK_DIALOG_PATH,
  fileBytes: 13_964_571,
  externalDataBytes: 0,
  irVersion: 8,
  producer: { name: 'pytorch', version: '2.4.0' },
  opsets: { '': 17 },
  inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 1000] }],
  nodes: 105,
  opCounts: { Conv: 52, Clip: 35, Add: 10, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Shape: 3, Gather: 2 },
  parameters: 3_487_816,
  parameterBytes: { float32: 13_951_264 },
  largestTensors: [
    { name: 'classifier.1.weight', dtype: 'float32', shape: [1000, 1280], bytes: 5_120_000 },
    { name: 'features.18.0.weight', dtype: 'float32', shape: [1280, 320, 1, 1], bytes: 1_638_400 },
  ],
};

/** The bundled sample's summary, as `onnx-studio inspect` gives it for electron/sample/digits-resnet. */
const DIGITS_SUMMARY: ModelSummary = {
  path: MOCK_SAMPLE_PATH,
  fileBytes: 2_764_110,
  externalDataBytes: 0,
  irVersion: 7,
  producer: { name: 'pytorch', version: '1.13.0' },
  opsets: { '': 13 },
  inputs: [{ name: 'image', dtype: 'float32', shape: ['batch', 1, 32, 32] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }],
  nodes: 22,
  opCounts: { Conv: 9, Relu: 7, Add: 3, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 },
  parameters: 689_962,
  parameterBytes: { float32: 2_759_848 },
  largestTensors: [
    { name: 'onnx::Conv_110', dtype: 'float32', shape: [192, 192, 3, 3], bytes: 1_327_104 },
    { name: 'onnx::Conv_107', dtype: 'float32', shape: [192, 96, 3, 3], bytes: 663_552 },
  ],
};

export interface MockHostOptions {
  /** Delay before each inspect answers, in ms, so loading states are visible. Default 150. */
  latencyMs?: number;
  /** What the Open dialog returns; `null` acts like the user cancelled. */
  dialogPath?: string | null;
  /** `serve`: behave like `onnx-studio serve` (no native dialogs, a file browser). */
  scenario?: string | undefined;
  /** Milliseconds per benchmark run in the simulation (default 4): 200 runs take about a second. */
  msPerRun?: number;
}

/**
 * The real catalog (derived from the same option declarations as the engine's), plus one mock-only method
 * that always fails, for the error paths of the UI.
 */
export const MOCK_CATALOG: MethodCatalog = (() => {
  const catalog = buildMethodCatalog();
  catalog.quantize.methods.push({
    kind: 'quantize',
    name: 'fail',
    summary: 'a method that always fails (mock only)',
    needsCalibration: false,
    quantizedOutput: false,
    optionsSchema: {},
    fields: [],
  });
  return catalog;
})();

const FOLDERS: Record<string, FsEntry[]> = {
  '/': [
    { name: 'models', path: '/models', kind: 'folder' },
    { name: 'data', path: '/data', kind: 'folder' },
  ],
  '/models': [
    { name: 'broken.onnx', path: '/models/broken.onnx', kind: 'file', bytes: 1024 },
    { name: 'mobilenet-v2.onnx', path: '/models/mobilenet-v2.onnx', kind: 'file', bytes: 13_964_571 },
    { name: 'notes.txt', path: '/models/notes.txt', kind: 'file', bytes: 12 },
  ],
  '/data': [
    { name: 'calib.npy', path: '/data/calib.npy', kind: 'file', bytes: 602_240 },
    { name: 'images', path: '/data/images', kind: 'folder' },
  ],
  '/data/images': [],
  // A home folder as a new user of `serve` running as root sees it: nothing but dot folders and dot files.
  '/root': [
    { name: '.cache', path: '/root/.cache', kind: 'folder', hidden: true },
    { name: '.config', path: '/root/.config', kind: 'folder', hidden: true },
    { name: '.npm', path: '/root/.npm', kind: 'folder', hidden: true },
    { name: '.bashrc', path: '/root/.bashrc', kind: 'file', bytes: 3106, hidden: true },
  ],
  '/root/.cache': [],
  '/root/.config': [],
  '/root/.npm': [],
};

function parentPath(path: string): string | null {
  if (path === '/') return null;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deterministic pseudo-random numbers, so screenshots and assertions are stable. */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type EventBody = DistributiveOmit<JobEvent, 'jobId' | 'seq' | 'timeMs'>;

interface MockJob {
  info: JobInfo;
  timer?: ReturnType<typeof setTimeout>;
  cancel: () => void;
}


/**
 * The file a variant's mock CLI command writes, named by the engine's rule (variantSteps): beside the model, e.g.
 * `/models/net-int8-dynamic-fp16.onnx`. (The mock's command makes the variant from the model in one line.)
 */
function mockCliOutput(ws: Workspace, parent: string, recipe: VariantRecipe): string {
  const made = variantSteps(ws, parent, recipe).at(-1)?.fileName ?? '';
  return `${ws.model.path.slice(0, ws.model.path.lastIndexOf('/') + 1)}${made}`;
}

export function createMockHost(options: MockHostOptions = {}): StudioHost {
  const latencyMs = options.latencyMs ?? 150;
  const dialogPath = options.dialogPath === undefined ? MOCK_DIALOG_PATH : options.dialogPath;
  const serve = options.scenario === 'serve';
  const msPerRun = options.msPerRun ?? 4;
  const listeners = {
    job: new Set<(e: JobEvent) => void>(),
    menu: new Set<(c: MenuCommand) => void>(),
    open: new Set<(r: { path: string }) => void>(),
    workspace: new Set<(c: { modelPath: string; key: string }) => void>(),
    recent: new Set<(r: string[]) => void>(),
    checkProgress: new Set<(p: DatasetCheckProgress) => void>(),
  };
  const workspaces = new Map<string, Workspace>();
  const jobs = new Map<string, MockJob>();
  /** Running data checks by their `checkId`: each one's Cancel. */
  const checks = new Map<string, () => void>();
  const files = new Set<string>(['/models/mobilenet-v2.onnx', MOCK_SAMPLE_PATH, '/models/existing.onnx']);
  let recent: string[] = [];
  let counter = 0;

  const sub = <T>(set: Set<T>, l: T) => {
    set.add(l);
    return () => {
      set.delete(l);
    };
  };
  const ok = <T>(value: T): Result<T> => ({ ok: true, value });
  const fail = (error: StudioErrorInfo): { ok: false; error: StudioErrorInfo } => ({ ok: false, error });

  const summaryFor = (path: string): Result<ModelSummary> => {
    const name = path.split(/[\\/]/).pop() ?? path;
    if (name.includes('broken')) {
      return fail({
        code: 'MODEL_PARSE',
        message: `${name} is not a valid ONNX file: the protobuf data ends early. Re-export or re-download the model.`,
        detail: 'mock: truncated protobuf at byte 1024',
      });
    }
    if (name.includes('missing'))
      return fail({ code: 'IO', message: `${path} does not exist. Check the path and try again.` });
    if (path === MOCK_SAMPLE_PATH) return ok(DIGITS_SUMMARY);
    return ok({ ...SAMPLE_SUMMARY, path });
  };

  const workspaceFor = (modelPath: string): Workspace => {
    let ws = workspaces.get(modelPath);
    if (!ws) {
      const summary = summaryFor(modelPath);
      const now = new Date(0).toISOString();
      ws = {
        version: 1,
        key: `ws-${workspaces.size + 1}`,
        model: {
          path: modelPath,
          fileBytes: summary.ok ? summary.value.fileBytes : 0,
          mtimeMs: 0,
          ...(summary.ok ? { summary: summary.value } : {}),
        },
        createdAt: now,
        updatedAt: now,
        variants: [],
        benchmarks: [],
        evaluations: [],
        // The sample brings its own experiment; the dialog's model remembers the input spec of an earlier
        // session (a model whose name says `dynamic` has none, so the page asks for it); others start empty.
        ...(modelPath === MOCK_SAMPLE_PATH ? { experiment: sampleExperiment(MOCK_SAMPLE_INFO, now) } : {}),
        ...(modelPath === MOCK_DIALOG_PATH
          ? { experiment: { inputs: { shapes: { input: [1, 3, 224, 224] } }, inputsConfirmedAt: now } }
          : {}),
      };
      workspaces.set(modelPath, ws);
      // `?scenario=charts`: the sample comes with variants and figures to look at (mock-charts-scenario.ts).
      if (options.scenario === 'charts' && modelPath === MOCK_SAMPLE_PATH)
        seedChartsScenario(ws, fedInputs(ws), mockIdentity(ws, MOCK_SAMPLE_INFO.data, 360));
    }
    return ws;
  };

  /** What the engine would feed: the experiment's shapes, else the model's with open dims at 1. */
  const fedInputs = (ws: Workspace): FedInput[] =>
    (ws.model.summary?.inputs ?? []).map((i) => ({
      name: i.name,
      dtype: i.dtype,
      shape: ws.experiment?.inputs?.shapes[i.name] ?? i.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1)),
    }));

  const changed = (ws: Workspace) => {
    ws.updatedAt = new Date().toISOString();
    for (const l of listeners.workspace) l({ modelPath: ws.model.path, key: ws.key });
  };

  /** Run a job: progress events every ~100 ms over `durationMs`, `onTick` per step, then `finish`. */
  const runJob = (
    spec: JobSpec,
    durationMs: number,
    stage: string,
    finish: () => Result<unknown>,
    onTick?: (fraction: number, emit: (e: EventBody) => void) => void,
  ): string => {
    counter += 1;
    const jobId = `mock-job-${counter}`;
    let seq = 0;
    const info: JobInfo = { jobId, spec, state: 'queued', createdAt: Date.now(), lastSeq: -1 };
    // Titled and replayed as the backend does: its title from the workspace's names, its metrics kept while it runs.
    info.title = jobTitle(spec, (t) => workspaceTargetName(workspaceFor(spec.modelPath), t));
    const emit = (body: EventBody) => {
      const event = { ...body, jobId, seq: seq++, timeMs: Date.now() } as JobEvent;
      info.lastSeq = event.seq;
      if (event.type === 'metric') {
        const kept = (info.metrics ??= []).find((m) => m.name === event.name);
        if (kept) kept.values.push(...event.values);
        else info.metrics.push({ name: event.name, unit: event.unit, values: [...event.values] });
      }
      if (event.type === 'result' || event.type === 'failed' || event.type === 'cancelled') delete info.metrics;
      if (event.type === 'progress')
        info.progress = {
          fraction: event.fraction,
          stage: event.stage,
          ...(event.etaMs !== undefined ? { etaMs: event.etaMs } : {}),
        };
      for (const l of listeners.job) l(event);
      const settle = jobEnds.get(jobId);
      if (settle && (event.type === 'result' || event.type === 'failed' || event.type === 'cancelled')) {
        jobEnds.delete(jobId);
        settle(
          event.type === 'result'
            ? { status: 'done', result: event.result }
            : event.type === 'failed'
              ? { status: 'failed', error: event.error }
              : { status: 'cancelled' },
        );
      }
    };
    const started = Date.now();
    let cancelled = false;
    const job: MockJob = {
      info,
      cancel: () => {
        cancelled = true;
      },
    };
    jobs.set(jobId, job);
    const step = () => {
      if (cancelled) {
        info.state = 'cancelled';
        info.endedAt = Date.now();
        emit({ type: 'cancelled' });
        return;
      }
      const fraction = Math.min(1, (Date.now() - started) / durationMs);
      if (fraction < 1) {
        info.state = 'running';
        info.startedAt ??= Date.now();
        onTick?.(fraction, emit);
        const elapsed = Date.now() - started;
        emit({
          type: 'progress',
          fraction,
          stage,
          ...(fraction > 0.05 ? { etaMs: (elapsed * (1 - fraction)) / fraction } : {}),
        });
        job.timer = setTimeout(step, 100);
        return;
      }
      onTick?.(1, emit);
      const result = finish();
      info.endedAt = Date.now();
      if (result.ok) {
        info.state = 'succeeded';
        emit({ type: 'result', result: result.value });
      } else {
        info.state = 'failed';
        emit({ type: 'failed', error: result.error });
      }
    };
    // Start after the caller has the id, like the real job manager (events may still race the answer).
    setTimeout(() => {
      emit({ type: 'progress', fraction: 0, stage: 'queued' });
      job.timer = setTimeout(step, 50);
    }, 0);
    return jobId;
  };


  const startJob = (spec: JobSpec): Result<{ jobId: string }> => {
    const ws = workspaceFor(spec.modelPath);
    switch (spec.kind) {
      case 'inspect':
        return ok({ jobId: runJob(spec, 200, 'reading', () => summaryFor(spec.modelPath)) });
      case 'quantize':
      case 'prune': {
        const method = spec.method;
        const jobId = runJob(spec, 900, spec.kind === 'quantize' ? 'quantizing' : 'pruning', () => {
          if (method === 'fail') {
            return fail({
              code: 'BAD_REQUEST',
              message: 'The mock method "fail" failed on purpose: choose another method.',
            });
          }
          const parent = spec.source ?? 'original';
          const from = ws.variants.find((v) => v.id === parent);
          if (parent !== 'original' && !from) {
            return fail({
              code: 'BAD_REQUEST',
              message: `There is no variant '${parent}' in the workspace. Reload the workspace.`,
            });
          }
          const inputBytes = from?.fileBytes ?? ws.model.fileBytes;
          const factor = spec.kind === 'prune' ? 1 : method === 'fp16' ? 0.5 : 0.27;
          const id = `v-${((counter * 2654435761) >>> 0).toString(16).slice(0, 8)}`;
          const name = uniqueVariantName(ws, spec.name ?? defaultVariantName(spec, from?.name));
          const path = `/data/workspaces/${ws.key}/${id}.onnx`;
          const outputBytes = Math.round(inputBytes * factor);
          const report = {
            output: path,
            method,
            inputBytes,
            outputBytes,
            quantizedNodes: 53,
            skippedNodes: [],
            seconds: 0.9,
            notes: [],
          };
          const recipe: VariantRecipe =
            spec.kind === 'quantize'
              ? { operation: 'quantize', method, common: spec.common ?? {}, options: spec.options ?? {} }
              : { operation: 'prune', method, common: spec.common, options: spec.options ?? {} };
          const variant: WorkspaceVariant = {
            id,
            name,
            path,
            fileBytes: outputBytes,
            // The mock's quantizers are deterministic, as the engine's are: one recipe on one parent, one file.
            sha256: mockSha256({ parent, recipe }),
            createdAt: new Date().toISOString(),
            parent,
            recipe,
            report:
              spec.kind === 'quantize'
                ? report
                : {
                    ...report,
                    targetSparsity: 0.5,
                    achievedSparsity: 0.5,
                    prunedNodes: 53,
                    removedChannels: 0,
                    layers: [],
                    skipped: [],
                    parameters: { before: 1, after: 1 },
                  },
            cliCommand: formatCliCommand(recipeCommand(recipe, spec.modelPath, mockCliOutput(ws, parent, recipe), MOCK_CATALOG)),
          };
          ws.variants.push(variant);
          files.add(path);
          changed(ws);
          return ok({ report, variant });
        });
        return ok({ jobId });
      }
      case 'bench': {
        const targets = spec.targets ?? ['original'];
        const iterations = spec.iterations ?? 100;
        const random = lcg(targets.length * 7919 + iterations);
        const base = spec.modelPath === MOCK_SAMPLE_PATH ? 1.1 : 6;
        const factorOf = (t: string) =>
          t === 'original' ? 1 : 0.55 + 0.1 * (ws.variants.findIndex((v) => v.id === t) % 3);
        const samples: number[][] = targets.map(() => []);
        let streamed = 0;
        const draw = (t: string) =>
          base * factorOf(t) * Math.exp(0.08 * gaussian(random)) * (random() < 0.02 ? 2.5 : 1);
        const jobId = runJob(
          spec,
          Math.max(300, iterations * targets.length * msPerRun),
          'measuring',
          () => {
            const results: BenchTargetResult[] = targets.map((target, i) => {
              const s = samples[i] as number[];
              const variant = ws.variants.find((v) => v.id === target);
              const st = latencyStatsOf(summarize(s.length > 0 ? s : [base]));
              return {
                target,
                modelBytes: variant?.fileBytes ?? ws.model.fileBytes,
                throughput: 1000 / st.meanMs,
                ...st,
                initMs: 40,
                firstRunMs: base * 3,
                samples: s.slice(0, 2000),
                ...(spec.profile ? { profile: mockProfile(st.meanMs, variant !== undefined) } : {}),
              };
            });
            const record: BenchRecord = {
              id: `b-${counter}`,
              createdAt: new Date().toISOString(),
              engine: 'onnxruntime-node',
              provider: spec.ep ?? 'cpu',
              label: `onnxruntime-node ${spec.ep ?? 'cpu'}`,
              results,
              inputs: fedInputs(ws),
              notes: [],
            };
            ws.benchmarks.push(record);
            changed(ws);
            const reportResults = results.map((r) => ({
              ...r,
              model: r.target,
              ep: spec.ep ?? 'cpu',
              threads: 0,
              interOpThreads: 0,
              warmup: 10,
              peakRssBytes: 1,
              inputs: [],
            }));
            const report = {
              results: reportResults,
              // Judged as the engine judges them (one rule, shared/bench-comparisons.ts).
              comparisons: compareToBaseline(reportResults, samples),
              settings: {},
              notes: [],
              seconds: 1,
            };
            return ok({ report, recordId: record.id });
          },
          (fraction, emit) => {
            const due = Math.floor(fraction * iterations);
            if (due <= streamed) return;
            targets.forEach((t, i) => {
              const batch = Array.from({ length: due - streamed }, () => Math.round(draw(t) * 1e4) / 1e4);
              (samples[i] as number[]).push(...batch);
              emit({ type: 'metric', name: `latency/${i}`, unit: 'ms', values: batch });
            });
            streamed = due;
          },
        );
        return ok({ jobId });
      }
      case 'evaluate': {
        const target = spec.target ?? 'original';
        const jobId = runJob(spec, 600, 'evaluating', () => {
          // Data that passes the check but breaks mid-run: the evaluation job fails (for the UI's error paths).
          const dataPath = (spec.data.spec as { path?: string }).path;
          if (dataPath?.includes('corrupt')) {
            return fail({
              code: 'BAD_INPUT',
              message: `Sample 212 of ${dataPath.split('/').pop()} holds NaN values, so the model's outputs cannot be scored. Clean the data or leave those samples out.`,
            });
          }
          const isOriginal = target === 'original';
          const index = ws.variants.findIndex((v) => v.id === target);
          const labelled = spec.data.spec.kind !== 'synthetic';
          const report = {
            model: target,
            inputs: fedInputs(ws),
            data: JSON.stringify(spec.data.spec),
            samples: 360,
            task: labelled ? ('classification' as const) : ('none' as const),
            taskReason: 'mock',
            output: 'logits',
            seconds: 0.6,
            samplesPerSecond: 600,
            timing: { dataMs: 1, inferenceMs: 1, referenceMs: 1 },
            notes: [],
            ...(labelled
              ? { accuracy: isOriginal ? 358 / 360 : (358 - 2 * (index + 1)) / 360, correct: isOriginal ? 358 : 358 - 2 * (index + 1) }
              : {}),
            ...(!isOriginal && spec.reference
              ? {
                  fidelity: {
                    output: 'logits',
                    cosine: 0.9993 - 0.0004 * index,
                    worstSampleCosine: 0.99,
                    sqnrDb: 31.5,
                    maxAbsErr: 0.2,
                    meanAbsErr: 0.02,
                    top1Agreement: 0.9917 - 0.003 * index,
                    exact: false,
                  },
                }
              : {}),
          };
          ws.evaluations.push({
            id: `e-${counter}`,
            createdAt: new Date().toISOString(),
            target,
            ...(spec.reference ? { reference: spec.reference } : {}),
            dataset: mockIdentity(ws, spec.data, report.samples),
            report,
          });
          changed(ws);
          return ok({ report, recordId: `e-${counter}` });
        });
        return ok({ jobId });
      }
      case 'export': {
        const jobId = runJob(spec, 200, 'writing', (): Result<ExportJobResult> => {
          const variant = ws.variants.find((v) => v.id === spec.target);
          if (!variant)
            return fail({ code: 'BAD_REQUEST', message: `No variant ${spec.target} in this workspace.` });
          const check = checkExport({
            destination: spec.outputPath,
            variantPath: variant.path,
            modelPath: spec.modelPath,
            exists: files.has(spec.outputPath),
            ...(spec.overwrite !== undefined ? { overwrite: spec.overwrite } : {}),
            ...(spec.replaceOriginal !== undefined ? { replaceOriginal: spec.replaceOriginal } : {}),
          });
          if (check.kind === 'refuse') return fail({ code: 'BAD_REQUEST', message: check.message });
          if (check.kind === 'ask') return ok({ written: false, reason: check.reason, path: spec.outputPath });
          files.add(spec.outputPath);
          return ok({
            written: true,
            path: spec.outputPath,
            bytes: variant.fileBytes,
            cliCommand: variant.cliCommand,
          });
        });
        return ok({ jobId });
      }
      case 'tune':
        // The search makes, evaluates and benchmarks real variants: it needs the engine (the app or `serve`).
        return fail({
          code: 'BAD_REQUEST',
          message: 'Auto-optimize needs the engine: run the desktop app or `onnx-studio serve`, not the mock page.',
        });
    }
  };

  // The product's pipeline runner, over the simulated jobs and the in-memory workspaces.
  const jobEnds = new Map<string, (outcome: PipelineJobOutcome) => void>();
  let pipelineCounter = 0;
  const pipelines = new PipelineRunner({
    startJob: (spec) => {
      const started = startJob(spec);
      if (!started.ok) throw started.error;
      const { jobId } = started.value;
      return { jobId, done: new Promise<PipelineJobOutcome>((resolve) => jobEnds.set(jobId, resolve)) };
    },
    update: async (modelPath, mutate) => {
      const ws = workspaceFor(modelPath);
      mutate(ws);
      changed(ws);
    },
    newId: () => `p-${++pipelineCounter}`,
    now: () => new Date().toISOString(),
    // As the backend: the starts in flight are read with the workspace, so the pages read it again.
    startsChanged: (modelPath) => {
      const key = workspaceFor(modelPath).key;
      for (const l of listeners.workspace) l({ modelPath, key });
    },
  });

  /**
   * One simulated data check. It reads 360 samples at once, or (`slow`) 20,000 over a minute, reporting how many
   * it has read about 4 times a second; `stop` ends it early with a CANCELLED error.
   */
  const checkOnce = async (
    r: Omit<DatasetCheckRequest, 'checkId'>,
    slow: boolean,
    stop: { stopped: Promise<void>; cancelled: () => boolean },
    progress?: (done: number, total: number) => void,
  ): Promise<Result<DatasetCheckReport>> => {
    const spec = r.data.spec as { kind: string; path?: string; labels?: string };
    const cancelled = () => fail({ code: 'CANCELLED', message: 'The data check was cancelled.' });
    const total = slow ? MAX_CHECKED_SAMPLES : 360;
    // Like the backend: the check runs a while (a turn of the event loop at least), and its id cancels it.
    await Promise.race([delay(0), stop.stopped]);
    if (stop.cancelled()) return cancelled();
    progress?.(0, total);
    const started = Date.now();
    while (slow && !stop.cancelled() && Date.now() - started < SLOW_CHECK_MS) {
      await Promise.race([delay(250), stop.stopped]);
      if (!stop.cancelled()) progress?.(Math.min(total, Math.floor((total * (Date.now() - started)) / SLOW_CHECK_MS)), total);
    }
    if (stop.cancelled()) return cancelled();
    progress?.(total, total);
    if (spec.labels?.includes('wrong-labels')) {
      return fail({
        code: 'BAD_REQUEST',
        message: `${spec.labels.split('/').pop()} holds class labels from 0 to 99, but the model scores 10 classes (0 to 9). Check that it is the labels file of this dataset and of this model.`,
      });
    }
    if (spec.path?.includes('wrong-shape')) {
      return fail({
        code: 'BAD_INPUT',
        message: `Input 'input': the model expects float32 [batch, 3, 224, 224], but ${spec.path.split('/').pop()} has float32 samples of shape [1, 28, 28]: a sample needs 4 dims (or 3 without the batch axis), the data has 3.`,
      });
    }
    const ws = workspaceFor(r.modelPath);
    const labelled = spec.labels !== undefined;
    return ok({
      identity: mockIdentity(ws, r.data, 360),
      inputs: fedInputs(ws),
      hasLabels: labelled,
      ...(labelled ? { labels: { count: 360, min: 0, max: 9, modelClasses: 10 } } : {}),
      warnings:
        r.role === 'evaluation' && !labelled
          ? ["no labels: accuracy cannot be measured; variants are compared with the original's outputs (fidelity) instead"]
          : [],
    });
  };

  /**
   * Runs `work`'s checks under `checkId` (as the backend's DatasetChecks): one id in flight at a time, cancelled
   * together by `cancelDatasetCheck`, reporting progress under that id. `pipeline`: the check `pipeline.start`
   * runs (slow for `slow-pipeline` data too).
   */
  const runChecks = async <T,>(
    checkId: string | undefined,
    work: (
      check: (
        r: Omit<DatasetCheckRequest, 'checkId'>,
        pipeline: boolean,
        item?: number,
      ) => Promise<Result<DatasetCheckReport>>,
      aborted: () => boolean,
    ) => Promise<Result<T>>,
  ): Promise<Result<T>> => {
    if (checkId !== undefined && checks.has(checkId)) {
      return fail({ code: 'BAD_REQUEST', message: `A data check with the id ${checkId} is already running.` });
    }
    let cancelled = false;
    let resolveStopped = () => {};
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    const cancel = () => {
      cancelled = true;
      resolveStopped();
    };
    if (checkId !== undefined) checks.set(checkId, cancel);
    try {
      return await work((r, pipeline, item) => {
        const path = (r.data.spec as { path?: string }).path ?? '';
        const slow = path.includes('slow') && (pipeline || !path.includes('slow-pipeline'));
        const report =
          checkId === undefined
            ? undefined
            : (done: number, total: number) => {
                const event: DatasetCheckProgress = {
                  checkId,
                  done,
                  total,
                  role: r.role,
                  ...(item !== undefined ? { item } : {}),
                };
                for (const l of listeners.checkProgress) l(event);
              };
        return checkOnce(r, slow, { stopped, cancelled: () => cancelled }, report);
      }, () => cancelled);
    } finally {
      if (checkId !== undefined && checks.get(checkId) === cancel) checks.delete(checkId);
    }
  };

  const host: StudioHost = {
    kind: 'mock',
    inspectModel: async (path) => {
      await delay(latencyMs);
      const summary = summaryFor(path);
      if (summary.ok) {
        recent = [path, ...recent.filter((p) => p !== path)].slice(0, 10);
        for (const l of listeners.recent) l(recent);
      }
      return summary;
    },
    modelGraph: async ({ modelPath, target }) => {
      await delay(latencyMs);
      const ws = workspaceFor(modelPath);
      const variant = ws.variants.find((v) => v.id === target);
      if (target !== 'original' && !variant) return fail({ code: 'BAD_REQUEST', message: `There is no variant '${target}'.` });
      return ok(mockModelGraph(variant ? variant.path : modelPath));
    },
    // A model named like custom_op.onnx is one onnxruntime refuses (a custom operator), as the engine says it.
    modelLoadCheck: async ({ path }) => {
      await delay(latencyMs);
      const name = path.split(/[\\/]/).pop() ?? path;
      if (!name.includes('custom_op')) return ok({ loadable: true });
      return ok({
        loadable: false,
        problem: {
          code: 'MODEL_INVALID',
          message: `onnxruntime cannot load ${path}: Fatal error: com.example:FancyAct(-1) is not a registered function/op. The model uses FancyAct of domain 'com.example', a custom operator onnxruntime does not know: it needs that operator's custom-op library, which ONNX Studio does not load. Export the model without it.`,
        },
      });
    },
    modelDiff: async ({ modelPath, variantId }) => {
      await delay(latencyMs);
      const variant = workspaceFor(modelPath).variants.find((v) => v.id === variantId);
      if (!variant) return fail({ code: 'BAD_REQUEST', message: `There is no variant '${variantId}'.` });
      return ok(mockVariantDiff(mockModelGraph(modelPath), variant));
    },
    openModelDialog: async () =>
      serve
        ? fail({ code: 'BAD_REQUEST', message: 'No native dialogs in a browser: use the file browser.' })
        : ok(dialogPath),
    openPathDialog: async (r) => ok(r.kind === 'folder' ? '/data/images' : '/data/calib.npy'),
    savePathDialog: async (r) => ok(r.defaultPath ?? '/models/exported.onnx'),
    listFolder: async (path): Promise<Result<FsListing>> => {
      const entries = FOLDERS[path];
      if (!entries)
        return fail({
          code: 'IO',
          message: `${path} is not a folder that can be read. Choose another folder.`,
        });
      return ok({ path, parent: parentPath(path), entries });
    },
    startJob: async (spec) => startJob(spec),
    // The backend's order, through the same runner: each pipeline's data is checked (under the request's
    // checkId), then it starts; a cancel stops the rest.
    startPipelines: async ({ pipelines: requests, checkId }) =>
      runChecks(checkId, async (check, aborted) =>
        ok(
          await pipelines.startChecked(
            requests,
            async (r, item) => {
              const report = await check(r, true, item);
              if (!report.ok) throw report.error;
              return report.value;
            },
            aborted,
            checkId,
          ),
        ),
      ),
    rerunPipeline: async (request) => {
      try {
        return ok(await pipelines.rerun(workspaceFor(request.modelPath), request.pipelineId));
      } catch (error) {
        return fail({ code: 'BAD_REQUEST', message: (error as Error).message });
      }
    },
    cancelJob: async (jobId) => {
      const job = jobs.get(jobId);
      if (
        !job ||
        job.info.state === 'succeeded' ||
        job.info.state === 'failed' ||
        job.info.state === 'cancelled'
      ) {
        return ok({ cancelled: false });
      }
      job.cancel();
      return ok({ cancelled: true });
    },
    listJobs: async () => ok([...jobs.values()].map((j) => j.info)),
    getWorkspace: async (modelPath) => {
      const summary = summaryFor(modelPath);
      if (!summary.ok) return summary;
      const ws = structuredClone(workspaceFor(modelPath));
      const starts = pipelines.startsInFlight(ws);
      return ok(starts.length > 0 ? { ...ws, startsInFlight: starts } : ws);
    },
    listWorkspaces: async () =>
      ok(
        [...workspaces.values()].map((w) => ({
          key: w.key,
          modelPath: w.model.path,
          variants: w.variants.length,
          updatedAt: w.updatedAt,
          modelExists: true,
        })),
      ),
    renameVariant: async (r) => {
      const v = workspaceFor(r.modelPath).variants.find((x) => x.id === r.variantId);
      if (!v) return fail({ code: 'BAD_REQUEST', message: 'No such variant.' });
      const name = r.name.trim();
      if (name !== v.name) v.name = uniqueVariantName(workspaceFor(r.modelPath), name);
      changed(workspaceFor(r.modelPath));
      return ok(v);
    },
    removeVariant: async (r) => {
      // Like the engine: not while a job reads it.
      const busy = activeJobReading(
        [...jobs.values()].map((j) => j.info),
        r.modelPath,
        r.variantId,
      );
      if (busy) return fail({ code: 'BAD_REQUEST', message: variantInUseMessage(busy) });
      const ws = workspaceFor(r.modelPath);
      const before = ws.variants.length;
      ws.variants = ws.variants.filter((v) => v.id !== r.variantId);
      // Like the engine: every result that measured it goes with it.
      for (const record of ws.benchmarks)
        record.results = record.results.filter((x) => x.target !== r.variantId);
      ws.benchmarks = ws.benchmarks.filter((record) => record.results.length > 0);
      ws.evaluations = ws.evaluations.filter((e) => e.target !== r.variantId && e.reference !== r.variantId);
      changed(ws);
      return ok({ removed: ws.variants.length < before });
    },
    setExperiment: async (r) => {
      const ws = workspaceFor(r.modelPath);
      const summary = ws.model.summary;
      if (r.inputs && summary) {
        const problem = inputSpecProblem(summary.inputs, r.inputs);
        if (problem) return fail({ code: 'BAD_INPUT', message: `${problem} Correct the input spec and save it again.` });
      }
      ws.experiment = applyExperimentChange(ws.experiment, r, new Date().toISOString());
      changed(ws);
      return ok(structuredClone(ws));
    },
    // Sweep results are files on the engine's machine: the mock page has none to read.
    collectSweep: async () =>
      fail({ code: 'BAD_REQUEST', message: 'Opening sweep results needs the engine: run the desktop app or `onnx-studio serve`.' }),
    checkDataset: async ({ checkId, ...r }) => runChecks(checkId, (check) => check(r, false)),
    cancelDatasetCheck: async (checkId) => {
      const cancel = checks.get(checkId);
      cancel?.();
      return ok({ cancelled: cancel !== undefined });
    },
    addBenchRecord: async (r) => {
      const ws = workspaceFor(r.modelPath);
      const record: BenchRecord = {
        id: `b-web-${++counter}`,
        createdAt: new Date().toISOString(),
        engine: r.engine,
        provider: r.provider,
        label: r.label,
        results: r.results,
        ...(r.inputs ? { inputs: r.inputs } : {}),
        notes: r.notes ?? [],
      };
      ws.benchmarks.push(record);
      changed(ws);
      return ok(record);
    },
    buildReport: async (modelPath) => {
      const ws = workspaceFor(modelPath);
      const json: StudioReport = {
        generatedBy: 'onnx-studio mock',
        generatedAt: new Date().toISOString(),
        model: { path: modelPath },
        rows: [],
        benchmarks: ws.benchmarks,
        workspace: ws,
      };
      return ok({ html: `<!doctype html><title>Report</title><h1>${modelPath}</h1>`, json });
    },
    saveReport: async (r) =>
      ok({ htmlPath: `${r.outputDir}/report.html`, jsonPath: `${r.outputDir}/report.json` }),
    listMethods: async () => ok(MOCK_CATALOG),
    listProviders: async (): Promise<Result<ProviderStatus[]>> =>
      ok([
        { name: 'cpu', listed: true, bundled: true, available: true },
        {
          name: 'webgpu',
          listed: true,
          bundled: true,
          available: false,
          reason: 'No GPU adapter was found.',
          hint: 'Run on a machine with a GPU and current drivers.',
        },
        {
          name: 'cuda',
          listed: false,
          bundled: false,
          available: false,
          reason: 'Not in this onnxruntime-node build.',
          hint: 'Run npm run setup:cuda on Linux x64 with CUDA 12.',
        },
      ]),
    listRecent: async () => ok(recent),
    clearRecent: async () => {
      recent = [];
      for (const l of listeners.recent) l(recent);
      return ok({});
    },
    appInfo: async (): Promise<Result<AppInfo>> =>
      ok({
        version: '0.0.0-mock',
        host: serve ? 'serve' : 'electron',
        platform: 'linux',
        capabilities: { nativeDialogs: !serve, fileBrowser: serve, upload: serve },
        dataDir: '/data',
        homeDir: '/',
        sample: MOCK_SAMPLE_INFO,
      }),
    getPathForFile: (file) => (serve ? null : `/dropped/${file.name}`),
    ...(serve
      ? { uploadFile: async (file: File) => ok({ path: `/uploads/${file.name}`, bytes: file.size }) }
      : {}),
    onJobEvent: (l) => sub(listeners.job, l),
    onMenuCommand: (l) => sub(listeners.menu, l),
    onModelOpenRequest: (l) => sub(listeners.open, l),
    onWorkspaceChanged: (l) => sub(listeners.workspace, l),
    onRecentChanged: (l) => sub(listeners.recent, l),
    onDatasetCheckProgress: (l) => sub(listeners.checkProgress, l),
  };
  return host;
}

/** Standard normal draw (Box-Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function mockProfile(meanMs: number, quantized: boolean): BenchProfile {
  const shares: [string, number][] = quantized
    ? [
        ['ConvInteger', 0.5],
        ['DynamicQuantizeLinear', 0.2],
        ['Clip', 0.12],
        ['Add', 0.1],
        ['Gemm', 0.08],
      ]
    : [
        ['Conv', 0.72],
        ['Clip', 0.12],
        ['Add', 0.1],
        ['Gemm', 0.06],
      ];
  return {
    byOpType: shares.map(([opType, pct]) => ({ opType, ms: meanMs * 0.9 * pct, pct: pct * 100 })),
    topNodes: [],
    runs: 100,
    traceFile: '/tmp/profile.json',
  };
}
