/**
 * `onnx-studio trial DIR --index I`: one trial of a sweep, as a cluster task runs it. It checks the model and data
 * against their sha256, makes the variant, evaluates it against the original, benchmarks it interleaved with the
 * original on this node (latency objective), and writes DIR/results/I/ atomically: everything goes to a hidden
 * folder first, renamed into place when complete. A finished index is left alone; a half-written one (a task
 * killed mid-way) is removed and run again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EvaluateJobResult, ExportJobResult } from '../../../shared/job-results.js';
import { withinBudget, type TuneTrial } from '../../../shared/tune.js';
import { StudioError } from '../errors.js';
import { StudioBackend } from '../jobs/studio-backend.js';
import { inspectModel, summarizeModel } from '../inspect/inspect-model.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { findRecordedFile, resolveDatasetRef } from '../recipe/dataset-ref.js';
import { sha256Model, sha256Path } from '../recipe/file-hash.js';
import { stopOnAbort } from '../tune/tune-jobs.js';
import { backendTrialRunner, jobSpecInputs } from '../tune/tune-runner.js';
import {
  INPUTS_DIR,
  type MachineInfo,
  readSweep,
  readSweepJson,
  RESULT_FILE,
  resultDir,
  RESULTS_DIR,
  type TrialResult,
  trialFile,
  trialSpecSchema,
  VARIANT_FILE,
  writeJsonAtomic,
} from './sweep-format.js';

export interface TrialRequest {
  dir: string;
  index: number;
  /** Intra-op threads for the benchmark (0: the sweep's setting). */
  threads?: number;
  version: string;
  signal?: AbortSignal;
  say?: (text: string) => void;
}

export type TrialRun = { skipped: true; result: TrialResult } | { skipped: false; result: TrialResult };

export function machineInfo(ep: string): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    ep,
    host: os.hostname(),
  };
}

/**
 * A hash function for findRecordedFile that refuses a file whose sha256 is not the one `tune --emit` recorded,
 * with a sweep's advice: trials measured on different files cannot be compared, so there is no flag to use
 * a changed file anyway (the recipes' --allow-changed-data has no place here).
 */
function unchangedSince(
  recorded: readonly { name: string; sha256: string }[],
  role: string,
  hash: (file: string) => Promise<string>,
): (file: string) => Promise<string> {
  return async (file) => {
    const actual = await hash(file);
    const want = recorded.find((f) => f.name === path.basename(file));
    if (want && want.sha256 !== actual)
      throw new StudioError(
        'BAD_REQUEST',
        `The ${role} ${file} is not the file this sweep was emitted with (sha256 ${actual.slice(0, 12)}… instead of ` +
          `${want.sha256.slice(0, 12)}…), and every trial of a sweep must measure the same files. Put the original ` +
          'file back, or emit the sweep again (tune --emit ... --force, which drops its results).',
      );
    return actual;
  };
}

export async function runTrial(request: TrialRequest): Promise<TrialRun> {
  const { dir, index } = request;
  const say = request.say ?? (() => {});
  const sweep = readSweep(dir);
  if (!Number.isInteger(index) || index < 0 || index >= sweep.trials)
    throw new StudioError(
      'BAD_REQUEST',
      `--index must be 0 to ${sweep.trials - 1} for this sweep, got ${index}.`,
    );
  const spec = readSweepJson(trialFile(dir, index), trialSpecSchema, 'trial file');
  const finalDir = resultDir(dir, index);
  const finished = path.join(finalDir, RESULT_FILE);
  if (fs.existsSync(finished))
    return { skipped: true, result: JSON.parse(fs.readFileSync(finished, 'utf8')) as TrialResult };
  // Leftovers of a task killed before its rename: start again cleanly.
  const results = path.join(dir, RESULTS_DIR);
  for (const entry of fs.existsSync(results) ? fs.readdirSync(results) : [])
    if (entry.startsWith(`.${index}.`))
      fs.rmSync(path.join(results, entry), { recursive: true, force: true });
  fs.rmSync(finalDir, { recursive: true, force: true });

  const inputs = path.join(dir, INPUTS_DIR);
  // Models parsed to hash them, kept for the summary below (a multi-GB model is read once).
  const parsed = new Map<string, LoadedModel>();
  const model = await findRecordedFile(sweep.model, {
    dirs: [inputs],
    role: 'model',
    // A model that no longer parses was changed too: its plain hash says so better than a parse error.
    hash: unchangedSince([sweep.model], 'model', async (file) => {
      const loaded = await loadModel(file).catch(() => undefined);
      if (loaded) parsed.set(file, loaded);
      return loaded ? sha256Model(file, loaded.proto) : sha256Path(file);
    }),
  });
  const evaluation = await resolveDatasetRef(sweep.evaluation, {
    dirs: [inputs],
    role: 'evaluation data',
    hash: unchangedSince(sweep.evaluation.files, 'evaluation data', (file) => sha256Path(file)),
  });
  const calibration = await resolveDatasetRef(sweep.calibration, {
    dirs: [inputs],
    role: 'calibration data',
    hash: unchangedSince(sweep.calibration.files, 'calibration data', (file) => sha256Path(file)),
  });
  const summary = await (async () => {
    // In its own scope, so the parsed model can be collected before the trial's long work.
    const loaded = parsed.get(model.path);
    parsed.clear();
    return loaded ? summarizeModel(loaded) : inspectModel(model.path);
  })();
  const originalBytes = summary.fileBytes + summary.externalDataBytes;
  const options = { ...sweep.options, ...(request.threads ? { threads: request.threads } : {}) };
  // The sizes `tune --emit` was given on its command line: messages name its flags, as tune's own trials do.
  const shapes = {
    origin: 'flags' as const,
    ...(sweep.inputs?.shapes ? { shapes: sweep.inputs.shapes } : {}),
    ...(sweep.inputs?.dims ? { dims: sweep.inputs.dims } : {}),
    ...(sweep.inputs?.values ? { values: sweep.inputs.values } : {}),
  };

  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-trial-'));
  const staging = path.join(results, `.${index}.${process.pid}`);
  const backend = new StudioBackend({
    dataDir: workspace,
    host: 'serve',
    version: request.version,
    capabilities: { nativeDialogs: false, fileBrowser: false, upload: false },
  });
  const onAbort = () => void backend.jobs.cancelAll();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  // A Ctrl+C before the listener (while the sweep was read) must still stop the trial.
  if (request.signal?.aborted) onAbort();
  const started = performance.now();
  const trial: TuneTrial = { index, name: spec.name, recipe: spec.recipe, status: 'done', seconds: 0 };
  let originalAccuracy: number | undefined;
  try {
    const jobs = stopOnAbort(backend.runner, request.signal);
    const runner = backendTrialRunner({
      jobs,
      modelPath: model.path,
      options,
      calibration,
      evaluation,
      inputs: shapes,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    fs.mkdirSync(staging, { recursive: true });
    try {
      if (sweep.labelled) {
        say('evaluate the original');
        const base = await jobs.run<EvaluateJobResult>(
          {
            kind: 'evaluate',
            modelPath: model.path,
            data: evaluation,
            ...jobSpecInputs(shapes),
            ...(options.evalSamples !== undefined ? { limit: options.evalSamples } : {}),
          },
          'Evaluating the original',
        );
        originalAccuracy = base.report.accuracy;
      }
      say(`make ${spec.name}`);
      const made = await runner.make(spec.recipe, spec.name);
      trial.bytes = made.bytes;
      trial.sizeRatio = made.bytes / originalBytes;
      say('evaluate it against the original');
      const quality = await runner.evaluate(made.variantId);
      trial.cosine = quality.cosine;
      if (quality.agreement !== undefined) trial.agreement = quality.agreement;
      if (quality.accuracy !== undefined) {
        trial.accuracy = quality.accuracy;
        if (originalAccuracy !== undefined) trial.dropPoints = (originalAccuracy - quality.accuracy) * 100;
      }
      trial.meetsBudget = withinBudget(trial, sweep.budget);
      if (options.objective === 'latency') {
        say('benchmark it interleaved with the original');
        Object.assign(trial, await runner.bench(made.variantId));
      }
      const exported = await jobs.run<ExportJobResult>(
        {
          kind: 'export',
          modelPath: model.path,
          target: made.variantId,
          outputPath: path.join(staging, VARIANT_FILE),
          overwrite: true,
        },
        'Writing the variant',
      );
      if (!exported.written) throw new StudioError('INTERNAL', 'The variant was not written.');
    } catch (error) {
      if (error instanceof StudioError && error.code === 'CANCELLED') throw error;
      trial.status = 'failed';
      trial.error = error instanceof Error ? error.message : String(error);
    }
    trial.seconds = (performance.now() - started) / 1000;
    const result: TrialResult = {
      trial,
      machine: machineInfo(options.ep),
      ...(originalAccuracy !== undefined ? { originalAccuracy } : {}),
      version: request.version,
      finishedAt: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(staging, RESULT_FILE), result);
    fs.renameSync(staging, finalDir);
    return { skipped: false, result };
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    await backend.dispose();
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
