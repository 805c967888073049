/**
 * Axis domains and ticks a reader takes in at a glance: round steps (1, 2 or 5 times a power of ten; for
 * sizes, of a power of 1024's unit), a top a little above the tallest bar so its value label fits, and
 * quality axes that never pass 100%. Shared by the app's charts (renderer/src/charts/) and the HTML
 * report's (electron/engine/report/svg-charts.ts). Pure: tested in chart-scale.test.ts.
 */

/** The smallest of 1, 2, 5 × 10^k that is at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw * (1 - 1e-9)) return m * power;
  return 10 * power;
}

/**
 * Ticks from 0 in round steps up to at least `max` (with `headroom`, e.g. 0.12 for a value label above the
 * bar), at most `count` steps. The step is the smallest round one that needs no more than `count`, so the
 * axis ends less than 1.5 × (max with headroom) for the default 5.
 */
export function niceTicks(max: number, options: { count?: number; headroom?: number } = {}): number[] {
  const count = options.count ?? 5;
  const top = max * (1 + (options.headroom ?? 0));
  if (!(top > 0) || !Number.isFinite(top)) return [0, 1];
  const step = niceStep(top / count);
  const n = Math.ceil(top / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => roundTo(i * step, step));
}

function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(decimals));
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Byte ticks in round steps of the unit the largest value reads in (0, 50 KiB, 100 KiB... not 146.5 KiB). */
export function byteTicks(max: number, options: { count?: number; headroom?: number } = {}): { ticks: number[]; format: (v: number) => string } {
  let unit = 0;
  let scaled = max * (1 + (options.headroom ?? 0));
  while (scaled >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  const factor = 1024 ** unit;
  const ticks = niceTicks(scaled, options.count !== undefined ? { count: options.count } : {}).map((t) => t * factor);
  const format = (v: number) => {
    const x = v / factor;
    return `${Number.isInteger(x) ? x : Number(x.toPrecision(3))} ${BYTE_UNITS[unit]}`;
  };
  return { ticks, format };
}

/** Room above the tallest latency bar, for the start of its whiskers. */
export const LATENCY_HEADROOM = 0.25;

/**
 * A latency axis scaled to the bars (p50), not to the whiskers: a p99 of 8 ms must not flatten 0.17 ms
 * bars. It ends between 1.25 and 2 times the tallest bar. Returns the ticks and whether some whisker
 * reaches past the top (then it is clipped, and the chart says so; the values are in the tooltip and the
 * table).
 */
export function latencyAxis(p50s: readonly number[], whiskerTops: readonly number[]): { ticks: number[]; clipped: boolean } {
  const max = Math.max(0, ...p50s.filter(Number.isFinite));
  const ticks = niceTicks(max, { headroom: LATENCY_HEADROOM });
  const top = ticks[ticks.length - 1] ?? 0;
  return { ticks, clipped: whiskerTops.some((w) => w > top) };
}

/** Ticks for a share (accuracy, agreement, cosine): 0 to 1 in round steps, never above 1 (100%). */
export function shareTicks(): number[] {
  return [0, 0.25, 0.5, 0.75, 1];
}

/**
 * Round ticks around shares (accuracy, agreement) that sit in a narrow band, e.g. 97.2%..99.1%: a little
 * padding either side, never below 0 and never above 1 (100%).
 */
export function shareRange(values: readonly number[], count = 4): number[] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.min(1, Math.max(...finite));
  const pad = (hi - lo || 0.01) * 0.15;
  // The padded band ends at 1 at most, and 1 is a multiple of every round step: the last tick is then 1.
  return niceRange(Math.max(0, lo - pad), Math.min(1, hi + pad), count).filter((t) => t <= 1);
}

/**
 * A share axis (accuracy, agreement, cosine) for figures as `print` writes them: zoomed to the data
 * (shareRange) where they print differently, else 0 to 1, with that one figure as `allAt`. Zoomed around
 * figures that are all 100%, its four ticks all read "100%", its bars seemed to show differences there are
 * none of, and a scatter put every point on its top edge. The app's quality axis follows the same rule
 * (renderer/src/charts/quality-axis.ts).
 */
export function shareAxis(
  values: readonly number[],
  print: (v: number) => string,
): { ticks: number[]; allAt?: string } {
  const finite = values.filter(Number.isFinite);
  const printed = new Set(finite.map(print));
  if (printed.size === 1) return { ticks: shareTicks(), allAt: [...printed][0]! };
  return { ticks: shareRange(finite) };
}

/** Percent labels for share ticks with the decimals their step needs: 99.5% and 99%, not "100%" twice. */
export function percentTickFormat(ticks: readonly number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) * 100 : 1;
  const digits = Math.min(4, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  return (v) => `${(v * 100).toFixed(digits)}%`;
}

/** Round ticks covering [min, max] (not from 0): for scatter axes, where the data sits in a narrow band. */
export function niceRange(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const span = max - min || Math.abs(max) * 0.1 || 1;
  const step = niceStep(span / count);
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(roundTo(v, step));
  if ((ticks[ticks.length - 1] ?? first) < max) ticks.push(roundTo(first + ticks.length * step, step));
  if (ticks.length < 2) ticks.push(roundTo(first + step, step));
  return ticks;
}

/**
 * A latency distribution cut at its rare outliers: at the p99 run, or nearer, at Q3 + 3 IQR, where a few
 * percent of slow runs (a busy machine) lie far out, but not below the p95 run while that is a plain tail (at
 * most twice the median). Without the cut the axis stretched to the slowest run and ~95% of the runs fell in 3
 * bars. A run whose slow runs are a cluster of their own, over 5% of them (a browser run with p90 at 10x the
 * p50), is cut at Q3 + 3 IQR even below p95: cut at p95 its 85 fast runs fell in one bar of thirty. `beyond`
 * runs lie above `cutoff`; a chart says so.
 */
export function clipTail(samples: ArrayLike<number>): { kept: number[]; beyond: number; cutoff: number | undefined } {
  const values = Array.from(samples).filter(Number.isFinite);
  if (values.length === 0) return { kept: [], beyond: 0, cutoff: undefined };
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest run at or above `p`% of them.
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const q1 = rank(25);
  const q3 = rank(75);
  const fence = Math.min(rank(99), q3 + 3 * (q3 - q1));
  const p95 = rank(95);
  const cutoff = p95 <= 2 * rank(50) ? Math.max(p95, fence) : fence;
  const kept = values.filter((v) => v <= cutoff);
  return { kept, beyond: values.length - kept.length, cutoff };
}
