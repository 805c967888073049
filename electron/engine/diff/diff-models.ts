/**
 * `onnx-studio diff ORIGINAL VARIANT`: what a compression did, node by node and weight by weight
 * (shared/model-diff.ts). Our quantizers and pruners keep node and weight names, so the two graphs are matched by
 * name: a node of the original is kept (same op), replaced (another op under its name), fused (its output now
 * comes from another node: a bias Add into a fused MatMul, a Relu folded into a quantization) or removed; a
 * weight is unchanged, quantized (it became `W_quantized` + `W_scale`...), cast, reshaped (pruned channels),
 * changed in value (magnitude pruning), or removed. A model made by another tool that renames everything shows
 * up as removed and added nodes, which is the truth at the level of names; a note says when almost nothing
 * matched, and calls the two models unrelated when their inputs or outputs differ too. Subgraph bodies are
 * matched under the node that holds them, and every count and byte total covers all graphs: a quantizer that
 * rewrote the MatMuls of a Loop body changed the model as much as one that rewrote the main graph's.
 */
import { create } from '@bufbuild/protobuf';
import {
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import {
  INT8_OPS,
  isUpcast,
  nodePrecisions,
  type PrecisionGraph,
  QDQ_OPS,
} from '../../../shared/node-precision.js';
import {
  indexByOriginalName,
  isFusionReshape,
  mayBecome,
  ortTensorSource,
} from '../../../shared/ort-node-names.js';
import type {
  AddedNodes,
  AddedWeight,
  ModelDiff,
  ModelMatch,
  NodeChange,
  NodeDiff,
  NodePrecision,
  WeightChange,
  WeightDiff,
} from '../../../shared/model-diff.js';
import { StudioError } from '../errors.js';
import { floatValues } from '../onnx/constants.js';
import { dtypeName } from '../onnx/dtypes.js';
import { type ExternalRef, isExternal } from '../onnx/external-data.js';
import { loadModel } from '../onnx/load-model.js';
import { subgraphsOf } from '../onnx/graph-index.js';
import { StreamedWeights } from '../onnx/streamed-weights.js';
import { decodeToFloat32, tensorByteSize } from '../onnx/tensor-codec.js';
import { walkGraphs } from '../onnx/walk-graphs.js';
import { describeType } from '../inspect/inspect-model.js';
import { constantValue, type Located, weightBytes, weightShape, weightsOf } from './model-weights.js';
import { upcastNote } from './upcast-note.js';

/** Zero counts are read for float weights up to this size (larger ones would cost a second pass over the file). */
const ZERO_COUNT_LIMIT = 256 * 2 ** 20;

/**
 * Our compressions keep a model's inputs and outputs, and most of its weights (in some form) and node names. A
 * variant with other inputs or outputs that has under half of the original's weights (without weights: nodes)
 * and under half its node names is most likely another model. With the same inputs and outputs, under a tenth
 * in common is worth a note: a tool that renames everything.
 */
const HALF = 0.5;
const FEW = 0.1;
/** A graph with nothing in it: the counterpart of a subgraph the other model does not have. */
const EMPTY_GRAPH: GraphProto = create(GraphProtoSchema, {});

/** Where a graph sits in its model: `owner/attribute` names from the main graph ('' for it), and its Graph view id prefix. */
interface GraphPlace {
  path: string;
  idPrefix: string;
}

/** Every graph of a model with its place; ids follow electron/engine/inspect/model-graph.ts (`1/body/0`, `2/branches.0/1`). */
function placesOf(main: GraphProto): Map<GraphProto, GraphPlace> {
  const places = new Map<GraphProto, GraphPlace>();
  const visit = (graph: GraphProto, place: GraphPlace) => {
    places.set(graph, place);
    graph.node.forEach((node, i) => {
      const id = place.idPrefix === '' ? String(i) : `${place.idPrefix}/${i}`;
      const owner = `${place.path === '' ? '' : `${place.path}/`}${node.name || `${node.opType}#${i}`}`;
      for (const attr of node.attribute) {
        if (attr.g) visit(attr.g, { path: `${owner}/${attr.name}`, idPrefix: `${id}/${attr.name}` });
        attr.graphs.forEach((g, k) =>
          visit(g, { path: `${owner}/${attr.name}[${k}]`, idPrefix: `${id}/${attr.name}.${k}` }),
        );
      }
    });
  };
  visit(main, { path: '', idPrefix: '' });
  return places;
}

/** A node's subgraphs by attribute, keyed as in a place path (`body`, `branches[0]`). */
function subgraphsByKey(node: NodeProto | undefined): Map<string, GraphProto> {
  const out = new Map<string, GraphProto>();
  for (const attr of node?.attribute ?? []) {
    if (attr.g) out.set(attr.name, attr.g);
    attr.graphs.forEach((g, k) => out.set(`${attr.name}[${k}]`, g));
  }
  return out;
}

function countWithSubgraphs(graph: GraphProto): number {
  let n = 0;
  walkGraphs(graph, (g) => (n += g.node.length));
  return n;
}

/** Graphs as messages, seen by the shared precision rule (shared/node-precision.ts). */
const protoPrecisionGraph = (graph: GraphProto): PrecisionGraph<NodeProto> => ({
  halfWeights: graph.initializer
    .filter((t) => t.dataType === TensorProto_DataType.FLOAT16)
    .map((t) => t.name),
  nodes: graph.node,
  outputs: graph.output.map((o) => o.name),
});

const castsTo = (node: NodeProto, dtype: TensorProto_DataType) =>
  node.opType === 'Cast' && node.attribute.some((a) => a.name === 'to' && Number(a.i) === dtype);

/** What each node of a model computes in (bodies included): the shared rule on the model's messages. */
function precisions(graph: GraphProto): Map<NodeProto, NodePrecision> {
  return nodePrecisions(protoPrecisionGraph(graph), {
    view: (node) => ({
      opType: node.opType,
      inputs: node.input,
      outputs: node.output,
      // A Constant node whose value is float16 holds an fp16 weight, as an fp16 initializer does.
      holdsHalf: constantValue(node)?.dataType === TensorProto_DataType.FLOAT16,
      castsToHalf: castsTo(node, TensorProto_DataType.FLOAT16),
      castsToFloat: castsTo(node, TensorProto_DataType.FLOAT),
    }),
    bodies: (node) => subgraphsOf(node).map(protoPrecisionGraph),
  });
}

/** Float element types whose zeros diff counts (pruning an fp16 model zeroes float16 weights). */
const ZERO_COUNTED = new Set<number>([
  TensorProto_DataType.FLOAT,
  TensorProto_DataType.FLOAT16,
  TensorProto_DataType.BFLOAT16,
  TensorProto_DataType.DOUBLE,
]);

/**
 * A float weight's share of zero elements. A sparse weight's is under its dense shape: the elements it does not
 * store are zeros, and so are any zeros among its stored values. Undefined for a weight left in external data (a
 * caller that did not stream it) and one over ZERO_COUNT_LIMIT.
 */
function zeroShare(w: Located, sizeOf: (t: TensorProto) => number): number | undefined {
  const t = w.t;
  if (!ZERO_COUNTED.has(t.dataType) || isExternal(t) || sizeOf(t) > ZERO_COUNT_LIMIT) return undefined;
  const values = t.dataType === TensorProto_DataType.FLOAT ? floatValues(t) : decodeToFloat32(t);
  const count = w.sparse ? weightShape(w).reduce((n, d) => n * d, 1) : values.length;
  if (count === 0 || values.length > count) return undefined;
  let nonZeros = 0;
  for (const v of values) if (v !== 0) nonZeros++;
  return (count - nonZeros) / count;
}

/** What the node diff of a whole model gathers while it walks the graphs of both. */
interface NodeWalk {
  precisionOf: Map<NodeProto, NodePrecision>;
  /** What each node of the original computed in, by the same rule. */
  originalPrecisionOf: Map<NodeProto, NodePrecision>;
  places: Map<GraphProto, GraphPlace>;
  /** The same for the variant's graphs. */
  variantPlaces: Map<GraphProto, GraphPlace>;
  main: NodeDiff[];
  sub: NodeDiff[];
  added: AddedNodes;
  /** Original graph -> the variant graph it was compared with (the main graphs included). */
  paired: Map<GraphProto, GraphProto>;
  pairedVariant: Set<GraphProto>;
  /** Subgraphs of the original without a counterpart in the variant (their nodes count as removed). */
  unpaired: string[];
}

/** Matches one graph of the original with one of the variant, then their subgraphs, attribute by attribute. */
function diffGraphNodes(original: GraphProto, variant: GraphProto, walk: NodeWalk): void {
  if (original !== EMPTY_GRAPH && variant !== EMPTY_GRAPH) {
    walk.paired.set(original, variant);
    walk.pairedVariant.add(variant);
  }
  // onnxruntime's fusions name the fused node after the first node it replaced: `X/MatMulAddFusion` is X.
  const variantByName = new Map<string, NodeProto>();
  for (const n of variant.node) if (n.name) variantByName.set(n.name, n);
  indexByOriginalName(variant.node, (n) => n.name, variantByName);
  const producer = new Map<string, NodeProto>();
  for (const n of variant.node) for (const o of n.output) producer.set(o, n);
  const variantIndex = new Map(variant.node.map((n, i) => [n, i]));
  const matched = new Set<NodeProto>();
  // An unnamed node (exporters often leave names empty) is matched by the data flow: our transforms keep a
  // node's output names when they keep or replace it, and put conversions between it and the nodes around it.
  // fp16 keeps a float32 graph (or body) output by renaming the output of the node that made it (`y_fp16`) and
  // casting that back to `y`; int8-static quantizes a node's output by renaming it (`y_prequant`) and putting a
  // QuantizeLinear and a DequantizeLinear that gives back `y` after it, and reads its inputs through Q/DQ
  // (`x_dequantized`, `W_dequantized` of `W_quantized`); onnxruntime's pre-optimization wraps the Gemm it makes of
  // a MatMul of a 3D input in two Reshapes. The node behind the conversions is the one.
  const isConversion = (n: NodeProto, ownOp: string) =>
    n.opType !== ownOp && (QDQ_OPS.has(n.opType) || n.opType === 'Cast' || isFusionReshape(n.name, n.opType));
  /** The variant value a value comes from through the conversions put before it (not those of `ownOp`). */
  const behindConversions = (value: string, ownOp: string): string => {
    let v = value;
    for (let n = producer.get(v); n && isConversion(n, ownOp) && n.input[0]; n = producer.get(v))
      v = n.input[0];
    return v;
  };
  /** The variant node that makes a value, behind the conversions put after it. */
  const maker = (value: string, ownOp: string): NodeProto | undefined => {
    const direct = producer.get(value);
    return direct && isConversion(direct, ownOp) ? producer.get(behindConversions(value, ownOp)) : direct;
  };
  const sameByOutputs = (node: NodeProto, sameOp: boolean): NodeProto | undefined => {
    const candidate = node.output[0] ? maker(inVariant(node.output[0]), node.opType) : undefined;
    if (!candidate || matched.has(candidate) || candidate.output.length !== node.output.length)
      return undefined;
    if (sameOp && candidate.opType !== node.opType) return undefined;
    const same = candidate.output.every((o, i) => {
      const mine = inVariant(node.output[i]!);
      return mine === o || (mine !== '' && behindConversions(mine, node.opType) === o);
    });
    return same ? candidate : undefined;
  };
  // The original's value each variant value stands for: behind the conversions, with the suffix a quantizer
  // gives a weight it rewrote dropped (`W_quantized` is `W`), and the names onnxruntime's optimizations give a
  // weight or value (shared/ort-node-names.ts) traced back (`ConvBnFusion_W_W_quantized` is `W` too).
  const originalValues = new Set<string>([
    ...original.initializer.map((t) => t.name),
    ...original.sparseInitializer.map((s) => s.values?.name ?? ''),
    ...original.input.map((v) => v.name),
    ...original.node.flatMap((n) => n.output),
  ]);
  const isOriginalValue = (name: string) => originalValues.has(name);
  const originalValue = (value: string, ownOp: string): string => {
    const v = behindConversions(value, ownOp);
    let base = v;
    for (let i = 0; i <= 3; i++) {
      if (originalValues.has(base)) return base;
      const source = ortTensorSource(base, isOriginalValue);
      if (source) return source.name;
      const cut = base.lastIndexOf('_');
      if (cut <= 0) break;
      base = base.slice(0, cut);
    }
    return v;
  };
  // onnxruntime runs a float16 node without a float16 kernel in float32, on `InsertedPrecisionFreeCast_<x>` for
  // each value x it reads and writes: where the variant has no x, the value of that name is the original's x.
  const variantValues = new Set([
    ...producer.keys(),
    ...variant.input.map((v) => v.name),
    ...variant.initializer.map((t) => t.name),
  ]);
  const renamedTo = new Map<string, string>();
  for (const v of producer.keys()) {
    const source = ortTensorSource(v, (n) => isOriginalValue(n) && !variantValues.has(n));
    if (source && !renamedTo.has(source.name)) renamedTo.set(source.name, v);
  }
  /** The variant's name for a value of the original. */
  const inVariant = (value: string) => renamedTo.get(value) ?? value;
  // Variant nodes by op type and the original value their first input stands for.
  const byFirstInput = new Map<string, NodeProto[]>();
  const inputKey = (opType: string, value: string) => `${opType}\u0000${value}`;
  for (const n of variant.node) {
    if (!n.input[0]) continue;
    const key = inputKey(n.opType, originalValue(n.input[0], n.opType));
    byFirstInput.set(key, [...(byFirstInput.get(key) ?? []), n]);
  }
  /**
   * The variant node of the same op type that reads what the node reads: one whose output the quantizer renamed
   * (a Conv whose Relu was folded into its quantization now writes the Relu's output).
   */
  const sameByInputs = (node: NodeProto): NodeProto | undefined => {
    if (!node.input[0]) return undefined;
    return byFirstInput
      .get(inputKey(node.opType, node.input[0]))
      ?.find(
        (v) =>
          !matched.has(v) &&
          v.input.length === node.input.length &&
          v.input.every((t, i) =>
            t === '' ? node.input[i] === '' : originalValue(t, v.opType) === node.input[i],
          ),
      );
  };
  /** The variant node each original node became (kept, replaced or fused). */
  const became = new Map<NodeProto, NodeProto>();
  const take = (node: NodeProto, same: NodeProto | undefined) => {
    if (!same) return;
    matched.add(same);
    became.set(node, same);
  };
  // By name; then an unnamed node by its outputs to a node of its op type, by its inputs to one, and last by its
  // outputs to a node of another op type (replaced): a node that kept its op is not taken for another's.
  for (const node of original.node) if (node.name) take(node, variantByName.get(node.name));
  const unnamed = original.node.filter((n) => !n.name);
  for (const node of unnamed) take(node, sameByOutputs(node, true));
  for (const node of unnamed) if (!became.has(node)) take(node, sameByInputs(node));
  // A node whose output another op type now makes: where a few nodes up the chain feeding it there is an
  // unmatched node that may have become that op type, that node is what the variant node is (a Conv that took the
  // BatchNormalization and Relu after it, its weights folded so that its inputs matched nothing; the MatMul of a
  // MatMul + Add made a Gemm), and the nodes between were fused.
  const producerOf = new Map<string, NodeProto>();
  for (const n of original.node) for (const o of n.output) producerOf.set(o, n);
  const upstreamOfType = (node: NodeProto, opType: string): NodeProto | undefined => {
    let at = node.input[0] ? producerOf.get(node.input[0]) : undefined;
    for (let step = 0; at && step < 3; step++) {
      if (mayBecome(at.opType, opType)) return became.has(at) ? undefined : at;
      at = at.input[0] ? producerOf.get(at.input[0]) : undefined;
    }
    return undefined;
  };
  for (const node of unnamed) {
    if (became.has(node)) continue;
    const other = sameByOutputs(node, false);
    const upstream = other && other.opType !== node.opType ? upstreamOfType(node, other.opType) : undefined;
    take(upstream ?? node, other);
  }
  const list: NodeDiff[] = original.node.map((node) => {
    const own = {
      name: node.name,
      opType: node.opType,
      originalPrecision: walk.originalPrecisionOf.get(node)!,
    };
    const same = became.get(node);
    if (same) {
      const precision = walk.precisionOf.get(same)!;
      return {
        ...own,
        change: same.opType === node.opType ? 'kept' : 'replaced',
        variantOpType: same.opType,
        precision,
        ...(isUpcast({ precision, originalPrecision: own.originalPrecision })
          ? { upcast: true as const }
          : {}),
        variantIndex: variantIndex.get(same)!,
      };
    }
    // Its output now made by another node (behind the Q/DQ of a quantization that folded it in).
    const taker = node.output.map((o) => maker(inVariant(o), node.opType)).find((p) => p !== undefined);
    if (taker) {
      became.set(node, taker);
      return {
        ...own,
        change: 'fused',
        fusedInto: taker.name || taker.opType,
        variantIndex: variantIndex.get(taker)!,
      };
    }
    return { ...own, change: 'removed' };
  });
  // A node between two that became the same variant node was fused into it too (the Add of MatMul + Add + Relu).
  const originalProducer = new Map<string, NodeProto>();
  for (const n of original.node) for (const o of n.output) originalProducer.set(o, n);
  const originalConsumers = new Map<string, NodeProto[]>();
  for (const n of original.node)
    for (const i of n.input) originalConsumers.set(i, [...(originalConsumers.get(i) ?? []), n]);
  original.node.forEach((node, i) => {
    if (list[i]!.change !== 'removed') return;
    const before = new Set(
      node.input.map((t) => became.get(originalProducer.get(t)!)).filter((v) => v !== undefined),
    );
    const after = node.output.flatMap((t) => originalConsumers.get(t) ?? []).map((c) => became.get(c));
    // Fused too: a node whose consumer became a variant node that reads this node's own inputs (an unnamed
    // MatMul + Add, matched by outputs, is the Add replaced by a DynamicQuantizeMatMul reading the MatMul's input).
    // Not a Cast: a consumer reading what it cast took none of its work, it computes in the uncast type now (fp16's
    // Cast of a float32 input, dropped where onnxruntime runs the Conv after it in float32): removed.
    const readsInputs = (v: NodeProto) =>
      node.opType !== 'Cast' && node.input.some((t) => t !== '' && v.input.includes(t));
    const into = after.find((v) => v !== undefined && (before.has(v) || readsInputs(v)));
    if (into)
      list[i] = {
        ...list[i]!,
        change: 'fused',
        fusedInto: into.name || into.opType,
        variantIndex: variantIndex.get(into)!,
      };
  });
  const place = walk.places.get(original);
  if (place && place.path !== '') {
    // The variant's Graph view id of the node each body row became: its body sits elsewhere when the variant
    // added nodes before the node holding it.
    const variantPrefix = walk.variantPlaces.get(variant)?.idPrefix;
    list.forEach((d, i) => {
      Object.assign(d, { graph: place.path, id: `${place.idPrefix}/${i}` });
      if (d.variantIndex !== undefined && variantPrefix) d.variantId = `${variantPrefix}/${d.variantIndex}`;
    });
    walk.sub.push(...list);
  } else walk.main.push(...list);
  for (const n of variant.node) {
    if (matched.has(n)) continue;
    if (QDQ_OPS.has(n.opType)) walk.added.quantizeDequantize++;
    else if (n.opType === 'Cast') walk.added.casts++;
    else walk.added.other[n.opType] = (walk.added.other[n.opType] ?? 0) + 1;
  }
  // A body is compared with the body of the same attribute of the variant node its node became; without one
  // (the node is gone, or lost the attribute) its nodes are all removed.
  for (const node of original.node) {
    const counterparts = subgraphsByKey(became.get(node));
    for (const [key, sub] of subgraphsByKey(node)) {
      const twin = counterparts.get(key);
      const free = twin !== undefined && !walk.pairedVariant.has(twin);
      if (!free && sub.node.length > 0) walk.unpaired.push(walk.places.get(sub)?.path ?? key);
      diffGraphNodes(sub, free ? twin : EMPTY_GRAPH, walk);
    }
  }
  // The variant's bodies nothing was compared with: their nodes are all added.
  for (const n of variant.node)
    for (const sub of subgraphsOf(n))
      if (!walk.pairedVariant.has(sub)) diffGraphNodes(EMPTY_GRAPH, sub, walk);
}

function diffNodes(original: GraphProto, variant: GraphProto): ModelDiff['nodes'] & { walk: NodeWalk } {
  const walk: NodeWalk = {
    precisionOf: precisions(variant),
    originalPrecisionOf: precisions(original),
    places: placesOf(original),
    variantPlaces: placesOf(variant),
    main: [],
    sub: [],
    added: { quantizeDequantize: 0, casts: 0, other: {} },
    paired: new Map(),
    pairedVariant: new Set(),
    unpaired: [],
  };
  diffGraphNodes(original, variant, walk);
  const byChange: Record<NodeChange, number> = { kept: 0, replaced: 0, fused: 0, removed: 0 };
  const byPrecision: Record<NodePrecision, number> = { float32: 0, float16: 0, int8: 0, int4: 0, other: 0 };
  let upcast = 0;
  for (const d of [...walk.main, ...walk.sub]) {
    byChange[d.change]++;
    if (d.precision) byPrecision[d.precision]++;
    if (d.upcast) upcast++;
  }
  return {
    original: original.node.length,
    variant: variant.node.length,
    originalWithSubgraphs: countWithSubgraphs(original),
    variantWithSubgraphs: countWithSubgraphs(variant),
    byChange,
    byPrecision,
    upcast,
    added: walk.added,
    list: walk.main,
    subgraphList: walk.sub,
    walk,
  };
}

/** Names read by quantization ops anywhere in a graph: their scales, zero points and quantized values. */
function quantizationReads(main: GraphProto): Set<string> {
  const reads = new Set<string>();
  walkGraphs(main, (graph) => {
    for (const n of graph.node)
      if (QDQ_OPS.has(n.opType) || INT8_OPS.has(n.opType) || n.opType === 'MatMulNBits')
        n.input.forEach((i) => reads.add(i));
  });
  return reads;
}

/** How a variant tensor not named as any weight of the original came from one. */
interface Derived {
  v: Located;
  /**
   * The weight itself under the name onnxruntime's optimizations gave it (`ConvBnFusion_W_W`, with a
   * BatchNormalization folded in; `InsertedPrecisionFreeCast_W`, cast to float32), as against a part a quantizer
   * made of it (`W_quantized`, `W_scale`, also of the renamed weight: `ConvBnFusion_W_W_quantized`).
   */
  standIn: boolean;
  /** The op onnxruntime folded into it (BatchNormalization), if any. */
  folded?: string;
}

/** Weights of the original that onnxruntime folded an op into, by that op: they and the weights folded into them. */
interface Folds {
  op: string;
  into: WeightDiff[];
  /** The weights folded in (a BatchNormalization's scale, mean and variance, the Conv's own bias), gone. */
  folded: WeightDiff[];
}

/**
 * Weights are matched over the whole model by name: a quantizer may move a weight into the subgraph that reads
 * it (int8-dynamic puts `W_quantized` in the branch whose MatMul reads `W` of the main graph). A candidate in
 * the graph paired with the weight's own graph is taken first, so that two branches' `w` each find their own.
 */
function diffWeights(
  original: GraphProto,
  variant: GraphProto,
  walk: NodeWalk,
  zeroCounts: boolean,
  sizeOf: (t: TensorProto) => number,
): ModelDiff['weights'] & { addedList: AddedWeight[]; folds: Folds[] } {
  const bytesOf = (w: Located) => weightBytes(w, sizeOf);
  const originals = weightsOf(original);
  const variants = weightsOf(variant);
  const variantPlaces = placesOf(variant);
  const graphPath = (graph: GraphProto, places: Map<GraphProto, GraphPlace>) => {
    const p = places.get(graph)?.path;
    return p ? { graph: p } : {};
  };
  const byName = new Map<string, Located[]>();
  for (const v of variants) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  // A variant tensor `W_scale` came from `W` only if the original has no tensor of that name itself.
  const originalNames = new Set(originals.map((o) => o.name));
  // `W_quantized`, `W_scale`, `W_zero_point`, `W_Q4`, `W_scales`, int8-weight's `W_row_zero_point`: the original
  // weight is what is left after dropping one to three `_suffix` segments. onnxruntime's optimizations (int8-static runs them first) rename a
  // weight they change (shared/ort-node-names.ts): `ConvBnFusion_W_W` is W with a BatchNormalization folded in,
  // and `ConvBnFusion_W_W_quantized` a part of it.
  const isOriginalName = (name: string) => originalNames.has(name);
  const derivedFrom = new Map<string, Derived[]>();
  for (const v of variants) {
    if (originalNames.has(v.name)) continue;
    let base = v.name;
    for (let i = 0; i <= 3; i++) {
      const source =
        i > 0 && originalNames.has(base) ? { name: base } : ortTensorSource(base, isOriginalName);
      if (source) {
        const derived: Derived = { v, standIn: i === 0, ...(source.folded ? { folded: source.folded } : {}) };
        derivedFrom.set(source.name, [...(derivedFrom.get(source.name) ?? []), derived]);
        break;
      }
      const cut = base.lastIndexOf('_');
      if (cut <= 0) break;
      base = base.slice(0, cut);
    }
  }
  const used = new Set<Located>();
  const found = new Map<Located, { same?: Located; parts: Located[]; folded?: string }>();
  for (const sameGraphOnly of [true, false]) {
    for (const o of originals) {
      if (found.has(o)) continue;
      const home = walk.paired.get(o.graph);
      const eligible = (c: Located) => !used.has(c) && (!sameGraphOnly || c.graph === home);
      const exact = byName.get(o.name)?.find(eligible);
      const derived = exact ? [] : (derivedFrom.get(o.name) ?? []).filter((d) => eligible(d.v));
      // The weight under onnxruntime's name, not quantized (a stem Conv int8-static keeps float), compares as
      // a same-named one: in value, dtype or shape.
      const same =
        exact ?? (derived.length > 0 && derived.every((d) => d.standIn) ? derived[0]!.v : undefined);
      const parts = exact ? [exact] : derived.map((d) => d.v);
      if (parts.length === 0) continue;
      parts.forEach((p) => used.add(p));
      const folded = derived.find((d) => d.folded)?.folded;
      found.set(o, { ...(same ? { same } : {}), parts, ...(folded ? { folded } : {}) });
    }
  }
  const byOriginal = new Map<Located, WeightDiff>();
  const list: WeightDiff[] = originals.map((o) => {
    const t = o.t;
    const base: WeightDiff = {
      name: o.name,
      change: 'removed',
      dtype: dtypeName(t.dataType),
      shape: weightShape(o),
      bytes: bytesOf(o),
      ...graphPath(o.graph, walk.places),
    };
    const match = found.get(o);
    if (!match) {
      byOriginal.set(o, base);
      return base;
    }
    // A weight kept as it was under a new name (int4 keeps the bias of a Gemm it rewrites as `B_bias`): the one
    // tensor it became, of its dtype, shape and values, is the weight itself, unchanged (`variantNames` has the name).
    const only = match.parts.length === 1 ? match.parts[0]! : undefined;
    const renamed =
      !match.same &&
      only &&
      only.t.dataType === t.dataType &&
      sameDims(weightShape(o), weightShape(only)) &&
      equalWeights(o, only)
        ? only
        : undefined;
    const sameWeight = match.same ?? renamed;
    const rank = weightShape(o).length;
    const target = sameWeight ?? match.parts.find((v) => weightShape(v).length === rank) ?? match.parts[0]!;
    let change: WeightChange;
    if (!sameWeight) change = 'quantized';
    else if (sameWeight.t.dataType !== t.dataType) change = 'cast';
    else if (!sameDims(weightShape(o), weightShape(sameWeight))) change = 'reshaped';
    else change = sameWeight === renamed || equalWeights(o, sameWeight) ? 'unchanged' : 'values';
    // Each count decodes a weight: only for a weight whose values changed, and the original's only then.
    const after =
      zeroCounts && sameWeight && (change === 'values' || change === 'reshaped')
        ? zeroShare(sameWeight, sizeOf)
        : undefined;
    const before = after !== undefined ? zeroShare(o, sizeOf) : undefined;
    const row: WeightDiff = {
      ...base,
      change,
      variantDtype: dtypeName(target.t.dataType),
      variantShape: weightShape(target),
      variantBytes: match.parts.reduce((sum, p) => sum + bytesOf(p), 0),
      variantNames: match.parts.map((p) => p.name),
      ...(before !== undefined && after !== undefined ? { zeros: { before, after } } : {}),
    };
    byOriginal.set(o, row);
    return row;
  });
  const folds = foldsOf(originals, found, byOriginal);
  const quantization = quantizationReads(variant);
  const addedList: AddedWeight[] = variants
    .filter((v) => !used.has(v))
    .map((v) => ({
      name: v.name,
      dtype: dtypeName(v.t.dataType),
      shape: weightShape(v),
      bytes: bytesOf(v),
      quantization: quantization.has(v.name),
      ...graphPath(v.graph, variantPlaces),
    }))
    .sort((a, b) => b.bytes - a.bytes);
  const byChange: Record<WeightChange, number> = {
    unchanged: 0,
    quantized: 0,
    cast: 0,
    reshaped: 0,
    values: 0,
    removed: 0,
  };
  for (const w of list) byChange[w.change]++;
  const addedBytes = addedList.reduce((s, w) => s + w.bytes, 0);
  return {
    bytesBefore: list.reduce((s, w) => s + w.bytes, 0),
    bytesAfter: list.reduce((s, w) => s + (w.variantBytes ?? 0), 0) + addedBytes,
    byChange,
    list: list.sort((a, b) => b.bytes - a.bytes),
    addedCount: addedList.length,
    addedBytes,
    addedList,
    folds,
  };
}

/**
 * The weights onnxruntime folded an op into, by op, with the weights folded in with them: the other weights, now
 * gone, of the nodes that read them (the Conv reading W: its bias; the BatchNormalization reading B: its scale,
 * mean and variance).
 */
function foldsOf(
  originals: Located[],
  found: Map<Located, { folded?: string }>,
  rows: Map<Located, WeightDiff>,
): Folds[] {
  const byOp = new Map<string, Folds>();
  const weightIn = new Map<GraphProto, Map<string, Located>>();
  for (const o of originals) {
    const names = weightIn.get(o.graph) ?? new Map<string, Located>();
    names.set(o.name, o);
    weightIn.set(o.graph, names);
  }
  for (const o of originals) {
    const op = found.get(o)?.folded;
    if (!op) continue;
    const fold = byOp.get(op) ?? { op, into: [], folded: [] };
    byOp.set(op, fold);
    fold.into.push(rows.get(o)!);
    for (const reader of o.graph.node.filter((n) => n.input.includes(o.name)))
      for (const input of reader.input) {
        const other = weightIn.get(o.graph)?.get(input);
        const row = other && rows.get(other);
        if (row && row.change === 'removed' && !fold.folded.includes(row)) fold.folded.push(row);
      }
  }
  return [...byOp.values()];
}

/** The graph inputs (not initializers listed as inputs, as old models do) and outputs, by name, with their shapes. */
function signature(graph: GraphProto): {
  inputs: Map<string, ValueInfoProto>;
  outputs: Map<string, ValueInfoProto>;
} {
  const weights = new Set(graph.initializer.map((t) => t.name));
  return {
    inputs: new Map(graph.input.filter((v) => !weights.has(v.name)).map((v) => [v.name, v])),
    outputs: new Map(graph.output.map((v) => [v.name, v])),
  };
}

/**
 * Same names, and shapes that could be the same: equal ranks and equal fixed sizes (a symbolic or unknown size
 * matches anything, and the element type is not compared: an fp16 conversion may change it).
 */
function sameValues(a: Map<string, ValueInfoProto>, b: Map<string, ValueInfoProto>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, va] of a) {
    const vb = b.get(name);
    if (!vb) return false;
    const [sa, sb] = [describeType(va.type).shape, describeType(vb.type).shape];
    if (sa.length === 0 || sb.length === 0) continue;
    if (sa.length !== sb.length) return false;
    if (sa.some((d, i) => typeof d === 'number' && typeof sb[i] === 'number' && d !== sb[i])) return false;
  }
  return true;
}

/**
 * A weight the variant still has in a form a compression makes of it. A same-named weight that grew or changed
 * rank is not one (pruning only shrinks dims): unrelated models share names like `w1` or `fc.weight`.
 */
function survives(w: WeightDiff): boolean {
  if (w.change === 'removed') return false;
  if (w.change !== 'reshaped') return true;
  const after = w.variantShape ?? [];
  return after.length === w.shape.length && after.every((d, i) => d <= w.shape[i]!);
}

function matchOf(
  original: GraphProto,
  variant: GraphProto,
  nodes: ModelDiff['nodes'],
  weights: ModelDiff['weights'],
): { match: ModelMatch; fewInCommon: boolean } {
  const [a, b] = [signature(original), signature(variant)];
  const match = {
    nodes: nodes.originalWithSubgraphs,
    // Fused nodes are not counted: an output name alone (`y`, `logits`) is shared by unrelated models.
    nodesByName: nodes.byChange.kept + nodes.byChange.replaced,
    weights: weights.list.length,
    weightsFound: weights.list.filter(survives).length,
    sameInputs: sameValues(a.inputs, b.inputs),
    sameOutputs: sameValues(a.outputs, b.outputs),
  };
  // Generic node names (`relu`, `fc`) match across unrelated models, so the weights decide too where there are any.
  const nodeShare = match.nodes > 0 ? match.nodesByName / match.nodes : 1;
  const weightShare = match.weights > 0 ? match.weightsFound / match.weights : nodeShare;
  const sameSignature = match.sameInputs && match.sameOutputs;
  return {
    match: { ...match, unrelated: !sameSignature && weightShare < HALF && nodeShare < HALF },
    fewInCommon: sameSignature && weightShare < FEW && nodeShare < FEW,
  };
}

const UNRELATED_NOTE = 'The two models look unrelated:';

/** The note that says two models look unrelated: the CLI also writes it to stderr as a warning. */
export const isUnrelatedNote = (note: string) => note.startsWith(UNRELATED_NOTE);

const inCommon = (match: ModelMatch) =>
  `${match.nodesByName} of the original's ${match.nodes} nodes and ${match.weightsFound} of its ${match.weights} weights are in the variant`;

/**
 * The note for a match that is `unrelated`, ending with what the command does about it (`explain` says it too,
 * with its own ending).
 */
export function unrelatedNote(match: ModelMatch, then: string): string {
  const io = [!match.sameInputs && 'inputs', !match.sameOutputs && 'outputs'].filter(Boolean).join(' and ');
  return `${UNRELATED_NOTE} ${inCommon(match)}, and their ${io} differ. The variant was most likely not made from the original; ${then}`;
}

/** The weight changes in the order a summary names them (as `byChange` has them). */
const WEIGHT_CHANGES: readonly WeightChange[] = [
  'unchanged',
  'quantized',
  'cast',
  'reshaped',
  'values',
  'removed',
];

const listed = (names: string[]) => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}`;

/**
 * What onnxruntime folded into weights before a quantizer saw them: without it the rows read as weights the
 * variant changed for no reason and others it dropped.
 */
function foldNote(fold: Folds): string {
  const into = [...fold.into].sort((a, b) => b.bytes - a.bytes);
  const n = into.length;
  const changes = WEIGHT_CHANGES.map(
    (change) => [change, into.filter((w) => w.change === change).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([change, count]) => `${count} ${change}`);
  const renamed = into[0]!.variantNames?.[0];
  const folded = fold.folded.map((w) => w.name);
  return (
    `onnxruntime's graph optimizations (int8-static runs them before quantizing) folded each ${fold.op} into ` +
    `the Conv before it: the ${n} weight${n === 1 ? '' : 's'} of those Convs that took it in ` +
    `(${listed(into.map((w) => w.name))}; ${renamed}${n > 1 ? '...' : ''} in the variant) count as ${changes.join(', ')}` +
    (folded.length > 0
      ? `, and the ${folded.length} weight${folded.length === 1 ? '' : 's'} folded into them (${listed(folded)}) as removed.`
      : '.')
  );
}

function notesOf(
  match: ModelMatch,
  fewInCommon: boolean,
  walk: NodeWalk,
  folds: Folds[],
  variant: GraphProto,
): string[] {
  const notes: string[] = [];
  const common = inCommon(match);
  if (match.unrelated) {
    notes.push(unrelatedNote(match, 'the diff compares them by name anyway.'));
    // Every subgraph is unmatched then too; saying so again would add nothing.
    return notes;
  }
  if (fewInCommon)
    notes.push(
      `Only ${common} under their names, though inputs and outputs agree: a tool that renames nodes and weights makes them show up as removed and added.`,
    );
  if (walk.unpaired.length > 0)
    notes.push(
      `The nodes of ${walk.unpaired.length} subgraph bod${walk.unpaired.length === 1 ? 'y' : 'ies'} of the original (${walk.unpaired.slice(0, 3).join(', ')}${walk.unpaired.length > 3 ? ', ...' : ''}) count as removed: the node holding each is gone from the variant or holds no such body.`,
    );
  for (const fold of folds) notes.push(foldNote(fold));
  const variantNames: string[] = [];
  walkGraphs(variant, (g) => g.node.forEach((n) => variantNames.push(n.name)));
  const upcast = upcastNote([...walk.main, ...walk.sub], variantNames);
  if (upcast) notes.push(upcast);
  return notes;
}

/** Same logical dims. */
function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Same stored values: a sparse weight's values and indices both; a sparse and a dense one never. A weight left in
 * external data (a caller that did not stream it: explain, which needs only the match) is not read: it compares
 * as unchanged.
 */
function equalWeights(a: Located, b: Located): boolean {
  if (isExternal(a.t) || isExternal(b.t)) return true;
  if (!a.sparse !== !b.sparse) return false;
  if (!equalBytes(a.t, b.t)) return false;
  const ai = a.sparse?.indices;
  const bi = b.sparse?.indices;
  return !ai || !bi || equalBytes(ai, bi);
}

function equalBytes(a: TensorProto, b: TensorProto): boolean {
  const x = a.rawData;
  const y = b.rawData;
  if (x.length === 0 && y.length === 0) return true;
  if (x.length !== y.length) return false;
  return Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(y.buffer, y.byteOffset, y.length));
}

export function diffModelProtos(
  original: ModelProto,
  variant: ModelProto,
  names: { original: string; variant: string },
  /**
   * `zeroCounts: false` leaves out the weights' share of zeros (`explain` needs only `match`). `streamed`: where
   * the bytes of the tensors made streamed (StreamedWeights.sources()) are, for their sizes (asking a streamed
   * tensor its size would read it).
   */
  options: { zeroCounts?: boolean; streamed?: Map<TensorProto, ExternalRef> } = {},
): ModelDiff {
  if (!original.graph || !variant.graph)
    throw new StudioError('MODEL_INVALID', 'A model without a graph cannot be compared.');
  const { walk, ...nodes } = diffNodes(original.graph, variant.graph);
  const streamed = options.streamed;
  const sizeOf = (t: TensorProto) => streamed?.get(t)?.length ?? tensorByteSize(t);
  const { folds, ...weights } = diffWeights(
    original.graph,
    variant.graph,
    walk,
    options.zeroCounts ?? true,
    sizeOf,
  );
  const { match, fewInCommon } = matchOf(original.graph, variant.graph, nodes, weights);
  return {
    original: names.original,
    variant: names.variant,
    nodes,
    weights,
    match,
    notes: notesOf(match, fewInCommon, walk, folds, variant.graph),
  };
}

export async function diffModels(originalPath: string, variantPath: string): Promise<ModelDiff> {
  const [original, variant] = [await loadModel(originalPath), await loadModel(variantPath)];
  // Weights in external data files are read from them as they are compared, a pair at a time: a streamed tensor
  // reads its bytes when asked and each model keeps only the last two read, so a multi-GB model is never whole in
  // memory.
  const streams: StreamedWeights[] = [];
  try {
    for (const model of [original, variant]) streams.push(new StreamedWeights(model.proto, model));
    return diffModelProtos(
      original.proto,
      variant.proto,
      { original: original.path, variant: variant.path },
      { streamed: new Map(streams.flatMap((s) => [...s.sources()])) },
    );
  } finally {
    for (const s of streams) s.close();
  }
}
