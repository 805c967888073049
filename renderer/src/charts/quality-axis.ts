/**
 * The quality chart's value axis: zoomed to the data where the figures differ (on a 0-1 axis a cosine of 0.9757
 * and one of 1.0000, or 98.9% and 99.4%, look the same), and not zoomed where they do not. Pure; tested in
 * quality-axis.test.ts.
 */
import { shareRange, shareTicks } from '../../../shared/chart-scale.js';
import { formatQuality, type QualityMetric } from '../state/compare-data.js';

/**
 * The narrowest span a cosine axis zooms to: fp16 and int8 variants of a small model have cosines within 1e-7 of
 * the original's, whose round ticks then all printed "1.000000". Differences below it are not worth a chart.
 */
const MIN_COSINE_SPAN = 1e-4;

/**
 * The narrowest span an accuracy or agreement axis zooms to: half a point. Narrower, its round ticks needed three
 * decimals of a percent ("79.985%"), a precision no evaluation of a few hundred samples has (one sample of 200
 * is half a point).
 */
const MIN_SHARE_SPAN = 0.005;

export interface QualityAxis {
  ticks: number[];
  /** Decimals a share needs to tell its ticks apart (two fewer as a percentage). */
  digits: number;
  /**
   * Every figure prints the same ("80.00%"): there is no difference to show, so the axis is not zoomed (0 to 1)
   * and the caption says "all at 80.00%" instead of "starts at 79.985% to show the differences".
   */
  allAt?: string;
}

/**
 * Ticks of a quality axis: 0 to 1 where every value prints the same as the charts print it (`formatQuality`:
 * differences below that precision are none to the reader), else round ticks zoomed to the data (shareRange,
 * never past 1) spanning at least MIN_SHARE_SPAN (MIN_COSINE_SPAN for cosines).
 */
export function qualityTicks(values: readonly number[], metric: QualityMetric = 'accuracy'): QualityAxis {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { ticks: shareTicks(), digits: 2 };
  const printed = new Set(finite.map((v) => formatQuality(v, metric)));
  if (printed.size === 1) return { ticks: shareTicks(), digits: 2, allAt: [...printed][0]! };
  const minSpan = metric === 'cosine' ? MIN_COSINE_SPAN : MIN_SHARE_SPAN;
  const top = Math.max(...finite);
  const narrow = top - Math.min(...finite) < minSpan;
  const ticks = shareRange(narrow ? [...finite, top - minSpan] : finite);
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  return { ticks, digits: Math.min(6, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9))) };
}

/** The quality card's sentence about its axis: all at one figure, zoomed from a start above 0, or nothing. */
export function qualityAxisNote(axis: QualityAxis, tickFormat: (v: number) => string): string {
  if (axis.allAt !== undefined) return ` All at ${axis.allAt}: no difference to show, so the axis starts at 0.`;
  const start = axis.ticks[0] ?? 0;
  return start > 0 ? ` The axis starts at ${tickFormat(start)}, not 0, to show the differences.` : '';
}
