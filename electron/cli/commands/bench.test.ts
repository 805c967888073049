import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/errors.js';
import { buildCnn, buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { awkwardModelFiles } from '../../engine/testing/awkward-models.js';
import { buildKvCacheLayers } from '../../engine/testing/kv-cache-layers.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import type { CliContext } from '../cli-context.js';
import { benchCommand } from './bench.js';

/** Runs `onnx-studio bench ARGS` in this process (the engine still runs in its own, forked one). */
async function bench(positionals: string[], values: CliContext['values'], json = false) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        append(String(chunk));
        callback();
      },
    });
  const ctx: CliContext = {
    positionals,
    values,
    json,
    verbose: false,
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    signal: new AbortController().signal,
  };
  const code = await benchCommand.run(ctx).catch((error: unknown) => error);
  return { code, stdout, stderr };
}

describe('onnx-studio bench', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let mlp: string;
  let cnn: string;
  beforeAll(() => {
    tmp = makeTempDir();
    mlp = path.join(tmp.dir, 'mlp.onnx');
    cnn = path.join(tmp.dir, 'cnn.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    fs.writeFileSync(cnn, modelBytes(buildCnn()));
  });
  afterAll(() => tmp.cleanup());

  it('--value fills an integer input; with the wrong length the model fails with BAD_INPUT naming its inputs', async () => {
    const speech = path.join(tmp.dir, 'speech-gate.onnx');
    fs.writeFileSync(speech, awkwardModelFiles()['speech-gate.onnx']!);
    // The model frames the audio by 64 samples: 100 cannot be framed.
    const bad = await bench([speech], { iterations: '2', warmup: '0', dim: ['samples=100'] }, true);
    expect(bad.code).toBeInstanceOf(StudioError);
    expect((bad.code as StudioError).code).toBe('BAD_INPUT');
    expect((bad.code as StudioError).message).toMatch(/audio float32 \[1, 100\], sr int64 \[1\]/);
    // Nothing set: the app's guesses (one second at the 16000 Hz guessed for sr) run, each said.
    const guessed = await bench([speech], { iterations: '2', warmup: '0' }, true);
    expect(guessed.code, guessed.stderr).toBe(0);
    expect(guessed.stderr).toMatch(/^warning: dim 'samples' of input 'audio' was guessed as 16000 \(/m);
    expect(guessed.stderr).toMatch(
      /^warning: Synthetic data filled 'sr' \(int64\) with 16000 \(a sample rate/m,
    );
    const good = await bench(
      [speech],
      { iterations: '2', warmup: '0', dim: ['samples=16000'], value: ['sr=16000'] },
      true,
    );
    expect(good.code).toBe(0);
    const json = JSON.parse(good.stdout) as { results: { inputs: unknown }[] };
    expect(json.results[0]?.inputs).toEqual([
      { name: 'audio', dtype: 'float32', shape: [1, 16000] },
      // The value set is in the record: a run at another sr has the same shapes.
      { name: 'sr', dtype: 'int64', shape: [1], values: { kind: 'constant', value: 16000 } },
    ]);
    const malformed = await bench([speech], { value: ['sr=abc'] }, true);
    expect((malformed.code as StudioError).message).toMatch(/--value expects INPUT=VALUE, INPUT=MIN:MAX/);
  });

  it('a model onnxruntime refuses to load is a user error (MODEL_INVALID) naming the reason', async () => {
    const broken = buildMlp();
    broken.graph!.node[0]!.input[0] = 'ghost';
    const file = path.join(tmp.dir, 'ghost-input.onnx');
    fs.writeFileSync(file, modelBytes(broken));
    const r = await bench([file], { iterations: '2', warmup: '0' }, true);
    expect(r.code).toBeInstanceOf(StudioError);
    expect((r.code as StudioError).code).toBe('MODEL_INVALID');
    expect((r.code as StudioError).message).toMatch(/onnxruntime cannot load .*ghost-input\.onnx: .*ghost/);
  });

  it('--json prints one object with results[] and comparisons[] as in docs/cli.md', async () => {
    const r = await bench([mlp, cnn], { iterations: '8', warmup: '1', threads: '1' }, true);
    expect(r.code).toBe(0);
    // The mlp's batch dim is symbolic, the cnn's shape fixed: one warning on stderr, naming the model it is
    // about; nothing else is printed there.
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^warning: mlp\.onnx: dim 'batch' of input 'input' was guessed as 1 \(batch: one sample per run\) because nothing set it/,
      ),
    ]);
    const json = JSON.parse(r.stdout) as {
      results: Record<string, unknown>[];
      comparisons: Record<string, unknown>[];
      processPeakRssBytes?: unknown;
    };
    expect(json.results).toHaveLength(2);
    // The two models share one engine process: its peak is said once, not as each model's own.
    expect(json.processPeakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    for (const result of json.results) {
      for (const key of [
        'model',
        'ep',
        'threads',
        'initMs',
        'firstRunMs',
        'iterations',
        'meanMs',
        'stdMs',
        'minMs',
        'p50Ms',
        'p90Ms',
        'p95Ms',
        'p99Ms',
        'maxMs',
        'throughput',
      ]) {
        expect(result).toHaveProperty(key);
      }
      expect(result).not.toHaveProperty('peakRssBytes');
      expect(result.iterations).toBe(8);
      expect(result.threads).toBe(1);
      expect(result).not.toHaveProperty('profile');
    }
    expect(json.comparisons).toEqual([
      expect.objectContaining({
        model: cnn,
        baseline: mlp,
        p50Ratio: expect.any(Number),
        sizeRatio: fs.statSync(cnn).size / fs.statSync(mlp).size,
        // Judged against the run's noise, with tune's field and values.
        latencyVerdict: expect.stringMatching(/^(faster|slower|same)$/),
      }),
    ]);
  });

  it('shapes symbolic dims with --dim and leaves comparisons out for one model', async () => {
    const r = await bench([mlp], { iterations: '3', warmup: '0', dim: ['batch=4'] }, true);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      results: { inputs: unknown; peakRssBytes?: unknown }[];
      comparisons?: unknown;
      processPeakRssBytes?: unknown;
      notes: string[];
    };
    expect(json.results[0]?.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [4, 16] }]);
    expect(json.comparisons).toBeUndefined();
    // Alone in the process, the peak is the model's own.
    expect(json.results[0]?.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(json.processPeakRssBytes).toBeUndefined();
    expect(json.notes.join('\n')).not.toMatch(/dim 'batch'/);
  });

  it('prints a readable table with ratios, the defaulted dims and the spinning setting', async () => {
    const r = await bench([mlp, cnn], { iterations: '4', warmup: '0', profile: true });
    expect(r.code).toBe(0);
    // No per-model peak: the process's, once, under the table.
    expect(r.stdout).toMatch(/Model\s+Init ms\s+First ms\s+Runs\s+Mean\s+Std\s+Min\s+p50\s+p90\s+p95\s+p99\s+Max\s+Runs\/s\n/);
    expect(r.stdout).toMatch(/^Peak RSS of the benchmark process \(all 2 models loaded\): [\d.]+ MiB$/m);
    expect(r.stdout).toMatch(/cnn\.onnx\s+\d+\.\d+x(, (within noise|slower|unreliable run))?\s+1\.\d+x/);
    expect(r.stdout).toMatch(/thread spinning off/);
    expect(r.stdout).toMatch(
      /dim 'batch' of input 'input' was guessed as 1 \(batch: one sample per run\) because nothing set it/,
    );
    expect(r.stdout).toMatch(/Profile of cnn\.onnx/);
    expect(r.stdout).toMatch(/Percentiles interpolate linearly/);
    const trace = /trace: (\S+)\)/.exec(r.stdout)?.[1];
    if (trace) fs.rmSync(path.dirname(trace), { recursive: true, force: true });
  });

  it("prints a decoder's 8 alike cache inputs as one row, and lists each in --json", async () => {
    const decoder = path.join(tmp.dir, 'decoder_with_past_model.onnx');
    fs.writeFileSync(decoder, modelBytes(buildKvCacheLayers(4)));
    const text = await bench([decoder], { iterations: '2', warmup: '0' });
    expect(text.code, text.stderr).toBe(0);
    const table = text.stdout.split('\n\n')[1]!.split('\n');
    expect(table.slice(2).map((row) => row.split(/ {2,}/).slice(0, 3))).toEqual([
      ['input_ids', 'int64', '[1, 128]'],
      ['attention_mask', 'int64', '[1, 128]'],
      ['past_key_values.0..3.key/value (8 inputs)', 'float32', '[1, 2, 0, 8]'],
    ]);
    const json = await bench([decoder], { iterations: '2', warmup: '0' }, true);
    const { results } = JSON.parse(json.stdout) as { results: { inputs: { name: string }[] }[] };
    expect(results[0]!.inputs.map((i) => i.name)).toHaveLength(10);
  });

  it('keeps the Peak RSS column for a model benchmarked alone: the peak is its own', async () => {
    const r = await bench([cnn], { iterations: '2', warmup: '0' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Runs\/s\s+Peak RSS\n/);
    expect(r.stdout).not.toMatch(/Peak RSS of the benchmark process/);
  });

  it('refuses wrong flags and unavailable providers with one clear user error', async () => {
    const both = await bench([mlp], { iterations: '3', duration: '1' });
    expect(both.code).toBeInstanceOf(StudioError);
    expect((both.code as StudioError).code).toBe('BAD_REQUEST');
    const ep = await bench([mlp], { ep: 'tpu' });
    expect((ep.code as StudioError).message).toMatch(
      /--ep must be one of cpu, webgpu, cuda, tensorrt, dml, coreml/,
    );
    const foreign = process.platform === 'darwin' ? 'dml' : 'coreml';
    const missing = await bench([mlp], { ep: foreign, iterations: '1' });
    expect((missing.code as StudioError).code).toBe('BAD_REQUEST');
    expect((missing.code as StudioError).message).toMatch(/not available here/);
    const none = await bench([], {});
    expect((none.code as StudioError).message).toMatch(/Missing MODEL/);
    // Too many samples is said by the flag, with the limit, not as the engine's settings field.
    const many = await bench([mlp], { samples: '5000', data: 'synthetic' });
    expect((many.code as StudioError).message).toBe(
      '--samples: a benchmark holds at most 1024 inputs in memory and cycles through them; got 5000. Give 1024 or fewer.',
    );
  });

  it('--list-providers --json lists every provider', async () => {
    const r = await bench([], { 'list-providers': true }, true);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { providers: { name: string; available: boolean }[] };
    expect(json.providers.map((p) => p.name)).toEqual(['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml']);
    expect(json.providers[0]?.available).toBe(true);
  });
});
