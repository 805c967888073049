/**
 * The conditions a benchmark ran under, as far as its record tells (the engine's thread, optimization and
 * spinning settings, whether onnxruntime's profiler was on, the inputs and the data fed), and which run of the
 * original every variant is set beside. Absolute p50s of runs made under other conditions are not comparable:
 * an Auto-optimize run timed the original with profiling off at 0.206 ms, while the variants' runs, profiled,
 * timed it at 0.32-0.44 ms; normalised to the latest run, every variant was drawn against the 0.206 ms and
 * nothing said why. The Compare view (renderer/src/state/compare-data.ts) and the report (shared/report.ts)
 * both choose the original's run here. A leaf of `shared/` (no zod), so the page can load it.
 */
import { counted, listWords as list } from './counted.js';
import { groupedShortShapes } from './input-groups.js';
import { formatMs as ms } from './latency-format.js';
import type { FedShape } from './latency-stats.js';

/** What a benchmark record holds of its conditions (shared/workspace.ts `BenchRecord`). */
export interface ConditionsSource {
  createdAt?: string;
  settings?: {
    threads?: number;
    interOpThreads?: number;
    optLevel?: string;
    allowSpinning?: boolean;
    data?: string;
  };
  results: readonly { profile?: { timedApart?: true } | undefined }[];
  inputs?: readonly FedShape[];
  dataset?: { name: string; sha256: string };
}

/**
 * A run's conditions. A field its record does not hold (a browser benchmark has no engine settings, a record from
 * before they were kept) is undefined, and differs from nothing.
 */
export interface RunConditions {
  threads?: number;
  interOpThreads?: number;
  optLevel?: string;
  allowSpinning?: boolean;
  /**
   * onnxruntime's profiler ran in the timed runs, so its overhead is in the timings: a record from before profiles
   * were recorded in a pass of their own (BenchProfile.timedApart). A profile recorded apart changes no timing.
   */
  profiling: boolean;
  /** The shapes fed, `1x3x32x32`; a KV cache's alike inputs said once (`past_key_values.0..31.key/value (64) 1x4x0x16`). */
  inputs?: string;
  /** The data fed: a dataset's name and sha256, else the engine's words (`synthetic (4 samples, seed 0)`). */
  data?: { key: string; name: string };
}

/** The conditions of a benchmark record. */
export function runConditions(record: ConditionsSource): RunConditions {
  const s = record.settings;
  const data = record.dataset
    ? { key: record.dataset.sha256, name: record.dataset.name }
    : s?.data !== undefined
      ? { key: s.data, name: s.data }
      : undefined;
  return {
    ...(s?.threads !== undefined ? { threads: s.threads } : {}),
    ...(s?.interOpThreads !== undefined ? { interOpThreads: s.interOpThreads } : {}),
    ...(s?.optLevel !== undefined ? { optLevel: s.optLevel } : {}),
    ...(s?.allowSpinning !== undefined ? { allowSpinning: s.allowSpinning } : {}),
    profiling: record.results.some((r) => r.profile !== undefined && !r.profile.timedApart),
    ...(record.inputs && record.inputs.length > 0 ? { inputs: groupedShortShapes(record.inputs) } : {}),
    ...(data ? { data } : {}),
  };
}

const threadWords = (n: number, kind: string) =>
  n > 0 ? `with ${counted(n, `${kind} thread`)}` : `with the default ${kind} threads`;

/**
 * Where `run`'s conditions differ from `other`'s, in `run`'s words, each to follow "ran": `without profiling`,
 * `with 4 intra-op threads`, `at opt level basic`. Empty when nothing known differs.
 */
export function conditionsDiffer(run: RunConditions, other: RunConditions): string[] {
  const known = <T>(a: T | undefined, b: T | undefined) => a !== undefined && b !== undefined && a !== b;
  const words: string[] = [];
  if (run.profiling !== other.profiling) words.push(run.profiling ? 'with profiling' : 'without profiling');
  if (known(run.threads, other.threads)) words.push(threadWords(run.threads!, 'intra-op'));
  if (known(run.interOpThreads, other.interOpThreads))
    words.push(threadWords(run.interOpThreads!, 'inter-op'));
  if (known(run.optLevel, other.optLevel)) words.push(`at opt level ${run.optLevel!}`);
  if (known(run.allowSpinning, other.allowSpinning))
    words.push(run.allowSpinning ? 'with spinning on' : 'with spinning off');
  if (known(run.inputs, other.inputs)) words.push(`on inputs ${run.inputs!}`);
  if (known(run.data?.key, other.data?.key)) words.push(`on ${run.data!.name}`);
  return words;
}

/** `a, b and c`. */

/** One key per distinct set of conditions (fields a record does not hold included as absent). */
function conditionsKey(c: RunConditions): string {
  return JSON.stringify([
    c.threads,
    c.interOpThreads,
    c.optLevel,
    c.allowSpinning,
    c.profiling,
    c.inputs,
    c.data?.key,
  ]);
}

/** Whether a benchmark was made during an Auto-optimize run (its benchmarks of the original stay in the workspace). */
export function duringAutoOptimize(
  createdAt: string | undefined,
  tunes: readonly { startedAt: string; endedAt?: string }[] | undefined,
): boolean {
  if (createdAt === undefined) return false;
  const at = Date.parse(createdAt);
  return (tunes ?? []).some(
    (t) => Date.parse(t.startedAt) <= at && (t.endedAt === undefined || at <= Date.parse(t.endedAt)),
  );
}

/**
 * Which run of the original the variants are set beside, when it is not simply its latest: `matched`, the latest
 * ran under other conditions than most variants' runs and `baseMs` is the original's latest run under theirs;
 * `unmatched`, no run of the original had their conditions, so `baseMs` is its latest, whose conditions differ.
 */
export interface BaselineNote {
  kind: 'matched' | 'unmatched';
  /** The p50 of the original's run the variants are set beside. */
  baseMs: number;
  /** The original's latest p50 (`matched`: not the base). */
  latestMs: number;
  /** How the original's latest run differs from most variants' runs, to follow "ran": `without profiling`. */
  differs: string;
  /** The original's latest run was one of an Auto-optimize run's benchmarks. */
  autoOptimize: boolean;
}

/**
 * The run of the original to set the variants beside: its latest run made under the conditions most variants'
 * latest runs were made under (each variant keeps its own ratio, to the original of its own interleaved run;
 * this is the original's row, what the charts normalise to and what a ratio falls back to). Its latest run when
 * that had their conditions (or nothing to tell: a run still streaming has no record), when no variant was
 * timed, or when no conditions are more common among the variants' runs than the latest's; else the latest run
 * with the variants' conditions; else (none had them) the latest, with a note of how it differs.
 *
 * `originalRuns` are the original's runs, oldest first; `conditionsOf` reads a run's conditions (undefined when
 * unknown); `createdAtOf` when it was made (for `duringAutoOptimize`).
 */
export function originalBaseline<T>(
  originalRuns: readonly T[],
  variantRuns: readonly T[],
  conditionsOf: (run: T) => RunConditions | undefined,
  p50Of: (run: T) => number,
  autoOptimizeOf: (run: T) => boolean = () => false,
): { run: T; note?: BaselineNote } | undefined {
  const latest = originalRuns.at(-1);
  if (latest === undefined) return undefined;
  const latestConditions = conditionsOf(latest);
  if (!latestConditions) return { run: latest };
  const counts = new Map<string, { conditions: RunConditions; count: number }>();
  for (const run of variantRuns) {
    const c = conditionsOf(run);
    if (!c) continue;
    const entry = counts.get(conditionsKey(c)) ?? { conditions: c, count: 0 };
    entry.count += 1;
    counts.set(conditionsKey(c), entry);
  }
  const most = [...counts.values()].sort((a, b) => b.count - a.count)[0];
  // The latest is kept wherever it is as common as any (ties included): a note only where most runs differ.
  if (!most || (counts.get(conditionsKey(latestConditions))?.count ?? 0) >= most.count)
    return { run: latest };
  const differs = conditionsDiffer(latestConditions, most.conditions);
  if (differs.length === 0) return { run: latest };
  const matching = [...originalRuns].reverse().find((run) => {
    const c = conditionsOf(run);
    return c !== undefined && conditionsDiffer(c, most.conditions).length === 0;
  });
  const note = (kind: BaselineNote['kind'], base: T): BaselineNote => ({
    kind,
    baseMs: p50Of(base),
    latestMs: p50Of(latest),
    differs: list(differs),
    autoOptimize: autoOptimizeOf(latest),
  });
  return matching !== undefined
    ? { run: matching, note: note('matched', matching) }
    : { run: latest, note: note('unmatched', latest) };
}

/**
 * The note in words, for the latency chart and the report: "The original's 0.320 ms is its latest run made like
 * most variants' runs; its latest run (0.206 ms, in an Auto-optimize run) ran without profiling." or "The
 * original's 0.206 ms is from an Auto-optimize run that ran without profiling, unlike most variants' runs:
 * benchmark the original with their settings to set them beside a like run."
 */
export function describeBaseline(note: BaselineNote): string {
  if (note.kind === 'matched') {
    return (
      `The original's ${ms(note.baseMs)} is its latest run made like most variants' runs; its latest run ` +
      `(${ms(note.latestMs)}${note.autoOptimize ? ', in an Auto-optimize run' : ''}) ran ${note.differs}.`
    );
  }
  return (
    `The original's ${ms(note.baseMs)} is from ${note.autoOptimize ? 'an Auto-optimize run' : 'a run'} that ran ` +
    `${note.differs}, unlike most variants' runs: benchmark the original with their settings to set them beside a like run.`
  );
}
