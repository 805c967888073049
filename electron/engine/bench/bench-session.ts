/**
 * What every kind of benchmark shares (runBenchmark's single runs, generate-bench.ts's generations): the hooks it
 * reports through, the labels of its models, the session settings it asks onnxruntime for, and its notes on threads.
 */
import path from 'node:path';
import type { BenchModelResult, BenchParams } from '../../../shared/bench.js';
import type { LatencySummary } from '../../../shared/latency-stats.js';
import type { EnginePhase } from '../host/engine-protocol.js';
import { createSession, type SessionSettings } from '../runtime/create-session.js';
import { type LoadingModel, whileLoading } from './loading-stage.js';

/** What a benchmark reports while it runs. Every hook is optional and called outside the timed regions. */
export interface BenchHooks {
  signal?: AbortSignal;
  /** The job moved on to another phase (unthrottled; the host uses it to say where a crash happened). */
  onPhase?: (phase: EnginePhase, model?: string) => void;
  /** Completed fraction of the whole benchmark (0..1), called after every run: throttle it downstream. */
  onProgress?: (fraction: number, stage: string) => void;
  onLog?: (level: 'info' | 'warn', message: string) => void;
  /** Latency samples (ms) of one model, in run order, batched about every `sampleBatchMs`. */
  onSamples?: (modelIndex: number, values: number[]) => void;
  /** How often samples are flushed to `onSamples` (default 100 ms). */
  sampleBatchMs?: number;
}

/** Short, unambiguous labels for notes: base names, or the full paths when base names collide. */
export function labels(paths: string[]): string[] {
  const bases = paths.map((p) => path.basename(p));
  return new Set(bases).size === bases.length ? bases : paths;
}

export function sessionSettings(params: BenchParams, profilePrefix: string | undefined): SessionSettings {
  return {
    executionProviders: [params.ep],
    intraOpThreads: params.intraOpThreads,
    interOpThreads: params.interOpThreads,
    graphOptimizationLevel: params.optLevel,
    allowSpinning: params.allowSpinning,
    ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  };
}

/** What the loading stage says of a model: its file and its external data. */
export function loadingOf(model: {
  path: string;
  modelBytes: number;
  externalDataBytes: number;
}): LoadingModel {
  return {
    path: model.path,
    fileBytes: model.modelBytes - model.externalDataBytes,
    externalDataBytes: model.externalDataBytes,
  };
}

/**
 * A session for one model of a benchmark, made while the loading stage says what loads (loading-stage.ts). A Cancel
 * during the creation, which cannot be interrupted, ends the run as it returns, with the session released. Profiling
 * is on only with `profilePrefix`, which only the profile pass gives: its cost per kernel event would be in every
 * latency of a timed session (profile-pass.ts).
 */
export function loadSession(
  loading: LoadingModel,
  label: string,
  params: BenchParams,
  report: (stage: string) => void,
  checkCancelled: () => void,
  profilePrefix?: string,
) {
  return whileLoading(
    loading,
    report,
    () => createSession(loading.path, sessionSettings(params, profilePrefix)),
    {
      label,
      checkCancelled,
      release: (made) => made.release(),
    },
  );
}

/**
 * More intra-op threads than the machine runs at once only makes them take turns: the latency measured is the
 * scheduler's, not the model's, and says nothing about a machine with that many cores.
 */
/** What a report's settings say of the session and the run counts, alike for single runs and generation. */
export function settingsOf(params: BenchParams) {
  return {
    ep: params.ep,
    threads: params.intraOpThreads,
    interOpThreads: params.interOpThreads,
    optLevel: params.optLevel,
    allowSpinning: params.allowSpinning,
    warmup: params.warmup,
    ...(params.iterations !== undefined ? { iterations: params.iterations } : {}),
    ...(params.durationMs !== undefined ? { durationMs: params.durationMs } : {}),
  };
}

export function threadsNote(threads: number, cores: number): string | undefined {
  if (threads <= cores) return undefined;
  return (
    `intra-op threads: ${threads}, on a machine that runs ${cores} at once: the threads take turns, so the latency ` +
    `is not what ${threads} cores would give. Use at most ${cores}, or 0 (one per physical core).`
  );
}

export function spinningNote(params: BenchParams): { level: 'info' | 'warn'; message: string } {
  if (params.intraOpThreads === 1) {
    return { level: 'info', message: 'intra-op threads: 1, so thread spinning does not apply.' };
  }
  if (!params.allowSpinning) {
    return {
      level: 'info',
      message:
        'intra-op spinning is off (the default): idle onnxruntime threads sleep instead of spin-waiting, so interleaved ' +
        'models do not steal CPU from each other. A model running alone can be slightly faster with --spin on.',
    };
  }
  return params.models.length > 1
    ? {
        level: 'warn',
        message:
          "intra-op spinning is on: each session's idle threads spin-wait while the next model runs and steal its CPU, " +
          'which skews interleaved ratios (two copies of one model measured a p50 ratio of 1.68 this way). Use --spin off to compare models.',
      }
    : {
        level: 'info',
        message:
          'intra-op spinning is on: idle onnxruntime threads spin-wait for work (fastest for a model running alone).',
      };
}

export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A model's row of a report: its latency statistics with the settings it ran under and what was measured around. */
export function modelResult(
  params: BenchParams,
  s: LatencySummary,
  measured: Pick<
    BenchModelResult,
    'model' | 'initMs' | 'firstRunMs' | 'warmup' | 'peakRssBytes' | 'modelBytes' | 'inputs'
  >,
): BenchModelResult {
  return {
    model: measured.model,
    ep: params.ep,
    threads: params.intraOpThreads,
    interOpThreads: params.interOpThreads,
    initMs: measured.initMs,
    firstRunMs: measured.firstRunMs,
    warmup: measured.warmup,
    iterations: s.iterations,
    meanMs: s.meanMs,
    stdMs: s.stdMs,
    minMs: s.minMs,
    p50Ms: s.p50Ms,
    p90Ms: s.p90Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    maxMs: s.maxMs,
    throughput: s.throughput,
    peakRssBytes: measured.peakRssBytes,
    modelBytes: measured.modelBytes,
    inputs: measured.inputs,
  };
}
