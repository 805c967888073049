/**
 * What each kind of job returns in its `result` event, as plain JSON: the engine's report (job-reports.ts,
 * bench.ts) and what the job added to the workspace.
 */
import type { BenchReport } from './bench.js';
import type { EvalReportInfo, PruneReportInfo, QuantizeReportInfo } from './job-reports.js';
import type { ModelSummary } from './model-summary.js';
import type { TuneOutcome } from './tune.js';
import type { WorkspaceVariant } from './workspace.js';

/** A finished quantize or prune job: the engine's report and the variant it added to the workspace. */
export interface VariantJobResult<R> {
  report: R;
  variant: WorkspaceVariant;
}

/** A finished bench job: the engine's report, and the id of the record it added to the workspace. */
export interface BenchJobResult {
  report: BenchReport;
  recordId: string;
  /**
   * Each model's latency samples (ms, thinned as the record keeps them), in the order of `report.results`: what
   * the noise rule (shared/latency-noise.ts) reads, for callers that judge a ratio without the record (tune).
   */
  samples: number[][];
}

/** A finished evaluate job: the engine's report, and the id of the record it added to the workspace. */
export interface EvaluateJobResult {
  report: EvalReportInfo;
  recordId: string;
}

/**
 * A finished export job. `written: false` is not a failure: it asks the user to confirm (`exists`: a file is
 * at the destination; `original`: the destination is the original model) and start the job again with
 * `overwrite: true` (and `replaceOriginal: true` for the original).
 */
export type ExportJobResult =
  | {
      written: true;
      /** Absolute path written. */
      path: string;
      /** Bytes written (the .onnx file plus any external data file). */
      bytes: number;
      /** The external data file written beside it (absolute path), which must travel with the model. */
      dataFile?: string;
      /** The `onnx-studio` command(s) that reproduce the variant from the original model. */
      cliCommand: string;
    }
  | {
      written: false;
      reason: 'exists' | 'original';
      path: string;
      /** With `exists`: every existing file the export would replace (the model's, and its data file's). */
      replaces?: string[];
    };

/** Job kind → the `result` of its terminal `result` event. */
export interface JobResults {
  inspect: ModelSummary;
  quantize: VariantJobResult<QuantizeReportInfo>;
  prune: VariantJobResult<PruneReportInfo>;
  bench: BenchJobResult;
  evaluate: EvaluateJobResult;
  export: ExportJobResult;
  tune: TuneJobResult;
}

/** A finished tune job: the record it kept in the workspace and the whole outcome. */
export interface TuneJobResult {
  tuneId: string;
  outcome: TuneOutcome;
  chosenVariantId?: string;
}
