import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSpecSchema, type JobSpec } from '../../../shared/ipc-contract.js';
import type { VariantJobResult } from '../../../shared/job-results.js';
import type { OutputFidelityInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import { tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import { compareToBaseline } from '../../../shared/bench-comparisons.js';
import { BENCH_DATASET_FEEDS } from '../../../shared/bench.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import type { StudioBackend } from '../jobs/studio-backend.js';
import { benchResult } from '../testing/bench-results.js';
import { buildMlp, modelBytes, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { addGuessNotes, backendTrialRunner } from './tune-runner.js';
import type { TuneJobs } from './tune-jobs.js';

/*
 * What a trial's quality is made of, from the evaluation job's figures per output: the cosine budget reads the
 * float outputs, and bool or integer outputs (a mask from Greater, a class id from ArgMax) are judged apart, by
 * their share of equal values.
 */

const output = (name: string, cosine: number, valueAgreement: number | null): OutputFidelityInfo => ({
  output: name,
  cosine,
  worstSampleCosine: cosine,
  sqnrDb: 30,
  maxAbsErr: 1,
  meanAbsErr: 0.1,
  top1Agreement: null,
  exact: false,
  valueAgreement,
});

/** A runner whose evaluation job reports these outputs. */
function runnerFor(outputs: OutputFidelityInfo[]) {
  const jobs: TuneJobs = {
    run: <T>(spec: JobSpec) => {
      expect(spec.kind).toBe('evaluate');
      return Promise.resolve({ report: { fidelity: { ...outputs[0]!, outputs } } } as T);
    },
    removeVariant: () => Promise.resolve(),
  };
  return backendTrialRunner({
    jobs,
    modelPath: 'model.onnx',
    options: tuneOptionsSchema.parse({ minCosine: 0.99 }),
    calibration: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '.' },
    evaluation: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '.' },
    inputs: {},
  });
}

describe('a trial’s quality from every output of the model', () => {
  it('takes the worst float cosine for the budget, and the bool or integer outputs’ agreement apart', async () => {
    // One flipped bit of 40 in 'pos' costs its cosine 0.974: it must not break a 0.99 budget on its own.
    const quality = await runnerFor([
      output('logits', 0.9999, null),
      output('half', 0.9998, null),
      output('pos', 0.974, 0.975),
      output('cls', 1, 1),
    ]).evaluate('v1');
    expect(quality).toEqual({ cosine: 0.9998, agreement: 0.975, discreteOutputs: ['pos', 'cls'] });
  });

  it('budgets the agreement where every output is bool or integer, and the cosine alone without them', async () => {
    expect(await runnerFor([output('cls', 0.99, 0.9)]).evaluate('v1')).toEqual({
      cosine: 0.9,
      agreement: 0.9,
      discreteOutputs: ['cls'],
      cosineIsAgreement: true,
    });
    expect(await runnerFor([output('y', 0.95, null)]).evaluate('v1')).toEqual({ cosine: 0.95 });
  });
});

describe('a trial’s latency from its benchmark job', () => {
  /** A runner whose benchmark job reports these samples (ms) for the original and the variant, judged as the engine judges them. */
  function benchedWith(original: number[], variant: number[]) {
    const results = [benchResult('model.onnx', original), benchResult('v1.onnx', variant)];
    const jobs: TuneJobs = {
      run: <T>(spec: JobSpec) => {
        expect(spec.kind).toBe('bench');
        return Promise.resolve({
          report: { results, comparisons: compareToBaseline(results, [original, variant]) },
          samples: [original, variant],
        } as T);
      },
      removeVariant: () => Promise.resolve(),
    };
    return backendTrialRunner({
      jobs,
      modelPath: 'model.onnx',
      options: tuneOptionsSchema.parse({ minCosine: 0.99, objective: 'latency' }),
      calibration: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '.' },
      evaluation: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '.' },
      inputs: {},
    });
  }
  const around = (median: number, spread: number) =>
    Array.from({ length: 60 }, (_, i) => median * (1 + spread * ((i % 10) / 9 - 0.5)));

  it('judges the ratio by the rule Compare uses: a quiet 10% gain is faster, the same gain in a wide spread is not', async () => {
    const quiet = await benchedWith(around(10, 0.04), around(9, 0.04)).bench('v1');
    expect(quiet.p50Ratio).toBeCloseTo(0.9, 2);
    expect(quiet.latencyVerdict).toBe('faster');
    // Runs spread over 60% of the median: half the IQR is more than the 10% gap.
    const noisy = await benchedWith(around(10, 0.6), around(9, 0.6)).bench('v1');
    expect(noisy.p50Ratio).toBeCloseTo(0.9, 1);
    expect(noisy.latencyVerdict).toBe('same');
    expect(noisy.latencyUnreliable).toBeUndefined();
    // A run whose middle half spans more than half the median says nothing at all: unreliable, not "same".
    const wild = await benchedWith(around(10, 1.6), around(14, 1.6)).bench('v1');
    expect(wild.latencyVerdict).toBe('same');
    expect(wild.latencyUnreliable).toBe(true);
  });
});

describe('a trial’s benchmark on the evaluation data', () => {
  it('feeds the benchmark the evaluation data, as bench --data does, and keeps what its jobs guessed', async () => {
    // A user test: every trial of a decoder failed, benchmarked at a guessed sequence of 128 beyond its
    // 64-row position table, though its --data was of length 32; the guess was said nowhere.
    const evaluation = { spec: { kind: 'npz' as const, path: 'x.npz' }, baseDir: '/data' };
    const guess =
      "dim 'seq' of input 'ids' was guessed as 128 because nothing set it: the figures are for that size.";
    const specs: JobSpec[] = [];
    const results = [benchResult('model.onnx', [10, 10, 10]), benchResult('v1.onnx', [9, 9, 9])];
    const jobs: TuneJobs = {
      run: <T>(spec: JobSpec) => {
        specs.push(spec);
        const notes = [guess, 'profiling is on'];
        return Promise.resolve(
          (spec.kind === 'bench'
            ? { report: { results, comparisons: [], notes }, samples: [] }
            : { report: { fidelity: { ...output('y', 0.999, null), outputs: [] }, notes } }) as T,
        );
      },
      removeVariant: () => Promise.resolve(),
    };
    const runner = backendTrialRunner({
      jobs,
      modelPath: '/m/model.onnx',
      options: tuneOptionsSchema.parse({ minCosine: 0.99 }),
      calibration: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '.' },
      evaluation,
      inputs: { dims: { batch: 1 } },
    });
    expect(runner.guesses?.()).toEqual([]);
    await runner.bench('v1');
    await runner.evaluate('v1');
    const bench = specs.find((s) => s.kind === 'bench');
    expect(bench).toMatchObject({
      kind: 'bench',
      targets: ['original', 'v1'],
      dims: { batch: 1 },
      data: { kind: 'dataset', data: evaluation, maxSamples: BENCH_DATASET_FEEDS },
    });
    // Guesses only (other notes are the benchmark's own), each once though both jobs said it.
    expect(runner.guesses?.()).toEqual([guess]);
    const notes = ['Not fp16: a CPU computes float16 models in float32.', guess];
    addGuessNotes(notes, [guess, 'dim b guessed as 1 because nothing set it.']);
    expect(notes).toEqual([
      'dim b guessed as 1 because nothing set it.',
      'Not fp16: a CPU computes float16 models in float32.',
      guess,
    ]);
  });
});

describe('where a trial’s input sizes came from', () => {
  it('marks the quantize and evaluate jobs of a CLI tune as flags, and leaves the benchmark’s params unmarked', async () => {
    const specs: JobSpec[] = [];
    const jobs: TuneJobs = {
      run: <T>(spec: JobSpec) => {
        specs.push(spec);
        return Promise.resolve(
          (spec.kind === 'quantize'
            ? { variant: { id: 'v1' }, report: { outputBytes: 1 } }
            : spec.kind === 'bench'
              ? { report: { results: [benchResult('m', [2]), benchResult('v', [1])], comparisons: [] } }
              : { report: { fidelity: { ...output('y', 0.999, null), outputs: [] } } }) as T,
        );
      },
      removeVariant: () => Promise.resolve(),
    };
    const runner = backendTrialRunner({
      jobs,
      modelPath: '/m/model.onnx',
      options: tuneOptionsSchema.parse({ minCosine: 0.99 }),
      calibration: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '/m' },
      evaluation: { spec: { kind: 'synthetic', samples: 4 }, baseDir: '/m' },
      inputs: { shapes: {}, dims: { batch: 2 }, origin: 'flags' },
    });
    await runner.make({ kind: 'quantize', method: 'int8-static', common: {}, options: {} }, 'int8-static');
    await runner.evaluate('v1');
    await runner.bench('v1');
    const [quantize, evaluate, bench] = specs;
    expect(quantize).toMatchObject({ kind: 'quantize', dims: { batch: 2 }, inputsOrigin: 'flags' });
    expect(evaluate).toMatchObject({ kind: 'evaluate', dims: { batch: 2 }, inputsOrigin: 'flags' });
    expect(bench).toMatchObject({ kind: 'bench', dims: { batch: 2 } });
    expect(bench).not.toHaveProperty('inputsOrigin');
    // Each is a job the IPC contract accepts (a benchmark's spec has no origin to give).
    for (const spec of specs) expect(jobSpecSchema.safeParse(spec).success).toBe(true);
  });

  describe('on the studio’s jobs', () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let backend: StudioBackend;
    let model: string;
    const calibration = { spec: { kind: 'npy' as const, path: 'calib.npy' }, baseDir: '' };
    beforeAll(() => {
      tmp = makeTempDir('onnx-studio-tune-origin-');
      backend = testBackend(tmp.dir);
      model = path.join(tmp.dir, 'mlp.onnx');
      // Inputs [batch, 16]; the data's samples are [16], fed one per run: batch 1, not the 2 set below.
      fs.writeFileSync(model, modelBytes(buildMlp()));
      fs.writeFileSync(
        path.join(tmp.dir, 'calib.npy'),
        encodeNpyArray(randomFloats(4 * 16, 3), 'float32', [4, 16]),
      );
      calibration.baseDir = tmp.dir;
    });
    afterAll(async () => {
      await backend.dispose();
      tmp.cleanup();
    });
    const trialOf = (origin: 'flags' | 'app') =>
      backendTrialRunner({
        jobs: backend.runner,
        modelPath: model,
        options: tuneOptionsSchema.parse({ minCosine: 0.99 }),
        calibration,
        evaluation: calibration,
        inputs: { dims: { batch: 2 }, origin },
      }).make({ kind: 'quantize', method: 'int8-static', common: {}, options: {} }, 'int8-static');

    it('a CLI tune’s trial holds the data to --dim, and its message names the flag', async () => {
      // Before, every task read its sizes as the app's: the data's batch of 1 won, with a note naming the Model view.
      await expect(trialOf('flags')).rejects.toThrow(
        /--dim batch=2 makes dim 'batch' 2, but .*Leave out --dim batch=2/,
      );
    }, 60_000);

    it('an app job’s sizes give way to the data, with a note naming the Model view', async () => {
      await trialOf('app');
      const made = await backend.runner.run<VariantJobResult<QuantizeReportInfo>>(
        {
          kind: 'quantize',
          modelPath: model,
          method: 'int8-static',
          calibration,
          dims: { batch: 2 },
        },
        'Quantization',
      );
      const note = made.report.notes.find((n) => n.includes("dim 'batch'"));
      expect(note).toContain("not the 2 the Model view's input spec sets");
      expect(note).not.toContain('--dim');
    }, 60_000);

    it('a job that names flags but gives no sizes runs with the experiment’s, named as the app’s', async () => {
      const set = await backend.dispatch('studio:experiment.set', {
        modelPath: model,
        inputs: { shapes: { input: [2, 16] } },
      });
      expect(set.ok).toBe(true);
      const made = await backend.runner.run<VariantJobResult<QuantizeReportInfo>>(
        { kind: 'quantize', modelPath: model, method: 'int8-static', calibration, inputsOrigin: 'flags' },
        'Quantization',
      );
      expect(made.report.notes.find((n) => n.includes("dim 'batch'"))).toContain(
        "the Model view's input spec",
      );
    }, 60_000);
  });
});
