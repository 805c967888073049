/**
 * Which data a figure was measured on: enough to tell two datasets apart and to see that a chart mixes them.
 * `sha256` covers the dataset's files (a synthetic dataset hashes its description). Its own module, so tune
 * outcomes (shared/tune.ts) name their data with it without an import cycle through workspace.ts.
 */
export interface DatasetIdentity {
  /** The name the user gave the dataset, else its main file's name (`test-inputs.npy`), or `synthetic`. */
  name: string;
  samples: number;
  sha256: string;
}
