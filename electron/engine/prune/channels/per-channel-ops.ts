import type { NodeProto } from 'onnx-buf';
import { floatAttribute, intAttribute } from '../../onnx/attributes.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { combineFunction, toBase, unaryFunction, unknownConstants } from '../channel-constants.js';
import { flattenFactor, layoutBase, sameStructure } from '../channel-layout.js';
import { constantInput } from '../weights.js';
import { SPATIAL_POOLS } from './op-families.js';
import type { ChannelTracer } from './tracer.js';
import type { ChannelTensor } from './types.js';

/*
 * The ops that keep channels apart or combine them channel by channel: normalizations, unary ops and
 * pooling, elementwise ops with broadcasting (which tie their inputs' spaces into one group) and Concat.
 * Each passes the channel tag on, slices the per-channel constants it holds, and carries the constant
 * estimates used by bias compensation.
 */

export function visitNorm(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  if (tracer.front(x) !== 1) {
    tracer.block(x, `'${label}' normalizes axis 1, which is not their channel axis`);
    return;
  }
  if (node.output.slice(1).some((o) => tracer.isUsed(o))) {
    tracer.block(x, `'${label}' runs in training mode`);
    return;
  }
  const params = node.opType === 'BatchNormalization' ? [1, 2, 3, 4] : [1, 2];
  for (const slot of params) {
    const ref = constantInput(tracer.index, node, slot);
    if (!ref) {
      tracer.block(x, `a parameter of '${label}' is computed at run time`);
      return;
    }
    tracer.slice(node, ref, 0, x.layout, `'${label}'`);
  }
  tracer.set(node.output[0], { ...x, constant: normConstant(tracer, node, x) });
  // BatchNorm-aware ranking: the scale a channel gets right after its layer.
  const source = tracer.sourceOutputs.get(node.input[0] ?? '');
  if (node.opType === 'BatchNormalization' && source) {
    const gamma = tracer.floatValues(constantInput(tracer.index, node, 1)!);
    const variance = tracer.floatValues(constantInput(tracer.index, node, 4)!);
    const eps = floatAttribute(node, 'epsilon', 1e-5);
    if (gamma && variance && gamma.length === variance.length) {
      source.bnScale = gamma.map((g, i) => Math.abs(g) / Math.sqrt(variance[i]! + eps));
    }
  }
}

/** BatchNorm of a constant: (k - mean) / sqrt(var + eps) * scale + shift; InstanceNorm of one: its shift. */
function normConstant(tracer: ChannelTracer, node: NodeProto, x: ChannelTensor): Float64Array {
  const param = (slot: number): Float64Array =>
    tracer.perChannel(constantInput(tracer.index, node, slot), x.layout);
  if (node.opType === 'InstanceNormalization') return param(2);
  const [scale, shift, mean, variance] = [param(1), param(2), param(3), param(4)];
  const eps = floatAttribute(node, 'epsilon', 1e-5);
  return tracer
    .constantOf(x)
    .map((k, i) => ((k - mean[i]!) / Math.sqrt(variance[i]! + eps)) * scale[i]! + shift[i]!);
}

export function visitLayerNorm(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const axis = intAttribute(node, 'axis', -1);
  const fromEnd = axis < 0 ? axis : x.rank !== undefined ? axis - x.rank : undefined;
  if (fromEnd === undefined) {
    tracer.block(x, `'${label}' normalizes axes that cannot be located`);
    return;
  }
  if (x.axisFromEnd < fromEnd) {
    // A constant channel normalizes to the shift, which varies over the normalized axes.
    tracer.set(node.output[0], { ...x, constant: unknownConstants(x.layout) });
    return;
  }
  if (fromEnd !== -1 || x.axisFromEnd !== -1) {
    tracer.block(x, `'${label}' normalizes over their channels together with other axes`);
    return;
  }
  for (const slot of [1, 2]) {
    if (!node.input[slot]) continue;
    const ref = constantInput(tracer.index, node, slot);
    if (!ref) {
      tracer.block(x, `a parameter of '${label}' is computed at run time`);
      return;
    }
    tracer.slice(node, ref, ref.tensor.dims.length - 1, x.layout, `'${label}'`);
  }
  if (node.output.slice(1).some((o) => tracer.isUsed(o)))
    tracer.block(x, `'${label}' exposes its statistics`);
  tracer.set(node.output[0], { ...x, constant: unknownConstants(x.layout) });
}

export function visitUnary(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0);
  if (!tracer.onlySlots(node, [0], `'${label}'`) || !x) return;
  if (SPATIAL_POOLS.has(node.opType) && tracer.front(x) !== 1) {
    tracer.block(x, `'${label}' pools axes 2 and up, and their channels are not on axis 1`);
    return;
  }
  if (node.opType === 'MaxPool' && tracer.isUsed(node.output[1])) {
    tracer.block(x, `'${label}' returns indices, which count channels`);
    return;
  }
  const fn = unaryFunction(node, clipBounds(tracer, node), intAttribute(node, 'to'));
  const k = tracer.constantOf(x);
  const out = { ...x, constant: fn ? k.map(fn) : unknownConstants(x.layout) };
  tracer.set(node.output[0], out);
  if (node.opType === 'Dropout') tracer.set(node.output[1], { ...x, constant: unknownConstants(x.layout) });
}

/** Clip's bounds, from attributes (opset < 11) or constant inputs; undefined when computed at run time. */
function clipBounds(tracer: ChannelTracer, node: NodeProto): { min: number; max: number } | undefined {
  if (node.opType !== 'Clip') return undefined;
  if (tracer.opset < 11)
    return { min: floatAttribute(node, 'min', -Infinity), max: floatAttribute(node, 'max', Infinity) };
  const bound = (slot: number, fallback: number): number | undefined => {
    if (!node.input[slot]) return fallback;
    const ref = constantInput(tracer.index, node, slot);
    const v = ref ? tracer.floatValues(ref) : undefined;
    return v?.length === 1 ? v[0] : undefined;
  };
  const [min, max] = [bound(1, -Infinity), bound(2, Infinity)];
  return min === undefined || max === undefined ? undefined : { min, max };
}

/**
 * The estimates of an elementwise op's output: its function applied position by position to the channel
 * inputs' estimates and the other inputs' values (constants that are one value per channel, or one value).
 */
function elementwiseConstant(
  tracer: ChannelTracer,
  node: NodeProto,
  first: ChannelTensor,
  channelInputs: (ChannelTensor | undefined)[],
): Float64Array {
  const combine = combineFunction(node.opType);
  const base = layoutBase(first.layout);
  if (!combine) return unknownConstants(first.layout);
  const perInput: Float64Array[] = [];
  for (let slot = 0; slot < node.input.length; slot++) {
    const name = node.input[slot];
    if (!name) continue;
    const t = channelInputs[slot];
    if (t) {
      perInput.push(tracer.constantOf(t));
      continue;
    }
    const ref = constantInput(tracer.index, node, slot);
    const values = ref ? tracer.floatValues(ref) : undefined;
    if (!ref || !values) return unknownConstants(first.layout);
    const dims = ref.tensor.dims.map(Number);
    const pos = dims.length + first.axisFromEnd;
    const others = dims.every((d, i) => i === pos || d === 1);
    if (!others) return unknownConstants(first.layout);
    perInput.push(values.length === 1 ? new Float64Array(base).fill(values[0]!) : toBase(values, base));
  }
  return Float64Array.from({ length: base }, (_, i) => combine(perInput.map((v) => v[i]!)));
}

export function visitElementwise(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const channelInputs = node.input.map((n) => (n ? tracer.tensors.get(n) : undefined));
  const present = channelInputs.filter((t): t is ChannelTensor => t !== undefined);
  const first = present[0]!;
  const axis = first.axisFromEnd;
  if (present.some((t) => t.axisFromEnd !== axis)) {
    for (const t of present)
      tracer.block(t, `'${label}' combines tensors whose channels are on different axes`);
    return;
  }
  if (present.some((t) => !sameStructure(t.layout, first.layout))) {
    for (const t of present) tracer.block(t, `'${label}' combines tensors whose channels do not line up`);
    return;
  }
  for (const t of present.slice(1)) {
    t.layout.segments.forEach((seg, i) => tracer.union(first.layout.segments[i]!.space, seg.space));
  }
  let rank: number | undefined = Math.max(...present.map((t) => t.rank ?? NaN));
  if (Number.isNaN(rank)) rank = undefined;
  for (let slot = 0; slot < node.input.length; slot++) {
    const name = node.input[slot];
    if (!name || channelInputs[slot]) continue;
    const constant = constantInput(tracer.index, node, slot);
    let dims: (number | string | null)[] | undefined;
    if (constant) dims = constant.tensor.dims.map(Number);
    else {
      const declared = tracer.declared(name);
      if (declared?.rankKnown) dims = declared.shape;
    }
    if (!dims) {
      tracer.block(first, `'${label}' combines them with '${name}', whose shape is unknown`);
      return;
    }
    if (rank !== undefined) rank = Math.max(rank, dims.length);
    const pos = dims.length + axis;
    if (pos < 0 || dims[pos] === 1) continue;
    if (!constant) {
      tracer.block(
        first,
        `'${label}' combines them with '${name}', which has as many entries but cannot be pruned`,
      );
      return;
    }
    if (!tracer.slice(node, constant, pos, first.layout, `'${label}'`)) return;
  }
  tracer.set(node.output[0], {
    layout: first.layout,
    axisFromEnd: axis,
    ...(rank === undefined ? {} : { rank }),
    constant: elementwiseConstant(tracer, node, first, channelInputs),
  });
}

export function visitConcat(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const inputs = node.input.filter((n) => n !== '').map((n) => tracer.tensors.get(n));
  const present = inputs.filter((t): t is ChannelTensor => t !== undefined);
  if (present.length !== inputs.length) {
    for (const t of present)
      tracer.block(t, `'${label}' concatenates them with tensors that carry no prunable channels`);
    return;
  }
  const first = present[0]!;
  const axis = intAttribute(node, 'axis', 1);
  const ranks = new Set(present.map((t) => t.rank));
  const rank = ranks.size === 1 ? [...ranks][0] : undefined;
  const concatFromEnd = axis < 0 ? axis : rank !== undefined ? axis - rank : undefined;
  if (concatFromEnd === undefined || present.some((t) => t.axisFromEnd !== first.axisFromEnd)) {
    for (const t of present) tracer.block(t, `'${label}' concatenates along an axis that cannot be located`);
    return;
  }
  if (concatFromEnd !== first.axisFromEnd) {
    // Along another axis: the inputs' channels meet position by position.
    visitElementwise(tracer, node);
    return;
  }
  const segments = [];
  const constant: number[] = [];
  for (const t of present) {
    if (t.layout.factor === null) {
      for (const u of present) tracer.block(u, `'${label}' concatenates channels of unknown spacing`);
      return;
    }
    const factor = t.layout.factor;
    segments.push(...flattenFactor({ segments: t.layout.segments, factor }).segments);
    for (const v of tracer.constantOf(t)) for (let f = 0; f < factor; f++) constant.push(v);
  }
  tracer.set(node.output[0], {
    layout: { segments, factor: 1 },
    axisFromEnd: first.axisFromEnd,
    ...(rank === undefined ? {} : { rank }),
    constant: Float64Array.from(constant),
  });
}
