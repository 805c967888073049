import type { Tensor } from 'onnxruntime-node';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';

/** One sample: a value for every model input, and its label when the dataset has labels. */
export interface Sample {
  /** Position of the sample in the dataset (0-based). */
  index: number;
  inputs: Record<string, Tensor>;
  /** A class index (classification) or target values (regression). */
  label?: number | Float64Array;
}

/**
 * A dataset as the engine consumes it: samples stream one at a time (readers batch their I/O internally),
 * so memory stays bounded however large the dataset is. Used by evaluation, calibration and benchmarks.
 */
export interface SampleSource {
  /** Number of samples, when known up front (for progress bars). */
  readonly count: number | undefined;
  /** Human-readable description for logs and reports, e.g. `synthetic (100 samples, seed 0)`. */
  describe(): string;
  /** The spec and folder it was opened from (set by `openDataset`), so recipes can record it by name and hash. */
  readonly origin?: { spec: DatasetSpec; baseDir: string };
  /** What the user should know about the samples, such as values it guessed (said next to the figures). */
  readonly notes?: readonly string[];
  /** Iterates the samples; stops early (throwing a CANCELLED StudioError) when `signal` aborts. */
  samples(signal?: AbortSignal): AsyncIterable<Sample>;
}
