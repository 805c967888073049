import { type ModelProto, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import type { SampleSource } from '../../datasets/sample-source.js';
import { runFailure } from '../../runtime/run-failure.js';
import { StudioError } from '../../errors.js';
import { makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { UniqueNameGenerator } from '../../onnx/unique-names.js';
import type { SessionSettings } from '../../runtime/create-session.js';
import { openModelSession } from '../static/ort-model.js';
import type { QuantizeProgress } from '../quantize-method.js';
import { type CalibrationMethod, CalibrationCollector, type TensorRange } from './collector.js';
import { cloneProto } from '../../onnx/clone-proto.js';

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
  /** onnxruntime settings for the calibration session (default: CPU, all optimizations). */
  session?: SessionSettings;
}

export interface CalibrationResult {
  ranges: Map<string, TensorRange>;
  samples: number;
  /** The statistics (kept for inspection and tests). */
  collector: CalibrationCollector;
}

/** What the augmented model fetches for each calibrated tensor. */
interface Probe {
  tensor: string;
  /** minmax: the outputs of the ReduceMin / ReduceMax added for the tensor. */
  min?: string;
  max?: string;
  /** histograms: the tensor itself, made a graph output. */
  value?: string;
}

/**
 * A copy of `model` that also outputs what calibration needs: for minmax a ReduceMin and a ReduceMax
 * of each tensor (so only two scalars per tensor leave onnxruntime), for the histogram methods the
 * tensors themselves. The copy is a plain float model run by onnxruntime; `model` is not changed.
 */
export function augmentForCalibration(
  model: ModelProto,
  tensors: readonly string[],
  method: CalibrationMethod,
): { model: ModelProto; probes: Probe[] } {
  const copy = cloneProto(ModelProtoSchema, model);
  const graph = copy.graph;
  if (!graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
  const names = new UniqueNameGenerator(graph);
  const outputs = new Set(graph.output.map((o) => o.name));
  const probes: Probe[] = [];
  for (const tensor of tensors) {
    if (method === 'minmax') {
      const min = names.next(`${tensor}_calib_min`);
      const max = names.next(`${tensor}_calib_max`);
      const attributes = { keepdims: { int: 0 } };
      graph.node.push(
        makeNode('ReduceMin', [tensor], [min], { name: names.next(`${tensor}_calib_reducemin`), attributes }),
        makeNode('ReduceMax', [tensor], [max], { name: names.next(`${tensor}_calib_reducemax`), attributes }),
      );
      graph.output.push(
        makeValueInfo(min, TensorProto_DataType.FLOAT),
        makeValueInfo(max, TensorProto_DataType.FLOAT),
      );
      probes.push({ tensor, min, max });
    } else {
      if (!outputs.has(tensor)) {
        graph.output.push(makeValueInfo(tensor, TensorProto_DataType.FLOAT));
        outputs.add(tensor);
      }
      probes.push({ tensor, value: tensor });
    }
  }
  return { model: copy, probes };
}

function scalarOf(t: ort.Tensor | undefined): number {
  const data = t?.data;
  if (!(data instanceof Float32Array) || data.length === 0) return NaN;
  return data[0] as number;
}

/**
 * Runs the float model over calibration samples streamed from `source` and returns a calibrated range
 * for each of `tensors` (float32 activations). Samples are processed one at a time and folded into
 * per-tensor statistics (see CalibrationCollector), so memory is bounded by one sample's activations
 * plus the fixed statistics, however many samples there are. Reports progress after every sample and
 * stops with CANCELLED between samples when `signal` aborts.
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
  if (tensors.length === 0) return { ranges: new Map(), samples: 0, collector };

  const { model: augmented, probes } = augmentForCalibration(model, tensors, options.method);
  const { session, close } = await openModelSession(augmented, options.session ?? {});
  const limit = options.maxSamples ?? Infinity;
  const total = Math.min(limit, source.count ?? limit);
  const fetches = probes.flatMap((p) => (p.value !== undefined ? [p.value] : [p.min!, p.max!]));
  let done = 0;
  try {
    for await (const sample of source.samples(signal)) {
      if (done >= limit) break;
      if (signal?.aborted) throw cancelled();
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
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(feeds, fetches);
      } catch (error) {
        const fed = Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.type, shape: t.dims }));
        throw runFailure(error, fed, `Calibration sample ${sample.index}`);
      }
      for (const probe of probes) {
        if (probe.value !== undefined) {
          const t = results[probe.value];
          if (t && t.data instanceof Float32Array) collector.addValues(probe.tensor, t.data);
        } else {
          collector.addMinMax(probe.tensor, scalarOf(results[probe.min!]), scalarOf(results[probe.max!]));
        }
      }
      collector.endSample();
      done += 1;
      options.onProgress?.({ phase: 'calibrating', done, total: Number.isFinite(total) ? total : done });
      if (signal?.aborted) throw cancelled();
    }
  } finally {
    await close();
  }
  if (done === 0) throw new StudioError('BAD_REQUEST', 'The calibration data has no samples.');
  const ranges = collector.ranges(options.percentile !== undefined ? { percentile: options.percentile } : {});
  return { ranges, samples: done, collector };
}
