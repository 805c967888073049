/**
 * The comparison report of a workspace: `report.json` (the `StudioReport` of shared/report.ts) and a
 * self-contained `report.html` with inline SVG charts (size, latency with p90/p99 whiskers, accuracy,
 * fidelity, the latency-vs-accuracy Pareto view, the best variant's latency distribution, per-op time), the
 * comparison table and the CLI commands that reproduce each variant. No scripts and no external resources: it opens offline,
 * from an e-mail attachment or a CI artifact, and passes a strict CSP.
 */
import { formatPerplexity } from '../../../shared/perplexity-format.js';
import { describeInputShape, shortShapes } from '../../../shared/input-spec.js';
import fs from 'node:fs';
import path from 'node:path';
import { compareTargets, datasetCaption, decisionLatencyLabel, inputsCaption, type ComparisonRow, type StudioReport } from '../../../shared/report.js';
import { ORIGINAL_TARGET, type BenchRecord, type Workspace } from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import { writeFilesAtomic } from '../onnx/atomic-files.js';
import { APP_FOLDER, outputExists } from '../onnx/output-exists.js';
import { makeOutputFolder } from '../onnx/output-folder.js';
import { byteTicks, percentTickFormat, shareAxis } from '../../../shared/chart-scale.js';
import {
  bestVariant,
  describeBest,
  describeNoBest,
  describeRule,
  measureOf,
  type QualityBudget,
  workspaceBudget,
} from '../../../shared/best-variant.js';
import { formatLatencyRatio, formatRatio } from '../../../shared/latency-format.js';
import { noiseNote, unreliableWhy } from '../../../shared/latency-noise.js';
import { describeBaseline } from '../../../shared/bench-conditions.js';
import { formatBytes } from '../../../shared/format-bytes.js';
import { distributionRun } from './distribution-run.js';
import { barChart, escapeXml, histogramChart, OTHER_COLOR, PALETTE, scatterChart, type BarRow } from './svg-charts.js';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const ratio = (v: number) => `${v.toFixed(2)}x`;
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

/** The report's data. */
export function reportJson(workspace: Workspace, version: string, now = new Date()): StudioReport {
  const latencySource = decisionLatencyLabel(workspace);
  return {
    generatedBy: `onnx-studio ${version}`,
    generatedAt: now.toISOString(),
    model: {
      path: workspace.model.path,
      ...(workspace.model.summary ? { summary: workspace.model.summary } : {}),
    },
    // One engine for every latency of the table and the best variant: the latest onnxruntime-node benchmark's.
    rows: compareTargets(workspace, latencySource !== undefined ? { latencyLabel: latencySource } : {}),
    ...(latencySource !== undefined ? { latencySource } : {}),
    benchmarks: workspace.benchmarks,
    workspace,
  };
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6473; --bg: #ffffff; --panel: #f5f7fa; --line: #d9dee6; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #9aa3b2; --bg: #14171d; --panel: #1c2028; --line: #333a46; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px 32px 48px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); } code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--panel); padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; } th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--panel); } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
/* A long figure with words ("×1.08 of 0.0912 ms, within noise") wraps, so the columns after it stay in view. */
td.num.wraps { white-space: normal; min-width: 7.5em; }
.table-wrap th, .table-wrap td { padding: 5px 6px; }
.better { color: #2e8540; } .worse { color: #c0392b; }
tr.best-row td { font-weight: 600; }
/* The table may use the window's width beyond the text's (a wide table scrolled with room to spare). */
.table-wrap { overflow-x: auto; width: max-content; min-width: 100%; max-width: calc(100vw - 64px); }
.best { background: var(--panel); border-left: 4px solid #2e8540; padding: 10px 14px; border-radius: 4px; }
.chart { margin: 12px 0 20px; overflow-x: auto; } svg { max-width: 100%; height: auto; }
svg text { fill: var(--fg); font: 12px system-ui, sans-serif; } svg .chart-title { font-weight: 600; font-size: 13px; }
svg .tick { fill: var(--muted); font-size: 11px; } svg .axis { fill: var(--muted); } svg .grid { stroke: var(--line); stroke-width: 1; }
svg .whisker { stroke: var(--fg); stroke-width: 1.4; } svg .value { font-variant-numeric: tabular-nums; }
`;

function cell(text: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${escapeXml(text)}</td>`;
}

/** `better` or `worse` for a ratio to the original (lower is better), none within 2%. */
function ratioClass(value: number | undefined): string {
  if (value === undefined) return '';
  return value < 0.98 ? 'better' : value > 1.02 ? 'worse' : '';
}

/** A figure the row does not have. */
const NONE = '–';

/**
 * A variant's p50 ratio as the app's table prints it (shared/latency-format.ts): with the original's p50 in the
 * variant's own interleaved run where that is not the original's row ("×1.24 of 0.286 ms"), so a variant
 * faster in ms than the original's row is never shown slower without saying against what.
 */
export function p50RatioText(row: ComparisonRow, original: ComparisonRow | undefined): string {
  const ratio = row.latency?.p50Ratio;
  if (row.target === ORIGINAL_TARGET || ratio === undefined || !(ratio > 0)) return NONE;
  const text = formatLatencyRatio(ratio, row.latency!.p50Ms / ratio, original?.latency?.p50Ms);
  // As the app's table says it (compare-data.ts `latencyNoiseNote`, the same helper): a difference inside the
  // run's noise is no speed-up or slow-down, and a run too noisy to tell is an "unreliable run", beside ×1.00 too.
  const note = noiseNote(row.latency?.noise);
  return note ? `${text}, ${note}` : text;
}

/** A variant from a run too noisy to tell speeds apart: the app draws it hollow on the Pareto view, "(noisy run)". */
function noisyRun(row: ComparisonRow): boolean {
  return row.target !== ORIGINAL_TARGET && row.latency?.noise?.unreliable === true;
}

/**
 * The warning the app's latency card gives (compare-data.ts `unreliableRunsWarning`), for the report's latency
 * chart: which variants' runs were too noisy to tell speeds apart, and why.
 */
function unreliableRunsCaption(rows: readonly ComparisonRow[], benchmarks: readonly BenchRecord[]): string[] {
  const noisy = rows.filter(noisyRun);
  if (noisy.length === 0) return [];
  // In the figures of the run's own records (their samples), whose spread it was, as the app says it.
  const baseline = rows.find((r) => r.target === ORIGINAL_TARGET)?.latency;
  const resultOf = (recordId: string | undefined, target: string) =>
    benchmarks.find((b) => b.id === recordId)?.results.find((r) => r.target === target);
  const why = noisy
    .map((r) => {
      const own = resultOf(r.latency!.recordId, r.target);
      const original = resultOf(r.latency!.recordId, ORIGINAL_TARGET) ?? resultOf(baseline?.recordId, ORIGINAL_TARGET);
      return `${r.name}: ${own && original ? unreliableWhy(own, original) : 'its run spread too much'}`;
    })
    .join('; ');
  return [
    `Unreliable runs: the spread is too large to tell speeds apart (${why}); no variant is called faster from such a run. Run again with more runs and other programs closed.`,
  ];
}

/** The original's run the variants are set beside, where it is not its latest (shared/bench-conditions.ts). */
function baselineCaption(rows: readonly ComparisonRow[]): string[] {
  const note = rows.find((r) => r.target === ORIGINAL_TARGET)?.latency?.baseline;
  return note ? [describeBaseline(note)] : [];
}

/**
 * The notes of the benchmarks and variants, each sentence once: every benchmark of a workspace repeated the
 * engine's "intra-op spinning is off" (13 times in one report). A note several runs share says how many.
 */
export function reportNotes(workspace: Workspace): string[] {
  // Per engine label (the notes are each engine's own): how many of its benchmarks said each.
  const runs = new Map<string, number>();
  const counts = new Map<string, { label: string; n: number }>();
  for (const b of workspace.benchmarks) {
    runs.set(b.label, (runs.get(b.label) ?? 0) + 1);
    for (const note of new Set(b.notes.map((n) => `${b.label}: ${n}`)))
      counts.set(note, { label: b.label, n: (counts.get(note)?.n ?? 0) + 1 });
  }
  const bench = [...counts.entries()].map(([note, { label, n }]) => {
    const total = runs.get(label)!;
    return total === 1 ? note : `${note} (${n === total ? `all ${total}` : `${n} of ${total}`} benchmarks)`;
  });
  const variants = [...new Set(workspace.variants.flatMap((v) => v.report.notes.map((n) => `${v.name}: ${n}`)))];
  return [...bench, ...variants];
}

/** A p50 ratio's colour: by the noise band's verdict where the row has one, else by a 2% margin. */
function latencyClass(row: ComparisonRow): string {
  const verdict = row.latency?.noise?.verdict;
  if (verdict !== undefined) return verdict === 'faster' ? 'better' : verdict === 'slower' ? 'worse' : '';
  return ratioClass(row.latency?.p50Ratio);
}

/**
 * The comparison table. Inputs and data get a column only when they differ between rows; when every row was
 * measured alike, one line above the table says on what (a column repeating it squeezed the figures). A
 * column no row has a figure in (Accuracy of a model without labels) is left out, so the figures it has
 * (Cosine, SQNR) are in view.
 */
export function comparisonTable(rows: ComparisonRow[], bestTarget: string | undefined): string {
  const original = rows.find((r) => r.target === ORIGINAL_TARGET);
  const inputsOf = (r: ComparisonRow) => (r.latency?.inputs ? shortShapes(r.latency.inputs) : '–');
  const dataOf = (r: ComparisonRow) => (r.dataset ? `${r.dataset.name} (${r.dataset.samples})` : '–');
  const varies = (of: (r: ComparisonRow) => string) => new Set(rows.map(of).filter((v) => v !== '–')).size > 1;
  const every: { head: string; numeric?: boolean; value: (r: ComparisonRow) => string; cls?: (r: ComparisonRow) => string }[] = [
    { head: 'Model', value: (r) => `${r.name}${r.target === bestTarget ? ' (best)' : ''}${r.sameFileAs ? ` (same file as ${r.sameFileAs})` : ''}` },
    { head: 'Made by', value: (r) => r.recipe ?? '—' },
    { head: 'Size', numeric: true, value: (r) => formatBytes(r.fileBytes) },
    // Workspaces from before variants had a sha256 get no column of dashes.
    ...(rows.some((r) => r.sha256) ? [{ head: 'File sha256', value: (r: ComparisonRow) => r.sha256?.slice(0, 12) ?? '–' }] : []),
    { head: 'Size ratio', numeric: true, value: (r) => (r.target === ORIGINAL_TARGET ? '–' : formatRatio(r.sizeRatio)), cls: (r) => ratioClass(r.target === ORIGINAL_TARGET ? undefined : r.sizeRatio) },
    { head: 'p50 ms', numeric: true, value: (r) => (r.latency ? ms(r.latency.p50Ms) : '–') },
    { head: 'p90 ms', numeric: true, value: (r) => (r.latency ? ms(r.latency.p90Ms) : '–') },
    { head: 'p99 ms', numeric: true, value: (r) => (r.latency ? ms(r.latency.p99Ms) : '–') },
    {
      head: 'p50 ratio',
      numeric: true,
      value: (r) => p50RatioText(r, original),
      cls: (r) => ['wraps', r.target === ORIGINAL_TARGET ? '' : latencyClass(r)].filter(Boolean).join(' '),
    },
    ...(varies(inputsOf) ? [{ head: 'Inputs', value: inputsOf }] : []),
    {
      head: rows.some((r) => r.accuracyTask === 'next-token') ? 'Next-token accuracy' : 'Accuracy',
      numeric: true,
      value: (r) => (r.accuracy !== undefined ? pct(r.accuracy) : '–'),
    },
    // A language model's perplexity on its own ids (lower is better); no column for other models.
    { head: 'Perplexity', numeric: true, value: (r) => formatPerplexity(r.perplexity) },
    {
      head: 'Δ accuracy',
      numeric: true,
      value: (r) =>
        r.accuracyDelta !== undefined && r.target !== ORIGINAL_TARGET
          ? `${r.accuracyDelta >= 0 ? '+' : ''}${(r.accuracyDelta * 100).toFixed(2)} pt`
          : '–',
      cls: (r) => (r.accuracyDelta !== undefined && r.accuracyDelta < -0.005 ? 'worse' : ''),
    },
    ...(varies(dataOf) ? [{ head: 'Data', value: dataOf }] : []),
    { head: 'Data sha256', value: (r) => (r.dataset ? r.dataset.sha256.slice(0, 12) : '–') },
    { head: 'Cosine', numeric: true, value: (r) => (r.fidelity ? r.fidelity.cosine.toFixed(5) : '–') },
    { head: 'SQNR dB', numeric: true, value: (r) => (r.fidelity ? (r.fidelity.sqnrDb === null ? '∞' : r.fidelity.sqnrDb.toFixed(1)) : '–') },
    { head: 'Top-1 agree', numeric: true, value: (r) => (r.fidelity?.top1Agreement != null ? pct(r.fidelity.top1Agreement) : '–') },
  ];
  const columns = every.filter((c, i) => i === 0 || rows.some((r) => c.value(r) !== NONE));
  const body = rows.map(
    (r) =>
      `${r.target === bestTarget ? '<tr class="best-row">' : '<tr>'}${columns
        .map((c) => cell(c.value(r), [c.numeric ? 'num' : '', c.cls?.(r) ?? ''].filter(Boolean).join(' ')))
        .join('')}</tr>`,
  );
  const alike = [
    ...(varies(inputsOf) ? [] : inputsCaption(rows)),
    ...(varies(dataOf) ? [] : datasetCaption(rows)),
  ];
  return `${alike.length > 0 ? `<p class="muted">${escapeXml(`Every row: ${alike.join(' ')}`)}</p>` : ''}<div class="table-wrap"><table><thead><tr>${columns
    .map((c) => `<th${c.numeric ? ' class="num"' : ''}>${escapeXml(c.head)}</th>`)
    .join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

/** Each dataset of the table with its full sha256, so the HTML identifies the data as the JSON and the CSV do. */
function datasetHashes(rows: readonly ComparisonRow[]): string {
  const distinct = new Map<string, string>();
  for (const r of rows) if (r.dataset) distinct.set(r.dataset.sha256, `${r.dataset.name} (${r.dataset.samples} samples)`);
  if (distinct.size === 0) return '';
  return `<p class="muted">${[...distinct.entries()].map(([sha, name]) => `${escapeXml(name)}: sha256 <code>${escapeXml(sha)}</code>`).join('<br>')}</p>\n`;
}

/** A warning when the accuracies in the table come from different datasets (they cannot be compared). */
function mixedDatasetsNote(rows: readonly ComparisonRow[]): string {
  const distinct = new Map<string, string>();
  for (const r of rows) if (r.dataset) distinct.set(r.dataset.sha256, `${r.dataset.name} (${r.dataset.samples} samples)`);
  if (distinct.size < 2) return '';
  return `<p class="worse"><strong>These accuracies were measured on different datasets:</strong> ${escapeXml([...distinct.values()].join(', '))}. Evaluate every variant on the same data to compare them.</p>\n`;
}

function charts(report: StudioReport): string[] {
  const { rows, workspace } = report;
  const nameOf = (target: string) => rows.find((r) => r.target === target)?.name ?? target;
  // One colour per model in every chart, from its place in the table (a chart that leaves a model out does
  // not shift the others' colours).
  const colorOf = (target: string) => PALETTE[Math.max(0, rows.findIndex((r) => r.target === target)) % PALETTE.length]!;
  const out: string[] = [];
  // Round ticks in the unit of the largest file: 0, 100 KiB, 200 KiB... (not 146.5 KiB).
  const sizeAxis = byteTicks(Math.max(0, ...rows.map((r) => r.fileBytes)));
  // A share axis zoomed to the data, or 0 to 1 where every figure prints the same (shareAxis), its ticks
  // with the decimals their step needs: whole percents printed 99.85% to 100% as "100% 100% 100% 100%".
  const shareBars = (
    values: readonly number[],
    print: (v: number) => string,
    tick: (ticks: number[]) => (v: number) => string = percentTickFormat,
  ) => {
    const axis = shareAxis(values, print);
    return {
      ticks: axis.ticks,
      tickFormat: tick(axis.ticks),
      allAt:
        axis.allAt !== undefined
          ? [`All at ${axis.allAt}: no difference to show, so the axis starts at 0.`]
          : [],
    };
  };
  out.push(
    barChart({
      title: 'File size',
      unit: 'B',
      rows: rows.map((r) => ({
        label: r.name,
        value: r.fileBytes,
        note: r.target === ORIGINAL_TARGET ? '' : ratio(r.sizeRatio),
        color: colorOf(r.target),
      })),
      format: formatBytes,
      ticks: sizeAxis.ticks,
      tickFormat: sizeAxis.format,
    }),
  );
  const timed = rows.filter((r) => r.latency);
  if (timed.length > 0) {
    // Absolute p50s of different runs are not comparable (the machine's load moves the original between
    // them): where the variants were timed in other runs than the original's row, each bar is normalised to
    // that row (its ratio in its own interleaved run × the original's p50), and the chart says so.
    const originalP50 = rows.find((r) => r.target === ORIGINAL_TARGET)?.latency?.p50Ms;
    const scaleOf = (r: ComparisonRow): number =>
      r.target !== ORIGINAL_TARGET && originalP50 !== undefined && r.latency!.p50Ratio !== undefined && r.latency!.p50Ms > 0
        ? (r.latency!.p50Ratio * originalP50) / r.latency!.p50Ms
        : 1;
    const normalised = timed.some((r) => Math.abs(scaleOf(r) - 1) > 1e-9);
    out.push(
      barChart({
        title: `Latency: p50 (bar) with p90 and p99 (whisker)${normalised ? ', normalised to the original' : ''}`,
        unit: 'ms',
        rows: timed.map<BarRow>((r) => {
          const k = scaleOf(r);
          return {
            label: r.name,
            value: r.latency!.p50Ms * k,
            whisker: [r.latency!.p90Ms * k, r.latency!.p99Ms * k],
            note:
              r.target === ORIGINAL_TARGET || r.latency!.p50Ratio === undefined
                ? ''
                : `${ratio(r.latency!.p50Ratio)}${k !== 1 ? ` (measured ${ms(r.latency!.p50Ms)})` : ''}`,
            color: colorOf(r.target),
          };
        }),
        fitBars: true,
        axisLabel: `${normalised ? 'normalised ' : ''}latency (ms)`,
        captions: [
          ...(normalised && originalP50 !== undefined
            ? [
                `Variants were timed in other runs than the original's ${ms(originalP50)} ms: each bar is its ratio in its own interleaved run × that p50 (measured p50 after it).`,
              ]
            : []),
          ...baselineCaption(rows),
          ...unreliableRunsCaption(timed, workspace.benchmarks),
          ...inputsCaption(timed),
        ],
      }),
    );
  }
  const scored = rows.filter((r) => r.accuracy !== undefined);
  if (scored.length > 0) {
    const axis = shareBars(
      scored.map((r) => r.accuracy!),
      pct,
    );
    out.push(
      barChart({
        title: rows.some((r) => r.accuracyTask === 'next-token')
          ? 'Next-token accuracy (a language model on its own token ids)'
          : 'Accuracy (top-1, on the labelled data)',
        unit: '',
        rows: scored.map((r) => ({
          label: r.name,
          value: r.accuracy!,
          note:
            r.accuracyDelta !== undefined && r.target !== ORIGINAL_TARGET
              ? `${(r.accuracyDelta * 100).toFixed(2)} pt`
              : '',
          color: colorOf(r.target),
        })),
        format: pct,
        // Starts near the data (and says so): 99.4% and 98.9% on a 0-100% axis look the same.
        ticks: axis.ticks,
        tickFormat: axis.tickFormat,
        captions: [...datasetCaption(scored), ...axis.allAt],
      }),
    );
  }
  const faithful = rows.filter((r) => r.fidelity?.top1Agreement != null);
  if (faithful.length > 0) {
    const axis = shareBars(
      faithful.map((r) => r.fidelity!.top1Agreement!),
      pct,
    );
    out.push(
      barChart({
        title: 'Fidelity: top-1 agreement with the original',
        unit: '',
        rows: faithful.map((r) => ({
          label: r.name,
          value: r.fidelity!.top1Agreement!,
          note: `cosine ${r.fidelity!.cosine.toFixed(4)}`,
          color: colorOf(r.target),
        })),
        format: pct,
        ticks: axis.ticks,
        tickFormat: axis.tickFormat,
        captions: [...datasetCaption(faithful), ...axis.allAt],
      }),
    );
  }
  // Without labels or class scores, the output cosine is the only quality figure: on an axis zoomed to the
  // data (0.9757 and 1.0000 look the same on 0-1), with no "x1.00" ratios (a cosine is already relative).
  const cosines = rows.filter((r) => r.fidelity && r.fidelity.top1Agreement == null && r.accuracy === undefined);
  if (faithful.length === 0 && scored.length === 0 && cosines.length > 0) {
    const cosineTicks = (ticks: number[]) => {
      const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 0.01;
      const digits = Math.min(6, Math.max(2, Math.ceil(-Math.log10(step) - 1e-9)));
      return (v: number) => v.toFixed(digits);
    };
    const axis = shareBars(
      cosines.map((r) => r.fidelity!.cosine),
      (v) => v.toFixed(5),
      cosineTicks,
    );
    out.push(
      barChart({
        title: 'Fidelity: output cosine similarity to the original (1 = identical)',
        unit: '',
        rows: cosines.map((r) => ({ label: r.name, value: r.fidelity!.cosine, note: '', color: colorOf(r.target) })),
        format: (v) => v.toFixed(5),
        ticks: axis.ticks,
        tickFormat: axis.tickFormat,
        captions: [...datasetCaption(cosines), ...axis.allAt],
      }),
    );
  }
  // Placed by each variant's ratio to the original of its own interleaved benchmark (the original at 1):
  // absolute p50s from different runs would move with the machine's load between them.
  const pareto = rows.filter(
    (r) =>
      r.latency &&
      (r.target === ORIGINAL_TARGET || r.latency.p50Ratio !== undefined) &&
      (r.accuracy !== undefined || r.fidelity !== undefined || r.target === ORIGINAL_TARGET),
  );
  const useAccuracy = pareto.some((r) => r.accuracy !== undefined) && pareto.every((r) => r.accuracy !== undefined);
  const useAgreement = !useAccuracy && pareto.some((r) => r.fidelity?.top1Agreement != null);
  const qualityOfRow = (r: ComparisonRow): number | undefined =>
    useAccuracy
      ? r.accuracy
      : r.target === ORIGINAL_TARGET
        ? 1
        : useAgreement
          ? (r.fidelity?.top1Agreement ?? undefined)
          : r.fidelity?.cosine;
  const placed = pareto.filter((r) => qualityOfRow(r) !== undefined);
  if (placed.some((r) => r.target !== ORIGINAL_TARGET)) {
    const yLabel = useAccuracy ? 'accuracy' : useAgreement ? 'top-1 agreement' : 'output cosine';
    out.push(
      scatterChart({
        title: `Pareto view: p50 latency ratio against ${yLabel} (bubble area: file size)`,
        xLabel: 'p50 latency / the original’s, in the same interleaved benchmark',
        yLabel,
        points: placed.map((r) => ({
          // As the app's legend says it (charts/pareto-chart.tsx).
          label: `${r.name}${noisyRun(r) ? ' (noisy run)' : ''}`,
          x: r.target === ORIGINAL_TARGET ? 1 : r.latency!.p50Ratio!,
          y: qualityOfRow(r)!,
          size: r.fileBytes,
          color: colorOf(r.target),
          hollow: noisyRun(r),
        })),
        yShare: yLabel !== 'output cosine',
        captions: [
          `Latency as each variant's ratio to the original in its own run (original = 1)${report.latencySource ? `, ${report.latencySource}` : ''}.`,
          ...(placed.some(noisyRun)
            ? ['A variant from a run too noisy to tell speeds apart is drawn hollow and dashed, where its figures put it.']
            : []),
          ...inputsCaption(placed),
          ...datasetCaption(placed),
        ],
      }),
    );
  }
  // The run of the best variant the page names, not whichever ran last (electron/engine/report/distribution-run.ts).
  const run = distributionRun(rows, workspace.benchmarks, report.latencySource, bestVariant(rows, workspaceBudget(workspace).budget)?.row);
  const bench = run?.record;
  const shown = run ? run.record.results.filter((r) => run.targets.includes(r.target)) : [];
  if (run && shown.length > 0) {
    out.push(
      histogramChart({
        title: run.title,
        xLabel: 'latency per run (ms)',
        series: shown.map((r) => ({ label: nameOf(r.target), values: r.samples!, color: colorOf(r.target) })),
        captions: [run.caption, ...(run.record.inputs ? [`Inputs: ${run.record.inputs.map(describeInputShape).join(', ')}.`] : [])],
      }),
    );
  }
  // Every profiled model of that run (the distribution draws two of them; the table has the others' figures).
  for (const result of bench?.results ?? []) {
    if (!result.profile || result.profile.byOpType.length === 0) continue;
    // One colour per op type: as many as the palette has (the slowest first), the rest summed as a grey "other".
    const ops = [...result.profile.byOpType].sort((a, b) => b.ms - a.ms);
    const own = ops.length > PALETTE.length ? ops.slice(0, PALETTE.length - 1) : ops;
    const rest = ops.slice(own.length);
    const opRows: BarRow[] = own.map((o) => ({ label: o.opType, value: o.ms, note: `${o.pct.toFixed(1)}%` }));
    if (rest.length > 0)
      opRows.push({
        label: `other (${rest.length} types)`,
        value: rest.reduce((sum, o) => sum + o.ms, 0),
        note: `${rest.reduce((sum, o) => sum + o.pct, 0).toFixed(1)}%`,
        color: OTHER_COLOR,
      });
    out.push(barChart({ title: `Time per operator type: ${nameOf(result.target)}`, unit: 'ms', rows: opRows }));
  }
  return out;
}

/** The variant to keep, first on the page, with its ratios, the engine and what they were measured on. */
function bestSection(rows: readonly ComparisonRow[], latencySource: string | undefined, budget: QualityBudget): string {
  const best = bestVariant(rows, budget);
  const measure = measureOf(rows);
  const measuredOn = [
    ...(latencySource ? [`Latency: ${latencySource}, each variant against the original of its own interleaved benchmark.`] : []),
    ...inputsCaption(rows),
    ...datasetCaption(rows),
  ].join(' ');
  if (!best) {
    const measured = rows.some((r) => r.target !== ORIGINAL_TARGET && r.latency?.p50Ratio !== undefined);
    return measured
      ? `<p class="best"><strong>${escapeXml(describeNoBest(measure, budget))}.</strong><br><span class="muted">${escapeXml(measuredOn)}</span></p>\n`
      : '';
  }
  const rule = describeRule(best, measure, budget);
  return `<p class="best"><strong>Best variant: ${escapeXml(describeBest(best, budget))}.</strong><br><span class="muted">${escapeXml(
    `${rule.charAt(0).toUpperCase()}${rule.slice(1)}. ${measuredOn}`,
  )}</span></p>\n`;
}

/** The report as one self-contained HTML page. */
export function reportHtml(report: StudioReport): string {
  const { workspace } = report;
  const summary = workspace.model.summary;
  const title = `ONNX Studio report: ${path.basename(workspace.model.path)}`;
  const model: string[] = [];
  model.push(`<tr><th>Model</th>${cell(workspace.model.path)}</tr>`);
  model.push(`<tr><th>Size</th>${cell(formatBytes(workspace.model.fileBytes))}</tr>`);
  if (summary) {
    model.push(
      `<tr><th>Inputs</th>${cell(summary.inputs.map((i) => `${i.name}: ${i.dtype}[${i.shape.map((d) => d ?? '?').join(', ')}]`).join('; '))}</tr>`,
    );
    model.push(
      `<tr><th>Outputs</th>${cell(summary.outputs.map((i) => `${i.name}: ${i.dtype}[${i.shape.map((d) => d ?? '?').join(', ')}]`).join('; '))}</tr>`,
    );
    model.push(
      `<tr><th>Nodes</th>${cell(
        `${summary.nodes} (${Object.entries(summary.opCounts)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([op, n]) => `${op} ${n}`)
          .join(', ')})`,
      )}</tr>`,
    );
    model.push(
      `<tr><th>Parameters</th>${cell(
        `${summary.parameters.toLocaleString('en-US')} (${Object.entries(summary.parameterBytes)
          .map(([d, b]) => `${d} ${formatBytes(b)}`)
          .join(', ')})`,
      )}</tr>`,
    );
  }
  const commands = workspace.variants.map(
    (v) => `<h3>${escapeXml(v.name)}</h3><pre>${escapeXml(v.cliCommand)}</pre>`,
  );
  const notes = reportNotes(workspace);
  const benchSettings = workspace.benchmarks.map((b) => {
    const s = b.settings;
    const detail = s
      ? `${s.iterations !== undefined ? `${s.iterations} runs` : `${s.durationMs} ms`}, warmup ${s.warmup}, threads ${s.threads || 'default'}, opt level ${s.optLevel}, data ${s.data}`
      : '';
    return `<li>${escapeXml(`${b.createdAt}: ${b.label} — ${b.results.length} model(s)${detail ? `; ${detail}` : ''}`)}</li>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="muted">${escapeXml(`${report.generatedBy}, ${report.generatedAt}. ${workspace.variants.length} variant(s), ${workspace.benchmarks.length} benchmark(s), ${workspace.evaluations.length} evaluation(s).`)}</p>
${bestSection(report.rows, report.latencySource, workspaceBudget(workspace).budget)}<h2>Model</h2>
<table>${model.join('')}</table>
<h2>Comparison</h2>
<p class="muted">${escapeXml(`Ratios are against the original (below 1 is smaller or faster). Latency ratios come from one interleaved benchmark where possible.${report.latencySource ? ` Latencies: ${report.latencySource} (other engines are listed under Benchmarks).` : ''} Data sha256: the first 12 hex digits of the data's hash (in full above the table).`)}</p>
${baselineCaption(report.rows)
  .map((line) => `<p class="muted">${escapeXml(line)}</p>\n`)
  .join('')}${mixedDatasetsNote(report.rows)}${datasetHashes(report.rows)}${comparisonTable(report.rows, bestVariant(report.rows, workspaceBudget(workspace).budget)?.row.target)}
<h2>Charts</h2>
${charts(report)
  .map((svg) => `<div class="chart">${svg}</div>`)
  .join('\n')}
${benchSettings.length > 0 ? `<h2>Benchmarks</h2><ul>${benchSettings.join('')}</ul>` : ''}
${commands.length > 0 ? `<h2>Reproduce with the command line</h2>${commands.join('\n')}` : ''}
${notes.length > 0 ? `<h2>Notes</h2><ul>${notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>` : ''}
</body>
</html>
`;
}

/** The report as HTML and JSON (for the UI to show or download). */
export function buildReport(workspace: Workspace, version: string): { html: string; json: StudioReport } {
  const json = reportJson(workspace, version);
  return { html: reportHtml(json), json };
}

/**
 * Writes `report.html` and `report.json` into `outputDir` (created if missing, as an output folder is:
 * makeOutputFolder, which also refuses a pseudo file system such as /proc at once), atomically and together. Without
 * `overwrite`, a report already there is refused, also one that appears while the report is written: with
 * `exists(file)` when given (the CLI's words), else as the app words it.
 */
export async function saveReport(
  workspace: Workspace,
  version: string,
  outputDir: string,
  overwrite: boolean,
  exists: (file: string) => StudioError = (file) => outputExists(file, APP_FOLDER),
): Promise<{ htmlPath: string; jsonPath: string }> {
  const dir = path.resolve(outputDir);
  // Written into whether made now or by someone else meanwhile: the report's two files are placed together (below).
  await makeOutputFolder(dir, 'the report folder', { force: true });
  const htmlPath = path.join(dir, 'report.html');
  const jsonPath = path.join(dir, 'report.json');
  if (!overwrite) {
    for (const file of [htmlPath, jsonPath]) {
      if (fs.existsSync(file)) throw exists(file);
    }
  }
  const { html, json } = buildReport(workspace, version);
  // As one output: a report.html that appears meanwhile leaves no report.json of this one beside it.
  await writeFilesAtomic(
    [
      [jsonPath, `${JSON.stringify(json, null, 2)}\n`],
      [htmlPath, html],
    ],
    { replace: overwrite, exists },
  );
  return { htmlPath, jsonPath };
}
