import { describe, expect, it } from 'vitest';
import type { InputSpec } from '../../../shared/input-spec.js';
import { compareRows, offSpecNote, offSpecShapes } from './compare-data.js';
import { initialState, studioReducer } from './studio-state.js';
import { benchRecord, SUMMARY, variant, workspace } from './test-fixtures.js';
import { deriveVariants } from './variants.js';
import { webBenchInputs } from './web-bench-record.js';

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
      { fed: '1x3x48x320', now: '1x3x48x640' },
      { fed: '1x3x48x320', now: '1x3x48x640' },
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
