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
import {
  datasetLabels,
  describeDataset,
  imagePreprocessingOf,
  type ShownDataset,
} from '../state/experiment.js';
import type { DatasetIdentity } from '../../../shared/workspace.js';
import { isAccuracy } from '../state/quality-words.js';

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
 * `ratio`: another figure of the same evaluation, on the same data (a next-token accuracy's perplexity).
 */
export function qualityRatioText(
  row: CompareRow,
  original: CompareRow | undefined,
  ratio: number | undefined = row.qualityRatio,
): string {
  const relation = dataRelation(row, original);
  return relation?.kind === 'other' ? dataMark(relation) : formatRatio(ratio);
}

/**
 * The data line of the quality card: "Data: digits (200 samples). structured 10%: 50 samples, the others 200."
 * It says how the engine read the data where its description tells (image preprocessing: "Data: digits_imgs (360
 * samples), images read as 32x32 gray nchw, …"), and what the evaluations of the figures noted (values guessed,
 * entries skipped). The data is the original's, else, without labels (the original is the reference), the one dataset of
 * every figure. Undefined when that does not name its data.
 */
export function qualityDataCaption(rows: readonly CompareRow[]): string | undefined {
  const original = rows.find((r) => r.isOriginal);
  const measured = rows.filter((r) => r.quality !== undefined && r.dataset !== undefined);
  const only = new Set(measured.map((r) => r.dataset!.sha256)).size === 1 ? measured[0] : undefined;
  const baseRow = original?.dataset ? original : only;
  const base = baseRow?.dataset;
  if (!baseRow || !base) return undefined;
  const labels = datasetLabels(shownDatasets(rows));
  const name = (d: DatasetIdentity) => labels.get(d.sha256) ?? describeDataset(d);
  const flagged = rows.flatMap((r) => {
    const relation = dataRelation(r, original);
    return relation ? [{ row: r, relation }] : [];
  });
  const readAs = imagePreprocessingOf(baseRow.imageReading, baseRow.data);
  const parts = [`Data: ${name(base)}${readAs ? `, images read as ${readAs}` : ''}.`];
  const bySamples = flagged.flatMap((f) =>
    f.relation.kind === 'samples' ? [`${f.row.label}: ${plural(f.relation.samples)}`] : [],
  );
  // Rows on the same other data are named together: "fp16, int8-static: x_u8.npy + test-labels.npy (360 samples)".
  const others = new Map<string, { labels: string[]; dataset: DatasetIdentity }>();
  for (const f of flagged) {
    if (f.relation.kind !== 'other') continue;
    const group = others.get(f.relation.dataset.sha256) ?? { labels: [], dataset: f.relation.dataset };
    others.set(f.relation.dataset.sha256, { ...group, labels: [...group.labels, f.row.label] });
  }
  const byOther = [...others.values()].map((g) => `${g.labels.join(', ')}: ${name(g.dataset)}`);
  if (bySamples.length > 0)
    parts.push(
      `${bySamples.join(', ')}, the others ${base.samples}: a figure on fewer samples is a rougher estimate.`,
    );
  if (byOther.length > 0)
    parts.push(`${byOther.join('; ')}: other data than the original's, so no ratio to it.`);
  const notes = [...new Set(rows.flatMap((r) => (r.quality !== undefined ? (r.dataNotes ?? []) : [])))];
  if (notes.length > 0) parts.push(`Evaluation notes: ${notes.map((n) => n.replace(/\.$/, '')).join('; ')}.`);
  return parts.join(' ');
}

/** The datasets the rows' quality figures were measured on, with the engine's descriptions (to tell them apart). */
export function shownDatasets(rows: readonly CompareRow[]): ShownDataset[] {
  return rows.flatMap((r) => (r.dataset ? [{ dataset: r.dataset, data: r.data }] : []));
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
  if (!isAccuracy(metric) || row.quality === undefined || original?.quality === undefined) return undefined;
  const relation = dataRelation(row, original);
  if (relation?.kind !== 'samples') return undefined;
  const points = (original.quality - row.quality) * 100;
  if (!isNotableDrop(points)) return undefined;
  return {
    points,
    samples: relation.samples,
    baseSamples: relation.baseSamples,
    dataName: relation.base.name,
  };
}
