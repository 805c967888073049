/**
 * runWebBench over a stand-in onnxruntime-web: one model's kernel error is that model's failure, with its name
 * and message, and the models after it are still measured (a WebGPU Conv stopped a run of six, naming none).
 */
import type * as Ort from 'onnxruntime-web';
import { afterAll, describe, expect, it, vi } from 'vitest';

const KERNEL_ERROR = '[WebGPU] Kernel "[Conv] conv0_token_1" failed. Error: dilations should be 2D';

class Tensor {
  constructor(
    readonly type: string,
    readonly data: ArrayLike<number>,
    readonly dims: number[],
  ) {}
}

/** A session per model; the model whose first byte is 1 fails on its first run, as the WebGPU Conv did. */
const fakeOrt = {
  Tensor,
  env: { wasm: {} },
  InferenceSession: {
    create: async (bytes: Uint8Array) => ({
      inputNames: ['x'],
      inputMetadata: [{ isTensor: true, type: 'float32', shape: [1, 4] }],
      run: async () => {
        if (bytes[0] === 1) throw new Error(KERNEL_ERROR);
        return { y: new Tensor('float32', [1, 2], [1, 2]) };
      },
      release: async () => {},
    }),
  },
} as unknown as typeof Ort;

vi.mock('./ort-loader.js', () => ({
  loadOrt: async () => fakeOrt,
  wasmThreads: () => 1,
}));

// Node has no navigator below version 21: the page's has no WebGPU here either.
vi.stubGlobal('navigator', {});

const { runWebBench, WebBenchCancelled } = await import('./ort-web-bench.js');

const model = (name: string, fails = false) => ({ name, bytes: Uint8Array.of(fails ? 1 : 0) });

describe('a browser benchmark of several models', () => {
  afterAll(() => vi.unstubAllGlobals());

  it('reports the model that fails with its name and error, and measures the others', async () => {
    const samplesOf: number[] = [];
    const report = await runWebBench([model('original'), model('cnn.onnx', true), model('int8')], {
      provider: 'wasm',
      warmup: 1,
      iterations: 3,
      onSamples: (index) => samplesOf.push(index),
    });
    expect(report.results.map((r) => [r.index, r.model, r.samples.length])).toEqual([
      [0, 'original', 3],
      [2, 'int8', 3],
    ]);
    expect(report.failures).toEqual([{ index: 1, model: 'cnn.onnx', message: KERNEL_ERROR }]);
    // Samples stream under each model's own index.
    expect(new Set(samplesOf)).toEqual(new Set([0, 2]));
  });

  it('still stops at a cancel', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runWebBench([model('original')], {
        provider: 'wasm',
        warmup: 0,
        iterations: 1,
        signal: controller.signal,
      }),
    ).rejects.toBeInstanceOf(WebBenchCancelled);
  });
});
