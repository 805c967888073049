import { type GraphProto, type ModelProto, type NodeProto } from 'onnx-buf';
import { StudioError } from '../../errors.js';
import { intsAttribute } from '../../onnx/attributes.js';
import { dataTypeByteSize } from '../../onnx/constants.js';
import { isFloatDtype } from '../../onnx/dtypes.js';
import {
  type ConstantRef,
  GraphIndex,
  type ValueTypeInfo,
  findConstant,
  opsetVersion,
  ValueTypes,
} from '../../onnx/graph.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { decodeTensor } from '../../onnx/tensor-codec.js';
import { toBase, unknownConstants } from '../channel-constants.js';
import { type Layout, layoutBase, resolveLayout } from '../channel-layout.js';
import type { AnalyseOptions, ChannelEdit, ChannelSource, ChannelTensor } from './types.js';

/*
 * The state of one channel walk and the helpers every op visitor shares: channel spaces and the union-find
 * that ties them into groups, blocking with a reason, tagging tensors, recording slice edits, and reading
 * constants. The visitors themselves live in weighted-layers.ts, per-channel-ops.ts and layout-ops.ts.
 */

interface Space {
  parent: number;
  count: number;
  sources: ChannelSource[];
  members: string[];
  blocked: string[];
}

export class ChannelTracer {
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

  /** A channel tensor's estimates (all unknown when none are tracked). */
  constantOf(t: ChannelTensor): Float64Array {
    return t.constant ?? unknownConstants(t.layout);
  }

  /** A 1-D per-channel constant (a bias, BatchNorm parameters) as per-base estimates, NaN when unreadable. */
  perChannel(ref: ConstantRef | undefined, layout: Layout): Float64Array {
    const values = ref ? this.floatValues(ref) : undefined;
    return values ? toBase(values, layoutBase(layout)) : unknownConstants(layout);
  }
}
