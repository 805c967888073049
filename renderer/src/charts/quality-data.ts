/**
 * Which quality figures were measured on other data than the original's: the quality chart marks their bars and
 * names the data under the chart, and the table keeps an accuracy loss measured on fewer samples in view. A user
 * evaluated one variant with "Use at most (samples)" = 50 beside others on 200: its bar stood among them
 * unmarked, and its "−5.0 pts accuracy" badge vanished (accuracy-drop.ts compares figures on identical data only)
 * although it still lost points. Pure; tested in quality-data.test.ts.
 */
import { isNotableDrop } from '../state/accuracy-drop.js';
import {
  dataRelationOf,
  formatRatio,
  type CompareRow,
  type DataRelation,
  type QualityMetric,
} from '../state/compare-data.js';

export type { DataRelation };

/**
 * How a row's data relates to the original's (compare-data.ts `dataRelationOf`, the rule that also leaves the
 * table's and the CSV's ratio out for other data). Undefined for the original and for a row without a figure.
 */
export function dataRelation(row: CompareRow, original: CompareRow | undefined): DataRelation | undefined {
  if (row.isOriginal || row.quality === undefined) return undefined;
  return dataRelationOf(row.dataset, original?.dataset);
}

const plural = (n: number) => `${n} sample${n === 1 ? '' : 's'}`;

/** The short mark after a flagged bar's figure: "50 samples", or "other data". */
export function dataMark(relation: DataRelation): string {
  return relation.kind === 'samples' ? plural(relation.samples) : 'other data';
}

/**
 * A row's quality ratio as the table prints it beside the figure: "×0.97", or, for a figure on other data than
 * the original's (which has no ratio: compare-data.ts `comparableQuality`), "other data", as the chart marks it.
 */
export function qualityRatioText(row: CompareRow, original: CompareRow | undefined): string {
  const relation = dataRelation(row, original);
  return relation?.kind === 'other' ? dataMark(relation) : formatRatio(row.qualityRatio);
}

/**
 * The data line of the quality card: "Data: digits (200 samples). structured 10%: 50 samples, the others 200."
 * Undefined when the original's evaluation does not name its data.
 */
export function qualityDataCaption(rows: readonly CompareRow[]): string | undefined {
  const original = rows.find((r) => r.isOriginal);
  const base = original?.dataset;
  if (!base) return undefined;
  const flagged = rows.flatMap((r) => {
    const relation = dataRelation(r, original);
    return relation ? [{ row: r, relation }] : [];
  });
  const head = `Data: ${base.name} (${plural(base.samples)}).`;
  if (flagged.length === 0) return head;
  const bySamples = flagged.flatMap((f) => (f.relation.kind === 'samples' ? [`${f.row.label}: ${plural(f.relation.samples)}`] : []));
  const byOther = flagged.flatMap((f) =>
    f.relation.kind === 'other' ? [`${f.row.label}: ${f.relation.dataset.name} (${plural(f.relation.dataset.samples)})`] : [],
  );
  const parts = [head];
  if (bySamples.length > 0) parts.push(`${bySamples.join(', ')}, the others ${base.samples}: a figure on fewer samples is a rougher estimate.`);
  if (byOther.length > 0) parts.push(`${byOther.join(', ')}: other data than the original's, so no ratio to it.`);
  return parts.join(' ');
}

/** An accuracy loss measured on another number of samples of the original's data (by name). */
export interface SampleCountDrop {
  points: number;
  samples: number;
  baseSamples: number;
  dataName: string;
}

/**
 * The loss of a row evaluated on another number of samples of the original's data, when it deserves the badge
 * (`isNotableDrop`): kept in view, said to be on other sample counts, rather than dropped as not comparable.
 */
export function sampleCountDrop(
  row: CompareRow,
  original: CompareRow | undefined,
  metric: QualityMetric | undefined,
): SampleCountDrop | undefined {
  if (metric !== 'accuracy' || row.quality === undefined || original?.quality === undefined) return undefined;
  const relation = dataRelation(row, original);
  if (relation?.kind !== 'samples') return undefined;
  const points = (original.quality - row.quality) * 100;
  if (!isNotableDrop(points)) return undefined;
  return { points, samples: relation.samples, baseSamples: relation.baseSamples, dataName: relation.base.name };
}
