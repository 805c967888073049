import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../state/studio-state.js';
import type { Studio } from '../state/use-studio.js';
import { latestWebBench, WebBenchPanel, webBenchLine } from './web-bench-panel.js';

const job = (over: Partial<JobRecord>): JobRecord =>
  ({
    jobId: 'web-1',
    kind: 'web-bench',
    title: 'Browser benchmark',
    modelPath: '/m/net.onnx',
    targets: ['original', 'v1'],
    measurement: { engine: 'onnxruntime-web', provider: 'wasm' },
    status: 'running',
    fraction: 0.42,
    stage: 'timing',
    submittedAtMs: 1,
    notes: [],
    cancelRequested: false,
    lastSeq: 0,
    ...over,
  }) as JobRecord;
const names = (t: string) => (t === 'v1' ? 'int8-dynamic' : t);

describe('the browser benchmark panel’s line', () => {
  it('shows how far a run is, then where its figures are', () => {
    expect(webBenchLine(job({}), names)).toMatchObject({
      kind: 'running',
      text: 'Measuring in this page (wasm): timing, 42%',
    });
    const done = webBenchLine(
      job({
        status: 'done',
        fraction: 1,
        result: { report: { provider: 'wasm', seconds: 1, results: [{ p50Ms: 1.234 }, { p50Ms: 0.5 }] } },
      }),
      names,
    );
    expect(done).toEqual({
      kind: 'done',
      text: 'Done: 2 models measured (p50: original 1.23 ms, int8-dynamic 0.50 ms). The latency chart below shows them as "onnxruntime-web · wasm".',
      source: { engine: 'onnxruntime-web', provider: 'wasm' },
    });
    expect(
      webBenchLine(job({ status: 'failed', error: { code: 'ORT', message: 'no kernel' } }), names).text,
    ).toBe('The browser benchmark failed: no kernel');
    expect(webBenchLine(job({ status: 'cancelled' }), names).kind).toBe('cancelled');
  });

  it('says which model failed and why, beside the figures of the others', () => {
    const line = webBenchLine(
      job({
        status: 'done',
        fraction: 1,
        targets: ['original', 'v1', 'v2'],
        measurement: { engine: 'onnxruntime-web', provider: 'webgpu' },
        result: {
          report: {
            provider: 'webgpu',
            seconds: 1,
            results: [
              { index: 1, p50Ms: 0.5 },
              { index: 2, p50Ms: 0.25 },
            ],
            failures: [{ index: 0, model: 'cnn.onnx', message: 'dilations should be 2D' }],
          },
        },
      }),
      (t) => (t === 'original' ? 'cnn.onnx' : t === 'v1' ? 'int8-dynamic' : 'fp16'),
    );
    expect(line).toEqual({
      kind: 'done',
      text: 'Partly failed: 2 of 3 models measured (p50: int8-dynamic 0.50 ms, fp16 0.25 ms). The latency chart below shows them as "onnxruntime-web · webgpu".',
      source: { engine: 'onnxruntime-web', provider: 'webgpu' },
      failures: ['cnn.onnx failed on webgpu: dilations should be 2D'],
    });
  });

  it('follows the newest browser benchmark of the open model only', () => {
    const jobs = [
      job({ jobId: 'a' }),
      job({ jobId: 'b', kind: 'bench' }),
      job({ jobId: 'c', modelPath: '/other.onnx' }),
    ];
    expect(latestWebBench(jobs, '/m/net.onnx')?.jobId).toBe('a');
    expect(latestWebBench(jobs, '/nothing.onnx')).toBeUndefined();
  });
});

describe('the browser benchmark panel', () => {
  it('shows a running benchmark with the app’s full-width progress bar, not a native <progress>', () => {
    const studio = {
      state: { jobs: [job({})], model: { path: '/m/net.onnx' } },
      variants: [],
      actions: {},
    } as unknown as Studio;
    const html = renderToStaticMarkup(
      createElement(WebBenchPanel, {
        studio,
        chosen: ['original'],
        inputsReady: true,
        onShowLatency: () => {},
      }),
    );
    expect(html).not.toContain('<progress');
    expect(html).toMatch(
      /<div class="progress" role="progressbar" aria-label="Browser benchmark progress"[^>]*aria-valuenow="42"/,
    );
    expect(html).toContain('<div class="progress-fill" style="width:42%"></div>');
  });
});
