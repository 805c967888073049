import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import type { ImageReading } from '../../../shared/image-reading.js';
import { runExplained } from '../runtime/run-failure.js';
import { type LoadingModel, whileLoading } from '../bench/loading-stage.js';
import { throwIfAborted } from '../datasets/dataset-source.js';
import {
  hasPadding,
  paddingCountedNote,
  paddingLeftOutNote,
  paddingMaskInput,
  positionsKept,
} from './padding-mask.js';
import { StudioError } from '../errors.js';
import type { DatasetSource } from '../datasets/dataset-source.js';
import { castTensor, isDatasetDtype, tensorToFloat64 } from '../datasets/element-convert.js';
import { checkInputNames, formatDims } from '../datasets/input-match.js';
import {
  labelsName,
  oneHotClass,
  oneHotNote,
  surveyLabels,
  type LabelSurvey,
} from '../datasets/label-survey.js';
import { classOrderNote } from '../datasets/image-folder-source.js';
import { openDataset } from '../datasets/open-dataset.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { createSession, type SessionSettings } from '../runtime/create-session.js';
import {
  refuseUnknownDims,
  type ResolvedInput,
  resolveInputSpecs,
  type ShapeOverrides,
} from '../runtime/input-specs.js';
import { ClassificationAccumulator, type ClassMetrics } from './classification-metrics.js';
import {
  FidelityAccumulator,
  isDiscreteType,
  NonFiniteSamples,
  type OutputFidelity,
  noTop1Reason,
  top1ClassesOf,
} from './fidelity-metrics.js';
import { RegressionAccumulator } from './regression-metrics.js';
import { NarrowedInputs, readWide } from './narrowed-inputs.js';
import { samplesAskedNote } from './samples-asked.js';
import { cacheOutputNames, noTop1Note, type NoTop1Output } from './no-top1-note.js';
import {
  checkClassFolders,
  chooseScoredOutput,
  classNeed,
  runtimeRole,
  scoredOutputNote,
} from './scored-output.js';
import { INTEGER_TYPES, planTask, type TaskPlan, type TaskRequest } from './task.js';
import type { MeasuredTask } from '../../../shared/eval-tasks.js';
import { indexedTables } from '../inspect/index-bounds.js';
import type { IdsCandidate } from './next-token-plan.js';
import type { NextTokenMetrics } from './next-token.js';
import { NextTokenGrader } from './next-token-grader.js';

export interface EvaluateOptions {
  /** The model to evaluate. */
  model: string;
  /**
   * What messages call the model (default: its file name). The app names a variant by its name ("fp16"), not
   * by its file in the workspace (`v-91132971c3-fp16.onnx`).
   */
  label?: string;
  /** Where the samples come from. */
  data: DatasetSpec;
  /** Folder that relative paths in `data` are resolved against (default: the working directory). */
  baseDir?: string;
  /** A reference model (usually the float32 original) to compare every output with. */
  reference?: string;
  /** `auto` (default) decides from the labels and the output's shape. */
  task?: TaskRequest;
  /** The input holding a language model's token ids (`--ids-input`), where several fit (next-token-plan.ts). */
  idsInput?: string;
  /**
   * The output that task metrics read. Default: with class labels, the output that fits them (scored-output.ts),
   * else the model's first output.
   */
  output?: string;
  /** `--shape` / `--dim`: shapes synthetic data and fills symbolic image sizes. */
  shapes?: ShapeOverrides;
  /** Evaluate at most this many samples. */
  limit?: number;
  session?: SessionSettings;
  signal?: AbortSignal;
  /** Called after every sample; `total` is undefined when the data cannot say in advance. */
  onProgress?: (done: number, total: number | undefined) => void;
  /**
   * What it is doing before the first sample, where it has no fraction to give: `loading model.onnx (1.07 GiB
   * with its data) into onnxruntime · 23 s`, said again every second (bench/loading-stage.ts).
   */
  onStage?: (stage: string) => void;
}

/** Fidelity of the measured output, with every output listed under `outputs` when there are several. */
export interface FidelityReport extends OutputFidelity {
  outputs?: OutputFidelity[];
  /**
   * Samples left out of every output's figures because an output of the reference holds NaN or Inf there (most
   * often from NaN or Inf in the input): nothing to compare with. Absent when none was; a note names the first.
   */
  leftOutSamples?: number;
}

/** What `onnx-studio eval --json` prints (field names fixed by docs/cli.md; times in ms unless named). */
export interface EvalReport {
  model: string;
  reference?: string;
  /** The data, described (path, counts, preprocessing). */
  data: string;
  /** Image folders: how the images became the input, as data (the preprocessing in `data` is its words). */
  imageReading?: ImageReading;
  samples: number;
  /**
   * `next-token` when a language model was graded on its own ids (no labels needed); `none` when there are no
   * labels and only fidelity against the reference is measured.
   */
  task: MeasuredTask;
  /** What was decided and why, e.g. `classification: labels are class indices and output 'logits' ... scores 10 classes`. */
  taskReason: string;
  /** The output task metrics read. */
  output: string;
  /**
   * Of several outputs, which one class labels were scored against and why (scored-output.ts), with the CLI's way to
   * score another; `notes` say the reason too (`scored output 'logits', not the first output 'features': ...`).
   */
  scoredOutput?: { reason: string; cliHint?: string };
  /** The inputs of the first sample as fed (name, dtype, shape): what the figures were measured on. */
  inputs: { name: string; dtype: string; shape: number[] }[];
  seconds: number;
  samplesPerSecond: number;
  /** Where the time went: waiting for data (reading, decoding), running the model, running the reference. */
  timing: { dataMs: number; inferenceMs: number; referenceMs: number; scoringMs?: number };
  notes: string[];
  correct?: number;
  accuracy?: number;
  top5?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  perClass?: ClassMetrics[];
  /** Rows: true class, columns: predicted class, both in the order of `perClass`. */
  confusion?: number[][];
  mae?: number;
  mse?: number;
  rmse?: number;
  /** Next-token figures (task `next-token`); `accuracy`, `correct` and `top5` are theirs too. */
  nextToken?: NextTokenMetrics & { idsInput: string };
  fidelity?: FidelityReport;
}

function labelText(label: number | Float64Array): string {
  return typeof label === 'number'
    ? String(label)
    : `[${Array.from(label.slice(0, 4)).join(', ')}${label.length > 4 ? ', ...' : ''}]`;
}

/** Output names of the reference matched to the model's: by name, or by position when names differ. */
function matchOutputs(
  model: readonly string[],
  reference: readonly string[],
  notes: string[],
): Map<string, string> {
  if (model.every((n) => reference.includes(n))) return new Map(model.map((n) => [n, n]));
  if (model.length === reference.length) {
    notes.push(
      `reference outputs matched by position: ${model.map((n, i) => `${n} ~ ${reference[i]}`).join(', ')}`,
    );
    return new Map(model.map((n, i) => [n, reference[i]!]));
  }
  throw new StudioError(
    'BAD_REQUEST',
    `The reference's outputs (${reference.join(', ')}) do not match the model's (${model.join(', ')}); compare a model with a variant of itself.`,
  );
}

/**
 * Runs the model on every sample of the data and measures it: classification or regression metrics against
 * the labels, and fidelity of every output against a reference model. Metrics are accumulated as the
 * samples stream, in float64; no outputs are kept.
 */
export async function evaluateModel(options: EvaluateOptions): Promise<EvalReport> {
  const started = performance.now();
  const notes: string[] = [];
  const loaded = await loadModel(options.model);
  const resolved = resolveInputSpecs(loaded.proto, options.shapes ?? {});
  let refInputs: ResolvedInput[] | undefined;
  let refPath: string | undefined;
  // The reference's sizes, for its loading stage (not the model itself: its parsed weights can go).
  let refSizes: LoadingModel | undefined;
  const namedDims = [resolved.namedDims];
  if (options.reference !== undefined) {
    const ref = await loadModel(options.reference);
    refPath = ref.path;
    refSizes = { path: ref.path, fileBytes: ref.fileBytes, externalDataBytes: ref.externalDataBytes };
    const refResolved = resolveInputSpecs(ref.proto, options.shapes ?? {});
    refInputs = refResolved.inputs;
    namedDims.push(refResolved.namedDims);
    checkInputNames(
      refInputs,
      resolved.inputs.map((i) => i.name),
      `The reference ${path.basename(ref.path)}`,
    );
  }
  refuseUnknownDims(options.shapes?.dims, namedDims, options.shapes?.origin);
  const readInputs = readWide(resolved.inputs, refInputs);
  const source = await openDataset(options.data, readInputs, {
    ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  if (options.data.kind === 'synthetic') notes.push(...resolved.notes);
  notes.push(...source.notes);
  const requested = options.task ?? 'auto';
  const idsCandidates = nextTokenCandidates(
    loaded,
    resolved.inputs,
    requested,
    source.hasLabels,
    options.data,
    options.idsInput,
  );
  const mayGradeIds = idsCandidates.some((c) => requested === 'next-token' || c.indexes !== undefined);
  if (!source.hasLabels && refInputs === undefined && !mayGradeIds) {
    throw new StudioError(
      'BAD_REQUEST',
      `Nothing to measure: ${source.describe()} has no labels and no --reference was given. Add labels (--labels FILE.npy, class folders) or compare with --reference MODEL.`,
    );
  }
  if (requested === 'next-token' && source.hasLabels)
    notes.push("the data's labels are not read: next-token grades each position on the id after it");
  if (!source.hasLabels && requested !== 'auto' && requested !== 'next-token') {
    throw new StudioError(
      'BAD_REQUEST',
      `--task ${requested} needs labels, and ${source.describe()} has none.`,
    );
  }

  // A variant is named as messages name it (its name, not its path in the workspace).
  // Creating a session cannot be interrupted: a Cancel during it ends the run as soon as it returns.
  const loading = {
    checkCancelled: () => throwIfAborted(options.signal),
    release: (made: ort.InferenceSession) => made.release(),
  };
  const stage = options.onStage ?? (() => {});
  const session = await whileLoading(
    loaded,
    stage,
    () => createSession(loaded.path, options.session ?? {}, options.label),
    { ...loading, ...(options.label !== undefined ? { label: options.label } : {}) },
  );
  let refSession: ort.InferenceSession | undefined;
  try {
    if (refSizes !== undefined)
      refSession = await whileLoading(
        refSizes,
        stage,
        () => createSession(refSizes.path, options.session ?? {}),
        loading,
      );
    return await measure(options, {
      loaded,
      source,
      session,
      refSession,
      refPath,
      refInputs,
      narrowed: new NarrowedInputs(readInputs),
      notes,
      started,
      requested,
      idsCandidates,
    });
  } finally {
    await session.release();
    await refSession?.release();
  }
}

interface Prepared {
  loaded: LoadedModel;
  source: DatasetSource;
  session: ort.InferenceSession;
  refSession: ort.InferenceSession | undefined;
  refPath: string | undefined;
  refInputs: ResolvedInput[] | undefined;
  /** The float16 inputs read wide, narrowed for the model sample by sample. */
  narrowed: NarrowedInputs;
  notes: string[];
  started: number;
  requested: TaskRequest;
  /** Integer inputs that may hold token ids, where next-token metrics may apply (next-token.ts); else empty. */
  idsCandidates: IdsCandidate[];
}

/**
 * The inputs that may hold token ids, each with the table it indexes: asked for (`--task next-token`), or, with
 * `--task auto`, for real data without labels (synthetic ids are random: grading them on each other says nothing).
 */
function nextTokenCandidates(
  loaded: LoadedModel,
  inputs: readonly ResolvedInput[],
  requested: TaskRequest,
  hasLabels: boolean,
  data: DatasetSpec,
  idsInput: string | undefined,
): IdsCandidate[] {
  if (idsInput !== undefined) refuseIdsInput(idsInput, inputs, requested, hasLabels);
  if (requested === 'next-token' && data.kind === 'synthetic')
    throw new StudioError(
      'BAD_REQUEST',
      '--task next-token grades a language model on real token ids, and synthetic data is random ids. Give the ids as data (.npy, .npz or .jsonl).',
    );
  if (requested !== 'next-token' && (requested !== 'auto' || hasLabels || data.kind === 'synthetic'))
    return [];
  const ints = inputs.filter((i) => INTEGER_TYPES.has(i.ortType));
  if (ints.length === 0 && requested === 'next-token')
    throw new StudioError(
      'BAD_REQUEST',
      `--task next-token grades token ids, and the model has no integer input (${inputs.map((i) => `'${i.name}' ${i.ortType}`).join(', ')}).`,
    );
  if (ints.length === 0) return [];
  const tables = indexedTables(
    loaded.proto.graph!,
    ints.map((i) => i.name),
  );
  return ints.map((i) => {
    const indexes = tables.get(i.name);
    return { name: i.name, type: i.ortType, ...(indexes ? { indexes } : {}) };
  });
}

/** `--ids-input` names an integer input of the model, and only where next-token grading is what eval does. */
function refuseIdsInput(
  name: string,
  inputs: readonly ResolvedInput[],
  requested: TaskRequest,
  hasLabels: boolean,
): void {
  const ints = inputs.filter((i) => INTEGER_TYPES.has(i.ortType)).map((i) => `'${i.name}'`);
  if (!inputs.some((i) => i.name === name && INTEGER_TYPES.has(i.ortType)))
    throw new StudioError(
      'BAD_REQUEST',
      `--ids-input '${name}' is no integer input of the model (its integer inputs: ${ints.join(', ') || 'none'}).`,
    );
  if (requested === 'classification' || requested === 'regression' || (requested === 'auto' && hasLabels))
    throw new StudioError(
      'BAD_REQUEST',
      `--ids-input names the token ids that next-token grades, and this evaluation ${requested === 'auto' ? "reads the data's labels" : `is ${requested}`}: add --task next-token to grade the ids, or drop --ids-input.`,
    );
}

/** The sample loop and the report, once the data is open and the sessions exist. */
async function measure(options: EvaluateOptions, prepared: Prepared): Promise<EvalReport> {
  const {
    loaded,
    source,
    session,
    refSession,
    refPath,
    refInputs,
    narrowed,
    notes,
    started,
    requested,
    idsCandidates,
  } = prepared;
  let outputName = options.output ?? session.outputNames[0];
  if (outputName === undefined || !session.outputNames.includes(outputName)) {
    throw new StudioError(
      'BAD_REQUEST',
      `The model has no output '${options.output}' (outputs: ${session.outputNames.join(', ')}).`,
    );
  }
  const outputMap = refSession ? matchOutputs(session.outputNames, refSession.outputNames, notes) : undefined;
  const refTypes = new Map(refInputs?.map((i) => [i.name, i.ortType]));

  let plan: TaskPlan | undefined;
  let classification: ClassificationAccumulator | undefined;
  let regression: RegressionAccumulator | undefined;
  // A language model graded on its own ids (next-token.ts), where the data has no labels or it was asked for.
  const grader =
    idsCandidates.length > 0
      ? new NextTokenGrader({
          explicit: requested === 'next-token',
          candidates: idsCandidates,
          inputNames: session.inputNames,
          outputNames: session.outputNames,
          ...(options.output !== undefined ? { output: options.output } : {}),
          ...(options.idsInput !== undefined ? { idsInput: options.idsInput } : {}),
          notes,
        })
      : undefined;
  const readsLabels = requested !== 'next-token';
  const fidelity = new Map<string, FidelityAccumulator>();
  const nonFinite = new NonFiniteSamples();
  const timing: EvalReport['timing'] = { dataMs: 0, inferenceMs: 0, referenceMs: 0 };
  let done = 0;
  const total = source.count;
  const classNames = source.classNames;
  // The labels, surveyed before the first sample where they decide something: which of several outputs is scored,
  // and whether vector labels are one-hot class labels.
  const choosing =
    options.output === undefined && session.outputNames.length > 1 && requested !== 'regression';
  const survey =
    requested === 'regression' ? undefined : await surveyWhereNeeded(source, choosing, options.signal);
  let oneHot = false;
  let scoredOutput: EvalReport['scoredOutput'];

  // Padded positions leave per-position figures where the model says which they are (padding-mask.ts).
  const maskName = refSession ? paddingMaskInput(session.inputNames) : undefined;
  const paddingCounted = new Set<string>();
  const noTop1 = new GroupedNote<NoTop1Output>(notes, noTop1Note);
  const cacheOutputs = cacheOutputNames(loaded.proto.graph!);
  let mark = performance.now();
  let fed: EvalReport['inputs'] = [];
  for await (const sample of source.samples(options.signal)) {
    const modelFeed = narrowed.feed(sample.index, sample.inputs);
    if (fed.length === 0)
      fed = Object.entries(modelFeed).map(([name, t]) => ({ name, dtype: t.type, shape: [...t.dims] }));
    const t0 = performance.now();
    timing.dataMs += t0 - mark;
    const run = { sample: sample.index, fromData: options.data.kind !== 'synthetic' };
    const outputs = await runExplained(
      session,
      modelFeed,
      options.label ?? path.basename(loaded.path),
      undefined,
      run,
    );
    const t1 = performance.now();
    timing.inferenceMs += t1 - t0;
    const where = `Sample ${sample.index}`;
    if (grader?.grade(sample, outputs) && grader.output !== undefined) outputName = grader.output;
    // Nothing else to measure and nothing to grade: said now, not after every sample ran.
    if (grader?.hopeless && !refSession && !source.hasLabels) grader.result(true);
    if (readsLabels && sample.label !== undefined && !plan) {
      const need = choosing ? classNeed(survey, classNames) : undefined;
      if (need) {
        const roles = session.outputNames.map((n) => runtimeRole(n, outputs[n]!.type, outputs[n]!.dims));
        const choice = chooseScoredOutput(roles, need);
        outputName = choice.output;
        if (choice.reason) {
          scoredOutput = { reason: choice.reason, ...(choice.cliHint ? { cliHint: choice.cliHint } : {}) };
          notes.push(scoredOutputNote(choice.reason));
        }
      }
      oneHot = readsOneHot(survey, outputs[outputName]!, outputName, labelsName(options.data), notes);
    }
    const measured = outputs[outputName]!;

    if (readsLabels && sample.label !== undefined) {
      // One-hot rows are read as the class of their 1 (readsOneHot said so once).
      const at = oneHot && typeof sample.label !== 'number' ? oneHotClass(sample.label) : -1;
      const label = at >= 0 ? at : sample.label;
      if (!plan) {
        plan = planTask(
          requested,
          label,
          { name: outputName, type: measured.type, dims: measured.dims },
          oneHot ? survey?.width : undefined,
        );
        if (plan.mode === 'scores') {
          classification = new ClassificationAccumulator(plan.classes);
          checkClassFolders(classNames, source.emptyClasses, plan.classes, outputName);
          // Fewer folders than scores: the folders are read as the first classes, which is right only if the
          // model's classes are in that order and start there. Said, since the accuracy rests on it.
          if (classNames && classNames.length < plan.classes)
            notes.push(
              `the data has ${classNames.length} classes (${classNames.slice(0, 5).join(', ')}${classNames.length > 5 ? ', ...' : ''}), read as ` +
                `classes 0-${classNames.length - 1} of the ${plan.classes} that output '${outputName}' scores, in the order of their ` +
                'folder names: check that they are those classes, or the accuracy is meaningless.',
            );
        } else if (plan.mode === 'label') classification = new ClassificationAccumulator();
        else regression = new RegressionAccumulator();
        // Which folder is which class: the accuracy rests on it.
        if (plan.task === 'classification' && classNames) notes.push(classOrderNote(classNames));
      }
      const values = tensorToFloat64(measured);
      if (plan.task === 'classification') {
        if (
          typeof label !== 'number' ||
          !Number.isInteger(label) ||
          label < 0 ||
          (plan.mode === 'scores' && label >= plan.classes)
        ) {
          const range = plan.mode === 'scores' ? ` (0 to ${plan.classes - 1})` : '';
          throw new StudioError(
            'BAD_REQUEST',
            `${where}: label ${labelText(label)} is not a class index of output '${outputName}'${range}.`,
          );
        }
        if (plan.mode === 'scores') {
          if (values.length !== plan.classes) {
            throw new StudioError(
              'BAD_REQUEST',
              `${where}: output '${outputName}' has ${values.length} values, the first sample had ${plan.classes}.`,
            );
          }
          classification!.addScores(values, label);
        } else classification!.addPrediction(values[0]!, label);
      } else {
        const target = typeof label === 'number' ? [label] : label;
        if (target.length !== values.length) {
          throw new StudioError(
            'BAD_REQUEST',
            `${where}: output '${outputName}' has ${values.length} values but the label has ${target.length}.`,
          );
        }
        regression!.add(values, target);
      }
    } else if (readsLabels && source.hasLabels) {
      throw new StudioError('BAD_REQUEST', `${where} has no label.`);
    }

    if (refSession && outputMap) {
      const feed: Record<string, ort.Tensor> = {};
      for (const [name, tensor] of Object.entries(sample.inputs)) {
        const want = refTypes.get(name);
        feed[name] =
          want && want !== tensor.type && isDatasetDtype(want)
            ? castTensor(tensor, want, `Reference input '${name}'`)
            : tensor;
      }
      const t2 = performance.now();
      const refOutputs = await runExplained(refSession, feed, path.basename(refPath!), undefined, run);
      timing.referenceMs += performance.now() - t2;
      const compared: {
        name: string;
        type: string;
        dims: readonly number[];
        actual: Float64Array;
        expected: Float64Array;
      }[] = [];
      for (const name of session.outputNames) {
        const actual = outputs[name]!;
        const expected = refOutputs[outputMap.get(name)!]!;
        if (actual.type === 'string' || expected.type === 'string') continue;
        if (actual.data.length !== expected.data.length) {
          throw new StudioError(
            'BAD_REQUEST',
            `${where}: output '${name}' is ${formatDims(actual.dims)} but the reference's is ${formatDims(expected.dims)}; they cannot be compared.`,
          );
        }
        compared.push({
          name,
          type: actual.type,
          dims: actual.dims,
          actual: tensorToFloat64(actual),
          expected: tensorToFloat64(expected),
        });
      }
      // One rule for every figure (fidelity-metrics.ts, NonFiniteSamples): a sample the reference gives NaN or Inf
      // for is left out of all of them; one only the model does stays in, and its figures say NaN.
      if (nonFinite.admit(sample.index, sample.inputs, compared)) {
        const mask = maskName !== undefined ? sample.inputs[maskName] : undefined;
        const padded = mask !== undefined && hasPadding(mask);
        for (const c of compared) {
          let acc = fidelity.get(c.name);
          if (!acc) {
            const classes = top1ClassesOf(c.type, c.dims, c.name);
            acc = new FidelityAccumulator(c.name, classes, isDiscreteType(c.type));
            fidelity.set(c.name, acc);
            const why = noTop1Reason(c.type, c.dims, c.name, cacheOutputs.has(c.name));
            if (why) noTop1.add(why, { name: c.name, dims: c.dims });
          }
          const keep = padded ? positionsKept(mask, c.dims) : undefined;
          if (padded && !keep && !paddingCounted.has(c.name)) {
            // It cannot tell which values are padding: they are counted, and said to be.
            paddingCounted.add(c.name);
            notes.push(
              paddingCountedNote(c.name, formatDims(c.dims), {
                name: maskName!,
                dims: formatDims(mask.dims),
              }),
            );
          }
          acc.add(c.actual, c.expected, keep ? { keep, by: maskName! } : undefined);
        }
      }
    }
    done++;
    options.onProgress?.(done, total);
    mark = performance.now();
  }
  if (done === 0) throw new StudioError('BAD_REQUEST', `${source.describe()} produced no samples.`);
  // Synthetic data makes as many samples as asked; a file or folder may hold fewer.
  // The count asked: the spec's own limit (the CLI's --samples, the app's form) or the caller's, the smaller.
  const specLimit = 'limit' in options.data ? (options.data.limit as number | undefined) : undefined;
  const asked = [specLimit, options.limit].filter((n): n is number => n !== undefined);
  const cut =
    asked.length > 0 && options.data.kind !== 'synthetic'
      ? samplesAskedNote(Math.min(...asked), done)
      : undefined;
  if (cut) notes.push(cut);
  const overflow = narrowed.note(refSession !== undefined);
  if (overflow) notes.push(overflow);

  const seconds = (performance.now() - started) / 1000;
  const report: EvalReport = {
    inputs: fed,
    model: loaded.path,
    ...(refPath !== undefined ? { reference: refPath } : {}),
    data: source.describe(),
    ...(source.imageReading ? { imageReading: source.imageReading } : {}),
    samples: done,
    task: plan?.task ?? grader?.planned?.task ?? 'none',
    taskReason:
      plan?.reason ??
      grader?.planned?.reason ??
      'none: the data has no labels; only fidelity against the reference is measured',
    output: outputName,
    ...(scoredOutput ? { scoredOutput } : {}),
    seconds,
    samplesPerSecond: done / seconds,
    timing,
    notes,
  };
  if (classification) {
    const { samples: _samples, ...metrics } = classification.result(classNames);
    Object.assign(report, metrics);
  }
  if (regression) {
    const { mae, mse, rmse } = regression.result();
    Object.assign(report, { mae, mse, rmse });
  }
  const nextToken = grader?.result(!refSession && !plan);
  if (nextToken) {
    report.correct = nextToken.correct;
    report.accuracy = nextToken.accuracy;
    if (nextToken.top5 !== undefined) report.top5 = nextToken.top5;
    report.nextToken = nextToken;
    timing.scoringMs = grader!.ms;
  }
  if (refSession) {
    nonFinite.check(done, source.describe());
    notes.push(...nonFinite.notes(done));
    const all = session.outputNames.flatMap((n) => fidelity.get(n)?.result() ?? []);
    for (const f of all) if (f.padded) notes.push(paddingLeftOutNote(f.padded, f.output));
    const primary = all.find((f) => f.output === outputName) ?? all[0];
    if (primary)
      report.fidelity = {
        ...primary,
        ...(all.length > 1 ? { outputs: all } : {}),
        ...(nonFinite.leftOut > 0 ? { leftOutSamples: nonFinite.leftOut } : {}),
      };
    else notes.push('no output could be compared with the reference (string outputs only)');
  }
  return report;
}

/**
 * The label survey, where it decides something: always for a model of several outputs (which one fits the labels),
 * else only when the labels are vectors (one-hot rows or targets); scalar labels of a one-output model need none.
 */
async function surveyWhereNeeded(
  source: DatasetSource,
  choosing: boolean,
  signal: AbortSignal | undefined,
): Promise<LabelSurvey | undefined> {
  if (!source.hasLabels) return undefined;
  if (!choosing) {
    let first: number | Float64Array | undefined;
    if (source.labels) {
      for await (const label of source.labels(signal)) {
        first = label;
        break;
      }
    } else {
      // No label-only pass: the first sample tells whether the labels are vectors.
      for await (const sample of source.samples(signal)) {
        first = sample.label;
        break;
      }
    }
    if (first === undefined || typeof first === 'number') return undefined;
  }
  return surveyLabels(source, signal);
}

/**
 * Whether one-hot label rows are read as class ids: where the scored output scores as many classes as the rows are
 * long (said in a note). One-hot rows beside an output of another number of classes are refused: neither reading fits.
 */
function readsOneHot(
  survey: LabelSurvey | undefined,
  measured: ort.Tensor,
  output: string,
  labels: string,
  notes: string[],
): boolean {
  if (!survey?.oneHot) return false;
  const { classes } = runtimeRole(output, measured.type, measured.dims);
  const width = survey.width;
  if (classes === width) {
    notes.push(oneHotNote(labels, width));
    return true;
  }
  if (classes === undefined) return false;
  throw new StudioError(
    'BAD_REQUEST',
    `${labels} holds one-hot rows of ${width}, but output '${output}' scores ${classes} classes: give one class id per sample, or rows of ${classes}.`,
    { cliHint: 'Check --labels, or pick another output with --output NAME.' },
  );
}

/**
 * Notes that name several things for one reason, said once (a decoder's eight `present.*` cache outputs each had the
 * same line): the note is pushed where the first thing came, and rewritten as more come.
 */
class GroupedNote<T> {
  private readonly at = new Map<string, { index: number; things: T[] }>();
  constructor(
    private readonly notes: string[],
    private readonly say: (things: readonly T[], reason: string) => string,
  ) {}
  add(reason: string, thing: T): void {
    const known = this.at.get(reason);
    if (known) {
      known.things.push(thing);
      this.notes[known.index] = this.say(known.things, reason);
    } else {
      this.at.set(reason, { index: this.notes.push(this.say([thing], reason)) - 1, things: [thing] });
    }
  }
}
