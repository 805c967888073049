/**
 * Latency figures in words, once for the app (the Compare view's table and charts) and the HTML report: a
 * p50 with 3 significant digits, a ratio to the original, and the original's p50 that ratio divides by where
 * it is not the one shown in the original's row ("×1.24 of 0.286 ms"). Each variant's ratio comes from its own
 * interleaved run, whose original can differ from the original's latest run: without its base, a variant at
 * 0.354 ms "×1.24" beside an original of 0.491 ms reads as a mistake. A leaf of `shared/`: it imports nothing
 * (and no zod), so the page can load it.
 */

/** "×0.26" with enough digits to tell close values apart. */
export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '–';
  return `×${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}`;
}

/** Milliseconds with 3 significant digits (0.0123 ms, 1.23 ms, 123 ms). */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toPrecision(3)} ms`;
}

/**
 * The base of a variant's ratio to show beside it: undefined where there is none, or where it prints as the
 * original's row does (3 significant digits), which it then adds nothing to.
 */
export function ratioBaseToShow(
  baseMs: number | undefined,
  originalRowP50Ms: number | undefined,
): number | undefined {
  if (baseMs === undefined) return undefined;
  return formatMs(baseMs) === formatMs(originalRowP50Ms) ? undefined : baseMs;
}

/** What joins a latency ratio to the p50 it divides by: `×1.06` + this + `0.210 ms` (the page wraps there). */
export const RATIO_BASE_SEPARATOR = " of the original's ";

/**
 * A variant's latency ratio as the app and the report print it: "×2.53", or "×2.53 of the original's 0.0447 ms".
 * The ms says whose it is: Export prints a variant's own p50 after its ratio, and a bare "of 0.0447 ms" beside
 * it read as the same figure.
 */
export function formatLatencyRatio(
  ratio: number | undefined,
  baseMs: number | undefined,
  originalRowP50Ms: number | undefined,
): string {
  const base = ratio === undefined ? undefined : ratioBaseToShow(baseMs, originalRowP50Ms);
  return `${formatRatio(ratio)}${base !== undefined ? `${RATIO_BASE_SEPARATOR}${formatMs(base)}` : ''}`;
}
