import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import {
  benchParamsSchema,
  type BenchExplainFacts,
  type BenchInputInfo,
  type BenchModelResult,
  type BenchParams,
  type BenchProfile,
  type BenchReport,
} from '../../../shared/bench.js';
import { StudioError } from '../errors.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { ensureProviderAvailable } from '../runtime/execution-providers.js';
import { runFailure } from '../runtime/run-failure.js';
import { isGuessNote, refuseUnknownDims, resolveInputSpecs, type ResolvedInput } from '../runtime/input-specs.js';
import { guessedParts } from '../runtime/synthetic-feeds.js';
import { prepareFeeds, type Feed } from './bench-feeds.js';
import { runInterleaved, type Runner } from './interleave.js';
import { PeakRssMeter } from './peak-rss.js';
import { compareToBaseline } from '../../../shared/bench-comparisons.js';
import { fusedWriters } from './kernel-nodes.js';
import { PROFILE_DIR_PREFIX } from './profile-trace.js';
import { PROFILE_WARMUP_RUNS, profileRunCount, recordProfiles } from './profile-pass.js';
import { type BenchHooks, collectGarbage, labels, modelResult, settingsOf, spinningNote, threadsNote, loadSession, loadingOf } from './bench-session.js';
import { summarize } from '../../../shared/latency-stats.js';

export { threadsNote, type BenchHooks };

/**
 * Warmup goes on for at least this long (ms) unless it is 0. Ten runs warm a large model up, but a model of a
 * few microseconds needs a few thousand before V8 has optimized the JavaScript around each run; right after a
 * full garbage collection (which the engine does before measuring memory) the first thousand or so runs of
 * such a model measured 15% slower.
 */
export const WARMUP_MIN_MS = 200;

/** Defaults of `onnx-studio bench`. */
export const BENCH_DEFAULTS = {
  ep: 'cpu',
  intraOpThreads: 0,
  interOpThreads: 0,
  optLevel: 'all',
  allowSpinning: false,
  warmup: 10,
  iterations: 100,
  data: { kind: 'synthetic', samples: 4, seed: 0 },
} as const satisfies Partial<BenchParams>;

/**
 * What `--generate` changes of BENCH_DEFAULTS, for every caller (the CLI, a recipe, IPC): a whole generation takes
 * N decode steps, so 10 warmup + 100 timed ones would run 110 N steps per model.
 */
export const BENCH_GENERATE_DEFAULTS = { warmup: 1, iterations: 5 } as const;

/** Fills in the defaults (BENCH_GENERATE_DEFAULTS with `generate`) and validates; a bad value is a BAD_REQUEST naming it. */
export function benchParams(partial: Partial<BenchParams> & { models: string[] }): BenchParams {
  const { iterations, durationMs, ...rest } = partial;
  const defaults = partial.generate !== undefined ? BENCH_GENERATE_DEFAULTS : BENCH_DEFAULTS;
  const candidate = {
    ep: BENCH_DEFAULTS.ep,
    intraOpThreads: BENCH_DEFAULTS.intraOpThreads,
    interOpThreads: BENCH_DEFAULTS.interOpThreads,
    optLevel: BENCH_DEFAULTS.optLevel,
    allowSpinning: BENCH_DEFAULTS.allowSpinning,
    warmup: defaults.warmup,
    shapes: {},
    dims: {},
    values: {},
    data: { ...BENCH_DEFAULTS.data },
    profile: false,
    ...rest,
    ...(durationMs === undefined ? { iterations: iterations ?? defaults.iterations } : { durationMs, ...(iterations === undefined ? {} : { iterations }) }),
  };
  return parseBenchParams(candidate);
}

/** Validates untrusted benchmark parameters (from IPC, a recipe or a test). */
export function parseBenchParams(value: unknown): BenchParams {
  const parsed = benchParamsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new StudioError('BAD_REQUEST', `Invalid benchmark settings: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

interface PreparedModel {
  path: string;
  label: string;
  modelBytes: number;
  /** Of modelBytes, the external data's (the loading stage says "with its data"). */
  externalDataBytes: number;
  feeds: Feed[];
  inputs: BenchInputInfo[];
  /** With a profile: the node each tensor's kernel runs (kernel-nodes.ts), read before the model is let go. */
  writers?: Map<string, string>;
}

/** What the loading stage says of a model (loading-stage.ts). */

/** The most distinct shapes listed per input: data of many widths is said as a mix, not listed in full. */
const MAX_LISTED_SHAPES = 16;

/** What the runs fed each input: the first sample's shape, and every distinct one when the samples differ. */
function describeFeeds(feeds: readonly Feed[]): BenchInputInfo[] {
  const first = feeds[0] as Feed;
  return Object.entries(first).map(([name, tensor]) => {
    const shapes: number[][] = [];
    const seen = new Set<string>();
    for (const feed of feeds) {
      const dims = feed[name]?.dims;
      if (!dims || seen.has(dims.join('x')) || shapes.length === MAX_LISTED_SHAPES) continue;
      seen.add(dims.join('x'));
      shapes.push([...dims]);
    }
    return { name, dtype: tensor.type, shape: [...tensor.dims], ...(shapes.length > 1 ? { shapes } : {}) };
  });
}

/**
 * Each fed input with the values synthetic data fed it and what of it was guessed (a dataset brings its own shapes
 * and values).
 */
function markGuesses(fed: BenchInputInfo[], synthetic: readonly ResolvedInput[]): BenchInputInfo[] {
  return fed.map((info) => {
    const input = synthetic.find((i) => i.name === info.name);
    const guessed = input ? guessedParts(input) : undefined;
    return {
      ...info,
      ...(input?.values ? { values: input.values } : {}),
      ...(guessed ? { guessed } : {}),
    };
  });
}

/**
 * Benchmarks one or several models on the same inputs: for each model, session creation and the first run
 * are timed on their own; then warmup and the measured runs go round-robin over the models (A B A B ...),
 * one session each, in this process. Returns the figures per model and ratios against the first.
 * With `profile`, the timing sessions run without onnxruntime's profiler and are released after measuring; then a
 * separate pass profiles the models in sessions of their own (profile-pass.ts): no latency includes the profiler.
 * Stops with CANCELLED at the next run after `hooks.signal` aborts; sessions are always released.
 */
export async function runBenchmark(params: BenchParams, hooks: BenchHooks = {}): Promise<BenchReport> {
  // `bench --generate`: whole generations on a decoder with a KV cache, loaded only where asked for.
  if (params.generate !== undefined) return (await import('./generate-bench.js')).runGenerationBenchmark(params, hooks);
  const started = performance.now();
  const { signal } = hooks;
  const checkCancelled = () => {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'The benchmark was cancelled.');
  };
  const notes: string[] = [];
  const note = (level: 'info' | 'warn', message: string) => {
    if (notes.includes(message)) return;
    notes.push(message);
    hooks.onLog?.(level, message);
  };

  if (params.explain && params.models.length !== 2)
    throw new StudioError('BAD_REQUEST', `explain benchmarks two models (the original and the variant), got ${params.models.length}.`);
  hooks.onPhase?.('probing providers');
  await ensureProviderAvailable(params.ep);

  // Load and check every model before creating any session: a typo in the last path should not cost the
  // time of creating the others. The parsed protos are dropped before measuring.
  const names = labels(params.models.map((m) => path.resolve(m)));
  const prepared: PreparedModel[] = [];
  const namedDimsByModel: string[][] = [];
  const guessesByModel: { label: string; guesses: string[] }[] = [];
  let dataDescription = '';
  let sampleCount = 0;
  // explain's facts come from these loads: the original is kept until the variant is loaded, then both go.
  let explainOriginal: LoadedModel | undefined;
  let explain: BenchExplainFacts | undefined;
  for (const [i, modelPath] of params.models.entries()) {
    checkCancelled();
    hooks.onPhase?.('loading model', modelPath);
    const loaded = await loadModel(modelPath);
    if (params.explain && i === 0) explainOriginal = loaded;
    else if (params.explain && explainOriginal) {
      // Imported here: only explain's benchmark needs the diff and the quantizers' rules in the engine process.
      const { explainFacts } = await import('./explain-facts.js');
      explain = explainFacts(explainOriginal, loaded);
      explainOriginal = undefined;
    }
    const { inputs, notes: dimNotes, namedDims } = resolveInputSpecs(loaded.proto, { shapes: params.shapes, dims: params.dims, values: params.values });
    namedDimsByModel.push(namedDims);
    const { feeds, description, notes: dataNotes, synthetic } = await prepareFeeds(inputs, params.data, signal);
    dataDescription = description;
    sampleCount = feeds.length;
    const label = params.labels?.[modelPath] ?? (names[i] as string);
    // Guessed sizes are fed only as synthetic data (asked for as such or as a synthetic dataset spec): a dataset
    // brings its own shapes (an image folder the --size it is resized to), even where they happen to equal the
    // guess. The same rule as eval and quantize.
    guessesByModel.push({ label, guesses: [...(synthetic ? dimNotes : []), ...dataNotes.filter(isGuessNote)] });
    for (const modelNote of dataNotes) {
      if (!isGuessNote(modelNote)) note('info', params.models.length > 1 ? `${label}: ${modelNote}` : modelNote);
    }
    prepared.push({
      path: loaded.path,
      label,
      modelBytes: loaded.fileBytes + loaded.externalDataBytes,
      externalDataBytes: loaded.externalDataBytes,
      feeds,
      inputs: markGuesses(describeFeeds(feeds), synthetic ? inputs : []),
      ...(params.profile ? { writers: fusedWriters(loaded.proto) } : {}),
    });
  }
  refuseUnknownDims(params.dims, namedDimsByModel);
  // Variants share the original's inputs, so their guesses are said once, unlabelled; models whose guesses
  // differ (two unrelated models) get each its own, named, so that a warning is never about an unnamed model.
  const sameGuesses = guessesByModel.every((m) => m.guesses.join('\n') === guessesByModel[0]!.guesses.join('\n'));
  for (const { label, guesses } of guessesByModel)
    for (const guess of guesses) note('warn', sameGuesses ? guess : `${label}: ${guess}`);
  const spin = spinningNote(params);
  note(spin.level, spin.message);
  const oversubscribed = threadsNote(params.intraOpThreads, os.availableParallelism());
  if (oversubscribed) note('warn', oversubscribed);

  collectGarbage();
  const meter = PeakRssMeter.start();
  const profileDir = params.profile ? await fs.promises.mkdtemp(path.join(os.tmpdir(), PROFILE_DIR_PREFIX)) : undefined;
  const sessions: ort.InferenceSession[] = [];
  let released = false;
  const initMs: number[] = [];
  const firstRunMs: number[] = [];
  const allModels = prepared.map((p) => p.path).join(', ');

  // Progress: warmup counts for its share of the planned runs (it may run longer, see WARMUP_MIN_MS); the
  // measured runs count one by one, or follow the clock in duration mode. A profile pass takes the last part of
  // the bar, by its share of all the runs (a tenth in duration mode, where the measured runs are not known).
  const rounds = params.iterations;
  const warmupRuns = prepared.length * params.warmup;
  const warmupShare = params.durationMs !== undefined ? (warmupRuns > 0 ? 0.1 : 0) : warmupRuns / (warmupRuns + prepared.length * (rounds ?? 0));
  const plannedProfileRuns = prepared.length * (PROFILE_WARMUP_RUNS + profileRunCount(rounds ?? 0));
  const timingShare = !params.profile
    ? 1
    : rounds === undefined
      ? 0.9
      : 1 - plannedProfileRuns / (warmupRuns + prepared.length * rounds + plannedProfileRuns);
  let warmupDone = 0;
  let measuredDone = 0;
  let measureStart: number | undefined;
  const progress = (stage: string) => {
    if (!hooks.onProgress) return;
    const warm = warmupRuns > 0 ? Math.min(1, warmupDone / warmupRuns) : 1;
    const measured =
      measureStart === undefined
        ? 0
        : params.durationMs !== undefined
          ? Math.min(1, (performance.now() - measureStart) / params.durationMs)
          : measuredDone / (prepared.length * (rounds ?? 1));
    hooks.onProgress(timingShare * (warmupShare * warm + (1 - warmupShare) * measured), stage);
  };
  // After measuring (a profile pass needs none of them), or wherever the benchmark stops.
  const releaseSessions = async () => {
    released = true;
    hooks.onPhase?.('releasing', allModels);
    for (const session of sessions) {
      try {
        await session.release();
      } catch {
        // Releasing is best effort: a session that failed to release cannot be used again anyway.
      }
    }
  };

  let succeeded = false;
  try {
    for (const model of prepared) {
      checkCancelled();
      hooks.onPhase?.('creating session', model.path);
      let t0 = performance.now();
      // No fraction to give while onnxruntime loads: the stage says what, how big, and for how long.
      const session = await loadSession(
        loadingOf(model),
        model.label,
        params,
        (stage) => hooks.onProgress?.(0, stage),
        checkCancelled,
      );
      initMs.push(performance.now() - t0);
      sessions.push(session);
      if (meter.needsSampling) meter.sample();
      hooks.onPhase?.('first run', model.path);
      t0 = performance.now();
      try {
        await session.run(model.feeds[0] as Feed);
      } catch (error) {
        throw runFailure(error, model.inputs, model.label);
      }
      firstRunMs.push(performance.now() - t0);
      if (meter.needsSampling) meter.sample();
    }

    const runners: Runner[] = prepared.map((model, i) => {
      const session = sessions[i] as ort.InferenceSession;
      const feeds = model.feeds;
      let next = 0;
      return {
        run: async () => {
          await session.run(feeds[next] as Feed);
          next = next + 1 === feeds.length ? 0 : next + 1;
        },
      };
    });

    hooks.onPhase?.('warmup', allModels);
    progress('warming up');
    let lastReport = performance.now();
    const warmup = await runInterleaved(runners, {
      rounds: params.warmup,
      minDurationMs: params.warmup > 0 ? WARMUP_MIN_MS : 0,
      ...(signal ? { signal } : {}),
      onRun: () => {
        warmupDone++;
        if (meter.needsSampling) meter.sample();
        const now = performance.now();
        if (now - lastReport >= 100) {
          lastReport = now;
          progress('warming up');
        }
      },
    });

    const warmupRounds = warmup[0]?.length ?? 0;
    hooks.onPhase?.('measuring', allModels);
    const batchMs = hooks.sampleBatchMs ?? 100;
    const pending: number[][] = prepared.map(() => []);
    const flush = () => {
      for (const [i, values] of pending.entries()) {
        if (values.length > 0) {
          hooks.onSamples?.(i, values);
          pending[i] = [];
        }
      }
      progress('measuring');
    };
    measureStart = performance.now();
    lastReport = measureStart;
    const samples = await runInterleaved(runners, {
      ...(rounds !== undefined ? { rounds } : { durationMs: params.durationMs as number }),
      ...(signal ? { signal } : {}),
      onRun: (i, ms) => {
        measuredDone++;
        (pending[i] as number[]).push(ms);
        if (meter.needsSampling) meter.sample();
        const now = performance.now();
        if (now - lastReport >= batchMs) {
          lastReport = now;
          flush();
        }
      },
    });
    flush();
    // The peak of the timing, every model's session loaded; the profile pass's sessions replace these, not add to them.
    const peakRssBytes = meter.peakBytes();
    await releaseSessions();

    let profiles: BenchProfile[] = [];
    if (profileDir) {
      const profileRuns = profileRunCount(samples[0]?.length ?? 0);
      note(
        'info',
        `profiling: the latency figures are from runs without onnxruntime's profiler; each model's per-op times are from ` +
          `${profileRuns} more runs, profiled in a separate pass after timing.`,
      );
      const targets = prepared.map((model) => ({ ...model, loading: loadingOf(model) }));
      try {
        profiles = await recordProfiles(targets, {
          params,
          dir: profileDir,
          runs: profileRuns,
          hooks,
          checkCancelled,
          onProgress: (done, total, stage) => hooks.onProgress?.(timingShare + (1 - timingShare) * (done / total), stage),
        });
      } catch (error) {
        // The timing is finished and stands on its own: a failed profile pass costs the per-op times, not it.
        if (error instanceof StudioError && error.code === 'CANCELLED') throw error;
        const reason = (error instanceof Error ? error.message : String(error)).trim();
        note('warn', `the profile pass failed, so there are no per-op times (the latency figures are complete): ${reason}`);
        // Its traces are of no use: nothing in the report points to them.
        await fs.promises.rm(profileDir, { recursive: true, force: true });
      }
    }

    const results: BenchModelResult[] = prepared.map((model, i) => {
      const s = summarize(samples[i] as number[]);
      const profile = profiles[i];
      return {
        ...modelResult(params, s, {
          model: model.path,
          initMs: initMs[i] as number,
          firstRunMs: firstRunMs[i] as number,
          warmup: warmupRounds,
          peakRssBytes,
          modelBytes: model.modelBytes,
          inputs: model.inputs,
        }),
        ...(profile ? { profile } : {}),
      };
    });
    const comparisons = compareToBaseline(results, samples);
    succeeded = true;
    return {
      results,
      comparisons,
      // Several models share this process: its peak is no one model's (each row repeats it).
      ...(results.length > 1 ? { processPeakRssBytes: peakRssBytes } : {}),
      settings: {
        ...settingsOf(params),
        data: dataDescription,
        samples: sampleCount,
        rssMethod: meter.method,
      },
      notes,
      seconds: (performance.now() - started) / 1000,
      ...(explain ? { explain } : {}),
    };
  } finally {
    if (!released) await releaseSessions();
    // Traces of a benchmark that did not finish are of no use to anyone; those of one that did are reported.
    if (profileDir && !succeeded) await fs.promises.rm(profileDir, { recursive: true, force: true });
  }
}
