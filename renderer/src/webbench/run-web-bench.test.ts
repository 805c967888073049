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

/** Every session created: the model's bytes and the options it was given. */
const created: { bytes: Uint8Array; options: Ort.InferenceSession.SessionOptions }[] = [];

/** A session per model; the model whose first byte is 1 fails on its first run, as the WebGPU Conv did. */
const fakeOrt = {
  Tensor,
  env: { wasm: {} },
  InferenceSession: {
    create: async (bytes: Uint8Array, options: Ort.InferenceSession.SessionOptions) => {
      created.push({ bytes, options });
      return {
        inputNames: ['x'],
        inputMetadata: [{ isTensor: true, type: 'float32', shape: [1, 4] }],
        run: async () => {
          if (bytes[0] === 1) throw new Error(KERNEL_ERROR);
          return { y: new Tensor('float32', [1, 2], [1, 2]) };
        },
        release: async () => {},
      };
    },
  },
} as unknown as typeof Ort;

vi.mock('./ort-loader.js', () => ({
  loadOrt: async () => fakeOrt,
  wasmThreads: () => 1,
}));

// Node has no navigator below version 21: the page's has no WebGPU here either.
vi.stubGlobal('navigator', {});

const { runWebBench, WebBenchCancelled, WASM_MEMORY_LIMIT_BYTES } = await import('./ort-web-bench.js');

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

  it('gives onnxruntime-web the external data files by URL, for the timed session and the WASM check alike', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => ({ info: { vendor: 'test' } }) } });
    created.length = 0;
    const externalData = [
      {
        path: 'weights/w.bin',
        url: 'http://127.0.0.1:1/t/workspace-files/k/original/external-data/weights%2Fw.bin',
        bytes: 4096,
      },
    ];
    const report = await runWebBench([{ ...model('llm'), externalData }], {
      provider: 'webgpu',
      warmup: 0,
      iterations: 1,
      checkAgainstWasm: true,
    });
    expect(report.failures).toEqual([]);
    expect(report.results[0]?.agreement).toBeDefined();
    expect(created.map((c) => c.options.executionProviders)).toEqual([['webgpu'], ['wasm']]);
    for (const { options } of created)
      expect(options.externalData).toEqual([{ path: 'weights/w.bin', data: externalData[0]!.url }]);
    // A whole model is given none.
    created.length = 0;
    await runWebBench([model('whole')], { provider: 'wasm', warmup: 0, iterations: 1 });
    expect(created[0]?.options).not.toHaveProperty('externalData');
    vi.stubGlobal('navigator', {});
  });

  it('refuses a model whose data files outgrow WebAssembly memory before creating its session, and measures the others', async () => {
    created.length = 0;
    const huge = {
      ...model('llm-7b'),
      externalData: [
        { path: 'model.onnx_data', url: 'http://127.0.0.1:1/a', bytes: WASM_MEMORY_LIMIT_BYTES - 2 ** 30 },
        { path: 'model.onnx_data_1', url: 'http://127.0.0.1:1/b', bytes: 2 ** 31 },
      ],
    };
    const report = await runWebBench([huge, model('int8')], { provider: 'wasm', warmup: 0, iterations: 1 });
    expect(report.results.map((r) => r.model)).toEqual(['int8']);
    expect(report.failures).toEqual([
      {
        index: 0,
        model: 'llm-7b',
        message:
          "its .onnx file (1 B) and its 2 external data files (5.00 GiB) come to 5.00 GiB, more than the 4.00 GiB of WebAssembly memory onnxruntime-web can use, so the browser cannot load it. Measure it with the engine's benchmark (onnxruntime-node).",
      },
    ]);
    // Nothing was fetched for it: its session was never created.
    expect(created).toHaveLength(1);
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
