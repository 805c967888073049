import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import { MAX_CHECKED_SAMPLES } from '../../../shared/dataset-check-limits.js';
import type { DatasetCheckReport } from '../../../shared/ipc-contract.js';
import type { DatasetRole } from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import { describeType } from '../inspect/inspect-model.js';
import { loadModel } from '../onnx/load-model.js';
import { resolveInputSpecs, type ShapeOverrides } from '../runtime/input-specs.js';
import { datasetIdentity } from './dataset-identity.js';
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
 * class labels lie within the classes the model scores. Reads the labels, not the model's outputs: quick.
 */
export async function checkDataset(options: CheckDatasetOptions): Promise<DatasetCheckReport> {
  const loaded = await loadModel(options.model);
  const { inputs } = resolveInputSpecs(loaded.proto, options.shapes ?? {});
  const source = await openDataset(options.spec, inputs, { baseDir: options.baseDir });
  let count = 0;
  let first: DatasetCheckReport['inputs'] | undefined;
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  let labelled = 0;
  const toRead =
    options.spec.kind === 'synthetic'
      ? 1
      : source.count === undefined
        ? undefined
        : Math.min(source.count, MAX_CHECKED_SAMPLES);
  options.onProgress?.(0, toRead);
  for await (const sample of source.samples(options.signal)) {
    if (!first) first = Object.entries(sample.inputs).map(([name, t]) => ({ name, dtype: t.type, shape: [...t.dims] }));
    if (typeof sample.label === 'number') {
      labelled++;
      min = Math.min(min, sample.label);
      max = Math.max(max, sample.label);
      if (!Number.isInteger(sample.label)) integers = false;
    } else if (sample.label !== undefined) {
      labelled++;
      integers = false;
    }
    count++;
    options.onProgress?.(count, toRead);
    if (count >= MAX_CHECKED_SAMPLES) break;
    // Synthetic samples are all made alike from the model's inputs, without labels: one tells everything a
    // check can learn. Making 400 samples of a 100,000-wide input only to look at them took over 30 s.
    if (options.spec.kind === 'synthetic') break;
  }
  const total = source.count ?? count;
  if (total === 0 || !first) throw new StudioError('BAD_REQUEST', 'The dataset holds no samples. Choose a file with at least one sample.');
  const warnings: string[] = [];
  if (count < total && options.spec.kind !== 'synthetic')
    warnings.push(`labels were checked on the first ${count} of ${total} samples`);
  const report: DatasetCheckReport = {
    identity: await datasetIdentity(options.spec, options.baseDir, total, options.name, options.signal),
    inputs: first,
    hasLabels: source.hasLabels,
    warnings,
  };
  const labelsFile = 'labels' in options.spec && options.spec.labels ? path.basename(options.spec.labels) : 'the labels';
  if (source.hasLabels && labelled > 0 && Number.isFinite(min)) {
    const classes = modelClasses(loaded.proto.graph?.output[0]?.type);
    report.labels = { count: total, min, max, ...(classes !== undefined ? { modelClasses: classes } : {}) };
    if (options.role === 'evaluation' && integers && classes !== undefined && (min < 0 || max >= classes)) {
      throw new StudioError(
        'BAD_REQUEST',
        `${labelsFile} holds class labels from ${min} to ${max}, but the model scores ${classes} classes (0 to ${classes - 1}). Check that it is the labels file of this dataset and of this model.`,
      );
    }
    // Float labels that are all whole numbers: evaluation reads them as class ids (task.ts decides by value),
    // which the range alone would leave the user to guess, since float labels read as regression targets.
    const stored = options.role === 'evaluation' && integers ? await labelsFileDtype(options.spec, options.baseDir) : undefined;
    if (stored && FLOAT_DTYPES.has(stored)) {
      warnings.push(
        `${labelsFile} holds ${stored} labels that are all whole numbers (${min}–${max}): ` +
          (classes !== undefined
            ? `they are read as class ids of the model's ${classes} classes, so accuracy is measured`
            : 'they are read as class ids where the model scores classes, else as regression targets'),
      );
    }
  }
  if (options.role === 'evaluation' && !source.hasLabels) {
    warnings.push('no labels: accuracy cannot be measured; variants are compared with the original\'s outputs (fidelity) instead');
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

/** The number of classes a model's output scores: the last dim of a [batch, classes] or [classes] output. */
function modelClasses(type: Parameters<typeof describeType>[0]): number | undefined {
  if (!type) return undefined;
  const { shape } = describeType(type);
  const last = shape[shape.length - 1];
  if (shape.length > 2 || typeof last !== 'number' || last < 2) return undefined;
  return last;
}
