import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcEvents, JobSpec, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import type { MethodCatalog } from '../../../shared/method-catalog-types.js';
import type { QuantizeReportInfo } from '../../../shared/job-reports.js';
import type {
  BenchJobResult,
  EvaluateJobResult,
  ExportJobResult,
  VariantJobResult,
} from '../../../shared/job-results.js';
import type { Workspace } from '../../../shared/workspace.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { buildCustomOpModel } from '../testing/awkward-models.js';
import { modelBytes } from '../testing/model-fixtures.js';
import { testBackend } from '../testing/test-backend.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import type { StudioBackend } from './studio-backend.js';

const sample = tinyDigits();
let tmp: ReturnType<typeof makeTempDir>;
let backend: StudioBackend;
let model: string;

function makeBackend(): StudioBackend {
  return testBackend(tmp.dir);
}

async function run<T>(spec: JobSpec): Promise<TerminalJobEvent<T>> {
  const started = await backend.dispatch('studio:job.start', spec);
  if (!started.ok) throw new Error(started.error.message);
  return (await backend.jobs.whenDone(started.value.jobId)) as TerminalJobEvent<T>;
}

async function value<T>(spec: JobSpec): Promise<T> {
  const end = await run<T>(spec);
  if (end.type !== 'result') throw new Error(`${spec.kind} ended ${end.type}: ${JSON.stringify(end)}`);
  return end.result;
}

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-backend-');
  // A copy, so the workspace (keyed by path) is this test's own.
  model = path.join(tmp.dir, 'digits.onnx');
  fs.copyFileSync(sample.modelPath, model);
  backend = makeBackend();
});

afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

describe('StudioBackend', () => {
  it('describes every method with forms generated from the registries', async () => {
    const r = await backend.dispatch('studio:methods.list', {});
    expect(r.ok).toBe(true);
    const catalog = (r as { value: MethodCatalog }).value;
    expect(catalog.quantize.methods.map((m) => m.name)).toEqual(
      expect.arrayContaining(['int8-dynamic', 'int8-static', 'fp16', 'int4', 'int8-weight']),
    );
    const staticMethod = catalog.quantize.methods.find((m) => m.name === 'int8-static')!;
    expect(staticMethod.needsCalibration).toBe(true);
    expect(staticMethod.fields.find((f) => f.name === 'calibMethod')).toMatchObject({
      type: 'enum',
      choices: ['minmax', 'percentile', 'entropy'],
      default: 'percentile',
      required: false,
    });
    expect(catalog.quantize.commonFields.find((f) => f.name === 'perTensor')).toMatchObject({
      type: 'boolean',
      default: false,
      description: expect.any(String),
    });
    expect(catalog.prune.commonFields.find((f) => f.name === 'sparsity')).toMatchObject({
      type: 'number',
      required: true,
      minimum: 0,
      // 1 would remove every weight: the bound is exclusive.
      exclusiveMaximum: 1,
    });
    expect(catalog.datasets.find((d) => d.kind === 'images')?.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['path', 'preprocessing.resize', 'preprocessing.mean']),
    );
  });

  it("a variant calibrated on synthetic data is made again byte for byte by the command the app shows", async () => {
    // A model of its own: the next test lists the variants of `model`.
    const own = path.join(tmp.dir, 'again.onnx');
    fs.copyFileSync(model, own);
    const made = await value<VariantJobResult<QuantizeReportInfo>>({
      kind: 'quantize',
      modelPath: own,
      method: 'int8-static',
      calibration: { spec: { kind: 'synthetic', samples: 8, seed: 0 } },
      options: { calibMethod: 'minmax' },
    });
    const command = made.variant.cliCommand;
    expect(command).toMatch(/--calib-data synthetic --calib-samples 8/);
    // The paths of this test have no spaces: the command splits on them as a shell would.
    const args = command.replace(/^onnx-studio /, '').split(' ');
    const output = args[args.indexOf('-o') + 1]!;
    const { runCliInProcess } = await import('../../cli/testing/run-cli.js');
    const again = await runCliInProcess([...args, '--force']);
    expect(again.code, again.stderr).toBe(0);
    // The CLI recorded the sample count once, in the data's spec, as the app does (it added calibSamples too).
    expect(fs.readFileSync(output).equals(fs.readFileSync(made.variant.path))).toBe(true);
  });

  it('makes variants, measures them and records everything in the workspace, which survives a restart', async () => {
    const changes: IpcEvents['studio:workspace.changed'][] = [];
    backend.onEvent((e) => e.channel === 'studio:workspace.changed' && changes.push(e.payload));
    const dyn = await value<VariantJobResult<QuantizeReportInfo>>({
      kind: 'quantize',
      modelPath: model,
      method: 'int8-dynamic',
    });
    const stat = await value<VariantJobResult<QuantizeReportInfo>>({
      kind: 'quantize',
      modelPath: model,
      method: 'int8-static',
      calibration: sample.data,
      options: { calibSamples: 32, calibMethod: 'minmax' },
      name: 'static (minmax)',
    });
    expect(stat.variant.name).toBe('static (minmax)');
    for (const flag of [
      /--method int8-static/,
      /--calib-method minmax/,
      /--calib-samples 32/,
      /--calib-data \S+test-inputs\.npy/,
    ]) {
      expect(stat.variant.cliCommand).toMatch(flag);
    }
    const bench = await value<BenchJobResult>({
      kind: 'bench',
      modelPath: model,
      targets: ['original', dyn.variant.id],
      iterations: 30,
      warmup: 0,
    });
    expect(bench.report.results).toHaveLength(2);
    const evaluation = await value<EvaluateJobResult>({
      kind: 'evaluate',
      modelPath: model,
      target: stat.variant.id,
      data: sample.data,
      reference: 'original',
    });
    expect(evaluation.report.accuracy).toBeGreaterThan(0.9);
    expect(evaluation.report.fidelity?.top1Agreement).toBeGreaterThan(0.9);
    expect(changes.length).toBeGreaterThanOrEqual(4);

    // A new backend on the same data folder (the app restarted) sees the same workspace.
    const restarted = makeBackend();
    try {
      const r = await restarted.dispatch('studio:workspace.get', { modelPath: model });
      const ws = (r as { value: Workspace }).value;
      expect(ws.variants.map((v) => v.name)).toEqual(['int8-dynamic', 'static (minmax)']);
      expect(ws.benchmarks[0]!.results.map((x) => x.target)).toEqual(['original', dyn.variant.id]);
      expect(ws.benchmarks[0]!.results[0]!.samples).toHaveLength(30);
      expect(ws.evaluations[0]).toMatchObject({ target: stat.variant.id, reference: 'original' });
      const report = await restarted.dispatch('studio:report.build', { modelPath: model });
      expect(report.ok && report.value.json.rows.map((row) => row.name)).toEqual([
        'original',
        'int8-dynamic',
        'static (minmax)',
      ]);
    } finally {
      await restarted.dispose();
    }
  });

  it('stacks recipes on a variant, and renames and removes variants with their results', async () => {
    // A model of its own, so this workspace starts empty.
    const own = path.join(tmp.dir, 'stacked.onnx');
    fs.copyFileSync(sample.modelPath, own);
    const pruned = await value<VariantJobResult<QuantizeReportInfo>>({
      kind: 'prune',
      modelPath: own,
      method: 'magnitude',
      common: { sparsity: 0.3 },
    });
    const stacked = await value<VariantJobResult<QuantizeReportInfo>>({
      kind: 'quantize',
      modelPath: own,
      source: pruned.variant.id,
      method: 'int8-dynamic',
    });
    expect(stacked.variant).toMatchObject({ parent: pruned.variant.id, name: 'magnitude 30% + int8-dynamic' });
    expect(stacked.report.inputBytes).toBe(fs.statSync(pruned.variant.path).size);
    // The command makes the pruned model first, then quantizes that file.
    const [pruneLine, quantizeLine] = stacked.variant.cliCommand.split('\n');
    expect(pruneLine).toMatch(/^onnx-studio prune \S+stacked\.onnx -o (\S+) .*--sparsity 0\.3/);
    const prunedOutput = /-o (\S+)/.exec(pruneLine!)![1]!;
    expect(quantizeLine).toContain(`onnx-studio quantize ${prunedOutput} `);

    // onnxruntime runs the stacked variant, and it still answers like the original.
    const evaluation = await value<EvaluateJobResult>({
      kind: 'evaluate',
      modelPath: own,
      target: stacked.variant.id,
      data: sample.data,
      reference: 'original',
    });
    expect(evaluation.report.fidelity?.top1Agreement).toBeGreaterThan(0.8);

    const renamed = await backend.dispatch('studio:workspace.renameVariant', {
      modelPath: own,
      variantId: stacked.variant.id,
      name: '  pruned then int8  ',
    });
    expect(renamed.ok && renamed.value.name).toBe('pruned then int8');
    const clash = await backend.dispatch('studio:workspace.renameVariant', {
      modelPath: own,
      variantId: pruned.variant.id,
      name: 'pruned then int8',
    });
    // A rename to a taken name is refused (a new variant's name would get " (2)"; a typed one is not changed).
    expect(clash.ok).toBe(false);
    expect(!clash.ok && clash.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Another variant is named pruned then int8: choose another name.',
    });
    // Case aside, and what the app calls the original, are taken too (app user test 3, finding 9).
    for (const [name, message] of [
      ['Pruned Then INT8', 'Another variant is named pruned then int8: choose another name.'],
      ['the original', "'the original' is what the app calls the model you opened: choose another name."],
      ['Original', "'Original' is what the app calls the model you opened: choose another name."],
    ]) {
      const refused = await backend.dispatch('studio:workspace.renameVariant', {
        modelPath: own,
        variantId: pruned.variant.id,
        name,
      });
      expect(!refused.ok && refused.error.message).toBe(message);
    }

    // While a job reads the variant, removing it is refused with what to do.
    const started = await backend.dispatch('studio:job.start', {
      kind: 'bench',
      modelPath: own,
      targets: ['original', stacked.variant.id],
      durationMs: 60_000,
      warmup: 0,
    });
    if (!started.ok) throw new Error(started.error.message);
    const busy = await backend.dispatch('studio:workspace.removeVariant', {
      modelPath: own,
      variantId: stacked.variant.id,
    });
    expect(busy.ok).toBe(false);
    expect(!busy.ok && busy.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: /in use by a .*bench job.*cancel it/,
    });
    expect(fs.existsSync(stacked.variant.path)).toBe(true);
    await backend.dispatch('studio:job.cancel', { jobId: started.value.jobId });
    await backend.jobs.whenDone(started.value.jobId);
    await value<BenchJobResult>({
      kind: 'bench',
      modelPath: own,
      targets: ['original', stacked.variant.id],
      iterations: 5,
      warmup: 0,
    });
    const get = async () =>
      ((await backend.dispatch('studio:workspace.get', { modelPath: own })) as { value: Workspace }).value;
    const measuring = (ws: Workspace) => ({
      evaluations: ws.evaluations.filter((e) => e.target === stacked.variant.id).length,
      benchmarks: ws.benchmarks.flatMap((b) => b.results).filter((r) => r.target === stacked.variant.id)
        .length,
      originalBenchmarks: ws.benchmarks.flatMap((b) => b.results).filter((r) => r.target === 'original')
        .length,
    });
    expect(measuring(await get())).toEqual({ evaluations: 1, benchmarks: 1, originalBenchmarks: 1 });

    // Removing it deletes its file and every result that measured it; its parent and the original's stay.
    const removed = await backend.dispatch('studio:workspace.removeVariant', {
      modelPath: own,
      variantId: stacked.variant.id,
    });
    expect(removed.ok && removed.value.removed).toBe(true);
    expect(fs.existsSync(stacked.variant.path)).toBe(false);
    const ws = await get();
    expect(ws.variants.map((v) => v.id)).toEqual([pruned.variant.id]);
    expect(measuring(ws)).toEqual({ evaluations: 0, benchmarks: 0, originalBenchmarks: 1 });
    expect(fs.existsSync(pruned.variant.path)).toBe(true);
    const again = await backend.dispatch('studio:workspace.removeVariant', {
      modelPath: own,
      variantId: stacked.variant.id,
    });
    expect(again.ok && again.value.removed).toBe(false);
  });

  it('fails a job whose engine process crashed with ENGINE_CRASHED, then runs the next one in a fresh engine', async () => {
    const started = await backend.dispatch('studio:job.start', {
      kind: 'bench',
      modelPath: model,
      durationMs: 60_000,
      warmup: 0,
    });
    if (!started.ok) throw new Error(started.error.message);
    const jobId = started.value.jobId;
    // Wait until it is measuring, then kill the engine process from outside: a real crash.
    await new Promise<void>((resolve) => {
      const off = backend.jobs.onEvent((e) => {
        if (e.jobId === jobId && e.type === 'metric') {
          off();
          resolve();
        }
      });
    });
    const pid = backend.engine.pid!;
    process.kill(pid, 'SIGKILL');
    const end = await backend.jobs.whenDone(jobId)!;
    expect(end).toMatchObject({ type: 'failed', error: { code: 'ENGINE_CRASHED' } });
    expect((end as { error: { message: string } }).error.message).toMatch(
      /crashed \(SIGKILL\).*digits\.onnx.*phase: measuring/,
    );
    const next = await value<BenchJobResult>({ kind: 'bench', modelPath: model, iterations: 5, warmup: 0 });
    expect(next.report.results[0]!.iterations).toBe(5);
    expect(backend.engine.pid).not.toBe(pid);
  });

  it('cancels a running benchmark', async () => {
    const started = await backend.dispatch('studio:job.start', {
      kind: 'bench',
      modelPath: model,
      durationMs: 60_000,
      warmup: 0,
    });
    if (!started.ok) throw new Error(started.error.message);
    const jobId = started.value.jobId;
    await new Promise<void>((resolve) => {
      const off = backend.jobs.onEvent((e) => e.jobId === jobId && e.type === 'metric' && (off(), resolve()));
    });
    // A page that attaches now (a reload) gets the job's title, the one the page gave it, and its samples so far.
    const listed = await backend.dispatch('studio:job.list', {});
    const info = listed.ok ? listed.value.find((j) => j.jobId === jobId) : undefined;
    expect(info?.title).toBe('Benchmark original (onnxruntime-node, cpu)');
    expect(info?.metrics?.find((m) => m.name === 'latency/0')?.values.length).toBeGreaterThan(0);
    expect(await backend.dispatch('studio:job.cancel', { jobId })).toEqual({
      ok: true,
      value: { cancelled: true },
    });
    expect(await backend.jobs.whenDone(jobId)).toMatchObject({ type: 'cancelled' });
  });

  it('exports a variant with external data with its data file, and names that file', async () => {
    const { saveModel } = await import('../onnx/save-model.js');
    const { buildMlp } = await import('../testing/model-fixtures.js');
    const external = path.join(tmp.dir, 'ext', 'mlp.onnx');
    fs.mkdirSync(path.dirname(external));
    await saveModel(buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 }), external, {
      externalData: { thresholdBytes: 1024 },
    });
    const made = await value<VariantJobResult<QuantizeReportInfo>>({
      kind: 'quantize',
      modelPath: external,
      method: 'int8-weight',
    });
    expect(fs.existsSync(`${made.variant.path}.data`)).toBe(true);
    const out = path.join(tmp.dir, 'ext', 'small.onnx');
    const saved = await value<ExportJobResult>({ kind: 'export', modelPath: external, target: made.variant.id, outputPath: out });
    expect(saved).toMatchObject({ written: true, path: out, dataFile: `${out}.data` });
    expect(fs.existsSync(`${out}.data`)).toBe(true);

    // A data file of that name with no model beside it is the user's too: asked about, not replaced (app user
    // test 3, finding 1: the model's name alone was checked).
    const other = path.join(tmp.dir, 'ext', 'other.onnx');
    fs.writeFileSync(`${other}.data`, 'old data');
    const asked = await value<ExportJobResult>({ kind: 'export', modelPath: external, target: made.variant.id, outputPath: other });
    expect(asked).toEqual({ written: false, reason: 'exists', path: other, replaces: [`${other}.data`] });
    expect(fs.readFileSync(`${other}.data`, 'utf8')).toBe('old data');
    expect(fs.existsSync(other)).toBe(false);
    const replaced = await value<ExportJobResult>({
      kind: 'export',
      modelPath: external,
      target: made.variant.id,
      outputPath: other,
      overwrite: true,
    });
    expect(replaced).toMatchObject({ written: true, dataFile: `${other}.data` });
  });

  it('exports a model whose data file has another name than MODEL.onnx.data with its data', async () => {
    const { saveModel } = await import('../onnx/save-model.js');
    const { loadModel } = await import('../onnx/load-model.js');
    const { buildMlp } = await import('../testing/model-fixtures.js');
    const source = path.join(tmp.dir, 'named', 'mlp.onnx');
    fs.mkdirSync(path.dirname(source));
    await saveModel(buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 }), source, {
      externalData: { thresholdBytes: 1024, fileName: 'weights.bin' },
    });
    const elsewhere = path.join(tmp.dir, 'named-out');
    fs.mkdirSync(elsewhere);
    const out = path.join(elsewhere, 'copy.onnx');
    const saved = await value<ExportJobResult>({ kind: 'export', modelPath: source, target: 'original', outputPath: out });
    // A copy of the .onnx alone named weights.bin, which is not in the export's folder.
    expect(saved).toMatchObject({ written: true, path: out, dataFile: `${out}.data` });
    const exported = await loadModel(out);
    expect(exported.externalDataBytes).toBeGreaterThan(0);
  });

  it('exports atomically, and asks before replacing a file or the original', async () => {
    const ws = (await backend.dispatch('studio:workspace.get', { modelPath: model })) as { value: Workspace };
    const variant = ws.value.variants[0]!;
    const out = path.join(tmp.dir, 'exported.onnx');
    const first = await value<ExportJobResult>({
      kind: 'export',
      modelPath: model,
      target: variant.id,
      outputPath: out,
    });
    expect(first).toMatchObject({ written: true, path: out, bytes: variant.fileBytes });
    expect(fs.readFileSync(out).equals(fs.readFileSync(variant.path))).toBe(true);
    expect(
      await value<ExportJobResult>({ kind: 'export', modelPath: model, target: variant.id, outputPath: out }),
    ).toEqual({ written: false, reason: 'exists', path: out, replaces: [out] });
    const before = fs.readFileSync(model);
    expect(
      await value<ExportJobResult>({
        kind: 'export',
        modelPath: model,
        target: variant.id,
        outputPath: model,
        overwrite: true,
      }),
    ).toEqual({
      written: false,
      reason: 'original',
      path: model,
    });
    expect(fs.readFileSync(model).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to export to a folder, saying it is a folder, and titles exports by name and destination', async () => {
    const ws = (await backend.dispatch('studio:workspace.get', { modelPath: model })) as { value: Workspace };
    const variant = ws.value.variants[0]!;
    const folder = path.join(tmp.dir, 'exports');
    fs.mkdirSync(folder, { recursive: true });
    const end = await run({ kind: 'export', modelPath: model, target: variant.id, outputPath: folder });
    expect(end).toMatchObject({
      type: 'failed',
      error: { code: 'BAD_REQUEST', message: `${folder} is a folder; add a file name ending in .onnx, such as ${folder}/model.onnx.` },
    });
    const listed = await backend.dispatch('studio:job.list', {});
    const info = listed.ok ? listed.value.find((j) => j.jobId === end.jobId) : undefined;
    expect(info?.title?.startsWith(`Export ${variant.name} to `)).toBe(true);
    expect(info?.title).toMatch(/\/exports$/);
    expect(info?.title).not.toContain(variant.id);
  });

  it('reports a bad job with a message that says what to do', async () => {
    const end = await run({ kind: 'quantize', modelPath: model, method: 'int9-magic' });
    expect(end).toMatchObject({
      type: 'failed',
      error: {
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/Unknown quantization method 'int9-magic'. Choose one of/),
      },
    });
    const missing = await run({ kind: 'bench', modelPath: model, targets: ['v-gone'] });
    expect(missing).toMatchObject({
      type: 'failed',
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/no variant 'v-gone'.*Reload/) },
    });
  });

  it('checks in a task process whether onnxruntime can load a model, with its reason when it cannot', async () => {
    expect(await backend.dispatch('studio:model.loadCheck', { path: model })).toEqual({
      ok: true,
      value: { loadable: true },
    });
    const custom = path.join(tmp.dir, 'custom_op.onnx');
    fs.writeFileSync(custom, modelBytes(buildCustomOpModel()));
    const refused = await backend.dispatch('studio:model.loadCheck', { path: custom });
    expect(refused).toMatchObject({
      ok: true,
      value: {
        loadable: false,
        problem: {
          code: 'MODEL_INVALID',
          message: expect.stringMatching(/onnxruntime cannot load .*custom_op\.onnx.*FancyAct.*custom operator/),
        },
      },
    });
  });
});
