import { type GraphProto, type ModelProto, type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { attributeOf, floatAttribute, intAttribute, intsAttribute } from '../onnx/attributes.js';
import { dataTypeByteSize } from '../onnx/constants.js';
import { isDefaultDomain } from '../onnx/domains.js';
import { isFloatDtype } from '../onnx/dtypes.js';
import {
  type ConstantRef,
  GraphIndex,
  type ValueTypeInfo,
  findConstant,
  opsetVersion,
  topologicalOrder,
  ValueTypes,
} from '../onnx/graph.js';
import { nodeLabel } from '../onnx/node-label.js';
import { decodeTensor } from '../onnx/tensor-codec.js';
import { combineFunction, toBase, unaryFunction, unknownConstants } from './channel-constants.js';
import {
  type Layout,
  type ResolvedLayout,
  flattenFactor,
  layoutBase,
  resolveLayout,
  sameStructure,
  scaleLayout,
  singleLayout,
} from './channel-layout.js';
import { constantInput } from './weights.js';

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
 */

/** A layer whose output channels belong to a group: removing a channel slices `outAxis` of its weight. */
export interface ChannelSource {
  node: NodeProto;
  weight: ConstantRef;
  outAxis: number;
  /** |gamma| / sqrt(var + eps) of a BatchNorm that directly follows, for BatchNorm-aware ranking. */
  bnScale?: Float64Array;
}

/** One change that removing channels implies. Layouts name spaces; map them with `analysis.root`. */
export type ChannelEdit =
  /** Keep the surviving positions of `axis` of a constant (weights, biases, BatchNorm parameters...). */
  | { kind: 'slice'; node: NodeProto; constant: ConstantRef; axis: number; layout: ResolvedLayout }
  /** Set a depthwise Conv's `group` to the surviving number of its input channels. */
  | { kind: 'group'; node: NodeProto; layout: ResolvedLayout }
  /** Set entry `position` of an int shape constant (a Reshape target) to the surviving length. */
  | { kind: 'shape'; node: NodeProto; constant: ConstantRef; position: number; layout: ResolvedLayout }
  /** Bias compensation of a consumer that sums over channels: see bias-compensation.ts. */
  | CompensationEdit;

/**
 * A consumer (Conv, Gemm, MatMul) that sums over the channels of `layout` with `weight`: for every removed
 * channel whose constant estimate `constant` (one per base position of `layout`) is known, the consumer's
 * bias gains `scale * k * sum(weight[o, channel, ...])` for each output `o`.
 */
export interface CompensationEdit {
  kind: 'compensate';
  node: NodeProto;
  weight: ConstantRef;
  /** The weight's axis over input channels, and over the consumer's outputs (the rest are summed too). */
  inAxis: number;
  outAxis: number;
  layout: ResolvedLayout;
  constant: Float64Array;
  /** The consumer's outputs (a created bias follows their pruning). */
  outLayout: ResolvedLayout;
  /** Gemm: alpha / beta (the bias is scaled by beta). */
  scale: number;
  /** The bias input: `bias` when it is a constant this edit may change; absent for none (MatMul, no C). */
  bias?: ConstantRef;
  /** Whether the bias is sliced by an edit of its own (then it is changed in place before slicing). */
  biasSliced: boolean;
  /** Why the bias cannot be compensated (removed channels with a known estimate are then reported). */
  blocked?: string;
}

/** A tensor that carries channels: where its channel axis is, counted from the end, and its layout. */
export interface ChannelTensor {
  layout: Layout;
  /** The channel axis as a negative index (-1 = last), stable under broadcasting. */
  axisFromEnd: number;
  /** The tensor's rank, when known. */
  rank?: number;
  /**
   * Bias compensation: each base position's value when the producers' weights are zero (their bias carried
   * through the per-channel ops since), NaN when unknown; absent means all unknown. See channel-constants.ts.
   */
  constant?: Float64Array;
}

/** A group of channel spaces that must be pruned together. */
export interface ChannelGroup {
  /** The representative space id. */
  root: number;
  /** Channels in the group. */
  channels: number;
  /** Layers whose output channels are the group's channels (weights ranked and sliced along `outAxis`). */
  sources: ChannelSource[];
  /** Nodes tied to the group: the sources, then pass-through layers such as depthwise Convs. */
  members: string[];
  /** Why the group cannot be pruned; empty when it can. */
  blocked: string[];
}

export interface ChannelAnalysis {
  groups: ChannelGroup[];
  edits: ChannelEdit[];
  /** Channel-carrying tensors, for updating their value_info after pruning. */
  tensors: Map<string, ChannelTensor>;
  /** The representative of a space (spaces tied together share one). */
  root(space: number): number;
}

export interface AnalyseOptions {
  /** Op types whose output channels may be pruned. */
  opTypes: ReadonlySet<string>;
  /** Nodes (by name) whose output channels must stay. */
  excludeNodes: ReadonlySet<string>;
}

interface Space {
  parent: number;
  count: number;
  sources: ChannelSource[];
  members: string[];
  blocked: string[];
}

/** Unary ops that treat every element alike, so channels pass through unchanged. */
const ELEMENTWISE_UNARY: ReadonlySet<string> = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Softplus',
  'Softsign',
  'Mish',
  'Erf',
  'Identity',
  'Neg',
  'Abs',
  'Sqrt',
  'Exp',
  'Log',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Cast',
  'Clip',
  'ThresholdedRelu',
  'Dropout',
  'Shrink',
  'IsNaN',
  'IsInf',
  'Not',
]);
/** Ops that pool over the spatial axes of NCHW tensors (channel axis 1) and keep the rank. */
const SPATIAL_POOLS: ReadonlySet<string> = new Set([
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
]);
/** Ops that combine inputs element by element with broadcasting. */
const ELEMENTWISE_MULTI: ReadonlySet<string> = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'PRelu',
]);
const REDUCTIONS: ReadonlySet<string> = new Set([
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceSum',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

/** One entry of a statically understood shape tensor: a constant, or dimension `axis` of tensor `of`. */
type ShapeEntry = ({ value: number } | { of: string; axis: number }) & {
  /** Where a constant entry is stored, and the node that reads that constant. */
  constant?: { ref: ConstantRef; position: number; user: NodeProto };
};

class ChannelTracer {
  readonly graph: GraphProto;
  readonly index: GraphIndex;
  readonly opset: number;
  readonly spaces: Space[] = [];
  readonly edits: ChannelEdit[] = [];
  readonly tensors = new Map<string, ChannelTensor>();
  /** The source whose output each tensor directly is (for BatchNorm-aware ranking). */
  readonly sourceOutputs = new Map<string, ChannelSource>();
  private valueTypes: ValueTypes | undefined;

  constructor(
    model: ModelProto,
    readonly options: AnalyseOptions,
  ) {
    if (!model.graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
    this.graph = model.graph;
    this.index = new GraphIndex(this.graph);
    this.opset = opsetVersion(model) ?? 1;
  }

  /** The declared type of an activation (graph input, output or value_info), looked up by name in O(1). */
  declared(name: string): ValueTypeInfo | undefined {
    this.valueTypes ??= new ValueTypes(this.graph);
    return this.valueTypes.declared(name);
  }

  // ---------------------------------------------------------------------------------------------
  // Spaces (union-find)

  root(space: number): number {
    let s = space;
    while (this.spaces[s]!.parent !== s) {
      const p = this.spaces[s]!.parent;
      this.spaces[s]!.parent = this.spaces[p]!.parent;
      s = p;
    }
    return s;
  }

  newSpace(count: number, member: string): number {
    const id = this.spaces.length;
    this.spaces.push({ parent: id, count, sources: [], members: [member], blocked: [] });
    return id;
  }

  union(a: number, b: number): void {
    // The older space stays the representative, so a group is named after its first layer.
    const ra = Math.min(this.root(a), this.root(b));
    const rb = Math.max(this.root(a), this.root(b));
    if (ra === rb) return;
    const A = this.spaces[ra]!;
    const B = this.spaces[rb]!;
    B.parent = ra;
    A.sources.push(...B.sources);
    for (const m of B.members) if (!A.members.includes(m)) A.members.push(m);
    for (const r of B.blocked) if (!A.blocked.includes(r)) A.blocked.push(r);
  }

  blockSpace(space: number, reason: string): void {
    const s = this.spaces[this.root(space)]!;
    if (!s.blocked.includes(reason)) s.blocked.push(reason);
  }

  block(tensor: ChannelTensor | undefined, reason: string): void {
    if (!tensor) return;
    for (const seg of tensor.layout.segments) this.blockSpace(seg.space, reason);
  }

  blockLayout(layout: { segments: readonly { space: number }[] }, reason: string): void {
    for (const seg of layout.segments) this.blockSpace(seg.space, reason);
  }

  /** Blocks every channel tensor the node reads. */
  blockInputs(node: NodeProto, reason: string): void {
    for (const name of node.input) this.block(this.tensors.get(name), reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  set(name: string | undefined, tensor: ChannelTensor): void {
    if (name !== undefined && name !== '') this.tensors.set(name, tensor);
  }

  channel(node: NodeProto, slot: number): ChannelTensor | undefined {
    const name = node.input[slot];
    return name ? this.tensors.get(name) : undefined;
  }

  /** False (after blocking everything the node reads) when channels arrive in a slot the op cannot take them in. */
  onlySlots(node: NodeProto, allowed: readonly number[], what: string): boolean {
    const bad = node.input.some(
      (name, slot) => name !== '' && this.tensors.has(name) && !allowed.includes(slot),
    );
    if (bad) this.blockInputs(node, `${what} reads them in an input it cannot prune`);
    return !bad;
  }

  /** The channel axis counted from the front, when the rank is known. */
  front(t: ChannelTensor): number | undefined {
    return t.rank === undefined ? undefined : t.rank + t.axisFromEnd;
  }

  isUsed(name: string | undefined): boolean {
    return name !== undefined && name !== '' && this.index.isUsed(name);
  }

  selectionReason(node: NodeProto): string | undefined {
    if (this.options.excludeNodes.has(node.name)) return `'${nodeLabel(node)}' is excluded (--exclude-nodes)`;
    if (!this.options.opTypes.has(node.opType))
      return `${node.opType} is not among the selected op types (--op-types)`;
    return undefined;
  }

  /** Records a slice edit after checking that the constant's axis has the layout's length. */
  slice(node: NodeProto, constant: ConstantRef, axis: number, layout: Layout, what: string): boolean {
    const dims = constant.tensor.dims.map(Number);
    const resolved = axis >= 0 && axis < dims.length ? resolveLayout(layout, dims[axis]!) : undefined;
    if (!resolved || dataTypeByteSize(constant.tensor.dataType) === undefined) {
      this.blockLayout(
        layout,
        `${what}: '${constant.name}' does not have one entry per channel on axis ${axis}`,
      );
      return false;
    }
    this.edits.push({ kind: 'slice', node, constant, axis, layout: resolved });
    return true;
  }

  /** An integer constant's values (int64 or int32), or undefined. */
  intValues(name: string | undefined): number[] | undefined {
    if (name === undefined || name === '') return undefined;
    const ref = findConstant(this.index, name, { allowOverridable: true, searchOuterScopes: false });
    if (!ref) return undefined;
    try {
      const { values } = decodeTensor(ref.tensor);
      if (values instanceof BigInt64Array || values instanceof Int32Array) return Array.from(values, Number);
    } catch {
      return undefined;
    }
    return undefined;
  }

  floatValues(ref: ConstantRef): Float64Array | undefined {
    if (!isFloatDtype(ref.tensor.dataType)) return undefined;
    try {
      const { values } = decodeTensor(ref.tensor);
      if (values instanceof Float32Array || values instanceof Float64Array) return Float64Array.from(values);
    } catch {
      return undefined;
    }
    return undefined;
  }

  /** Axes from an attribute (older opsets) or a constant input (newer ones); null when neither is given. */
  axesOf(node: NodeProto, inputSlot: number): number[] | null | undefined {
    const attr = intsAttribute(node, 'axes');
    if (attr) return attr;
    const name = node.input[inputSlot];
    if (name === undefined || name === '') return null;
    return this.intValues(name);
  }

  // ---------------------------------------------------------------------------------------------
  // Constant estimates (bias compensation)

  /** A channel tensor's estimates (all unknown when none are tracked). */
  constantOf(t: ChannelTensor): Float64Array {
    return t.constant ?? unknownConstants(t.layout);
  }

  /** A 1-D per-channel constant (a bias, BatchNorm parameters) as per-base estimates, NaN when unreadable. */
  perChannel(ref: ConstantRef | undefined, layout: Layout): Float64Array {
    const values = ref ? this.floatValues(ref) : undefined;
    return values ? toBase(values, layoutBase(layout)) : unknownConstants(layout);
  }

  /** Whether `name` is read by `node` alone (so that it may be changed in place). */
  exclusive(name: string, node: NodeProto): boolean {
    return (
      this.index.consumersOf(name).every((c) => c.node === node) &&
      this.index.implicitConsumersOf(name).length === 0 &&
      !this.index.isGraphOutput(name)
    );
  }

  /**
   * Records the bias compensation of a consumer that sums the channels of `x` (laid out as `input` along
   * `inAxis` of `weight`). `biasSlot` is the consumer's bias input (undefined: it has none, an Add is made);
   * `biasSliced` whether an edit of its own slices that bias.
   */
  compensate(
    node: NodeProto,
    x: ChannelTensor,
    c: {
      weight: ConstantRef;
      inAxis: number;
      outAxis: number;
      input: ResolvedLayout;
      outLayout: ResolvedLayout;
      biasSlot?: number;
      biasSliced?: boolean;
      scale?: number;
      blocked?: string;
    },
  ): void {
    const label = nodeLabel(node);
    let blocked = c.blocked;
    const floatTypes: number[] = [TensorProto_DataType.FLOAT, TensorProto_DataType.DOUBLE];
    if (!floatTypes.includes(c.weight.tensor.dataType))
      blocked ??= `the weight of '${label}' is not float32 or float64`;
    const biasName = c.biasSlot === undefined ? undefined : node.input[c.biasSlot];
    let bias: ConstantRef | undefined;
    if (biasName) {
      bias = constantInput(this.index, node, c.biasSlot!);
      if (!bias) blocked ??= `the bias of '${label}' is computed at run time`;
      else if (!floatTypes.includes(bias.tensor.dataType))
        blocked ??= `the bias of '${label}' is not float32 or float64`;
    }
    if (c.scale !== undefined && !Number.isFinite(c.scale)) blocked ??= `'${label}' has beta = 0`;
    const sliced = !!bias && (c.biasSliced ?? false) && this.exclusive(bias.name, node);
    this.edits.push({
      kind: 'compensate',
      node,
      weight: c.weight,
      inAxis: c.inAxis,
      outAxis: c.outAxis,
      layout: c.input,
      constant: this.constantOf(x),
      outLayout: c.outLayout,
      scale: c.scale ?? 1,
      ...(bias ? { bias } : {}),
      biasSliced: sliced,
      ...(blocked ? { blocked } : {}),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The walk

  run(): ChannelAnalysis {
    for (const node of topologicalOrder(this.index)) this.visit(node);
    for (const out of this.graph.output) {
      this.block(this.tensors.get(out.name), `its channels are the model output '${out.name}'`);
    }
    for (const [name, tensor] of this.tensors) {
      const users = this.index.implicitConsumersOf(name);
      if (users.length > 0)
        this.block(tensor, `'${name}' is read inside a subgraph of '${nodeLabel(users[0]!)}'`);
    }
    this.blockSharedConstants();
    return this.result();
  }

  /** A constant shared with another node cannot be sliced for one of them. */
  blockSharedConstants(): void {
    for (const edit of this.edits) {
      if (edit.kind === 'group' || edit.kind === 'compensate') continue;
      const name = edit.constant.name;
      const others = this.index.consumersOf(name).filter((c) => c.node !== edit.node);
      const implicit = this.index.implicitConsumersOf(name);
      if (others.length > 0 || implicit.length > 0 || this.index.isGraphOutput(name)) {
        const other = others[0]?.node ?? implicit[0];
        this.blockLayout(
          edit.layout,
          `'${name}' is shared by '${nodeLabel(edit.node)}' and ${other ? `'${nodeLabel(other)}'` : 'a model output'}`,
        );
      }
    }
  }

  result(): ChannelAnalysis {
    const groups: ChannelGroup[] = [];
    this.spaces.forEach((s, id) => {
      if (this.root(id) !== id) return;
      groups.push({
        root: id,
        channels: s.count,
        sources: s.sources,
        members: s.members,
        blocked: s.blocked,
      });
    });
    return { groups, edits: this.edits, tensors: this.tensors, root: (space) => this.root(space) };
  }

  visit(node: NodeProto): void {
    const reads = node.input.some((name) => name !== '' && this.tensors.has(name));
    const domain = isDefaultDomain(node.domain);
    if (!domain) {
      if (reads)
        this.blockInputs(
          node,
          `'${nodeLabel(node)}' (${node.domain}.${node.opType}) is an op structured pruning does not know`,
        );
      return;
    }
    const op = node.opType;
    if (op === 'Conv' || op === 'ConvTranspose') return this.visitConv(node);
    if (op === 'Gemm') return this.visitGemm(node);
    if (op === 'MatMul') return this.visitMatMul(node);
    if (!reads) return;
    if (op === 'BatchNormalization' || op === 'InstanceNormalization') return this.visitNorm(node);
    if (op === 'LayerNormalization') return this.visitLayerNorm(node);
    if (ELEMENTWISE_UNARY.has(op) || SPATIAL_POOLS.has(op)) return this.visitUnary(node);
    if (ELEMENTWISE_MULTI.has(op)) return this.visitElementwise(node);
    if (op === 'Concat') return this.visitConcat(node);
    if (op === 'Flatten') return this.visitFlatten(node);
    if (op === 'Reshape') return this.visitReshape(node);
    if (op === 'Transpose') return this.visitTranspose(node);
    if (op === 'Squeeze' || op === 'Unsqueeze') return this.visitSqueeze(node);
    if (REDUCTIONS.has(op)) return this.visitReduce(node);
    if (op === 'Pad') return this.visitPad(node);
    if (op === 'Resize' || op === 'Upsample') return this.visitResize(node);
    if (op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') return this.visitSoftmax(node);
    if (op === 'Shape') return this.visitShape(node);
    this.blockInputs(node, `'${nodeLabel(node)}' (${op}) is an op structured pruning cannot see through`);
  }

  // ---------------------------------------------------------------------------------------------
  // Layers with weights

  visitConv(node: NodeProto): void {
    const label = nodeLabel(node);
    const transpose = node.opType === 'ConvTranspose';
    const x = this.channel(node, 0);
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const weight = constantInput(this.index, node, 1);
    if (!weight || !isFloatDtype(weight.tensor.dataType) || weight.tensor.dims.length < 3) {
      this.block(x, `'${label}' has no constant float weight`);
      return;
    }
    const wd = weight.tensor.dims.map(Number);
    const rank = wd.length;
    const group = intAttribute(node, 'group', 1);
    const inChannels = transpose ? wd[0]! : wd[1]! * group;
    const outChannels = transpose ? wd[1]! * group : wd[0]!;
    const axisFromEnd = -(rank - 1);
    const biasName = node.input[2];
    const bias = biasName ? constantInput(this.index, node, 2) : undefined;

    let input: ResolvedLayout | undefined;
    if (x) {
      if (x.axisFromEnd !== axisFromEnd || (x.rank !== undefined && x.rank !== rank)) {
        this.block(x, `'${label}' reads them on an axis other than its channel axis`);
        return;
      }
      input = resolveLayout(x.layout, inChannels);
      if (!input) {
        this.block(x, `'${label}' expects ${inChannels} input channels`);
        return;
      }
    }

    if (group === 1) {
      if (x && input) this.slice(node, weight, transpose ? 0 : 1, input, `'${label}'`);
      const space = this.newSpace(outChannels, label);
      const outLayout = singleLayout(space, outChannels);
      const source: ChannelSource = { node, weight, outAxis: transpose ? 1 : 0 };
      this.spaces[space]!.sources.push(source);
      this.slice(node, weight, source.outAxis, outLayout, `'${label}'`);
      const reason = this.selectionReason(node);
      if (reason) this.blockSpace(space, reason);
      if (biasName && !bias) this.blockSpace(space, `the bias of '${label}' is computed at run time`);
      const biasSliced = !!bias && this.slice(node, bias, 0, outLayout, `the bias of '${label}'`);
      if (x && input)
        this.compensate(node, x, {
          weight,
          inAxis: transpose ? 0 : 1,
          outAxis: source.outAxis,
          input,
          outLayout,
          biasSlot: 2,
          biasSliced,
          ...(transpose ? { blocked: `'${label}' is a ConvTranspose (not compensated)` } : {}),
        });
      // With zero weights a Conv outputs its bias.
      const constant = bias ? this.perChannel(bias, outLayout) : new Float64Array(outChannels);
      this.set(node.output[0], { layout: outLayout, axisFromEnd, rank, constant });
      if (node.output[0]) this.sourceOutputs.set(node.output[0], source);
      return;
    }

    // Depthwise (one input channel per group, optionally m outputs per channel): channels pass through.
    const depthwise = !transpose && wd[1] === 1 && group === inChannels && outChannels % group === 0;
    if (!x || !input) return;
    if (!depthwise) {
      this.block(x, `grouped ${node.opType} '${label}' (group=${group}) ties its channels in groups`);
      return;
    }
    const multiplier = outChannels / group;
    const flat = flattenFactor(input);
    const output: ResolvedLayout = {
      segments: flat.segments.map((s) => ({ ...s, inner: s.inner * multiplier })),
      factor: 1,
    };
    this.slice(node, weight, 0, output, `'${label}'`);
    if (biasName && !bias) this.block(x, `the bias of '${label}' is computed at run time`);
    if (bias) this.slice(node, bias, 0, output, `the bias of '${label}'`);
    this.edits.push({ kind: 'group', node, layout: input });
    const reason = this.selectionReason(node);
    if (reason) this.block(x, reason);
    for (const seg of input.segments) {
      const s = this.spaces[this.root(seg.space)]!;
      if (!s.members.includes(label)) s.members.push(label);
    }
    this.set(node.output[0], {
      layout: output,
      axisFromEnd,
      rank,
      constant: this.depthwiseConstant(x, input, weight, bias, multiplier),
    });
  }

  /** A depthwise Conv of constant channels: k * sum(kernel) + bias, per output channel. */
  depthwiseConstant(
    x: ChannelTensor,
    input: ResolvedLayout,
    weight: ConstantRef,
    bias: ConstantRef | undefined,
    multiplier: number,
  ): Float64Array {
    const inChannels = layoutBase(input) * input.factor;
    const out = new Float64Array(inChannels * multiplier).fill(NaN);
    const w = this.floatValues(weight);
    const b = bias ? this.floatValues(bias) : new Float64Array(out.length);
    if (!w || !b || b.length !== out.length || w.length % out.length !== 0) return out;
    const k = this.constantOf(x);
    const kernel = w.length / out.length;
    for (let q = 0; q < inChannels; q++) {
      const v = k[Math.floor(q / input.factor)]!;
      for (let j = 0; j < multiplier; j++) {
        const o = q * multiplier + j;
        let sum = 0;
        for (let i = 0; i < kernel; i++) sum += w[o * kernel + i]!;
        out[o] = v * sum + b[o]!;
      }
    }
    return out;
  }

  visitGemm(node: NodeProto): void {
    const label = nodeLabel(node);
    const a = this.channel(node, 0);
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const b = constantInput(this.index, node, 1);
    if (!b || b.tensor.dims.length !== 2 || !isFloatDtype(b.tensor.dataType)) {
      this.block(a, `'${label}' has no constant 2-D float weight`);
      return;
    }
    const transA = intAttribute(node, 'transA', 0);
    const transB = intAttribute(node, 'transB', 0);
    const bd = b.tensor.dims.map(Number);
    const n = transB ? bd[0]! : bd[1]!;
    const inAxis = transB ? 1 : 0;
    let readsChannels = false;
    if (a) {
      if (transA || a.axisFromEnd !== -1)
        this.block(a, `'${label}' reads them on an axis it does not sum over`);
      else readsChannels = this.slice(node, b, inAxis, a.layout, `'${label}'`);
    }
    const space = this.newSpace(n, label);
    const outLayout = singleLayout(space, n);
    const source: ChannelSource = { node, weight: b, outAxis: transB ? 0 : 1 };
    this.spaces[space]!.sources.push(source);
    this.slice(node, b, source.outAxis, outLayout, `'${label}'`);
    const reason = this.selectionReason(node);
    if (reason) this.blockSpace(space, reason);
    const cName = node.input[2];
    const alpha = floatAttribute(node, 'alpha', 1);
    const beta = floatAttribute(node, 'beta', 1);
    let biasSliced = false;
    let blocked: string | undefined;
    // With zero weights a Gemm outputs beta * C (when C is one value per feature, or a single value).
    let constant: Float64Array = new Float64Array(n);
    if (cName) {
      const c = constantInput(this.index, node, 2);
      if (!c) this.blockSpace(space, `the bias of '${label}' is computed at run time`);
      else {
        const cd = c.tensor.dims.map(Number);
        const last = cd[cd.length - 1];
        const count = cd.reduce((x, y) => x * y, 1);
        if (cd.length > 0 && last !== 1)
          biasSliced = this.slice(node, c, cd.length - 1, outLayout, `the bias of '${label}'`);
        const values = this.floatValues(c);
        if (values && (count === 1 || (count === n && last === n)))
          constant = Float64Array.from({ length: n }, (_, i) => beta * values[count === 1 ? 0 : i]!);
        else constant = unknownConstants(outLayout);
        if (count !== 1 && last !== n) blocked = `the bias of '${label}' is not one value per feature`;
      }
    }
    if (a && readsChannels) {
      const input = resolveLayout(a.layout, bd[inAxis]!)!;
      this.compensate(node, a, {
        weight: b,
        inAxis,
        outAxis: source.outAxis,
        input,
        outLayout,
        biasSlot: 2,
        biasSliced,
        scale: beta === 0 ? Infinity : alpha / beta,
        ...(blocked ? { blocked } : {}),
      });
    }
    this.set(node.output[0], { layout: outLayout, axisFromEnd: -1, rank: 2, constant });
    if (node.output[0]) this.sourceOutputs.set(node.output[0], source);
  }

  visitMatMul(node: NodeProto): void {
    const label = nodeLabel(node);
    const a = this.channel(node, 0);
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const b = constantInput(this.index, node, 1);
    if (!b || b.tensor.dims.length !== 2 || !isFloatDtype(b.tensor.dataType)) {
      this.block(a, `'${label}' has no constant 2-D float weight`);
      return;
    }
    const n = Number(b.tensor.dims[1]);
    let readsChannels = false;
    if (a) {
      if (a.axisFromEnd !== -1) this.block(a, `'${label}' reads them on an axis it does not sum over`);
      else readsChannels = this.slice(node, b, 0, a.layout, `'${label}'`);
    }
    const space = this.newSpace(n, label);
    const outLayout = singleLayout(space, n);
    const source: ChannelSource = { node, weight: b, outAxis: 1 };
    this.spaces[space]!.sources.push(source);
    this.slice(node, b, 1, outLayout, `'${label}'`);
    if (a && readsChannels) {
      const input = resolveLayout(a.layout, Number(b.tensor.dims[0]))!;
      this.compensate(node, a, { weight: b, inAxis: 0, outAxis: 1, input, outLayout });
    }
    const reason = this.selectionReason(node);
    if (reason) this.blockSpace(space, reason);
    const declared = this.declared(node.input[0] ?? '');
    const rank = a?.rank ?? (declared?.rankKnown ? declared.shape.length : undefined);
    this.set(node.output[0], {
      layout: outLayout,
      axisFromEnd: -1,
      ...(rank === undefined ? {} : { rank }),
      constant: new Float64Array(n),
    });
    if (node.output[0]) this.sourceOutputs.set(node.output[0], source);
  }

  // ---------------------------------------------------------------------------------------------
  // Per-channel ops

  visitNorm(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    if (this.front(x) !== 1) {
      this.block(x, `'${label}' normalizes axis 1, which is not their channel axis`);
      return;
    }
    if (node.output.slice(1).some((o) => this.isUsed(o))) {
      this.block(x, `'${label}' runs in training mode`);
      return;
    }
    const params = node.opType === 'BatchNormalization' ? [1, 2, 3, 4] : [1, 2];
    for (const slot of params) {
      const ref = constantInput(this.index, node, slot);
      if (!ref) {
        this.block(x, `a parameter of '${label}' is computed at run time`);
        return;
      }
      this.slice(node, ref, 0, x.layout, `'${label}'`);
    }
    this.set(node.output[0], { ...x, constant: this.normConstant(node, x) });
    // BatchNorm-aware ranking: the scale a channel gets right after its layer.
    const source = this.sourceOutputs.get(node.input[0] ?? '');
    if (node.opType === 'BatchNormalization' && source) {
      const gamma = this.floatValues(constantInput(this.index, node, 1)!);
      const variance = this.floatValues(constantInput(this.index, node, 4)!);
      const eps = floatAttribute(node, 'epsilon', 1e-5);
      if (gamma && variance && gamma.length === variance.length) {
        source.bnScale = gamma.map((g, i) => Math.abs(g) / Math.sqrt(variance[i]! + eps));
      }
    }
  }

  /** BatchNorm of a constant: (k - mean) / sqrt(var + eps) * scale + shift; InstanceNorm of one: its shift. */
  normConstant(node: NodeProto, x: ChannelTensor): Float64Array {
    const param = (slot: number): Float64Array =>
      this.perChannel(constantInput(this.index, node, slot), x.layout);
    if (node.opType === 'InstanceNormalization') return param(2);
    const [scale, shift, mean, variance] = [param(1), param(2), param(3), param(4)];
    const eps = floatAttribute(node, 'epsilon', 1e-5);
    return this.constantOf(x).map(
      (k, i) => ((k - mean[i]!) / Math.sqrt(variance[i]! + eps)) * scale[i]! + shift[i]!,
    );
  }

  visitLayerNorm(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const axis = intAttribute(node, 'axis', -1);
    const fromEnd = axis < 0 ? axis : x.rank !== undefined ? axis - x.rank : undefined;
    if (fromEnd === undefined) {
      this.block(x, `'${label}' normalizes axes that cannot be located`);
      return;
    }
    if (x.axisFromEnd < fromEnd) {
      // A constant channel normalizes to the shift, which varies over the normalized axes.
      this.set(node.output[0], { ...x, constant: unknownConstants(x.layout) });
      return;
    }
    if (fromEnd !== -1 || x.axisFromEnd !== -1) {
      this.block(x, `'${label}' normalizes over their channels together with other axes`);
      return;
    }
    for (const slot of [1, 2]) {
      if (!node.input[slot]) continue;
      const ref = constantInput(this.index, node, slot);
      if (!ref) {
        this.block(x, `a parameter of '${label}' is computed at run time`);
        return;
      }
      this.slice(node, ref, ref.tensor.dims.length - 1, x.layout, `'${label}'`);
    }
    if (node.output.slice(1).some((o) => this.isUsed(o))) this.block(x, `'${label}' exposes its statistics`);
    this.set(node.output[0], { ...x, constant: unknownConstants(x.layout) });
  }

  visitUnary(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0);
    if (!this.onlySlots(node, [0], `'${label}'`) || !x) return;
    if (SPATIAL_POOLS.has(node.opType) && this.front(x) !== 1) {
      this.block(x, `'${label}' pools axes 2 and up, and their channels are not on axis 1`);
      return;
    }
    if (node.opType === 'MaxPool' && this.isUsed(node.output[1])) {
      this.block(x, `'${label}' returns indices, which count channels`);
      return;
    }
    const fn = unaryFunction(node, this.clipBounds(node), intAttribute(node, 'to'));
    const k = this.constantOf(x);
    const out = { ...x, constant: fn ? k.map(fn) : unknownConstants(x.layout) };
    this.set(node.output[0], out);
    if (node.opType === 'Dropout') this.set(node.output[1], { ...x, constant: unknownConstants(x.layout) });
  }

  /** Clip's bounds, from attributes (opset < 11) or constant inputs; undefined when computed at run time. */
  clipBounds(node: NodeProto): { min: number; max: number } | undefined {
    if (node.opType !== 'Clip') return undefined;
    if (this.opset < 11)
      return { min: floatAttribute(node, 'min', -Infinity), max: floatAttribute(node, 'max', Infinity) };
    const bound = (slot: number, fallback: number): number | undefined => {
      if (!node.input[slot]) return fallback;
      const ref = constantInput(this.index, node, slot);
      const v = ref ? this.floatValues(ref) : undefined;
      return v?.length === 1 ? v[0] : undefined;
    };
    const [min, max] = [bound(1, -Infinity), bound(2, Infinity)];
    return min === undefined || max === undefined ? undefined : { min, max };
  }

  /**
   * The estimates of an elementwise op's output: its function applied position by position to the channel
   * inputs' estimates and the other inputs' values (constants that are one value per channel, or one value).
   */
  elementwiseConstant(
    node: NodeProto,
    first: ChannelTensor,
    channelInputs: (ChannelTensor | undefined)[],
  ): Float64Array {
    const combine = combineFunction(node.opType);
    const base = layoutBase(first.layout);
    if (!combine) return unknownConstants(first.layout);
    const perInput: Float64Array[] = [];
    for (let slot = 0; slot < node.input.length; slot++) {
      const name = node.input[slot];
      if (!name) continue;
      const t = channelInputs[slot];
      if (t) {
        perInput.push(this.constantOf(t));
        continue;
      }
      const ref = constantInput(this.index, node, slot);
      const values = ref ? this.floatValues(ref) : undefined;
      if (!ref || !values) return unknownConstants(first.layout);
      const dims = ref.tensor.dims.map(Number);
      const pos = dims.length + first.axisFromEnd;
      const others = dims.every((d, i) => i === pos || d === 1);
      if (!others) return unknownConstants(first.layout);
      perInput.push(values.length === 1 ? new Float64Array(base).fill(values[0]!) : toBase(values, base));
    }
    return Float64Array.from({ length: base }, (_, i) => combine(perInput.map((v) => v[i]!)));
  }

  visitElementwise(node: NodeProto): void {
    const label = nodeLabel(node);
    const channelInputs = node.input.map((n) => (n ? this.tensors.get(n) : undefined));
    const present = channelInputs.filter((t): t is ChannelTensor => t !== undefined);
    const first = present[0]!;
    const axis = first.axisFromEnd;
    if (present.some((t) => t.axisFromEnd !== axis)) {
      for (const t of present)
        this.block(t, `'${label}' combines tensors whose channels are on different axes`);
      return;
    }
    if (present.some((t) => !sameStructure(t.layout, first.layout))) {
      for (const t of present) this.block(t, `'${label}' combines tensors whose channels do not line up`);
      return;
    }
    for (const t of present.slice(1)) {
      t.layout.segments.forEach((seg, i) => this.union(first.layout.segments[i]!.space, seg.space));
    }
    let rank: number | undefined = Math.max(...present.map((t) => t.rank ?? NaN));
    if (Number.isNaN(rank)) rank = undefined;
    for (let slot = 0; slot < node.input.length; slot++) {
      const name = node.input[slot];
      if (!name || channelInputs[slot]) continue;
      const constant = constantInput(this.index, node, slot);
      let dims: (number | string | null)[] | undefined;
      if (constant) dims = constant.tensor.dims.map(Number);
      else {
        const declared = this.declared(name);
        if (declared?.rankKnown) dims = declared.shape;
      }
      if (!dims) {
        this.block(first, `'${label}' combines them with '${name}', whose shape is unknown`);
        return;
      }
      if (rank !== undefined) rank = Math.max(rank, dims.length);
      const pos = dims.length + axis;
      if (pos < 0 || dims[pos] === 1) continue;
      if (!constant) {
        this.block(
          first,
          `'${label}' combines them with '${name}', which has as many entries but cannot be pruned`,
        );
        return;
      }
      if (!this.slice(node, constant, pos, first.layout, `'${label}'`)) return;
    }
    this.set(node.output[0], {
      layout: first.layout,
      axisFromEnd: axis,
      ...(rank === undefined ? {} : { rank }),
      constant: this.elementwiseConstant(node, first, channelInputs),
    });
  }

  visitConcat(node: NodeProto): void {
    const label = nodeLabel(node);
    const inputs = node.input.filter((n) => n !== '').map((n) => this.tensors.get(n));
    const present = inputs.filter((t): t is ChannelTensor => t !== undefined);
    if (present.length !== inputs.length) {
      for (const t of present)
        this.block(t, `'${label}' concatenates them with tensors that carry no prunable channels`);
      return;
    }
    const first = present[0]!;
    const axis = intAttribute(node, 'axis', 1);
    const ranks = new Set(present.map((t) => t.rank));
    const rank = ranks.size === 1 ? [...ranks][0] : undefined;
    const concatFromEnd = axis < 0 ? axis : rank !== undefined ? axis - rank : undefined;
    if (concatFromEnd === undefined || present.some((t) => t.axisFromEnd !== first.axisFromEnd)) {
      for (const t of present) this.block(t, `'${label}' concatenates along an axis that cannot be located`);
      return;
    }
    if (concatFromEnd !== first.axisFromEnd) {
      // Along another axis: the inputs' channels meet position by position.
      this.visitElementwise(node);
      return;
    }
    const segments = [];
    const constant: number[] = [];
    for (const t of present) {
      if (t.layout.factor === null) {
        for (const u of present) this.block(u, `'${label}' concatenates channels of unknown spacing`);
        return;
      }
      const factor = t.layout.factor;
      segments.push(...flattenFactor({ segments: t.layout.segments, factor }).segments);
      for (const v of this.constantOf(t)) for (let f = 0; f < factor; f++) constant.push(v);
    }
    this.set(node.output[0], {
      layout: { segments, factor: 1 },
      axisFromEnd: first.axisFromEnd,
      ...(rank === undefined ? {} : { rank }),
      constant: Float64Array.from(constant),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Layout changes

  /** Product of the declared dims after `front`, when all are known numbers. */
  trailingSize(name: string, front: number): number | null {
    const declared = this.declared(name);
    if (!declared?.rankKnown) return null;
    let n = 1;
    for (const d of declared.shape.slice(front + 1)) {
      if (typeof d !== 'number' || d < 0) return null;
      n *= d;
    }
    return n;
  }

  visitFlatten(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    const front = this.front(x);
    let axis = intAttribute(node, 'axis', 1);
    if (front === undefined || x.rank === undefined) {
      this.block(x, `'${label}' flattens a tensor of unknown rank`);
      return;
    }
    if (axis < 0) axis += x.rank;
    if (front !== axis) {
      this.block(x, `'${label}' flattens their channels together with a leading axis`);
      return;
    }
    const inner = this.trailingSize(node.input[0]!, front);
    this.set(node.output[0], {
      layout: scaleLayout(x.layout, inner),
      axisFromEnd: -1,
      rank: 2,
      ...(x.constant ? { constant: x.constant } : {}),
    });
  }

  /** The rank of a value: from its channel tag, or its declared type. */
  rankOf(name: string): number | undefined {
    const tagged = this.tensors.get(name)?.rank;
    if (tagged !== undefined) return tagged;
    const declared = this.declared(name);
    return declared?.rankKnown ? declared.shape.length : undefined;
  }

  /** The dims [start, end) a Shape node returns for an input of rank `rank` (its start/end attributes, clamped). */
  shapeRange(shape: NodeProto, rank: number): [number, number] {
    const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
    const has = (n: string): boolean => attributeOf(shape, n) !== undefined;
    return [
      clamp(has('start') ? intAttribute(shape, 'start', 0) : 0),
      clamp(has('end') ? intAttribute(shape, 'end', rank) : rank),
    ];
  }

  /** The [start, end) a step-1 Slice of a 1-D tensor of `length` entries keeps, or undefined. */
  sliceRange(node: NodeProto, length: number): [number, number] | undefined {
    const fromAttributes = this.opset < 10 || attributeOf(node, 'starts') !== undefined;
    const starts = fromAttributes ? intsAttribute(node, 'starts') : this.intValues(node.input[1]);
    const ends = fromAttributes ? intsAttribute(node, 'ends') : this.intValues(node.input[2]);
    const axes = fromAttributes
      ? intsAttribute(node, 'axes')
      : node.input[3]
        ? this.intValues(node.input[3])
        : undefined;
    const steps = fromAttributes || !node.input[4] ? undefined : this.intValues(node.input[4]);
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
  shapeEntries(name: string, user: NodeProto, depth = 0): ShapeEntry[] | undefined {
    if (depth > 12 || name === '') return undefined;
    const constant = this.intValues(name);
    if (constant) {
      const ref = findConstant(this.index, name, { allowOverridable: true, searchOuterScopes: false });
      return constant.map((value, position) => ({
        value,
        ...(ref ? { constant: { ref, position, user } } : {}),
      }));
    }
    const producer = this.index.producer(name)?.node;
    if (!producer) return undefined;
    const inner = (): ShapeEntry[] | undefined =>
      this.shapeEntries(producer.input[0] ?? '', producer, depth + 1);
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
          const entries = this.shapeEntries(part, producer, depth + 1);
          if (!entries) return undefined;
          out.push(...entries);
        }
        return out;
      }
      case 'Shape': {
        const of = producer.input[0] ?? '';
        const rank = this.rankOf(of);
        if (rank === undefined) return undefined;
        const [start, end] = this.shapeRange(producer, rank);
        return Array.from({ length: Math.max(0, end - start) }, (_, i) => ({ of, axis: start + i }));
      }
      case 'Gather': {
        const entries = inner();
        const at = this.intValues(producer.input[1]);
        if (!entries || !at || intAttribute(producer, 'axis', 0) !== 0) return undefined;
        const picked = at.map((i) => entries[i < 0 ? i + entries.length : i]);
        return picked.every((e) => e !== undefined) ? (picked as ShapeEntry[]) : undefined;
      }
      case 'Slice': {
        const entries = inner();
        const range = entries ? this.sliceRange(producer, entries.length) : undefined;
        return entries && range ? entries.slice(range[0], range[1]) : undefined;
      }
      default:
        return undefined;
    }
  }

  visitReshape(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const data = node.input[0]!;
    const fail = (why: string): void => this.block(x, `'${label}' reshapes them ${why}`);
    if (x.rank === undefined || this.front(x) !== 1)
      return fail('from a tensor whose channel axis is not axis 1');
    const entries = this.shapeEntries(node.input[1] ?? '', node);
    if (!entries) return fail('to a shape computed at run time');
    if (entries.length !== 2) return fail(`to ${entries.length} dims, not a flatten into [batch, features]`);
    const allowZero = intAttribute(node, 'allowzero', 0) === 1;
    const [d0, d1] = entries as [ShapeEntry, ShapeEntry];
    const declared = this.declared(data);
    const batch = declared?.rankKnown ? declared.shape[0] : undefined;
    const keepsBatch =
      ('of' in d0 && d0.of === data && d0.axis === 0) ||
      ('value' in d0 && d0.value === 0 && !allowZero) ||
      ('value' in d0 && d0.value > 0 && d0.value === batch);
    if (!keepsBatch)
      return fail('to a shape whose first entry is not the batch size (0, or the batch dim read with Shape)');
    const inner = this.trailingSize(data, 1);
    const layout = scaleLayout(x.layout, inner);
    if ('value' in d1 && d1.value > 0) {
      // An explicit feature count must follow the pruning: rewrite the constant entry it comes from.
      const resolved = resolveLayout(layout, d1.value);
      if (!d1.constant || !resolved) return fail('to an explicit feature count that cannot be rewritten');
      this.edits.push({
        kind: 'shape',
        node: d1.constant.user,
        constant: d1.constant.ref,
        position: d1.constant.position,
        layout: resolved,
      });
    } else if (!('value' in d1 && d1.value === -1)) {
      return fail('to a feature count computed at run time');
    }
    this.set(node.output[0], {
      layout,
      axisFromEnd: -1,
      rank: 2,
      ...(x.constant ? { constant: x.constant } : {}),
    });
  }

  visitTranspose(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    const rank = x.rank;
    const perm =
      intsAttribute(node, 'perm') ??
      (rank === undefined ? undefined : Array.from({ length: rank }, (_, i) => rank - 1 - i));
    if (!perm || (rank !== undefined && perm.length !== rank)) {
      this.block(x, `'${label}' permutes axes of unknown rank`);
      return;
    }
    const front = perm.length + x.axisFromEnd;
    const moved = perm.indexOf(front);
    if (moved < 0) {
      this.block(x, `'${label}' has an invalid permutation`);
      return;
    }
    this.set(node.output[0], { ...x, axisFromEnd: moved - perm.length, rank: perm.length });
  }

  visitSqueeze(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const front = this.front(x);
    const axes = this.axesOf(node, 1);
    if (front === undefined || x.rank === undefined || !axes) {
      this.block(x, `'${label}' changes the rank by axes that cannot be located`);
      return;
    }
    if (node.opType === 'Squeeze') {
      const norm = axes.map((a) => (a < 0 ? a + x.rank! : a));
      if (norm.includes(front)) {
        this.block(x, `'${label}' squeezes their channel axis`);
        return;
      }
      const rank = x.rank - norm.length;
      const moved = front - norm.filter((a) => a < front).length;
      this.set(node.output[0], { ...x, axisFromEnd: moved - rank, rank });
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
    this.set(node.output[0], { ...x, axisFromEnd: moved - rank, rank });
  }

  visitReduce(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const front = this.front(x);
    const axes = this.axesOf(node, 1);
    const keep = intAttribute(node, 'keepdims', 1) === 1;
    if (axes === null || (axes && axes.length === 0)) {
      if (intAttribute(node, 'noop_with_empty_axes', 0) === 1) this.set(node.output[0], x);
      else this.block(x, `'${label}' reduces over all axes, channels included`);
      return;
    }
    if (front === undefined || x.rank === undefined || !axes) {
      this.block(x, `'${label}' reduces axes that cannot be located`);
      return;
    }
    const norm = axes.map((a) => (a < 0 ? a + x.rank! : a));
    if (norm.includes(front)) {
      this.block(x, `'${label}' reduces over their channels`);
      return;
    }
    // The mean, max or min of a constant is that constant; other reductions depend on the reduced size.
    const keeps = ['ReduceMean', 'ReduceMax', 'ReduceMin'].includes(node.opType);
    const reduced = { ...x, constant: keeps ? this.constantOf(x) : unknownConstants(x.layout) };
    if (keep) this.set(node.output[0], reduced);
    else {
      const rank = x.rank - norm.length;
      const moved = front - norm.filter((a) => a < front).length;
      this.set(node.output[0], { ...reduced, axisFromEnd: moved - rank, rank });
    }
  }

  visitPad(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const front = this.front(x);
    const pads = intsAttribute(node, 'pads') ?? this.intValues(node.input[1]);
    if (front === undefined || x.rank === undefined || !pads || pads.length !== 2 * x.rank || node.input[3]) {
      this.block(x, `'${label}' pads axes that cannot be located`);
      return;
    }
    if (pads[front] !== 0 || pads[front + x.rank] !== 0) {
      this.block(x, `'${label}' pads their channel axis`);
      return;
    }
    this.set(node.output[0], x);
  }

  visitResize(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    if (!this.onlySlots(node, [0], `'${label}'`)) return;
    const front = this.front(x);
    // Upsample and Resize-10 take (X, scales); Resize-11 and later (X, roi, scales, sizes).
    const scalesSlot = node.opType === 'Resize' && this.opset >= 11 ? 2 : 1;
    const scalesRef = node.input[scalesSlot] ? constantInput(this.index, node, scalesSlot) : undefined;
    const scalesAttr = attributeOf(node, 'scales')?.floats;
    const scales =
      scalesAttr && scalesAttr.length > 0 ? scalesAttr : scalesRef ? this.floatValues(scalesRef) : undefined;
    const sizes = node.opType === 'Resize' && this.opset >= 11 ? node.input[3] : undefined;
    if (front === undefined || !scales || scales.length === 0 || sizes) {
      this.block(x, `'${label}' resizes by sizes or scales that cannot be checked`);
      return;
    }
    if (scales[front] !== 1) {
      this.block(x, `'${label}' resizes their channel axis`);
      return;
    }
    this.set(node.output[0], x);
  }

  visitSoftmax(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    const front = this.front(x);
    const modern = this.opset >= 13;
    const axis = intAttribute(node, 'axis', modern ? -1 : 1);
    const fromEnd = axis < 0 ? axis : x.rank !== undefined ? axis - x.rank : undefined;
    const touches =
      fromEnd === undefined ? true : modern ? fromEnd === x.axisFromEnd : x.axisFromEnd >= fromEnd;
    if (touches || (!modern && front === undefined)) {
      this.block(x, `'${label}' normalizes across their channels`);
      return;
    }
    this.set(node.output[0], { ...x, constant: unknownConstants(x.layout) });
  }

  /** Shape is harmless when only other dims of it are read (e.g. the batch size for a flatten). */
  visitShape(node: NodeProto): void {
    const label = nodeLabel(node);
    const x = this.channel(node, 0)!;
    const front = this.front(x);
    if (front === undefined || x.rank === undefined) {
      this.block(x, `'${label}' reads the shape of a tensor of unknown rank`);
      return;
    }
    const [start, end] = this.shapeRange(node, x.rank);
    if (!this.avoidsEntry(node.output[0] ?? '', front - start, end - start, 0)) {
      this.block(x, `'${label}' reads their count with Shape`);
    }
  }

  /** Whether every use of a shape vector of `length` entries leaves entry `entry` unread. */
  avoidsEntry(name: string, entry: number, length: number, depth: number): boolean {
    if (entry < 0 || entry >= length) return true;
    if (
      depth > 12 ||
      name === '' ||
      this.index.isGraphOutput(name) ||
      this.index.implicitConsumersOf(name).length > 0
    )
      return false;
    return this.index.consumersOf(name).every(({ node: user, inputIndex }) => {
      if (inputIndex !== 0) return false;
      switch (user.opType) {
        case 'Cast':
        case 'Identity':
          return this.avoidsEntry(user.output[0] ?? '', entry, length, depth + 1);
        case 'Gather': {
          const at = this.intValues(user.input[1]);
          return (
            intAttribute(user, 'axis', 0) === 0 &&
            at !== undefined &&
            at.every((i) => (i < 0 ? i + length : i) !== entry)
          );
        }
        case 'Slice': {
          const range = this.sliceRange(user, length);
          return (
            range !== undefined &&
            this.avoidsEntry(user.output[0] ?? '', entry - range[0], range[1] - range[0], depth + 1)
          );
        }
        default:
          return false;
      }
    });
  }
}

/** Finds the channel groups of a model and the edits pruning each would need (the model is not changed). */
export function analyseChannels(model: ModelProto, options: AnalyseOptions): ChannelAnalysis {
  return new ChannelTracer(model, options).run();
}
