/**
 * What `bench` says about several models measured in one run, beyond each model's own figures:
 *
 * - Peak memory. The models are loaded together and run interleaved in one engine process, so the engine's
 *   peak RSS is that process's high-water mark with every model loaded: one figure for the run, not one per
 *   model. Repeated on each row it read as each model's own, so with several models it is said once, for what
 *   it is (`processPeakRssBytes`); a model benchmarked alone keeps it as its own (`results[].peakRssBytes`).
 * - The noise of each ratio. Two runs of the same pair measured 0.81x and 1.25x: a bare ratio says nothing of
 *   whether the run can tell it from 1. Each comparison carries the verdict tune and the app's Compare give
 *   (shared/latency-noise.ts `ratioNoise`, from the run's samples), with tune's field names and words.
 */
import type { BenchComparison, BenchReport } from '../../../shared/bench.js';
import { noiseNote, ratioNoise, type SpeedVerdict } from '../../../shared/latency-noise.js';

/** A comparison judged against its run's noise: `latencyVerdict` and `latencyUnreliable` as in tune's trials. */
export interface JudgedComparison extends BenchComparison {
  /** Only `faster` / `slower` beyond the run's noise; `same` when the run cannot tell the ratio from 1. */
  latencyVerdict: SpeedVerdict;
  /** The run's spread is too large to tell anything (the verdict is then `same`); absent otherwise. */
  latencyUnreliable?: true;
}

/**
 * The report's comparisons with their verdicts. `samples[i]` holds the latencies (ms) of `results[i]`, as the
 * engine streams them; comparison i is results[i + 1] against results[0] (by index: a model may be given twice).
 */
export function judgeComparisons(
  report: BenchReport,
  samples: readonly (readonly number[])[],
): JudgedComparison[] {
  const baseline = report.results[0];
  return report.comparisons.map((comparison, i) => {
    const result = report.results[i + 1];
    const noise =
      baseline && result
        ? ratioNoise({ ...result, samples: samples[i + 1] }, { ...baseline, samples: samples[0] })
        : undefined;
    // As tune-runner.ts: no noise band (no p50) is no evidence of a difference.
    return {
      ...comparison,
      latencyVerdict: noise?.verdict ?? 'same',
      ...(noise?.unreliable ? { latencyUnreliable: true as const } : {}),
    };
  });
}

/** The words after a ratio, as tune prints them: `within noise`, `unreliable run`, `slower`; none when faster. */
export function verdictWords(
  c: Pick<JudgedComparison, 'latencyVerdict' | 'latencyUnreliable'>,
): string | undefined {
  const note = noiseNote({ verdict: c.latencyVerdict, unreliable: c.latencyUnreliable === true });
  return note ?? (c.latencyVerdict === 'slower' ? 'slower' : undefined);
}

/** The legend under the ratios, for the words that appear in them. */
export function verdictLegend(comparisons: readonly JudgedComparison[]): string[] {
  const lines: string[] = [];
  if (comparisons.some((c) => c.latencyVerdict === 'same' && !c.latencyUnreliable))
    lines.push(
      "'within noise': this run cannot tell the p50 ratio from 1 (judged as tune and the app's Compare judge it).",
    );
  if (comparisons.some((c) => c.latencyUnreliable))
    lines.push(
      "'unreliable run': the runs spread too much to tell anything (p90 over 3x the p50, or an IQR over half the median).",
    );
  return lines;
}

/** The peak of the one process several models shared, for the line under the table; undefined for one model. */
export function processPeakRssBytes(report: BenchReport): number | undefined {
  // Every result holds the same process-wide figure (run-benchmark.ts measures one peak for the run).
  return report.results.length > 1 ? report.results[0]?.peakRssBytes : undefined;
}

/** `--json`'s object: see docs/cli.md, `bench`. */
export function benchJson(
  report: BenchReport,
  comparisons: readonly JudgedComparison[],
): Record<string, unknown> {
  const { results, settings, notes } = report;
  const processPeak = processPeakRssBytes(report);
  if (processPeak === undefined) return { results, settings, notes };
  return {
    // Not any one model's peak: said once, at the top level.
    results: results.map(({ peakRssBytes: _processWide, ...own }) => own),
    comparisons,
    processPeakRssBytes: processPeak,
    settings,
    notes,
  };
}
