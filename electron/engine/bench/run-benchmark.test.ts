import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DataType } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { makeAttribute, makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { buildSpeechGateModel, buildTextLineModel } from '../testing/awkward-models.js';
import { buildCnn, buildMlp, makeModel, modelBytes, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { benchParams, runBenchmark, threadsNote } from './run-benchmark.js';
import { compareToBaseline } from '../../../shared/bench-comparisons.js';

/**
 * A token model: `input_ids` int64 [batch, sequence] -> Gather(embedding [100, 4]); `attention_mask` bool
 * [batch, sequence] -> Cast -> Unsqueeze -> Mul: `hidden` float [batch, sequence, 4].
 */
function buildTokenModel() {
  const cast = makeNode('Cast', ['attention_mask'], ['mask_f'], { name: 'cast' });
  cast.attribute.push(makeAttribute('to', { int: DataType.FLOAT }));
  return makeModel(
    create(GraphProtoSchema, {
      name: 'tokens',
      input: [makeValueInfo('input_ids', DataType.INT64, ['batch', 'sequence']), makeValueInfo('attention_mask', DataType.BOOL, ['batch', 'sequence'])],
      output: [makeValueInfo('hidden', DataType.FLOAT, ['batch', 'sequence', 4])],
      initializer: [makeFloatTensor('embedding', [100, 4], randomFloats(400, 5)), makeInt64Tensor('axes', [1], [-1])],
      node: [
        makeNode('Gather', ['embedding', 'input_ids'], ['embedded'], { name: 'gather' }),
        cast,
        makeNode('Unsqueeze', ['mask_f', 'axes'], ['mask3'], { name: 'unsqueeze' }),
        makeNode('Mul', ['embedded', 'mask3'], ['hidden'], { name: 'mul' }),
      ],
    }),
  );
}

async function failure(promise: Promise<unknown>): Promise<StudioError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StudioError)) throw new Error(`expected a StudioError, got ${String(error)}`);
  return error;
}

describe('runBenchmark', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let mlp: string;
  let cnn: string;
  beforeEach(() => {
    tmp = makeTempDir();
    mlp = path.join(tmp.dir, 'mlp.onnx');
    cnn = path.join(tmp.dir, 'cnn.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    fs.writeFileSync(cnn, modelBytes(buildCnn()));
  });
  afterEach(() => tmp.cleanup());

  it('benchmarks two models interleaved, with figures, ratios, phases and streamed samples', async () => {
    const phases: string[] = [];
    const streamed: number[][] = [[], []];
    const fractions: number[] = [];
    const report = await runBenchmark(benchParams({ models: [mlp, cnn], warmup: 2, iterations: 15, intraOpThreads: 1 }), {
      onPhase: (phase, model) => phases.push(`${phase}${model === mlp ? ' mlp' : model === cnn ? ' cnn' : ''}`),
      onProgress: (fraction) => fractions.push(fraction),
      onSamples: (i, values) => streamed[i]?.push(...values),
      sampleBatchMs: 0,
    });
    expect(report.results.map((r) => r.model)).toEqual([mlp, cnn]);
    for (const r of report.results) {
      expect(r.iterations).toBe(15);
      // At least the runs asked for, and more until WARMUP_MIN_MS had passed (these models take microseconds).
      expect(r.warmup).toBeGreaterThan(2);
      expect(r.ep).toBe('cpu');
      expect(r.threads).toBe(1);
      for (const key of ['initMs', 'firstRunMs', 'meanMs', 'minMs', 'p50Ms', 'maxMs', 'throughput'] as const) expect(r[key]).toBeGreaterThan(0);
      expect(r.stdMs).toBeGreaterThanOrEqual(0);
      expect(r.minMs).toBeLessThanOrEqual(r.p50Ms);
      expect(r.p50Ms).toBeLessThanOrEqual(r.p90Ms);
      expect(r.p90Ms).toBeLessThanOrEqual(r.p95Ms);
      expect(r.p95Ms).toBeLessThanOrEqual(r.p99Ms);
      expect(r.p99Ms).toBeLessThanOrEqual(r.maxMs);
      expect(r.throughput).toBeCloseTo(1000 / r.meanMs, 9);
      expect(r.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
      expect(r.profile).toBeUndefined();
    }
    const [a, b] = report.results;
    expect(a?.modelBytes).toBe(fs.statSync(mlp).size);
    expect(report.comparisons).toEqual([
      expect.objectContaining({ model: cnn, baseline: mlp, p50Ratio: (b?.p50Ms ?? 0) / (a?.p50Ms ?? 1), sizeRatio: fs.statSync(cnn).size / fs.statSync(mlp).size }),
    ]);
    // Judged from the samples it streamed, as every reader of the report gets it (bench, run, tune).
    expect(report.comparisons).toEqual(compareToBaseline(report.results, streamed));
    expect(['faster', 'slower', 'same']).toContain(report.comparisons[0]?.latencyVerdict);
    // Both models loaded in one process: its peak is said once, for the run.
    expect(report.processPeakRssBytes).toBe(a?.peakRssBytes);
    // Progress only moves forward, from 0 to 1.
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y));
    // Every measured sample was streamed, in run order per model.
    expect(streamed.map((s) => s.length)).toEqual([15, 15]);
    // Session creation and first run per model, then warmup and measuring over both.
    expect(phases).toEqual([
      'probing providers',
      'loading model mlp',
      'loading model cnn',
      'creating session mlp',
      'first run mlp',
      'creating session cnn',
      'first run cnn',
      'warmup',
      'measuring',
      'releasing',
    ]);
    expect(a?.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 16], guessed: 'batch=1' }]);
    // Said once for both models (they share the inputs), not once per model.
    expect(report.notes.filter((n) => n.includes("dim 'batch' of input 'input' was guessed as 1 (batch: one sample per run) because nothing set it"))).toHaveLength(1);
    expect(report.settings).toMatchObject({ ep: 'cpu', threads: 1, allowSpinning: false, warmup: 2, iterations: 15, data: 'synthetic (4 samples, seed 0)' });
  });

  it('feeds int64 token ids and bool masks shaped by --dim', async () => {
    const tokens = path.join(tmp.dir, 'tokens.onnx');
    fs.writeFileSync(tokens, modelBytes(buildTokenModel()));
    const report = await runBenchmark(benchParams({ models: [tokens], warmup: 0, iterations: 3, dims: { batch: 2, sequence: 8 } }));
    expect(report.results[0]?.inputs).toEqual([
      // The dims were set; the ids and the mask's values were not.
      {
        name: 'input_ids',
        dtype: 'int64',
        shape: [2, 8],
        values: { kind: 'range', min: 0, max: 99 },
        guessed: 'values random whole numbers 0-99',
      },
      {
        name: 'attention_mask',
        dtype: 'bool',
        shape: [2, 8],
        values: { kind: 'constant', value: 1 },
        guessed: 'values true',
      },
    ]);
    expect(report.comparisons).toEqual([]);
    expect(report).not.toHaveProperty('processPeakRssBytes');
    expect(report.notes.some((n) => /dim '/.test(n))).toBe(false);
    expect(report.notes.join('\n')).toMatch(/spinning is off/);
  });

  it('runs an audio model and a text line on the guesses the app prefills, each said beside its size', async () => {
    const speech = path.join(tmp.dir, 'speech.onnx');
    const line = path.join(tmp.dir, 'line.onnx');
    fs.writeFileSync(speech, modelBytes(buildSpeechGateModel()));
    fs.writeFileSync(line, modelBytes(buildTextLineModel()));
    const settings = { warmup: 0, iterations: 2, intraOpThreads: 1 };
    // One second of audio at the 16000 Hz guessed for sr: a length of 1 failed in the model's Reshape.
    const audio = await runBenchmark(benchParams({ models: [speech], ...settings }));
    // Each input's row says what of it was guessed, beside the shape it sized.
    expect(audio.results[0]?.inputs).toEqual([
      { name: 'audio', dtype: 'float32', shape: [1, 16000], guessed: 'samples=16000' },
      // The values fed, as data: a run at sr 8000 has the same shapes and differs here.
      { name: 'sr', dtype: 'int64', shape: [1], values: { kind: 'constant', value: 16000 }, guessed: 'values 16000' },
    ]);
    const notes = audio.notes.join('\n');
    expect(notes).toContain("dim 'samples' of input 'audio' was guessed as 16000 ('samples' reads as an audio length: one second at the 16000 Hz of 'sr') because nothing set it");
    expect(notes).toContain("Synthetic data filled 'sr' (int64) with 16000 (a sample rate: 16 kHz, the usual rate of speech models), because nothing set it");
    const text = await runBenchmark(benchParams({ models: [line], ...settings }));
    expect(text.results[0]?.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [1, 3, 48, 320], guessed: 'dim 0=1, dim 3=320' },
    ]);
    expect(text.notes.join('\n')).toContain("unknown dim 3 of input 'x' as 320 (width of a 48-pixel-high text line) because nothing set them");
    // The app asks for synthetic data as a dataset spec: it is shaped by the guesses all the same.
    const asDataset = await runBenchmark(
      benchParams({ models: [line], data: { kind: 'dataset', spec: { kind: 'synthetic', samples: 2 }, maxSamples: 2 }, ...settings }),
    );
    expect(asDataset.notes.join('\n')).toContain("unknown dim 3 of input 'x' as 320 (width of a 48-pixel-high text line)");
    // --dim and --shape still win, and then nothing is guessed.
    const set = await runBenchmark(benchParams({ models: [speech], dims: { samples: 640 }, values: { sr: { kind: 'constant', value: 8000 } }, ...settings }));
    expect(set.results[0]?.inputs[0]).toEqual({ name: 'audio', dtype: 'float32', shape: [1, 640] });
    expect(set.notes.join('\n')).not.toMatch(/because nothing set/);
    // Data that decides the width (lines 100 wide): the guessed 320 was not used, so it is not said.
    const lines = path.join(tmp.dir, 'lines.npy');
    fs.writeFileSync(lines, encodeNpyArray(new Float32Array(2 * 3 * 48 * 100), 'float32', [2, 3, 48, 100]));
    const fed = await runBenchmark(
      benchParams({ models: [line], data: { kind: 'dataset', spec: { kind: 'npy', path: lines }, maxSamples: 2 }, ...settings }),
    );
    expect(fed.results[0]?.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 100] }]);
    expect(fed.notes.join('\n')).not.toMatch(/guessed|because nothing set/);
    // Data that happens to be as wide as the guess decided the width all the same: still not said.
    const wide = path.join(tmp.dir, 'wide-lines.npy');
    fs.writeFileSync(wide, encodeNpyArray(new Float32Array(2 * 3 * 48 * 320), 'float32', [2, 3, 48, 320]));
    const fedWide = await runBenchmark(
      benchParams({ models: [line], data: { kind: 'dataset', spec: { kind: 'npy', path: wide }, maxSamples: 2 }, ...settings }),
    );
    expect(fedWide.results[0]?.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 320] }]);
    expect(fedWide.notes.join('\n')).not.toMatch(/guessed|because nothing set/);
    // Lines of several widths: the runs cycle through them all, and the inputs say so (not the first alone).
    const mixed = path.join(tmp.dir, 'mixed-lines.jsonl');
    const line48 = (width: number) => ({ inputs: { x: { dims: [1, 3, 48, width], data: new Array(3 * 48 * width).fill(0.5) } } });
    fs.writeFileSync(mixed, [64, 128, 64, 96].map((w) => JSON.stringify(line48(w))).join('\n'));
    const fedMixed = await runBenchmark(
      benchParams({ models: [line], data: { kind: 'dataset', spec: { kind: 'jsonl', path: mixed }, maxSamples: 4 }, ...settings }),
    );
    expect(fedMixed.settings.samples).toBe(4);
    expect(fedMixed.results[0]?.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [1, 3, 48, 64], shapes: [[1, 3, 48, 64], [1, 3, 48, 128], [1, 3, 48, 96]] },
    ]);
  });

  it('in duration mode gives every model the same number of runs', async () => {
    const report = await runBenchmark(benchParams({ models: [mlp, mlp], warmup: 0, durationMs: 50, intraOpThreads: 1 }));
    const [a, b] = report.results;
    expect(a?.iterations).toBeGreaterThan(0);
    expect(b?.iterations).toBe(a?.iterations);
    expect(report.settings.durationMs).toBe(50);
    expect(report.settings.iterations).toBeUndefined();
  });

  it('aggregates the profiling trace of a separate pass after timing', async () => {
    const fractions: number[] = [];
    const report = await runBenchmark(benchParams({ models: [cnn], warmup: 1, iterations: 4, profile: true, intraOpThreads: 1 }), {
      onProgress: (fraction) => fractions.push(fraction),
    });
    const profile = report.results[0]?.profile;
    expect(report.results[0]?.iterations).toBe(4);
    // At least 5 profiled runs, however few were timed (profile-pass.ts).
    expect(profile?.runs).toBe(5);
    expect(profile?.byOpType.map((o) => o.opType)).toContain('MaxPool');
    expect(profile?.topNodes.length).toBeGreaterThan(0);
    expect(fs.existsSync(profile?.traceFile ?? '')).toBe(true);
    expect(report.notes.join('\n')).toMatch(/latency figures are from runs without onnxruntime's profiler; each model's per-op times are from 5 more runs/);
    // The profile pass has its part of the bar, after the timing's: forward only, to 1.
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y));
    fs.rmSync(path.dirname(profile?.traceFile ?? ''), { recursive: true, force: true });
  });

  it("reads what explain needs of its two models from the copies it loads, and only for explain's benchmark", async () => {
    const settings = { warmup: 0, iterations: 2, intraOpThreads: 1 };
    const related = await runBenchmark(benchParams({ models: [mlp, mlp], explain: true, ...settings }));
    // The same file twice: size ratio 1, nothing recorded about how it was made.
    expect(related.explain).toEqual({ variantOpCounts: { Gemm: 1, MatMul: 1, Add: 1, Relu: 1 }, sizeRatio: 1 });
    const unrelated = await runBenchmark(benchParams({ models: [mlp, cnn], explain: true, ...settings }));
    expect(unrelated.explain?.unrelated).toMatch(/^The two models look unrelated: .* no advice on a compression\.$/);
    expect(unrelated.explain?.variantOpCounts).toMatchObject({ Conv: 2, Gemm: 1 });
    expect((await runBenchmark(benchParams({ models: [mlp, cnn], ...settings }))).explain).toBeUndefined();
    const one = await failure(runBenchmark(benchParams({ models: [mlp], explain: true, ...settings })));
    expect(one.code).toBe('BAD_REQUEST');
    expect(one.message).toMatch(/explain benchmarks two models/);
  });

  it('stops with CANCELLED at the next run when the signal aborts', async () => {
    const controller = new AbortController();
    let samples = 0;
    const error = await failure(
      runBenchmark(benchParams({ models: [mlp], warmup: 0, iterations: 1_000_000 }), {
        signal: controller.signal,
        sampleBatchMs: 0,
        onSamples: (_i, values) => {
          samples += values.length;
          if (samples >= 5) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(samples).toBe(5);
  });

  it('refuses bad settings, unavailable providers and unreadable models with user errors', async () => {
    expect(() => benchParams({ models: [mlp], iterations: 0 })).toThrow(/iterations/);
    expect(() => benchParams({ models: [mlp], iterations: 5, durationMs: 100 })).toThrow(/exactly one/);
    expect(() => benchParams({ models: [] })).toThrow(StudioError);
    const foreign = process.platform === 'darwin' ? 'dml' : 'coreml';
    const ep = await failure(runBenchmark(benchParams({ models: [mlp], ep: foreign })));
    expect(ep.code).toBe('BAD_REQUEST');
    expect(ep.message).toMatch(/not available here/);
    const missing = await failure(runBenchmark(benchParams({ models: [mlp, path.join(tmp.dir, 'nope.onnx')] })));
    expect(missing.code).toBe('IO');
    const shape = await failure(runBenchmark(benchParams({ models: [cnn], shapes: { input: [1, 4, 16, 16] } })));
    expect(shape.code).toBe('BAD_INPUT');
  });

  it('reads its inputs from a dataset spec', async () => {
    const report = await runBenchmark(
      benchParams({ models: [mlp], warmup: 0, iterations: 2, data: { kind: 'dataset', spec: { kind: 'synthetic', samples: 3, seed: 1 }, maxSamples: 2 } }),
    );
    expect(report.results[0]?.iterations).toBe(2);
    expect(report.settings.data).toMatch(/2 samples in memory/);
    const bad = await failure(runBenchmark(benchParams({ models: [mlp], data: { kind: 'dataset', spec: { kind: 'npy' }, maxSamples: 2 } })));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/path/);
  });
});

describe('more intra-op threads than the machine runs at once', () => {
  it('is said with the core count, and nothing is said at or below it (0 is one per physical core)', () => {
    expect(threadsNote(64, 2)).toBe(
      'intra-op threads: 64, on a machine that runs 2 at once: the threads take turns, so the latency is not what 64 cores would give. Use at most 2, or 0 (one per physical core).',
    );
    expect(threadsNote(2, 2)).toBeUndefined();
    expect(threadsNote(0, 2)).toBeUndefined();
  });
});
