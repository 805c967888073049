/**
 * The comparison of a workspace's models: one row per target (the original first, then each variant) with
 * size, latency and accuracy or fidelity, each with its ratio to the original. The Compare view, the exported
 * report and `onnx-studio demo` all use these rows, so they show the same numbers. Pure functions, no I/O.
 */
import { describeInputShape } from './input-spec.js';
import { duringAutoOptimize, originalBaseline, runConditions, type BaselineNote } from './bench-conditions.js';
import { ratioNoise, type RatioNoise } from './latency-noise.js';
import { p50RatioToOriginal, sameShapes } from './latency-stats.js';
import { sameFileAs } from './same-file.js';
import { variantSteps } from './variant-naming.js';
import type { ModelSummary } from './model-summary.js';
import {
  ORIGINAL_TARGET,
  type BenchRecord,
  type BenchTargetResult,
  type DatasetIdentity,
  type FedInput,
  type VariantRecipe,
  type Workspace,
} from './workspace.js';

export interface ComparisonRow {
  /** `'original'` or a variant id. */
  target: string;
  /** `original` or the variant's name. */
  name: string;
  path: string;
  fileBytes: number;
  /** sha256 of a variant's files, when the workspace recorded it (workspace.ts `WorkspaceVariant.sha256`). */
  sha256?: string;
  /** The name of an earlier variant that is the same file (same sha256): the same model. */
  sameFileAs?: string;
  /** fileBytes / the original's. */
  sizeRatio: number;
  /**
   * How it was made: every step from the original, e.g. `prune structured 10%, then quantize int8-static`
   * (absent for the original).
   */
  recipe?: string;
  cliCommand?: string;
  /** The most recent benchmark of this target (on the engine asked for, when compareTargets was given one). */
  latency?: {
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    meanMs: number;
    /** p50 / the original's p50, from the same benchmark when it measured both (interleaved, so fair). */
    p50Ratio?: number;
    /**
     * The noise band of `p50Ratio` (shared/latency-noise.ts): whether it is faster or slower than the original
     * beyond the run's noise, or the same speed; and whether the run was too noisy to tell.
     */
    noise?: RatioNoise;
    /** Which runtime and provider measured it. */
    label: string;
    recordId: string;
    /** The inputs the benchmark fed, when it recorded them. */
    inputs?: FedInput[];
    /**
     * The original's row only, where it is not its latest run: its latest ran under other conditions than most
     * variants' runs, so this is its latest run made like theirs, or none was (shared/bench-conditions.ts).
     */
    baseline?: BaselineNote;
  };
  /** Top-1 accuracy of the most recent evaluation with labels (classification), or a language model's next-token accuracy. */
  accuracy?: number;
  /** `next-token` where `accuracy` is a language model's on its own ids (eval's next-token task). */
  accuracyTask?: 'next-token';
  /** A language model's perplexity on its own ids, from the same evaluation (lower is better). */
  perplexity?: number;
  /** The data that accuracy (else, without labels, the fidelity) was measured on, when recorded. */
  dataset?: DatasetIdentity;
  /** accuracy - the original's accuracy (on the same data: the same sha256, else the same description). */
  accuracyDelta?: number;
  /** Fidelity of the most recent evaluation against the original. */
  fidelity?: { cosine: number; sqnrDb: number | null; top1Agreement: number | null };
}

export interface StudioReport {
  /** e.g. `onnx-studio 0.1.0`. */
  generatedBy: string;
  generatedAt: string;
  model: { path: string; summary?: ModelSummary };
  rows: ComparisonRow[];
  /** The engine the rows' latencies (and the best variant) come from, e.g. `onnxruntime-node cpu`. */
  latencySource?: string;
  /** Every benchmark, so charts of the latency distribution can be redrawn from the JSON alone. */
  benchmarks: BenchRecord[];
  workspace: Workspace;
}

function latestFor(
  records: readonly BenchRecord[],
  target: string,
): { record: BenchRecord; result: BenchTargetResult } | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    const result = record.results.find((r) => r.target === target);
    if (result) return { record, result };
  }
  return undefined;
}

/** One step as the table names it: `quantize int8-static`, `prune structured 10%`. */
function describeStep(recipe: VariantRecipe): string {
  const extra =
    recipe.operation === 'prune' && typeof recipe.common.sparsity === 'number'
      ? ` ${Math.round(recipe.common.sparsity * 100)}%`
      : '';
  return `${recipe.operation} ${recipe.method}${extra}`;
}

/**
 * Every step that made a variant from the original, oldest first (`prune structured 10%, then quantize
 * int8-static`). The chain of parents is variantSteps' (shared/variant-naming.ts), the one the engine writes the
 * variant's CLI command from, so "Made by" and the command never disagree; the variant's own step alone left
 * out the prune of a pruned-then-quantized variant.
 */
function describeRecipe(workspace: Workspace, target: string): string | undefined {
  const variant = workspace.variants.find((v) => v.id === target);
  if (!variant) return undefined;
  return variantSteps(workspace, variant.parent, variant.recipe)
    .map((step) => describeStep(step.recipe))
    .join(', then ');
}

/**
 * The engine to decide on (one engine per decision: ratios from onnxruntime-web and onnxruntime-node are not
 * comparable): the label of the latest onnxruntime-node benchmark, else of the latest benchmark.
 */
export function decisionLatencyLabel(workspace: Workspace): string | undefined {
  const benchmarks = workspace.benchmarks;
  for (let i = benchmarks.length - 1; i >= 0; i--) if (benchmarks[i]!.engine === 'onnxruntime-node') return benchmarks[i]!.label;
  return benchmarks.at(-1)?.label;
}

/**
 * The comparison rows of a workspace: the original first, then the variants in the order they were made.
 * With `latencyLabel`, latencies come only from benchmarks of that engine and provider (`BenchRecord.label`).
 */
export function compareTargets(workspace: Workspace, options: { latencyLabel?: string } = {}): ComparisonRow[] {
  const originalBytes = workspace.model.fileBytes;
  const benchmarks =
    options.latencyLabel === undefined ? workspace.benchmarks : workspace.benchmarks.filter((b) => b.label === options.latencyLabel);
  const targets = [
    { target: ORIGINAL_TARGET, name: 'original', path: workspace.model.path, fileBytes: originalBytes },
    ...workspace.variants.map((v) => ({ target: v.id, name: v.name, path: v.path, fileBytes: v.fileBytes })),
  ];
  // The original's run the variants are set beside: its latest made like most of theirs (bench-conditions.ts).
  const originalOf = (record: BenchRecord) => record.results.find((r) => r.target === ORIGINAL_TARGET);
  const baseline = originalBaseline(
    benchmarks.filter((b) => originalOf(b) !== undefined),
    workspace.variants.flatMap((v) => latestFor(benchmarks, v.id)?.record ?? []),
    runConditions,
    (b) => originalOf(b)!.p50Ms,
    (b) => duringAutoOptimize(b.createdAt, workspace.tunes),
  );
  const originalLatest = baseline && { record: baseline.run, result: originalOf(baseline.run)! };
  const accuracyOf = (target: string) => {
    for (let i = workspace.evaluations.length - 1; i >= 0; i--) {
      const e = workspace.evaluations[i]!;
      if (e.target === target && e.report.accuracy !== undefined)
        return {
          accuracy: e.report.accuracy,
          data: e.dataset?.sha256 ?? e.report.data,
          dataset: e.dataset,
          nextToken: e.report.nextToken,
        };
    }
    return undefined;
  };
  const originalAccuracy = accuracyOf(ORIGINAL_TARGET);
  const sameFile = sameFileAs(workspace.variants);
  return targets.map((t) => {
    const row: ComparisonRow = {
      target: t.target,
      name: t.name,
      path: t.path,
      fileBytes: t.fileBytes,
      sizeRatio: originalBytes > 0 ? t.fileBytes / originalBytes : 1,
    };
    const recipe = describeRecipe(workspace, t.target);
    if (recipe) row.recipe = recipe;
    const variant = workspace.variants.find((v) => v.id === t.target);
    if (variant) row.cliCommand = variant.cliCommand;
    if (variant?.sha256) row.sha256 = variant.sha256;
    const same = sameFile.get(t.target);
    if (same) row.sameFileAs = same.name;
    const latest = t.target === ORIGINAL_TARGET ? originalLatest : latestFor(benchmarks, t.target);
    if (latest) {
      const { record, result } = latest;
      const sameRecordOriginal = record.results.find((r) => r.target === ORIGINAL_TARGET);
      const p50Ratio = p50RatioToOriginal(
        result.p50Ms,
        sameRecordOriginal?.p50Ms,
        originalLatest && { p50Ms: originalLatest.result.p50Ms, inputs: originalLatest.record.inputs },
        record.inputs,
      );
      // The noise of the ratio, against the original it is a ratio to (the same run's, else the latest).
      const base =
        sameRecordOriginal ??
        (originalLatest && sameShapes(record.inputs, originalLatest.record.inputs) ? originalLatest.result : undefined);
      const noise = t.target !== ORIGINAL_TARGET && p50Ratio !== undefined && base ? ratioNoise(result, base) : undefined;
      row.latency = {
        p50Ms: result.p50Ms,
        p90Ms: result.p90Ms,
        p99Ms: result.p99Ms,
        meanMs: result.meanMs,
        label: record.label,
        recordId: record.id,
        ...(p50Ratio !== undefined ? { p50Ratio } : {}),
        ...(noise ? { noise } : {}),
        ...(record.inputs ? { inputs: record.inputs } : {}),
        ...(t.target === ORIGINAL_TARGET && baseline?.note ? { baseline: baseline.note } : {}),
      };
    }
    const accuracy = accuracyOf(t.target);
    if (accuracy) {
      row.accuracy = accuracy.accuracy;
      if (accuracy.nextToken) {
        row.accuracyTask = 'next-token';
        row.perplexity = accuracy.nextToken.perplexity;
      }
      if (accuracy.dataset) row.dataset = accuracy.dataset;
      if (originalAccuracy && originalAccuracy.data === accuracy.data)
        row.accuracyDelta = accuracy.accuracy - originalAccuracy.accuracy;
    }
    for (let i = workspace.evaluations.length - 1; i >= 0; i--) {
      const e = workspace.evaluations[i]!;
      if (e.target === t.target && e.reference === ORIGINAL_TARGET && e.report.fidelity) {
        const f = e.report.fidelity;
        row.fidelity = { cosine: f.cosine, sqnrDb: f.sqnrDb, top1Agreement: f.top1Agreement };
        // Without labels the fidelity is the only quality figure: name the data it was measured on.
        if (!row.dataset && e.dataset) row.dataset = e.dataset;
        break;
      }
    }
    return row;
  });
}

/**
 * What the latency figures of `rows` were measured on: `Inputs: image float32 [1, 1, 32, 32].` (one line per
 * distinct set, flagged when they differ). The report's captions and the demo's summary print it.
 */
export function inputsCaption(rows: readonly ComparisonRow[]): string[] {
  const shapes = new Set(rows.flatMap((r) => (r.latency?.inputs ? [r.latency.inputs.map(describeInputShape).join(', ')] : [])));
  return shapes.size === 0 ? [] : [`Inputs: ${[...shapes].join('; ')}${shapes.size > 1 ? ' (different inputs: do not compare these)' : ''}.`];
}

/** What the accuracies of `rows` were measured on: `Data: digits test set (sample) (360 samples).` */
export function datasetCaption(rows: readonly ComparisonRow[]): string[] {
  const named = new Map(rows.flatMap((r) => (r.dataset ? [[r.dataset.sha256, `${r.dataset.name} (${r.dataset.samples} samples)`] as const] : [])));
  return named.size === 0 ? [] : [`Data: ${[...named.values()].join('; ')}.`];
}
