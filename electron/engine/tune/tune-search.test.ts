import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import type { SensitivityRow } from '../../../shared/sensitivity.js';
import type { TuneTrial } from '../../../shared/tune.js';
import { StudioError } from '../errors.js';
import type { StudioBackend } from '../jobs/studio-backend.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { OUTLIER_CONSUMER, writeOutlierMlpCase } from '../testing/tune-fixtures.js';
import type { TuneCandidate } from './tune-candidates.js';
import { backendTrialRunner } from './tune-runner.js';
import { runTuneSearch, type TrialRunner, type TuneSearchRequest } from './tune-search.js';

/*
 * The search on real trials (studio jobs in a temporary workspace) of the outlier MLP, with int8-static as the
 * only candidate: it breaks a 0.995 cosine budget, and the fallback has to find the nodes to keep in float.
 */

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
let backend: StudioBackend;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-tune-search-');
  files = writeOutlierMlpCase(tmp.dir);
  backend = testBackend(tmp.dir);
});
afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

const int8Static: TuneCandidate = {
  name: 'int8-static',
  recipe: { kind: 'quantize', method: 'int8-static', common: {}, options: { calibMethod: 'percentile' } },
  sameAs: 'int8-static',
  sizeFloor: 0.25,
};

/**
 * A runner of no real trials: it makes every variant (400 bytes) and benchmarks it at p50 1 ms (x0.5), has no
 * ranking for the fallback, and evaluates nothing unless `stubs` say how.
 */
const stubRunner = (stubs: Partial<TrialRunner>): TrialRunner => ({
  make: (_recipe, name) => Promise.resolve({ variantId: name, bytes: 400 }),
  evaluate: () => Promise.reject(new Error('not reached')),
  bench: () => Promise.resolve({ p50Ms: 1, p50Ratio: 0.5 }),
  remove: () => Promise.resolve(),
  sensitivity: () => Promise.resolve([]),
  ...stubs,
});

/** A search over a stub runner: model.onnx of 1,000 bytes, a 0.99 cosine budget, int8-static unless told. */
const stubSearch = (
  objective: 'size' | 'latency',
  runner: TrialRunner,
  rest: Partial<Pick<TuneSearchRequest, 'candidates' | 'signal' | 'concurrency'>> = {},
) =>
  runTuneSearch({
    model: 'model.onnx',
    options: tuneOptionsSchema.parse({ minCosine: 0.99, objective }),
    budget: { kind: 'min-cosine', cosine: 0.99 },
    original: { bytes: 1000 },
    candidates: [int8Static],
    runner,
    ...rest,
  });

function search(signal?: AbortSignal, onTrial?: (t: TuneTrial, ended: boolean) => void) {
  const options = tuneOptionsSchema.parse({ minCosine: 0.995, objective: 'size', maxTrials: 12 });
  const data = (file: string) => ({
    spec: { kind: 'npy' as const, path: path.basename(file) },
    baseDir: tmp.dir,
  });
  const runner = backendTrialRunner({
    jobs: backend.runner,
    modelPath: files.model,
    options,
    calibration: data(files.calib),
    evaluation: data(files.data),
    inputs: {},
    ...(signal ? { signal } : {}),
  });
  return runTuneSearch({
    model: files.model,
    options,
    budget: { kind: 'min-cosine', cosine: 0.995 },
    original: { bytes: fs.statSync(files.model).size },
    candidates: [int8Static],
    runner,
    ...(signal ? { signal } : {}),
    ...(onTrial ? { onTrial } : {}),
  });
}

describe('tune search', () => {
  it('keeps the most sensitive nodes in float until the budget holds; more nodes never raise the error', async () => {
    const outcome = await search();
    const [plain, ...fallback] = outcome.trials;
    expect(plain!.meetsBudget).toBe(false);
    expect(fallback.length).toBeGreaterThan(0);
    expect(fallback.every((t) => t.fallback?.from === 0)).toBe(true);
    const chosen = outcome.trials[outcome.chosen!]!;
    expect(chosen.fallback).toBeDefined();
    expect(chosen.cosine!).toBeGreaterThanOrEqual(0.995);
    expect(chosen.sizeRatio!).toBeLessThan(0.97);
    // The consumer of the outlier activation is among the nodes put back, and it ranks first or second.
    expect(chosen.fallback!.floatNodes.some((n) => n.startsWith(OUTLIER_CONSUMER))).toBe(true);
    expect(outcome.sensitivity!.rows.slice(0, 2).some((r) => r.node.startsWith(OUTLIER_CONSUMER))).toBe(true);
    // Monotone: sorted by how many nodes are in float, the error (1 - cosine) never grows by more than 5%.
    const steps = [plain!, ...fallback].sort(
      (a, b) => (a.fallback?.floatNodes.length ?? 0) - (b.fallback?.floatNodes.length ?? 0),
    );
    for (let i = 1; i < steps.length; i++)
      expect(1 - steps[i]!.cosine!).toBeLessThanOrEqual((1 - steps[i - 1]!.cosine!) * 1.05);
    // The chosen k is the smallest that held: k - 1 was tried and broke the budget (or k is 1).
    const k = chosen.fallback!.floatNodes.length;
    if (k > 1) expect(fallback.find((t) => t.fallback!.floatNodes.length === k - 1)?.meetsBudget).toBe(false);
  }, 120_000);

  it('cancelled after the first trial: the finished trial is kept and the outcome says it was cancelled', async () => {
    const controller = new AbortController();
    const outcome = await search(controller.signal, (_t, ended) => {
      if (ended) controller.abort();
    });
    expect(outcome.stoppedBy).toBe('cancelled');
    expect(outcome.trials.length).toBe(1);
    expect(outcome.trials[0]!.status).toBe('done');
    expect(outcome.trials[0]!.cosine).toBeGreaterThan(0.9);
    // Stopped, not ended: neither a choice nor a closest miss (the budget was not missed, the search stopped).
    expect(outcome.chosen).toBeUndefined();
    expect(outcome.closest).toBeUndefined();
  }, 60_000);
});

describe('tune search: candidates of one structure', () => {
  it('does not start a candidate beside a running trial of the same structure, and skips it once that one meets the budget', async () => {
    const names = ['percentile', 'minmax'].map((m) => `int8-static ${m}`);
    const candidates: TuneCandidate[] = [
      ...names.map((name) => ({ ...int8Static, name })),
      {
        name: 'fp16',
        recipe: { kind: 'quantize', method: 'fp16', common: {}, options: {} },
        sameAs: 'fp16',
        sizeFloor: 0.5,
      },
    ];
    const made: string[] = [];
    const outcome = await stubSearch(
      'latency',
      stubRunner({
        make: async (_recipe, name) => {
          made.push(name);
          // The first trial takes a while: the second worker comes for a candidate meanwhile.
          if (name === names[0]) await new Promise((resolve) => setTimeout(resolve, 30));
          return { variantId: name, bytes: 400 };
        },
        evaluate: () => Promise.resolve({ cosine: 0.999 }),
      }),
      { candidates, concurrency: 2 },
    );
    expect(made).toEqual([names[0], 'fp16']);
    expect(outcome.notes).toContain(
      `Skipped ${names[1]}: '${names[0]}' has the same structure and already meets the budget.`,
    );
  });
});

describe('tune search whose trials all fail', () => {
  const candidates: TuneCandidate[] = ['percentile', 'minmax', 'entropy'].map((calibMethod) => ({
    ...int8Static,
    name: `int8-static ${calibMethod}`,
    recipe: { ...int8Static.recipe, options: { calibMethod } },
  }));
  /** A runner whose every variant fails to be made with the error `fail` gives for the trial's name. */
  const failing = (fail: (name: string) => Error): TrialRunner =>
    stubRunner({
      make: (_recipe, name) => Promise.reject(fail(name)),
      bench: () => Promise.reject(new Error('not reached')),
    });
  const searchWith = (runner: TrialRunner) => stubSearch('size', runner, { candidates });

  it('reports the user-input error they all failed with, not a budget miss', async () => {
    const message =
      "Input 'x': the model expects float32 [N, 3], but x.npy has float32 samples of shape [7].";
    const error = await searchWith(failing(() => new StudioError('BAD_INPUT', message))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BAD_INPUT');
    expect((error as StudioError).message).toContain(message);
  });

  it('takes failures to run that differ only in the variant they name as the same error, with its CLI hint', async () => {
    // As runFailure words them: the message names the variant, the detail is onnxruntime's own reason.
    const reason = 'Reshape: the input tensor cannot be reshaped to the requested shape.';
    const error = await searchWith(
      failing(
        (name) =>
          new StudioError('BAD_INPUT', `${name} could not run on the inputs it was given.`, {
            detail: reason,
            cliHint: 'Set them with --shape.',
          }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BAD_INPUT');
    expect((error as StudioError).cliHint).toBe('Set them with --shape.');
    // Another reason in one trial: not the same error, the outcome stands.
    let n = 0;
    const mixed = await searchWith(
      failing(
        (name) => new StudioError('BAD_INPUT', `${name} failed.`, { detail: n++ === 1 ? 'other' : reason }),
      ),
    );
    expect(mixed.trials.map((t) => t.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('keeps the outcome when the errors differ or are internal', async () => {
    const differ = await searchWith(failing((name) => new StudioError('BAD_REQUEST', `${name} is odd.`)));
    expect(differ.trials.map((t) => t.status)).toEqual(['failed', 'failed', 'failed']);
    const internal = await searchWith(failing(() => new StudioError('INTERNAL', 'The engine crashed.')));
    expect(internal.trials.every((t) => t.error === 'The engine crashed.')).toBe(true);
  });
});

describe('tune fallback over a ranking with unnamed nodes', () => {
  /** A row of the sensitivity table, as sensitivity.ts writes one. */
  const row = (node: string, dropDb: number, unnamed = false): SensitivityRow => ({
    node,
    opType: 'Conv',
    inputs: [`${node}_in`],
    localSqnrDb: 30,
    sqnrDb: 30,
    outputSqnrDb: 30 - dropDb,
    dropDb,
    ...(unnamed ? { unnamed: true as const } : {}),
  });

  it('keeps only named nodes in float (a label is no name --exclude-nodes takes) and says how many it left', async () => {
    const excluded: string[][] = [];
    const runner = stubRunner({
      make: (recipe, name) => {
        excluded.push((recipe.common.excludeNodes as string[] | undefined) ?? []);
        return Promise.resolve({ variantId: name, bytes: 400 });
      },
      // Every node in float still breaks the budget: the search probes as far as it can.
      evaluate: () => Promise.resolve({ cosine: 0.9 }),
      sensitivity: () =>
        Promise.resolve([row('(Conv y)', 9, true), row('conv_a', 6), row('conv_b', 3), row('conv_c', 1)]),
    });
    const outcome = await stubSearch('size', runner);
    const floatNodes = excluded.slice(1);
    expect(floatNodes.length).toBeGreaterThan(0);
    expect(floatNodes.flat()).not.toContain('(Conv y)');
    expect(floatNodes[0]).toEqual(['conv_a']);
    expect(outcome.notes.join('\n')).toContain(
      "1 of the nodes ranked for 'int8-static' have no name, so the fallback cannot keep them in float",
    );
  });
});

describe('tune search cancelled while two trials run', () => {
  it('lists no trial the cancel cut short (evaluated, not benchmarked) and names it in a note', async () => {
    const controller = new AbortController();
    const cancelled = () => new StudioError('CANCELLED', 'Cancelled.');
    /** Resolves when the signal aborts: a job cancelled under its caller. */
    const untilAborted = () =>
      new Promise<never>((_resolve, reject) =>
        controller.signal.addEventListener('abort', () => reject(cancelled()), { once: true }),
      );
    let benches = 0;
    const runner = stubRunner({
      evaluate: () => Promise.resolve({ cosine: 0.9999 }),
      // The first trial's benchmark is running when the second one's is cancelled; it is cancelled too, a
      // moment later (the jobs are cancelled one by one).
      bench: () => {
        benches++;
        if (benches === 2) {
          setTimeout(() => controller.abort(), 5);
          return Promise.reject(cancelled());
        }
        return untilAborted();
      },
    });
    const outcome = await stubSearch('latency', runner, {
      candidates: [int8Static, { ...int8Static, name: 'int8-dynamic', sameAs: 'int8-dynamic' }],
      signal: controller.signal,
    });
    expect(outcome.stoppedBy).toBe('cancelled');
    expect(outcome.trials).toEqual([]);
    expect(outcome.chosen).toBeUndefined();
    expect(outcome.closest).toBeUndefined();
    expect(outcome.notes).toContain(
      'Stopped before they finished, so not listed: #0 int8-static, #1 int8-dynamic.',
    );
  });

  it('a job that ends with another error once cancelled is an unfinished trial, not a failed one', async () => {
    const controller = new AbortController();
    const runner = stubRunner({
      evaluate: () => {
        controller.abort();
        return Promise.reject(new StudioError('INTERNAL', 'The task process exited.'));
      },
    });
    const outcome = await stubSearch('latency', runner, { signal: controller.signal, concurrency: 1 });
    expect(outcome.stoppedBy).toBe('cancelled');
    expect(outcome.trials).toEqual([]);
    expect(outcome.notes).toContain('Stopped before it finished, so not listed: #0 int8-static.');
  });
});

describe('tune search on latency: faster only beyond the benchmark’s noise', () => {
  const withBench = (bench: TrialRunner['bench']) =>
    stubRunner({ evaluate: () => Promise.resolve({ cosine: 0.999 }), bench });

  it('keeps a trial its benchmark judged faster, and none whose ratio is within the run’s noise', async () => {
    // x0.80 looks like a gain, but the run could not tell it from 1 (a noisy machine): Compare would say
    // "within noise", and so does tune: nothing is chosen.
    const noisy = await stubSearch(
      'latency',
      withBench(() => Promise.resolve({ p50Ms: 0.8, p50Ratio: 0.8, latencyVerdict: 'same' })),
    );
    expect(noisy.trials[0]).toMatchObject({ p50Ratio: 0.8, latencyVerdict: 'same', meetsBudget: true });
    expect(noisy.chosen).toBeUndefined();
    // x0.97 on a quiet run whose noise band lies below 1 counts, as it does in Compare.
    const quiet = await stubSearch(
      'latency',
      withBench(() => Promise.resolve({ p50Ms: 0.97, p50Ratio: 0.97, latencyVerdict: 'faster' })),
    );
    expect(quiet.chosen).toBe(0);
  });

  it('says a fallback was not tried because the trial is not faster beyond noise, when nothing meets the budget', async () => {
    const outcome = await stubSearch(
      'latency',
      stubRunner({
        evaluate: () => Promise.resolve({ cosine: 0.5 }),
        bench: () => Promise.resolve({ p50Ms: 0.98, p50Ratio: 0.98, latencyVerdict: 'same' }),
      }),
    );
    expect(outcome.notes).toContain(
      "No fallback from 'int8-static': even before nodes go back to float it is not faster than the original beyond its benchmark's noise (at least 5%, more on a noisy run).",
    );
    expect(outcome.notes.join(' ')).not.toContain('a variant that meets the budget');
  });

  it('does not let a trial within noise, though in the budget, block a fallback that beats the original', async () => {
    const row = (node: string, dropDb: number) => ({
      node,
      opType: 'Conv',
      inputs: [`${node}_in`],
      localSqnrDb: 30,
      sqnrDb: 30,
      outputSqnrDb: 30 - dropDb,
      dropDb,
    });
    const outcome = await stubSearch(
      'latency',
      stubRunner({
        // int8-dynamic meets the budget at x0.80 within noise; int8-static breaks it at x0.85, faster.
        evaluate: (id) => Promise.resolve({ cosine: id === 'int8-static' ? 0.9 : 0.999 }),
        bench: (id) =>
          Promise.resolve(
            id === 'int8-dynamic'
              ? { p50Ms: 0.8, p50Ratio: 0.8, latencyVerdict: 'same' as const }
              : {
                  p50Ms: 0.87,
                  p50Ratio: id === 'int8-static' ? 0.85 : 0.87,
                  latencyVerdict: 'faster' as const,
                },
          ),
        sensitivity: () => Promise.resolve([row('a', 9), row('b', 6), row('c', 3)] as never),
      }),
      {
        candidates: [{ ...int8Static, name: 'int8-dynamic', sameAs: 'int8-dynamic' }, int8Static],
        concurrency: 1,
      },
    );
    const chosen = outcome.trials.find((t) => t.index === outcome.chosen);
    expect(chosen?.fallback?.from).toBe(1);
    expect(outcome.notes.join(' ')).not.toContain('no better than a variant that meets the budget');
  });

  it('judges a trial recorded without a verdict by the rule’s smallest difference (5%), and size by 3%', async () => {
    const unjudged = (p50Ratio: number) =>
      stubSearch(
        'latency',
        withBench(() => Promise.resolve({ p50Ms: p50Ratio, p50Ratio })),
      );
    expect((await unjudged(0.96)).chosen).toBeUndefined();
    expect((await unjudged(0.94)).chosen).toBe(0);
    // The size objective: 970 of 1,000 bytes is a compression, 980 is not.
    const sized = (bytes: number) =>
      stubSearch(
        'size',
        stubRunner({
          make: (_r, name) => Promise.resolve({ variantId: name, bytes }),
          evaluate: () => Promise.resolve({ cosine: 0.999 }),
        }),
      );
    expect((await sized(970)).chosen).toBe(0);
    expect((await sized(980)).chosen).toBeUndefined();
  });
});
