import {
  type GraphProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';
import { z } from 'zod';
import { attributeOf, intAttribute, setIntAttribute } from '../../onnx/attributes.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { float32ToFloat16Clamped } from '../../onnx/float16.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  findConstant,
  localDefinitions,
  removeInitializers,
  removeNodes,
  replaceConstant,
  replaceUses,
  subgraphCaptures,
  subgraphsOf,
  topologicalOrder,
} from '../../onnx/graph.js';
import { littleEndianBytes, makeAttribute, makeNode, makeRawTensor } from '../../onnx/graph-build.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { decodeToFloat32 } from '../../onnx/tensor-codec.js';
import { registerQuantizeMethod } from '../method-registry.js';
import type { QuantizeInput, QuantizeMethod, QuantizeOutcome, SkippedNode } from '../quantize-method.js';
import { inferElementTypes } from '../../onnx/element-types.js';
import {
  NodeProgress,
  throwIfCancelled,
} from '../weight-only/weights.js';
import { cloneProto } from '../../onnx/clone-proto.js';
import { fp16OptionsSchema, QUANTIZE_METHOD_SPECS } from '../../../../shared/options/quantize-options.js';

/*
 * fp16: float32 weights and compute to float16 (what GPUs and ARM CPUs run at twice the speed and half
 * the memory). What it emits:
 * - float32 initializers / Constant-node values read only by converted nodes become float16 in place;
 *   one read by both converted and float32 nodes is kept and a float16 copy added (no lossy round trip
 *   for the float32 side). Values beyond ±65504 are clamped to ±65504 (reported); tiny ones that
 *   underflow to 0 are counted.
 * - Nodes compute in float16 unless blocked: the default block list (ops that are numerically unsafe
 *   in float16 or whose float inputs must stay float32, see DEFAULT_FP16_BLOCK_LIST), the user's
 *   `blockOpTypes`, --exclude-nodes, nodes not in --op-types, nodes outside the default domain, nodes
 *   holding subgraphs (If/Loop/Scan stay float32 with their bodies), and "shape math": float
 *   arithmetic on integers cast from tensor shapes (int -> float -> int), where float16 would lose
 *   integers above 2048.
 * - A Cast is inserted at every float16/float32 boundary: into and out of blocked nodes, for outer
 *   values their subgraphs capture, and (keepIoTypes, the default) after float32 graph inputs and before
 *   float32 graph outputs, so the model's interface is unchanged. Without keepIoTypes the interface
 *   itself becomes float16.
 * - Attributes that carry the float type are rewritten on converted nodes: Cast `to`, ConstantOfShape
 *   `value`, EyeLike `dtype`. value_info and graph input/output types are updated.
 * Only the main graph is converted; element types come from a small type inference (onnx/element-types.ts).
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

type Fp16Options = z.infer<typeof fp16OptionsSchema>;

const F32 = DT.FLOAT;
const F16 = DT.FLOAT16;

/** One read of a float32 value: an input slot, a graph output, or a subgraph capture. */
type Use =
  | { kind: 'input'; node: NodeProto; slot: number; want: number }
  | { kind: 'output'; want: number }
  | { kind: 'capture'; node: NodeProto; want: number };

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

async function convertToFloat16(input: QuantizeInput<Fp16Options>): Promise<QuantizeOutcome> {
  const { model, common, options, note, signal } = input;
  throwIfCancelled(signal);
  const graph = model.graph;
  if (!graph) return { quantizedNodes: 0, skippedNodes: [] };
  const keepIo = options.keepIoTypes;
  const blocked = new Set([...DEFAULT_FP16_BLOCK_LIST, ...options.blockOpTypes]);
  const index = new GraphIndex(graph);
  const types = inferElementTypes(index);
  const isFloat = (name: string): boolean => name !== '' && types.get(name) === F32;
  const names = new UniqueNameGenerator(model);
  const skippedNodes: SkippedNode[] = [];
  const order = topologicalOrder(index);
  const progress = new NodeProgress(order.length, signal, input.onProgress, 'converting');

  // 1. Which nodes compute in float16.
  const converted = new Set<NodeProto>();
  const isConstant = (name: string): boolean =>
    findConstant(index, name, { allowOverridable: true }) !== undefined;
  let subgraphNodes = 0;
  // "Shape math": values computed from tensor sizes (Shape/Size, then any node reading only such values
  // and constants). Its float arithmetic stays float32 so that integers above 2048 stay exact.
  const shapeDerived = new Set<string>();
  const shapeDerivedNode = (node: NodeProto): boolean => {
    const inputs = node.input.filter((n) => n !== '');
    return (
      inputs.length > 0 &&
      inputs.some((n) => shapeDerived.has(n)) &&
      inputs.every((n) => shapeDerived.has(n) || isConstant(n))
    );
  };
  for (const node of order) {
    if ((TYPE_AGNOSTIC.has(node.opType) && isDefaultDomain(node.domain)) || shapeDerivedNode(node)) {
      for (const o of node.output) if (o !== '') shapeDerived.add(o);
    }
  }
  for (const node of order) {
    const isConstantNode = node.opType === 'Constant' && isDefaultDomain(node.domain);
    const captures = subgraphCaptures(node);
    const touchesFloat = node.input.some(isFloat) || node.output.some(isFloat) || captures.some(isFloat);
    if (isConstantNode || !touchesFloat || (TYPE_AGNOSTIC.has(node.opType) && isDefaultDomain(node.domain))) {
      await progress.step();
      continue;
    }
    let reason: string | undefined;
    const shapeMath = shapeDerivedNode(node);
    if (!isDefaultDomain(node.domain)) reason = `op of domain '${node.domain}'; kept in float32`;
    else if (subgraphsOf(node).length > 0) {
      reason = 'holds subgraphs; kept in float32 with its subgraphs';
      subgraphNodes += 1;
    } else if (node.name !== '' && common.excludeNodes.includes(node.name))
      reason = 'excluded by --exclude-nodes';
    else if (common.opTypes && !common.opTypes.includes(node.opType)) reason = 'not in --op-types';
    else if (options.blockOpTypes.includes(node.opType)) reason = 'in the block list (blockOpTypes)';
    else if (blocked.has(node.opType)) reason = 'in the default float16 block list';
    else if (shapeMath)
      reason = 'computes on tensor sizes (shape math); kept in float32 so integers stay exact';
    if (reason) skippedNodes.push({ name: nodeLabel(node), opType: node.opType, reason });
    else converted.add(node);
    await progress.step();
  }

  // 2. Every read of a float32 value, and the type it wants.
  const uses = new Map<string, Use[]>();
  const addUse = (name: string, use: Use): void => {
    const list = uses.get(name);
    if (list) list.push(use);
    else uses.set(name, [use]);
  };
  for (const node of graph.node) {
    const agnostic = TYPE_AGNOSTIC.has(node.opType) && isDefaultDomain(node.domain);
    node.input.forEach((name, slot) => {
      if (!isFloat(name) || agnostic) return;
      const want = converted.has(node) && !FLOAT32_ONLY_INPUTS.get(node.opType)?.has(slot) ? F16 : F32;
      addUse(name, { kind: 'input', node, slot, want });
    });
    for (const name of subgraphCaptures(node))
      if (isFloat(name)) addUse(name, { kind: 'capture', node, want: F32 });
  }
  for (const o of graph.output)
    if (isFloat(o.name)) addUse(o.name, { kind: 'output', want: keepIo ? F32 : F16 });

  // 3. The type each float32 value has after conversion (constants are decided by their uses below).
  const producedType = (name: string): number => {
    const p = index.producer(name);
    if (!p) return keepIo ? F32 : F16; // a graph input
    const n = p.node;
    return converted.has(n) && !FLOAT32_ONLY_OUTPUTS.get(n.opType)?.has(p.outputIndex) ? F16 : F32;
  };

  const atStart: NodeProto[] = [];
  const after = new Map<NodeProto, NodeProto[]>();
  const place = (name: string, node: NodeProto): void => {
    const p = index.producer(name);
    if (!p) {
      atStart.push(node);
      return;
    }
    const list = after.get(p.node);
    if (list) list.push(node);
    else after.set(p.node, [node]);
  };
  const redirect = (use: Use, from: string, to: string): void => {
    if (use.kind === 'input') use.node.input[use.slot] = to;
    else if (use.kind === 'capture') {
      for (const sub of subgraphsOf(use.node)) {
        if (!localDefinitions(sub).has(from))
          replaceUses(sub, from, to, { subgraphs: true, graphOutputs: true });
      }
    }
  };

  let clampedValues = 0;
  let underflowedValues = 0;
  const clampedTensors: string[] = [];
  let inputsRemoved = 0;
  const toHalf = (tensor: TensorProto, name: string): TensorProto => {
    const { bits, clamped, underflowed } = float32ToFloat16Clamped(decodeToFloat32(tensor));
    underflowedValues += underflowed;
    if (clamped > 0) {
      clampedValues += clamped;
      clampedTensors.push(name);
    }
    return makeRawTensor(name, F16, tensor.dims, littleEndianBytes(bits));
  };

  let constants = 0;
  for (const [name, list] of uses) {
    const wantsHalf = list.filter((u) => u.want === F16);
    const wantsFloat = list.filter((u) => u.want === F32);
    const ref = findConstant(index, name, { allowOverridable: true });
    if (ref) {
      if (wantsHalf.length === 0) continue;
      constants += 1;
      if (wantsFloat.length === 0) {
        // Only float16 readers: convert in place (an IR < 4 input entry of the same name goes away).
        replaceConstant(ref, toHalf(ref.tensor, name));
        if (ref.kind === 'initializer' && ref.overridable) {
          graph.input = graph.input.filter((vi) => vi.name !== name);
          inputsRemoved += 1;
        }
      } else {
        const copy = names.next(`${name}_fp16`);
        graph.initializer.push(toHalf(ref.tensor, copy));
        for (const u of wantsHalf) redirect(u, name, copy);
      }
      continue;
    }
    const type = producedType(name);
    const isOutput = list.some((u) => u.kind === 'output');
    const outputWant = keepIo ? F32 : F16;
    const others = list.filter((u) => u.want !== type);
    if (others.length === 0) continue;
    if (isOutput && type !== outputWant && index.producer(name)) {
      // The graph output keeps its name and interface type: the producer writes an internal value
      // and a Cast produces the output from it.
      const internal = names.next(`${name}_${type === F16 ? 'fp16' : 'fp32'}`);
      const p = index.producer(name)!;
      p.node.output[p.outputIndex] = internal;
      for (const u of list) if (u.kind !== 'output' && u.want === type) redirect(u, name, internal);
      place(name, castNode(internal, name, outputWant, names.next(`${name}_Cast`)));
      continue;
    }
    const target = type === F16 ? F32 : F16;
    const cast = names.next(`${name}_${target === F16 ? 'fp16' : 'fp32'}`);
    place(name, castNode(name, cast, target, names.next(`${cast}_Cast`)));
    for (const u of others) redirect(u, name, cast);
  }

  // 4. Attributes carrying the float type, on converted nodes.
  for (const node of converted) {
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
        value.t = toHalf(value.t, value.t.name);
      }
    } else if (node.opType === 'EyeLike' && intAttribute(node, 'dtype', 0) === F32) {
      setIntAttribute(node, 'dtype', F16);
    }
  }

  // 5. Declared types.
  if (!keepIo) {
    for (const vi of graph.input) if (isFloat(vi.name) && !isConstant(vi.name)) setElemType(vi, F16);
    for (const vi of graph.output) if (isFloat(vi.name)) setElemType(vi, F16);
  }
  for (const vi of graph.valueInfo) {
    if (!isFloat(vi.name) || index.isGraphOutput(vi.name)) continue;
    if (index.producer(vi.name) && !findConstant(index, vi.name) && producedType(vi.name) === F16)
      setElemType(vi, F16);
  }

  graph.node = [...atStart, ...graph.node.flatMap((n) => [n, ...(after.get(n) ?? [])])];

  // 6. Casts of constants (half-precision checkpoints: float16/bfloat16 weight -> Cast(to float)) now
  // cast to float16: store the float16 weight under the Cast's output name and drop the Cast.
  const folded = new Set<NodeProto>();
  const sources = new Set<string>();
  for (const node of converted) {
    if (node.opType !== 'Cast' || intAttribute(node, 'to', 0) !== F16) continue;
    const out = node.output[0] ?? '';
    const src = node.input[0] ?? '';
    const ref = findConstant(index, src);
    if (
      !ref ||
      out === '' ||
      index.isGraphOutput(out) ||
      ![F16, F32, DT.BFLOAT16, DT.DOUBLE].includes(ref.tensor.dataType)
    )
      continue;
    graph.initializer.push(
      ref.tensor.dataType === F16 ? renamedCopy(ref.tensor, out) : toHalf(ref.tensor, out),
    );
    folded.add(node);
    sources.add(src);
  }
  if (folded.size > 0) {
    graph.node = graph.node.filter((n) => !folded.has(n));
    const fresh = new GraphIndex(graph);
    // Removed together: a pass over the graph per source is quadratic on models of thousands of weights.
    const unreadNodes = new Set<NodeProto>();
    const unreadInitializers = new Set<string>();
    for (const src of sources) {
      if (fresh.isUsed(src)) continue;
      const ref = findConstant(fresh, src, { allowOverridable: true });
      if (ref?.kind === 'constant-node') unreadNodes.add(ref.node);
      else if (ref) unreadInitializers.add(src);
    }
    removeNodes(graph, unreadNodes);
    removeInitializers(graph, unreadInitializers, { removeInput: true });
    note(`${folded.size} Casts of half-precision weights were folded into float16 weights.`);
  }

  if (clampedValues > 0) {
    note(
      `${clampedValues} values beyond the float16 range were clamped to ±65504 in ${clampedTensors.length} tensors ` +
        `(${clampedTensors.slice(0, 5).join(', ')}${clampedTensors.length > 5 ? ', ...' : ''}).`,
    );
  }
  if (underflowedValues > 0)
    note(`${underflowedValues} nonzero weight values are too small for float16 and became 0.`);
  if (subgraphNodes > 0)
    note(`${subgraphNodes} nodes with subgraphs (If/Loop/Scan) were kept in float32 with their subgraphs.`);
  if (inputsRemoved > 0)
    note(
      `${inputsRemoved} converted weights were also listed as graph inputs (IR < 4 style); those input entries were removed.`,
    );
  const quantizedNodes = converted.size - folded.size;
  // Said only where there was a float32 input or output to keep (a model already in float16 has none).
  const floatIo = keepIo && [...graph.input, ...graph.output].some((v) => isFloat(v.name));
  note(
    `${quantizedNodes} nodes and ${constants} constants converted to float16${floatIo ? '; float32 inputs and outputs kept float32' : ''}.`,
  );
  return { quantizedNodes, skippedNodes };
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
