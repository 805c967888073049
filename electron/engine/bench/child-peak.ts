/**
 * The peak memory of a whole child process a benchmark script starts (bench-layers, bench-calibration):
 * `node --import PEAK_PRELOAD ...` makes the child report it on stderr (report-peak-memory.ts), and
 * childPeakBytes reads the largest report back.
 */

/** What starts a report line on the child's stderr. */
export const PEAK_REPORT = 'peakBytes=';

/** The preload's URL, for `--import` (the compiled module beside this one). */
export const PEAK_PRELOAD = new URL('./report-peak-memory.js', import.meta.url).href;

/** The child's peak in bytes from its stderr: the largest report (NaN when there is none). */
export function childPeakBytes(stderr: string): number {
  const reports = [...stderr.matchAll(new RegExp(`${PEAK_REPORT}(\\d+)`, 'g'))].map((m) => Number(m[1]));
  return reports.length > 0 ? Math.max(...reports) : NaN;
}
