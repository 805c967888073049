/**
 * What the Compare view plots, derived from the variants: one row per variant with its size, latency
 * (from one measurement source) and quality, each with its ratio to the original. Pure, so the charts,
 * the CSV, the report and the tests all read the same numbers.
 */
import { p50RatioToOriginal, sameShapes } from '../../../shared/latency-stats.js';
import {
  bareBand,
  describeSpread,
  fasterBeyondNoise,
  latencySpread,
  noiseNote,
  ORIGINAL_BAND,
  ratioNoise,
  spreadTooLarge,
  unreliableWhy,
  type RatioNoise,
} from '../../../shared/latency-noise.js';
import { measurementKey, type JobRecord, type MeasurementSource } from './studio-state.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { Evaluation, LatencyMeasurement, MeasuredOn, Variant } from './variants.js';
import type { DatasetIdentity } from '../../../shared/workspace.js';
import type { ImageReading } from '../../../shared/image-reading.js';
import { accuracyDrop } from './accuracy-drop.js';
import {
  accuracyMetricOf,
  isAccuracy,
  QUALITY_LABELS,
  QUALITY_NOUNS,
  type QualityMetric,
} from './quality-words.js';
import { measuredOffSpec, specShapesFor, type InputSpec } from '../../../shared/input-spec.js';
import { groupedShortShapes } from '../../../shared/input-groups.js';
import { sameFileAs } from '../../../shared/same-file.js';
import { describeBaseline, originalBaseline, type BaselineNote } from '../../../shared/bench-conditions.js';
import {
  formatLatencyRatio as sharedLatencyRatio,
  formatMs,
  formatRatio,
  ratioBaseToShow as baseToShow,
} from '../../../shared/latency-format.js';

// The one formatter of latency figures (the HTML report uses it too); re-exported for the views and charts.
export { formatMs, formatRatio };

// The quality figures and their words (quality-words.ts), re-exported for the views and charts.
export { QUALITY_LABELS, QUALITY_NOUNS, type QualityMetric };

export interface CompareRow {
  id: string;
  label: string;
  isOriginal: boolean;
  /** Position in the variant list: picks the series color. */
  index: number;
  bytes?: number;
  sizeRatio?: number;
  latency?: LatencyMeasurement;
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  latencyRatio?: number;
  /**
   * The original's p50 that `latencyRatio` divides by: the original's in the variant's own interleaved run
   * when that run timed it, else the original's row's p50. It can differ from the original's own row (its latest
   * run made like most variants' runs: `baseline`), so wherever the ratio is shown next to that row it must be shown too (`ratioBaseToShow`).
   */
  latencyRatioBaseMs?: number;
  /**
   * p50, p90 and p99 where the charts and the Pareto front place the row: the original's row at its own p50,
   * a variant at its ratio in its own interleaved run times that p50 (its figures scaled by the same factor).
   * Absolute p50s of different runs are not comparable (a busy machine moved the original 0.107 -> 0.234 ms
   * between runs), ratios are. Undefined when the row has no ratio to the original (or there is no original).
   */
  plotP50Ms?: number;
  plotP90Ms?: number;
  plotP99Ms?: number;
  /**
   * The noise band of `latencyRatio` (shared/latency-noise.ts): faster or slower than the original beyond the
   * run's noise, or the same speed; a variant's only.
   */
  latencyNoise?: RatioNoise;
  /**
   * The run this row's latency comes from was too noisy to tell speeds apart (p90 / p50 or IQR / median past
   * latency-noise.ts's limits, of the row or of the run's original): with the reason, for the latency card.
   */
  unreliableRun?: string;
  /**
   * The original's row only, where its figures are not simply its latest run's (shared/bench-conditions.ts): its
   * latest ran under other conditions than most variants' runs (an Auto-optimize run, profiling off), so the row
   * is its latest run made like theirs; or none was, and the note says how its run differs.
   */
  baseline?: BaselineNote;
  quality?: number;
  /**
   * A next-token accuracy's perplexity, from the same evaluation (lower is better), and its ratio to the
   * original's under the same rule as `qualityRatio` (none across other data).
   */
  perplexity?: number;
  perplexityRatio?: number;
  /**
   * quality / the original's, only where the two were measured on comparable data (`comparableQuality`): none
   * for a figure on other data than the original's.
   */
  qualityRatio?: number;
  /** The data the quality figure was measured on. */
  dataset?: DatasetIdentity;
  /**
   * That data as the engine described it when it measured the figure (its files, labels, image preprocessing), and
   * what its evaluation said about it (values it guessed, entries it skipped): shown beside the figure.
   */
  data?: string;
  /** Image folders: how the images became the input, with the values the user did not give (none in older records). */
  imageReading?: ImageReading;
  dataNotes?: string[];
  /** When the evaluation of the quality figure was recorded (ISO), when known. */
  measuredAt?: string;
  /** The label of an earlier variant whose file this one's is, byte for byte (same sha256): the same model. */
  sameFileAs?: string;
}

/** Every measurement source some variant has, the native engine first. */
export function measurementSources(variants: readonly Variant[]): MeasurementSource[] {
  const seen = new Map<string, MeasurementSource>();
  for (const v of variants) {
    for (const m of Object.values(v.latency))
      seen.set(measurementKey(m), { engine: m.engine, provider: m.provider });
  }
  return [...seen.values()].sort((a, b) =>
    a.engine === b.engine ? a.provider.localeCompare(b.provider) : a.engine === 'onnxruntime-node' ? -1 : 1,
  );
}

export function describeSource(source: MeasurementSource): string {
  return `${source.engine} · ${source.provider}`;
}

/** Whether a source label (describeSource) is the engine's own benchmark, onnxruntime-node, not a browser's. */
function isEngineSource(sourceLabel: string): boolean {
  return sourceLabel.startsWith('onnxruntime-node');
}

/**
 * The banner's heading where variants were evaluated on different data, naming the figures that differ: "These
 * accuracies ..." over top-1 agreements (no labels: agreement with the original, not accuracy) read as a claim
 * about accuracy the app never measured.
 */
export function mixedDatasetsHeading(metric: QualityMetric | undefined): string {
  const figures =
    metric === 'accuracy'
      ? 'accuracies'
      : metric === 'nextTokenAccuracy'
        ? 'next-token accuracies'
        : metric === 'top1Agreement'
          ? 'top-1 agreements with the original'
          : metric === 'cosine'
            ? 'output cosine similarities'
            : 'quality figures';
  return `These ${figures} were measured on different datasets:`;
}

/**
 * The best quality figure the evaluations support: an accuracy if any variant has one, else fidelity. Accuracy
 * against labels and a language model's next-token accuracy are different figures, shown one kind at a time: the
 * original's kind (what the ratios are to), else the kind most variants have (a tie: against labels).
 */
export function pickQualityMetric(variants: readonly Variant[]): QualityMetric | undefined {
  const evaluations = variants.map((v) => v.evaluation).filter((e): e is Evaluation => e !== undefined);
  const accuracies = evaluations.filter((e) => typeof e.accuracy === 'number');
  if (accuracies.length > 0) {
    const original = variants.find((v) => v.isOriginal)?.evaluation;
    if (typeof original?.accuracy === 'number') return accuracyMetricOf(original.task);
    const nextToken = accuracies.filter((e) => accuracyMetricOf(e.task) === 'nextTokenAccuracy').length;
    return nextToken * 2 > accuracies.length ? 'nextTokenAccuracy' : 'accuracy';
  }
  if (evaluations.some((e) => typeof e.fidelity?.top1Agreement === 'number')) return 'top1Agreement';
  if (evaluations.some((e) => typeof e.fidelity?.cosine === 'number')) return 'cosine';
  return undefined;
}

/**
 * The data a variant's figure of `metric` was measured on: the accuracy's own, or the fidelity's own. An evaluation
 * without labels replaces the fidelity alone, so the accuracy left from an earlier one stays on its own data (it
 * showed under the newer evaluation's dataset name). None for the original's fidelity: it is the reference.
 */
export function qualityDataOf(variant: Variant, metric: QualityMetric): MeasuredOn | undefined {
  const e = variant.evaluation;
  if (isAccuracy(metric)) {
    if (!e || accuracyOf(e, metric) === undefined) return undefined;
    return {
      data: e.data ?? '',
      ...(e.imageReading ? { imageReading: e.imageReading } : {}),
      samples: e.samples ?? e.dataset?.samples ?? 0,
      ...(e.dataset ? { dataset: e.dataset } : {}),
      notes: e.notes ?? [],
      ...(e.measuredAt ? { measuredAt: e.measuredAt } : {}),
    };
  }
  return variant.isOriginal ? undefined : e?.fidelity?.on;
}

/** An evaluation's accuracy when it is of the kind `metric` is (against labels, or next-token). */
function accuracyOf(e: Evaluation | undefined, metric: QualityMetric): number | undefined {
  return typeof e?.accuracy === 'number' && accuracyMetricOf(e.task) === metric ? e.accuracy : undefined;
}

export function qualityOf(variant: Variant, metric: QualityMetric): number | undefined {
  const e = variant.evaluation;
  if (isAccuracy(metric)) return accuracyOf(e, metric);
  // The original is the reference of every fidelity figure: it agrees with itself.
  if (variant.isOriginal) return 1;
  const value = metric === 'top1Agreement' ? e?.fidelity?.top1Agreement : e?.fidelity?.cosine;
  return typeof value === 'number' ? value : undefined;
}

/** The perplexity of the evaluation whose next-token accuracy `metric` shows; none for the other figures. */
function perplexityOf(variant: Variant, metric: QualityMetric): number | undefined {
  if (metric !== 'nextTokenAccuracy' || qualityOf(variant, metric) === undefined) return undefined;
  const value = variant.evaluation?.nextToken?.perplexity;
  // NaN or Inf figures are null in JSON: no perplexity to show or compare.
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function ratio(value: number | undefined, base: number | undefined): number | undefined {
  return value !== undefined && base !== undefined && base > 0 ? value / base : undefined;
}

/**
 * How a quality figure's data relates to the original's: `samples`, data of the same name on another number of
 * samples (a sample limit, the usual cause); `other`, data of another name. Undefined for a figure on the
 * original's very data (same sha256), and where either does not record its data.
 */
export type DataRelation =
  | { kind: 'samples'; samples: number; baseSamples: number; base: DatasetIdentity }
  | { kind: 'other'; dataset: DatasetIdentity; base: DatasetIdentity };

/** The relation of a variant's data (`own`) to the original's (`base`): see `DataRelation`. */
export function dataRelationOf(
  own: DatasetIdentity | undefined,
  base: DatasetIdentity | undefined,
): DataRelation | undefined {
  if (!base || !own || own.sha256 === base.sha256) return undefined;
  // Same name, other sample count: the same data with a sample limit, as far as the records tell. Same name and
  // count but another sha256 (files changed since) is other data: nothing says the figures are comparable.
  if (own.name === base.name && own.samples !== base.samples)
    return { kind: 'samples', samples: own.samples, baseSamples: base.samples, base };
  return { kind: 'other', dataset: own, base };
}

/**
 * Whether a quality figure on `own` data has a ratio to the original's on `base`: not across other data (a
 * variant evaluated on cnn_eval.npz beside an original on imgs read "×0.10" in the table and the CSV while the
 * chart said "other data, so no ratio"). The one rule of the table, the CSV and the quality chart.
 */
export function comparableQuality(
  own: DatasetIdentity | undefined,
  base: DatasetIdentity | undefined,
): boolean {
  return dataRelationOf(own, base)?.kind !== 'other';
}

export function compareRows(
  variants: readonly Variant[],
  source: MeasurementSource | undefined,
  metric: QualityMetric | undefined,
): CompareRow[] {
  const key = source ? measurementKey(source) : undefined;
  const original = variants.find((v) => v.isOriginal);
  // The original's run the variants are set beside: its latest made like most of theirs (bench-conditions.ts).
  const latestOriginal = key && original ? original.latency[key] : undefined;
  const stored = (key && original?.latencyRuns?.[key]) || [];
  const chosen = latestOriginal
    ? originalBaseline(
        stored.includes(latestOriginal) ? stored : [...stored, latestOriginal],
        variants.flatMap((v) => (!v.isOriginal && key && v.latency[key]?.stats ? [v.latency[key]] : [])),
        (m) => m.conditions,
        (m) => m.stats?.p50Ms ?? NaN,
        (m) => m.autoOptimize === true,
      )
    : undefined;
  const originalLatency = chosen?.run.stats ? chosen.run : latestOriginal;
  const baseLatency = originalLatency?.stats
    ? { p50Ms: originalLatency.stats.p50Ms, inputs: originalLatency.inputs }
    : undefined;
  const baseQuality = metric && original ? qualityOf(original, metric) : undefined;
  const baseData = metric && original ? qualityDataOf(original, metric) : undefined;
  const basePerplexity = metric && original ? perplexityOf(original, metric) : undefined;
  const sameFile = sameFileAs(variants);
  const rows = variants.map((v, index) => {
    const latency = v.isOriginal ? originalLatency : key ? v.latency[key] : undefined;
    const stats = latency?.stats;
    const quality = metric ? qualityOf(v, metric) : undefined;
    const row: CompareRow = { id: v.id, label: v.label, isOriginal: v.isOriginal, index };
    if (v.bytes !== undefined) row.bytes = v.bytes;
    const same = sameFile.get(v.id);
    if (same) row.sameFileAs = same.label;
    const sizeRatio = ratio(v.bytes, original?.bytes);
    if (sizeRatio !== undefined) row.sizeRatio = sizeRatio;
    if (latency) row.latency = latency;
    if (v.isOriginal && chosen?.note && originalLatency === chosen.run) row.baseline = chosen.note;
    if (stats) {
      row.p50Ms = stats.p50Ms;
      row.p90Ms = stats.p90Ms;
      row.p99Ms = stats.p99Ms;
      const latencyRatio = p50RatioToOriginal(
        stats.p50Ms,
        latency?.sameRunOriginalP50Ms,
        baseLatency,
        latency?.inputs,
      );
      if (latencyRatio !== undefined) {
        row.latencyRatio = latencyRatio;
        // The base p50RatioToOriginal chose: the same run's original when there is one, else the original's row.
        const base = latency?.sameRunOriginalP50Ms ?? baseLatency?.p50Ms;
        if (base !== undefined) row.latencyRatioBaseMs = base;
        // Its noise, against the same original (the same run's, else the original's row if fed the same shapes).
        const baseSpread =
          latency?.sameRunOriginal ??
          (originalLatency?.stats && sameShapes(latency?.inputs, originalLatency.inputs)
            ? { ...originalLatency.stats, samples: originalLatency.samples }
            : undefined);
        const noise =
          !v.isOriginal && latency && baseSpread
            ? ratioNoise({ ...stats, samples: latency.samples }, baseSpread)
            : undefined;
        if (noise) {
          row.latencyNoise = noise;
          // Whose spread it was, in that model's own figures: the variant's, or (quiet itself) its run's original's.
          if (noise.unreliable)
            row.unreliableRun = unreliableWhy({ ...stats, samples: latency.samples }, baseSpread!);
        }
      }
      if (v.isOriginal && latency) {
        const own = latencySpread({ ...stats, samples: latency.samples });
        if (spreadTooLarge(own))
          row.unreliableRun = describeSpread({
            tailRatio: own.tailRatio,
            relativeIqr: own.iqrMs / own.p50Ms,
          });
      }
      if (v.isOriginal) {
        row.plotP50Ms = stats.p50Ms;
        row.plotP90Ms = stats.p90Ms;
        row.plotP99Ms = stats.p99Ms;
      } else if (latencyRatio !== undefined && baseLatency !== undefined) {
        const scale = (latencyRatio * baseLatency.p50Ms) / stats.p50Ms;
        row.plotP50Ms = latencyRatio * baseLatency.p50Ms;
        row.plotP90Ms = stats.p90Ms * scale;
        row.plotP99Ms = stats.p99Ms * scale;
      }
    }
    if (quality !== undefined && metric) {
      row.quality = quality;
      const on = qualityDataOf(v, metric);
      if (on?.dataset) row.dataset = on.dataset;
      if (on?.data) row.data = on.data;
      if (on?.imageReading) row.imageReading = on.imageReading;
      if (on && on.notes.length > 0) row.dataNotes = on.notes;
      if (on?.measuredAt) row.measuredAt = on.measuredAt;
      const qualityRatio = ratio(quality, baseQuality);
      const comparable = comparableQuality(on?.dataset, baseData?.dataset);
      if (qualityRatio !== undefined && comparable) row.qualityRatio = qualityRatio;
      const perplexity = perplexityOf(v, metric);
      if (perplexity !== undefined) {
        row.perplexity = perplexity;
        const perplexityRatio = ratio(perplexity, basePerplexity);
        if (perplexityRatio !== undefined && comparable) row.perplexityRatio = perplexityRatio;
      }
    }
    return row;
  });
  // The original's own spread is worth a warning only where it left some variant undecided: a run whose variants
  // all stood wholly apart from it (latency-noise.ts) decided them, and the warning said it decided nothing.
  const compared = rows.filter((r) => r.latencyNoise !== undefined);
  const decided = compared.length > 0 && compared.every((r) => !r.latencyNoise!.unreliable);
  for (const r of rows) if (r.isOriginal && decided) delete r.unreliableRun;
  return rows;
}

/**
 * Points of accuracy (0-100 scale) a variant lost against the original; undefined unless both were
 * measured, on the same data (accuracy-drop.ts).
 */
export function accuracyDropPoints(
  row: CompareRow,
  original: CompareRow | undefined,
  metric: QualityMetric | undefined,
): number | undefined {
  if (!isAccuracy(metric) || row.isOriginal || row.quality === undefined || original?.quality === undefined)
    return undefined;
  return accuracyDrop(
    { accuracy: row.quality, ...(row.dataset ? { dataset: row.dataset } : {}) },
    { accuracy: original.quality, ...(original.dataset ? { dataset: original.dataset } : {}) },
  );
}

/**
 * The original p50 a variant's latency ratio is against, when it is not what the original's own row shows
 * (each variant's run timed the original anew, interleaved with it; the original's row is its latest run made like
 * most variants' runs).
 * Shown beside the ratio, so that no ratio contradicts the figures next to it: "0.223 ms ×1.06" beside an
 * original of 0.281 ms reads as a mistake, "0.223 ms ×1.06 of the original's 0.210 ms" does not. Compared as displayed
 * (3 significant digits): a base that would print the same as the original's row adds nothing.
 */
export function ratioBaseToShow(row: CompareRow, original: CompareRow | undefined): number | undefined {
  if (row.isOriginal || row.latencyRatio === undefined) return undefined;
  return baseToShow(row.latencyRatioBaseMs, original?.p50Ms);
}

/**
 * A variant's latency ratio as the table prints it: "×2.53", or "×2.53 of the original's 0.0447 ms". The ms says
 * whose it is: Export prints a variant's own p50 in brackets after its ratio, and a bare "of 0.0447 ms" beside
 * it read as the same figure. Where the difference from the original is within the run's noise,
 * `latencyNoiseNote` is printed beside it.
 */
export function formatLatencyRatio(row: CompareRow, original: CompareRow | undefined): string {
  if (row.isOriginal) return formatRatio(row.latencyRatio);
  return sharedLatencyRatio(row.latencyRatio, row.latencyRatioBaseMs, original?.p50Ms);
}

/**
 * A measurement's ratio against the original of its own interleaved run, judged against that run's noise (the
 * rule of Compare's table and of the benchmark's own comparisons, shared/bench-comparisons.ts); undefined where
 * the run did not time the original.
 */
export function sameRunNoise(latency: LatencyMeasurement | undefined): RatioNoise | undefined {
  if (!latency?.stats || !latency.sameRunOriginal) return undefined;
  return ratioNoise({ ...latency.stats, samples: latency.samples }, latency.sameRunOriginal);
}

/**
 * The words beside a ratio that the product reads as the same speed as the original: "within noise" (the
 * difference is inside the run's noise band, shared/latency-noise.ts), or "unreliable run" (the run's spread was
 * too large to tell). A ratio that prints as ×1.00 gets them too: left bare, it read as the one ratio the run had
 * not judged (beside "×0.98, within noise"), and a ×1.00 from an unreliable run says nothing of the speed.
 */
export function latencyNoiseNote(row: CompareRow): string | undefined {
  if (row.isOriginal || row.latencyRatio === undefined) return undefined;
  return noiseNote(row.latencyNoise);
}

/**
 * A variant's latency against the original in a word, as the CSV's `latency_verdict` gives it: `faster` or
 * `slower` beyond the run's noise, else the words the table prints beside the ratio (`latencyNoiseNote`):
 * `within noise`, or `unreliable run` where the run was too noisy to tell. Undefined for the original and for a
 * row without a ratio.
 */
export function latencyVerdict(row: CompareRow): string | undefined {
  if (row.isOriginal || row.latencyRatio === undefined || !row.latencyNoise) return undefined;
  return latencyNoiseNote(row) ?? row.latencyNoise.verdict;
}

/**
 * What the latency chart and the Pareto caption say of the original's run the variants are set beside, where it
 * is not simply its latest (shared/bench-conditions.ts): which run it is, and how its latest differs.
 */
export function baselineNote(rows: readonly CompareRow[]): string | undefined {
  const note = rows.find((r) => r.isOriginal)?.baseline;
  return note ? describeBaseline(note) : undefined;
}

/**
 * The rows' unreliable runs in one warning for the latency card, or undefined when every run is quiet enough.
 * `sourceLabel` is whose figures they are (describeSource): the advice to use the engine benchmark is only for a
 * browser's.
 */
export function unreliableRunsWarning(
  rows: readonly CompareRow[],
  sourceLabel = 'onnxruntime-node · cpu',
): string | undefined {
  const noisy = rows.filter((r) => r.unreliableRun !== undefined);
  if (noisy.length === 0) return undefined;
  const worst = noisy.map((r) => `${r.label}: ${r.unreliableRun}`).join('; ');
  const advice = isEngineSource(sourceLabel)
    ? 'Run again with more runs and other programs closed (a busy machine or throttling spreads even the engine benchmark, which runs in its own process).'
    : 'Run again with more runs and other tabs and programs closed, or use the engine benchmark (onnxruntime-node), which runs in its own process.';
  return (
    `These latencies are unreliable: the runs' spread is too large to tell speeds apart (${worst}). ` +
    `No variant is called faster or put on the Pareto front from such a run. ${advice}`
  );
}

/** A row's latency measured at other shapes than the input spec now gives: what it was fed, and what it would be now. */
export interface OffSpecShapes {
  /** `1x3x48x320`, as the table's Inputs column writes it. */
  fed: string;
  /** `1x3x48x640`: the spec's shapes of the same inputs. */
  now: string;
  /** What of them changed since: the shapes, or only values (`sr [1]=8000` now `sr [1]=16000`). */
  changed: 'size' | 'values';
}

/**
 * The shapes a row's latency was fed and the spec's now, when they differ (input-spec.ts `measuredOffSpec`: no
 * spec, no recorded inputs, or data that decided the shapes flag nothing).
 */
export function offSpecShapes(row: CompareRow, spec: InputSpec | undefined): OffSpecShapes | undefined {
  const latency = row.latency;
  if (!latency?.inputs || !spec || !measuredOffSpec(latency, spec)) return undefined;
  const now = specShapesFor(latency.inputs, spec);
  return {
    fed: groupedShortShapes(latency.inputs),
    now: groupedShortShapes(now),
    changed: sameShapes(latency.inputs, now) ? 'values' : 'size',
  };
}

/** "Benchmark again for figures at the new size." (or "new values"): what to do about an off-spec figure. */
export function againAt(changed: OffSpecShapes['changed']): string {
  return `Benchmark again for figures at the new ${changed}.`;
}

/**
 * The sentence above the charts when latencies shown were measured at other shapes than the spec now gives:
 * "Latency of A, B was measured at 1x3x48x320; the inputs are now 1x3x48x640. Benchmark again for figures at
 * the new size." Rows fed different shapes are named by shape ("of A at 1x3x48x320, of B at 1x3x48x256").
 */
export function offSpecNote(rows: readonly CompareRow[], spec: InputSpec | undefined): string | undefined {
  const byFed = new Map<string, { labels: string[]; now: string; changed: OffSpecShapes['changed'] }>();
  for (const row of rows) {
    const shapes = offSpecShapes(row, spec);
    if (!shapes) continue;
    const group = byFed.get(shapes.fed) ?? { labels: [], now: shapes.now, changed: shapes.changed };
    group.labels.push(row.label);
    byFed.set(shapes.fed, group);
  }
  const groups = [...byFed.entries()];
  if (groups.length === 0) return undefined;
  const measured = groups.map(
    ([fed, g], i) => `of ${g.labels.join(', ')}${i === 0 ? ' was measured' : ''} at ${fed}`,
  );
  const { now, changed } = groups[0]![1];
  return `Latency ${measured.join(', ')}; the inputs are now ${now}. ${againAt(changed)}`;
}

/** Which kind of measurement a failure is about: benchmarks (latency) or evaluations (accuracy, fidelity). */
export type MeasuredBy = 'benchmark' | 'evaluation';

/**
 * A benchmark or evaluation of the model that ran and failed, and that no job of its kind finished since
 * measuring what it was to measure.
 */
export interface JobFailure {
  /** What failed: a benchmark (engine or browser) or an evaluation. */
  kind: MeasuredBy;
  jobId: string;
  /** The job's title, e.g. `Benchmark original + int8-dynamic (onnxruntime-node, cpu)`, `Evaluate int8-dynamic`. */
  title: string;
  error: StudioErrorInfo;
  /** The targets it was to measure (`original` or variant ids), when the job records them. */
  targets: string[];
  /** Who was to measure (engine and provider), when the job says. */
  source?: MeasurementSource;
  /** How many jobs of its kind measuring the same targets failed in a row, this one the last. */
  inARow: number;
}

/** A benchmark that failed (`jobFailure(jobs, path, 'benchmark')`). */
export type BenchmarkFailure = JobFailure;

/** The job kinds behind each kind of measurement. */
const JOB_KINDS: Record<MeasuredBy, ReadonlySet<string>> = {
  benchmark: new Set(['bench', 'web-bench']),
  evaluation: new Set(['evaluate']),
};

/**
 * The failure Compare must own up to: the latest job of `kind` on `modelPath` that ran and failed, unless what
 * it was to measure was measured since. Without it a model whose benchmarks (or evaluations) all failed looks
 * as if none had run ("Run a benchmark to see latencies here", "0 timed runs", "Evaluate the variants…").
 *
 * A failure is per target: it is old news once jobs of its kind that finished after it measured every target
 * it was to measure, so a later evaluation of another variant leaves it standing. A job that records no
 * targets (a page that did not know them) counts for all of them. Cancelled jobs say nothing either way.
 */
export function jobFailure(
  jobs: readonly JobRecord[],
  modelPath: string | undefined,
  kind: MeasuredBy,
): JobFailure | undefined {
  const kinds = JOB_KINDS[kind];
  const ended = jobs
    .filter(
      (j) => j.modelPath === modelPath && kinds.has(j.kind) && (j.status === 'done' || j.status === 'failed'),
    )
    .sort((a, b) => (a.finishedAtMs ?? a.submittedAtMs) - (b.finishedAtMs ?? b.submittedAtMs));
  let at = ended.length - 1;
  while (at >= 0 && (ended[at]!.status !== 'failed' || measuredSince(ended, at))) at--;
  const last = ended[at];
  if (!last) return undefined;
  // Counted back from it, over the jobs that measured (some of) the same targets.
  let inARow = 0;
  for (let i = at; i >= 0; i--) {
    const job = ended[i]!;
    if (!sharesTarget(job, last)) continue;
    if (job.status !== 'failed') break;
    inARow++;
  }
  return {
    kind,
    jobId: last.jobId,
    title: last.title,
    // A job the host refused, or one that ended without an error, still failed: say so in its words.
    error: last.error ?? { code: 'INTERNAL', message: `${last.title} failed without a message.` },
    targets: last.targets,
    ...(last.measurement ? { source: last.measurement } : {}),
    inARow,
  };
}

/** Whether jobs that finished after `ended[at]` measured every target it was to measure. */
function measuredSince(ended: readonly JobRecord[], at: number): boolean {
  const since = ended.slice(at + 1).filter((j) => j.status === 'done');
  if (since.some((j) => j.targets.length === 0)) return true;
  const measured = new Set(since.flatMap((j) => j.targets));
  const failed = ended[at]!;
  return failed.targets.length === 0 ? since.length > 0 : failed.targets.every((t) => measured.has(t));
}

/** Whether two jobs measured a target in common (a job that records none might have measured any). */
function sharesTarget(a: JobRecord, b: JobRecord): boolean {
  return a.targets.length === 0 || b.targets.length === 0 || a.targets.some((t) => b.targets.includes(t));
}

/** The model's latest benchmark that failed, unless its targets were benchmarked since. */
export function benchmarkFailure(
  jobs: readonly JobRecord[],
  modelPath: string | undefined,
): JobFailure | undefined {
  return jobFailure(jobs, modelPath, 'benchmark');
}

/** The model's latest evaluation that failed, unless its targets were evaluated since. */
export function evaluationFailure(
  jobs: readonly JobRecord[],
  modelPath: string | undefined,
): JobFailure | undefined {
  return jobFailure(jobs, modelPath, 'evaluation');
}

/** Whether a row shows the figure a kind of job measures: a latency for benchmarks, a quality for evaluations. */
export const HAS_FIGURE: Record<MeasuredBy, (row: CompareRow) => boolean> = {
  benchmark: (r) => r.p50Ms !== undefined,
  evaluation: (r) => r.quality !== undefined,
};

/**
 * The rows whose figure a failed job was to replace and did not: the models it was to measure that still show
 * a figure (`has`, by default the figure of the failure's kind), from a job of its kind that ran before it.
 * Without recorded targets, every row with a figure.
 * Cards and the table mark these figures "earlier", so no old figure reads as the latest.
 */
export function staleFigureIds(
  failure: JobFailure | undefined,
  rows: readonly CompareRow[],
  has: (row: CompareRow) => boolean = (r) => failure !== undefined && HAS_FIGURE[failure.kind](r),
): Set<string> {
  if (!failure) return new Set();
  const targets = new Set(failure.targets);
  return new Set(rows.filter((r) => has(r) && (targets.size === 0 || targets.has(r.id))).map((r) => r.id));
}

/** The word that marks a figure from before a failed job (`staleFigureIds`), in cards and in the table. */
export const EARLIER_MARK = '(earlier)';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * When a figure was recorded, in local time: "7 Dec 21:51", with the year when it is not `now`'s ("7 Dec 2025
 * 21:51"). Undefined for a stamp that is not a date.
 */
export function formatMeasuredAt(iso: string, now: Date = new Date()): string | undefined {
  const d = new Date(iso);
  // No time, or the epoch a record made without a clock carries: said as nothing, not as "1 Jan 1970".
  if (!(d.getTime() > 0)) return undefined;
  const pad = (n: number) => String(n).padStart(2, '0');
  const year = d.getFullYear() === now.getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${year} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * What a row's quality figure is from, as a figure left from an earlier evaluation says it: its data and when it
 * was measured ("a-inputs.npy + a-labels.npy, 7 Dec 21:51"), as far as its record tells. A user read "100.00%
 * (earlier)" as the original's accuracy on the data of the evaluation that had just failed: it was from another.
 */
export function qualityFiguresSource(row: CompareRow, now?: Date): string | undefined {
  const when = row.measuredAt ? formatMeasuredAt(row.measuredAt, now) : undefined;
  const parts = [row.dataset?.name, when].filter((p): p is string => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * The mark after a quality figure's bar left from before a failed evaluation (`staleFigureIds`): "(earlier, 7 Dec
 * 21:51)", or "(earlier)" where its record has no time. Its data is named by the card's note (`staleFiguresNote`)
 * and data line: with it, the mark took the room of the bars (a 1440-px card drew them a few pixels long).
 */
export function earlierQualityMark(row: CompareRow, now?: Date): string {
  const when = row.measuredAt ? formatMeasuredAt(row.measuredAt, now) : undefined;
  return when ? `(earlier, ${when})` : EARLIER_MARK;
}

/**
 * What a failed evaluation means for the figures a card still shows, by the models' names (never their
 * files): the models it was to measure either show a figure from an earlier evaluation, marked "(earlier)", or
 * none, e.g. "the figure of fp16 is from an earlier evaluation (marked “earlier”)", "there is no figure of
 * int8-dynamic". Without recorded targets, all of them may be old.
 */
export function staleFiguresNote(
  failure: JobFailure,
  rows: readonly CompareRow[],
  has: (row: CompareRow) => boolean = HAS_FIGURE[failure.kind],
): string {
  const kind = failure.kind;
  if (failure.targets.length === 0) return `these figures are from earlier ${kind}s`;
  const named = failure.targets.map((t) => {
    const row = rows.find((r) => r.id === t);
    const shown = row !== undefined && has(row);
    // An earlier evaluation's figure says what data it was measured on, and when: not the failed one's data.
    const from = shown && kind === 'evaluation' ? qualityFiguresSource(row) : undefined;
    return { name: row?.label ?? t, shown, from };
  });
  const list = (names: string[]) =>
    names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
  const old = named.filter((n) => n.shown);
  const none = named.filter((n) => !n.shown).map((n) => n.name);
  const parts: string[] = [];
  const from = (n: { from?: string | undefined }) => (n.from ? ` (${n.from})` : '');
  if (old.length > 0)
    parts.push(
      old.length === 1
        ? `the figure of ${old[0]!.name} is from an earlier ${kind}${from(old[0]!)} (marked “earlier”)`
        : `the figures of ${list(old.map((n) => `${n.name}${from(n)}`))} are from earlier ${kind}s (marked “earlier”)`,
    );
  if (none.length > 0) parts.push(`there is no figure of ${list(none)}`);
  return parts.join(' and ');
}

/**
 * The headline of a failure, as the cards print it: "The benchmark ran and failed", "The last 3 evaluations
 * ran and failed".
 */
export function describeFailure(failure: JobFailure): string {
  return failure.inARow > 1
    ? `The last ${failure.inARow} ${failure.kind}s ran and failed`
    : `The ${failure.kind} ran and failed`;
}

export function formatQuality(value: number | undefined, metric: QualityMetric | undefined): string {
  if (value === undefined || metric === undefined) return '–';
  return metric === 'cosine' ? value.toFixed(5) : `${(value * 100).toFixed(2)}%`;
}

/**
 * Whether the charts' latencies are normalised (`plotP50Ms` differs from the measured p50 of some row): then
 * they say so, with the original's p50 they are normalised to.
 */
export function latencyNormalisation(rows: readonly CompareRow[]): { baseMs: number } | undefined {
  const original = rows.find((r) => r.isOriginal);
  if (original?.p50Ms === undefined) return undefined;
  const moved = rows.some(
    (r) =>
      r.plotP50Ms !== undefined && r.p50Ms !== undefined && Math.abs(r.plotP50Ms - r.p50Ms) > 1e-9 * r.p50Ms,
  );
  return moved ? { baseMs: original.p50Ms } : undefined;
}

/**
 * The variants on the Pareto front of speed and quality. Speed is each variant's ratio in its own interleaved
 * run (`plotP50Ms`), never absolute p50s of different runs, and a speed difference counts only beyond the runs'
 * noise (shared/latency-noise.ts, `fasterBeyondNoise`): two rows within noise of each other are the same speed.
 * A row is dominated by one that is not slower beyond noise and at least as good, and is better in something:
 * faster beyond noise, better quality, or, the same speed and quality, smaller (the original wins a tie of all
 * three: a variant that improves nothing is no improvement). Rows from a run too noisy to tell speeds apart
 * (`unreliableRun`) are left off: such a run puts no variant on the front. The original is never left off: it is
 * the baseline every ratio is against (exactly 1, `ORIGINAL_BAND`), whichever run last timed it, so a variant
 * slower than it beyond noise is dominated. A row without a ratio is not placed.
 */
export function paretoFront(rows: readonly CompareRow[]): Set<string> {
  // The original is the baseline, at ratio 1 by definition (ORIGINAL_BAND): it stays whatever run it was last
  // timed in, so a noisy run of some variant never takes it off and promotes a variant slower than it.
  const points = rows.filter(
    (r) =>
      r.plotP50Ms !== undefined && r.quality !== undefined && (r.isOriginal || r.unreliableRun === undefined),
  );
  const band = (r: CompareRow) =>
    r.isOriginal ? ORIGINAL_BAND : (r.latencyNoise ?? bareBand(r.latencyRatio ?? 1));
  const notWorse = (q: CompareRow, p: CompareRow) =>
    !fasterBeyondNoise(band(p), band(q)) && (q.quality as number) >= (p.quality as number);
  // Beaten on a strict ground: faster beyond noise, or better quality.
  const strictly = (q: CompareRow, p: CompareRow) =>
    notWorse(q, p) && (fasterBeyondNoise(band(q), band(p)) || (q.quality as number) > (p.quality as number));
  // The same speed within noise and the same quality: the smaller wins, the original a tie in size.
  const bySize = (q: CompareRow, p: CompareRow) => {
    if (!notWorse(q, p) || strictly(p, q)) return false;
    if (q.bytes === undefined || p.bytes === undefined) return q.isOriginal;
    return q.bytes < p.bytes || (q.bytes === p.bytes && q.isOriginal);
  };
  // In two rounds: "within noise" is not transitive, so one round that mixed the size tie-break with the strict
  // grounds could go round a cycle (A faster than B, C as fast as A and smaller, B as fast as C and smaller)
  // and leave nothing on the front. The tie-break only chooses among the rows no row beats strictly.
  const unbeaten = points.filter((p) => !points.some((q) => q !== p && strictly(q, p)));
  const front = new Set<string>();
  for (const p of unbeaten) if (!unbeaten.some((q) => q !== p && bySize(q, p))) front.add(p.id);
  // A cycle of size ties among the unbeaten (possible where "same speed" chains): keep them all rather than none.
  if (front.size === 0) for (const p of unbeaten) front.add(p.id);
  return front;
}

/** The tag beside a row on the Pareto front, in the table. */
export interface ParetoTag {
  text: string;
  title: string;
  /** Its place on the front rests on a figure from before a failed job (marked "(earlier)" beside it). */
  earlier: boolean;
}

/**
 * The Pareto tag of a row, when it is on the front: "Pareto", or "Pareto (earlier)" when its latency or quality
 * is from before a job that failed to replace it (`staleFigureIds`).
 *
 * The front is still decided over every figure shown, stale ones included, and only the tag says what it rests
 * on. Leaving stale rows off the front instead would move other rows' tags on the strength of a job that
 * measured nothing: a variant the stale one dominates would be promoted to the front, and the Pareto chart,
 * which places the stale point where its figure is, would outline what the table calls dominated. The earlier
 * figure is still the latest measurement there is of that variant, shown (marked) in the table and the charts:
 * its tag is marked the same way rather than dropped. The tag speaks for the row's own figures, as the
 * "(earlier)" marks do; another row's earlier figure can still decide whether this row is on the front.
 */
export function paretoTag(
  id: string,
  front: ReadonlySet<string>,
  staleLatency: ReadonlySet<string>,
  staleQuality: ReadonlySet<string>,
): ParetoTag | undefined {
  if (!front.has(id)) return undefined;
  const old = [
    ...(staleLatency.has(id) ? [{ figure: 'latency', run: 'benchmark' }] : []),
    ...(staleQuality.has(id) ? [{ figure: 'quality', run: 'evaluation' }] : []),
  ];
  if (old.length === 0) {
    return {
      text: 'Pareto',
      title:
        'No other variant is faster (beyond the runs’ noise) and as good, or better and not slower; of the same speed within noise and the same quality, the smaller is kept (the original on a tie in size)',
      earlier: false,
    };
  }
  const figures = old.map((o) => o.figure).join(' and ');
  const runs = old.map((o) => o.run).join(' and ');
  return {
    text: `Pareto ${EARLIER_MARK}`,
    title:
      `On the front by its ${figures} from an earlier ${runs} (the latest of this variant failed): ` +
      'no other variant is both faster and better as last measured',
    earlier: true,
  };
}

export interface OpBreakdownRow {
  label: string;
  /** The model's kernel time per run, all op types (ms), in its own profiled run. */
  totalMs: number;
  /** opType (or a folded segment) → ms per run, in its own profiled run: for the tooltip. */
  ms: Record<string, number>;
  /** opType (or a folded segment) → share of the model's own kernel time, 0 to 1: what the bars stack. */
  [opType: string]: number | string | Record<string, number>;
}

/** The segment that sums the op types without one of their own. */
export const OTHER_OPS = 'other';

/** The segment that sums the quantization kernels without one of their own (never lumped into grey "other"). */
export const OTHER_QUANT_OPS = 'other quantization kernels';

/**
 * The kernels quantization adds or swaps in: QLinear* and Q/DQ, dynamic quantization, integer and n-bit MatMul.
 */
export function isQuantizationKernel(opType: string): boolean {
  return (
    /^(QLinear|DynamicQuantize|QGemm|QAttention|QEmbed|QOrdered)/.test(opType) ||
    [
      'QuantizeLinear',
      'DequantizeLinear',
      'MatMulInteger',
      'ConvInteger',
      'MatMulNBits',
      'GatherBlockQuantized',
    ].includes(opType)
  );
}

/**
 * What the per-op chart says it shows (its caption): shares of each model's own time, never absolute ms of
 * different runs; and, when the latency chart shows another engine (`sourceLabel`), that these are not its figures.
 */
export function opBreakdownCaption(sourceLabel?: string): string {
  const other =
    sourceLabel !== undefined && !isEngineSource(sourceLabel)
      ? ` These profiles are onnxruntime-node's, not ${sourceLabel}'s, whose latencies the other charts show.`
      : '';
  return (
    "Share of each model's kernel time per run, by op type, from onnxruntime-node's profiler: where each model " +
    "spends its time. Each profile is from that model's own benchmark run, and absolute times of different runs " +
    "are not comparable (the machine's load moves them), so each bar is that model's own total (100%); its ms " +
    `are in the tooltip. Compare speeds on the latency chart.${other}`
  );
}

/**
 * The rule `paretoFront` applies, in words: the Pareto chart's caption and the table tag's title say this, so
 * what is outlined is what the words promise (the size tie-break included). A noisy run's variant is drawn (it
 * was, while the words said "left off"), hollow so that it reads as off the front (charts/pareto-points.tsx).
 */
/**
 * A point placed by a run too noisy to tell speeds apart, in words, and how the charts draw it (markerPaint in
 * charts/pareto-points.tsx): Compare's Pareto chart and Auto-optimize's trial chart say it alike.
 */
export const NOISY_RUN = 'from a run too noisy to tell speeds apart';
export const DRAWN_NOISY = 'drawn hollow and dashed';

export const PARETO_RULE =
  'Outlined: the Pareto front. A variant is off it when another is not slower (beyond the runs’ noise) and at ' +
  'least as good, and is faster beyond noise or better; of those left, one the same speed within noise and as ' +
  'good as a smaller one is off too (the original wins a tie in size). The original is the baseline (×1 by ' +
  `definition) and always placed; a variant ${NOISY_RUN} is ${DRAWN_NOISY}, where its figures put it, and is ` +
  'never on the front.';

/**
 * The Pareto chart's caption: the rule, and which engine's latencies place the points, with that engine's
 * original p50 (what every variant's ratio is against).
 */
export function paretoCaption(rows: readonly CompareRow[], sourceLabel: string): string {
  const original = rows.find((r) => r.isOriginal);
  const normalised = latencyNormalisation(rows);
  const latency = normalised
    ? `Latency is ${sourceLabel}'s, normalised to the original's ${formatMs(normalised.baseMs)} there: each variant at its ratio in its own interleaved run × that p50.`
    : original?.p50Ms !== undefined
      ? `Latency is ${sourceLabel}'s (the original's p50 there: ${formatMs(original.p50Ms)}).`
      : `Latency is ${sourceLabel}'s.`;
  const baseline = baselineNote(rows);
  return `Up and to the left is better. ${PARETO_RULE} ${latency}${baseline ? ` ${baseline}` : ''}`;
}

/** The output the fidelity figures compare, when every evaluated variant names the same one. */
export function comparedOutput(variants: readonly Variant[]): string | undefined {
  const names = new Set(
    variants.flatMap((v) => (v.evaluation?.fidelity?.output ? [v.evaluation.fidelity.output] : [])),
  );
  return names.size === 1 ? [...names][0] : undefined;
}

/**
 * The quality chart's caption, in the units it shows: a share for accuracy and top-1 agreement (100% =
 * identical), a cosine for the cosine (1 = identical); naming the output compared, when known. A next-token
 * accuracy says what was graded: no labels, the token ids themselves.
 */
export function qualityCaption(metric: QualityMetric | undefined, output?: string): string {
  const of = output !== undefined ? ` on output “${output}”` : '';
  if (metric === 'accuracy')
    return 'Share of labelled samples classified correctly; the ratio is to the original.';
  if (metric === 'nextTokenAccuracy')
    return (
      'Share of token positions whose next token the model ranks first: a language model graded on the ids of the ' +
      'data, each position on the id after it (no labels needed); the ratio is to the original. Perplexity is in ' +
      'All figures (lower is better).'
    );
  if (metric === 'top1Agreement')
    return `Share of inputs (of positions, for per-token scores) whose top-1 class${of} is the original's (100% = always the same); the ratio is to the original.`;
  return `How closely each variant follows the original${of} on the same inputs (output cosine similarity, 1 = identical).`;
}

/**
 * Per-op kernel time per variant as stacked-bar rows, each as shares of that model's own kernel time: the
 * profiles come from different benchmark runs, whose absolute times are not comparable (README: absolute p50s
 * of different runs are never compared). The op types that take the largest share of any one model get their
 * own segment (so a kernel only one variant has, int8-static's QLinearConv, is not lost in "other"); the rest
 * are summed as "other quantization kernels" (QLinear*, Q/DQ, ...: `isQuantizationKernel`) and "other".
 */
export function opBreakdown(
  variants: readonly Variant[],
  // Each its own colour from the series palette (10, see shared/chart-colors.ts); "other" is drawn grey.
  maxTypes = 7,
): { rows: OpBreakdownRow[]; opTypes: string[] } {
  const profiled = variants.filter((v) => v.profile && v.profile.byOpType.length > 0);
  const largest = new Map<string, number>();
  for (const v of profiled) {
    const ops = v.profile?.byOpType ?? [];
    const total = ops.reduce((sum, op) => sum + op.ms, 0);
    for (const op of ops) {
      const share = total > 0 ? op.ms / total : 0;
      largest.set(op.opType, Math.max(largest.get(op.opType) ?? 0, share));
    }
  }
  const ranked = [...largest.entries()].sort((a, b) => b[1] - a[1]).map(([op]) => op);
  const kept = ranked.slice(0, maxTypes);
  const rest = ranked.slice(maxTypes);
  const folded = [
    ...(rest.some(isQuantizationKernel) ? [OTHER_QUANT_OPS] : []),
    ...(rest.some((op) => !isQuantizationKernel(op)) ? [OTHER_OPS] : []),
  ];
  const rows = profiled.map((v) => {
    const ops = v.profile?.byOpType ?? [];
    const totalMs = ops.reduce((sum, op) => sum + op.ms, 0);
    const ms: Record<string, number> = {};
    for (const op of ops) {
      const segment = kept.includes(op.opType)
        ? op.opType
        : isQuantizationKernel(op.opType)
          ? OTHER_QUANT_OPS
          : OTHER_OPS;
      ms[segment] = (ms[segment] ?? 0) + op.ms;
    }
    const row: OpBreakdownRow = { label: v.label, totalMs, ms };
    for (const segment of [...kept, ...folded]) {
      if (segment in ms || folded.includes(segment))
        row[segment] = totalMs > 0 ? (ms[segment] ?? 0) / totalMs : 0;
    }
    return row;
  });
  return { rows, opTypes: [...kept, ...folded] };
}
