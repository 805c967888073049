import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { StudioError } from '../errors.js';
import { evaluateModel } from '../evaluate/evaluate-model.js';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { isLoadingStage, LOADING_TICK_MS, loadingStage, StageTicker, withElapsed } from './loading-stage.js';
import { benchParams, runBenchmark } from './run-benchmark.js';

/*
 * A user test: a benchmark of a 1 GB model showed "0% · starting" for 40 s while onnxruntime created its
 * sessions, an evaluation "0% · loading" for 45 s. Creation gives no fraction; the stage says what, how big
 * and for how long, every second, and a Cancel during it ends the run as soon as it returns.
 */

const GIB = 1024 ** 3;

describe('the loading stage', () => {
  afterEach(() => vi.useRealTimers());

  it('names the model and its size with its data; the seconds are added where they can tick', () => {
    const model = { path: '/m/llm/model.onnx', fileBytes: 16 * 1024 ** 2, externalDataBytes: 1.06 * GIB };
    expect(loadingStage(model)).toBe('loading model.onnx (1.08 GiB with its data) into onnxruntime');
    expect(withElapsed(loadingStage(model), 23.7)).toBe(
      'loading model.onnx (1.08 GiB with its data) into onnxruntime · 23 s',
    );
    expect(loadingStage({ ...model, externalDataBytes: 0 }, 'int4')).toBe(
      'loading int4 (16.0 MiB) into onnxruntime',
    );
    expect(isLoadingStage(loadingStage(model))).toBe(true);
    expect(isLoadingStage('loading')).toBe(false);
  });

  it('ticks a loading stage every second until the next stage, and stops', async () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const ticker = new StageTicker((text) => shown.push(text));
    ticker.set(loadingStage({ path: 'model.onnx', fileBytes: 2048, externalDataBytes: 0 }));
    await vi.advanceTimersByTimeAsync(3 * LOADING_TICK_MS);
    expect(shown).toEqual(
      ['0 s', '1 s', '2 s', '3 s'].map((s) => `loading model.onnx (2.00 KiB) into onnxruntime · ${s}`),
    );
    ticker.set('warmup');
    await vi.advanceTimersByTimeAsync(3 * LOADING_TICK_MS);
    expect(shown.slice(4)).toEqual(['warmup']);
    ticker.set(loadingStage({ path: 'b.onnx', fileBytes: 10, externalDataBytes: 0 }));
    ticker.stop();
    await vi.advanceTimersByTimeAsync(3 * LOADING_TICK_MS);
    expect(shown.slice(5)).toEqual(['loading b.onnx (10 B) into onnxruntime · 0 s']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('bench and eval while the sessions load', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let mlp: string;
  let data: string;
  beforeEach(() => {
    tmp = makeTempDir();
    mlp = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    data = path.join(tmp.dir, 'x.npy');
  });
  afterEach(() => tmp.cleanup());

  it('bench says it is loading each model, and a Cancel then ends it before the first run', async () => {
    const stages: string[] = [];
    await runBenchmark(benchParams({ models: [mlp], warmup: 0, iterations: 2 }), {
      onProgress: (fraction, stage) => stages.push(`${fraction} ${stage}`),
    });
    expect(stages[0]).toMatch(/^0 loading mlp\.onnx \(\d+(\.\d+)? KiB\) into onnxruntime$/);

    const controller = new AbortController();
    const phases: string[] = [];
    const error = await runBenchmark(benchParams({ models: [mlp, mlp], warmup: 0, iterations: 2 }), {
      signal: controller.signal,
      onPhase: (phase) => phases.push(phase),
      onProgress: (_f, stage) => {
        if (isLoadingStage(stage)) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('CANCELLED');
    expect((error as StudioError).message).toBe('The benchmark was cancelled.');
    // Right after the session it was creating: no first run, no second model.
    expect(phases.filter((p) => p === 'creating session')).toHaveLength(1);
    expect(phases).not.toContain('first run');
    expect(phases.at(-1)).toBe('releasing');
  });

  it('eval says it is loading the model and its reference, and a Cancel then ends it', async () => {
    fs.writeFileSync(data, encodeNpyArray(new Float32Array(3 * 16).fill(0.5), 'float32', [3, 16]));
    const stages: string[] = [];
    const report = await evaluateModel({
      model: mlp,
      reference: mlp,
      data: { kind: 'npy', path: data },
      onStage: (stage) => stages.push(stage),
    });
    expect(report.samples).toBe(3);
    // The model's, then the reference's.
    expect(stages).toEqual([
      expect.stringMatching(/^loading mlp\.onnx \(.* KiB\) into onnxruntime$/),
      expect.stringMatching(/^loading mlp\.onnx \(.* KiB\) into onnxruntime$/),
    ]);

    const controller = new AbortController();
    let samples = 0;
    const error = await evaluateModel({
      model: mlp,
      reference: mlp,
      data: { kind: 'npy', path: data },
      signal: controller.signal,
      onStage: () => controller.abort(),
      onProgress: () => samples++,
    }).catch((e: unknown) => e);
    expect((error as StudioError).code).toBe('CANCELLED');
    expect(samples).toBe(0);
  });
});
