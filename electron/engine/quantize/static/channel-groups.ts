import type { GraphProto, NodeProto } from 'onnx-buf';
import { intAttribute } from '../../onnx/attributes.js';
import { type ConsumerRef, GraphIndex, findConstant, normalizeDomain } from '../../onnx/graph.js';
import { resolveFloatConstant } from '../../onnx/resolve-constant.js';
import { readsDimsOnly, resolveStoredFloat32 } from './qdq-plan.js';

/*
 * Channel groups: sets of activations whose channels can be rescaled without changing what the model
 * computes. Each is bounded by convolutions: the ones that write it (their output channel c can be divided
 * by s_c: weight row and bias) and the ones that read it (their input channel c multiplied back: weight
 * column). In between only ops that commute with a positive per-channel scale: Add of two members, Relu,
 * MaxPool, Resize over height and width. An FPN is one such group (laterals, top-down Adds and Resizes,
 * smoothing convs); so is Conv -> Relu -> Conv.
 *
 * A group is dropped when anything else reads or writes a member (a graph output, a Concat, a Sigmoid, an
 * Add of a constant, a subgraph): its values there would change. Shape may read members (it reads dims).
 */

export interface ChannelGroup {
  /** Member activations, in discovery order. */
  tensors: string[];
  /** Convolutions writing members (scale their output channels by 1 / s). */
  producers: NodeProto[];
  /** Convolutions reading members (scale their input channels by s). */
  consumers: NodeProto[];
  channels: number;
}

const PASS_THROUGH = new Set(['Add', 'Relu', 'MaxPool', 'Resize']);

/** A default-domain, ungrouped 2-D Conv with a float32 constant weight (and bias): [C_out, C_in, kH, kW]. */
function convWeightDims(node: NodeProto, index: GraphIndex): number[] | undefined {
  if (node.opType !== 'Conv' || normalizeDomain(node.domain) !== '' || intAttribute(node, 'group', 1) !== 1) {
    return undefined;
  }
  const constant = (name: string | undefined) => resolveStoredFloat32(index, name);
  const w = constant(node.input[1]);
  if (!w || w.dims.length !== 4) return undefined;
  if (node.input[2] && constant(node.input[2])?.values.length !== w.dims[0]) return undefined;
  return w.dims;
}

/** The inputs of a pass-through node that carry member data, or undefined when it cannot pass a scale. */
function dataInputs(node: NodeProto, index: GraphIndex): string[] | undefined {
  if (normalizeDomain(node.domain) !== '' || !PASS_THROUGH.has(node.opType) || node.output.length !== 1) {
    return undefined;
  }
  const isConstant = (name: string): boolean => !!findConstant(index, name, { searchOuterScopes: false });
  switch (node.opType) {
    case 'Add': {
      const [a = '', b = ''] = node.input;
      return a && b && !isConstant(a) && !isConstant(b) ? [a, b] : undefined;
    }
    case 'Resize': {
      const scales = node.input[2];
      if (!scales || node.input[3]) return undefined;
      const found = resolveFloatConstant(index, scales, false, { searchOuterScopes: false });
      if (!found.ok || found.constant.values.length !== 4) return undefined;
      const [n, c] = found.constant.values;
      return n === 1 && c === 1 ? [node.input[0] ?? ''] : undefined;
    }
    default:
      return [node.input[0] ?? ''];
  }
}

/** Every channel group of `graph` (not of its subgraphs). */
export function findChannelGroups(graph: GraphProto): ChannelGroup[] {
  const index = new GraphIndex(graph);
  const claimed = new Set<string>();
  const groups: ChannelGroup[] = [];
  for (const seed of graph.node) {
    const start = seed.output[0];
    if (!start || claimed.has(start) || !convWeightDims(seed, index)) continue;
    const tensors = new Set<string>([start]);
    const queue = [start];
    const producers = new Set<NodeProto>();
    const consumers = new Set<NodeProto>();
    const channels = new Set<number>();
    let ok = true;
    const join = (name: string): void => {
      if (!name) ok = false;
      else if (!tensors.has(name)) {
        tensors.add(name);
        queue.push(name);
      }
    };
    while (ok && queue.length > 0) {
      const x = queue.shift()!;
      if (index.isGraphOutput(x) || index.isGraphInput(x) || index.implicitConsumersOf(x).length > 0) {
        ok = false;
        break;
      }
      const producer = index.producer(x)?.node;
      const producerDims = producer && convWeightDims(producer, index);
      if (producer && producerDims) {
        producers.add(producer);
        channels.add(producerDims[0]!);
      } else {
        const inputs = producer && dataInputs(producer, index);
        if (!inputs) ok = false;
        else inputs.forEach(join);
      }
      for (const { node, inputIndex } of index.consumersOf(x) as ConsumerRef[]) {
        if (readsDimsOnly(node)) continue;
        const consumerDims = convWeightDims(node, index);
        if (consumerDims && inputIndex === 0) {
          consumers.add(node);
          channels.add(consumerDims[1]!);
          continue;
        }
        const inputs = dataInputs(node, index);
        if (!inputs || !inputs.includes(x)) {
          ok = false;
          break;
        }
        join(node.output[0] ?? '');
        inputs.forEach(join);
      }
    }
    for (const t of tensors) claimed.add(t);
    if (!ok || channels.size !== 1 || producers.size === 0 || consumers.size === 0) continue;
    groups.push({
      tensors: [...tensors],
      producers: [...producers],
      consumers: [...consumers],
      channels: [...channels][0]!,
    });
  }
  return groups;
}
