import type { NodeProto } from 'onnx-buf';
import { attributeOf, intAttribute, intsAttribute } from '../../onnx/attributes.js';
import { type ConstantRef, findConstant } from '../../onnx/graph.js';
import type { ChannelTracer } from './tracer.js';

/*
 * Static reading of small int shape vectors: what a Reshape target is built from (constants, and dims read
 * with Shape, through Gather / Slice / Concat / Cast), and whether the channel count a Shape node returns is
 * ever read. It lets a flatten written as Shape + Gather + Concat + Reshape be pruned like a Flatten.
 */

/** One entry of a statically understood shape tensor: a constant, or dimension `axis` of tensor `of`. */
export type ShapeEntry = ({ value: number } | { of: string; axis: number }) & {
  /** Where a constant entry is stored, and the node that reads that constant. */
  constant?: { ref: ConstantRef; position: number; user: NodeProto };
};

/** The rank of a value: from its channel tag, or its declared type. */
function rankOf(tracer: ChannelTracer, name: string): number | undefined {
  const tagged = tracer.tensors.get(name)?.rank;
  if (tagged !== undefined) return tagged;
  const declared = tracer.declared(name);
  return declared?.rankKnown ? declared.shape.length : undefined;
}

/** The dims [start, end) a Shape node returns for an input of rank `rank` (its start/end attributes, clamped). */
export function shapeRange(shape: NodeProto, rank: number): [number, number] {
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const has = (n: string): boolean => attributeOf(shape, n) !== undefined;
  return [
    clamp(has('start') ? intAttribute(shape, 'start', 0) : 0),
    clamp(has('end') ? intAttribute(shape, 'end', rank) : rank),
  ];
}

/** The [start, end) a step-1 Slice of a 1-D tensor of `length` entries keeps, or undefined. */
function sliceRange(tracer: ChannelTracer, node: NodeProto, length: number): [number, number] | undefined {
  const fromAttributes = tracer.opset < 10 || attributeOf(node, 'starts') !== undefined;
  const starts = fromAttributes ? intsAttribute(node, 'starts') : tracer.intValues(node.input[1]);
  const ends = fromAttributes ? intsAttribute(node, 'ends') : tracer.intValues(node.input[2]);
  const axes = fromAttributes
    ? intsAttribute(node, 'axes')
    : node.input[3]
      ? tracer.intValues(node.input[3])
      : undefined;
  const steps = fromAttributes || !node.input[4] ? undefined : tracer.intValues(node.input[4]);
  if (starts?.length !== 1 || ends?.length !== 1) return undefined;
  if (axes && (axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1))) return undefined;
  if (steps && (steps.length !== 1 || steps[0] !== 1)) return undefined;
  const clamp = (v: number): number => Math.min(length, Math.max(0, v < 0 ? v + length : v));
  return [clamp(starts[0]!), clamp(ends[0]!)];
}

/**
 * A small int tensor (a Reshape target) entry by entry, when it is built from constants and dims of other
 * tensors: constants, Shape, Gather / Slice of those, Concat, Cast, Unsqueeze, Squeeze. `user` is the node
 * that reads `name` (so that a constant entry can be rewritten where it is stored).
 */
export function shapeEntries(
  tracer: ChannelTracer,
  name: string,
  user: NodeProto,
  depth = 0,
): ShapeEntry[] | undefined {
  if (depth > 12 || name === '') return undefined;
  const constant = tracer.intValues(name);
  if (constant) {
    const ref = findConstant(tracer.index, name, { allowOverridable: true, searchOuterScopes: false });
    return constant.map((value, position) => ({
      value,
      ...(ref ? { constant: { ref, position, user } } : {}),
    }));
  }
  const producer = tracer.index.producer(name)?.node;
  if (!producer) return undefined;
  const inner = (): ShapeEntry[] | undefined =>
    shapeEntries(tracer, producer.input[0] ?? '', producer, depth + 1);
  switch (producer.opType) {
    case 'Cast':
    case 'Identity':
      return inner();
    case 'Unsqueeze':
    case 'Squeeze': {
      const entries = inner();
      return entries?.length === 1 ? entries : undefined;
    }
    case 'Concat': {
      const out: ShapeEntry[] = [];
      for (const part of producer.input) {
        const entries = shapeEntries(tracer, part, producer, depth + 1);
        if (!entries) return undefined;
        out.push(...entries);
      }
      return out;
    }
    case 'Shape': {
      const of = producer.input[0] ?? '';
      const rank = rankOf(tracer, of);
      if (rank === undefined) return undefined;
      const [start, end] = shapeRange(producer, rank);
      return Array.from({ length: Math.max(0, end - start) }, (_, i) => ({ of, axis: start + i }));
    }
    case 'Gather': {
      const entries = inner();
      const at = tracer.intValues(producer.input[1]);
      if (!entries || !at || intAttribute(producer, 'axis', 0) !== 0) return undefined;
      const picked = at.map((i) => entries[i < 0 ? i + entries.length : i]);
      return picked.every((e) => e !== undefined) ? (picked as ShapeEntry[]) : undefined;
    }
    case 'Slice': {
      const entries = inner();
      const range = entries ? sliceRange(tracer, producer, entries.length) : undefined;
      return entries && range ? entries.slice(range[0], range[1]) : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether every use of a shape vector of `length` entries leaves entry `entry` unread. */
export function avoidsEntry(
  tracer: ChannelTracer,
  name: string,
  entry: number,
  length: number,
  depth: number,
): boolean {
  if (entry < 0 || entry >= length) return true;
  if (
    depth > 12 ||
    name === '' ||
    tracer.index.isGraphOutput(name) ||
    tracer.index.implicitConsumersOf(name).length > 0
  )
    return false;
  return tracer.index.consumersOf(name).every(({ node: user, inputIndex }) => {
    if (inputIndex !== 0) return false;
    switch (user.opType) {
      case 'Cast':
      case 'Identity':
        return avoidsEntry(tracer, user.output[0] ?? '', entry, length, depth + 1);
      case 'Gather': {
        const at = tracer.intValues(user.input[1]);
        return (
          intAttribute(user, 'axis', 0) === 0 &&
          at !== undefined &&
          at.every((i) => (i < 0 ? i + length : i) !== entry)
        );
      }
      case 'Slice': {
        const range = sliceRange(tracer, user, length);
        return (
          range !== undefined &&
          avoidsEntry(tracer, user.output[0] ?? '', entry - range[0], range[1] - range[0], depth + 1)
        );
      }
      default:
        return false;
    }
  });
}
