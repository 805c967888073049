/**
 * Sensitivity analysis: which nodes int8-static quantization hurts, and by how much, so a user (and `tune`)
 * knows which to keep in float.
 *
 * Method (one calibration, then passes over the evaluation samples with two sessions: one pass, or one per group
 * of tensors when their activations do not fit --max-memory):
 *  1. The model is quantized to QDQ with int8-static in memory (calibrated on the calibration data).
 *  2. Every activation X the QDQ model quantizes (a tensor feeding a QuantizeLinear) is exposed: in the float
 *     model as it is, in the QDQ model as its dequantized form (what the next node reads).
 *  3. Both models run on the same samples. Per tensor, summed over every sample:
 *     - local SQNR = power of float X / power of (float X - DQ(Q(float X))), with the QDQ model's scale and zero
 *       point applied here: the rounding and clipping error of that one quantization alone. (Measuring it on the
 *       QDQ model's own X would be wrong where the quantizer folded a Relu into the quantization: there X is
 *       the value before the Relu.)
 *     - SQNR = power of float X / power of (float X - the QDQ model's dequantized X): the error accumulated up
 *       to that point.
 *  4. A node that runs in int8 (it reads dequantized activations) is ranked by the SQNR it loses: the worst
 *     accumulated SQNR of its inputs minus the accumulated SQNR after it (at its output, or at the first measured
 *     tensor its float successors lead to). That drop holds everything the node adds: its inputs' rounding, its
 *     weights' rounding and how much it amplifies the error it received (a layer that scales an outlier channel
 *     down scales the others' noise up). Ties and unmeasured drops go by the local SQNR, lowest first.
 *
 * The local SQNR alone would miss amplification: a tensor dominated by one large channel shows a fine SQNR while
 * its other channels are crushed. The exposed tensors keep onnxruntime from fusing QDQ groups into QLinear
 * kernels, so the figures are those of the unfused graph (the same scales and zero points; the fused kernels
 * round once less). Cost: one calibration, one Shape run sizing the activations, then one float and one QDQ
 * run per evaluation sample (32 by default) and per pass.
 */
import { ModelProtoSchema, TensorProto_DataType, type ModelProto, type NodeProto } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import {
  type SensitivityReport,
  type SensitivityRow,
  UNBOUNDED_BELOW_DROP,
  UNBOUNDED_DROP,
} from '../../../shared/sensitivity.js';
import {
  commonQuantizeOptionsSchema,
  int8StaticOptionsSchema,
} from '../../../shared/options/quantize-options.js';
import type { SampleSource } from '../datasets/sample-source.js';
import { samplesAskedNote } from '../evaluate/samples-asked.js';
import { StudioError } from '../errors.js';
import { cloneProto } from '../onnx/clone-proto.js';
import { shareModel } from '../onnx/share-model.js';
import { makeValueInfo } from '../onnx/graph-build.js';
import { decodeTensor, decodeToFloat32 } from '../onnx/tensor-codec.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { loadModel } from '../onnx/load-model.js';
import { runFailure } from '../runtime/run-failure.js';
import { parseMethodOptions } from '../transform/transform-model.js';
import { checkNodeSelection, refuseUnhandledOpTypes } from '../transform/node-selection.js';
import { selectingQuantizer } from './quantize-model.js';
import { refuseQuantizedInput } from './quantized-input.js';
import { int8StaticMethod } from './methods/int8-static.js';
import {
  EXCLUDE_NODES_FLAG,
  QUANTIZE_INPUT_CONV_FLAG,
  type QuantizeProgress,
  type SkippedNode,
} from './quantize-method.js';
import type { SessionSettings } from '../runtime/create-session.js';
import { openModelSession } from './static/ort-model.js';
import { activationBytes, weightBytes } from './calibrate/calibrate.js';
import { defaultMemoryBudget, formatMemory, parseMemorySize, planPasses } from './calibrate/memory-budget.js';

export type { SensitivityReport, SensitivityRow };

export interface SensitivityRequest {
  modelPath: string;
  calibration: SampleSource;
  /** Where the errors are measured (default: the calibration data). */
  data?: SampleSource;
  /**
   * Evaluation samples to use (default 32). Asked for more than the data holds, it uses them all and a note says
   * so (samplesAskedNote); the default is not said to be cut.
   */
  samples?: number;
  /** int8-static options (calibration method, percentile...); defaults otherwise. */
  options?: Record<string, unknown>;
  /** Common quantization options (per-tensor, excluded nodes...); defaults otherwise. */
  common?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (progress: QuantizeProgress) => void;
}

const DEFAULT_SAMPLES = 32;

/** One quantized activation: its sums over the samples. */
interface Quantized {
  tensor: string;
  /** Its first dequantized form in the QDQ graph (every DequantizeLinear of it at its scale reads the same values). */
  dequantized: string;
  /** Whether the float model computes the tensor too (renamed by a fusion otherwise). */
  inFloat: boolean;
  /** The QuantizeLinear's scale, zero point and range (per-tensor activations; undefined otherwise). */
  grid?: { scale: number; zeroPoint: number; min: number; max: number };
  /** Power of float X and of float X - DQ(Q(float X)). */
  local: Sums;
  /** Power of float X and of float X - DQ(Q(X)). */
  accumulated: Sums;
}

/** Powers of a reference and of its error, and how many values were compared (0: none, unmeasured). */
interface Sums {
  signal: number;
  noise: number;
  values: number;
}

/**
 * A figure in dB: a number, exact (null, no reason: identical values, an infinite SQNR) or unmeasured (null,
 * with the reason).
 */
interface Measure {
  db: number | null;
  unmeasured?: string;
}

/** A node that reads dequantized activations, and which quantized tensors those are. */
interface Int8Node {
  node: NodeProto;
  inputs: string[];
}

const sqnr = (s: { signal: number; noise: number }): number | null =>
  s.noise === 0 ? null : 10 * Math.log10(s.signal / s.noise);

/** The SQNR of `s`, or why there is none: no values compared (not float32, or absent in a model). */
function measureOf(s: Sums, tensor: string): Measure {
  if (s.values === 0)
    return { db: null, unmeasured: `'${tensor}' is not a float32 tensor of both models: not compared` };
  return { db: sqnr(s) };
}

/** The worst (lowest) of some figures: a finite one if any, else exact if all are, else the first reason. */
function worstOf(measures: Measure[]): Measure {
  const finite = measures.flatMap((m) => (m.db === null ? [] : [m.db]));
  if (finite.length > 0) return { db: Math.min(...finite) };
  return measures.find((m) => m.unmeasured !== undefined) ?? { db: null };
}

/** The quantized activations of `qdq` and the nodes that read them. */
function quantizedOf(
  float: ModelProto,
  qdq: ModelProto,
): { tensors: Quantized[]; nodes: Int8Node[]; aliases: Map<string, string> } {
  const floatTensors = new Set([
    ...(float.graph?.input ?? []).map((i) => i.name),
    ...(float.graph?.node ?? []).flatMap((n) => n.output),
  ]);
  const nodes = qdq.graph?.node ?? [];
  const tensorOfQ = new Map<string, string>();
  const paramsOfQ = new Map<string, string>();
  const gridOf = new Map<string, Quantized['grid']>();
  const params = (n: NodeProto): string => `${n.input[1] ?? ''}|${n.input[2] ?? ''}`;
  for (const n of nodes) {
    if (n.opType !== 'QuantizeLinear' || !n.input[0] || !n.output[0]) continue;
    tensorOfQ.set(n.output[0], n.input[0]);
    paramsOfQ.set(n.output[0], params(n));
    gridOf.set(n.input[0], quantizationGrid(qdq, n));
  }
  // A DequantizeLinear with the QuantizeLinear's own scale gives back that tensor. One with another scale
  // gives a rescaled tensor (a Mul/Div by a constant folded into the scale: hard-swish's / 6): the same 8-bit
  // data standing for the Mul's output, which is the DQ whose output keeps that name.
  const dqs = nodes.filter(
    (n) => n.opType === 'DequantizeLinear' && tensorOfQ.has(n.input[0] ?? '') && n.output[0],
  );
  // Where the quantizer renamed the producer's output (`X_prequant`: a node with other readers, or whose Relu it
  // folded into the quantization) the DequantizeLinear at the QuantizeLinear's own scale carries the original
  // name X: that is the float model's tensor to compare with. `aliases` maps the renamed tensor to it.
  const aliases = new Map<string, string>();
  for (const n of dqs) {
    const q = n.input[0]!;
    const source = tensorOfQ.get(q)!;
    if (floatTensors.has(source) || params(n) !== paramsOfQ.get(q) || !floatTensors.has(n.output[0]!))
      continue;
    if ([...tensorOfQ.values()].includes(n.output[0]!)) continue;
    tensorOfQ.set(q, n.output[0]!);
    aliases.set(source, n.output[0]!);
    gridOf.set(n.output[0]!, gridOf.get(source));
  }
  const rescaledName = new Map<string, string>();
  for (const n of dqs) {
    const q = n.input[0]!;
    const key = `${q}|${params(n)}`;
    if (params(n) !== paramsOfQ.get(q) && floatTensors.has(n.output[0]!) && !rescaledName.has(key)) {
      rescaledName.set(key, n.output[0]!);
      gridOf.set(n.output[0]!, quantizationGrid(qdq, n));
    }
  }
  const tensorOfDq = new Map<string, string>();
  const tensors = new Map<string, Quantized>();
  for (const n of dqs) {
    const q = n.input[0]!;
    const tensor =
      params(n) === paramsOfQ.get(q)
        ? tensorOfQ.get(q)!
        : (rescaledName.get(`${q}|${params(n)}`) ?? `${tensorOfQ.get(q)!} (rescaled)`);
    tensorOfDq.set(n.output[0]!, tensor);
    if (!tensors.has(tensor))
      tensors.set(tensor, {
        tensor,
        dequantized: n.output[0]!,
        inFloat: floatTensors.has(tensor),
        grid: gridOf.get(tensor),
        local: { signal: 0, noise: 0, values: 0 },
        accumulated: { signal: 0, noise: 0, values: 0 },
      });
  }
  const readers: Int8Node[] = [];
  for (const node of nodes) {
    if (node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear') continue;
    const inputs = [...new Set(node.input.flatMap((i) => (tensorOfDq.has(i) ? [tensorOfDq.get(i)!] : [])))];
    if (inputs.length > 0) readers.push({ node, inputs });
  }
  return { tensors: [...tensors.values()], nodes: readers, aliases };
}

const OUTPUT_SEARCH_DEPTH = 3;

/**
 * The accumulated SQNR after a node: at its output if that is measured (under the name the float model gives it,
 * `aliases`: a `X_prequant` is X), else at the first measured tensors its float successors (a Relu the quantizer
 * kept, a Reshape) lead to, a few steps at most. Exact only where every tensor found is; unmeasured, with the
 * reason, where none is found or none could be compared.
 */
function outputSqnrFinder(
  qdq: ModelProto,
  aliases: ReadonlyMap<string, string>,
  measured: (tensor: string) => boolean,
  sqnrOf: (tensor: string) => Measure,
): (node: NodeProto) => Measure {
  const consumers = new Map<string, NodeProto[]>();
  for (const n of qdq.graph?.node ?? [])
    for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  return (node) => {
    let frontier = [...node.output];
    for (let depth = 0; depth < OUTPUT_SEARCH_DEPTH && frontier.length > 0; depth++) {
      const found = frontier.map((t) => aliases.get(t) ?? t).filter(measured);
      if (found.length > 0) return worstOf(found.map(sqnrOf));
      frontier = frontier.flatMap((t) =>
        (consumers.get(t) ?? []).filter((c) => c.opType !== 'QuantizeLinear').flatMap((c) => c.output),
      );
    }
    return {
      db: null,
      unmeasured: `no quantized tensor or model output within ${OUTPUT_SEARCH_DEPTH} nodes after it to measure`,
    };
  };
}

/** Scale, zero point and integer range of a per-tensor QuantizeLinear whose parameters are initializers. */
function quantizationGrid(model: ModelProto, q: NodeProto): Quantized['grid'] {
  const initializer = (name: string | undefined) => model.graph?.initializer.find((t) => t.name === name);
  const scale = initializer(q.input[1]);
  const zero = initializer(q.input[2]);
  if (!scale || scale.dims.length > 0) return undefined;
  const signed = zero?.dataType === TensorProto_DataType.INT8;
  const zeroPoint = zero ? Number(decodeTensor(zero).values[0] ?? 0) : 0;
  return { scale: decodeToFloat32(scale)[0]!, zeroPoint, min: signed ? -128 : 0, max: signed ? 127 : 255 };
}

/** Round half to even, as QuantizeLinear does. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Adds the power of `x` and of its own quantization error on `grid` to `acc`. */
function accumulateRounding(acc: Sums, grid: NonNullable<Quantized['grid']>, x?: Float32Array): void {
  if (!x) return;
  const { scale, zeroPoint, min, max } = grid;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const q = Math.min(max, Math.max(min, roundHalfEven(v / scale) + zeroPoint));
    const d = v - (q - zeroPoint) * scale;
    acc.signal += v * v;
    acc.noise += d * d;
  }
  acc.values += x.length;
}

/** `model` (shared, not copied: shareModel) with `names` also among its outputs. */
function withOutputs(model: ModelProto, names: readonly string[]): ModelProto {
  const copy = shareModel(model);
  const existing = new Set(copy.graph!.output.map((o) => o.name));
  for (const name of new Set(names))
    if (!existing.has(name)) copy.graph!.output.push(makeValueInfo(name, TensorProto_DataType.FLOAT));
  return copy;
}

function floats(t: ort.Tensor | undefined): Float32Array | undefined {
  return t?.data instanceof Float32Array ? t.data : undefined;
}

/** Adds the power of `reference` and of `reference - other` to `acc` (nothing when the two do not match). */
function accumulate(acc: Sums, reference?: Float32Array, other?: Float32Array): void {
  if (!reference || !other || reference.length !== other.length) return;
  for (let i = 0; i < reference.length; i++) {
    const v = reference[i]!;
    const d = v - other[i]!;
    acc.signal += v * v;
    acc.noise += d * d;
  }
  acc.values += reference.length;
}

/**
 * The measured tensors in groups whose exposure fits `budget` (memory-budget.ts, as calibration does): each is
 * exposed by both models, so it counts twice; both models' weights come first. One group when all fit. `tight`
 * when the exposed activations are a large part of the budget (the sessions then give memory back between
 * operators). The sums are per tensor, so the passes give the same figures as one.
 */
async function exposureGroups(
  float: ModelProto,
  qdq: ModelProto,
  measured: Quantized[],
  data: SampleSource,
  budget: number,
  signal?: AbortSignal,
): Promise<{ groups: Quantized[][]; tight: boolean }> {
  if (measured.length === 0) return { groups: [[]], tight: false };
  const names = measured.map((t) => t.tensor);
  const bytes = await activationBytes(float, names, data, { signal });
  const doubled = new Map([...bytes].map(([name, b]) => [name, 2 * b]));
  const plan = planPasses(names, doubled, budget, weightBytes(float) + weightBytes(qdq));
  const byName = new Map(measured.map((t) => [t.tensor, t]));
  return { groups: plan.groups.map((g) => g.map((name) => byName.get(name)!)), tight: plan.tight };
}

/**
 * One pass over `limit` samples of the data with `group` exposed in both models: adds each sample to the
 * group's sums and to those of `outputs` (the model's outputs, measured in one pass only). Returns the samples.
 */
async function measurePass(
  float: ModelProto,
  qdq: ModelProto,
  group: Quantized[],
  outputs: ({ name: string } & Sums)[],
  pass: {
    data: SampleSource;
    limit: number;
    settings: SessionSettings;
    signal?: AbortSignal;
    onSample: (seen: number) => void;
  },
): Promise<number> {
  const floatRun = await openModelSession(
    withOutputs(
      float,
      group.map((t) => t.tensor),
    ),
    pass.settings,
  );
  let seen = 0;
  try {
    const qdqRun = await openModelSession(
      withOutputs(
        qdq,
        group.map((t) => t.dequantized),
      ),
      pass.settings,
    );
    try {
      for await (const sample of pass.data.samples(pass.signal)) {
        if (seen >= pass.limit) break;
        if (pass.signal?.aborted) throw new StudioError('CANCELLED', 'Sensitivity analysis was cancelled.');
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of floatRun.session.inputNames) {
          const value = sample.inputs[name];
          if (!value)
            throw new StudioError(
              'BAD_REQUEST',
              `Sample ${sample.index} has no value for model input '${name}'.`,
            );
          feeds[name] = value;
        }
        let a: ort.InferenceSession.OnnxValueMapType;
        let b: ort.InferenceSession.OnnxValueMapType;
        try {
          a = await floatRun.session.run(feeds);
          b = await qdqRun.session.run(feeds);
        } catch (error) {
          throw runFailure(
            error,
            Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.type, shape: t.dims })),
            `Sample ${sample.index}`,
          );
        }
        for (const t of group) {
          const x = floats(a[t.tensor]);
          if (t.grid) accumulateRounding(t.local, t.grid, x);
          accumulate(t.accumulated, x, floats(b[t.dequantized]));
        }
        for (const o of outputs) accumulate(o, floats(a[o.name]), floats(b[o.name]));
        seen += 1;
        pass.onSample(seen);
      }
    } finally {
      await qdqRun.close();
    }
  } finally {
    await floatRun.close();
  }
  return seen;
}

/**
 * The SQNR a node loses: before - after. Exact before and after: 0. Exact on one side only: no finite drop,
 * the reason says which way. Unmeasured on either side: unmeasured, with that side's reason.
 */
function dropOf(before: Measure, after: Measure): Measure {
  if (before.unmeasured !== undefined) return { db: null, unmeasured: `SQNR in: ${before.unmeasured}` };
  if (after.unmeasured !== undefined) return { db: null, unmeasured: `SQNR out: ${after.unmeasured}` };
  if (before.db !== null && after.db !== null) return { db: before.db - after.db };
  if (before.db === null && after.db === null) return { db: 0 };
  if (before.db === null) return { db: null, unmeasured: UNBOUNDED_DROP };
  return { db: null, unmeasured: UNBOUNDED_BELOW_DROP };
}

/** Larger first, infinities included (Infinity - Infinity would be NaN). */
const compareDesc = (a: number, b: number): number => (a === b ? 0 : a > b ? -1 : 1);

/** What makes int8-static quantize the nodes an option of the user's kept float (`one`: a single node). */
function quantizedWith(flag: string, one: boolean): string {
  if (flag === QUANTIZE_INPUT_CONV_FLAG) return `pass ${flag}`;
  if (flag === EXCLUDE_NODES_FLAG) return `leave ${one ? 'it' : 'them'} out of ${flag}`;
  return `change ${flag}`;
}

/** At most this many reasons are given for the nodes left float. */
const NOTHING_TO_RANK_REASONS = 3;

/**
 * Why there is nothing to rank: the nodes int8-static left float and the quantizer's reason for each (its colons
 * made semicolons, so that "stays float: " is the sentence's one), with what quantizes them where an option of the
 * user's decided (the 3-channel input Conv without --quantize-input-conv, --exclude-nodes); without any, that the
 * model has no node of the op types it quantizes (quantize's "Nothing to quantize").
 */
function nothingToRank(
  model: string,
  skipped: readonly SkippedNode[],
  opTypes: readonly string[] | undefined,
): string {
  const head = `int8-static quantizes no node of ${model}, so there is nothing to rank`;
  if (skipped.length === 0) {
    const handled = opTypes ?? int8StaticMethod.opTypes ?? [];
    return `${head}: it quantizes ${handled.join(', ')} nodes${opTypes ? ' (--op-types)' : ''} and this model has none it can take.`;
  }
  const byReason = new Map<string, SkippedNode[]>();
  for (const s of skipped) {
    const reason = s.reason.replace(/: (?=\S)/g, '; ');
    byReason.set(reason, [...(byReason.get(reason) ?? []), s]);
  }
  const named = (nodes: readonly SkippedNode[]) => {
    const shown = nodes.slice(0, 3).map((n) => `${n.opType} '${n.name}'`);
    if (nodes.length > 3) return `${shown.join(', ')} and ${nodes.length - 3} more`;
    return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
  };
  const reasons = [...byReason];
  const why = reasons
    .slice(0, NOTHING_TO_RANK_REASONS)
    .map(([reason, nodes]) => `${named(nodes)} stay${nodes.length === 1 ? 's' : ''} float: ${reason}.`);
  if (reasons.length > NOTHING_TO_RANK_REASONS)
    why.push(`(${reasons.length - NOTHING_TO_RANK_REASONS} more reasons: quantize --json lists every node.)`);
  const one = skipped.length === 1;
  const fixes = [...new Set(skipped.flatMap((s) => (s.option ? [s.option] : [])))].map((flag) =>
    quantizedWith(flag, one),
  );
  const fix = fixes.length === 0 ? '' : ` To rank ${one ? 'it' : 'them'}, ${fixes.join(' and ')}.`;
  return `${head}. ${why.join(' ')}${fix}`;
}

/** Ranks the nodes int8-static quantizes by how much they hurt (see the method above). */
export async function analyzeSensitivity(request: SensitivityRequest): Promise<SensitivityReport> {
  const started = performance.now();
  const loaded = await loadModel(request.modelPath);
  await inlineExternalData(loaded.proto, loaded);
  const float = loaded.proto;
  const qdq = cloneProto(ModelProtoSchema, float);
  const notes: string[] = [];
  const options = parseMethodOptions(int8StaticOptionsSchema, request.options ?? {}, 'int8-static options');
  const common = parseMethodOptions(
    commonQuantizeOptionsSchema,
    request.common ?? {},
    'quantization options',
  );
  // The same checks as quantize's: a misspelled --exclude-nodes would rank a node the user meant to keep float.
  const selecting = selectingQuantizer(int8StaticMethod);
  refuseUnhandledOpTypes(common, selecting);
  // quantize's refusal: int8-static would stack a second Q/DQ layer on the first and rank nothing of the model's.
  refuseQuantizedInput(float, loaded.path, int8StaticMethod.name);
  checkNodeSelection(float, common, selecting, (m) => notes.push(m));
  const outcome = await int8StaticMethod.quantize({
    model: qdq,
    options,
    common,
    modelPath: loaded.path,
    calibration: request.calibration,
    note: (m) => notes.push(m),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  if (outcome.quantizedNodes === 0)
    throw new StudioError('BAD_REQUEST', nothingToRank(loaded.path, outcome.skippedNodes, common.opTypes));
  const { tensors, nodes, aliases } = quantizedOf(float, qdq);
  const outputs = (float.graph?.output ?? []).map((o) => ({ name: o.name, signal: 0, noise: 0, values: 0 }));
  const data = request.data ?? request.calibration;
  const limit = request.samples ?? DEFAULT_SAMPLES;
  const total = Math.min(limit, data.count ?? limit);
  const measured = tensors.filter((t) => t.inFloat);
  const budget = options.maxMemory !== undefined ? parseMemorySize(options.maxMemory) : defaultMemoryBudget();
  const { groups, tight } = await exposureGroups(float, qdq, measured, data, budget, request.signal);
  if (groups.length > 1) {
    notes.push(
      `The activations of one sample did not fit ${formatMemory(budget)} (--max-memory): measured in ${groups.length} passes over the data, with the same results.`,
    );
  }
  const settings: SessionSettings = tight ? { lowMemory: true } : {};
  let samples = 0;
  let done = 0;
  for (const [pass, group] of groups.entries()) {
    const seen = await measurePass(float, qdq, group, pass === 0 ? outputs : [], {
      data,
      limit,
      settings,
      ...(request.signal ? { signal: request.signal } : {}),
      onSample: (seenInPass) => {
        done += 1;
        request.onProgress?.({
          phase: 'measuring',
          done,
          total: (Number.isFinite(total) ? total : seenInPass) * groups.length,
        });
      },
    });
    if (pass === 0) samples = seen;
  }
  if (samples === 0) throw new StudioError('BAD_REQUEST', 'The evaluation data has no samples.');
  const cut = request.samples !== undefined ? samplesAskedNote(request.samples, samples) : undefined;
  if (cut) notes.push(cut);
  const byTensor = new Map(tensors.map((t) => [t.tensor, t]));
  const accumulatedOf = (name: string): Measure => {
    const t = byTensor.get(name);
    if (t?.inFloat) return measureOf(t.accumulated, name);
    const output = outputs.find((o) => o.name === name);
    if (output) return measureOf(output, name);
    return {
      db: null,
      unmeasured: `the float model has no tensor '${name}' to compare with (one the quantizer or a fusion made)`,
    };
  };
  const localOf = (name: string): Measure => {
    const t = byTensor.get(name)!;
    if (!t.inFloat) return accumulatedOf(name);
    if (!t.grid)
      return {
        db: null,
        unmeasured: `'${name}' is not quantized per tensor with constant parameters: no local SQNR`,
      };
    return measureOf(t.local, name);
  };
  const outputSqnr = outputSqnrFinder(
    qdq,
    aliases,
    (name) => byTensor.has(name) || outputs.some((o) => o.name === name),
    accumulatedOf,
  );
  const rows: SensitivityRow[] = nodes.map(({ node, inputs }) => {
    const local = worstOf(inputs.map(localOf));
    const before = worstOf(inputs.map(accumulatedOf));
    const after = outputSqnr(node);
    const drop = dropOf(before, after);
    const unmeasured: NonNullable<SensitivityRow['unmeasured']> = {};
    if (local.unmeasured !== undefined) unmeasured.localSqnrDb = local.unmeasured;
    if (before.unmeasured !== undefined) unmeasured.sqnrDb = before.unmeasured;
    if (after.unmeasured !== undefined) unmeasured.outputSqnrDb = after.unmeasured;
    if (drop.unmeasured !== undefined) unmeasured.dropDb = drop.unmeasured;
    return {
      node: node.name || `(${node.opType} ${node.output[0] ?? ''})`,
      opType: node.opType,
      inputs,
      localSqnrDb: local.db,
      sqnrDb: before.db,
      outputSqnrDb: after.db,
      dropDb: drop.db,
      ...(Object.keys(unmeasured).length > 0 ? { unmeasured } : {}),
      ...(node.name ? {} : { unnamed: true as const }),
    };
  });
  // Most sensitive first: the largest SQNR drop across the node, then the lowest local SQNR.
  const rankKey = (r: SensitivityRow): number =>
    r.dropDb ?? (r.unmeasured?.dropDb === UNBOUNDED_DROP ? Infinity : -Infinity);
  rows.sort(
    (x, y) =>
      compareDesc(rankKey(x), rankKey(y)) || (x.localSqnrDb ?? Infinity) - (y.localSqnrDb ?? Infinity),
  );
  return {
    model: loaded.path,
    method: 'int8-static',
    calibration: request.calibration.describe(),
    data: data.describe(),
    samples,
    seconds: (performance.now() - started) / 1000,
    rows,
    outputs: outputs.map((o) => {
      const m = measureOf(o, o.name);
      return {
        name: o.name,
        sqnrDb: m.db,
        ...(m.unmeasured !== undefined ? { unmeasured: m.unmeasured } : {}),
      };
    }),
    // What the data guessed (synthetic dims and integer values) shaped every figure here: said with them.
    notes: [...new Set([...(request.calibration.notes ?? []), ...(data.notes ?? []), ...notes])],
  };
}
