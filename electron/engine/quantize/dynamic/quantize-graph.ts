import type { GraphProto, ModelProto, NodeProto, TensorProto } from 'onnx-buf';
import { TensorProto_DataType } from 'onnx-buf';
import { StudioError } from '../../errors.js';
import { floatAttribute, intAttribute } from '../../onnx/attributes.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { dtypeName } from '../../onnx/dtypes.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { makeFloatTensor, makeValueInfo } from '../../onnx/graph-build.js';
import {
  type ConstantRef,
  GraphIndex,
  UniqueNameGenerator,
  localDefinitions,
  opsetVersion,
  removeInitializers,
  removeNodes,
  setOpsetVersion,
  subgraphsOf,
  perGraph,
  ValueTypes,
} from '../../onnx/graph.js';
import { type ResolvedConstant, resolveFloatConstant } from '../../onnx/resolve-constant.js';
import { encodeTensor } from '../../onnx/tensor-codec.js';
import { allFinite, quantizeWeight } from '../quant-params.js';
import { EXCLUDED_SKIP, type SkippedNode } from '../quantize-method.js';
import { type TransposeView, resolveWeightConstant } from '../transposed-constant.js';
import { graphId, keptInFloatNote, type OriginalsRemoved, storedBytes } from '../weight-only/weights.js';
import { type ColumnQuantized, quantizeColumns } from './column-quant.js';
import { gathersOfTable } from '../weight-only/tied-gather.js';
import { dequantizedGather } from '../int8-rows.js';
import { headTranspose, tiedTableTensors } from './tied-table.js';
import {
  type ConvEmit,
  type MatMulEmit,
  MS_DOMAIN,
  type QuantizedWeightNames,
  emitConvInteger,
  emitFusedMatMul,
  emitOnnxMatMul,
} from './emit.js';

/*
 * The graph rewrite behind int8-dynamic: every MatMul / Gemm (and, when asked, Conv) with a constant
 * float weight becomes an int8-weight node whose activation is quantized at run time. Nodes are
 * planned against an index of the unedited graph, then all replacements are spliced in at once; a weight
 * shared by several nodes is quantized once in the model, into the graph that stores it, where the nodes of
 * its subgraphs read it too (an Optimum merged decoder's two If branches read the same weights); float weights nothing reads any more are
 * removed at the end (with the Cast and Constant nodes that produced them), and those another node still
 * reads in float (a tied embedding's Gather) are kept and said, as the weight-only methods say them.
 */

const DT = TensorProto_DataType;

/** A weight as #weight resolves it: the stored constant, and the Transpose the node reads it through. */
type DynamicWeight = ResolvedConstant & { transpose: TransposeView | undefined };

export type DynamicForm = 'fused' | 'onnx';

export interface DynamicSettings {
  perChannel: boolean;
  symmetric: boolean;
  reduceRange: boolean;
  form: DynamicForm;
  /** Op types to quantize (of MatMul, Gemm, Conv). */
  opTypes: ReadonlySet<string>;
  /** Whether the user chose the op types (else Conv nodes are reported as skipped by default). */
  explicitOpTypes: boolean;
  excludeNodes: ReadonlySet<string>;
  signal?: AbortSignal | undefined;
  onNode?: ((done: number, total: number) => void) | undefined;
  note: (message: string) => void;
}

export interface DynamicResult {
  quantizedNodes: number;
  skippedNodes: SkippedNode[];
}

export const SUPPORTED_OP_TYPES: readonly string[] = ['MatMul', 'Gemm', 'Conv'];
export const DEFAULT_OP_TYPES: readonly string[] = ['MatMul', 'Gemm'];

/** Why Conv is left in float unless asked for (see docs/quantize-dynamic.md for the measurements). */
export const CONV_DEFAULT_SKIP_REASON =
  'Conv is left in float by default: onnxruntime has no fused dynamic Conv kernel, and DynamicQuantizeLinear + ' +
  'ConvInteger (im2col, unpacked weights) measured slower than float Conv on the CPU provider. Pass --op-types ' +
  'with Conv to quantize it anyway, or use int8-static (QLinearConv).';

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Quantization was cancelled.');
}

/** A node's planned replacement. */
interface Replacement {
  /** Emitted in place of this node (the folded Add when a bias is folded: it comes last). */
  anchor: NodeProto;
  /** Original nodes that disappear (the node itself, a folded Add). */
  removes: NodeProto[];
  emit: () => NodeProto[];
}

class Skip extends Error {
  /** The flag of the option that kept the node float, when one did (SkippedNode.option). */
  readonly option: string | undefined;
  constructor(reason: string, option?: string) {
    super(reason);
    this.option = option;
  }
}

/** Rewrites a whole model; returns counts and the skipped nodes. */
export class DynamicQuantizer {
  readonly #model: ModelProto;
  readonly #s: DynamicSettings;
  readonly #names: UniqueNameGenerator;
  readonly #opset: number;
  readonly #allowOverridable: boolean;
  readonly #form: DynamicForm;
  #done = 0;
  #total = 0;
  #quantized = 0;
  #usedMsDomain = false;
  readonly #skipped: SkippedNode[] = [];
  /** Original constants that may have become unused, per owning graph. */
  readonly #maybeUnused = new Map<GraphProto, Set<string>>();
  /** The stored constants of the weights that were quantized, per owning graph and name. */
  readonly #quantizedWeights = new Map<GraphProto, Map<string, ConstantRef>>();
  /**
   * Quantized copies of stored weights, one per weight (and view) in the whole model, in the graph that stores the
   * float weight: the nodes of every graph that reads it (its If branches, Loop bodies) read that copy.
   */
  readonly #shared = new Map<string, QuantizedWeightNames>();
  /** The Gathers of tied tables (tied-table.ts), rewritten with the graph they are in. */
  readonly #tiedGathers: Replacement[] = [];
  readonly #claimedGathers = new Set<NodeProto>();
  /** Declared activation types per graph (planning adds initializers, never changes those). */
  readonly #valueTypes = perGraph((graph) => new ValueTypes(graph));

  constructor(model: ModelProto, settings: DynamicSettings) {
    this.#model = model;
    this.#s = settings;
    this.#names = new UniqueNameGenerator(model);
    this.#opset = opsetVersion(model, '') ?? 1;
    this.#allowOverridable = model.irVersion < 4n;
    this.#form = settings.form;
    if (settings.form === 'onnx' && this.#opset < 11) {
      this.#form = 'fused';
      settings.note(
        `The model is at opset ${this.#opset}; the standard form needs DynamicQuantizeLinear (opset 11), so MatMul/Gemm ` +
          'were written as com.microsoft DynamicQuantizeMatMul instead (valid at any opset) and the opset was left as is.',
      );
    }
  }

  async run(): Promise<DynamicResult> {
    const graph = this.#model.graph;
    if (!graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
    this.#total = this.#countCandidates(graph);
    this.#s.onNode?.(0, this.#total);
    await this.#processGraph(graph, undefined);
    this.#removeUnused(graph);
    const kept = keptInFloatNote(this.#keptInFloat());
    if (kept) this.#s.note(kept);
    if (this.#usedMsDomain && opsetVersion(this.#model, MS_DOMAIN) === undefined) {
      setOpsetVersion(this.#model, MS_DOMAIN, 1);
    }
    return { quantizedNodes: this.#quantized, skippedNodes: this.#skipped };
  }

  #countCandidates(graph: GraphProto): number {
    let n = 0;
    for (const node of graph.node) {
      if (isDefaultDomain(node.domain) && SUPPORTED_OP_TYPES.includes(node.opType)) n++;
      for (const sub of subgraphsOf(node)) n += this.#countCandidates(sub);
    }
    return n;
  }

  async #processGraph(graph: GraphProto, parent: GraphIndex | undefined): Promise<void> {
    const index = new GraphIndex(graph, parent);
    for (const node of graph.node) for (const sub of subgraphsOf(node)) await this.#processGraph(sub, index);

    const cache = new Map<string, QuantizedWeightNames>();
    const replacements: Replacement[] = [];
    const claimed = new Set<NodeProto>();
    let lastYield = performance.now();
    for (const node of [...graph.node]) {
      if (!isDefaultDomain(node.domain) || !SUPPORTED_OP_TYPES.includes(node.opType)) continue;
      throwIfAborted(this.#s.signal);
      try {
        const r = this.#plan(node, index, graph, cache, claimed);
        if (r) {
          replacements.push(r);
          for (const n of r.removes) claimed.add(n);
        }
      } catch (error) {
        if (!(error instanceof Skip)) throw error;
        // Named as every method names a skipped node (an unnamed one by its op type and output).
        this.#skipped.push({
          name: nodeLabel(node),
          opType: node.opType,
          reason: error.message,
          ...(error.option ? { option: error.option } : {}),
        });
      }
      this.#done++;
      this.#s.onNode?.(this.#done, this.#total);
      if (performance.now() - lastYield > 20) {
        // Let the event loop run (abort signals, progress rendering) during long rewrites.
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    throwIfAborted(this.#s.signal);
    const gathers = this.#tiedGathers.splice(0);
    if (replacements.length === 0) return;

    const byAnchor = new Map<NodeProto, Replacement>();
    const removed = new Set<NodeProto>();
    for (const r of [...replacements, ...gathers]) {
      byAnchor.set(r.anchor, r);
      for (const n of r.removes) removed.add(n);
    }
    const out: NodeProto[] = [];
    for (const node of graph.node) {
      const r = byAnchor.get(node);
      if (r) out.push(...r.emit());
      else if (!removed.has(node)) out.push(node);
    }
    graph.node = out;
    this.#quantized += replacements.length;
  }

  #skip(reason: string, option?: string): never {
    throw new Skip(reason, option);
  }

  #plan(
    node: NodeProto,
    index: GraphIndex,
    graph: GraphProto,
    cache: Map<string, QuantizedWeightNames>,
    claimed: ReadonlySet<NodeProto>,
  ): Replacement | undefined {
    const s = this.#s;
    if (!s.opTypes.has(node.opType)) {
      if (node.opType === 'Conv' && !s.explicitOpTypes) this.#skip(CONV_DEFAULT_SKIP_REASON);
      return undefined;
    }
    if (s.excludeNodes.has(node.name)) this.#skip(EXCLUDED_SKIP.reason, EXCLUDED_SKIP.option);
    if (claimed.has(node)) this.#skip('already rewritten as part of another node');
    switch (node.opType) {
      case 'MatMul':
        return this.#planMatMul(node, index, graph, cache, claimed);
      case 'Gemm':
        return this.#planGemm(node, index, graph, cache);
      case 'Conv':
        return this.#planConv(node, index, graph);
      default:
        return undefined;
    }
  }

  /**
   * The constant weight at input `slot` (as stored: a tied head's Transpose(table) gives the table and
   * the Transpose), or a skip with the reason.
   */
  #weight(node: NodeProto, index: GraphIndex, slot: number, other: number): DynamicWeight {
    const name = node.input[slot] ?? '';
    if (name === '') this.#skip('the node has no weight input');
    const found = resolveWeightConstant(index, name, this.#allowOverridable);
    if (!found.ok) {
      const otherName = node.input[other] ?? '';
      if (otherName !== '' && resolveFloatConstant(index, otherName, this.#allowOverridable).ok) {
        this.#skip(
          `only the left operand '${otherName}' is constant; int8-dynamic quantizes a constant right-hand weight ` +
            `and the activation at run time`,
        );
      }
      this.#skip(
        `both inputs are computed at run time (${found.reason}); there is no constant weight to quantize`,
      );
    }
    const c = found.constant;
    const input = node.input[other] ?? '';
    if (input === '') this.#skip('the node has no activation input');
    if (resolveFloatConstant(index, input, this.#allowOverridable).ok) {
      this.#skip('both inputs are constant (constant folding, not quantization, applies)');
    }
    if (c.computeType !== DT.FLOAT && c.computeType !== DT.FLOAT16) {
      this.#skip(
        `the node computes in ${dtypeName(c.computeType)}; int8-dynamic supports float32 and float16 nodes`,
      );
    }
    if (!allFinite(c.values)) this.#skip(`weight '${name}' holds non-finite values (inf or NaN)`);
    // Object.assign keeps the lazy `values` getter.
    return Object.assign(c, { transpose: found.transpose });
  }

  #remember(graph: GraphProto, c: ResolvedConstant & { transpose?: TransposeView | undefined }): void {
    if (c.transpose) {
      // The Transpose is in `graph` (looked up in this graph only); #removeUnused drops it, then what it read.
      let local = this.#maybeUnused.get(graph);
      if (!local) this.#maybeUnused.set(graph, (local = new Set()));
      local.add(c.transpose.node.output[0] ?? '');
    }
    const owner = c.ref.graph;
    let set = this.#maybeUnused.get(owner);
    if (!set) this.#maybeUnused.set(owner, (set = new Set()));
    set.add(c.ref.name);
    if (c.cast) {
      let local = this.#maybeUnused.get(graph);
      if (!local) this.#maybeUnused.set(graph, (local = new Set()));
      local.add(c.name);
    }
  }

  /** `c` was quantized: its float original is removed at the end unless another node still reads it. */
  #quantizedWeight(c: ResolvedConstant): void {
    const { ref } = c;
    let names = this.#quantizedWeights.get(ref.graph);
    if (!names) this.#quantizedWeights.set(ref.graph, (names = new Map()));
    names.set(ref.name, ref);
  }

  /** The quantized weights whose float originals are still in the file after #removeUnused: still read. */
  #keptInFloat(): OriginalsRemoved['keptInFloat'] {
    const kept: OriginalsRemoved['keptInFloat'] = [];
    for (const [graph, refs] of this.#quantizedWeights) {
      const stored = new Set<object>([...graph.initializer, ...graph.sparseInitializer, ...graph.node]);
      for (const ref of refs.values()) {
        const holder =
          ref.kind === 'initializer'
            ? ref.initializer
            : ref.kind === 'sparse-initializer'
              ? ref.sparse
              : ref.node;
        if (stored.has(holder)) kept.push({ name: ref.name, bytes: storedBytes(ref) });
      }
    }
    return kept;
  }

  #addInitializer(graph: GraphProto, tensor: TensorProto): string {
    graph.initializer.push(tensor);
    if (this.#allowOverridable && graph === this.#model.graph) {
      // IR < 4: every initializer must also be declared as a graph input.
      graph.input.push(makeValueInfo(tensor.name, tensor.dataType, tensor.dims.map(Number)));
    }
    return tensor.name;
  }

  /** Where a stored weight's quantized copy is cached (`view`: how it was quantized) and written: its own graph. */
  #sharedKey(c: ResolvedConstant, view: string): string {
    return `${graphId(c.ref.graph)}:${c.ref.name}|${c.computeType}|${view}`;
  }

  /**
   * Quantizes a [K, N] (or transposed [N, K]) weight once in the model, into the graph that stores it (which every
   * node reading it can see); returns its names.
   */
  #quantizedMatrix(c: ResolvedConstant, transposed: boolean, alpha: number): QuantizedWeightNames {
    const key = this.#sharedKey(c, `${transposed ? 'T' : 'N'}|${alpha}`);
    const hit = this.#shared.get(key);
    if (hit) return hit;
    const graph = c.ref.graph;
    const [d0, d1] = c.dims as [number, number];
    const rows = transposed ? d1 : d0;
    const cols = transposed ? d0 : d1;
    const s = this.#s;
    const q = quantizeColumns(c.values, rows, cols, {
      perChannel: s.perChannel,
      symmetric: s.symmetric,
      reduceRange: s.reduceRange,
      transposed,
      multiplier: alpha,
    });
    const base = `${c.ref.name}${transposed ? '_transposed' : ''}${alpha !== 1 ? '_scaled' : ''}`;
    const weight = this.#addInitializer(
      graph,
      encodeTensor(this.#names.next(`${base}_quantized`), DT.INT8, [rows, cols], q.data),
    );
    const names = { weight, ...this.#columnParams(graph, base, q) };
    this.#shared.set(key, names);
    return names;
  }

  /**
   * Whether the table's float copy goes once the head and its Gathers read the int8 one: nothing else reads it (an
   * excluded or other head, a subgraph, the graph's output). Else the Gathers stay float and the head gets its own
   * copy, as before: moving them to int8 would cost precision and save nothing.
   */
  #onlyTiedReaders(
    index: GraphIndex,
    value: string,
    gathers: readonly NodeProto[],
    reader: NodeProto,
  ): boolean {
    const tied = new Set<NodeProto>([...gathers, reader]);
    if (!index.onlyReadBy(value, (c) => tied.has(c.node))) return false;
    if (reader.opType !== 'Transpose') return true;
    // A Transpose feeds heads this method quantizes (MatMul's weight, not excluded), and nothing else.
    return index.onlyReadBy(
      reader.output[0] ?? '',
      (c) =>
        c.node.opType === 'MatMul' &&
        isDefaultDomain(c.node.domain) &&
        c.inputIndex === 1 &&
        this.#s.opTypes.has('MatMul') &&
        !this.#s.excludeNodes.has(c.node.name),
    );
  }

  /** The kernel's b_scale and b_zero_point ([N] per column, or scalars; times Gemm's alpha), as initializers. */
  #columnParams(
    graph: GraphProto,
    base: string,
    q: ColumnQuantized,
    alpha = 1,
  ): Omit<QuantizedWeightNames, 'weight'> {
    const paramDims = this.#s.perChannel ? [q.cols] : [];
    const scales = alpha === 1 ? q.scales : q.scales.map((v) => v * alpha);
    return {
      scale: this.#addInitializer(
        graph,
        makeFloatTensor(this.#names.next(`${base}_scale`), paramDims, scales),
      ),
      zeroPoint: this.#s.symmetric
        ? undefined
        : this.#addInitializer(
            graph,
            encodeTensor(this.#names.next(`${base}_zero_point`), DT.INT8, paramDims, q.zeroPoints),
          ),
    };
  }

  /**
   * A weight stored [N, K] and read transposed: where Gathers of this graph look up its rows (an embedding tied to
   * the head), one int8 table serves the head and them (tied-table.ts); else the head's own [K, N] int8 copy.
   */
  #tiedOrQuantized(
    graph: GraphProto,
    index: GraphIndex,
    cache: Map<string, QuantizedWeightNames>,
    w: DynamicWeight,
    head: NodeProto,
    alpha = 1,
  ): QuantizedWeightNames {
    const key = `${w.ref.name}|tied|${alpha}`;
    const hit = cache.get(key);
    if (hit) return hit;
    // The value both read: the Transpose's input, or the Gemm's B itself.
    const value = w.transpose ? w.transpose.node.input[0]! : w.name;
    const gathers =
      w.transpose && w.transpose.graph !== graph
        ? []
        : gathersOfTable(graph, value, this.#s.excludeNodes).filter((g) => !this.#claimedGathers.has(g));
    if (gathers.length === 0 || !this.#onlyTiedReaders(index, value, gathers, w.transpose?.node ?? head))
      return this.#quantizedMatrix(w, true, alpha);
    const s = this.#s;
    const [n, k] = w.dims as [number, number];
    const q = quantizeColumns(w.values, k, n, {
      perChannel: s.perChannel,
      symmetric: s.symmetric,
      reduceRange: s.reduceRange,
      transposed: true,
    });
    const base = w.ref.name;
    const { tensors, table } = tiedTableTensors(q, this.#names, base, s.symmetric);
    for (const tensor of tensors) this.#addInitializer(graph, tensor);
    const transpose = headTranspose(table, this.#names);
    // First in the graph: the rebuild keeps nodes no replacement names, in order.
    graph.node.unshift(transpose);
    // Gemm's alpha scales the head's product only: its scales, not the rows the Gathers read.
    const names = { weight: transpose.output[0]!, ...this.#columnParams(graph, base, q, alpha) };
    cache.set(key, names);
    for (const gather of gathers) {
      this.#claimedGathers.add(gather);
      this.#tiedGathers.push({
        anchor: gather,
        removes: [gather],
        emit: () => dequantizedGather(gather, table, s.perChannel, w.computeType, this.#names),
      });
    }
    const looked = gathers.map((g) => `'${nodeLabel(g)}'`).join(', ');
    // --exclude-nodes matches names: an unnamed Gather cannot be kept in float that way, and is said to be.
    const unnamed = gathers.some((g) => g.name === '');
    s.note(
      `The embedding ${gathers.length === 1 ? 'Gather' : 'Gathers'} ${looked} ${gathers.length === 1 ? 'reads' : 'read'} the head's int8 ` +
        `table '${base}' (each row dequantized as it is looked up), so the float table is not kept beside it; ` +
        (unnamed
          ? `${gathers.length === 1 ? 'it has' : 'one has'} no name for --exclude-nodes to take, ` +
            (head.name !== ''
              ? `so keep the table in float with --exclude-nodes ${head.name} (the head) instead.`
              : 'and neither has the head: name them in the model to keep the table in float.')
          : `--exclude-nodes with ${gathers.length === 1 ? 'its name keeps it' : 'their names keeps them'} in float.`),
    );
    return names;
  }

  /** A float32 1-D bias from a constant (scaled), as a new initializer unless it can be used as is. */
  #vectorBias(graph: GraphProto, c: ResolvedConstant, n: number, scale = 1): string {
    if (
      c.computeType === DT.FLOAT &&
      !c.cast &&
      c.dims.length === 1 &&
      scale === 1 &&
      c.ref.graph === graph
    ) {
      return c.name;
    }
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (c.values[i] as number) * scale;
    return this.#addInitializer(graph, makeFloatTensor(this.#names.next(`${c.ref.name}_bias`), [n], values));
  }

  /** A following Add whose other input is a constant [N] (or [1, ..., N]) bias, foldable into the kernel. */
  #foldableBias(
    node: NodeProto,
    index: GraphIndex,
    n: number,
    computeType: number,
    claimed: ReadonlySet<NodeProto>,
  ): { add: NodeProto; bias: ResolvedConstant } | undefined {
    const out = node.output[0] ?? '';
    if (out === '' || index.isGraphOutput(out) || index.implicitConsumersOf(out).length > 0) return undefined;
    const consumers = index.consumersOf(out);
    if (consumers.length !== 1) return undefined;
    const add = consumers[0]!.node;
    if (add.opType !== 'Add' || !isDefaultDomain(add.domain) || add.input.length !== 2 || claimed.has(add))
      return undefined;
    const other = add.input[0] === out ? add.input[1] : add.input[0];
    if (other === undefined || other === out || other === '') return undefined;
    const found = resolveFloatConstant(index, other, this.#allowOverridable);
    if (!found.ok) return undefined;
    const bias = found.constant;
    if (bias.computeType !== computeType) return undefined;
    const dims = bias.dims;
    if (dims.length === 0 || dims[dims.length - 1] !== n) return undefined;
    if (dims.length > 1) {
      // [1, ..., 1, N] keeps the output shape only if the product has at least that rank.
      if (dims.slice(0, -1).some((d) => d !== 1)) return undefined;
      const aInfo = this.#valueTypes(index.graph).get(node.input[0] ?? '');
      if (!aInfo?.rankKnown || aInfo.shape.length < dims.length) return undefined;
    }
    if (!allFinite(bias.values)) return undefined;
    return { add, bias };
  }

  #emitMatMul(e: MatMulEmit): NodeProto[] {
    if (this.#form === 'fused') {
      this.#usedMsDomain = true;
      return emitFusedMatMul(e, this.#names);
    }
    return emitOnnxMatMul(e, this.#names);
  }

  #planMatMul(
    node: NodeProto,
    index: GraphIndex,
    graph: GraphProto,
    cache: Map<string, QuantizedWeightNames>,
    claimed: ReadonlySet<NodeProto>,
  ): Replacement {
    const w = this.#weight(node, index, 1, 0);
    if (w.dims.length !== 2) {
      this.#skip(`the weight '${w.name}' is ${w.dims.length}-D; int8-dynamic quantizes 2-D MatMul weights`);
    }
    // Transpose(table) is the stored [N, K] table read transposed, as Gemm's transB reads it.
    const transposed = w.transpose?.swapped === true;
    const n = w.dims[transposed ? 0 : 1]!;
    const fold =
      this.#form === 'fused' ? this.#foldableBias(node, index, n, w.computeType, claimed) : undefined;
    const output = fold ? (fold.add.output[0] ?? '') : (node.output[0] ?? '');
    const weight = transposed
      ? this.#tiedOrQuantized(graph, index, cache, w, node)
      : this.#quantizedMatrix(w, transposed, 1);
    this.#remember(graph, w);
    this.#quantizedWeight(w);
    let bias: string | undefined;
    if (fold) {
      bias = this.#vectorBias(graph, fold.bias, n);
      this.#remember(graph, fold.bias);
    }
    const e: MatMulEmit = {
      name: node.name,
      input: node.input[0] ?? '',
      output,
      weight,
      bias,
      float16: w.computeType === DT.FLOAT16,
    };
    return {
      anchor: fold ? fold.add : node,
      removes: fold ? [node, fold.add] : [node],
      emit: () => this.#emitMatMul(e),
    };
  }

  #planGemm(
    node: NodeProto,
    index: GraphIndex,
    graph: GraphProto,
    cache: Map<string, QuantizedWeightNames>,
  ): Replacement {
    if (intAttribute(node, 'transA', 0) !== 0) this.#skip('Gemm with transA = 1 is left in float');
    const w = this.#weight(node, index, 1, 0);
    if (w.dims.length !== 2) this.#skip(`the Gemm weight '${w.name}' is not 2-D`);
    const transB = (intAttribute(node, 'transB', 0) !== 0) !== (w.transpose?.swapped === true);
    const alpha = floatAttribute(node, 'alpha', 1);
    const beta = floatAttribute(node, 'beta', 1);
    if (alpha === 0 || !Number.isFinite(alpha)) this.#skip(`Gemm alpha = ${alpha} is left in float`);
    const n = transB ? w.dims[0]! : w.dims[1]!;
    const float16 = w.computeType === DT.FLOAT16;

    let bias: string | undefined;
    let addAfter: string | undefined;
    let biasConstant: ResolvedConstant | undefined;
    let planBias = (): void => undefined;
    const cName = node.input[2] ?? '';
    if (cName !== '' && beta !== 0) {
      const found = resolveFloatConstant(index, cName, this.#allowOverridable);
      if (!found.ok) {
        if (float16 || beta !== 1)
          this.#skip('Gemm with a run-time C is only quantized in float32 with beta = 1');
        addAfter = cName;
      } else {
        const c = found.constant;
        if (c.computeType !== w.computeType) this.#skip('Gemm C has another element type than the weight');
        if (!allFinite(c.values)) this.#skip(`Gemm C '${cName}' holds non-finite values`);
        biasConstant = c;
        const vector =
          c.dims.length >= 1 && c.dims[c.dims.length - 1] === n && c.dims.slice(0, -1).every((d) => d === 1);
        planBias = () => {
          if (vector) {
            bias = this.#vectorBias(graph, c, n, beta);
          } else {
            const values = Float32Array.from(c.values, (v) => v * beta);
            addAfter = this.#addInitializer(
              graph,
              makeFloatTensor(this.#names.next(`${c.ref.name}_c`), c.dims, values),
            );
          }
        };
      }
    }
    const weight = transB
      ? this.#tiedOrQuantized(graph, index, cache, w, node, alpha)
      : this.#quantizedMatrix(w, transB, alpha);
    this.#remember(graph, w);
    this.#quantizedWeight(w);
    planBias();
    if (biasConstant) this.#remember(graph, biasConstant);
    const e: MatMulEmit = {
      name: node.name,
      input: node.input[0] ?? '',
      output: node.output[0] ?? '',
      weight,
      bias,
      addAfter,
      float16,
    };
    return { anchor: node, removes: [node], emit: () => this.#emitMatMul(e) };
  }

  #planConv(node: NodeProto, index: GraphIndex, graph: GraphProto): Replacement {
    if (this.#opset < 11) {
      this.#skip(`Conv needs DynamicQuantizeLinear (opset 11); the model is at opset ${this.#opset}`);
    }
    const w = this.#weight(node, index, 1, 0);
    if (w.computeType !== DT.FLOAT) this.#skip('int8-dynamic quantizes float32 Conv only');
    if (w.dims.length < 3) this.#skip(`the Conv weight '${w.name}' has rank ${w.dims.length}`);
    const s = this.#s;
    if (s.perChannel && !s.symmetric) {
      this.#skip(
        "onnxruntime's ConvInteger takes one weight zero point: asymmetric per-channel Conv weights are not supported (use --per-tensor or symmetric weights)",
      );
    }
    const m = w.dims[0]!;
    const spatial = w.dims.length - 2;
    const bName = node.input[2] ?? '';
    let b: ResolvedConstant | undefined;
    if (bName !== '') {
      const found = resolveFloatConstant(index, bName, this.#allowOverridable);
      if (!found.ok) this.#skip(`the Conv bias '${bName}' is not constant`);
      b = found.constant;
      if (b.dims.length !== 1 || b.dims[0] !== m) this.#skip(`the Conv bias '${bName}' is not [${m}]`);
    }
    // Once in the model, in the weight's own graph (as #quantizedMatrix).
    const key = this.#sharedKey(w, 'conv');
    let weight = this.#shared.get(key);
    if (!weight) {
      const owner = w.ref.graph;
      const q = quantizeWeight(w.values, w.dims, {
        type: 'int8',
        symmetric: s.symmetric,
        reduceRange: s.reduceRange,
        ...(s.perChannel ? { axis: 0 } : {}),
      });
      const paramDims = s.perChannel ? [m, ...new Array<number>(spatial).fill(1)] : [];
      const base = w.ref.name;
      weight = {
        weight: this.#addInitializer(
          owner,
          encodeTensor(this.#names.next(`${base}_quantized`), DT.INT8, w.dims, q.data),
        ),
        scale: this.#addInitializer(
          owner,
          makeFloatTensor(this.#names.next(`${base}_scale`), paramDims, q.scales),
        ),
        zeroPoint: s.symmetric
          ? undefined
          : this.#addInitializer(
              owner,
              encodeTensor(this.#names.next(`${base}_zero_point`), DT.INT8, [], q.zeroPoints),
            ),
      };
      this.#shared.set(key, weight);
    }
    this.#remember(graph, w);
    this.#quantizedWeight(w);
    let bias: string | undefined;
    if (b) {
      const values = Float32Array.from(b.values);
      bias = this.#addInitializer(
        graph,
        makeFloatTensor(
          this.#names.next(`${b.ref.name}_bias`),
          [m, ...new Array<number>(spatial).fill(1)],
          values,
        ),
      );
      this.#remember(graph, b);
    }
    const e: ConvEmit = {
      name: node.name,
      input: node.input[0] ?? '',
      output: node.output[0] ?? '',
      weight,
      bias,
      attributes: node.attribute,
    };
    return { anchor: node, removes: [node], emit: () => emitConvInteger(e, this.#names) };
  }

  /**
   * Removes original constants nothing reads any more: Cast outputs (the Cast node), then the stored
   * constants (initializer, sparse initializer or Constant node), and their value_info entries.
   * Subgraphs first, since they may read outer constants.
   */
  #removeUnused(graph: GraphProto): void {
    for (const node of graph.node) for (const sub of subgraphsOf(node)) this.#removeUnused(sub);
    const candidates = this.#maybeUnused.get(graph);
    if (!candidates || candidates.size === 0) return;
    // Until nothing more dies: a Transpose, then the Cast it read, then the stored constant.
    for (;;) {
      const index = new GraphIndex(graph);
      const deadNodes = new Set<NodeProto>();
      const deadNames = new Set<string>();
      const unreadConstants = new Set<string>();
      for (const name of candidates) {
        if (index.isUsed(name)) continue;
        const producer = index.producer(name)?.node;
        if (producer) {
          if (producer.output.every((o) => o === '' || o === name || !index.isUsed(o))) {
            deadNodes.add(producer);
            deadNames.add(name);
            // Its input (the stored constant behind a Cast) may become unused in the next pass.
            for (const i of producer.input) if (i !== '') candidates.add(i);
          }
        } else {
          unreadConstants.add(name);
        }
      }
      // One pass over the initializers for all of them (one per name is quadratic on big graphs).
      for (const name of removeInitializers(graph, unreadConstants)) deadNames.add(name);
      if (deadNodes.size > 0) removeNodes(graph, deadNodes);
      if (deadNames.size > 0) {
        const defined = localDefinitions(graph);
        graph.valueInfo = graph.valueInfo.filter((vi) => !deadNames.has(vi.name) || defined.has(vi.name));
      }
      if (deadNodes.size === 0) break;
    }
  }
}
