import { type GraphProto, type ModelProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { counted, listWords } from '../../../../shared/counted.js';
import { StudioError } from '../../errors.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { dtypeName } from '../../onnx/dtypes.js';
import {
  type ConstantRef,
  GraphIndex,
  perGraph,
  removeInitializers,
  removeNodes,
  subgraphsOf,
} from '../../onnx/graph.js';
import type { ResolvedConstant } from '../../onnx/resolve-constant.js';
import { tensorByteSize } from '../../onnx/tensor-codec.js';
import {
  type CommonQuantizeOptions,
  EXCLUDED_SKIP,
  type QuantizeProgress,
  type SkippedNode,
} from '../quantize-method.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { type TransposeView, resolveWeightConstant } from '../transposed-constant.js';

/*
 * What the weight-only methods share: walking the main graph and its subgraphs with indexes that
 * know their enclosing scopes, choosing nodes from --op-types / --exclude-nodes, finding the constant
 * weight behind a node input (initializer, sparse initializer or Constant node, possibly behind a Cast
 * to float as half-precision checkpoints are exported), cancellation, and removing originals that the
 * rewrite left unused.
 */

/** One graph of the model (the main graph or a subgraph) with an index whose `parent` is its enclosing graph's. */
export interface GraphScope {
  graph: GraphProto;
  index: GraphIndex;
}

/** The main graph and, depth first, every subgraph (If branches, Loop/Scan bodies). */
export function graphScopes(model: ModelProto): GraphScope[] {
  const out: GraphScope[] = [];
  const visit = (graph: GraphProto, parent: GraphIndex | undefined): void => {
    const index = new GraphIndex(graph, parent);
    out.push({ graph, index });
    for (const node of graph.node) for (const sub of subgraphsOf(node)) visit(sub, index);
  };
  if (model.graph) visit(model.graph, undefined);
  return out;
}

/** Whether a node is a candidate: its op type is supported and selected; or why it is left out. */
export type Selection =
  | { kind: 'candidate' }
  | { kind: 'ignore' }
  /** `option`: the flag of the option that kept it float (SkippedNode.option). */
  | { kind: 'skip'; reason: string; option?: string };

export function selectNode(
  node: NodeProto,
  common: CommonQuantizeOptions,
  supported: ReadonlySet<string>,
): Selection {
  if (!isDefaultDomain(node.domain) || !supported.has(node.opType)) return { kind: 'ignore' };
  if (common.opTypes && !common.opTypes.includes(node.opType)) return { kind: 'ignore' };
  if (node.name !== '' && common.excludeNodes.includes(node.name)) {
    return { kind: 'skip', ...EXCLUDED_SKIP };
  }
  return { kind: 'candidate' };
}

/** The report's record of a node `selectNode` skipped. */
export function skippedRecord(node: NodeProto, skip: { reason: string; option?: string }): SkippedNode {
  return {
    name: nodeLabel(node),
    opType: node.opType,
    reason: skip.reason,
    ...(skip.option ? { option: skip.option } : {}),
  };
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Quantization was cancelled.');
}

/** Reports progress and gives the event loop a turn every few nodes, so that an abort can land. */
export class NodeProgress {
  #done = 0;
  #lastYield = performance.now();

  constructor(
    readonly total: number,
    readonly signal: AbortSignal | undefined,
    readonly onProgress: ((p: QuantizeProgress) => void) | undefined,
    readonly phase = 'quantizing',
  ) {
    onProgress?.({ phase, done: 0, total });
  }

  /** Call after each node (or with the amount done, in the total's unit); throws CANCELLED when the signal has fired. */
  async step(amount = 1): Promise<void> {
    this.#done += amount;
    this.onProgress?.({ phase: this.phase, done: this.#done, total: this.total });
    if (performance.now() - this.#lastYield > 50) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#lastYield = performance.now();
    }
    throwIfCancelled(this.signal);
  }
}

/**
 * A constant float weight as a node sees it (see onnx/resolve-constant.ts), with what the weight-only
 * methods add: whether a graph input could override it, and a key for sharing quantized copies.
 */
export interface ResolvedWeight extends ResolvedConstant {
  /**
   * True when a graph input of the same name could override the stored value: IR < 4 models list every
   * initializer as an input, and such weights are quantized as constants and their input entries removed
   * (resolveWeight takes them only when asked to, see there).
   */
  overridable: boolean;
  /** Identifies the stored tensor and its view across the whole model (for sharing quantized copies). */
  key: string;
  /**
   * The 2-D Transpose the node reads the constant through (a tied LM head), if any. `dims` and `values`
   * stay as stored: the method swaps its layout when `transpose.swapped`.
   */
  transpose: TransposeView | undefined;
}

const graphIds = new WeakMap<GraphProto, number>();
let nextGraphId = 1;
/** A number identifying a graph object for the life of the process (keys of shared quantized copies). */
export function graphId(graph: GraphProto): number {
  let id = graphIds.get(graph);
  if (id === undefined) {
    id = nextGraphId++;
    graphIds.set(graph, id);
  }
  return id;
}

/** Why resolveWeight did not give a weight; `overridable` when it is a constant a graph input may replace. */
export interface NotAWeight {
  reason: string;
  overridable?: true;
}

/**
 * The float constant behind input `name` of a node in `index`'s graph, looking through one Cast (in
 * this graph or an enclosing one) to float32, float16 or bfloat16 and a 2-D Transpose after it; or why
 * it is not one.
 *
 * `allowOverridable`: whether an initializer that a graph input of the same name may replace is taken. Pass
 * `model.irVersion < 4n`. An IR < 4 model lists every initializer as an input, as that IR required, so nobody
 * means to feed them and the quantized model drops those entries. From IR 4 on, an initializer listed as an input
 * is a default the user may override on purpose (int8-dynamic leaves those too): quantizing one would take that
 * input away and change the model's interface, so it stays float, with the reason.
 */
export function resolveWeight(
  index: GraphIndex,
  name: string,
  allowOverridable: boolean,
): ResolvedWeight | NotAWeight {
  if (name === '') return { reason: 'the weight input is missing' };
  const found = resolveWeightConstant(index, name, true, { castInOuterScopes: true });
  if (!found.ok) return { reason: found.reason };
  const transpose = found.transpose;
  const c = found.constant;
  if (!allowOverridable && c.ref.kind === 'initializer' && c.ref.overridable) {
    return {
      reason:
        `weight '${c.ref.name}' is also a graph input, so it can be replaced at run time; quantizing it would ` +
        'take that input away (an IR 4 or later model lists only the inputs meant to be fed)',
      overridable: true,
    };
  }
  if (c.computeType !== DT.FLOAT && c.computeType !== DT.FLOAT16 && c.computeType !== DT.BFLOAT16) {
    return {
      reason: `weight '${name}' is used as ${dtypeName(c.computeType)}; only float32, float16 and bfloat16 are supported`,
    };
  }
  const stored = c.ref;
  // A Cast is keyed by the type it gives, not by the node: the Casts to float that each If branch of a float16
  // checkpoint holds give the same values, so the branches share one quantized copy in the weight's graph.
  const castKey = c.cast ? `:cast${c.computeType}` : '';
  const transposeKey = transpose ? `:T${graphId(transpose.graph)}:${transpose.node.output[0] ?? ''}` : '';
  // Object.assign keeps the lazy `values` getter (a spread would decode the tensor now).
  return Object.assign(c, {
    overridable: stored.kind === 'initializer' && stored.overridable,
    key: `${graphId(stored.graph)}:${stored.name}${castKey}${transposeKey}`,
    transpose,
  });
}

/** What removing the replaced weights did: input entries removed, and the weights other nodes still read. */
export interface OriginalsRemoved {
  /** Graph input entries of overridable initializers removed with their weights (IR < 4 models). */
  inputsRemoved: number;
  /**
   * Weights a node the method leaves alone still reads in float (a tied embedding: int4 rewrites the output
   * MatMul, the Gather still reads the table), so the file keeps them beside their quantized copies.
   */
  keptInFloat: { name: string; bytes: number }[];
}

/**
 * After a rewrite: removes the stored weights (and the Casts and Transposes in front of them) that
 * nothing reads any more. `weights` are the resolved weights whose consumers were rewritten.
 */
export function removeUnusedOriginals(weights: Iterable<ResolvedWeight>): OriginalsRemoved {
  const uses = new UseTracker();
  // Removed at the end, in one pass per graph: a pass per weight is quadratic on models with thousands.
  const dropNodes = new Map<GraphProto, Set<NodeProto>>();
  const dropInitializers = new Map<GraphProto, Set<string>>();
  const drop = <T>(lists: Map<GraphProto, Set<T>>, graph: GraphProto, item: T) =>
    lists.set(graph, (lists.get(graph) ?? new Set<T>()).add(item));
  let inputsRemoved = 0;
  const keptInFloat: OriginalsRemoved['keptInFloat'] = [];
  const all = [...weights];
  // Outermost readers first, each once: Transposes (which read a Cast or the constant), then Casts, then the
  // stored constants, so that a table read both directly and through a Transpose is judged after both went.
  const viewNodes = (pick: (w: ResolvedWeight) => { node: NodeProto; graph: GraphProto } | undefined) =>
    new Map(all.map(pick).flatMap((v) => (v ? [[v.node, v.graph] as const] : [])));
  for (const views of [
    viewNodes((w) => w.transpose),
    viewNodes((w) => (w.cast && w.castGraph ? { node: w.cast, graph: w.castGraph } : undefined)),
  ]) {
    for (const [node, graph] of views) {
      if (uses.isUsed(graph, node.output[0] ?? '')) continue;
      drop(dropNodes, graph, node);
      uses.removed(graph, node);
    }
  }
  const seen = new Set<string>();
  for (const w of all) {
    const stored = `${graphId(w.ref.graph)}:${w.ref.name}`;
    if (seen.has(stored)) continue;
    seen.add(stored);
    if (uses.isUsed(w.ref.graph, w.ref.name)) {
      keptInFloat.push({ name: w.ref.name, bytes: storedBytes(w.ref) });
      continue;
    }
    switch (w.ref.kind) {
      case 'initializer':
      case 'sparse-initializer':
        if (w.overridable) inputsRemoved += 1;
        drop(dropInitializers, w.ref.graph, w.ref.name);
        break;
      case 'constant-node':
        drop(dropNodes, w.ref.graph, w.ref.node);
        break;
    }
  }
  for (const [graph, nodes] of dropNodes) removeNodes(graph, nodes);
  for (const [graph, names] of dropInitializers) removeInitializers(graph, names, { removeInput: true });
  return { inputsRemoved, keptInFloat };
}

/**
 * The note for weights kept in float beside their quantized copies, or undefined when there are none: the file
 * is bigger than the method's ratio says, and why (`diff` would otherwise show the copy as added scales).
 */
export function keptInFloatNote(kept: OriginalsRemoved['keptInFloat']): string | undefined {
  if (kept.length === 0) return undefined;
  const bytes = kept.reduce((sum, k) => sum + k.bytes, 0);
  const names = kept.length <= 3 ? listWords(kept.map((k) => `'${k.name}'`)) : counted(kept.length, 'weight');
  const one = kept.length === 1;
  return (
    `${names} ${one ? 'is' : 'are'} also read in float by ${one ? 'a node' : 'nodes'} this method leaves alone (a ` +
    `Gather of a tied embedding, say), so the file keeps ${one ? 'it' : 'them'} beside the quantized ` +
    `${one ? 'copy' : 'copies'}: ${bytes} bytes more than the quantized weights alone.`
  );
}

/**
 * Whether values are still read while nodes are removed: one index per graph, built once, and a count of
 * the reads the removed nodes made. Rebuilding an index per weight made removing N weights cost N passes
 * over the graph (most of int4's time on a 400-layer MLP went to building indexes).
 */
class UseTracker {
  readonly #indexOf = perGraph((graph) => new GraphIndex(graph));
  readonly #droppedReadsOf = perGraph(() => new Map<string, number>());

  isUsed(graph: GraphProto, name: string): boolean {
    const index = this.#indexOf(graph);
    const dropped = this.#droppedReadsOf(graph).get(name) ?? 0;
    if (index.consumersOf(name).length > dropped || index.isGraphOutput(name)) return true;
    // A subgraph that captures the name reads it only while a node of its own (or of a nested subgraph) still
    // does: an If whose branches each read a float16 table through a Cast the rewrite removed reads it no more
    // (counting the If as a reader kept such tables in the file beside their quantized copies).
    return index
      .implicitConsumersOf(name)
      .some((node) =>
        subgraphsOf(node).some((sub) => !this.#indexOf(sub).definesLocally(name) && this.isUsed(sub, name)),
      );
  }

  /** `node` (no subgraphs: a Cast or Transpose) was removed from `graph`: its reads no longer count. */
  removed(graph: GraphProto, node: NodeProto): void {
    const dropped = this.#droppedReadsOf(graph);
    for (const name of node.input) if (name !== '') dropped.set(name, (dropped.get(name) ?? 0) + 1);
  }
}

/** Bytes a constant takes in the file as stored (a sparse one: its values and indices). */
export function storedBytes(ref: ConstantRef): number {
  if (ref.kind === 'sparse-initializer') {
    const { values, indices } = ref.sparse;
    return (values ? tensorByteSize(values) : 0) + (indices ? tensorByteSize(indices) : 0);
  }
  return tensorByteSize(ref.tensor);
}
