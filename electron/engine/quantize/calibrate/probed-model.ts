import {
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import { StudioError } from '../../errors.js';
import { makeInt64Tensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { eliminateDeadCode } from '../../onnx/graph.js';
import { shareModel } from '../../onnx/share-model.js';
import { UniqueNameGenerator } from '../../onnx/unique-names.js';

/*
 * Models that run the float graph only to observe some of its tensors through small reductions (minmax
 * calibration's ReduceMin/ReduceMax, the per-channel ranges of the outlier check and --equalize, the Shape
 * probes that size calibration's passes). The reductions' outputs are all the session fetches.
 *
 * Where the probes go decides the memory. onnxruntime's default execution order walks the graph depth-first
 * back from its leaf nodes (nodes whose outputs no node reads), the leaf with the highest node index first, and
 * runs nodes as the walk leaves them. A probe appended after the model's nodes is a leaf; when a leaf with a
 * higher index is walked first (the model's own output head, a node its optimizer created in place of one, or
 * the probe of a later tensor), everything up to that leaf runs before the earlier probes, and every probed
 * activation stays alive until the end of the run. On the 1024x1024 segmentation net of bench:calibration that
 * was +128 MiB per probe: 1.35 GB for one run of eight probed tensors without onnxruntime's arena (2.7 GB for
 * minmax calibration with it), where the float model alone peaks at 0.43 GB. So the copy keeps only the nodes the probes need (the
 * model's outputs are dropped, and with them everything that only feeds them), and appends the probes of later
 * tensors first: the earliest tensor's probe has the highest index, is walked first and runs as soon as its
 * tensor exists, which frees the tensor as early as the float model would. Measured: back to 0.43 GB, at every
 * optimization level.
 */

/** What one tensor's probe adds: its nodes, the outputs fetched, and constants they read (reduction axes). */
export interface Probe {
  nodes: NodeProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
}

/**
 * A copy of `model` whose only outputs are the probes `probe` makes for each of `tensors` (main-graph values),
 * ordered and pruned as the file comment explains. `model` is not changed; the copy shares its nodes and
 * weights (shareModel), so `probe` must make new nodes, never edit the model's.
 */
export function probedModel(
  model: ModelProto,
  tensors: readonly string[],
  probe: (tensor: string, names: UniqueNameGenerator) => Probe,
): ModelProto {
  const copy = shareModel(model);
  const graph = copy.graph;
  if (!graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
  const names = new UniqueNameGenerator(graph);
  const position = new Map<string, number>();
  graph.node.forEach((node, i) => {
    for (const out of node.output) if (out !== '') position.set(out, i);
  });
  // Latest producer first; graph inputs and initializers (position -1) last. Stable for equal positions.
  const latestFirst = [...tensors].sort((a, b) => (position.get(b) ?? -1) - (position.get(a) ?? -1));
  const probes = latestFirst.map((tensor) => probe(tensor, names));
  graph.output = probes.flatMap((p) => p.outputs);
  graph.node.push(...probes.flatMap((p) => p.nodes));
  graph.initializer.push(...probes.flatMap((p) => p.initializers ?? []));
  // Everything that feeds no probe goes: the model's own outputs' nodes, initializers only they read (those also
  // listed as graph inputs stay: a session wants them fed), and value_info of values no longer computed.
  eliminateDeadCode(graph);
  const produced = new Set(graph.node.flatMap((n) => n.output));
  graph.valueInfo = graph.valueInfo.filter((v) => produced.has(v.name));
  return copy;
}

/**
 * A ReduceMin and a ReduceMax of `tensor`, whole or over `axes` (kept axes give one value each: [0, 2, 3] of
 * an NCHW tensor gives one per channel). Opset 18 moved the axes from an attribute to an input.
 */
export function extremesProbe(
  tensor: string,
  names: UniqueNameGenerator,
  options: { stem: string; axes?: number[]; axesAsInput?: boolean },
): Probe & { min: string; max: string } {
  const min = names.next(`${tensor}_${options.stem}_min`);
  const max = names.next(`${tensor}_${options.stem}_max`);
  const axes = options.axes;
  const axesName = axes && options.axesAsInput ? names.next(`${tensor}_${options.stem}_axes`) : undefined;
  const reduce = (op: string, out: string): NodeProto =>
    makeNode(op, axesName ? [tensor, axesName] : [tensor], [out], {
      name: names.next(`${out}_${op.toLowerCase()}`),
      attributes: { keepdims: { int: 0 }, ...(axes && !axesName ? { axes: { ints: axes } } : {}) },
    });
  return {
    min,
    max,
    nodes: [reduce('ReduceMin', min), reduce('ReduceMax', max)],
    outputs: [makeValueInfo(min, TensorProto_DataType.FLOAT), makeValueInfo(max, TensorProto_DataType.FLOAT)],
    ...(axesName && axes ? { initializers: [makeInt64Tensor(axesName, [axes.length], axes)] } : {}),
  };
}
