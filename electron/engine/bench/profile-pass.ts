/**
 * The per-op profile of a benchmark, recorded apart from its timing. onnxruntime's profiler writes an event per
 * kernel per run, which is no small cost: timed with it on, a decode step of a small KV-cache decoder went from
 * 0.505 to 2.298 ms and a chain of 300 tiny Adds from 0.099 to 2.07 ms, and those figures were shown as the
 * model's latency. So runBenchmark times its runs in sessions without the profiler and releases them; then this
 * pass profiles the models in sessions of their own with the profiler on, a few runs each, and aggregates each
 * trace. It holds one session per model as the timing did, never both kinds at once, so it needs no more memory
 * than the timing (plus the profiler's events of these few runs). Only the per-op times come from here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { BenchInputInfo, BenchParams, BenchProfile } from '../../../shared/bench.js';
import { StudioError } from '../errors.js';
import { runFailure } from '../runtime/run-failure.js';
import type { Feed } from './bench-feeds.js';
import { type BenchHooks, loadSession } from './bench-session.js';
import { runInterleaved, type Runner } from './interleave.js';
import { nameBlockedKernels } from './kernel-nodes.js';
import type { LoadingModel } from './loading-stage.js';
import { aggregateProfileFile } from './profile-trace.js';

/** Untimed runs of a profiling session before the runs aggregated: the first pays for lazy allocations. */
export const PROFILE_WARMUP_RUNS = 1;

/**
 * Profiled runs per model: as many as were timed, at least 5 and at most 20. The aggregates are medians over the
 * runs (profile-trace.ts), which a few runs already hold steady; more would only make the trace (several MB) and
 * the pass longer.
 */
export function profileRunCount(timedRuns: number): number {
  return Math.max(5, Math.min(timedRuns, 20));
}

/** A model to profile: what the timing pass prepared for it. */
export interface ProfileTarget {
  path: string;
  label: string;
  loading: LoadingModel;
  feeds: readonly Feed[];
  inputs: BenchInputInfo[];
  /** The node each tensor's kernel runs (kernel-nodes.ts), to name kernels of the blocked layout. */
  writers?: Map<string, string>;
}

export interface ProfilePassOptions {
  params: BenchParams;
  /** The folder the traces are written to (`model-<i>_<timestamp>.json`). */
  dir: string;
  /** Profiled runs per model (profileRunCount), after PROFILE_WARMUP_RUNS. */
  runs: number;
  hooks: BenchHooks;
  /** Throws CANCELLED once the benchmark is cancelled (hooks.signal); called around each session's creation. */
  checkCancelled: () => void;
  /** After every run of the pass: the runs done and the pass's total; also with the stage while a session loads. */
  onProgress?: (done: number, total: number, stage: string) => void;
}

async function findProfileFile(prefix: string): Promise<string> {
  const dir = path.dirname(prefix);
  const base = `${path.basename(prefix)}_`;
  const files = (await fs.promises.readdir(dir)).filter((f) => f.startsWith(base) && f.endsWith('.json'));
  const file = files.sort().at(-1);
  if (!file) throw new StudioError('ORT', `onnxruntime wrote no profiling trace for ${prefix}.`);
  return path.join(dir, file);
}

/**
 * Profiles the targets (see above): a profiling session per model, made one after another, then their runs
 * interleaved (A B A B ...) as the timing's were, so that a noisy machine treats the models' kernel times alike
 * (explain sets them side by side); then each trace is ended, its session released and the trace aggregated.
 */
export async function recordProfiles(
  targets: readonly ProfileTarget[],
  options: ProfilePassOptions,
): Promise<BenchProfile[]> {
  const { params, dir, runs, hooks, checkCancelled } = options;
  const rounds = PROFILE_WARMUP_RUNS + runs;
  const total = targets.length * rounds;
  let done = 0;
  const prefixes = targets.map((_, i) => path.join(dir, `model-${i}`));
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const [i, target] of targets.entries()) {
      checkCancelled();
      hooks.onPhase?.('profiling', target.path);
      sessions.push(
        await loadSession(
          target.loading,
          target.label,
          params,
          (stage) => options.onProgress?.(0, total, stage),
          checkCancelled,
          prefixes[i],
        ),
      );
    }
    hooks.onPhase?.('profiling', targets.map((t) => t.path).join(', '));
    const runners: Runner[] = targets.map((target, i) => {
      const session = sessions[i] as ort.InferenceSession;
      let next = 0;
      return {
        run: async () => {
          try {
            await session.run(target.feeds[next] as Feed);
          } catch (error) {
            throw runFailure(error, target.inputs, target.label);
          }
          next = next + 1 === target.feeds.length ? 0 : next + 1;
        },
      };
    });
    await runInterleaved(runners, {
      rounds,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onRun: () => options.onProgress?.(++done, total, 'profiling'),
    });
    for (const session of sessions) session.endProfiling();
  } finally {
    // A crash while onnxruntime lets the profiling sessions go is said as one while releasing, not while profiling.
    if (sessions.length > 0) hooks.onPhase?.('releasing', targets.map((t) => t.path).join(', '));
    for (const session of sessions) {
      try {
        await session.release();
      } catch {
        // Best effort, as the timing sessions: a session that failed to release cannot be used again anyway.
      }
    }
  }
  const profiles: BenchProfile[] = [];
  for (const [i, target] of targets.entries()) {
    const traceFile = await findProfileFile(prefixes[i] as string);
    const aggregate = await aggregateProfileFile(traceFile, { skipRuns: PROFILE_WARMUP_RUNS });
    const named = target.writers ? nameBlockedKernels(aggregate, target.writers) : aggregate;
    profiles.push({ ...named, traceFile, timedApart: true });
  }
  return profiles;
}
