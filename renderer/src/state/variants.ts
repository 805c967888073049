/**
 * The models the views show: the original and each variant of its workspace, with the latest latency per
 * measurement source (the workspace's records, overlaid with benchmarks still streaming), the latest
 * operator profile, and the latest evaluation. Derived, never stored, so there is one truth: the workspace.
 */
import type { BenchProfile } from '../../../shared/bench.js';
import type { ImageReading } from '../../../shared/image-reading.js';
import type { MeasuredTask } from '../../../shared/eval-tasks.js';
import type { NextTokenInfo } from '../../../shared/job-reports.js';
import {
  ORIGINAL_TARGET,
  type DatasetIdentity,
  type EvalRecord,
  type FedInput,
  type VariantRecipe,
} from '../../../shared/workspace.js';
import { latencyStatsOf, type LatencyStats } from '../../../shared/latency-stats.js';
import type { LatencySpreadInput } from '../../../shared/latency-noise.js';
import { duringAutoOptimize, runConditions, type RunConditions } from '../../../shared/bench-conditions.js';
import { latencyStats } from './statistics.js';
import { measurementKey, type Engine, type MeasurementSource, type StudioState } from './studio-state.js';

export interface LatencyMeasurement extends MeasurementSource {
  /** Legend text, e.g. `onnxruntime-node cpu` or `onnxruntime-web webgpu (SwiftShader)`. */
  label: string;
  /** Samples in run order (ms): all of a live run, up to 2,000 of a stored one. */
  samples: number[];
  stats?: LatencyStats;
  /** False while the benchmark runs: the figures are live and will change. */
  final: boolean;
  initMs?: number;
  /** The original's p50 in the same (interleaved) run, when that run measured it: the fair base of a ratio. */
  sameRunOriginalP50Ms?: number;
  /**
   * The original's figures in that same run (its samples when kept): how noisy the run was, so a ratio within
   * its noise is not called faster (shared/latency-noise.ts).
   */
  sameRunOriginal?: LatencySpreadInput;
  /** The inputs the benchmark fed (shapes), when it recorded them. */
  inputs?: FedInput[];
  /** The data the benchmark fed, when it ran on data: then the data decided the shapes, not the input spec. */
  dataset?: DatasetIdentity;
  /** The conditions of its run (shared/bench-conditions.ts), from its record; none while it streams. */
  conditions?: RunConditions;
  /** Its run was one of an Auto-optimize run's benchmarks. */
  autoOptimize?: boolean;
}

/**
 * The data one figure was measured on. Each figure keeps its own: an evaluation without labels measures fidelity
 * alone, and the accuracy left from an earlier evaluation stays on the data it was measured on (it showed as
 * "10.00% on test-inputs.npy" when x_u8.npy was its data).
 */
export interface MeasuredOn {
  /** The engine's description of the data as it read it (its file, labels, image preprocessing). */
  data: string;
  /** Image folders: how the images became the input, and which values were guessed (none in older records). */
  imageReading?: ImageReading;
  samples: number;
  /** Which data (name, samples, sha256), when recorded. */
  dataset?: DatasetIdentity;
  /** What its evaluation noted: values it guessed, entries it skipped, outputs it could not compare. */
  notes: string[];
  /** When its evaluation was recorded (ISO), so a figure left from an earlier one can say when it is from. */
  measuredAt?: string;
}

export interface Evaluation {
  /**
   * Top-1 accuracy: against labels, or (`task` next-token) a language model's share of positions whose next id it
   * ranks first.
   */
  accuracy?: number;
  /** What the accuracy's evaluation measured (its report's task): `next-token` for a language model's own ids. */
  task?: MeasuredTask;
  /** A next-token accuracy's other figures (perplexity, cross-entropy), from the same evaluation. */
  nextToken?: NextTokenInfo;
  /** The data the accuracy was measured on, described by the engine. */
  data?: string;
  /** Image folders: how the images the accuracy was measured on became the input. */
  imageReading?: ImageReading;
  samples?: number;
  /** Which data the accuracy was measured on (name, samples, sha256), when recorded. */
  dataset?: DatasetIdentity;
  /** The accuracy's evaluation's notes on its data. */
  notes?: string[];
  /** When the accuracy's evaluation was recorded (ISO). */
  measuredAt?: string;
  /**
   * Against the original on the same inputs, with the data it was measured on (`on`). `output`: the model output
   * compared (a multi-output model's first), when the report names it.
   */
  fidelity?: {
    cosine: number;
    top1Agreement: number | null;
    sqnrDb: number | null;
    output?: string;
    on?: MeasuredOn;
  };
}

export interface Variant {
  /** The target name: `original` or the variant's id. */
  id: string;
  label: string;
  path: string;
  isOriginal: boolean;
  /** The .onnx file plus external data. */
  bytes?: number;
  /** sha256 of the variant's files, when the workspace recorded it (not for the original). */
  sha256?: string;
  recipe?: VariantRecipe;
  /** What it was made from: `original` or another variant's id (which may since have been removed). */
  parent?: string;
  /** The `onnx-studio` command(s) that make it again. */
  cliCommand?: string;
  /** Latency per measurement source (`measurementKey`). */
  latency: Record<string, LatencyMeasurement>;
  /**
   * The original's every stored run per measurement source, oldest first: Compare sets the variants beside the
   * one made like most of their runs (compare-data.ts). The original's only.
   */
  latencyRuns?: Record<string, LatencyMeasurement[]>;
  profile?: BenchProfile;
  evaluation?: Evaluation;
}

const ENGINES: readonly string[] = ['onnxruntime-node', 'onnxruntime-web'];

export function deriveVariants(state: StudioState): Variant[] {
  const model = state.model;
  if (!model) return [];
  const ws = state.workspace;
  const variants: Variant[] = [
    {
      id: ORIGINAL_TARGET,
      label: 'original',
      path: model.path,
      isOriginal: true,
      // From the summary the model opened with, which has both sizes: the workspace is read beside it, before the
      // backend records that summary, so a new workspace's fileBytes is the .onnx file alone until it is saved
      // again (the File size card showed the original without its external data for a moment).
      bytes: model.fileBytes + model.externalDataBytes,
      latency: {},
    },
  ];
  for (const v of ws?.variants ?? []) {
    variants.push({
      id: v.id,
      label: v.name,
      path: v.path,
      isOriginal: false,
      bytes: v.fileBytes,
      ...(v.sha256 ? { sha256: v.sha256 } : {}),
      recipe: v.recipe,
      parent: v.parent,
      cliCommand: v.cliCommand,
      latency: {},
    });
  }
  const byId = new Map(variants.map((v) => [v.id, v]));

  // Stored benchmarks, oldest first, so the latest of each source wins.
  for (const record of ws?.benchmarks ?? []) {
    if (!ENGINES.includes(record.engine)) continue;
    const source = { engine: record.engine as Engine, provider: record.provider };
    const sameRunOriginal = record.results.find((r) => r.target === ORIGINAL_TARGET);
    // The run's own facts, the same for each of its results.
    const conditions = runConditions(record);
    const autoOptimize = duringAutoOptimize(record.createdAt, ws?.tunes);
    for (const r of record.results) {
      const variant = byId.get(r.target);
      if (!variant) continue;
      const m: LatencyMeasurement = {
        ...source,
        label: record.label,
        samples: r.samples ?? [],
        final: true,
        stats: latencyStatsOf(r),
        ...(r.initMs !== undefined ? { initMs: r.initMs } : {}),
        ...(sameRunOriginal
          ? {
              sameRunOriginalP50Ms: sameRunOriginal.p50Ms,
              sameRunOriginal: spreadInputOf(sameRunOriginal, sameRunOriginal.samples ?? []),
            }
          : {}),
        ...(record.inputs ? { inputs: record.inputs } : {}),
        ...(record.dataset ? { dataset: record.dataset } : {}),
        conditions,
        ...(autoOptimize ? { autoOptimize: true } : {}),
      };
      variant.latency[measurementKey(source)] = m;
      if (variant.isOriginal) ((variant.latencyRuns ??= {})[measurementKey(source)] ??= []).push(m);
      if (r.profile && r.profile.byOpType.length > 0) variant.profile = r.profile;
    }
  }

  // Benchmarks still streaming (or just finished, before the workspace has their record).
  for (const run of state.live) {
    if (run.modelPath !== model.path) continue;
    const key = measurementKey(run.source);
    const originalSamples = run.samples[ORIGINAL_TARGET] ?? [];
    const originalLive = run.targets.includes(ORIGINAL_TARGET)
      ? (run.final?.[ORIGINAL_TARGET] ?? latencyStats(originalSamples))
      : undefined;
    for (const target of run.targets) {
      const variant = byId.get(target);
      const samples = run.samples[target] ?? [];
      const final = run.final?.[target];
      if (!variant || (samples.length === 0 && !final)) continue;
      const stats = final ?? latencyStats(samples);
      variant.latency[key] = {
        ...run.source,
        label: `${run.source.engine} ${run.source.provider}`,
        samples,
        final: final !== undefined,
        ...(stats ? { stats } : {}),
        ...(final?.initMs !== undefined ? { initMs: final.initMs } : {}),
        ...(originalLive
          ? {
              sameRunOriginalP50Ms: originalLive.p50Ms,
              sameRunOriginal: spreadInputOf(originalLive, originalSamples),
            }
          : {}),
      };
    }
  }

  // Oldest first: a later evaluation replaces the figures it measured, and only those, each with its own data.
  for (const e of ws?.evaluations ?? []) {
    const variant = byId.get(e.target);
    if (!variant) continue;
    const evaluation: Evaluation = { ...variant.evaluation };
    const on = measuredOn(e);
    if (e.report.accuracy !== undefined) {
      evaluation.accuracy = e.report.accuracy;
      evaluation.task = e.report.task;
      if (e.report.nextToken) evaluation.nextToken = e.report.nextToken;
      else delete evaluation.nextToken;
      evaluation.data = on.data;
      if (on.imageReading) evaluation.imageReading = on.imageReading;
      else delete evaluation.imageReading;
      evaluation.samples = on.samples;
      evaluation.notes = on.notes;
      if (on.measuredAt) evaluation.measuredAt = on.measuredAt;
      else delete evaluation.measuredAt;
      if (on.dataset) evaluation.dataset = on.dataset;
      else delete evaluation.dataset;
    }
    if (e.reference === ORIGINAL_TARGET && e.report.fidelity) {
      const f = e.report.fidelity;
      evaluation.fidelity = {
        cosine: f.cosine,
        top1Agreement: f.top1Agreement,
        sqnrDb: f.sqnrDb,
        ...(f.output ? { output: f.output } : {}),
        on,
      };
    }
    variant.evaluation = evaluation;
  }
  return variants;
}

/** The data an evaluation record measured its figures on. */
function measuredOn(e: EvalRecord): MeasuredOn {
  return {
    data: e.report.data,
    ...(e.report.imageReading ? { imageReading: e.report.imageReading } : {}),
    samples: e.report.samples,
    ...(e.dataset ? { dataset: e.dataset } : {}),
    notes: e.report.notes ?? [],
    ...(e.createdAt ? { measuredAt: e.createdAt } : {}),
  };
}

/** What latency-noise.ts needs of a run's original: its iterations, p50, p90 and samples. */
function spreadInputOf(stats: LatencyStats, samples: readonly number[]): LatencySpreadInput {
  return {
    iterations: stats.iterations,
    p50Ms: stats.p50Ms,
    p90Ms: stats.p90Ms,
    ...(samples.length > 0 ? { samples } : {}),
  };
}
