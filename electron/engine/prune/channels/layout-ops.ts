import type { NodeProto } from 'onnx-buf';
import { attributeOf, intAttribute, intsAttribute } from '../../onnx/attributes.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { unknownConstants } from '../channel-constants.js';
import { resolveLayout, scaleLayout } from '../channel-layout.js';
import { constantInput } from '../weights.js';
import { type ShapeEntry, avoidsEntry, shapeEntries, shapeRange } from './shape-vectors.js';
import type { ChannelTracer } from './tracer.js';

/*
 * The ops that move, reshape or look across the channel axis without mixing channels: Flatten, Reshape to
 * [batch, features], Transpose, Squeeze / Unsqueeze, reductions, Pad, Resize, Softmax and Shape. Each either
 * moves the channel tag to where the axis lands or blocks the groups when the op would touch the channels.
 */

/** Product of the declared dims after `front`, when all are known numbers. */
function trailingSize(tracer: ChannelTracer, name: string, front: number): number | null {
  const declared = tracer.declared(name);
  if (!declared?.rankKnown) return null;
  let n = 1;
  for (const d of declared.shape.slice(front + 1)) {
    if (typeof d !== 'number' || d < 0) return null;
    n *= d;
  }
  return n;
}

export function visitFlatten(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  const front = tracer.front(x);
  let axis = intAttribute(node, 'axis', 1);
  if (front === undefined || x.rank === undefined) {
    tracer.block(x, `'${label}' flattens a tensor of unknown rank`);
    return;
  }
  if (axis < 0) axis += x.rank;
  if (front !== axis) {
    tracer.block(x, `'${label}' flattens their channels together with a leading axis`);
    return;
  }
  const inner = trailingSize(tracer, node.input[0]!, front);
  tracer.set(node.output[0], {
    layout: scaleLayout(x.layout, inner),
    axisFromEnd: -1,
    rank: 2,
    ...(x.constant ? { constant: x.constant } : {}),
  });
}

export function visitReshape(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const data = node.input[0]!;
  const fail = (why: string): void => tracer.block(x, `'${label}' reshapes them ${why}`);
  if (x.rank === undefined || tracer.front(x) !== 1)
    return fail('from a tensor whose channel axis is not axis 1');
  const entries = shapeEntries(tracer, node.input[1] ?? '', node);
  if (!entries) return fail('to a shape computed at run time');
  if (entries.length !== 2) return fail(`to ${entries.length} dims, not a flatten into [batch, features]`);
  const allowZero = intAttribute(node, 'allowzero', 0) === 1;
  const [d0, d1] = entries as [ShapeEntry, ShapeEntry];
  const declared = tracer.declared(data);
  const batch = declared?.rankKnown ? declared.shape[0] : undefined;
  const keepsBatch =
    ('of' in d0 && d0.of === data && d0.axis === 0) ||
    ('value' in d0 && d0.value === 0 && !allowZero) ||
    ('value' in d0 && d0.value > 0 && d0.value === batch);
  if (!keepsBatch)
    return fail('to a shape whose first entry is not the batch size (0, or the batch dim read with Shape)');
  const inner = trailingSize(tracer, data, 1);
  const layout = scaleLayout(x.layout, inner);
  if ('value' in d1 && d1.value > 0) {
    // An explicit feature count must follow the pruning: rewrite the constant entry it comes from.
    const resolved = resolveLayout(layout, d1.value);
    if (!d1.constant || !resolved) return fail('to an explicit feature count that cannot be rewritten');
    tracer.edits.push({
      kind: 'shape',
      node: d1.constant.user,
      constant: d1.constant.ref,
      position: d1.constant.position,
      layout: resolved,
    });
  } else if (!('value' in d1 && d1.value === -1)) {
    return fail('to a feature count computed at run time');
  }
  tracer.set(node.output[0], {
    layout,
    axisFromEnd: -1,
    rank: 2,
    ...(x.constant ? { constant: x.constant } : {}),
  });
}

export function visitTranspose(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  const rank = x.rank;
  const perm =
    intsAttribute(node, 'perm') ??
    (rank === undefined ? undefined : Array.from({ length: rank }, (_, i) => rank - 1 - i));
  if (!perm || (rank !== undefined && perm.length !== rank)) {
    tracer.block(x, `'${label}' permutes axes of unknown rank`);
    return;
  }
  const front = perm.length + x.axisFromEnd;
  const moved = perm.indexOf(front);
  if (moved < 0) {
    tracer.block(x, `'${label}' has an invalid permutation`);
    return;
  }
  tracer.set(node.output[0], { ...x, axisFromEnd: moved - perm.length, rank: perm.length });
}

export function visitSqueeze(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const front = tracer.front(x);
  const axes = tracer.axesOf(node, 1);
  if (front === undefined || x.rank === undefined || !axes) {
    tracer.block(x, `'${label}' changes the rank by axes that cannot be located`);
    return;
  }
  if (node.opType === 'Squeeze') {
    const norm = axes.map((a) => (a < 0 ? a + x.rank! : a));
    if (norm.includes(front)) {
      tracer.block(x, `'${label}' squeezes their channel axis`);
      return;
    }
    const rank = x.rank - norm.length;
    const moved = front - norm.filter((a) => a < front).length;
    tracer.set(node.output[0], { ...x, axisFromEnd: moved - rank, rank });
    return;
  }
  const rank = x.rank + axes.length;
  const inserted = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  let seen = -1;
  let moved = -1;
  for (let p = 0; p < rank; p++) {
    if (inserted.has(p)) continue;
    seen++;
    if (seen === front) {
      moved = p;
      break;
    }
  }
  tracer.set(node.output[0], { ...x, axisFromEnd: moved - rank, rank });
}

export function visitReduce(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const front = tracer.front(x);
  const axes = tracer.axesOf(node, 1);
  const keep = intAttribute(node, 'keepdims', 1) === 1;
  if (axes === null || (axes && axes.length === 0)) {
    if (intAttribute(node, 'noop_with_empty_axes', 0) === 1) tracer.set(node.output[0], x);
    else tracer.block(x, `'${label}' reduces over all axes, channels included`);
    return;
  }
  if (front === undefined || x.rank === undefined || !axes) {
    tracer.block(x, `'${label}' reduces axes that cannot be located`);
    return;
  }
  const norm = axes.map((a) => (a < 0 ? a + x.rank! : a));
  if (norm.includes(front)) {
    tracer.block(x, `'${label}' reduces over their channels`);
    return;
  }
  // The mean, max or min of a constant is that constant; other reductions depend on the reduced size.
  const keeps = ['ReduceMean', 'ReduceMax', 'ReduceMin'].includes(node.opType);
  const reduced = { ...x, constant: keeps ? tracer.constantOf(x) : unknownConstants(x.layout) };
  if (keep) tracer.set(node.output[0], reduced);
  else {
    const rank = x.rank - norm.length;
    const moved = front - norm.filter((a) => a < front).length;
    tracer.set(node.output[0], { ...reduced, axisFromEnd: moved - rank, rank });
  }
}

export function visitPad(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const front = tracer.front(x);
  const pads = intsAttribute(node, 'pads') ?? tracer.intValues(node.input[1]);
  if (front === undefined || x.rank === undefined || !pads || pads.length !== 2 * x.rank || node.input[3]) {
    tracer.block(x, `'${label}' pads axes that cannot be located`);
    return;
  }
  if (pads[front] !== 0 || pads[front + x.rank] !== 0) {
    tracer.block(x, `'${label}' pads their channel axis`);
    return;
  }
  tracer.set(node.output[0], x);
}

export function visitResize(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  if (!tracer.onlySlots(node, [0], `'${label}'`)) return;
  const front = tracer.front(x);
  // Upsample and Resize-10 take (X, scales); Resize-11 and later (X, roi, scales, sizes).
  const scalesSlot = node.opType === 'Resize' && tracer.opset >= 11 ? 2 : 1;
  const scalesRef = node.input[scalesSlot] ? constantInput(tracer.index, node, scalesSlot) : undefined;
  const scalesAttr = attributeOf(node, 'scales')?.floats;
  const scales =
    scalesAttr && scalesAttr.length > 0 ? scalesAttr : scalesRef ? tracer.floatValues(scalesRef) : undefined;
  const sizes = node.opType === 'Resize' && tracer.opset >= 11 ? node.input[3] : undefined;
  if (front === undefined || !scales || scales.length === 0 || sizes) {
    tracer.block(x, `'${label}' resizes by sizes or scales that cannot be checked`);
    return;
  }
  if (scales[front] !== 1) {
    tracer.block(x, `'${label}' resizes their channel axis`);
    return;
  }
  tracer.set(node.output[0], x);
}

export function visitSoftmax(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  const front = tracer.front(x);
  const modern = tracer.opset >= 13;
  const axis = intAttribute(node, 'axis', modern ? -1 : 1);
  const fromEnd = axis < 0 ? axis : x.rank !== undefined ? axis - x.rank : undefined;
  const touches =
    fromEnd === undefined ? true : modern ? fromEnd === x.axisFromEnd : x.axisFromEnd >= fromEnd;
  if (touches || (!modern && front === undefined)) {
    tracer.block(x, `'${label}' normalizes across their channels`);
    return;
  }
  tracer.set(node.output[0], { ...x, constant: unknownConstants(x.layout) });
}

/** Shape is harmless when only other dims of it are read (e.g. the batch size for a flatten). */
export function visitShape(tracer: ChannelTracer, node: NodeProto): void {
  const label = nodeLabel(node);
  const x = tracer.channel(node, 0)!;
  const front = tracer.front(x);
  if (front === undefined || x.rank === undefined) {
    tracer.block(x, `'${label}' reads the shape of a tensor of unknown rank`);
    return;
  }
  const [start, end] = shapeRange(node, x.rank);
  if (!avoidsEntry(tracer, node.output[0] ?? '', front - start, end - start, 0)) {
    tracer.block(x, `'${label}' reads their count with Shape`);
  }
}
