import type { ModelProto, NodeProto } from 'onnx-buf';
import { isDefaultDomain } from '../../onnx/domains.js';
import { topologicalOrder } from '../../onnx/graph.js';
import { nodeLabel } from '../../onnx/node-label.js';
import {
  visitFlatten,
  visitPad,
  visitReduce,
  visitReshape,
  visitResize,
  visitShape,
  visitSoftmax,
  visitSqueeze,
  visitTranspose,
} from './layout-ops.js';
import { ELEMENTWISE_MULTI, ELEMENTWISE_UNARY, REDUCTIONS, SPATIAL_POOLS } from './op-families.js';
import { visitConcat, visitElementwise, visitLayerNorm, visitNorm, visitUnary } from './per-channel-ops.js';
import { ChannelTracer } from './tracer.js';
import type { AnalyseOptions, ChannelAnalysis, ChannelGroup } from './types.js';
import { visitConv, visitGemm, visitMatMul } from './weighted-layers.js';

/*
 * The dependency analysis of structured pruning, on the ONNX graph itself.
 *
 * Walking the nodes in topological order, every prunable layer (Conv / ConvTranspose with group 1, Gemm and
 * MatMul with a constant weight) opens a channel space for its output channels, and each tensor downstream
 * is tagged with the layout of its channel axis. Ops that keep channels apart (activations, pooling, BatchNorm,
 * per-channel constants, depthwise Conv, Transpose, Flatten...) pass the layout on and record the edits that
 * removing a channel needs (slices of their per-channel constants); consumers that sum over channels (Conv,
 * Gemm, MatMul) record a slice of their weight's input axis; ops that combine two tensors channel by channel
 * (Add, Mul, Concat on another axis) tie their spaces into one group that must be pruned together; Concat on
 * the channel axis concatenates layouts. Anything else that sees channels (an unknown op, a Reshape that is not
 * a flatten, a grouped Conv, a model output, a subgraph capture, a weight shared by two nodes) blocks the
 * groups involved with a reason. Like Torch-Pruning's dependency graph, the result is a set of minimal
 * removable groups, but proven from the ONNX ops' semantics instead of traced from a framework.
 *
 * This file is the entry point: it walks the graph, sends each node to its op's visitor, applies the checks
 * that need the whole walk (model outputs, subgraph captures, shared constants) and collects the groups.
 */

function run(tracer: ChannelTracer): ChannelAnalysis {
  for (const node of topologicalOrder(tracer.index)) visit(tracer, node);
  for (const out of tracer.graph.output) {
    tracer.block(tracer.tensors.get(out.name), `its channels are the model output '${out.name}'`);
  }
  for (const [name, tensor] of tracer.tensors) {
    const users = tracer.index.implicitConsumersOf(name);
    if (users.length > 0)
      tracer.block(tensor, `'${name}' is read inside a subgraph of '${nodeLabel(users[0]!)}'`);
  }
  blockSharedConstants(tracer);
  return result(tracer);
}

/** A constant shared with another node cannot be sliced for one of them. */
function blockSharedConstants(tracer: ChannelTracer): void {
  for (const edit of tracer.edits) {
    if (edit.kind === 'group' || edit.kind === 'compensate') continue;
    const name = edit.constant.name;
    const others = tracer.index.consumersOf(name).filter((c) => c.node !== edit.node);
    const implicit = tracer.index.implicitConsumersOf(name);
    if (others.length > 0 || implicit.length > 0 || tracer.index.isGraphOutput(name)) {
      const other = others[0]?.node ?? implicit[0];
      tracer.blockLayout(
        edit.layout,
        `'${name}' is shared by '${nodeLabel(edit.node)}' and ${other ? `'${nodeLabel(other)}'` : 'a model output'}`,
      );
    }
  }
}

function result(tracer: ChannelTracer): ChannelAnalysis {
  const groups: ChannelGroup[] = [];
  tracer.spaces.forEach((s, id) => {
    if (tracer.root(id) !== id) return;
    groups.push({
      root: id,
      channels: s.count,
      sources: s.sources,
      members: s.members,
      blocked: s.blocked,
    });
  });
  return { groups, edits: tracer.edits, tensors: tracer.tensors, root: (space) => tracer.root(space) };
}

function visit(tracer: ChannelTracer, node: NodeProto): void {
  const reads = node.input.some((name) => name !== '' && tracer.tensors.has(name));
  const domain = isDefaultDomain(node.domain);
  if (!domain) {
    if (reads)
      tracer.blockInputs(
        node,
        `'${nodeLabel(node)}' (${node.domain}.${node.opType}) is an op structured pruning does not know`,
      );
    return;
  }
  const op = node.opType;
  if (op === 'Conv' || op === 'ConvTranspose') return visitConv(tracer, node);
  if (op === 'Gemm') return visitGemm(tracer, node);
  if (op === 'MatMul') return visitMatMul(tracer, node);
  if (!reads) return;
  if (op === 'BatchNormalization' || op === 'InstanceNormalization') return visitNorm(tracer, node);
  if (op === 'LayerNormalization') return visitLayerNorm(tracer, node);
  if (ELEMENTWISE_UNARY.has(op) || SPATIAL_POOLS.has(op)) return visitUnary(tracer, node);
  if (ELEMENTWISE_MULTI.has(op)) return visitElementwise(tracer, node);
  if (op === 'Concat') return visitConcat(tracer, node);
  if (op === 'Flatten') return visitFlatten(tracer, node);
  if (op === 'Reshape') return visitReshape(tracer, node);
  if (op === 'Transpose') return visitTranspose(tracer, node);
  if (op === 'Squeeze' || op === 'Unsqueeze') return visitSqueeze(tracer, node);
  if (REDUCTIONS.has(op)) return visitReduce(tracer, node);
  if (op === 'Pad') return visitPad(tracer, node);
  if (op === 'Resize' || op === 'Upsample') return visitResize(tracer, node);
  if (op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') return visitSoftmax(tracer, node);
  if (op === 'Shape') return visitShape(tracer, node);
  tracer.blockInputs(node, `'${nodeLabel(node)}' (${op}) is an op structured pruning cannot see through`);
}

/** Finds the channel groups of a model and the edits pruning each would need (the model is not changed). */
export function analyseChannels(model: ModelProto, options: AnalyseOptions): ChannelAnalysis {
  return run(new ChannelTracer(model, options));
}
