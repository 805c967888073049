import { type ModelProto, TensorProto_DataType } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import type { SampleSource } from '../../datasets/sample-source.js';
import { runExplained } from '../../runtime/run-failure.js';
import { StudioError } from '../../errors.js';
import { makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import type { SessionSettings } from '../../runtime/create-session.js';
import { openModelSession } from '../static/ort-model.js';
import type { QuantizeProgress } from '../quantize-method.js';
import { type CalibrationMethod, CalibrationCollector, type TensorRange } from './collector.js';
import { type OversizedTensor, planPasses } from './memory-budget.js';
import { extremesProbe, probedModel } from './probed-model.js';
import { opsetVersion } from '../../onnx/graph.js';
import { samplesAskedNote } from '../../evaluate/samples-asked.js';

export interface CalibrateOptions {
  method: CalibrationMethod;
  /** Percentile for the percentile method (default 99.999). */
  percentile?: number;
  /** Histogram bins per side for percentile/entropy (default 2048). */
  bins?: number;
  /** Use at most this many samples of the source. */
  maxSamples?: number;
  signal?: AbortSignal;
  onProgress?: (progress: QuantizeProgress) => void;
  /** onnxruntime settings for the calibration sessions (default: CPU; the level as calibrateModel says). */
  session?: SessionSettings;
  /**
   * Bytes calibration may use (histogram methods): when one sample's exposed activations would not fit,
   * it runs several passes over the data (memory-budget.ts). Undefined: one pass, whatever it takes.
   */
  memoryBudget?: number;
  /** Per-channel statistics gathered at no extra run or memory (int8-static's outlier-channel check). */
  channels?: ChannelObserver;
}

/**
 * Sees per-channel statistics of some NCHW activations while calibration runs. The histogram methods fetch
 * whole activations and show it each one (`add`); minmax reduces the observer's `tensors` per channel in the
 * graph instead of whole (their ranges follow exactly: a minimum of minima) and shows it the extremes.
 */
export interface ChannelObserver {
  readonly tensors: ReadonlySet<string>;
  add(tensor: string, values: Float32Array, dims: readonly number[]): void;
  /** Each channel's largest and smallest value over one sample. */
  addExtremes(tensor: string, max: Float32Array, min: Float32Array): void;
}

/** One pass over the calibration data: how many tensors it exposed, within which activation budget. */
export interface CalibrationPass {
  tensors: number;
  limitBytes?: number;
  /** The bytes per sample its exposed tensors take (measured on the first sample), under a memory budget. */
  bytes?: number;
}

export interface CalibrationResult {
  ranges: Map<string, TensorRange>;
  samples: number;
  /** One entry per pass over the data (several when the memory budget split the tensors). */
  passes: CalibrationPass[];
  /**
   * Tensors that alone exceed the memory budget's activation limit, largest first: the budget could not be met
   * (memory-budget.ts budgetNote says so). Empty or absent when it was.
   */
  oversized?: OversizedTensor[];
  /**
   * Samples whose float inputs hold NaN or Inf, said: calibration leaves non-finite values out of every range, so
   * such a sample (its activations mostly NaN) calibrated next to nothing, where eval names such samples too.
   */
  nonFiniteNote?: string;
  /**
   * `20 samples asked, the data has 6: all 6 used.` where `maxSamples` asked for more than the data holds: the
   * words eval and sensitivity say it in (samplesAskedNote), where calibration used fewer in silence.
   */
  samplesNote?: string;
  /** The statistics (kept for inspection and tests). */
  collector: CalibrationCollector;
}

/** What the augmented model fetches for each calibrated tensor. */
interface CalibrationProbe {
  tensor: string;
  /** minmax: the outputs of the ReduceMin / ReduceMax added for the tensor. */
  min?: string;
  max?: string;
  /** minmax: `min` and `max` hold one value per channel. */
  perChannel?: boolean;
  /** histograms: the tensor itself, made a graph output. */
  value?: string;
}

/**
 * A copy of `model` that outputs only what calibration needs. For minmax, a ReduceMin and a ReduceMax of each
 * tensor (two scalars per tensor leave onnxruntime, or one value per channel for `perChannel` tensors), placed so that each runs as soon as its tensor
 * exists and the copy holds no more activations than the float model (probed-model.ts). For the histogram
 * methods, the tensors themselves, which onnxruntime keeps until the run ends (memory-budget.ts). The copy
 * is a plain float model run by onnxruntime; `model` is not changed.
 */
export function augmentForCalibration(
  model: ModelProto,
  tensors: readonly string[],
  method: CalibrationMethod,
  perChannel: ReadonlySet<string> = new Set(),
): { model: ModelProto; probes: CalibrationProbe[] } {
  if (method === 'minmax') {
    const probes: CalibrationProbe[] = [];
    const axesAsInput = (opsetVersion(model) ?? 13) >= 18;
    const probed = probedModel(model, tensors, (tensor, names) => {
      const channels = perChannel.has(tensor);
      const probe = extremesProbe(tensor, names, { stem: 'calib', ...(channels ? { axes: [0, 2, 3], axesAsInput } : {}) });
      probes.push({ tensor, min: probe.min, max: probe.max, ...(channels ? { perChannel: true } : {}) });
      return probe;
    });
    return { model: probed, probes };
  }
  // The tensors themselves are the outputs; nodes past the last of them are dropped, so a pass over the early
  // tensors of a budgeted calibration stops where they are computed.
  const probes: CalibrationProbe[] = tensors.map((tensor) => ({ tensor, value: tensor }));
  const copy = probedModel(model, tensors, (tensor) => ({
    nodes: [],
    outputs: [makeValueInfo(tensor, TensorProto_DataType.FLOAT)],
  }));
  return { model: copy, probes };
}

/** The smallest (`sign` -1) or largest (`sign` 1) value of a fetched reduction: a scalar, or one per channel. */
function extremeOf(t: ort.Tensor | undefined, sign: 1 | -1): number {
  const data = t?.data;
  if (!(data instanceof Float32Array) || data.length === 0) return NaN;
  let best = data[0]!;
  for (let i = 1; i < data.length; i++) best = sign > 0 ? Math.max(best, data[i]!) : Math.min(best, data[i]!);
  return best;
}

/** The bytes per sample of each tensor, from one run of `Shape` probes (int64 outputs of a few bytes each). */
async function measureTensorBytes(
  model: ModelProto,
  tensors: readonly string[],
  feeds: Record<string, ort.Tensor>,
  session: SessionSettings,
): Promise<Map<string, number>> {
  const shapeOf = new Map<string, string>();
  const copy = probedModel(model, tensors, (tensor, names) => {
    const out = names.next(`${tensor}_calib_shape`);
    shapeOf.set(tensor, out);
    return {
      nodes: [makeNode('Shape', [tensor], [out], { name: names.next(`${tensor}_calib_shape_node`) })],
      outputs: [makeValueInfo(out, TensorProto_DataType.INT64)],
    };
  });
  const { session: s, close } = await openModelSession(copy, session);
  try {
    // Fails when the first calibration sample does not fit the model (a wrong --dim, a dataset of another shape).
    const results = await runExplained(s, feeds, 'Calibration sample 0', [...shapeOf.values()]);
    const bytes = new Map<string, number>();
    for (const [tensor, out] of shapeOf) {
      const dims = results[out]?.data;
      const count = dims instanceof BigInt64Array ? dims.reduce((n, d) => n * Number(d), 1) : 0;
      bytes.set(tensor, count * 4);
    }
    return bytes;
  } finally {
    await close();
  }
}

/** Bytes of the model's initializers (what a session holds before any activation). */
export function weightBytes(model: ModelProto): number {
  let bytes = 0;
  for (const t of model.graph?.initializer ?? []) bytes += t.rawData.length + 4 * (t.floatData.length + t.int32Data.length) + 8 * (t.int64Data.length + t.doubleData.length);
  return bytes;
}

/**
 * The bytes per sample of each of `tensors` (float32 activations), from the first sample of `source`: shapes can
 * depend on the data (an image's size). What a memory budget splits exposed activations by.
 */
export async function activationBytes(
  model: ModelProto,
  tensors: readonly string[],
  source: SampleSource,
  options: { session?: SessionSettings | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Map<string, number>> {
  let first: Record<string, ort.Tensor> | undefined;
  const initializers = new Set(model.graph?.initializer.map((t) => t.name));
  const inputNames = (model.graph?.input ?? []).map((i) => i.name).filter((n) => !initializers.has(n));
  for await (const sample of source.samples(options.signal)) {
    first = feedsOf({ inputNames }, sample);
    break;
  }
  if (!first) throw new StudioError('BAD_REQUEST', 'The calibration data has no samples.');
  // Shapes do not depend on graph optimizations, and on huge graphs building the session is what costs: at
  // 60,000 nodes 7 s with none against 26 s at level 'all'. The one sample runs unfused, which cost nothing
  // measurable on the 1024x1024 segmentation case.
  return measureTensorBytes(model, tensors, first, {
    ...options.session,
    graphOptimizationLevel: 'disabled',
    lowMemory: true,
  });
}

/** The feeds of one sample for `session`'s inputs (a clear error when the data lacks one). */
export function feedsOf(session: { readonly inputNames: readonly string[] }, sample: { index: number; inputs: Record<string, ort.Tensor> }): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const value = sample.inputs[name];
    if (!value) {
      throw new StudioError(
        'BAD_REQUEST',
        `Calibration sample ${sample.index} has no value for model input '${name}' (it has: ${Object.keys(sample.inputs).join(', ') || 'none'}).`,
      );
    }
    feeds[name] = value;
  }
  return feeds;
}

/**
 * Runs the float model over calibration samples streamed from `source` and returns a calibrated range
 * for each of `tensors` (float32 activations). Samples are processed one at a time and folded into
 * per-tensor statistics (see CalibrationCollector), so memory is bounded by one sample's activations
 * plus the fixed statistics, however many samples there are. With a memory budget, the histogram methods
 * measure each tensor's size on the first sample and, when one sample's activations would not fit, run one
 * pass over the data per group of tensors that does (memory-budget.ts): the same ranges, more time.
 * Reports progress after every sample and stops with CANCELLED between samples when `signal` aborts.
 */
export async function calibrateModel(
  model: ModelProto,
  tensors: readonly string[],
  source: SampleSource,
  options: CalibrateOptions,
): Promise<CalibrationResult> {
  const collector = new CalibrationCollector(tensors, {
    method: options.method,
    ...(options.bins !== undefined ? { bins: options.bins } : {}),
  });
  const signal = options.signal;
  const cancelled = (): StudioError =>
    new StudioError('CANCELLED', 'Quantization was cancelled during calibration.');
  if (signal?.aborted) throw cancelled();
  if (tensors.length === 0) return { ranges: new Map(), samples: 0, collector, passes: [] };

  const limit = options.maxSamples ?? Infinity;
  const total = Math.min(limit, source.count ?? limit);
  let groups: string[][] = [[...tensors]];
  let activationLimit: number | undefined;
  let groupBytes: number[] = [];
  let oversized: OversizedTensor[] = [];
  let tight = false;
  if (options.method !== 'minmax' && options.memoryBudget !== undefined) {
    const bytes = await activationBytes(model, tensors, source, { session: options.session, signal });
    const plan = planPasses(tensors, bytes, options.memoryBudget, weightBytes(model));
    ({ groups, tight, oversized } = plan);
    groupBytes = plan.passes.map((p) => p.bytes);
    activationLimit = plan.limit;
  }

  // When memory is tight, the sessions give it back between operators (no arena, slower). The histogram
  // methods' sessions skip onnxruntime's layout optimizations (level 'all'), unless the caller chose a level:
  // they turn convolutions to a blocked channel layout, and every exposed activation then takes a reorder
  // copy back. The 1024x1024 segmentation case calibrates in 24 s at 2.3 GB instead of 27 s at 3.4 GB. minmax
  // fetches only two numbers per tensor, so it keeps the faster blocked convolutions.
  const sessionSettings: SessionSettings = {
    ...(options.method !== 'minmax' ? { graphOptimizationLevel: 'extended' as const } : {}),
    ...options.session,
    ...(tight ? { lowMemory: true } : {}),
  };
  let done = 0;
  const passes: CalibrationPass[] = [];
  const nonFinite = { samples: 0, first: undefined as { sample: number; input: string } | undefined };
  for (const [pass, group] of groups.entries()) {
    const { model: augmented, probes } = augmentForCalibration(model, group, options.method, options.channels?.tensors);
    const { session, close } = await openModelSession(augmented, sessionSettings);
    const fetches = probes.flatMap((p) => (p.value !== undefined ? [p.value] : [p.min!, p.max!]));
    let seen = 0;
    try {
      for await (const sample of source.samples(signal)) {
        if (seen >= limit) break;
        if (signal?.aborted) throw cancelled();
        const results = await runExplained(session, feedsOf(session, sample), `Calibration sample ${sample.index}`, fetches);
        for (const probe of probes) {
          if (probe.value !== undefined) {
            const t = results[probe.value];
            if (t && t.data instanceof Float32Array) {
              collector.addValues(probe.tensor, t.data);
              options.channels?.add(probe.tensor, t.data, t.dims);
            }
          } else {
            const min = results[probe.min!];
            const max = results[probe.max!];
            collector.addMinMax(probe.tensor, extremeOf(min, -1), extremeOf(max, 1));
            if (probe.perChannel && min?.data instanceof Float32Array && max?.data instanceof Float32Array) {
              options.channels?.addExtremes(probe.tensor, max.data, min.data);
            }
          }
        }
        // Free the exposed activations now, not when the collector finishes the next pass's sample.
        for (const t of Object.values(results)) t.dispose?.();
        if (pass === 0) {
          collector.endSample();
          const input = nonFiniteInput(sample.inputs);
          if (input !== undefined) {
            nonFinite.samples += 1;
            nonFinite.first ??= { sample: sample.index, input };
          }
        }
        seen += 1;
        done += 1;
        const perPass = Number.isFinite(total) ? total : seen;
        options.onProgress?.({ phase: 'calibrating', done, total: perPass * groups.length });
        if (signal?.aborted) throw cancelled();
      }
    } finally {
      await close();
    }
    if (seen === 0) throw new StudioError('BAD_REQUEST', 'The calibration data has no samples.');
    passes.push({
      tensors: group.length,
      ...(activationLimit !== undefined ? { limitBytes: activationLimit, bytes: groupBytes[pass] ?? 0 } : {}),
    });
  }
  const ranges = collector.ranges(options.percentile !== undefined ? { percentile: options.percentile } : {});
  const samplesNote = options.maxSamples !== undefined ? samplesAskedNote(options.maxSamples, collector.samples) : undefined;
  const first = nonFinite.first;
  const nonFiniteNote = first
    ? `${nonFinite.samples} of ${collector.samples} calibration samples hold NaN or Inf in an input (the first: sample ` +
      `${first.sample}, input '${first.input}'): calibration leaves those values, and the NaN they spread to, out of ` +
      'the ranges, so such a sample counts for little. Check the data: its values must be finite.'
    : undefined;
  return {
    ranges,
    samples: collector.samples,
    collector,
    passes,
    ...(oversized.length > 0 ? { oversized } : {}),
    ...(samplesNote ? { samplesNote } : {}),
    ...(nonFiniteNote ? { nonFiniteNote } : {}),
  };
}

/** The first float input of a sample that holds NaN or Inf, by name. */
function nonFiniteInput(inputs: Readonly<Record<string, ort.Tensor>>): string | undefined {
  for (const [name, tensor] of Object.entries(inputs)) {
    const data = tensor.data;
    if (!(data instanceof Float32Array || data instanceof Float64Array)) continue;
    for (const v of data) if (!Number.isFinite(v)) return name;
  }
  return undefined;
}
