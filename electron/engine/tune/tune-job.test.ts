import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpz } from '../datasets/npz-writer.js';
import type { TuneJobResult } from '../../../shared/job-results.js';
import type { StudioBackend } from '../jobs/studio-backend.js';
import { modelBytes } from '../testing/model-fixtures.js';
import { buildCustomOpModel } from '../testing/awkward-models.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { writeOutlierMlpCase } from '../testing/tune-fixtures.js';

/*
 * The app's Auto-optimize (a `tune` job) refuses what would fail every trial alike before it starts the search,
 * as `onnx-studio tune` does: here, an execution provider this machine lacks, and a model onnxruntime cannot
 * load.
 */

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
let backend: StudioBackend;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-tune-job-');
  files = writeOutlierMlpCase(tmp.dir, { samples: 8 });
  backend = testBackend(tmp.dir);
});
afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

describe('the app’s tune job', () => {
  it('refuses an execution provider this machine lacks before the search, saying what to do', async () => {
    const missing = process.platform === 'win32' ? 'coreml' : 'dml';
    const error = await backend.runner
      .run(
        {
          kind: 'tune',
          modelPath: files.model,
          options: { minCosine: 0.9, ep: missing },
          evaluation: { spec: { kind: 'npy', path: path.basename(files.data) }, baseDir: tmp.dir },
        },
        'Auto-optimize',
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    const message = (error as Error).message;
    expect(message).toContain(`The ${missing} execution provider is not available here`);
    // What to do in the app, not a command line.
    expect(message).toContain('start it again on cpu');
    expect(message).not.toContain('onnx-studio bench');
    // Refused up front: no trial job, and no tune run recorded in the workspace.
    expect(backend.jobs.list().map((j) => j.spec.kind)).toEqual(['tune']);
    const ws = await backend.store.get(files.model);
    expect(ws.tunes ?? []).toEqual([]);
    expect(ws.variants).toEqual([]);
  }, 60_000);

  it('refuses a model onnxruntime cannot load before the search, with its reason and advice', async () => {
    const custom = path.join(tmp.dir, 'custom-op.onnx');
    fs.writeFileSync(custom, modelBytes(buildCustomOpModel()));
    const before = backend.jobs.list().length;
    const error = await backend.runner
      .run(
        {
          kind: 'tune',
          modelPath: custom,
          options: { minCosine: 0.9 },
          evaluation: { spec: { kind: 'synthetic', samples: 4, seed: 0 } },
        },
        'Auto-optimize',
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_INVALID' });
    const message = (error as Error).message;
    expect(message).toContain(`onnxruntime cannot load ${custom}: Fatal error: com.acme:FancyAct(-1)`);
    expect(message).toContain("FancyAct of domain 'com.acme', a custom operator onnxruntime does not know");
    // Refused up front: no trial job, and no tune run recorded in the workspace.
    expect(
      backend.jobs
        .list()
        .slice(before)
        .map((j) => j.spec.kind),
    ).toEqual(['tune']);
    const ws = await backend.store.get(custom);
    expect(ws.tunes ?? []).toEqual([]);
    expect(ws.variants).toEqual([]);
  }, 60_000);

  it('refuses an accuracy budget on data that turns out to have no labels, before any trial', async () => {
    // An .npz may hold a 'labels' array: taken at its word until it is opened, then refused, naming the data.
    const npz = path.join(tmp.dir, 'inputs-only.npz');
    fs.writeFileSync(npz, encodeNpz({ input: fs.readFileSync(files.data) }));
    const before = backend.jobs.list().length;
    const error = await backend.runner
      .run(
        {
          kind: 'tune',
          modelPath: files.model,
          options: { maxAccuracyDrop: 1 },
          evaluation: { spec: { kind: 'npz', path: npz } },
        },
        'Auto-optimize',
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((error as Error).message).toMatch(
      /An accuracy budget needs labels, and the evaluation data \/.*inputs-only\.npz \(input\) has none\. Give data with labels /,
    );
    expect((error as Error).message).not.toContain('--');
    // No trial job ran: only the tune job itself (and its inspection of the model).
    const kinds = backend.jobs
      .list()
      .slice(before)
      .map((j) => j.spec.kind);
    expect(kinds.filter((k) => k !== 'tune' && k !== 'inspect')).toEqual([]);
  }, 60_000);

  it('chooses nothing when cancelled: the best trial so far keeps its trial name, not "tuned: ..."', async () => {
    // As `onnx-studio tune` writes nothing on Ctrl+C: only a search that ended chooses (tune-search.ts).
    const started = backend.jobs.start({
      kind: 'tune',
      modelPath: files.model,
      options: { minCosine: 0.9, objective: 'size', maxTrials: 8, iterations: 10 },
      evaluation: { spec: { kind: 'npy', path: path.basename(files.data) }, baseDir: tmp.dir },
      calibration: { spec: { kind: 'npy', path: path.basename(files.calib) }, baseDir: tmp.dir },
    });
    const before = (await backend.store.get(files.model)).tunes?.length ?? 0;
    // Cancelled once a trial met the budget: the search would have chosen it had it ended then.
    for (;;) {
      const record = (await backend.store.get(files.model)).tunes?.[before];
      if (record?.trials.some((t) => t.meetsBudget && t.variantId)) break;
      expect(backend.jobs.list().find((j) => j.jobId === started.jobId)?.state).not.toMatch(
        /succeeded|failed/,
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    backend.jobs.cancel(started.jobId);
    expect(await started.done).toMatchObject({ type: 'cancelled' });
    const ws = await backend.store.get(files.model);
    const record = ws.tunes![before]!;
    expect(record.status).toBe('cancelled');
    expect(record.chosenVariantId).toBeUndefined();
    expect(record.outcome?.chosen).toBeUndefined();
    const best = record.trials.find((t) => t.meetsBudget && t.variantId)!;
    const variant = ws.variants.find((v) => v.id === best.variantId)!;
    expect(variant.name).not.toMatch(/^tuned: /);
    expect(ws.variants.filter((v) => v.name.startsWith('tuned: '))).toEqual([]);
  }, 120_000);

  it('benchmarks the size objective’s choice at the end, as the CLI does, and names its data', async () => {
    // A user test: the app's choice read "– p50" where the CLI's read "p50 1.331x (unreliable run)"; and the
    // outcome named no data.
    const result = await backend.runner.run<TuneJobResult>(
      {
        kind: 'tune',
        modelPath: files.model,
        options: { minCosine: 0.9, objective: 'size', maxTrials: 2, iterations: 10 },
        evaluation: { spec: { kind: 'npy', path: path.basename(files.data) }, baseDir: tmp.dir },
        calibration: { spec: { kind: 'npy', path: path.basename(files.calib) }, baseDir: tmp.dir },
      },
      'Auto-optimize',
    );
    const chosen = result.outcome.trials.find((t) => t.index === result.outcome.chosen)!;
    expect(chosen.p50Ratio).toBeGreaterThan(0);
    expect(chosen.latencyVerdict).toMatch(/^(faster|same|slower)$/);
    expect(result.outcome.data).toMatchObject({
      evaluation: { name: 'data.npy', samples: 8 },
      calibration: { name: 'calib.npy', samples: 8 },
    });
    expect(result.outcome.data!.evaluation.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The record the app draws holds the benchmarked trial and the same data.
    const record = (await backend.store.get(files.model)).tunes!.at(-1)!;
    expect(record.trials.find((t) => t.index === chosen.index)!.p50Ratio).toBe(chosen.p50Ratio);
    expect(record.data).toEqual({ evaluation: 'data.npy', calibration: 'calib.npy' });
  }, 120_000);
});
