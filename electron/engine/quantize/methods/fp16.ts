import { counted } from '../../../../shared/counted.js';
import {
  type GraphProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';
import { attributeOf, intAttribute, setIntAttribute } from '../../onnx/attributes.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { float32ToFloat16Clamped } from '../../onnx/float16.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  findConstant,
  removeInitializers,
  removeNodes,
  replaceConstant,
  subgraphCaptures,
  subgraphsOf,
  topologicalOrder,
} from '../../onnx/graph.js';
import { littleEndianBytes, makeAttribute, makeNode, makeRawTensor } from '../../onnx/graph-build.js';
import { expectedByteLength } from '../../onnx/external-data.js';
import { constantBytesByType } from '../../onnx/constant-bytes.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { decodeToFloat32 } from '../../onnx/tensor-codec.js';
import { spillInSteps, spillWhenDue, untrackNewTensor } from '../../onnx/streamed-weights.js';
import { registerQuantizeMethod } from '../method-registry.js';
import {
  EXCLUDED_SKIP,
  type QuantizeInput,
  type QuantizeMethod,
  type QuantizeOutcome,
  type QuantizeProgress,
} from '../quantize-method.js';
import { inferElementTypes } from '../../onnx/element-types.js';
import {
  NodeProgress,
  throwIfCancelled,
} from '../weight-only/weights.js';
import { cloneProto } from '../../onnx/clone-proto.js';
import { fp16OptionsSchema, QUANTIZE_METHOD_SPECS } from '../../../../shared/options/quantize-options.js';
import {
  type ConvertGraph,
  type FreeUses,
  type Fp16Options,
  type Fp16Run,
  type Fp16Scope,
  type KeptFloat,
  type Use,
  addTo,
  bodiesNote,
  bodiesTouchFloat,
  convertBodies,
  countNodes,
  keptHolderReason,
  redirect,
  stepOverBodies,
} from './fp16-subgraphs.js';

/*
 * fp16: float32 weights and compute to float16 (what GPUs and ARM CPUs run at twice the speed and half
 * the memory). What it emits:
 * - float32 initializers / Constant-node values read only by converted nodes become float16 in place;
 *   one read by both converted and float32 nodes is kept and a float16 copy added (no lossy round trip
 *   for the float32 side). Values beyond ±65504 are clamped to ±65504 (reported); tiny ones that
 *   underflow to 0 are counted.
 * - Nodes compute in float16 unless blocked: the default block list (ops that are numerically unsafe
 *   in float16 or whose float inputs must stay float32, see DEFAULT_FP16_BLOCK_LIST), the user's
 *   `blockOpTypes`, --exclude-nodes, nodes not in --op-types, nodes outside the default domain, and
 *   "shape math": float arithmetic on integers cast from tensor shapes (int -> float -> int), where
 *   float16 would lose integers above 2048.
 * - If / Loop / Scan bodies are converted by the same rules, graph by graph (fp16-subgraphs.ts): each
 *   body's own inputs and outputs stay float32, so the If / Loop / Scan node's interface is unchanged, and
 *   a value a body captures is converted or cast in the graph that defines it. A node holding subgraphs
 *   that --exclude-nodes or a block list names stays float32 together with its bodies.
 * - A Cast is inserted at every float16/float32 boundary: into and out of blocked nodes, at the inputs
 *   and outputs of bodies, for outer values that float32 readers in bodies capture, and (keepIoTypes, the
 *   default) after float32 graph inputs and before float32 graph outputs, so the model's interface is
 *   unchanged. Without keepIoTypes the main graph's interface itself becomes float16.
 * - Attributes that carry the float type are rewritten on converted nodes: Cast `to`, ConstantOfShape
 *   `value`, EyeLike `dtype`. value_info and graph input/output types are updated.
 * Element types come from a small type inference (onnx/element-types.ts).
 */
export const DEFAULT_FP16_BLOCK_LIST: readonly string[] = [
  // Numerically unsafe in float16, or float32-only inputs.
  'Resize', // coordinate transforms need float32 precision; `scales` is float32-only
  'Upsample', // same (float32-only `scales`)
  'TopK', // ties and ordering change when values collapse onto the float16 grid
  'NonMaxSuppression', // IoU thresholds on box coordinates; float32-only in onnxruntime
  'RoiAlign', // box coordinates
  'Range', // start + i * delta loses integers above 2048 and accumulates error
  'CumSum', // running sums overflow / lose precision
  'SoftmaxCrossEntropyLoss', // reductions over classes
  'NegativeLogLikelihoodLoss',
  'DFT', // long accumulations; float32 kernels only in onnxruntime
  'STFT',
  // Their float output type comes from an attribute this converter does not rewrite.
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Bernoulli',
  'Multinomial',
  'HannWindow',
  'HammingWindow',
  'BlackmanWindow',
  'MelWeightMatrix',
  'TfIdfVectorizer',
  // Quantization ops: their scales and outputs are float32 by contract at most opsets.
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'MatMulInteger',
  'ConvInteger',
  // Sequences and optionals (their element types are not tracked).
  'SequenceAt',
  'SequenceConstruct',
  'SequenceEmpty',
  'SequenceErase',
  'SequenceInsert',
  'SequenceLength',
  'SequenceMap',
  'SplitToSequence',
  'ConcatFromSequence',
  'Optional',
  'OptionalGetElement',
  'OptionalHasElement',
];

/** Inputs of converted nodes that must stay float32 (`scales` of Resize / Upsample). */
const FLOAT32_ONLY_INPUTS: ReadonlyMap<string, ReadonlySet<number>> = new Map([
  ['Resize', new Set([1, 2])],
  ['Upsample', new Set([1])],
]);
/** Outputs of converted nodes that stay float32 (LayerNormalization's statistics use stash_type). */
const FLOAT32_ONLY_OUTPUTS: ReadonlyMap<string, ReadonlySet<number>> = new Map([
  ['LayerNormalization', new Set([1, 2])],
]);
/** Ops that only look at the shape of a tensor: they accept either type and need no Cast. */
const TYPE_AGNOSTIC = new Set(['Shape', 'Size']);

export { fp16OptionsSchema };

const F32 = DT.FLOAT;
const F16 = DT.FLOAT16;

function setElemType(vi: ValueInfoProto, elemType: number): void {
  const v = vi.type?.value;
  if (v && (v.case === 'tensorType' || v.case === 'sparseTensorType')) v.value.elemType = elemType;
}

/** A copy of a tensor's data under another name (a float16 weight moved behind a folded Cast). */
function renamedCopy(tensor: TensorProto, name: string): TensorProto {
  const copy = cloneProto(TensorProtoSchema, tensor);
  copy.name = name;
  return copy;
}

function castNode(from: string, to: string, type: number, name: string): NodeProto {
  return makeNode('Cast', [from], [to], { name, attributes: { to: { int: type } } });
}

/** What clamping and underflow did to the weights, for the notes. */
interface HalfStats {
  clamped: number;
  underflowed: number;
  clampedTensors: string[];
}

/** Values converted per step: a few milliseconds of work, so a cancel lands within a large tensor. */
const CHUNK_VALUES = 1 << 20;

/**
 * The weights' conversion to float16, most of fp16's time on a large model. It reports the `converting` phase in
 * float32 bytes (done of the model's float32 constants: converted, or kept float32), and steps a tensor at a time
 * and, within a large tensor, a chunk at a time: each step checks for cancellation and, every 50 ms, gives the
 * event loop a turn (NodeProgress), so a Ctrl+C or a job's Cancel lands within a fraction of a second and the
 * transform's clean-up (a streamed run's scratch file) runs. Before, this had neither: the bar stood still and a
 * cancelled job was killed after its grace period, leaving its scratch file. For the same reason a streamed run
 * spills the converted weights to its scratch file in steps too (spillWhenDue), not 128 MB at once.
 */
class HalfConversion {
  readonly stats: HalfStats = { clamped: 0, underflowed: 0, clampedTensors: [] };
  #done = 0;
  #progress: NodeProgress | undefined;

  constructor(
    readonly total: number,
    readonly signal: AbortSignal | undefined,
    readonly onProgress: ((p: QuantizeProgress) => void) | undefined,
  ) {}

  /** Whether converting has begun (the node pass's progress stops then: one phase at a time). */
  get started(): boolean {
    return this.#progress !== undefined;
  }

  /** A float16 copy of `tensor` named `name`. */
  readonly toHalf = async (tensor: TensorProto, name: string): Promise<TensorProto> => {
    // Every weight converted before this one is in place by now.
    await spillWhenDue(() => this.#advance(0));
    const values = decodeToFloat32(tensor);
    const bits = new Uint16Array(values.length);
    const { stats } = this;
    let clampedHere = 0;
    for (let start = 0; start < values.length; start += CHUNK_VALUES) {
      const end = Math.min(values.length, start + CHUNK_VALUES);
      const { clamped, underflowed } = float32ToFloat16Clamped(
        values.subarray(start, end),
        bits.subarray(start, end),
      );
      clampedHere += clamped;
      stats.underflowed += underflowed;
      await this.#advance((end - start) * 4);
    }
    if (values.length === 0) await this.#advance(0);
    if (clampedHere > 0) {
      stats.clamped += clampedHere;
      stats.clampedTensors.push(name);
    }
    return makeRawTensor(name, F16, tensor.dims, littleEndianBytes(bits));
  };

  /** A float32 initializer that stays float32: done, as far as the progress goes. */
  readonly keepFloat = (initializer: TensorProto | undefined): Promise<void> =>
    this.#advance(initializer ? Number(expectedByteLength(initializer) ?? 0n) : 0);

  /** Every weight is done: the bar at its end (constants no float node reads were never counted). */
  finish(): Promise<void> {
    return this.#advance(this.total - this.#done);
  }

  async #advance(bytes: number): Promise<void> {
    this.#progress ??= new NodeProgress(this.total, this.signal, this.onProgress, 'converting');
    // Counted up to the total: the folded Casts' float16 copies of other constants were not in it.
    const step = Math.max(0, Math.min(bytes, this.total - this.#done));
    this.#done += step;
    await this.#progress.step(step);
  }
}

async function convertToFloat16(input: QuantizeInput<Fp16Options>): Promise<QuantizeOutcome> {
  const { model, common, options, note, signal } = input;
  throwIfCancelled(signal);
  spillInSteps();
  const graph = model.graph;
  if (!graph) return { quantizedNodes: 0, skippedNodes: [] };
  const index = new GraphIndex(graph);
  const types = inferElementTypes(index);
  const { onProgress } = input;
  const weights = new HalfConversion(constantBytesByType(graph).float32 ?? 0, signal, onProgress);
  // Deciding the nodes is quick (no weight is read): its own phase, until converting begins (a body's may after).
  const analysing = onProgress && ((p: QuantizeProgress) => (weights.started ? undefined : onProgress(p)));
  const run: Fp16Run = {
    options,
    common,
    blocked: new Set([...DEFAULT_FP16_BLOCK_LIST, ...options.blockOpTypes]),
    names: new UniqueNameGenerator(model),
    progress: new NodeProgress(countNodes(graph), signal, analysing, 'analysing'),
    skippedNodes: [],
    toHalf: weights.toHalf,
    keepFloat: weights.keepFloat,
    counts: {
      converted: 0,
      folded: 0,
      constants: 0,
      inputsRemoved: 0,
      keptHolders: 0,
      bodies: 0,
      bodyNodes: 0,
      doubled: [],
    },
  };
  await convertGraph(run, { graph, index, types, place: '', shapeDerived: new Set() });
  await weights.finish();
  const { stats } = weights;
  // Said only where there was a float32 input or output to keep (a model already in float16 has none).
  const floatIo =
    options.keepIoTypes && [...graph.input, ...graph.output].some((v) => types.get(v.name) === F32);
  for (const message of notes(run, stats, floatIo)) note(message);
  return { quantizedNodes: run.counts.converted - run.counts.folded, skippedNodes: run.skippedNodes };
}

function notes(run: Fp16Run, stats: HalfStats, floatIo: boolean): string[] {
  const { folded, keptHolders, inputsRemoved, converted, constants } = run.counts;
  const out: string[] = [];
  if (folded > 0) out.push(`${folded} Casts of half-precision weights were folded into float16 weights.`);
  if (stats.clamped > 0) {
    const tensors = stats.clampedTensors;
    out.push(
      `${stats.clamped} values beyond the float16 range were clamped to ±65504 in ${tensors.length} tensors ` +
        `(${tensors.slice(0, 5).join(', ')}${tensors.length > 5 ? ', ...' : ''}).`,
    );
  }
  if (stats.underflowed > 0)
    out.push(`${counted(stats.underflowed, 'nonzero weight value')} ${stats.underflowed === 1 ? 'is' : 'are'} too small for float16 and became 0.`);
  if (keptHolders > 0)
    out.push(
      `${counted(keptHolders, 'node')} with subgraphs (If/Loop/Scan) ${keptHolders === 1 ? 'was' : 'were'} kept in float32 with ${keptHolders === 1 ? 'its' : 'their'} subgraphs.`,
    );
  const bodies = bodiesNote(run);
  if (bodies) out.push(bodies);
  if (inputsRemoved > 0)
    out.push(
      `${counted(inputsRemoved, 'converted weight')} ${inputsRemoved === 1 ? 'was' : 'were'} also listed as graph inputs (IR < 4 style); ${inputsRemoved === 1 ? 'that input entry was' : 'those input entries were'} removed.`,
    );
  const { doubled } = run.counts;
  if (doubled.length > 0)
    out.push(
      `${counted(doubled.length, 'constant')} (${quoteSome(doubled)}) ${doubled.length === 1 ? 'is' : 'are'} read by float32 ` +
        `nodes too (excluded or kept float32): ${doubled.length === 1 ? 'it keeps its float32 bytes and gains' : 'they keep their float32 bytes and gain'} ` +
        'a float16 copy, which makes the file larger, not smaller, for those weights.',
    );
  out.push(
    `${counted(converted - folded, 'node')} and ${counted(constants, 'constant')} converted to float16${floatIo ? '; float32 inputs and outputs kept float32' : ''}.`,
  );
  return out;
}

/**
 * Converts one graph (the main graph or a body), its bodies first. A body resolves with its reads of values
 * that enclosing graphs define; the main graph with none.
 */
const convertGraph: ConvertGraph = async (run, scope) => {
  const { converted, holders } = await decideNodes(run, scope);
  const bodyReads = await convertBodies(run, scope, holders, convertGraph);
  const work = graphWork(run, scope, converted);
  const { uses, free } = collectUses(work, bodyReads);
  await resolveValues(work, uses);
  await rewriteFloatAttributes(work);
  updateDeclaredTypes(work);
  const graph = scope.graph;
  graph.node = [...work.atStart, ...graph.node.flatMap((n) => [n, ...(work.after.get(n) ?? [])])];
  const folded = await foldHalfCasts(work);
  run.counts.converted += converted.size;
  run.counts.folded += folded;
  if (!work.main) run.counts.bodyNodes += converted.size - folded;
  return free;
};

const isFloatIn =
  (types: ReadonlyMap<string, number>) =>
  (name: string): boolean =>
    name !== '' && types.get(name) === F32;

function skip(run: Fp16Run, scope: Fp16Scope, node: NodeProto, kept: KeptFloat): void {
  // Skipped body nodes say which body, as diff names it (`loop/body`): their names need not be unique.
  const where = scope.place === '' ? '' : ` (inside ${scope.place})`;
  const { reason, option } = typeof kept === 'string' ? { reason: kept, option: undefined } : kept;
  run.skippedNodes.push({
    name: nodeLabel(node),
    opType: node.opType,
    reason: `${reason}${where}`,
    ...(option ? { option } : {}),
  });
}

/**
 * Ops whose output values are those of one input (the data), picked at positions the others give: a Gather of a
 * float table (a position embedding) at indices computed from a sequence length yields the table's floats, not
 * sizes, so it is shape math only when its data is.
 */
const PICKS_FROM_DATA: ReadonlySet<string> = new Set(['Gather', 'GatherElements', 'GatherND']);

/**
 * "Shape math": values computed from tensor sizes (Shape/Size, then any node reading only such values and
 * constants, where the values it outputs come from such values: a Gather's from its data). Its float arithmetic
 * stays float32 so that integers above 2048 stay exact. Adds this graph's such values to `shapeDerived`; returns
 * the test for a node.
 */
function shapeMathTest(
  order: readonly NodeProto[],
  shapeDerived: Set<string>,
  isConstant: (name: string) => boolean,
): (node: NodeProto) => boolean {
  const shapeDerivedNode = (node: NodeProto): boolean => {
    const inputs = node.input.filter((n) => n !== '');
    const values =
      PICKS_FROM_DATA.has(node.opType) && isDefaultDomain(node.domain) ? node.input.slice(0, 1) : inputs;
    return (
      inputs.length > 0 &&
      values.some((n) => shapeDerived.has(n)) &&
      inputs.every((n) => shapeDerived.has(n) || isConstant(n))
    );
  };
  for (const node of order) {
    if ((TYPE_AGNOSTIC.has(node.opType) && isDefaultDomain(node.domain)) || shapeDerivedNode(node)) {
      for (const o of node.output) if (o !== '') shapeDerived.add(o);
    }
  }
  return shapeDerivedNode;
}

/** Why a node stays float32, or undefined when it computes in float16. */
function keptReason(node: NodeProto, run: Fp16Run, shapeMath: boolean): KeptFloat | undefined {
  const { common, options, blocked } = run;
  if (!isDefaultDomain(node.domain)) return `op of domain '${node.domain}'; kept in float32`;
  if (node.name !== '' && common.excludeNodes.includes(node.name)) return EXCLUDED_SKIP;
  if (common.opTypes && !common.opTypes.includes(node.opType)) return 'not in --op-types';
  if (options.blockOpTypes.includes(node.opType)) return 'in the block list (blockOpTypes)';
  if (blocked.has(node.opType)) return 'in the default float16 block list';
  if (shapeMath) return 'computes on tensor sizes (shape math); kept in float32 so integers stay exact';
  return undefined;
}

/** 1. Which nodes of the graph compute in float16, and which nodes' bodies are converted. */
async function decideNodes(
  run: Fp16Run,
  scope: Fp16Scope,
): Promise<{ converted: Set<NodeProto>; holders: NodeProto[] }> {
  const { index } = scope;
  const isFloat = isFloatIn(scope.types);
  const isConstant = (name: string): boolean =>
    findConstant(index, name, { allowOverridable: true }) !== undefined;
  const order = topologicalOrder(index);
  const shapeDerivedNode = shapeMathTest(order, scope.shapeDerived, isConstant);
  const converted = new Set<NodeProto>();
  const holders: NodeProto[] = [];
  // The progress total counts the nodes of every body: a node whose bodies are not converted steps over them.
  const done = async (node: NodeProto, descended = false): Promise<void> => {
    await run.progress.step();
    if (!descended) await stepOverBodies(run, node);
  };
  for (const node of order) {
    const isConstantNode = node.opType === 'Constant' && isDefaultDomain(node.domain);
    const captures = subgraphCaptures(node);
    const touchesFloat = node.input.some(isFloat) || node.output.some(isFloat) || captures.some(isFloat);
    if (subgraphsOf(node).length > 0 && isDefaultDomain(node.domain)) {
      // Its bodies are converted whatever its own inputs are: a body may compute in float on int inputs.
      const reason = keptHolderReason(node, run);
      if (!reason) holders.push(node);
      // Kept whole: listed where it or its bodies compute in float (a body may on int inputs, as above).
      else if (touchesFloat || bodiesTouchFloat(scope, node)) {
        skip(run, scope, node, reason);
        run.counts.keptHolders += 1;
      }
      await done(node, !reason);
      continue;
    }
    if (isConstantNode || !touchesFloat || (TYPE_AGNOSTIC.has(node.opType) && isDefaultDomain(node.domain))) {
      await done(node);
      continue;
    }
    const reason = keptReason(node, run, shapeDerivedNode(node));
    if (reason) skip(run, scope, node, reason);
    else converted.add(node);
    await done(node);
  }
  return { converted, holders };
}

/** One graph's conversion in progress. */
interface GraphWork {
  run: Fp16Run;
  graph: GraphProto;
  index: GraphIndex;
  /** The main graph (its interface follows keepIoTypes; a body's stays float32). */
  main: boolean;
  keepIo: boolean;
  converted: ReadonlySet<NodeProto>;
  isFloat: (name: string) => boolean;
  /** Casts to insert: at the start of the graph, and after the node producing what they read. */
  atStart: NodeProto[];
  after: Map<NodeProto, NodeProto[]>;
}

function graphWork(run: Fp16Run, scope: Fp16Scope, converted: ReadonlySet<NodeProto>): GraphWork {
  const main = scope.index.parent === undefined;
  return {
    run,
    graph: scope.graph,
    index: scope.index,
    main,
    keepIo: main ? run.options.keepIoTypes : true,
    converted,
    isFloat: isFloatIn(scope.types),
    atStart: [],
    after: new Map(),
  };
}

/**
 * 2. Every read of a float32 value, and the type it wants. Reads of values this graph does not define (a
 * body's captures) are returned apart, for the graph that defines them.
 */
function collectUses(
  work: GraphWork,
  bodyReads: ReadonlyMap<NodeProto, FreeUses>,
): { uses: Map<string, Use[]>; free: FreeUses } {
  const { graph, index, isFloat, converted, main } = work;
  const uses = new Map<string, Use[]>();
  const free: FreeUses = new Map();
  const local = (name: string): boolean => main || index.definesLocally(name);
  const addUse = (name: string, use: Use): void => addTo(local(name) ? uses : free, name, use);
  for (const node of graph.node) {
    const agnostic = TYPE_AGNOSTIC.has(node.opType) && isDefaultDomain(node.domain);
    node.input.forEach((name, slot) => {
      if (!isFloat(name) || agnostic) return;
      const want = converted.has(node) && !FLOAT32_ONLY_INPUTS.get(node.opType)?.has(slot) ? F16 : F32;
      addUse(name, { kind: 'input', node, slot, want });
    });
    const reads = bodyReads.get(node);
    if (reads) {
      for (const [name, list] of reads) if (isFloat(name)) for (const use of list) addUse(name, use);
    } else {
      for (const name of subgraphCaptures(node))
        if (isFloat(name)) addUse(name, { kind: 'capture', node, want: F32 });
    }
  }
  for (const o of graph.output) {
    if (!isFloat(o.name)) continue;
    if (local(o.name)) addUse(o.name, { kind: 'output', want: work.keepIo ? F32 : F16 });
    else addUse(o.name, { kind: 'body-output', output: o, want: F32 });
  }
  return { uses, free };
}

/** The type a float32 value has after conversion (constants are decided by their uses). */
function producedType(work: GraphWork, name: string): number {
  const p = work.index.producer(name);
  if (!p) return work.keepIo ? F32 : F16; // a graph input
  const n = p.node;
  return work.converted.has(n) && !FLOAT32_ONLY_OUTPUTS.get(n.opType)?.has(p.outputIndex) ? F16 : F32;
}

function place(work: GraphWork, name: string, node: NodeProto): void {
  const p = work.index.producer(name);
  if (p) addTo(work.after, p.node, node);
  else work.atStart.push(node);
}

/**
 * A constant's readers: converted in place when all of them want float16, a float16 copy when some want
 * float32. False when `name` is not a constant of this graph.
 */
async function resolveConstant(work: GraphWork, name: string, list: readonly Use[]): Promise<boolean> {
  const { run, graph, index, main } = work;
  // A body's initializer that is also one of its inputs is an input: the body's interface stays as it is.
  const ref = findConstant(index, name, main ? { allowOverridable: true } : { searchOuterScopes: false });
  if (!ref) return false;
  const wantsHalf = list.filter((u) => u.want === F16);
  if (wantsHalf.length === 0) {
    await run.keepFloat(ref.kind === 'initializer' ? ref.initializer : undefined);
    return true;
  }
  run.counts.constants += 1;
  if (list.every((u) => u.want === F16)) {
    // Only float16 readers: convert in place (an IR < 4 input entry of the same name goes away). The constant
    // gets a copy of the float16 tensor's data: the tensor itself is not spilled (it was, doubling the writes).
    const half = await run.toHalf(ref.tensor, name);
    untrackNewTensor(half);
    replaceConstant(ref, half);
    if (ref.kind === 'initializer' && ref.overridable) {
      graph.input = graph.input.filter((vi) => vi.name !== name);
      run.counts.inputsRemoved += 1;
    }
  } else {
    const copy = run.names.next(`${name}_fp16`);
    graph.initializer.push(await run.toHalf(ref.tensor, copy));
    run.counts.doubled.push(name);
    for (const u of wantsHalf) redirect(u, name, copy);
  }
  return true;
}

/** 3. Gives every reader the type it wants: converted constants, float16 copies, Casts. */
async function resolveValues(work: GraphWork, uses: ReadonlyMap<string, Use[]>): Promise<void> {
  const { names } = work.run;
  const outputWant = work.keepIo ? F32 : F16;
  for (const [name, list] of uses) {
    if (await resolveConstant(work, name, list)) continue;
    const type = producedType(work, name);
    const others = list.filter((u) => u.want !== type);
    if (others.length === 0) continue;
    const p = work.index.producer(name);
    if (p && type !== outputWant && list.some((u) => u.kind === 'output')) {
      // The graph output keeps its name and interface type: the producer writes an internal value
      // and a Cast produces the output from it.
      const internal = names.next(`${name}_${type === F16 ? 'fp16' : 'fp32'}`);
      p.node.output[p.outputIndex] = internal;
      for (const u of list) if (u.kind !== 'output' && u.want === type) redirect(u, name, internal);
      place(work, name, castNode(internal, name, outputWant, names.next(`${name}_Cast`)));
      continue;
    }
    const target = type === F16 ? F32 : F16;
    const cast = names.next(`${name}_${target === F16 ? 'fp16' : 'fp32'}`);
    place(work, name, castNode(name, cast, target, names.next(`${cast}_Cast`)));
    for (const u of others) redirect(u, name, cast);
  }
}

/** 4. Attributes carrying the float type, on converted nodes. */
async function rewriteFloatAttributes(work: GraphWork): Promise<void> {
  for (const node of work.converted) {
    if (node.opType === 'Cast' && intAttribute(node, 'to', 0) === F32) {
      setIntAttribute(node, 'to', F16);
    } else if (node.opType === 'ConstantOfShape') {
      const value = attributeOf(node, 'value');
      if (!value?.t) {
        const zero = makeRawTensor('value', F16, [1], new Uint8Array(2));
        node.attribute = [
          ...node.attribute.filter((a) => a.name !== 'value'),
          makeAttribute('value', { tensor: zero }),
        ];
      } else if (value.t.dataType === F32) {
        value.t = await work.run.toHalf(value.t, value.t.name);
      }
    } else if (node.opType === 'EyeLike' && intAttribute(node, 'dtype', 0) === F32) {
      setIntAttribute(node, 'dtype', F16);
    }
  }
}

/** 5. Declared types. */
function updateDeclaredTypes(work: GraphWork): void {
  const { graph, index, isFloat } = work;
  if (!work.keepIo) {
    const isConstant = (name: string): boolean =>
      findConstant(index, name, { allowOverridable: true }) !== undefined;
    for (const vi of graph.input) if (isFloat(vi.name) && !isConstant(vi.name)) setElemType(vi, F16);
    for (const vi of graph.output) if (isFloat(vi.name)) setElemType(vi, F16);
  }
  for (const vi of graph.valueInfo) {
    if (!isFloat(vi.name) || index.isGraphOutput(vi.name)) continue;
    if (index.producer(vi.name) && !findConstant(index, vi.name) && producedType(work, vi.name) === F16)
      setElemType(vi, F16);
  }
}

/**
 * 6. Casts of constants (half-precision checkpoints: float16/bfloat16 weight -> Cast(to float)) now cast to
 * float16: store the float16 weight under the Cast's output name and drop the Cast. Only constants of this
 * graph: a body's copy of an outer weight would leave the original behind. Returns how many were folded.
 */
async function foldHalfCasts(work: GraphWork): Promise<number> {
  const { graph, index, main } = work;
  const folded = new Set<NodeProto>();
  const sources = new Set<string>();
  for (const node of work.converted) {
    if (node.opType !== 'Cast' || intAttribute(node, 'to', 0) !== F16) continue;
    const out = node.output[0] ?? '';
    const src = node.input[0] ?? '';
    const ref = findConstant(index, src, { searchOuterScopes: false });
    if (
      !ref ||
      out === '' ||
      index.isGraphOutput(out) ||
      ![F16, F32, DT.BFLOAT16, DT.DOUBLE].includes(ref.tensor.dataType)
    )
      continue;
    graph.initializer.push(
      ref.tensor.dataType === F16 ? renamedCopy(ref.tensor, out) : await work.run.toHalf(ref.tensor, out),
    );
    folded.add(node);
    sources.add(src);
  }
  if (folded.size === 0) return 0;
  graph.node = graph.node.filter((n) => !folded.has(n));
  const fresh = new GraphIndex(graph);
  // Removed together: a pass over the graph per source is quadratic on models of thousands of weights.
  const unreadNodes = new Set<NodeProto>();
  const unreadInitializers = new Set<string>();
  for (const src of sources) {
    if (fresh.isUsed(src)) continue;
    const ref = findConstant(fresh, src, { allowOverridable: main });
    if (ref?.kind === 'constant-node') unreadNodes.add(ref.node);
    else if (ref) unreadInitializers.add(src);
  }
  removeNodes(graph, unreadNodes);
  // A body's inputs are its interface: never removed with an initializer of the same name.
  removeInitializers(graph, unreadInitializers, { removeInput: main });
  return folded.size;
}

export const fp16Method: QuantizeMethod<typeof fp16OptionsSchema> = {
  ...QUANTIZE_METHOD_SPECS.fp16,
  quantize: convertToFloat16,
  streamsExternalData: true,
};

registerQuantizeMethod(fp16Method);

/** Exported for tests: the Casts a converted graph holds. */
export function castNodes(graph: GraphProto): NodeProto[] {
  return graph.node.filter((n) => n.opType === 'Cast');
}

/** Up to three names quoted, and how many more. */
function quoteSome(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => `'${n}'`);
  return names.length > 3 ? `${shown.join(', ')} and ${names.length - 3} more` : shown.join(', ');
}
