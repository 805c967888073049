/**
 * The Pareto card's sentence about where its axes start. Both axes are zoomed to the data (a scatter's points sit
 * in a narrow band): a browser run's p50s of 7.99 and 8.11 ms span 7.95 to 8.15 ms, where a 1.5% gap fills half the
 * plot. An axis that does not start at 0 says so, as the quality chart's axis does (quality-axis.ts). Pure;
 * tested in pareto-axes.test.ts.
 */

/** Where each axis starts, and how its ticks print that figure (`7.95 ms`, `99.85%`). */
export interface ParetoAxisStarts {
  latency: number;
  latencyText: string;
  quality: number;
  qualityText: string;
}

/** ` The latency axis starts at 7.95 ms, not 0, to show the differences.`, or '' where both start at 0. */
export function paretoAxesNote(starts: ParetoAxisStarts): string {
  const zoomed = [
    starts.latency > 0 ? `the latency axis at ${starts.latencyText}` : undefined,
    starts.quality > 0 ? `the quality axis at ${starts.qualityText}` : undefined,
  ].filter((s) => s !== undefined);
  if (zoomed.length === 0) return '';
  // "The latency axis starts at 7.95 ms and the quality axis at 99.85%": one verb for both.
  const sentence = zoomed.join(' and ').replace(' at ', ' starts at ');
  return ` ${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}, not 0, to show the differences.`;
}
