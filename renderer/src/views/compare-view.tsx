/**
 * The Compare view: every variant beside the original on size, latency and quality, each with its ratio to
 * the original; a Pareto scatter; the latency distribution of one variant, live while samples stream; and
 * per-operator time from a profile. Benchmarks run on the native engine (onnxruntime-node, the provider the
 * user picks) or in this page (onnxruntime-web on WebGPU or WASM); results say which.
 */
import type { OptionField } from '../../../shared/method-catalog-types.js';
import { useEffect, useId, useMemo, useState } from 'react';
import type { ProviderStatus } from '../../../shared/bench.js';
import { LatencyChart } from '../charts/latency-chart.js';
import { checkedTargets, evaluatePlan } from '../state/queue-evaluate.js';
import { LatencyHistogramChart } from '../charts/latency-histogram-chart.js';
import { OpBreakdownChart } from '../charts/op-breakdown-chart.js';
import { ParetoChart } from '../charts/pareto-chart.js';
import { QualityChart } from '../charts/quality-chart.js';
import { SizeChart } from '../charts/size-chart.js';
import { downloadText } from '../export/download.js';
import { toCsv } from '../export/csv.js';
import { DatasetForm } from '../forms/dataset-form.js';
import { DataCheckProgress, useDataCheck } from '../components/data-check-progress.js';
import { HorizontalScroll } from '../components/horizontal-scroll.js';
import { Phrases, Words } from '../components/words.js';
import {
  buildDatasetSpec,
  draftFromSpec,
  emptyDatasetDraft,
  imageFieldsOf,
  type DatasetDraft,
} from '../forms/dataset-draft.js';
import { formatBytes } from '../format.js';
import type { StudioHost } from '../host/studio-host.js';
import {
  accuracyDropPoints,
  benchmarkFailure,
  compareRows,
  describeSource,
  evaluationFailure,
  formatLatencyRatio,
  latencyNoiseNote,
  latencyVerdict,
  mixedDatasetsHeading,
  formatMs,
  formatQuality,
  formatRatio,
  measurementSources,
  offSpecNote,
  offSpecShapes,
  againAt,
  opBreakdown,
  comparedOutput,
  paretoFront,
  paretoTag,
  pickQualityMetric,
  qualityFiguresSource,
  QUALITY_LABELS,
  QUALITY_NOUNS,
  ratioBaseToShow,
  staleFigureIds,
  EARLIER_MARK,
  type CompareRow,
  type ParetoTag,
  type QualityMetric,
} from '../state/compare-data.js';
import { isActive, measurementKey, type MeasurementSource } from '../state/studio-state.js';
import { AccuracyDropBadge } from './accuracy-drop-badge.js';
import {
  capitalized,
  formatPerplexity,
  isAccuracy,
  PERPLEXITY_LABEL,
  PERPLEXITY_MEANING,
  type AccuracyMetric,
} from '../state/quality-words.js';
import { formatDrop } from '../state/accuracy-drop.js';
import {
  qualityRatioText,
  sampleCountDrop,
  shownDatasets,
  type SampleCountDrop,
} from '../charts/quality-data.js';
import { DEFAULT_BENCH, type Studio } from '../state/use-studio.js';
import type { Variant } from '../state/variants.js';
import type { WebBenchReport } from '../webbench/ort-web-bench.js';
import { WebBenchPanel } from './web-bench-panel.js';
import { ExplainPanel } from './explain-panel.js';
import { JobList } from './job-list.js';
import { ErrorPanel, JOB_WHAT_TO_DO } from './error-panel.js';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { describeInputShape, type InputSpec } from '../../../shared/input-spec.js';
import { groupedShortShapes } from '../../../shared/input-groups.js';
import { ORIGINAL_TARGET, type DatasetIdentity } from '../../../shared/workspace.js';
import { datasetLabels, describeDataset, experimentDataset, mixedDatasets } from '../state/experiment.js';
import { RegressionFigures } from './regression-figures.js';
import { DataCell } from './compare-data-cell.js';

/**
 * The accuracy loss of a variant evaluated on another number of samples of the original's data (a sample limit):
 * kept in view, not dropped as incomparable (AccuracyDropBadge shows drops on identical data only), and said to be
 * on other sample counts.
 */
function SampleCountDropBadge({
  drop,
  metric,
}: {
  drop: SampleCountDrop | undefined;
  metric: AccuracyMetric;
}) {
  if (!drop) return null;
  const noun = QUALITY_NOUNS[metric];
  return (
    <span
      className="badge badge-drop"
      data-testid="accuracy-drop"
      title={`${capitalized(noun)} lost against the original, measured on ${drop.samples} samples of “${drop.dataName}”, the original on ${drop.baseSamples}: a rougher estimate. Evaluate both on the same samples to compare exactly.`}
    >
      {formatDrop(drop.points, noun)}, on {drop.samples} samples
    </span>
  );
}

/** The table's mark on a figure left from an earlier run because the latest run of its variant failed. */
function EarlierMark({
  testId,
  run,
  from,
}: {
  testId: string;
  run: 'benchmark' | 'evaluation';
  /** What the figure is from (its data, when: `qualityFiguresSource`), where known. */
  from?: string | undefined;
}) {
  return (
    <span
      className="ratio earlier"
      data-testid={testId}
      title={`From an earlier ${run}${from ? ` (${from})` : ''}: the latest one of this variant failed`}
    >
      {' '}
      {EARLIER_MARK}
    </span>
  );
}

export function CompareView({
  host,
  studio,
  onGoToOptimize,
  inputsReady,
}: {
  host: StudioHost;
  studio: Studio;
  onGoToOptimize: () => void;
  /** False while the model's input spec is not set: nothing is measured on guessed shapes. */
  inputsReady: boolean;
}) {
  const { state, actions, variants } = studio;
  const sources = useMemo(() => measurementSources(variants), [variants]);
  const [sourceKey, setSourceKey] = useState<string | undefined>(undefined);
  const source: MeasurementSource | undefined =
    sources.find((s) => measurementKey(s) === sourceKey) ?? sources[0];
  const metric = pickQualityMetric(variants);
  const rows = useMemo(() => compareRows(variants, source, metric), [variants, source, metric]);
  const front = useMemo(() => paretoFront(rows), [rows]);
  const breakdown = useMemo(() => opBreakdown(variants), [variants]);
  const [histogramId, setHistogramId] = useState<string | undefined>(undefined);
  const histogramVariant =
    variants.find((v) => v.id === histogramId) ?? pickHistogramVariant(variants, source);
  const histogramMeasurement = source ? histogramVariant?.latency[measurementKey(source)] : undefined;
  // A failed benchmark is said where its figures would be: on the latency chart when it measured the source
  // shown (or there is none to show), on the distribution when it was to time the variant shown there.
  const failure = benchmarkFailure(state.jobs, state.model?.path);
  const latencyFailure =
    failure && (!source || !failure.source || measurementKey(failure.source) === measurementKey(source))
      ? failure
      : undefined;
  // A failure on an engine with no figures at all cannot be selected to show: the latency card says it anyway.
  const failedSource = failure?.source;
  const failedElsewhere =
    failure &&
    failedSource &&
    source &&
    !sources.some((s) => measurementKey(s) === measurementKey(failedSource))
      ? { failure, sourceLabel: describeSource(failedSource) }
      : undefined;
  const histogramFailure =
    failure && histogramVariant && failure.targets.includes(histogramVariant.id) ? failure : undefined;
  // A failed evaluation is said on the quality card, as a failed benchmark is on the latency card.
  const qualityFailure = evaluationFailure(state.jobs, state.model?.path);
  // Figures a failed job was to replace: marked "(earlier)" in the table, and where the Pareto chart places them.
  const staleLatency = staleFigureIds(latencyFailure, rows);
  const staleQuality = staleFigureIds(qualityFailure, rows);

  // The spec the next benchmark feeds: figures measured at other shapes are flagged against it.
  const spec = state.workspace?.experiment?.inputs;
  const mixed = mixedDatasets(rows.map((r) => r.dataset));
  // Each dataset by a label that tells it from the others shown (two `test-inputs.npy` with other labels).
  const datasetLabel = useMemo(() => labelOfDataset(rows), [rows]);
  const nothingYet = variants.length <= 1 && sources.length === 0 && !variants[0]?.evaluation;
  const activeJobs = state.jobs.filter((j) => isActive(j) && j.modelPath === state.model?.path);

  const sourceSelect =
    sources.length > 1 ? (
      <label className="inline-select">
        <span className="visually-hidden">Measured with</span>
        <select
          value={source ? measurementKey(source) : ''}
          onChange={(e) => setSourceKey(e.target.value)}
          aria-label="Latency measured with"
        >
          {sources.map((s) => (
            <option key={measurementKey(s)} value={measurementKey(s)}>
              {describeSource(s)}
            </option>
          ))}
        </select>
      </label>
    ) : undefined;

  const histogramSelect = (
    <select
      aria-label="Variant shown in the distribution"
      value={histogramVariant?.id ?? ''}
      onChange={(e) => setHistogramId(e.target.value)}
    >
      {variants.map((v) => (
        <option key={v.id} value={v.id}>
          {v.label}
        </option>
      ))}
    </select>
  );

  return (
    <div className="compare">
      {nothingYet && (
        <section className="empty-hint" aria-labelledby="compare-empty-title">
          <h2 id="compare-empty-title">Nothing to compare yet</h2>
          <p>
            Make variants in <strong>Optimize</strong> (for example int8 quantization); each one appears here
            beside the original with its size, latency and accuracy. You can also benchmark the original right
            now below.
          </p>
          <button type="button" className="primary" onClick={onGoToOptimize}>
            Go to Optimize
          </button>
        </section>
      )}

      <MeasurePanel
        host={host}
        studio={studio}
        inputsReady={inputsReady}
        onShowLatency={(s) => setSourceKey(measurementKey(s))}
      />

      {mixed.length > 0 && (
        <p className="banner banner-warn" role="status" data-testid="mixed-datasets">
          <strong>{mixedDatasetsHeading(metric)}</strong> {mixed.map(datasetLabel).join(', ')}. Evaluate every
          variant on the same data to compare them.
        </p>
      )}

      <OffSpecBanner
        rows={rows}
        spec={spec}
        source={source}
        canBenchmark={inputsReady && !activeJobs.some((j) => j.kind === 'bench')}
        onBenchmark={(targets, ep) => void actions.benchmark(targets, { ...DEFAULT_BENCH, ep })}
      />

      {activeJobs.length > 0 && <JobList jobs={activeJobs} onCancel={(id) => void actions.cancel(id)} />}

      <div className="chart-grid">
        <SizeChart rows={rows} />
        <LatencyChart
          rows={rows}
          sourceLabel={source ? describeSource(source) : 'the engine'}
          controlsKey={sources.map(measurementKey).join('|')}
          {...(sourceSelect ? { controls: sourceSelect } : {})}
          failure={latencyFailure}
          elsewhere={failedElsewhere}
        />
        <QualityChart
          rows={rows}
          metric={metric}
          output={comparedOutput(variants)}
          failure={qualityFailure}
        />
        <ParetoChart
          rows={rows}
          metric={metric}
          sourceLabel={source ? describeSource(source) : 'the engine'}
          front={front}
          earlier={new Set([...staleLatency, ...staleQuality])}
        />
        <LatencyHistogramChart
          samples={histogramMeasurement?.samples}
          label={`${histogramVariant?.label ?? '–'}${source ? ` (${describeSource(source)})` : ''}`}
          live={histogramMeasurement ? !histogramMeasurement.final : false}
          controls={histogramSelect}
          colorIndex={Math.max(
            0,
            variants.findIndex((v) => v.id === histogramVariant?.id),
          )}
          failure={histogramFailure}
        />
        <OpBreakdownChart
          rows={breakdown.rows}
          opTypes={breakdown.opTypes}
          sourceLabel={source ? describeSource(source) : undefined}
        />
      </div>
      <RegressionFigures evaluations={state.workspace?.evaluations ?? []} variants={variants} />
      <ExplainPanel
        variants={variants}
        int8={studio.appInfo?.int8}
        {...(state.workspace ? { workspaceVariants: state.workspace.variants } : {})}
      />

      <CompareTable
        rows={rows}
        datasetLabel={datasetLabel}
        metric={metric}
        sourceLabel={source ? describeSource(source) : undefined}
        front={front}
        staleLatency={staleLatency}
        staleQuality={staleQuality}
        spec={spec}
      />
      <WebAgreement studio={studio} />
    </div>
  );
}

/**
 * Above the charts, when latencies shown were measured at other shapes than the input spec now gives (the
 * user changed a width after benchmarking): which, at what, and a button that benchmarks them again, with
 * the original for their ratios, on the engine and provider shown. Browser benchmarks are flagged alike (their
 * records say what the page fed) but have no button: they run again from Measure, where the page's provider
 * and runs are chosen and checked as available.
 */
function OffSpecBanner({
  rows,
  spec,
  source,
  canBenchmark,
  onBenchmark,
}: {
  rows: readonly CompareRow[];
  spec: InputSpec | undefined;
  source: MeasurementSource | undefined;
  canBenchmark: boolean;
  onBenchmark: (targets: string[], ep: string) => void;
}) {
  const note = offSpecNote(rows, spec);
  const flagged = rows.flatMap((r) => {
    const shapes = offSpecShapes(r, spec);
    return shapes ? [{ id: r.id, now: shapes.now }] : [];
  });
  if (!note || flagged.length === 0) return null;
  // The original too, so each variant gets its ratio from the same interleaved run.
  const targets = [...new Set([ORIGINAL_TARGET, ...flagged.map((f) => f.id)])];
  const rerun = source?.engine === 'onnxruntime-node' ? source.provider : undefined;
  return (
    <div className="banner banner-warn" role="status" data-testid="off-spec-note">
      <p>
        <strong>Measured at other inputs:</strong> {note}
      </p>
      {rerun !== undefined && (
        <button
          type="button"
          className="small"
          disabled={!canBenchmark}
          onClick={() => onBenchmark(targets, rerun)}
          title={`Benchmarks ${targets.length === 1 ? 'the original' : 'them with the original'} on onnxruntime-node ${rerun}, with the settings Measure starts with`}
          data-testid="off-spec-rerun"
        >
          Benchmark again at {flagged[0]!.now}
        </button>
      )}
    </div>
  );
}

/** The variant whose distribution to show: one measuring now, else the last one measured. */
function pickHistogramVariant(variants: Variant[], source: MeasurementSource | undefined) {
  if (!source) return variants[0];
  const key = measurementKey(source);
  return (
    variants.find((v) => v.latency[key] && !v.latency[key].final) ??
    [...variants].reverse().find((v) => (v.latency[key]?.samples.length ?? 0) > 0) ??
    variants[0]
  );
}

export function CompareTable({
  rows,
  datasetLabel,
  metric,
  sourceLabel,
  front,
  staleLatency,
  staleQuality,
  spec,
}: {
  rows: CompareRow[];
  /** A dataset's label, told apart from the others shown (`labelOfDataset`). */
  datasetLabel: (dataset: DatasetIdentity) => string;
  metric: QualityMetric | undefined;
  sourceLabel: string | undefined;
  front: Set<string>;
  /** Rows whose latency figures a benchmark since failed to replace: marked as on the latency card. */
  staleLatency: ReadonlySet<string>;
  /** Rows whose quality figure an evaluation since failed to replace: marked as on the quality card. */
  staleQuality: ReadonlySet<string>;
  /** The input spec now: inputs cells of latencies measured at other shapes are flagged against it. */
  spec: InputSpec | undefined;
}) {
  const qualityLabel = metric ? QUALITY_LABELS[metric] : 'Quality';
  const original = rows.find((r) => r.isOriginal);
  // A next-token accuracy's perplexity, in a column of its own beside it (lower is better).
  const perplexity = rows.some((r) => r.perplexity !== undefined);
  const saveCsv = () => {
    const header = [
      'variant',
      'bytes',
      'size_ratio',
      'engine_provider',
      'p50_ms',
      'p90_ms',
      'p99_ms',
      'p50_ratio',
      'p50_ratio_original_ms',
      'latency_verdict',
      'inputs',
      metric ?? 'quality',
      'quality_ratio',
      ...(perplexity ? ['perplexity', 'perplexity_ratio'] : []),
      'dataset',
      'dataset_samples',
      'dataset_sha256',
      'pareto_front',
    ];
    const body = rows.map((r) => [
      r.label,
      r.bytes,
      r.sizeRatio,
      r.latency ? `${r.latency.engine}/${r.latency.provider}` : '',
      r.p50Ms,
      r.p90Ms,
      r.p99Ms,
      r.latencyRatio,
      // The original's p50 the ratio divides by (its own interleaved run), so the ratio can be checked.
      r.latencyRatioBaseMs,
      // faster / slower beyond the run's noise, else the table's words: within noise, unreliable run.
      latencyVerdict(r),
      r.latency?.inputs ? r.latency.inputs.map(describeInputShape).join('; ') : '',
      r.quality,
      r.qualityRatio,
      ...(perplexity ? [r.perplexity, r.perplexityRatio] : []),
      r.dataset?.name ?? '',
      r.dataset?.samples,
      r.dataset?.sha256 ?? '',
      front.has(r.id),
    ]);
    downloadText(toCsv(header, body), 'onnx-studio-comparison.csv', 'text/csv');
  };
  return (
    <section className="table-card" aria-labelledby="compare-table-title">
      <header className="section-header">
        <h2 id="compare-table-title">All figures</h2>
        <button type="button" className="small" onClick={saveCsv}>
          Save CSV
        </button>
      </header>
      {rows.some((r) => ratioBaseToShow(r, original) !== undefined) && (
        <p className="muted" data-testid="ratio-note">
          Each variant was timed interleaved with the original in its own run; its latency ratio is to the
          original&apos;s p50 in that run, given after the ratio (“×1.06 of the original&apos;s 0.210 ms” is
          1.06 times 0.210 ms) where it differs from the original&apos;s row (its latest run made like most
          variants&apos; runs).
        </p>
      )}
      {/* The table scrolls inside its card when the window is narrower than its columns (800 px), and says so:
          the page itself never scrolls sideways. The variant column stays in view while it scrolls (CSS). */}
      <HorizontalScroll label="All figures" testId="compare-table-scroll">
        <table className="compare-table" aria-labelledby="compare-table-title" data-testid="compare-table">
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col" className="num">
                <Words text={`p50${sourceLabel ? ` (${sourceLabel})` : ''}`} />
              </th>
              <th scope="col" className="num">
                p90
              </th>
              <th scope="col" className="num">
                p99
              </th>
              <th scope="col">Inputs</th>
              <th scope="col" className="num">
                <Words text={qualityLabel} />
              </th>
              {perplexity && (
                <th scope="col" className="num" title={`Perplexity: ${PERPLEXITY_MEANING}`}>
                  <Words text={PERPLEXITY_LABEL} />
                </th>
              )}
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-variant={r.label}>
                <th scope="row">
                  <Words text={r.label} />
                  <ParetoTagOf tag={paretoTag(r.id, front, staleLatency, staleQuality)} />
                  {isAccuracy(metric) && (
                    <>
                      <AccuracyDropBadge points={accuracyDropPoints(r, original, metric)} metric={metric} />
                      <SampleCountDropBadge drop={sampleCountDrop(r, original, metric)} metric={metric} />
                    </>
                  )}
                  {r.sameFileAs !== undefined && (
                    <span
                      className="tag"
                      data-testid="same-file"
                      title={`Byte for byte the same .onnx file as ${r.sameFileAs} (same sha256): the same model, so any difference in their figures is run-to-run spread`}
                    >
                      same file as {r.sameFileAs}
                    </span>
                  )}
                </th>
                <td className="num">
                  {r.bytes !== undefined ? formatBytes(r.bytes) : '–'}{' '}
                  {!r.isOriginal && <span className="ratio">{formatRatio(r.sizeRatio)}</span>}
                </td>
                <td className="num latency-cell">
                  {formatMs(r.p50Ms)}{' '}
                  {!r.isOriginal && r.p50Ms !== undefined && (
                    <span
                      className="ratio"
                      data-testid="latency-ratio"
                      title="Against the original's p50 in the same interleaved run"
                    >
                      <Phrases text={formatLatencyRatio(r, original)} />
                    </span>
                  )}
                  {/* A ratio the product reads as the same speed (shared/latency-noise.ts) says so beside it. */}
                  {latencyNoiseNote(r) && (
                    <span
                      className="muted"
                      data-testid="latency-noise"
                      title="The difference from the original is inside the run's noise (its spread and the medians' 95% intervals): the same speed"
                    >
                      , <span className="word">{latencyNoiseNote(r)}</span>
                    </span>
                  )}
                  {r.latency && !r.latency.final && <span className="tag live">live</span>}
                  {staleLatency.has(r.id) && <EarlierMark testId="latency-earlier" run="benchmark" />}
                </td>
                {/* p90 and p99 come from the same run as the p50: as old as it when it is marked earlier. */}
                {[r.p90Ms, r.p99Ms].map((ms, i) => (
                  <td
                    key={i}
                    className={staleLatency.has(r.id) ? 'num earlier-figure' : 'num'}
                    {...(staleLatency.has(r.id)
                      ? { title: 'From the earlier benchmark of the p50 beside it' }
                      : {})}
                  >
                    {formatMs(ms)}
                  </td>
                ))}
                <td className="inputs-cell" data-testid="row-inputs">
                  {r.latency?.inputs ? groupedShortShapes(r.latency.inputs) : '–'}
                  <OffSpecTag row={r} spec={spec} />
                </td>
                <td className="num">
                  {formatQuality(r.quality, metric)}{' '}
                  {!r.isOriginal && r.quality !== undefined && (
                    <span className="ratio">{qualityRatioText(r, original)}</span>
                  )}
                  {staleQuality.has(r.id) && (
                    <EarlierMark testId="quality-earlier" run="evaluation" from={qualityFiguresSource(r)} />
                  )}
                </td>
                {perplexity && (
                  <td className="num" data-testid="row-perplexity">
                    {formatPerplexity(r.perplexity)}{' '}
                    {!r.isOriginal && r.perplexity !== undefined && (
                      <span className="ratio" title="Against the original's perplexity: above ×1 is worse">
                        {qualityRatioText(r, original, r.perplexityRatio)}
                      </span>
                    )}
                    {staleQuality.has(r.id) && r.perplexity !== undefined && (
                      <EarlierMark
                        testId="perplexity-earlier"
                        run="evaluation"
                        from={qualityFiguresSource(r)}
                      />
                    )}
                  </td>
                )}
                <DataCell row={r} datasetLabel={datasetLabel} />
              </tr>
            ))}
          </tbody>
        </table>
      </HorizontalScroll>
    </section>
  );
}

/** Labels of the datasets the rows' figures were measured on, told apart where two would read the same. */
function labelOfDataset(rows: readonly CompareRow[]): (dataset: DatasetIdentity) => string {
  const labels = datasetLabels(shownDatasets(rows));
  return (d) => labels.get(d.sha256) ?? describeDataset(d);
}

/** Beside a variant on the Pareto front; faded, as its figures are, when its place rests on an earlier one. */
function ParetoTagOf({ tag }: { tag: ParetoTag | undefined }) {
  if (!tag) return null;
  return (
    <span className={tag.earlier ? 'tag earlier-figure' : 'tag'} data-testid="pareto-tag" title={tag.title}>
      {tag.text}
    </span>
  );
}

/** Beside a row's inputs, when its latency was measured at other shapes than the spec now gives. */
function OffSpecTag({ row, spec }: { row: CompareRow; spec: InputSpec | undefined }) {
  const shapes = offSpecShapes(row, spec);
  if (!shapes) return null;
  return (
    <span
      className="tag warn"
      data-testid="off-spec"
      title={`Measured at ${shapes.fed}; the inputs are now ${shapes.now}. ${againAt(shapes.changed)}`}
    >
      inputs now {shapes.now}
    </span>
  );
}

/** WebGPU results checked against WASM on the same input: a GPU that computes wrong is worse than a slow one. */
function WebAgreement({ studio }: { studio: Studio }) {
  const rows = studio.state.jobs
    .filter((j) => j.kind === 'web-bench' && j.status === 'done')
    .flatMap((j) => {
      const result = j.result as { report?: WebBenchReport } | undefined;
      return (result?.report?.results ?? []).flatMap((r) =>
        r.agreement ? [{ model: r.model, ...r.agreement }] : [],
      );
    });
  if (rows.length === 0) return null;
  return (
    <table data-testid="web-agreement">
      <caption>onnxruntime-web: WebGPU outputs against WASM (same input)</caption>
      <thead>
        <tr>
          <th scope="col">Variant</th>
          <th scope="col" className="num">
            Max |difference|
          </th>
          <th scope="col" className="num">
            Cosine
          </th>
          <th scope="col">Same top class</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{r.model}</td>
            <td className="num">{r.maxAbsDiff.toExponential(2)}</td>
            <td className="num">{r.cosine.toFixed(6)}</td>
            <td>{r.sameTop1 ? 'yes' : 'no'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Choose which variants to measure, and run an engine benchmark, a browser benchmark or an evaluation. */
function MeasurePanel({
  host,
  studio,
  inputsReady,
  onShowLatency,
}: {
  host: StudioHost;
  studio: Studio;
  inputsReady: boolean;
  /** The browser benchmark's figures are in: the latency chart shows them. */
  onShowLatency: (source: MeasurementSource) => void;
}) {
  const { actions, variants, state } = studio;
  const id = useId();
  const [include, setInclude] = useState<Record<string, boolean>>({});
  const chosen = variants.filter((v) => include[v.id] !== false).map((v) => v.id);

  const [providers, setProviders] = useState<ProviderStatus[] | null>(null);
  const [providersError, setProvidersError] = useState<string | null>(null);
  const [ep, setEp] = useState(DEFAULT_BENCH.ep);
  const [iterations, setIterations] = useState(String(DEFAULT_BENCH.iterations));
  const [warmup, setWarmup] = useState(String(DEFAULT_BENCH.warmup));
  const [profile, setProfile] = useState(DEFAULT_BENCH.profile);

  const savedEval = experimentDataset(state.workspace, 'evaluation')?.spec;
  const [draft, setDraft] = useState<DatasetDraft>(() =>
    savedEval ? draftFromSpec(savedEval) : emptyDatasetDraft(),
  );
  const [evalSubmitted, setEvalSubmitted] = useState(false);
  const [evalCheck, setEvalCheck] = useState<{ error?: StudioErrorInfo; note?: string } | null>(null);
  const savedKey = JSON.stringify(savedEval ?? null);
  useEffect(() => {
    if (savedEval)
      setDraft((d) =>
        JSON.stringify(d) === JSON.stringify(emptyDatasetDraft()) ? draftFromSpec(savedEval) : d,
      );
  }, [savedKey]);

  // The data check before evaluating: how far it is, and Cancel (the engine stops reading; nothing is evaluated).
  const dataCheck = useDataCheck();

  /**
   * Checks the data first; the original is only evaluated with labels or on a language model's own ids (without,
   * it is the reference).
   */
  const evaluateChosen = async (spec: DatasetSpecInput) => {
    setEvalCheck(null);
    const watch = dataCheck.begin({ purpose: 'evaluate', role: 'evaluation' });
    let check;
    try {
      check = await actions.checkDataset('evaluation', spec, watch);
    } finally {
      dataCheck.end();
    }
    if (watch.signal.aborted) return;
    if (!check.ok) {
      setEvalCheck({ error: check.error });
      return;
    }
    const { targets, note } = checkedTargets(
      chosen,
      evalPlan,
      check.value.labels !== undefined,
      spec,
      state.model ?? undefined,
    );
    setEvalCheck(note ? { note } : null);
    if (targets.length === 0) return;
    await actions.saveDatasets({ evaluation: spec });
    await actions.evaluate(targets, spec);
  };
  // The image preprocessing form is generated from the catalog's declarations.
  const [imageFields, setImageFields] = useState<OptionField[]>([]);
  useEffect(() => {
    let live = true;
    void host.listMethods().then((r) => {
      if (live && r.ok) setImageFields(imageFieldsOf(r.value));
    });
    return () => {
      live = false;
    };
  }, [host]);

  useEffect(() => {
    let live = true;
    void host.listProviders().then((r) => {
      if (!live) return;
      if (r.ok) setProviders(r.value);
      else setProvidersError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [host]);

  const iterationsN = Number(iterations);
  const warmupN = Number(warmup);
  const benchValid =
    Number.isInteger(iterationsN) && iterationsN >= 1 && Number.isInteger(warmupN) && warmupN >= 0;
  const dataset = buildDatasetSpec(draft, imageFields);
  const evalPlan = evaluatePlan(chosen, dataset.ok ? dataset.spec : null, state.model ?? undefined);
  const unavailable = (providers ?? []).filter((p) => !p.available);

  return (
    <section className="measure-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Measure</h2>
      <fieldset className="variant-picks">
        <legend>Variants to measure</legend>
        {variants.map((v) => (
          <label key={v.id} className="check-inline">
            <input
              type="checkbox"
              checked={include[v.id] !== false}
              onChange={(e) => setInclude((c) => ({ ...c, [v.id]: e.target.checked }))}
            />
            {v.label}
          </label>
        ))}
      </fieldset>

      <div className="measure-grid">
        <fieldset>
          <legend>Engine benchmark (onnxruntime-node)</legend>
          <div className="field-row">
            <div className="field">
              <label htmlFor={`${id}-ep`}>Execution provider</label>
              <select id={`${id}-ep`} value={ep} onChange={(e) => setEp(e.target.value)}>
                {(providers ?? [{ name: 'cpu', available: true } as ProviderStatus]).map((p) => (
                  <option key={p.name} value={p.name} disabled={!p.available}>
                    {p.name}
                    {p.available ? '' : ' (unavailable)'}
                  </option>
                ))}
              </select>
            </div>
            <SmallNumber label="Runs" value={iterations} onChange={setIterations} />
            <SmallNumber label="Warmup" value={warmup} onChange={setWarmup} />
          </div>
          <div className="field field-check">
            <input
              id={`${id}-profile`}
              type="checkbox"
              checked={profile}
              onChange={(e) => setProfile(e.target.checked)}
            />
            <label htmlFor={`${id}-profile`}>
              Profile operators (per-op time, from a separate profiled pass after timing; latency figures are
              not affected)
            </label>
          </div>
          <button
            type="button"
            className="primary"
            disabled={!benchValid || chosen.length === 0 || !inputsReady}
            onClick={() =>
              void actions.benchmark(chosen, { ep, iterations: iterationsN, warmup: warmupN, profile })
            }
          >
            Benchmark {chosen.length} {chosen.length === 1 ? 'model' : 'models'}
          </button>
          {!benchValid && (
            <p className="field-error">Runs must be a whole number of at least 1 and warmup at least 0.</p>
          )}
          {providersError && (
            <p className="field-hint">
              Could not list execution providers: {providersError} CPU is always available.
            </p>
          )}
          {unavailable.length > 0 && (
            <details className="provider-reasons">
              <summary>Why some providers are unavailable</summary>
              <ul>
                {unavailable.map((p) => (
                  <li key={p.name}>
                    <strong>{p.name}</strong>: {p.reason ?? 'not available on this machine.'} {p.hint}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </fieldset>

        <WebBenchPanel
          studio={studio}
          chosen={chosen}
          inputsReady={inputsReady}
          onShowLatency={onShowLatency}
        />

        <fieldset>
          <legend>Evaluate accuracy / fidelity</legend>
          <DatasetForm
            imageFields={imageFields}
            draft={draft}
            errors={evalSubmitted && !dataset.ok ? dataset.errors : {}}
            onChange={setDraft}
            legend="Data"
          />
          <button
            type="button"
            disabled={evalPlan.targets.length === 0 || dataCheck.running !== null}
            data-testid="evaluate-models"
            onClick={() => {
              setEvalSubmitted(true);
              if (dataset.ok) void evaluateChosen(dataset.spec);
            }}
          >
            {evalPlan.label}
          </button>
          {evalPlan.reason && (
            <p className="field-hint" data-testid="evaluate-nothing">
              {evalPlan.reason}
            </p>
          )}
          {/* Below the button: the fieldset is one column of three, too narrow for a line beside it. */}
          {dataCheck.running && (
            <p className="field-hint">
              <DataCheckProgress control={dataCheck} />
            </p>
          )}
          {!dataCheck.running && dataCheck.cancelledPurpose === 'evaluate' && (
            <p className="field-hint" role="status" data-testid="data-check-cancelled">
              Data check cancelled: nothing was evaluated.
            </p>
          )}
          {evalCheck?.error && (
            <div data-testid="eval-check-error">
              <ErrorPanel
                title="The data does not fit this model; nothing was evaluated"
                error={evalCheck.error}
                whatToDo={JOB_WHAT_TO_DO}
                compact
              />
            </div>
          )}
          {evalCheck?.note && <p className="field-hint">{evalCheck.note}</p>}
        </fieldset>
      </div>
    </section>
  );
}

function SmallNumber({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field narrow">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode="numeric"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
