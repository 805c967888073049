/**
 * Which benchmark the report's "Latency distribution" chart (and its per-operator time charts) draws, and why.
 *
 * The report names a best variant from each variant's own interleaved run; a chart of "the latest benchmark"
 * showed whatever ran last (another variant), under a heading that reads as the best one's. So: the run that
 * measured the best variant (its row's `latency.recordId`), with the original of that same run, and a caption
 * that names them. Without a best variant, or when its run kept no samples, the latest run of the report's
 * engine, and the caption says that is what it is.
 */
import type { ComparisonRow } from '../../../shared/report.js';
import { ORIGINAL_TARGET, type BenchRecord } from '../../../shared/workspace.js';

export interface DistributionRun {
  record: BenchRecord;
  /** The targets to draw, in the run's order: the original and the best variant, or every model of the run. */
  targets: string[];
  /** The chart's title, e.g. `Latency distribution: int8-static against the original (onnxruntime-node cpu)`. */
  title: string;
  /** Why this run: which variant it shows and what it leaves out. */
  caption: string;
}

const hasSamples = (record: BenchRecord, target: string) =>
  (record.results.find((r) => r.target === target)?.samples?.length ?? 0) > 0;

/**
 * The run to draw. `benchmarks` are the workspace's, oldest first; `latencySource` the engine the rows'
 * latencies come from (`StudioReport.latencySource`); `best` the best variant's row, if the report names one.
 */
export function distributionRun(
  rows: readonly ComparisonRow[],
  benchmarks: readonly BenchRecord[],
  latencySource: string | undefined,
  best: ComparisonRow | undefined,
): DistributionRun | undefined {
  const nameOf = (target: string) => rows.find((r) => r.target === target)?.name ?? target;
  const own = best?.latency && benchmarks.find((b) => b.id === best.latency!.recordId);
  if (best && own && hasSamples(own, best.target)) {
    const targets = own.results
      .filter((r) => (r.target === ORIGINAL_TARGET || r.target === best.target) && hasSamples(own, r.target))
      .map((r) => r.target);
    const others = own.results.length - targets.length;
    const withOriginal = targets.includes(ORIGINAL_TARGET);
    return {
      record: own,
      targets,
      title: `Latency distribution: ${best.name}${withOriginal ? ' against the original' : ''} (${own.label})`,
      caption: `The best variant${withOriginal ? ' and the original' : ''} in the run that measured it (${own.createdAt})${
        others > 0 ? `; its ${others} other model${others === 1 ? ' is' : 's are'} in the table, not drawn` : ''
      }.`,
    };
  }
  const sameEngine = latencySource === undefined ? benchmarks : benchmarks.filter((b) => b.label === latencySource);
  const latest = [...sameEngine].reverse().find((b) => b.results.some((r) => hasSamples(b, r.target)));
  if (!latest) return undefined;
  const why = best
    ? `The run that measured the best variant, ${best.name}, kept no per-run samples`
    : 'No variant is the best one';
  return {
    record: latest,
    targets: latest.results.filter((r) => hasSamples(latest, r.target)).map((r) => r.target),
    title: `Latency distribution (${latest.label})`,
    caption: `${why}: this is the latest run (${latest.createdAt}), of ${latest.results
      .filter((r) => hasSamples(latest, r.target))
      .map((r) => nameOf(r.target))
      .join(', ')}.`,
  };
}
