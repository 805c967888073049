/**
 * What a task process does for each task: calls the engine capability with the job's AbortSignal and turns
 * its progress callbacks into one 0..1 fraction for the whole job. Runs inside the task process only.
 */
import path from 'node:path';
import { parseDatasetSpec } from '../../../shared/dataset-spec.js';
import type { EnginePhase } from '../host/engine-protocol.js';
import { openDataset } from '../datasets/open-dataset.js';
import type { SampleSource } from '../datasets/sample-source.js';
import { StudioError } from '../errors.js';
import { evaluateModel } from '../evaluate/evaluate-model.js';
import { requireTestHooks, testCrash } from '../host/test-hooks.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { modelGraph } from '../inspect/model-graph.js';
import { diffModels } from '../diff/diff-models.js';
import { loadModel } from '../onnx/load-model.js';
import { refuseOverwritingInput } from '../onnx/output-guard.js';
import { saveModel } from '../onnx/save-model.js';
import { pruneModel } from '../prune/prune-model.js';
import '../prune/all-methods.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { createSession } from '../runtime/create-session.js';
import { resolveInputSpecs, type ShapeOverrides } from '../runtime/input-specs.js';
import { checkDataset } from '../datasets/check-dataset.js';
import { CHECK_PROGRESS_INTERVAL_MS, CHECK_PROGRESS_METRIC, type ShapeHints, type TaskRequest } from './task-protocol.js';

export interface TaskHooks {
  signal: AbortSignal;
  /** Fraction of the whole task, 0..1 (throttled downstream). */
  progress(fraction: number, stage: string): void;
  /** A measurement (sent as it comes: throttle where it streams). */
  metric(name: string, unit: string, values: number[]): void;
  log(level: 'info' | 'warn', message: string): void;
  /** Where the task is, for crash messages. */
  phase(phase: EnginePhase, model?: string): void;
}

export interface TaskOptions {
  testHooks: boolean;
}

/**
 * Spans of the whole job each reported phase covers, in order. A phase not listed (a method's own) takes the
 * span of `quantizing`/`pruning`, so the bar never runs backwards.
 */
const PHASE_SPANS: Record<string, [number, number]> = {
  calibrating: [0.05, 0.65],
  quantizing: [0.65, 0.95],
  analysing: [0.05, 0.15],
  ranking: [0.15, 0.45],
  scoring: [0.15, 0.45],
  pruning: [0.45, 0.95],
  // fp16: deciding the nodes is `analysing`, converting the weights (most of its time) `converting`.
  converting: [0.15, 0.95],
};

function spanOf(phase: string, calibrated: boolean, fallback: string): [number, number] {
  if (phase === 'quantizing' && !calibrated) return [0.05, 0.95];
  return PHASE_SPANS[phase] ?? PHASE_SPANS[fallback] ?? [0.05, 0.95];
}

/**
 * Counts (done of total) sent at most every `intervalMs`: the first at once, the last (done = total) always,
 * the ones between when the interval has passed. 0 for `total` means not known.
 */
export function throttledCounts(
  send: (values: [done: number, total: number]) => void,
  intervalMs = CHECK_PROGRESS_INTERVAL_MS,
  now: () => number = Date.now,
): (done: number, total: number) => void {
  let lastAt = -Infinity;
  return (done, total) => {
    const at = now();
    if (at - lastAt < intervalMs && done !== total) return;
    lastAt = at;
    send([done, total]);
  };
}

function validSpec(spec: unknown, what: string) {
  const parsed = parseDatasetSpec(spec);
  if (!parsed.ok)
    throw new StudioError('BAD_REQUEST', `The ${what} is not a valid dataset: ${parsed.message}.`);
  return parsed.spec;
}

/**
 * A task's sizes and values, named in messages as their origin says: `onnx-studio tune`'s trials carry `flags`
 * (`--shape`, `--dim`, strict against the data); unmarked, they are the app's input spec (the Model view).
 */
function shapeOverrides(hints: ShapeHints): ShapeOverrides {
  return {
    shapes: hints.shapes ?? {},
    dims: hints.dims ?? {},
    ...(hints.values ? { values: hints.values } : {}),
    origin: hints.origin ?? 'app',
  };
}

export async function runTask(task: TaskRequest, hooks: TaskHooks, options: TaskOptions): Promise<unknown> {
  const { signal } = hooks;
  switch (task.kind) {
    case 'inspect':
      hooks.phase('loading model', task.path);
      hooks.progress(0, 'reading');
      return inspectModel(task.path);

    case 'graph':
      hooks.phase('loading model', task.path);
      return modelGraph(task.path);

    case 'diff':
      hooks.phase('loading model', task.variant);
      return diffModels(task.original, task.variant);

    case 'quantize': {
      hooks.phase('loading model', task.input);
      hooks.progress(0, 'loading');
      let calibration: SampleSource | undefined;
      if (task.calibration) {
        const spec = validSpec(task.calibration.spec, 'calibration data');
        const model = await loadModel(task.input);
        const { inputs, notes } = resolveInputSpecs(model.proto, shapeOverrides(task.calibration));
        for (const note of notes) hooks.log('info', note);
        calibration = await openDataset(spec, inputs, { baseDir: task.calibration.baseDir });
      }
      hooks.phase('running', task.input);
      const report = await quantizeModel({
        input: task.input,
        output: task.output,
        method: task.method,
        common: task.common,
        options: task.options,
        force: task.force,
        signal,
        inputs: shapeOverrides(task.calibration ?? {}),
        onProgress: (p) => {
          const [from, to] = spanOf(p.phase, calibration !== undefined, 'quantizing');
          hooks.progress(from + (to - from) * (p.total > 0 ? p.done / p.total : 0), p.phase);
        },
        ...(calibration ? { calibration } : {}),
      });
      for (const note of report.notes) hooks.log('info', note);
      return report;
    }

    case 'prune': {
      hooks.phase('running', task.input);
      hooks.progress(0, 'loading');
      const report = await pruneModel({
        input: task.input,
        output: task.output,
        method: task.method,
        common: task.common,
        options: task.options,
        force: task.force,
        signal,
        onProgress: (p) => {
          const [from, to] = spanOf(p.phase, false, 'pruning');
          hooks.progress(from + (to - from) * (p.total > 0 ? p.done / p.total : 0), p.phase);
        },
      });
      for (const note of report.notes) hooks.log('info', note);
      return report;
    }

    case 'evaluate': {
      hooks.phase('running', task.model);
      hooks.progress(0, 'loading');
      const report = await evaluateModel({
        model: task.model,
        ...(task.label !== undefined ? { label: task.label } : {}),
        data: validSpec(task.data, 'evaluation data'),
        baseDir: task.baseDir,
        ...(task.reference !== undefined ? { reference: task.reference } : {}),
        ...(task.task !== undefined ? { task: task.task } : {}),
        ...(task.limit !== undefined ? { limit: task.limit } : {}),
        shapes: shapeOverrides(task),
        signal,
        onStage: (stage) => hooks.progress(0, stage),
        onProgress: (done, total) => {
          if (total) hooks.progress(done / total, 'evaluating');
          else hooks.progress(0, `evaluating (${done} samples)`);
        },
      });
      for (const note of report.notes) hooks.log('info', note);
      return report;
    }

    case 'checkDataset': {
      hooks.phase('loading model', task.model);
      hooks.progress(0, 'checking');
      // The counts themselves, for the page's "N of M samples" (a check runs outside the job list).
      const counts = throttledCounts((values) => hooks.metric(CHECK_PROGRESS_METRIC, 'count', values));
      return checkDataset({
        model: task.model,
        spec: validSpec(task.data, `${task.role} data`),
        baseDir: task.baseDir,
        role: task.role,
        shapes: shapeOverrides(task),
        ...(task.name !== undefined ? { name: task.name } : {}),
        signal,
        onProgress: (read, toRead) => {
          // One stage for the whole read, so the emitter throttles it (a new stage is sent at once).
          hooks.progress(toRead ? read / Math.max(read, toRead) : 0, 'checking');
          counts(read, toRead ?? 0);
        },
      });
    }

    case 'loadCheck': {
      hooks.phase('creating session', task.path);
      hooks.progress(0, 'loading');
      const session = await createSession(task.path);
      await session.release();
      return {};
    }

    case 'export': {
      hooks.phase('loading model', task.input);
      hooks.progress(0, 'reading');
      const model = await loadModel(task.input);
      refuseOverwritingInput(model, task.output);
      hooks.phase('running', task.input);
      const saved = await saveModel(model.proto, task.output, {
        sourceDir: model,
        force: task.force,
        signal,
        onProgress: (done, total) => hooks.progress(total > 0 ? 0.1 + (0.9 * done) / total : 0.5, 'writing'),
        ...(model.externalDataBytes > 0 ? { externalData: { thresholdBytes: 1024 } } : {}),
      });
      return {
        path: saved.output,
        bytes: saved.outputBytes + saved.externalDataBytes,
        ...(saved.externalDataPath !== undefined ? { dataFile: saved.externalDataPath } : {}),
      };
    }

    case 'testCrash':
      return testCrash(task.mode, options.testHooks, (phase, model) => hooks.phase(phase, model));

    case 'testSleep': {
      requireTestHooks(options.testHooks, 'testSleep');
      const started = Date.now();
      while (Date.now() - started < task.ms) {
        if (signal.aborted) throw new StudioError('CANCELLED', 'Cancelled.');
        hooks.progress((Date.now() - started) / task.ms, 'sleeping');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return { sleptMs: Date.now() - started, pid: process.pid, cwd: path.basename(process.cwd()) };
    }
  }
}
