/**
 * What a browser benchmark's record says it fed. Without it, Compare cannot tell that a browser latency was
 * measured at other shapes than the input spec gives now (compare-data.ts `offSpecShapes`), so none was ever
 * flagged.
 */
import type { AddBenchRecordRequest } from '../../../shared/ipc-contract.js';
import { latencyStatsOf, sameShapes, thinSamples } from '../../../shared/latency-stats.js';
import { ORIGINAL_TARGET, type FedInput } from '../../../shared/workspace.js';
import { listWords as listNames } from '../../../shared/counted.js';
import type { WebBenchFailure, WebBenchModelResult, WebBenchReport } from '../webbench/ort-web-bench.js';

/**
 * The inputs the page fed, as the record's `inputs`: the concrete shapes the worker made the feeds with (the
 * input spec's, else open dims as 1), which is what was timed, whatever the spec says by the time it is read.
 * A record has one set of inputs for all its targets (as the engine's does), so when the models were fed
 * different shapes it records none rather than the first model's, which would misdate the others.
 */
export function webBenchInputs(report: {
  results: readonly Pick<WebBenchModelResult, 'inputs'>[];
}): { inputs: FedInput[] } | undefined {
  const [first, ...rest] = report.results;
  if (!first || first.inputs.length === 0) return undefined;
  // sameShapes treats a missing side as the same; here both sides are recorded.
  if (rest.some((r) => !sameShapes(r.inputs, first.inputs))) return undefined;
  return { inputs: first.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] })) };
}

/**
 * "int8 failed on webgpu: [WebGPU] Kernel "[Conv] conv0_token_1" failed. Error: dilations should be 2D", one line
 * per error: models that failed the same way are named together ("original, fp16 and int8 failed on webgpu:
 * ..."), so six models refused by one kernel do not repeat its message six times.
 */
export function webBenchFailureLines(
  failures: readonly WebBenchFailure[],
  provider: string,
  name: (failure: WebBenchFailure) => string = (f) => f.model,
): string[] {
  const byMessage = new Map<string, string[]>();
  for (const f of failures) byMessage.set(f.message, [...(byMessage.get(f.message) ?? []), name(f)]);
  return [...byMessage].map(([message, models]) => `${listNames(models)} failed on ${provider}: ${message}`);
}

/**
 * How a browser benchmark ends once its worker reported: failed where no model could be measured (each failure
 * named), else done, with one warning for the models that failed ("Partly failed: 5 of 6 measured; cnn.onnx
 * failed on webgpu: ..."), so the job says it partly failed and which model, and the others' figures are recorded;
 * `partial` ("1 of 6 models not measured") makes the job count as partly failed, not finished.
 */
export function webBenchOutcome(
  report: Pick<WebBenchReport, 'results' | 'failures' | 'provider'>,
): { failed: string } | { warnings: string[]; partial?: string } {
  const failures = report.failures ?? [];
  const count = report.results.length + failures.length;
  const failed = webBenchFailureLines(failures, report.provider);
  if (report.results.length === 0) {
    const [only] = failures;
    return {
      failed:
        failures.length === 1 && only
          ? `onnxruntime-web (${report.provider}) could not run ${only.model}: ${only.message}`
          : `No model could be measured: ${failed.join('; ')}`,
    };
  }
  return failed.length > 0
    ? {
        warnings: [`Partly failed: ${report.results.length} of ${count} measured; ${failed.join('; ')}`],
        partial: `${failures.length} of ${count} models not measured`,
      }
    : { warnings: [] };
}

/** The most a record's note may hold (the contract's limit), and the most notes it keeps. */
const NOTE_CHARS = 1000;
const MAX_NOTES = 20;

/**
 * The workspace record of a browser benchmark: each measured model under its own target (by its `index`: a model
 * that failed has no result, and the ones after it keep their targets), the inputs fed, and notes: the WebGPU
 * outputs against WASM, and each model that failed with its error, which the record keeps after the page's
 * job is gone (page-jobs.ts lists it again after a reload of the same tab, not in another window).
 */
export function webBenchRecordRequest(
  modelPath: string,
  targets: readonly string[],
  bytes: readonly number[],
  report: WebBenchReport,
): AddBenchRecordRequest {
  const label = `onnxruntime-web ${report.provider}${report.adapter ? ` (${report.adapter})` : ''}`;
  const notes = [
    ...report.results
      .filter((r) => r.agreement)
      .map(
        (r) =>
          `${r.model}: WebGPU outputs vs WASM on the same input: max |difference| ${r.agreement?.maxAbsDiff.toExponential(2)}, cosine ${r.agreement?.cosine.toFixed(6)}, same top class: ${r.agreement?.sameTop1 ? 'yes' : 'no'}.`,
      ),
    ...webBenchFailureLines(report.failures ?? [], report.provider).map((line) => `Not measured: ${line}`),
  ]
    .slice(0, MAX_NOTES)
    .map((n) => (n.length > NOTE_CHARS ? `${n.slice(0, NOTE_CHARS - 1)}…` : n));
  return {
    modelPath,
    engine: 'onnxruntime-web',
    provider: report.provider,
    label: label.slice(0, 200),
    results: report.results.map((r) => ({
      target: targets[r.index] ?? ORIGINAL_TARGET,
      modelBytes: bytes[r.index] ?? 0,
      ...latencyStatsOf(r),
      throughput: r.meanMs > 0 ? 1000 / r.meanMs : 0,
      samples: thinSamples(r.samples, 2000),
    })),
    ...webBenchInputs(report),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
