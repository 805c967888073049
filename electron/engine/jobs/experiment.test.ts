/**
 * The experiment through the real backend: an input spec set once is what every job of the model feeds, data
 * is checked against the model before anything is queued, figures record what produced them, and a model
 * that cannot run on its inputs fails with a typed error naming them, never as a bug of ours.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatasetCheckProgress, JobResultEvent, JobFailedEvent, JobSpec } from '../../../shared/ipc-contract.js';
import type { Workspace } from '../../../shared/workspace.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { awkwardModelFiles } from '../testing/awkward-models.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import { sampleModel } from './sample-model.js';
import { StudioBackend } from './studio-backend.js';

const sample = tinyDigits();
let tmp: ReturnType<typeof makeTempDir>;
let backend: StudioBackend;
let digits: string;
let textLine: string;
let speech: string;

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-experiment-');
  for (const [name, bytes] of Object.entries(awkwardModelFiles())) fs.writeFileSync(path.join(tmp.dir, name), bytes);
  textLine = path.join(tmp.dir, 'text-line.onnx');
  speech = path.join(tmp.dir, 'speech-gate.onnx');
  digits = path.join(tmp.dir, 'digits.onnx');
  fs.copyFileSync(sample.modelPath, digits);
  fs.copyFileSync(sample.inputsPath, path.join(tmp.dir, 'inputs.npy'));
  fs.copyFileSync(sample.labelsPath, path.join(tmp.dir, 'labels.npy'));
  // Labels of another task (ids up to 99) and a file with one label too few.
  fs.writeFileSync(path.join(tmp.dir, 'labels-100.npy'), encodeNpyArray(BigInt64Array.from({ length: 360 }, (_, i) => BigInt(i % 100)), 'int64', [360]));
  fs.writeFileSync(path.join(tmp.dir, 'labels-short.npy'), encodeNpyArray(BigInt64Array.from({ length: 359 }, () => 1n), 'int64', [359]));
  // Samples of the wrong size for the digits model (1x6x6 instead of 1x8x8).
  fs.writeFileSync(path.join(tmp.dir, 'small.npy'), encodeNpyArray(new Float32Array(4 * 36), 'float32', [4, 1, 6, 6]));
  backend = testBackend(tmp.dir);
});

afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

async function ok<T>(p: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function runJob(spec: JobSpec): Promise<JobResultEvent | JobFailedEvent> {
  const { done } = backend.jobs.start(spec);
  const end = await done;
  if (end.type === 'cancelled') throw new Error('cancelled');
  return end;
}

const npy = (file: string, labels?: string) => ({
  spec: { kind: 'npy' as const, path: path.join(tmp.dir, file), ...(labels ? { labels: path.join(tmp.dir, labels) } : {}) },
});

describe('the experiment on the backend', () => {
  it('keeps an input spec checked against the model, and every benchmark of the model feeds it', async () => {
    const refused = await backend.dispatch('studio:experiment.set', { modelPath: textLine, inputs: { shapes: { x: [1, 4, 48, 320] } } });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/'x': dim 1 is fixed to 3/) });

    const ws = await ok(backend.dispatch('studio:experiment.set', { modelPath: textLine, inputs: { shapes: { x: [1, 3, 48, 160] } }, confirmInputs: true }));
    expect(ws.experiment?.inputs).toEqual({ shapes: { x: [1, 3, 48, 160] } });
    expect(ws.experiment?.inputsConfirmedAt).toBeDefined();

    const end = await runJob({ kind: 'bench', modelPath: textLine, iterations: 3, warmup: 0 });
    expect(end.type).toBe('result');
    const after: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: textLine }));
    expect(after.benchmarks.at(-1)?.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 160] }]);
    // No warning about defaulted dims: the spec set them all.
    expect(after.benchmarks.at(-1)?.notes.join(' ')).not.toMatch(/because nothing set/);
  });

  it('names the inputs when a model cannot run on them, and runs once the spec fits', async () => {
    // A variant compared with the original on synthetic data (no labels: fidelity).
    const made = await runJob({ kind: 'quantize', modelPath: speech, method: 'int8-weight', common: {}, options: {} });
    expect(made.type).toBe('result');
    const variant = ((await ok(backend.dispatch('studio:workspace.get', { modelPath: speech }))) as Workspace).variants[0]!.id;
    const synthetic = { spec: { kind: 'synthetic' as const, samples: 4 } };
    const fidelity = { kind: 'evaluate' as const, modelPath: speech, target: variant, reference: 'original', data: synthetic };
    // Without a spec the jobs take the guesses the form is prefilled with, which fit; 100 samples cannot be
    // framed by 64.
    await ok(
      backend.dispatch('studio:experiment.set', {
        modelPath: speech,
        inputs: { shapes: { audio: [1, 100], sr: [1] }, values: { sr: { kind: 'constant', value: 16000 } } },
        confirmInputs: true,
      }),
    );
    const evalFailed = await runJob(fidelity);
    expect(evalFailed.type === 'failed' ? evalFailed.error.code : evalFailed.type).toBe('BAD_INPUT');
    const failed = await runJob({ kind: 'bench', modelPath: speech, iterations: 3, warmup: 0 });
    expect(failed.type).toBe('failed');
    if (failed.type === 'failed') {
      expect(failed.error.code).toBe('BAD_INPUT');
      expect(failed.error.message).toMatch(/audio float32 \[1, 100\], sr int64 \[1\]/);
      expect(failed.error.message).toMatch(/Node 'frame' \(Reshape\) failed/);
      expect(failed.error.message).not.toMatch(/bug/i);
    }
    // A variant's failure names it by its name, as the app does everywhere, not by its file in the workspace.
    const name = ((await ok(backend.dispatch('studio:workspace.get', { modelPath: speech }))) as Workspace).variants[0]!.name;
    const variantFailed = await runJob({ kind: 'bench', modelPath: speech, targets: [variant], iterations: 3, warmup: 0 });
    expect(variantFailed.type === 'failed' ? variantFailed.error.message : variantFailed.type).toMatch(
      new RegExp(`^${name} could not run on the inputs it was given`),
    );
    expect(variantFailed.type === 'failed' ? variantFailed.error.message : '').not.toMatch(/\.onnx/);
    await ok(
      backend.dispatch('studio:experiment.set', {
        modelPath: speech,
        inputs: { shapes: { audio: [1, 16000], sr: [1] }, values: { sr: { kind: 'constant', value: 16000 } } },
        confirmInputs: true,
      }),
    );
    const end = await runJob({ kind: 'bench', modelPath: speech, iterations: 3, warmup: 0 });
    expect(end.type).toBe('result');
    // Evaluations on synthetic data feed the spec too (they fed [1, 100] before, and failed).
    const evaluated = await runJob(fidelity);
    expect(evaluated.type).toBe('result');
    const ws: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: speech }));
    expect(ws.evaluations.at(-1)?.inputs).toEqual([
      { name: 'audio', dtype: 'float32', shape: [1, 16000] },
      { name: 'sr', dtype: 'int64', shape: [1] },
    ]);
    // The benchmark's record keeps the value sr was fed too: runs at 8000 and 16000 have the same shapes.
    expect(ws.benchmarks.at(-1)?.inputs).toEqual([
      { name: 'audio', dtype: 'float32', shape: [1, 16000] },
      { name: 'sr', dtype: 'int64', shape: [1], values: { kind: 'constant', value: 16000 } },
    ]);
  });

  it('checks data before it is used: counts, label range, shapes', async () => {
    const report = await ok(backend.dispatch('studio:dataset.check', { modelPath: digits, role: 'evaluation', data: npy('inputs.npy', 'labels.npy') }));
    expect(report).toMatchObject({ identity: { name: 'inputs.npy + labels.npy', samples: 360 }, labels: { count: 360, min: 0, max: 9, modelClasses: 10 } });
    expect(report.identity.sha256).toMatch(/^[0-9a-f]{64}$/);

    const range = await backend.dispatch('studio:dataset.check', { modelPath: digits, role: 'evaluation', data: npy('inputs.npy', 'labels-100.npy') });
    expect(range.ok ? undefined : range.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/labels-100\.npy holds class labels from 0 to 99, but the model scores 10 classes/) });
    const short = await backend.dispatch('studio:dataset.check', { modelPath: digits, role: 'evaluation', data: npy('inputs.npy', 'labels-short.npy') });
    expect(short.ok ? undefined : short.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/359 labels but .* 360 samples/) });
    const shape = await backend.dispatch('studio:dataset.check', { modelPath: digits, role: 'calibration', data: npy('small.npy') });
    expect(shape.ok ? undefined : shape.error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/Input 'input'/) });

    // A pipeline with the wrong labels is refused before any of its steps runs.
    const pipeline = await backend.dispatch('studio:pipeline.start', {
      make: { kind: 'quantize', modelPath: digits, method: 'int8-dynamic', common: {}, options: {} },
      evaluate: { data: npy('inputs.npy', 'labels-100.npy') },
    });
    expect(pipeline.ok).toBe(false);
    const ws: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: digits }));
    expect(ws.pipelines ?? []).toHaveLength(0);
    expect(ws.variants).toHaveLength(0);
  });

  it('cancels a data check in the engine by its id: the task stops reading and the check answers CANCELLED', async () => {
    // 20,000 labelled samples (the most a check reads): the task process takes a few hundred ms to read them.
    const samples = 20_000;
    fs.writeFileSync(path.join(tmp.dir, 'many-inputs.npy'), encodeNpyArray(new Float32Array(samples * 64), 'float32', [samples, 1, 8, 8]));
    fs.writeFileSync(path.join(tmp.dir, 'many-labels.npy'), encodeNpyArray(BigInt64Array.from({ length: samples }, (_, i) => BigInt(i % 10)), 'int64', [samples]));
    // The check task's own events, as the task process sends them (a request has no job events to listen to).
    const run = backend.tasks.run.bind(backend.tasks);
    // Fractions of the samples read (throttled to about 10 a second).
    const progress: number[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const spy = vi.spyOn(backend.tasks, 'run').mockImplementation((task, options) => {
      const running = run(task, {
        ...options,
        onEvent: (event) => {
          if (task.kind === 'checkDataset' && event.type === 'progress' && event.stage === 'checking') {
            progress.push(event.fraction);
          }
          options?.onEvent?.(event);
        },
      });
      // The task has been handed to the pool: cancel now. Waiting for a progress event instead raced the read on
      // a busy machine (the whole file could be read before the first throttled event), and the test hung.
      if (task.kind === 'checkDataset') started();
      return running;
    });
    try {
      const request = { modelPath: digits, role: 'evaluation' as const, data: npy('many-inputs.npy', 'many-labels.npy'), checkId: 'big' };
      const check = backend.dispatch('studio:dataset.check', request);
      const twice = await backend.dispatch('studio:dataset.check', request);
      expect(twice.ok ? undefined : twice.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('already running') });
      await running;
      expect(await ok(backend.dispatch('studio:dataset.cancelCheck', { checkId: 'big' }))).toEqual({ cancelled: true });
      const answer = await check;
      expect(answer.ok ? undefined : answer.error).toMatchObject({ code: 'CANCELLED', message: 'The data check was cancelled.' });
      // One task ran (the refused duplicate started none), and it stopped before it had read every sample.
      expect(spy.mock.calls.filter(([task]) => task.kind === 'checkDataset')).toHaveLength(1);
      expect(Math.max(...progress)).toBeLessThan(1);
      // Over: nothing to cancel under that id, which is not an error; the same check runs to its end uncancelled.
      expect(await ok(backend.dispatch('studio:dataset.cancelCheck', { checkId: 'big' }))).toEqual({ cancelled: false });
      const whole = await ok(backend.dispatch('studio:dataset.check', request));
      expect(whole).toMatchObject({ identity: { samples }, labels: { count: samples, min: 0, max: 9 } });
    } finally {
      spy.mockRestore();
    }
  });

  it('reports the progress of a check with an id, throttled, from 0 to every sample read', async () => {
    const samples = 20_000;
    fs.writeFileSync(path.join(tmp.dir, 'counted-inputs.npy'), encodeNpyArray(new Float32Array(samples * 64), 'float32', [samples, 1, 8, 8]));
    fs.writeFileSync(path.join(tmp.dir, 'counted-labels.npy'), encodeNpyArray(BigInt64Array.from({ length: samples }, (_, i) => BigInt(i % 10)), 'int64', [samples]));
    const events: DatasetCheckProgress[] = [];
    const off = backend.onEvent((e) => {
      if (e.channel === 'studio:dataset.checkProgress') events.push(e.payload);
    });
    try {
      const data = npy('counted-inputs.npy', 'counted-labels.npy');
      const started = Date.now();
      await ok(backend.dispatch('studio:dataset.check', { modelPath: digits, role: 'evaluation', data, checkId: 'counted' }));
      const tookMs = Date.now() - started;
      // "0 of 20,000" as soon as the file is open, "20,000 of 20,000" at the end, counts only growing between.
      expect(events[0]).toEqual({ checkId: 'counted', done: 0, total: samples, role: 'evaluation' });
      expect(events.at(-1)).toEqual({ checkId: 'counted', done: samples, total: samples, role: 'evaluation' });
      const dones = events.map((e) => e.done);
      expect(dones).toEqual([...dones].sort((a, b) => a - b));
      // Throttled in the task process (about 10 a second), not one message per sample.
      expect(events.length).toBeLessThanOrEqual(Math.ceil(tookMs / 100) + 2);
      // A check without an id reports to no one.
      events.length = 0;
      await ok(backend.dispatch('studio:dataset.check', { modelPath: digits, role: 'evaluation', data }));
      expect(events).toEqual([]);
    } finally {
      off();
    }
  });

  it('checks a pipeline\'s data under its checkId: progress, and cancelCheck stops it before any step', async () => {
    const model = path.join(tmp.dir, 'digits-pipeline.onnx');
    fs.copyFileSync(digits, model);
    const events: DatasetCheckProgress[] = [];
    const off = backend.onEvent((e) => {
      if (e.channel === 'studio:dataset.checkProgress') events.push(e.payload);
    });
    const run = backend.tasks.run.bind(backend.tasks);
    let handedOver!: () => void;
    const checking = new Promise<void>((resolve) => (handedOver = resolve));
    const spy = vi.spyOn(backend.tasks, 'run').mockImplementation((task, options) => {
      const running = run(task, options);
      if (task.kind === 'checkDataset') handedOver();
      return running;
    });
    try {
      const make = { kind: 'quantize' as const, modelPath: model, method: 'int8-dynamic', common: {}, options: {} };
      // A big evaluation set, cancelled while the first pipeline's check runs: neither pipeline was recorded or started.
      const big = backend.dispatch('studio:pipeline.start', {
        pipelines: [
          { make, evaluate: { data: npy('counted-inputs.npy', 'counted-labels.npy') } },
          { make, evaluate: { data: npy('inputs.npy', 'labels.npy') } },
        ],
        checkId: 'pipe',
      });
      await checking;
      expect(await ok(backend.dispatch('studio:dataset.cancelCheck', { checkId: 'pipe' }))).toEqual({ cancelled: true });
      expect(await ok(big)).toEqual({ started: [], failed: [], cancelled: true });
      expect((await ok(backend.dispatch('studio:workspace.get', { modelPath: model }))).pipelines ?? []).toEqual([]);
      expect(backend.jobs.list().filter((j) => j.spec.modelPath === model)).toEqual([]);

      // Uncancelled: the check reports under the id (naming the data), and the record does not keep the id.
      events.length = 0;
      spy.mockRestore();
      const outcome = await ok(backend.dispatch('studio:pipeline.start', { pipelines: [{ make, evaluate: { data: npy('inputs.npy', 'labels.npy') } }], checkId: 'pipe' }));
      expect(events.at(-1)).toEqual({ checkId: 'pipe', done: 360, total: 360, role: 'evaluation', item: 0 });
      expect(outcome).toMatchObject({ failed: [], cancelled: false });
      const record = outcome.started[0]!.pipeline;
      expect(record.request).not.toHaveProperty('checkId');
      for (const job of backend.jobs.list()) if (job.spec.modelPath === model) backend.jobs.cancel(job.jobId);
      // Cancelled jobs may not have started yet: the pipeline settles before the temp folder goes.
      await backend.pipelines.whenSettled(record.id);
    } finally {
      spy.mockRestore();
      off();
    }
  });

  it('reads the data once for the page\'s check and the checks of the pipelines it queues, until a file changes', async () => {
    const model = path.join(tmp.dir, 'digits-reuse.onnx');
    fs.copyFileSync(digits, model);
    fs.copyFileSync(path.join(tmp.dir, 'inputs.npy'), path.join(tmp.dir, 'reuse-inputs.npy'));
    const data = npy('reuse-inputs.npy', 'labels.npy');
    const events: DatasetCheckProgress[] = [];
    const off = backend.onEvent((e) => {
      if (e.channel === 'studio:dataset.checkProgress') events.push(e.payload);
    });
    const spy = vi.spyOn(backend.tasks, 'run');
    const checkTasks = () => spy.mock.calls.filter(([task]) => task.kind === 'checkDataset').length;
    const started: string[] = [];
    try {
      const report = await ok(backend.dispatch('studio:dataset.check', { modelPath: model, role: 'evaluation', data, checkId: 'page' }));
      expect(checkTasks()).toBe(1);
      const make = { kind: 'quantize' as const, modelPath: model, method: 'int8-dynamic', common: {}, options: {} };
      const three = [0, 1, 2].map(() => ({ make, evaluate: { data } }));
      const outcome = await ok(backend.dispatch('studio:pipeline.start', { pipelines: three, checkId: 'q' }));
      started.push(...outcome.started.map((s) => s.pipeline.id));
      expect(started).toHaveLength(3);
      expect(checkTasks()).toBe(1);
      // Each reused check still shows the page its counts, from 0 to every sample, naming the pipeline.
      expect(events.filter((e) => e.checkId === 'q' && e.item === 2)).toEqual([
        { checkId: 'q', done: 0, total: 360, role: 'evaluation', item: 2 },
        { checkId: 'q', done: 360, total: 360, role: 'evaluation', item: 2 },
      ]);
      expect(await ok(backend.dispatch('studio:dataset.check', { modelPath: model, role: 'evaluation', data }))).toEqual(report);
      expect(checkTasks()).toBe(1);

      // The data file touched: read again.
      const file = path.join(tmp.dir, 'reuse-inputs.npy');
      const { atime, mtime } = fs.statSync(file);
      fs.utimesSync(file, atime, new Date(mtime.getTime() + 5_000));
      await ok(backend.dispatch('studio:dataset.check', { modelPath: model, role: 'evaluation', data }));
      expect(checkTasks()).toBe(2);
    } finally {
      spy.mockRestore();
      off();
      // The tiny model's pipelines end in a moment: none is left writing its workspace when the folder goes.
      await Promise.all(started.map((id) => backend.pipelines.whenSettled(id)));
    }
  });

  it('records the dataset of an evaluation, named as the experiment names it', async () => {
    await ok(backend.dispatch('studio:experiment.set', { modelPath: digits, datasets: { evaluation: { name: 'digits test', data: npy('inputs.npy', 'labels.npy') } } }));
    const end = await runJob({ kind: 'evaluate', modelPath: digits, data: npy('inputs.npy', 'labels.npy') });
    expect(end.type).toBe('result');
    const ws: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: digits }));
    expect(ws.evaluations.at(-1)?.dataset).toMatchObject({ name: 'digits test', samples: 360 });
  });

  it('puts the fed shapes and the datasets in the report, and says when accuracies mix datasets', async () => {
    const textReport = await ok(backend.dispatch('studio:report.build', { modelPath: textLine }));
    expect(textReport.json.rows[0]?.latency?.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 160] }]);
    // Measured alike: one line above the table says on what, instead of a column repeating it.
    expect(textReport.html).toContain('Every row: Inputs: x float32 [1, 3, 48, 160].');

    // A variant evaluated on the first 100 samples only: another dataset than the original's.
    const made = await runJob({ kind: 'quantize', modelPath: digits, method: 'int8-dynamic', common: {}, options: {} });
    expect(made.type).toBe('result');
    const ws: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: digits }));
    const variant = ws.variants[0]!.id;
    const subset = { spec: { ...npy('inputs.npy', 'labels.npy').spec, limit: 100 } };
    const evaluated = await runJob({ kind: 'evaluate', modelPath: digits, target: variant, data: subset });
    expect(evaluated.type).toBe('result');
    const report = await ok(backend.dispatch('studio:report.build', { modelPath: digits }));
    expect(report.json.rows.map((r) => [r.dataset?.name, r.dataset?.samples])).toEqual([
      ['digits test', 360],
      ['inputs.npy + labels.npy', 100],
    ]);
    expect(report.json.rows[1]?.accuracyDelta).toBeUndefined();
    expect(report.html).toContain('These accuracies were measured on different datasets');
    // Datasets that differ get a column of their own.
    expect(report.html).toContain('<th>Data</th>');
  });

  it('gives the bundled sample its own datasets, and no other model any', async () => {
    const own: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: sample.modelPath }));
    expect(own.experiment?.datasets?.evaluation?.data).toEqual(sample.data);
    expect(own.experiment?.datasets?.calibration?.data).toEqual(sample.data);
    const other: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: textLine }));
    expect(other.experiment?.datasets).toBeUndefined();
  });

  it('calibrates the product sample on its own calibration images, not on its test set', async () => {
    const product = sampleModel()!;
    const own = new StudioBackend({
      dataDir: path.join(tmp.dir, 'product-data'),
      host: 'serve',
      version: '0.0.0-test',
      capabilities: { nativeDialogs: false, fileBrowser: true, upload: true },
    });
    try {
      const ws: Workspace = await ok(own.dispatch('studio:workspace.get', { modelPath: product.modelPath }));
      expect(ws.experiment?.inputs).toEqual({ shapes: { image: [1, 1, 32, 32] } });
      expect(ws.experiment?.datasets?.evaluation).toEqual({ name: 'digits test set (sample)', data: product.data });
      expect(ws.experiment?.datasets?.calibration?.name).toBe('digits calibration set (sample)');
      expect(ws.experiment?.datasets?.calibration?.data.spec).toEqual({ kind: 'npy', path: product.calibrationPath });
    } finally {
      await own.dispose();
    }
  });
});
