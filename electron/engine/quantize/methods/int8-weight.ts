import { type GraphProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { z } from 'zod';
import { intAttribute } from '../../onnx/attributes.js';
import { float32ArrayToFloat16 } from '../../onnx/float16.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  opsetVersion,
  perGraph,
  setOpsetVersion,
} from '../../onnx/graph.js';
import { littleEndianBytes, makeNode, makeRawTensor } from '../../onnx/graph-build.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { counted, listWords } from '../../../../shared/counted.js';
import { registerQuantizeMethod } from '../method-registry.js';
import type { QuantizeInput, QuantizeMethod, QuantizeOutcome, SkippedNode } from '../quantize-method.js';
import { quantizeInt8 } from '../weight-only/int8-kernel.js';
import { gatherAxis } from '../weight-only/tied-gather.js';
import { dequantizedGather, rowParameters, type TiedInt8Table } from '../int8-rows.js';
import {
  type GraphScope,
  NodeProgress,
  type ResolvedWeight,
  graphScopes,
  keptInFloatNote,
  removeUnusedOriginals,
  resolveWeight,
  selectNode,
  skippedRecord,
  storedBytes,
  throwIfCancelled,
} from '../weight-only/weights.js';
import {
  int8WeightOptionsSchema,
  QUANTIZE_METHOD_SPECS,
} from '../../../../shared/options/quantize-options.js';

/*
 * int8-weight: weight-only int8. Every constant weight of a supported node is stored as int8 with a
 * scale and zero point per output channel (or per tensor), and a DequantizeLinear in front of the
 * unchanged float node rebuilds it at run time:
 *
 *   W_q (int8), W_scale, W_zero_point -> DequantizeLinear(axis) -> [Cast] -> Conv / MatMul / Gemm / ...
 *
 * The file shrinks to about a quarter, compute stays float, and every execution provider runs it
 * (DequantizeLinear is a standard op). Biases and everything else stay float. A weight shared by
 * several nodes is quantized once and its DequantizeLinear output shared.
 *
 * Opsets: per-axis DequantizeLinear needs default-domain opset 13 (per-tensor 10). Below that the
 * com.microsoft DequantizeLinear (same semantics, `axis` at any opset, in ONNX Runtime) is emitted
 * rather than raising the model's opset, which would change the meaning of other ops. float16 weights
 * get a float16 scale at opset >= 19 (DequantizeLinear then outputs float16); otherwise, and for
 * bfloat16, a Cast after a float32 DequantizeLinear restores the type the node expects.
 */

export { int8WeightOptionsSchema };

/** Which input of each supported op is its weight, and the per-channel axis for a weight of rank `rank`. */
interface WeightSlot {
  input: number;
  /** The channel axis, or a reason the weight's shape does not fit. */
  axis(node: NodeProto, rank: number): number | undefined | { reason: string };
  /** Nodes of this op whose input is not a constant float are not weight-bearing (not reported). */
  silentWhenNotWeight?: boolean;
}

const SLOTS: ReadonlyMap<string, WeightSlot> = new Map<string, WeightSlot>([
  // Conv weight [M, C/group, k...]: output channels on axis 0.
  ['Conv', { input: 1, axis: (_n, rank) => (rank >= 3 ? 0 : { reason: `Conv weight has rank ${rank}` }) }],
  // ConvTranspose weight [C, M/group, k...]: output channels on axis 1.
  [
    'ConvTranspose',
    { input: 1, axis: (_n, rank) => (rank >= 3 ? 1 : { reason: `ConvTranspose weight has rank ${rank}` }) },
  ],
  // MatMul B [..., K, N]: output columns on the last axis.
  ['MatMul', { input: 1, axis: (_n, rank) => (rank >= 2 ? rank - 1 : undefined) }],
  // Gemm B [K, N], or [N, K] when transB = 1.
  [
    'Gemm',
    {
      input: 1,
      axis: (node, rank) =>
        rank === 2 ? (intAttribute(node, 'transB', 0) !== 0 ? 0 : 1) : { reason: `Gemm B has rank ${rank}` },
    },
  ],
  // Gather data (embedding tables [rows, width]): one scale per row.
  ['Gather', { input: 0, axis: (_n, rank) => (rank >= 2 ? 0 : undefined), silentWhenNotWeight: true }],
]);

export const INT8_WEIGHT_OP_TYPES: ReadonlySet<string> = new Set(SLOTS.keys());

/**
 * One quantized copy of a weight (per weight, axis and view type), shared by its consumers, which read it through
 * one of its views (a rewrite's `view`):
 * - `dq`: DequantizeLinear of the whole weight (most nodes);
 * - `transposed`: a tied LM head, MatMul(h, Transpose(table)): DequantizeLinear(Transpose(int8 table), axis 1).
 *   onnxruntime folds the Transpose of an initializer at load, so the head reads DequantizeLinear(constant) straight
 *   into its MatMul and fuses them (MatMulNBits); a float Transpose after a whole-table DequantizeLinear ran on every
 *   call (2.64x float32's p50 on a 32,000-row tied LM, docs/benchmarks.md);
 * - `rows`: an embedding's Gather looks up int8 rows and dequantizes only those (dynamic/tied-table.ts), where it
 *   read a DequantizeLinear of the whole table on every call.
 */
interface Plan {
  weight: ResolvedWeight;
  /** The value `dq` consumers read instead of the weight. */
  output: string;
  /** The graph holding the stored weight: the new initializers and nodes go there. */
  graph: GraphProto;
  tensors: ReturnType<typeof makeRawTensor>[];
  /** The `dq` view's nodes, emitted only where a consumer reads it. */
  nodes: NodeProto[];
  quantizedBytes: number;
  floatBytes: number;
  /**
   * What the other views are made of (see above): names, and the scales and zero points only (the int8 data is in
   * `tensors`, which streaming may spill; keeping it here held every weight's int8 bytes to the end).
   */
  parts: { scales: Float32Array; zeroPoints: Int8Array; qName: string; scaleName: string; zpName: string };
  /** The `transposed` view (made when a tied head asks for it), and the `rows` view's per-row parameters. */
  transposed?: { output: string; nodes: NodeProto[] };
  rows?: { table: TiedInt8Table; tensors: ReturnType<typeof makeRawTensor>[] };
}

type View = 'dq' | 'transposed' | 'rows';

interface Candidate {
  scope: GraphScope;
  node: NodeProto;
  slot: WeightSlot;
}

async function quantizeInt8Weights(
  input: QuantizeInput<z.infer<typeof int8WeightOptionsSchema>>,
): Promise<QuantizeOutcome> {
  const { model, common, note, signal } = input;
  throwIfCancelled(signal);
  const opset = opsetVersion(model, '') ?? 1;
  const perChannel = !common.perTensor;
  const needOpset = perChannel ? 13 : 10;
  const contribDq = opset < needOpset;
  const allowOverridable = model.irVersion < 4n;
  const names = new UniqueNameGenerator(model);
  const skippedNodes: SkippedNode[] = [];

  const candidates: Candidate[] = [];
  for (const scope of graphScopes(model)) {
    for (const node of scope.graph.node) {
      const selection = selectNode(node, common, INT8_WEIGHT_OP_TYPES);
      if (selection.kind === 'ignore') continue;
      if (selection.kind === 'skip') {
        skippedNodes.push(skippedRecord(node, selection));
        continue;
      }
      candidates.push({ scope, node, slot: SLOTS.get(node.opType)! });
    }
  }

  const progress = new NodeProgress(candidates.length, signal, input.onProgress);
  const plans = new Map<string, Plan>();
  /**
   * `target` reads the plan's `view` at `slot`: the node itself, or the Transpose of a tied head's table (perm
   * [0, 1]). A `rows` rewrite replaces its Gather (in `graph`) instead.
   */
  let rewrites: {
    node: NodeProto;
    target: NodeProto;
    slot: number;
    plan: Plan;
    view: View;
    graph: GraphProto;
    /** The weight as this node resolved it: its own Cast (one per If branch, say) goes when nothing else reads it. */
    weight: ResolvedWeight;
    /** A tied head's weight as resolved through its Transpose: the Transpose goes with the table. */
    through?: ResolvedWeight;
  }[] = [];
  for (const { scope, node, slot } of candidates) {
    const outcome = planNode(scope, node, slot);
    if ('reason' in outcome) {
      if (!outcome.silent)
        skippedNodes.push({ name: nodeLabel(node), opType: node.opType, reason: outcome.reason });
    } else {
      const { plan, target, view, weight, through } = outcome;
      rewrites.push({
        node,
        ...target,
        plan,
        view,
        graph: scope.graph,
        weight,
        ...(through ? { through } : {}),
      });
    }
    await progress.step();
  }

  function planNode(
    scope: GraphScope,
    node: NodeProto,
    slot: WeightSlot,
  ):
    | {
        plan: Plan;
        target: { target: NodeProto; slot: number };
        view: View;
        weight: ResolvedWeight;
        through?: ResolvedWeight;
      }
    | { reason: string; silent: boolean } {
    let weight = resolveWeight(scope.index, node.input[slot.input] ?? '', allowOverridable);
    if ('reason' in weight)
      return { reason: weight.reason, silent: !weight.overridable && slot.silentWhenNotWeight === true };
    const rank = weight.dims.length;
    const axisOrReason = slot.axis(node, rank);
    if (typeof axisOrReason === 'object') return { reason: axisOrReason.reason, silent: false };
    let axis = perChannel ? axisOrReason : undefined;
    let target = { target: node, slot: slot.input };
    let view: View = 'dq';
    let through: ResolvedWeight | undefined;
    const transpose = weight.transpose;
    if (transpose) {
      // A tied head reads Transpose(table): it reads the int8 table transposed instead, so the head and the
      // Gather share one int8 copy (the head's output channels are the table's rows).
      const plain = resolveWeight(transpose.index, transpose.node.input[0] ?? '', allowOverridable);
      if ('reason' in plain) return { reason: plain.reason, silent: false };
      through = weight;
      weight = plain;
      if (axis !== undefined && transpose.swapped) axis = 1 - axis;
      if (transpose.swapped && node.opType === 'MatMul' && weight.dims.length === 2) view = 'transposed';
      else target = { target: transpose.node, slot: 0 };
    } else if (
      node.opType === 'Gather' &&
      gatherAxis(node, weight.dims.length) === 0 &&
      weight.dims.length === 2 &&
      (axis === 0 || axis === undefined)
    ) {
      view = 'rows';
    }
    const key = `${weight.key}|${axis ?? 'tensor'}`;
    const existing = plans.get(key);
    if (existing) return { plan: existing, target, view, weight, ...(through ? { through } : {}) };
    const count = weight.dims.reduce((a, b) => a * b, 1);
    const channels = axis === undefined ? 1 : (weight.dims[axis] ?? 1);
    const original = storedBytes(weight.ref);
    const quantized = count + channels * 5; // int8 values, a float32 scale and an int8 zero point per channel
    if (quantized >= original) {
      return {
        reason: `weight '${weight.name}' is too small to gain from int8 (${count} values)`,
        silent: false,
      };
    }
    let q: ReturnType<typeof quantizeInt8>;
    try {
      q = quantizeInt8(weight.values, weight.dims, {
        axis,
        symmetric: !common.asymmetric,
        reduceRange: common.reduceRange,
      });
    } catch (error) {
      return {
        reason: `weight '${weight.name}' cannot be quantized: ${(error as Error).message}`,
        silent: false,
      };
    }
    const base = weight.ref.name;
    const qName = names.next(`${base}_quantized`);
    const scaleName = names.next(`${base}_scale`);
    const zpName = names.next(`${base}_zero_point`);
    const paramDims = axis === undefined ? [] : [channels];
    // float16 weights: a float16 scale makes DequantizeLinear output float16 directly (opset >= 19).
    const halfScale = weight.computeType === DT.FLOAT16 && !contribDq && opset >= 19;
    const scaleTensor = halfScale
      ? makeRawTensor(scaleName, DT.FLOAT16, paramDims, littleEndianBytes(float32ArrayToFloat16(q.scales)))
      : makeRawTensor(scaleName, DT.FLOAT, paramDims, littleEndianBytes(q.scales));
    const tensors = [
      makeRawTensor(
        qName,
        DT.INT8,
        weight.dims,
        new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.byteLength),
      ),
      scaleTensor,
      makeRawTensor(
        zpName,
        DT.INT8,
        paramDims,
        new Uint8Array(q.zeroPoints.buffer, q.zeroPoints.byteOffset, q.zeroPoints.byteLength),
      ),
    ];
    const needsCast = weight.computeType !== DT.FLOAT && !halfScale;
    const dqOut = names.next(needsCast ? `${base}_dequantized_float` : `${base}_dequantized`);
    const nodes = [
      makeNode('DequantizeLinear', [qName, scaleName, zpName], [dqOut], {
        name: names.next(`${base}_DequantizeLinear`),
        ...(contribDq ? { domain: 'com.microsoft' } : {}),
        ...(axis === undefined ? {} : { attributes: { axis: { int: axis } } }),
      }),
    ];
    let output = dqOut;
    if (needsCast) {
      output = names.next(`${base}_dequantized`);
      nodes.push(
        makeNode('Cast', [dqOut], [output], {
          name: names.next(`${base}_Cast`),
          attributes: { to: { int: weight.computeType } },
        }),
      );
    }
    const plan: Plan = {
      weight,
      output,
      graph: weight.ref.graph,
      tensors,
      nodes,
      quantizedBytes: tensors.reduce((a, t) => a + t.rawData.length, 0),
      floatBytes: original,
      parts: { scales: q.scales, zeroPoints: q.zeroPoints, qName, scaleName, zpName },
    };
    plans.set(key, plan);
    return { plan, target, view, weight, ...(through ? { through } : {}) };
  }

  /** The `transposed` view of a plan: DequantizeLinear(Transpose(int8 table), axis 1) [-> Cast]. */
  function transposedView(plan: Plan): string {
    if (plan.transposed) return plan.transposed.output;
    const { qName, scaleName, zpName } = plan.parts;
    const base = plan.weight.ref.name;
    const qT = names.next(`${base}_quantized_transposed`);
    const perChannelDq = plan.parts.scales.length > 1;
    const dq = plan.nodes.find((n) => n.opType === 'DequantizeLinear')!;
    const cast = plan.nodes.find((n) => n.opType === 'Cast');
    const dqOut = names.next(`${base}_transposed_dequantized${cast ? '_float' : ''}`);
    const nodes = [
      makeNode('Transpose', [qName], [qT], {
        name: names.next(`${base}_quantized_Transpose`),
        attributes: { perm: { ints: [1, 0] } },
      }),
      makeNode('DequantizeLinear', [qT, scaleName, zpName], [dqOut], {
        name: names.next(`${base}_transposed_DequantizeLinear`),
        ...(dq.domain ? { domain: dq.domain } : {}),
        ...(perChannelDq ? { attributes: { axis: { int: 1 } } } : {}),
      }),
    ];
    let output = dqOut;
    if (cast) {
      output = names.next(`${base}_transposed_dequantized`);
      nodes.push(
        makeNode('Cast', [dqOut], [output], {
          name: names.next(`${base}_transposed_Cast`),
          attributes: cast.attribute.length > 0 ? { to: { int: Number(cast.attribute[0]!.i) } } : {},
        }),
      );
    }
    plan.transposed = { output, nodes };
    return output;
  }

  /** The `rows` view's per-row scale and zero point ([N, 1], or scalars per tensor) beside the int8 table. */
  function rowsView(plan: Plan): TiedInt8Table {
    if (plan.rows) return plan.rows.table;
    const { scales, zeroPoints, qName } = plan.parts;
    const zp = common.asymmetric ? zeroPoints : undefined;
    plan.rows = rowParameters(qName, plan.weight.dims[0]!, scales, zp, names, plan.weight.ref.name);
    return plan.rows.table;
  }

  // A tied head takes the transposed view only where its Transpose feeds nothing else (another head left float, a
  // ReduceSum, a subgraph): else every reader of the Transpose reads it, as the Transpose's input, dequantized.
  const byTranspose = new Map<NodeProto, (typeof rewrites)[number][]>();
  for (const r of rewrites) {
    const transpose = r.view === 'transposed' ? r.through?.transpose : undefined;
    if (transpose) byTranspose.set(transpose.node, [...(byTranspose.get(transpose.node) ?? []), r]);
  }
  for (const [transpose, group] of byTranspose) {
    const { index } = group[0]!.through!.transpose!;
    const heads = new Set(group.map((r) => r.node));
    if (index.onlyReadBy(transpose.output[0] ?? '', (c) => heads.has(c.node) && c.inputIndex === 1)) continue;
    for (const r of group) {
      r.view = 'dq';
      r.target = transpose;
      r.slot = 0;
      delete r.through;
    }
  }

  // A weight some node still reads in float (an excluded tied head, a Gather's table read by another op)
  // would stay in the file beside its int8 copy: the copy only adds bytes, so it is not written.
  const rewritten = new Map<NodeProto, Set<number>>();
  for (const r of rewrites) rewritten.set(r.target, (rewritten.get(r.target) ?? new Set()).add(r.slot));
  // A tied head read through its Transpose: the Transpose goes, so it does not read the table in float.
  for (const r of rewrites) if (r.through?.transpose) rewritten.set(r.through.transpose.node, new Set([0]));
  const dropped = new Set<Plan>();
  // Asked before anything is rewritten, so one index per graph holds throughout.
  const indexOf = perGraph((graph) => new GraphIndex(graph));
  // The Casts each plan's readers see the weight through (several when If branches each cast it).
  const castsOf = new Map<Plan, Map<NodeProto, GraphProto>>();
  for (const { plan, weight } of rewrites) {
    const casts = castsOf.get(plan) ?? new Map<NodeProto, GraphProto>();
    if (weight.cast && weight.castGraph) casts.set(weight.cast, weight.castGraph);
    castsOf.set(plan, casts);
  }
  for (const plan of plans.values()) {
    const readers = floatReaders(plan.weight, castsOf.get(plan) ?? new Map(), rewritten, indexOf);
    if (readers.length === 0) continue;
    dropped.add(plan);
    const by = readers.length <= 3 ? listWords(readers) : counted(readers.length, 'node');
    const reason =
      `weight '${plan.weight.ref.name}' is also read in float by ${by}, which this method leaves alone, so the ` +
      `file keeps it; an int8 copy beside it would add ${plan.quantizedBytes} bytes instead of saving any`;
    for (const r of rewrites) {
      if (r.plan === plan) skippedNodes.push({ name: nodeLabel(r.node), opType: r.node.opType, reason });
    }
  }
  for (const [key, plan] of plans) if (dropped.has(plan)) plans.delete(key);
  rewrites = rewrites.filter((r) => !dropped.has(r.plan));

  // Apply: new initializers and the views' nodes go at the front of the graph holding the weight (their inputs
  // are all initializers); consumers then read their view. A view no consumer reads is not written.
  const values = new Map<(typeof rewrites)[number], string>();
  for (const r of rewrites)
    values.set(r, r.view === 'transposed' ? transposedView(r.plan) : r.view === 'rows' ? '' : r.plan.output);
  const dqRead = new Set(rewrites.filter((r) => r.view === 'dq').map((r) => r.plan));
  for (const r of rewrites) if (r.view === 'rows') rowsView(r.plan);
  const inserted = new Map<GraphProto, number>();
  let dequantizeLinears = 0;
  for (const plan of plans.values()) {
    // The int8 data always; the scale and zero point only where a DequantizeLinear reads them (a table only
    // Gathers read has its own per-row ones).
    const dequantized = dqRead.has(plan) || plan.transposed !== undefined;
    const tensors = dequantized ? plan.tensors : plan.tensors.filter((t) => t.name === plan.parts.qName);
    plan.graph.initializer.push(...tensors, ...(plan.rows?.tensors ?? []));
    plan.quantizedBytes = [...tensors, ...(plan.rows?.tensors ?? [])].reduce(
      (a, t) => a + t.rawData.length,
      0,
    );
    const nodes = [...(dqRead.has(plan) ? plan.nodes : []), ...(plan.transposed?.nodes ?? [])];
    dequantizeLinears += nodes.filter((n) => n.opType === 'DequantizeLinear').length;
    const at = inserted.get(plan.graph) ?? 0;
    plan.graph.node.splice(at, 0, ...nodes);
    inserted.set(plan.graph, at + nodes.length);
  }
  for (const r of rewrites) {
    if (r.view !== 'rows') {
      r.target.input[r.slot] = values.get(r)!;
      continue;
    }
    // The Gather becomes a lookup of int8 rows, dequantized as they are taken, where it stood.
    const at = r.graph.node.indexOf(r.node);
    const rows = dequantizedGather(
      r.node,
      rowsView(r.plan),
      r.plan.parts.scales.length > 1,
      r.plan.weight.computeType,
      names,
    );
    r.graph.node.splice(at, 1, ...rows);
  }
  const { inputsRemoved, keptInFloat } = removeUnusedOriginals([
    ...[...plans.values()].map((p) => p.weight),
    ...rewrites.map((r) => r.weight),
    ...rewrites.flatMap((r) => (r.through ? [r.through] : [])),
  ]);
  const kept = keptInFloatNote(keptInFloat);
  if (kept) note(kept);

  if (plans.size > 0) {
    // The com.microsoft DequantizeLinear, where one was written (a table only Gathers read needs none).
    if (contribDq && dequantizeLinears > 0) {
      if ((opsetVersion(model, 'com.microsoft') ?? 0) < 1) setOpsetVersion(model, 'com.microsoft', 1);
      note(
        `The model's opset is ${opset}; ${perChannel ? 'per-channel' : 'per-tensor'} DequantizeLinear needs ${needOpset}, ` +
          'so the com.microsoft DequantizeLinear (same semantics, valid at any opset, run by ONNX Runtime) was used instead of raising the opset.',
      );
    }
    const q = [...plans.values()].reduce((a, p) => a + p.quantizedBytes, 0);
    const f = [...plans.values()].reduce((a, p) => a + p.floatBytes, 0);
    note(
      `${counted(plans.size, 'weight')} quantized to int8: ${f} -> ${q} bytes (${((q / f) * 100).toFixed(1)}%).`,
    );
    if (inputsRemoved > 0) {
      note(
        `${counted(inputsRemoved, 'quantized weight')} ${inputsRemoved === 1 ? 'was' : 'were'} also listed as graph inputs (IR < 4 style); ${inputsRemoved === 1 ? 'that input entry was' : 'those input entries were'} removed.`,
      );
    }
  }
  return { quantizedNodes: rewrites.length, skippedNodes };
}

/**
 * Nodes (by label) of the stored weight's own graph that would still read it in float after the rewrites:
 * readers of the constant, or of a Cast in front of it that the plan's readers see it through (`casts`, with the
 * graph of each), that are not rewritten. Readers inside subgraphs are not judged here (removeUnusedOriginals
 * says those afterwards).
 */
function floatReaders(
  weight: ResolvedWeight,
  casts: ReadonlyMap<NodeProto, GraphProto>,
  rewritten: ReadonlyMap<NodeProto, ReadonlySet<number>>,
  indexOf: (graph: GraphProto) => GraphIndex,
): string[] {
  const index = indexOf(weight.ref.graph);
  const out: string[] = [];
  const visit = (idx: GraphIndex, name: string, throughCast: boolean): void => {
    if (idx.isGraphOutput(name)) out.push(`the graph output '${name}'`);
    for (const { node, inputIndex } of idx.consumersOf(name)) {
      if (rewritten.get(node)?.has(inputIndex)) continue;
      const castGraph = throughCast ? casts.get(node) : undefined;
      if (castGraph) visit(indexOf(castGraph), node.output[0] ?? '', false);
      else if (node.opType === 'Transpose' && isDefaultDomain(node.domain)) {
        // Name the tied head the user knows rather than the Transpose the exporter put in front of it.
        const readers = idx.consumersOf(node.output[0] ?? '').map((c) => `'${nodeLabel(c.node)}'`);
        out.push(`${readers.length > 0 ? listWords(readers) : 'nothing'} (through '${nodeLabel(node)}')`);
      } else out.push(`'${nodeLabel(node)}'`);
    }
  };
  visit(index, weight.ref.name, true);
  return out;
}

export const int8WeightMethod: QuantizeMethod<typeof int8WeightOptionsSchema> = {
  ...QUANTIZE_METHOD_SPECS['int8-weight'],
  quantize: quantizeInt8Weights,
  streamsExternalData: true,
  opTypes: [...SLOTS.keys()],
  selectableOpTypes: [...SLOTS.keys()],
};

registerQuantizeMethod(int8WeightMethod);
