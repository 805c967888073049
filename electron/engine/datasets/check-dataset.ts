import { ownIdsGraded } from '../../../shared/own-ids.js';
import { summarizeInterface } from '../inspect/inspect-model.js';
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import { MAX_CHECKED_SAMPLES } from '../../../shared/dataset-check-limits.js';
import type { DatasetCheckReport } from '../../../shared/ipc-contract.js';
import type { DatasetRole } from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import { checkClassFolders, chooseScoredOutput, classNeed, declaredRole, scoredOutputNote } from '../evaluate/scored-output.js';
import { loadModel } from '../onnx/load-model.js';
import { resolveInputSpecs, type ShapeOverrides } from '../runtime/input-specs.js';
import { datasetIdentity } from './dataset-identity.js';
import { classOrderNote } from './image-folder-source.js';
import { LabelSurveyor, labelsName, oneHotNote } from './label-survey.js';
import { NPY_PREFIX_BYTES, npyHeaderLength, parseNpyHeader } from './npy-format.js';
import { openDataset } from './open-dataset.js';

/** Fewer calibration samples than this give noisy ranges. */
const FEW_CALIBRATION_SAMPLES = 16;

export interface CheckDatasetOptions {
  model: string;
  spec: DatasetSpec;
  baseDir: string;
  role: DatasetRole;
  shapes?: ShapeOverrides;
  name?: string;
  /** Stops the check between samples (and while hashing the files) with a CANCELLED error. */
  signal?: AbortSignal;
  /**
   * Once the data is open (0 read), then after each sample read: how many so far, and how many the check reads
   * (all the samples, at most MAX_CHECKED_SAMPLES; undefined when the source cannot count its samples).
   */
  onProgress?: (samplesRead: number, samplesToRead: number | undefined) => void;
}

/**
 * Checks data against a model before any job uses it: the inputs fit (names, dtypes, shapes: `openDataset`
 * refuses a mismatch with BAD_INPUT naming the input), the labels count one per sample (BAD_REQUEST), and
 * class labels lie within the classes the output evaluation scores (chosen as evaluation chooses it,
 * scored-output.ts, from the outputs' declared shapes). Reads the labels, not the model's outputs: quick.
 */
export async function checkDataset(options: CheckDatasetOptions): Promise<DatasetCheckReport> {
  const loaded = await loadModel(options.model);
  const { inputs } = resolveInputSpecs(loaded.proto, options.shapes ?? {});
  const source = await openDataset(options.spec, inputs, { baseDir: options.baseDir });
  let count = 0;
  let first: DatasetCheckReport['inputs'] | undefined;
  const surveyor = new LabelSurveyor();
  const toRead =
    options.spec.kind === 'synthetic'
      ? 1
      : source.count === undefined
        ? undefined
        : Math.min(source.count, MAX_CHECKED_SAMPLES);
  options.onProgress?.(0, toRead);
  for await (const sample of source.samples(options.signal)) {
    if (!first) first = Object.entries(sample.inputs).map(([name, t]) => ({ name, dtype: t.type, shape: [...t.dims] }));
    if (sample.label !== undefined) surveyor.add(sample.label);
    count++;
    options.onProgress?.(count, toRead);
    if (count >= MAX_CHECKED_SAMPLES) break;
    // Synthetic samples are all made alike from the model's inputs, without labels: one tells everything a
    // check can learn. Making 400 samples of a 100,000-wide input only to look at them took over 30 s.
    if (options.spec.kind === 'synthetic') break;
  }
  const total = source.count ?? count;
  if (total === 0 || !first) throw new StudioError('BAD_REQUEST', 'The dataset holds no samples. Choose a file with at least one sample.');
  // What the data's readers said: element types converted, entries skipped, ...
  const warnings: string[] = [...source.notes];
  if (count < total && options.spec.kind !== 'synthetic')
    warnings.push(`labels were checked on the first ${count} of ${total} samples`);
  const report: DatasetCheckReport = {
    identity: await datasetIdentity(options.spec, options.baseDir, total, options.name, options.signal),
    inputs: first,
    hasLabels: source.hasLabels,
    ...(!source.hasLabels && ownIdsGraded(options.spec, summarizeInterface(loaded.proto.graph!)) ? { ownIds: true as const } : {}),
    warnings,
  };
  const labelsFile = labelsName(options.spec);
  const survey = surveyor.result();
  if (source.hasLabels && survey && Number.isFinite(survey.min)) {
    const evaluation = options.role === 'evaluation';
    // The output evaluation scores: the first that fits class labels, as evaluate-model.ts chooses it.
    const roles = (loaded.proto.graph?.output ?? []).map((o) => declaredRole(o.name, o.type));
    const need = classNeed(survey, source.classNames);
    const choice = need && roles.length > 0 ? chooseScoredOutput(roles, need) : undefined;
    const scored = roles.find((r) => r.name === choice?.output) ?? roles[0];
    const classes = scored?.classes;
    // One-hot rows are class ids where the output scores as many classes as they are long; other rows are targets.
    const oneHot = survey.oneHot && classes === survey.width;
    const classIds = survey.classIds || oneHot;
    const range = oneHot ? { min: survey.minClass!, max: survey.maxClass! } : { min: survey.min, max: survey.max };
    report.labels = {
      count: total,
      ...range,
      ...(classes !== undefined && classIds ? { modelClasses: classes } : {}),
      ...(classIds && scored ? { output: scored.name } : {}),
      ...(survey.width > 1 && !oneHot ? { width: survey.width } : {}),
    };
    if (evaluation && choice?.reason) warnings.push(scoredOutputNote(choice.reason));
    if (evaluation && survey.classIds && classes !== undefined && (range.min < 0 || range.max >= classes)) {
      throw new StudioError(
        'BAD_REQUEST',
        `${labelsFile} holds class labels from ${range.min} to ${range.max}, but the model scores ${classes} classes (0 to ${classes - 1}). Check that it is the labels file of this dataset and of this model.`,
      );
    }
    if (evaluation && classes !== undefined && scored) checkClassFolders(source.classNames, source.emptyClasses, classes, scored.name);
    if (evaluation && source.classNames) warnings.push(classOrderNote(source.classNames));
    if (evaluation && oneHot) warnings.push(oneHotNote(labelsFile, survey.width));
    else if (evaluation && survey.width > 1)
      warnings.push(
        `${labelsFile} holds ${survey.width} values per sample: regression targets, measured by MAE, MSE and RMSE against ` +
          `output '${roles[0]?.name ?? '?'}'`,
      );
    // Float labels that are all whole numbers: evaluation reads them as class ids (task.ts decides by value),
    // which the range alone would leave the user to guess, since float labels read as regression targets.
    const stored = evaluation && survey.classIds ? await labelsFileDtype(options.spec, options.baseDir) : undefined;
    if (stored && FLOAT_DTYPES.has(stored)) {
      warnings.push(
        `${labelsFile} holds ${stored} labels that are all whole numbers (${range.min}–${range.max}): ` +
          (classes !== undefined
            ? `they are read as class ids of the model's ${classes} classes, so accuracy is measured`
            : 'they are read as class ids where the model scores classes, else as regression targets'),
      );
    }
  }
  if (options.role === 'evaluation' && !source.hasLabels) {
    warnings.push(
      report.ownIds
        ? "no labels: a language model is graded on its own token ids (next-token accuracy); variants are also compared with the original's outputs (fidelity)"
        : 'no labels: accuracy cannot be measured; variants are compared with the original\'s outputs (fidelity) instead',
    );
  }
  if (options.role === 'calibration' && total < FEW_CALIBRATION_SAMPLES) {
    warnings.push(`only ${total} sample${total === 1 ? '' : 's'}: calibration ranges from so few are noisy; 100 or more is usual`);
  }
  return report;
}

const FLOAT_DTYPES: ReadonlySet<string> = new Set(['float16', 'float32', 'float64']);

/** The element type of a separate `.npy` labels file, read from its header; undefined when there is none. */
async function labelsFileDtype(spec: DatasetSpec, baseDir: string): Promise<string | undefined> {
  if (!('labels' in spec) || !spec.labels || !spec.labels.toLowerCase().endsWith('.npy')) return undefined;
  const file = path.resolve(baseDir, spec.labels);
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const prefix = new Uint8Array(NPY_PREFIX_BYTES);
      await handle.read(prefix, 0, NPY_PREFIX_BYTES, 0);
      const header = new Uint8Array(npyHeaderLength(prefix, spec.labels));
      await handle.read(header, 0, header.length, 0);
      return parseNpyHeader(header, spec.labels).dtype;
    } finally {
      await handle.close();
    }
  } catch {
    // The samples were read from it already; a header that cannot be read again only loses this note.
    return undefined;
  }
}
