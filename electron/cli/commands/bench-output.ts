/**
 * What `bench` and a recipe's bench step say about several models measured in one run, beyond each model's own
 * figures. The engine judges (shared/bench-comparisons.ts); this file words and shapes:
 *
 * - Peak memory. The models are loaded together and run interleaved in one engine process, so its peak RSS is
 *   one figure for the run, not one per model. Repeated on each row it read as each model's own, so with several
 *   models it is said once, for what it is (`processPeakRssBytes`); a model benchmarked alone keeps it as its
 *   own (`results[].peakRssBytes`).
 * - The noise of each ratio: the engine's `latencyVerdict`, in tune's words.
 */
import type { BenchComparison, BenchReport } from '../../../shared/bench.js';
import { noiseNote } from '../../../shared/latency-noise.js';
import { formatBytes } from '../format.js';

/** The words after a ratio, as tune prints them: `within noise`, `unreliable run`, `slower`; none when faster. */
/** ms with about four significant digits, as bench's tables write them. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 100) return value.toFixed(1);
  if (value >= 10) return value.toFixed(2);
  return value.toFixed(3);
}

/** A ratio against the first model: `1.23x`, or `-` where there is none. */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}

export function verdictWords(
  c: Pick<BenchComparison, 'latencyVerdict' | 'latencyUnreliable'>,
): string | undefined {
  const note = noiseNote({ verdict: c.latencyVerdict, unreliable: c.latencyUnreliable === true });
  return note ?? (c.latencyVerdict === 'slower' ? 'slower' : undefined);
}

/** The legend under the ratios, for the words that appear in them. */
export function verdictLegend(comparisons: readonly BenchComparison[]): string[] {
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

/** The line under the table for the peak several models shared; undefined for one model. */
export function processPeakLine(
  report: Pick<BenchReport, 'processPeakRssBytes' | 'results'>,
): string | undefined {
  return report.processPeakRssBytes === undefined
    ? undefined
    : `Peak RSS of the benchmark process (all ${report.results.length} models loaded): ${formatBytes(report.processPeakRssBytes)}`;
}

/** `--json`'s object (docs/cli.md, `bench`), also a recipe's bench step's `report`. */
export function benchJson(report: BenchReport): Record<string, unknown> {
  const { results, comparisons, processPeakRssBytes, settings, notes } = report;
  if (processPeakRssBytes === undefined) return { results, settings, notes };
  return {
    // Not any one model's peak: said once, at the top level.
    results: results.map(({ peakRssBytes: _processWide, ...own }) => own),
    comparisons,
    processPeakRssBytes,
    settings,
    notes,
  };
}
