import { type GraphProto, type ModelProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { StudioError } from '../../errors.js';
import { makeNode } from '../../onnx/graph-build.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  opsetVersion,
  removeInitializers,
  setOpsetVersion,
  sortNodesTopologically,
} from '../../onnx/graph.js';
import { encodeTensor } from '../../onnx/tensor-codec.js';
import {
  type QuantParams,
  computeQuantParams,
  allFinite,
  quantRange,
  quantizeWeight,
  roundHalfEven,
} from '../quant-params.js';
import { quantizeInt8 } from '../weight-only/int8-kernel.js';
import type { QuantizeProgress } from '../quantize-method.js';
import type { TensorRange } from '../calibrate/collector.js';
import { MS_DOMAIN, type QdqForms } from './opset.js';
import type { ResolvedConstant } from '../../onnx/resolve-constant.js';
import { type PlannedNode, type QdqPlan, readsDimsOnly } from './qdq-plan.js';

export type ActivationType = 'uint8' | 'int8';

export interface EmitOptions {
  activationType: ActivationType;
  /** Symmetric weights (zero point 0); Conv weights per channel are always symmetric (QLinearConv needs one zero point). */
  symmetricWeights: boolean;
  reduceRange: boolean;
  forms: QdqForms;
  /** Calibrated range per root tensor of the plan. */
  ranges: ReadonlyMap<string, TensorRange>;
  signal?: AbortSignal;
  onProgress?: (progress: QuantizeProgress) => void;
  note: (message: string) => void;
}

export interface EmitResult {
  quantizedNodes: number;
  /** Activation parameters per root tensor (for reports and tests). */
  params: Map<string, QuantParams>;
  /** Bias values that did not fit int32 and were clamped. */
  clampedBiasValues: number;
}

interface QuantizedWeightNames {
  data: string;
  scale: string;
  zeroPoint: string;
  scales: Float32Array;
  axis: number | undefined;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Rewrites the graph of `model` in place following `plan`: folds the planned Relu/Clip nodes, puts a
 * QuantizeLinear after every planned tensor and a dedicated DequantizeLinear before every quantized
 * consumer (one shared DequantizeLinear, under the tensor's original name, serves float consumers and
 * graph outputs), replaces weights by int8 initializers with DequantizeLinear, biases by int32
 * initializers with scale = input scale x weight scale, and Add/Mul/Concat constants by 8-bit
 * initializers. Original float weights that nothing reads any more are removed.
 */
export function emitQdq(model: ModelProto, plan: QdqPlan, options: EmitOptions): EmitResult {
  if (!model.graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
  const graph: GraphProto = model.graph;
  const names = new UniqueNameGenerator(graph);
  const actType = options.activationType === 'uint8' ? DT.UINT8 : DT.INT8;
  const actRange = quantRange(options.activationType);
  const forms = options.forms;
  const added: NodeProto[] = [];
  let usesMsDomain = false;
  const qdqNode = (
    op: 'QuantizeLinear' | 'DequantizeLinear',
    inputs: string[],
    output: string,
    axis?: number,
  ): NodeProto => {
    const domain = axis === undefined ? forms.perTensorDomain : forms.perAxisDomain;
    if (domain === MS_DOMAIN) usesMsDomain = true;
    const node = makeNode(op, inputs, [output], {
      name: names.next(`${output}_${op === 'QuantizeLinear' ? 'q' : 'dq'}`),
      domain,
      ...(axis !== undefined ? { attributes: { axis: { int: axis } } } : {}),
    });
    added.push(node);
    return node;
  };

  // Activation parameters, one scale / zero point initializer pair per root tensor.
  const params = new Map<string, QuantParams>();
  const paramNames = new Map<string, { scale: string; zeroPoint: string }>();
  const rootOf = (t: string): string => plan.root.get(t) ?? t;
  // A rescaled tensor (a removed Mul/Div by a positive scalar) has its root's zero point and a multiple of its scale.
  const factorOf = (t: string): number => plan.scaleFactor.get(t) ?? 1;
  const paramsOf = (t: string): QuantParams => {
    const r = rootOf(t);
    let p = params.get(r);
    if (!p) {
      const range = options.ranges.get(r);
      if (!range) throw new StudioError('INTERNAL', `No calibration range for tensor '${r}'.`);
      p = computeQuantParams(range.min, range.max, actRange, false);
      params.set(r, p);
    }
    const f = factorOf(t);
    return f === 1 ? p : { ...p, scale: Math.fround(p.scale * f) };
  };
  const paramInitializers = (t: string): { scale: string; zeroPoint: string } => {
    const r = rootOf(t);
    const f = factorOf(t);
    const key = f === 1 ? r : `${r}\u0000${f}`;
    let n = paramNames.get(key);
    if (!n) {
      const p = paramsOf(t);
      const base = f === 1 ? r : t;
      n = { scale: names.next(`${base}_scale`), zeroPoint: names.next(`${base}_zero_point`) };
      graph.initializer.push(encodeTensor(n.scale, DT.FLOAT, [], [p.scale]));
      graph.initializer.push(encodeTensor(n.zeroPoint, actType, [], [p.zeroPoint]));
      paramNames.set(key, n);
    }
    return n;
  };

  // 1. Folds: the producer now writes the Relu's output directly.
  const folded = new Set<NodeProto>();
  for (const p of plan.nodes) {
    if (!p.fold) continue;
    p.node.output[0] = p.fold.output[0]!;
    folded.add(p.fold);
  }
  // Rescales are removed too: their outputs read their inputs' 8-bit data at another scale.
  for (const r of plan.rescales) folded.add(r.node);
  if (folded.size > 0) graph.node = graph.node.filter((n) => !folded.has(n));
  const rescaleInput = new Map(plan.rescales.map((r) => [r.output, r.input]));
  let index = new GraphIndex(graph);

  // 2. Group slots: which (node, input slot) read each quantized tensor inside a QDQ group.
  const groupSlots = new Map<string, { node: NodeProto; slot: number }[]>();
  for (const p of plan.nodes) {
    for (const slot of p.activationSlots) {
      const t = p.node.input[slot]!;
      if (!plan.tensors.has(t)) continue;
      const list = groupSlots.get(t) ?? [];
      list.push({ node: p.node, slot });
      groupSlots.set(t, list);
    }
  }

  // 3. One QuantizeLinear per tensor; dequantized copies for group slots and other uses.
  const quantizedName = new Map<string, string>();
  const ordered = [...plan.tensors].filter((t) => !rescaleInput.has(t));
  for (const t of ordered) {
    const { scale, zeroPoint } = paramInitializers(t);
    const slots = groupSlots.get(t) ?? [];
    const q = names.next(`${t}_quantized`);
    const unslotted = index
      .consumersOf(t)
      .filter((c) => !slots.some((s) => s.node === c.node && s.slot === c.inputIndex));
    // Shape reads only the dimensions, which the 8-bit tensor has too: it takes that, so no
    // DequantizeLinear runs over the whole tensor just for its shape.
    for (const c of unslotted.filter((u) => readsDimsOnly(u.node))) c.node.input[c.inputIndex] = q;
    const otherConsumers = unslotted.filter((c) => !readsDimsOnly(c.node));
    const otherUses =
      otherConsumers.length > 0 || index.implicitConsumersOf(t).length > 0 || index.isGraphOutput(t);
    const producer = index.producer(t);
    let source = t;
    if (producer && otherUses) {
      source = names.next(`${t}_prequant`);
      producer.node.output[producer.outputIndex] = source;
      qdqNode('DequantizeLinear', [q, scale, zeroPoint], t);
    }
    qdqNode('QuantizeLinear', [source, scale, zeroPoint], q);
    quantizedName.set(t, q);
  }
  // Rescaled tensors (in graph order, so a chain's input is named first) share their input's 8-bit data;
  // float consumers and graph outputs get a DequantizeLinear at the new scale under the tensor's name.
  for (const r of plan.rescales) {
    const q = quantizedName.get(r.input);
    if (!q) throw new StudioError('INTERNAL', `Rescaled tensor '${r.output}' has no quantized input.`);
    quantizedName.set(r.output, q);
    const slots = groupSlots.get(r.output) ?? [];
    const otherUses =
      index
        .consumersOf(r.output)
        .some((c) => !slots.some((s) => s.node === c.node && s.slot === c.inputIndex)) ||
      index.implicitConsumersOf(r.output).length > 0 ||
      index.isGraphOutput(r.output);
    if (otherUses) {
      const { scale, zeroPoint } = paramInitializers(r.output);
      qdqNode('DequantizeLinear', [q, scale, zeroPoint], r.output);
    }
  }

  // 4. Per node: dedicated DQs for activation slots, weights, biases, constants.
  const weightCache = new Map<string, QuantizedWeightNames>();
  const constantCache = new Map<string, { data: string; scale: string; zeroPoint: string }>();
  const usedConstants: ResolvedConstant[] = [];
  let clampedBiasValues = 0;
  let forcedSymmetric = false;
  const total = plan.nodes.length;
  let done = 0;
  for (const p of plan.nodes) {
    if (options.signal?.aborted) throw new StudioError('CANCELLED', 'Quantization was cancelled.');
    const node = p.node;
    const input0 = node.input[0] ?? '';
    for (const slot of p.activationSlots) {
      const t = node.input[slot]!;
      const q = quantizedName.get(t);
      if (!q) continue;
      const { scale, zeroPoint } = paramInitializers(t);
      const dq = names.next(`${t}_dequantized`);
      qdqNode('DequantizeLinear', [q, scale, zeroPoint], dq);
      node.input[slot] = dq;
    }
    for (const { slot, constant } of p.constantSlots) {
      let c = constantCache.get(constant.name);
      if (!c) {
        let min = Infinity;
        let max = -Infinity;
        for (const v of constant.values) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
        if (constant.values.length === 0) min = max = 0;
        const qp = computeQuantParams(min, max, actRange, false);
        const data =
          options.activationType === 'uint8'
            ? new Uint8Array(constant.values.length)
            : new Int8Array(constant.values.length);
        const inv = 1 / qp.scale;
        constant.values.forEach((v, i) => {
          const qv = roundHalfEven(v * inv) + qp.zeroPoint;
          data[i] = Math.min(actRange.qmax, Math.max(actRange.qmin, qv));
        });
        c = {
          data: names.next(`${constant.name}_quantized`),
          scale: names.next(`${constant.name}_scale`),
          zeroPoint: names.next(`${constant.name}_zero_point`),
        };
        graph.initializer.push(encodeTensor(c.data, actType, constant.dims, data));
        graph.initializer.push(encodeTensor(c.scale, DT.FLOAT, [], [qp.scale]));
        graph.initializer.push(encodeTensor(c.zeroPoint, actType, [], [qp.zeroPoint]));
        constantCache.set(constant.name, c);
        usedConstants.push(constant);
      }
      const dq = names.next(`${constant.name}_dequantized`);
      qdqNode('DequantizeLinear', [c.data, c.scale, c.zeroPoint], dq);
      node.input[slot] = dq;
    }
    let weightNames: QuantizedWeightNames | undefined;
    if (p.weight) {
      const { constant, axis, multiplier } = p.weight;
      const symmetric = options.symmetricWeights || (p.role === 'conv' && axis !== undefined);
      if (!options.symmetricWeights && symmetric) forcedSymmetric = true;
      const key = `${constant.name}\u0000${axis}\u0000${multiplier}\u0000${symmetric}`;
      weightNames = weightCache.get(key);
      if (!weightNames) {
        const values = multiplier === 1 ? constant.values : constant.values.map((v) => v * multiplier);
        // The int8 kernel's plain-JS loops: exactly quantizeWeight's math, several times faster on big
        // weights (its SIMD path would round x / scale in float32 and could move a value near a tie). It
        // reads ranges from the float bits, where a NaN counts as the largest value; quantizeWeight's
        // comparisons pass over NaN, which a corrupt weight needs.
        const q = allFinite(values)
          ? quantizeInt8(values, constant.dims, { symmetric, reduceRange: options.reduceRange, axis, backend: 'js' })
          : quantizeWeight(values, constant.dims, {
              type: 'int8',
              symmetric,
              reduceRange: options.reduceRange,
              ...(axis !== undefined ? { axis } : {}),
            });
        const data = names.next(`${constant.name}_quantized`);
        const scale = names.next(`${constant.name}_scale`);
        const zeroPoint = names.next(`${constant.name}_zero_point`);
        const paramDims = axis === undefined ? [] : [q.scales.length];
        graph.initializer.push(encodeTensor(data, DT.INT8, constant.dims, q.data));
        graph.initializer.push(encodeTensor(scale, DT.FLOAT, paramDims, q.scales));
        graph.initializer.push(encodeTensor(zeroPoint, DT.INT8, paramDims, q.zeroPoints));
        weightNames = { data, scale, zeroPoint, scales: q.scales, axis };
        weightCache.set(key, weightNames);
        usedConstants.push(constant);
      }
      const dq = names.next(`${constant.name}_dequantized`);
      qdqNode(
        'DequantizeLinear',
        [weightNames.data, weightNames.scale, weightNames.zeroPoint],
        dq,
        weightNames.axis,
      );
      node.input[p.weight.slot] = dq;
    }
    if (p.bias && weightNames) {
      clampedBiasValues += emitBias(p, weightNames, paramsOf(input0).scale);
    }
    if (p.role === 'gemm') {
      node.attribute = node.attribute.filter((a) => a.name !== 'alpha' && a.name !== 'beta');
    }
    done += 1;
    options.onProgress?.({ phase: 'quantizing', done, total });
  }

  function emitBias(p: PlannedNode, w: QuantizedWeightNames, inputScale: number): number {
    const { constant, multiplier, slot } = p.bias!;
    const perChannel = w.axis !== undefined;
    const channels = w.scales.length;
    let values = constant.values;
    let dims = constant.dims;
    if (perChannel && values.length === 1 && channels > 1) {
      values = new Float32Array(channels).fill(values[0] as number);
      dims = [channels];
    }
    const q = new Int32Array(values.length);
    const scales = new Float32Array(perChannel ? values.length : 1);
    let clamped = 0;
    for (let c = 0; c < scales.length; c++)
      scales[c] = Math.fround(inputScale * (w.scales[perChannel ? c : 0] as number));
    for (let i = 0; i < values.length; i++) {
      const s = scales[perChannel ? i : 0] as number;
      let v = roundHalfEven(((values[i] as number) * multiplier) / s);
      if (v > INT32_MAX || v < INT32_MIN || !Number.isFinite(v)) {
        clamped += 1;
        v = Number.isNaN(v) ? 0 : Math.min(INT32_MAX, Math.max(INT32_MIN, v));
      }
      q[i] = v;
    }
    const base = constant.name;
    const data = names.next(`${base}_quantized`);
    const scale = names.next(`${base}_scale`);
    graph.initializer.push(encodeTensor(data, DT.INT32, dims, q));
    graph.initializer.push(encodeTensor(scale, DT.FLOAT, perChannel ? [scales.length] : [], scales));
    const dq = names.next(`${base}_dequantized`);
    // Bias [N] uses axis 0; a Gemm bias [1, N] uses axis 1.
    const axis = perChannel ? dims.length - 1 : undefined;
    qdqNode('DequantizeLinear', [data, scale], dq, axis);
    p.node.input[slot] = dq;
    usedConstants.push(constant);
    return clamped;
  }

  graph.node.push(...added);
  if (usesMsDomain && opsetVersion(model, MS_DOMAIN) === undefined) setOpsetVersion(model, MS_DOMAIN, 1);
  sortNodesTopologically(graph, { recursive: false });
  index = new GraphIndex(graph);
  removeUnusedConstants(graph, index, usedConstants);
  // value_info of values that no longer exist (the inputs of folded Relus).
  const live = new Set<string>();
  for (const n of graph.node) for (const name of [...n.input, ...n.output]) live.add(name);
  graph.valueInfo = graph.valueInfo.filter((vi) => live.has(vi.name));
  if (forcedSymmetric) {
    options.note(
      "Conv weights quantized symmetric per channel: onnxruntime's QLinearConv needs one weight zero point for all channels.",
    );
  }
  if (clampedBiasValues > 0) {
    options.note(
      `${clampedBiasValues} bias value(s) did not fit int32 at scale input x weight and were clamped.`,
    );
  }
  return { quantizedNodes: plan.nodes.length + plan.rescales.length, params, clampedBiasValues };
}

/** Removes the original float constants (and Casts feeding from them) that nothing reads any more. */
function removeUnusedConstants(graph: GraphProto, index: GraphIndex, constants: ResolvedConstant[]): void {
  const dropNodes = new Set<NodeProto>();
  const dropInitializers = new Map<GraphProto, Set<string>>();
  const seen = new Set<string>();
  for (const c of constants) {
    if (seen.has(c.name)) continue;
    seen.add(c.name);
    if (index.isUsed(c.name)) continue;
    const source = c.ref;
    if (c.cast) {
      dropNodes.add(c.cast);
      const castInput = c.cast.input[0] ?? '';
      const stillUsed =
        index.consumersOf(castInput).some((u) => u.node !== c.cast) || index.isGraphOutput(castInput);
      if (stillUsed) continue;
    }
    if (source.kind === 'constant-node') dropNodes.add(source.node);
    else {
      const names = dropInitializers.get(source.graph) ?? new Set<string>();
      dropInitializers.set(source.graph, names.add(source.name));
    }
  }
  for (const [owner, names] of dropInitializers) removeInitializers(owner, names);
  if (dropNodes.size > 0) graph.node = graph.node.filter((n) => !dropNodes.has(n));
}
