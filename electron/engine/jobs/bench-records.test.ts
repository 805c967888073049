/**
 * What a benchmark's record in the workspace says it fed: the dataset of an engine benchmark fed from data, and
 * the inputs of a browser benchmark the page stores. Compare reads both to tell whether a latency was measured
 * at the shapes the input spec gives now (input-spec.ts `measuredOffSpec`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import type { BenchJobResult } from '../../../shared/job-results.js';
import type { BenchRecord } from '../../../shared/workspace.js';
import { benchRecord } from '../../../renderer/src/state/test-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import type { StudioBackend } from './studio-backend.js';

const sample = tinyDigits();
let tmp: ReturnType<typeof makeTempDir>;
let backend: StudioBackend;
let model: string;

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-bench-records-');
  // A copy, so the workspace (keyed by path) is this test's own.
  model = path.join(tmp.dir, 'digits.onnx');
  fs.copyFileSync(sample.modelPath, model);
  backend = testBackend(tmp.dir);
});

afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

/** Runs a benchmark of the original and returns the record it left in the workspace. */
async function benchRecordOf(data?: Extract<JobSpec, { kind: 'bench' }>['data']): Promise<BenchRecord> {
  const started = await backend.dispatch('studio:job.start', {
    kind: 'bench',
    modelPath: model,
    iterations: 3,
    warmup: 0,
    ...(data ? { data } : {}),
  });
  if (!started.ok) throw new Error(started.error.message);
  const end = (await backend.jobs.whenDone(started.value.jobId)) as TerminalJobEvent<BenchJobResult>;
  if (end.type !== 'result') throw new Error(`bench ended ${end.type}: ${JSON.stringify(end)}`);
  const ws = await backend.dispatch('studio:workspace.get', { modelPath: model });
  if (!ws.ok) throw new Error(ws.error.message);
  return ws.value.benchmarks.find((b) => b.id === end.result.recordId)!;
}

describe('an engine benchmark fed from data', () => {
  it('records the dataset (its name, the samples the runs cycled through, its sha256)', async () => {
    const record = await benchRecordOf({ kind: 'dataset', data: sample.data, maxSamples: 4 });
    expect(record.dataset).toEqual({
      name: 'test-inputs.npy + test-labels.npy',
      samples: 4,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(record.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 1, 8, 8] }]);
    // The same data as an evaluation records: the one-file dataset's own hash.
    const evaluation = await backend.dispatch('studio:job.start', {
      kind: 'evaluate',
      modelPath: model,
      data: sample.data,
    });
    if (!evaluation.ok) throw new Error(evaluation.error.message);
    await backend.jobs.whenDone(evaluation.value.jobId);
    const ws = await backend.dispatch('studio:workspace.get', { modelPath: model });
    expect(ws.ok && ws.value.evaluations.at(-1)?.dataset?.sha256).toBe(record.dataset?.sha256);
  });

  it('counts the samples it had, when the data has fewer than the benchmark asked for', async () => {
    const limited = { spec: { kind: 'npy' as const, path: sample.inputsPath, limit: 3 } };
    const record = await benchRecordOf({ kind: 'dataset', data: limited, maxSamples: 8 });
    expect(record.dataset).toMatchObject({ name: 'test-inputs.npy', samples: 3 });
  });

  it('records none for synthetic feeds, a synthetic dataset included: the input spec shaped those', async () => {
    expect((await benchRecordOf()).dataset).toBeUndefined();
    expect((await benchRecordOf({ kind: 'synthetic', samples: 2, seed: 1 })).dataset).toBeUndefined();
    const synthetic = { spec: { kind: 'synthetic' as const, samples: 2, seed: 1 } };
    expect(
      (await benchRecordOf({ kind: 'dataset', data: synthetic, maxSamples: 2 })).dataset,
    ).toBeUndefined();
  });
});

describe('a browser benchmark the page stores', () => {
  const web = {
    modelPath: '',
    engine: 'onnxruntime-web' as const,
    provider: 'wasm',
    label: 'onnxruntime-web wasm',
    results: benchRecord('b', 'wasm', { original: 1 }, 'onnxruntime-web').results,
  };

  it('keeps the inputs the page fed, and still takes a record without them (a page from before)', async () => {
    const inputs = [{ name: 'input', dtype: 'float32', shape: [1, 1, 8, 8] }];
    const stored = await backend.dispatch('studio:workspace.addBenchRecord', {
      ...web,
      modelPath: model,
      inputs,
    });
    expect(stored.ok && stored.value.inputs).toEqual(inputs);
    const older = await backend.dispatch('studio:workspace.addBenchRecord', { ...web, modelPath: model });
    expect(older.ok && 'inputs' in older.value).toBe(false);
  });

  it('refuses inputs that are not shapes', async () => {
    const bad = await backend.dispatch('studio:workspace.addBenchRecord', {
      ...web,
      modelPath: model,
      inputs: [{ name: 'input', dtype: 'float32', shape: [1, -1] }],
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe('BAD_REQUEST');
  });
});
