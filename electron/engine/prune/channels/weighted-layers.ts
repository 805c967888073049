import { type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { floatAttribute, intAttribute } from '../../onnx/attributes.js';
import { isFloatDtype } from '../../onnx/dtypes.js';
import type { ConstantRef } from '../../onnx/graph.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { unknownConstants } from '../channel-constants.js';
import {
  type ResolvedLayout,
  flattenFactor,
  layoutBase,
  resolveLayout,
  singleLayout,
} from '../channel-layout.js';
import { constantInput } from '../weights.js';
import type { ChannelTracer } from './tracer.js';
import type { ChannelSource, ChannelTensor } from './types.js';

/*
 * The layers with weights (Conv / ConvTranspose, Gemm, MatMul): where channel spaces begin. A group-1 layer
 * opens a space for its output channels and slices its weight's input axis for the channels it reads (with
 * the bias compensation that removing them implies); a depthwise Conv passes its input's channels through.
 */

/** Whether `name` is read by `node` alone (so that it may be changed in place). */
function exclusive(tracer: ChannelTracer, name: string, node: NodeProto): boolean {
  return (
    tracer.index.consumersOf(name).every((c) => c.node === node) &&
    tracer.index.implicitConsumersOf(name).length === 0 &&
    !tracer.index.isGraphOutput(name)
  );
}

/**
 * Records the bias compensation of a consumer that sums the channels of `x` (laid out as `input` along
 * `inAxis` of `weight`). `biasSlot` is the consumer's bias input (undefined: it has none, an Add is made);
 * `biasSliced` whether an edit of its own slices that bias.
 */
function compensate(
  tracer: ChannelTracer,
  node: NodeProto,
  x: ChannelTensor,
  c: {
    weight: ConstantRef;
    inAxis: number;
    outAxis: number;
    input: ResolvedLayout;
    outLayout: ResolvedLayout;
    biasSlot?: number;
    biasSliced?: boolean;
    scale?: number;
    blocked?: string;
  },
): void {
  const label = nodeLabel(node);
  let blocked = c.blocked;
  const floatTypes: number[] = [TensorProto_DataType.FLOAT, TensorProto_DataType.DOUBLE];
  if (!floatTypes.includes(c.weight.tensor.dataType))
    blocked ??= `the weight of '${label}' is not float32 or float64`;
  const biasName = c.biasSlot === undefined ? undefined : node.input[c.biasSlot];
  let bias: ConstantRef | undefined;
  if (biasName) {
    bias = constantInput(tracer.index, node, c.biasSlot!);
    if (!bias) blocked ??= `the bias of '${label}' is computed at run time`;
    else if (!floatTypes.includes(bias.tensor.dataType))
      blocked ??= `the bias of '${label}' is not float32 or float64`;
  }
  if (c.scale !== undefined && !Number.isFinite(c.scale)) blocked ??= `'${label}' has beta = 0`;
  const sliced = !!bias && (c.biasSliced ?? false) && exclusive(tracer, bias.name, node);
  tracer.edits.push({
    kind: 'compensate',
    node,
    weight: c.weight,
    inAxis: c.inAxis,
    outAxis: c.outAxis,
    layout: c.input,
    constant: tracer.constantOf(x),
    outLayout: c.outLayout,
    scale: c.scale ?? 1,
    ...(bias ? { bias } : {}),
    biasSliced: sliced,
    ...(blocked ? { blocked } : {}),
  });
}

export function visitConv(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const transpose = node.opType === 'ConvTranspose';
  const x = tracer.channel(node, 0);
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const weight = constantInput(tracer.index, node, 1);
  if (!weight || !isFloatDtype(weight.tensor.dataType) || weight.tensor.dims.length < 3) {
    tracer.block(x, `'${label}' has no constant float weight`);
    return;
  }
  const wd = weight.tensor.dims.map(Number);
  const rank = wd.length;
  const group = intAttribute(node, 'group', 1);
  const inChannels = transpose ? wd[0]! : wd[1]! * group;
  const outChannels = transpose ? wd[1]! * group : wd[0]!;
  const axisFromEnd = -(rank - 1);
  const biasName = node.input[2];
  const bias = biasName ? constantInput(tracer.index, node, 2) : undefined;

  let input: ResolvedLayout | undefined;
  if (x) {
    if (x.axisFromEnd !== axisFromEnd || (x.rank !== undefined && x.rank !== rank)) {
      tracer.block(x, `'${label}' reads them on an axis other than its channel axis`);
      return;
    }
    input = resolveLayout(x.layout, inChannels);
    if (!input) {
      tracer.block(x, `'${label}' expects ${inChannels} input channels`);
      return;
    }
  }

  if (group === 1) {
    if (x && input) tracer.slice(node, weight, transpose ? 0 : 1, input, `'${label}'`);
    const space = tracer.newSpace(outChannels, label);
    const outLayout = singleLayout(space, outChannels);
    const source: ChannelSource = { node, weight, outAxis: transpose ? 1 : 0 };
    tracer.spaces[space]!.sources.push(source);
    tracer.slice(node, weight, source.outAxis, outLayout, `'${label}'`);
    const reason = tracer.selectionReason(node);
    if (reason) tracer.blockSpace(space, reason);
    if (biasName && !bias) tracer.blockSpace(space, `the bias of '${label}' is computed at run time`);
    const biasSliced = !!bias && tracer.slice(node, bias, 0, outLayout, `the bias of '${label}'`);
    if (x && input)
      compensate(tracer, node, x, {
        weight,
        inAxis: transpose ? 0 : 1,
        outAxis: source.outAxis,
        input,
        outLayout,
        biasSlot: 2,
        biasSliced,
        ...(transpose ? { blocked: `'${label}' is a ConvTranspose (not compensated)` } : {}),
      });
    // With zero weights a Conv outputs its bias.
    const constant = bias ? tracer.perChannel(bias, outLayout) : new Float64Array(outChannels);
    tracer.set(node.output[0], { layout: outLayout, axisFromEnd, rank, constant });
    if (node.output[0]) tracer.sourceOutputs.set(node.output[0], source);
    return;
  }

  // Depthwise (one input channel per group, optionally m outputs per channel): channels pass through.
  const depthwise = !transpose && wd[1] === 1 && group === inChannels && outChannels % group === 0;
  if (!x || !input) return;
  if (!depthwise) {
    tracer.block(x, `grouped ${node.opType} '${label}' (group=${group}) ties its channels in groups`);
    return;
  }
  const multiplier = outChannels / group;
  const flat = flattenFactor(input);
  const output: ResolvedLayout = {
    segments: flat.segments.map((s) => ({ ...s, inner: s.inner * multiplier })),
    factor: 1,
  };
  tracer.slice(node, weight, 0, output, `'${label}'`);
  if (biasName && !bias) tracer.block(x, `the bias of '${label}' is computed at run time`);
  if (bias) tracer.slice(node, bias, 0, output, `the bias of '${label}'`);
  tracer.edits.push({ kind: 'group', node, layout: input });
  const reason = tracer.selectionReason(node);
  if (reason) tracer.block(x, reason);
  for (const seg of input.segments) {
    const s = tracer.spaces[tracer.root(seg.space)]!;
    if (!s.members.includes(label)) s.members.push(label);
  }
  tracer.set(node.output[0], {
    layout: output,
    axisFromEnd,
    rank,
    constant: depthwiseConstant(tracer, x, input, weight, bias, multiplier),
  });
}

/** A depthwise Conv of constant channels: k * sum(kernel) + bias, per output channel. */
function depthwiseConstant(
  tracer: ChannelTracer,
  x: ChannelTensor,
  input: ResolvedLayout,
  weight: ConstantRef,
  bias: ConstantRef | undefined,
  multiplier: number,
): Float64Array {
  const inChannels = layoutBase(input) * input.factor;
  const out = new Float64Array(inChannels * multiplier).fill(NaN);
  const w = tracer.floatValues(weight);
  const b = bias ? tracer.floatValues(bias) : new Float64Array(out.length);
  if (!w || !b || b.length !== out.length || w.length % out.length !== 0) return out;
  const k = tracer.constantOf(x);
  const kernel = w.length / out.length;
  for (let q = 0; q < inChannels; q++) {
    const v = k[Math.floor(q / input.factor)]!;
    for (let j = 0; j < multiplier; j++) {
      const o = q * multiplier + j;
      let sum = 0;
      for (let i = 0; i < kernel; i++) sum += w[o * kernel + i]!;
      out[o] = v * sum + b[o]!;
    }
  }
  return out;
}

export function visitGemm(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const a = tracer.channel(node, 0);
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const b = constantInput(tracer.index, node, 1);
  if (!b || b.tensor.dims.length !== 2 || !isFloatDtype(b.tensor.dataType)) {
    tracer.block(a, `'${label}' has no constant 2-D float weight`);
    return;
  }
  const transA = intAttribute(node, 'transA', 0);
  const transB = intAttribute(node, 'transB', 0);
  const bd = b.tensor.dims.map(Number);
  const n = transB ? bd[0]! : bd[1]!;
  const inAxis = transB ? 1 : 0;
  let readsChannels = false;
  if (a) {
    if (transA || a.axisFromEnd !== -1)
      tracer.block(a, `'${label}' reads them on an axis it does not sum over`);
    else readsChannels = tracer.slice(node, b, inAxis, a.layout, `'${label}'`);
  }
  const space = tracer.newSpace(n, label);
  const outLayout = singleLayout(space, n);
  const source: ChannelSource = { node, weight: b, outAxis: transB ? 0 : 1 };
  tracer.spaces[space]!.sources.push(source);
  tracer.slice(node, b, source.outAxis, outLayout, `'${label}'`);
  const reason = tracer.selectionReason(node);
  if (reason) tracer.blockSpace(space, reason);
  const cName = node.input[2];
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  let biasSliced = false;
  let blocked: string | undefined;
  // With zero weights a Gemm outputs beta * C (when C is one value per feature, or a single value).
  let constant: Float64Array = new Float64Array(n);
  if (cName) {
    const c = constantInput(tracer.index, node, 2);
    if (!c) tracer.blockSpace(space, `the bias of '${label}' is computed at run time`);
    else {
      const cd = c.tensor.dims.map(Number);
      const last = cd[cd.length - 1];
      const count = cd.reduce((x, y) => x * y, 1);
      if (cd.length > 0 && last !== 1)
        biasSliced = tracer.slice(node, c, cd.length - 1, outLayout, `the bias of '${label}'`);
      const values = tracer.floatValues(c);
      if (values && (count === 1 || (count === n && last === n)))
        constant = Float64Array.from({ length: n }, (_, i) => beta * values[count === 1 ? 0 : i]!);
      else constant = unknownConstants(outLayout);
      if (count !== 1 && last !== n) blocked = `the bias of '${label}' is not one value per feature`;
    }
  }
  if (a && readsChannels) {
    const input = resolveLayout(a.layout, bd[inAxis]!)!;
    compensate(tracer, node, a, {
      weight: b,
      inAxis,
      outAxis: source.outAxis,
      input,
      outLayout,
      biasSlot: 2,
      biasSliced,
      scale: beta === 0 ? Infinity : alpha / beta,
      ...(blocked ? { blocked } : {}),
    });
  }
  tracer.set(node.output[0], { layout: outLayout, axisFromEnd: -1, rank: 2, constant });
  if (node.output[0]) tracer.sourceOutputs.set(node.output[0], source);
}

export function visitMatMul(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const a = tracer.channel(node, 0);
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const b = constantInput(tracer.index, node, 1);
  if (!b || b.tensor.dims.length !== 2 || !isFloatDtype(b.tensor.dataType)) {
    tracer.block(a, `'${label}' has no constant 2-D float weight`);
    return;
  }
  const n = Number(b.tensor.dims[1]);
  let readsChannels = false;
  if (a) {
    if (a.axisFromEnd !== -1) tracer.block(a, `'${label}' reads them on an axis it does not sum over`);
    else readsChannels = tracer.slice(node, b, 0, a.layout, `'${label}'`);
  }
  const space = tracer.newSpace(n, label);
  const outLayout = singleLayout(space, n);
  const source: ChannelSource = { node, weight: b, outAxis: 1 };
  tracer.spaces[space]!.sources.push(source);
  tracer.slice(node, b, 1, outLayout, `'${label}'`);
  if (a && readsChannels) {
    const input = resolveLayout(a.layout, Number(b.tensor.dims[0]))!;
    compensate(tracer, node, a, { weight: b, inAxis: 0, outAxis: 1, input, outLayout });
  }
  const reason = tracer.selectionReason(node);
  if (reason) tracer.blockSpace(space, reason);
  const declared = tracer.declared(node.input[0] ?? '');
  const rank = a?.rank ?? (declared?.rankKnown ? declared.shape.length : undefined);
  tracer.set(node.output[0], {
    layout: outLayout,
    axisFromEnd: -1,
    ...(rank === undefined ? {} : { rank }),
    constant: new Float64Array(n),
  });
  if (node.output[0]) tracer.sourceOutputs.set(node.output[0], source);
}
