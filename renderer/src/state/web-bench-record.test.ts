import { describe, expect, it } from 'vitest';
import type { InputSpec } from '../../../shared/input-spec.js';
import { compareRows, offSpecNote, offSpecShapes } from './compare-data.js';
import { initialState, studioReducer } from './studio-state.js';
import { benchRecord, SUMMARY, variant, workspace } from './test-fixtures.js';
import { deriveVariants } from './variants.js';
import type { WebBenchModelResult, WebBenchReport } from '../webbench/ort-web-bench.js';
import { webBenchInputs, webBenchOutcome, webBenchRecordRequest } from './web-bench-record.js';

const WASM = { engine: 'onnxruntime-web' as const, provider: 'wasm' };
const fedAt = (width: number) => [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, width] }];
const spec = (width: number): InputSpec => ({ shapes: { x: [1, 3, 48, width] } });

/** Compare's rows for the browser source after the page stored a run of the original and int8 at `width`. */
function rowsAfterBrowserRun(width: number) {
  const report = { results: [{ inputs: fedAt(width) }, { inputs: fedAt(width) }] };
  const record = {
    ...benchRecord('b1', 'wasm', { original: 2, v1: 1 }, 'onnxruntime-web'),
    ...webBenchInputs(report),
  };
  const ws = workspace({ variants: [variant('v1', 'int8-dynamic', 1000)], benchmarks: [record] });
  const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
  return compareRows(deriveVariants(state), WASM, undefined);
}

describe('the inputs a browser benchmark records', () => {
  it('are the shapes the page fed, so a browser latency is flagged once the spec gives other shapes', () => {
    const rows = rowsAfterBrowserRun(320);
    expect(rows.map((r) => r.latency?.inputs)).toEqual([fedAt(320), fedAt(320)]);
    expect(rows.map((r) => offSpecShapes(r, spec(640)))).toEqual([
      { fed: '1x3x48x320', now: '1x3x48x640', changed: 'size' },
      { fed: '1x3x48x320', now: '1x3x48x640', changed: 'size' },
    ]);
    expect(offSpecNote(rows, spec(640))).toBe(
      'Latency of original, int8-dynamic was measured at 1x3x48x320; the inputs are now 1x3x48x640. Benchmark ' +
        'again for figures at the new size.',
    );
    // At the spec's shapes: nothing to say.
    expect(rows.map((r) => offSpecShapes(r, spec(320)))).toEqual([undefined, undefined]);
  });

  it('are copies: the record does not share arrays with the worker’s report', () => {
    const report = { results: [{ inputs: fedAt(320) }] };
    const recorded = webBenchInputs(report)!.inputs;
    report.results[0]!.inputs[0]!.shape[3] = 640;
    expect(recorded).toEqual(fedAt(320));
  });

  it('are none when the models were fed different shapes (one record has one set) or nothing was fed', () => {
    expect(webBenchInputs({ results: [{ inputs: fedAt(320) }, { inputs: fedAt(256) }] })).toBeUndefined();
    expect(webBenchInputs({ results: [] })).toBeUndefined();
    expect(webBenchInputs({ results: [{ inputs: [] }] })).toBeUndefined();
  });
});

describe('a browser benchmark where one model failed', () => {
  const KERNEL = '[WebGPU] Kernel "[Conv] conv0_token_1" failed. Error: dilations should be 2D';
  const measured = (index: number, model: string, p50Ms: number): WebBenchModelResult => ({
    index,
    model,
    engine: 'onnxruntime-web',
    provider: 'webgpu',
    initMs: 1,
    firstRunMs: 1,
    warmup: 1,
    iterations: 2,
    ...{
      p50Ms,
      p90Ms: p50Ms,
      p95Ms: p50Ms,
      p99Ms: p50Ms,
      meanMs: p50Ms,
      minMs: p50Ms,
      maxMs: p50Ms,
      stdMs: 0,
    },
    samples: [p50Ms, p50Ms],
    inputs: fedAt(320),
  });
  // Six models; the original (index 0) failed on WebGPU.
  const targets = ['original', 'v1', 'v2', 'v3', 'v4', 'v5'];
  const report: WebBenchReport = {
    provider: 'webgpu',
    seconds: 3,
    results: [1, 2, 3, 4, 5].map((i) => measured(i, `m${i}`, i)),
    failures: [{ index: 0, model: 'cnn.onnx', message: KERNEL }],
  };

  it('ends done, saying which model failed and why, and records the others under their own targets', () => {
    expect(webBenchOutcome(report)).toEqual({
      warnings: [`Partly failed: 5 of 6 measured; cnn.onnx failed on webgpu: ${KERNEL}`],
      partial: '1 of 6 models not measured',
    });
    const request = webBenchRecordRequest('/m/cnn.onnx', targets, [10, 11, 12, 13, 14, 15], report);
    expect(request.results.map((r) => [r.target, r.modelBytes, r.p50Ms])).toEqual([
      ['v1', 11, 1],
      ['v2', 12, 2],
      ['v3', 13, 3],
      ['v4', 14, 4],
      ['v5', 15, 5],
    ]);
    // The failure stays in the record, after the page's job is gone.
    expect(request.notes).toEqual([`Not measured: cnn.onnx failed on webgpu: ${KERNEL}`]);
  });

  it('fails, naming each model, when none could be measured', () => {
    expect(webBenchOutcome({ ...report, results: [] })).toEqual({
      failed: `onnxruntime-web (webgpu) could not run cnn.onnx: ${KERNEL}`,
    });
    expect(
      webBenchOutcome({
        ...report,
        results: [],
        failures: [report.failures[0]!, { index: 1, model: 'int8', message: 'no kernel' }],
      }),
    ).toEqual({
      failed: `No model could be measured: cnn.onnx failed on webgpu: ${KERNEL}; int8 failed on webgpu: no kernel`,
    });
    // One kernel that refuses every model: its message once, with the models it refused.
    expect(
      webBenchOutcome({
        ...report,
        results: [],
        failures: ['original', 'fp16', 'int8'].map((model, index) => ({ index, model, message: KERNEL })),
      }),
    ).toEqual({ failed: `No model could be measured: original, fp16 and int8 failed on webgpu: ${KERNEL}` });
    expect(webBenchOutcome({ ...report, failures: [] })).toEqual({ warnings: [] });
  });

  it("shows each model's live figures under its own target when a model before it failed", () => {
    const jobId = 'web-1';
    let state = studioReducer(initialState, {
      type: 'model-opened',
      summary: SUMMARY,
      workspace: workspace(),
    });
    state = studioReducer(state, {
      type: 'job-submitted',
      jobId,
      kind: 'web-bench',
      title: 'Browser benchmark',
      modelPath: SUMMARY.path,
      targets: ['original', 'v1'],
      measurement: { engine: 'onnxruntime-web', provider: 'webgpu' },
      atMs: 0,
    });
    const partial = { ...report, results: [measured(1, 'int8', 0.5)] };
    state = studioReducer(state, {
      type: 'job-event',
      event: { jobId, seq: 0, timeMs: 1, type: 'result', result: { report: partial } },
    });
    expect(Object.keys(state.live[0]!.final ?? {})).toEqual(['v1']);
  });
});
