/**
 * Time left for a job, from its progress so far. A straight-line estimate: the work done took `elapsed`,
 * so the rest takes `elapsed * (1 - f) / f`. Withheld until there is enough progress to mean something,
 * because "2 hours left" after the first 0.1 % of a job is noise that users remember.
 */
export function estimateRemainingMs(
  startedAtMs: number,
  nowMs: number,
  fraction: number,
): number | undefined {
  const elapsed = nowMs - startedAtMs;
  if (!(fraction >= 0.03) || fraction >= 1 || elapsed < 500) return undefined;
  return (elapsed * (1 - fraction)) / fraction;
}

/** "under 1 s", "12 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return 'under 1 s';
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}
