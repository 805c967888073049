import type { DatasetKind, DatasetSpec } from '../../../shared/dataset-spec.js';
import type { ImageReading } from '../../../shared/image-reading.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import type { SampleSource } from './sample-source.js';

/** A SampleSource opened from a dataset spec, with what evaluation needs to know about its labels. */
export interface DatasetSource extends SampleSource {
  /** Whether samples carry labels (`Sample.label`). */
  readonly hasLabels: boolean;
  /** Class names by class index, when the data names its classes (image folders: the sub-folder names). */
  readonly classNames?: readonly string[];
  /** What the user should know: defaults that were chosen, conversions, files skipped. */
  readonly notes: readonly string[];
  /** Inputs the data has no array for, which the input spec's values fill (spec-filled-inputs.ts). */
  readonly absentInputs?: readonly ResolvedInput[];
  /** How images became the input (image folders): each value, and which ones the spec did not give. */
  readonly imageReading?: ImageReading;
  /** Class folders that hold no images (image folders): each still takes a class id. */
  readonly emptyClasses?: readonly string[];
  /**
   * The labels of the samples `samples` produces, in the same order, read without the inputs (label-survey.ts);
   * absent where the labels cannot be read apart from the samples.
   */
  labels?(signal?: AbortSignal): AsyncIterable<number | Float64Array>;
}

export interface OpenContext {
  /** Folder that relative paths in the spec are resolved against. */
  baseDir: string;
  /** Read at most this many samples. */
  limit?: number;
}

/** One dataset kind: how to open it. Registered by kind in `open-dataset.ts`. */
export interface DatasetReader<K extends DatasetKind = DatasetKind> {
  kind: K;
  /** One line for help texts and GUI pickers. */
  summary: string;
  /**
   * Opens the data for a model with these inputs, checking names, element types and shapes before any sample
   * is produced, so a mismatch is reported before the first inference.
   */
  open(spec: Extract<DatasetSpec, { kind: K }>, inputs: ResolvedInput[], context: OpenContext): Promise<DatasetSource>;
}

/** Throws a CANCELLED error when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled.');
}

/** The sample count after applying a limit. */
export function limited(count: number, limit: number | undefined): number {
  return limit === undefined ? count : Math.min(count, limit);
}
