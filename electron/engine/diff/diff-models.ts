/**
 * `onnx-studio diff ORIGINAL VARIANT`: what a compression did, node by node and weight by weight
 * (shared/model-diff.ts). Our quantizers and pruners keep node and weight names, so the two graphs are matched by
 * name: a node of the original is kept (same op), replaced (another op under its name), fused (its output now
 * comes from another node: a bias Add into a fused MatMul, a Relu folded into a quantization) or removed; a
 * weight is unchanged, quantized (it became `W_quantized` + `W_scale`...), cast, reshaped (pruned channels),
 * changed in value (magnitude pruning), or removed. A model made by another tool that renames everything shows
 * up as removed and added nodes, which is the truth at the level of names.
 */
import {
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
} from 'onnx-buf';
import { INT8_OPS } from '../../../shared/explain.js';
import type {
  AddedNodes,
  ModelDiff,
  NodeChange,
  NodeDiff,
  NodePrecision,
  WeightChange,
  WeightDiff,
} from '../../../shared/model-diff.js';
import { StudioError } from '../errors.js';
import { floatValues } from '../onnx/constants.js';
import { dtypeName } from '../onnx/dtypes.js';
import { isExternal } from '../onnx/external-data.js';
import { loadModel } from '../onnx/load-model.js';
import { tensorByteSize } from '../onnx/tensor-codec.js';
import { walkGraphs } from '../onnx/walk-graphs.js';

const QDQ_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);
/** Zero counts are read for float weights up to this size (larger ones would cost a second pass over the file). */
const ZERO_COUNT_LIMIT = 256 * 2 ** 20;

function countWithSubgraphs(graph: GraphProto): number {
  let n = 0;
  walkGraphs(graph, (g) => (n += g.node.length));
  return n;
}

/** What each node of a graph computes in, from its op type and the types of what it reads. */
function precisions(graph: GraphProto): Map<NodeProto, NodePrecision> {
  const fp16 = new Set(
    graph.initializer.filter((t) => t.dataType === TensorProto_DataType.FLOAT16).map((t) => t.name),
  );
  const dequantized = new Set<string>();
  const out = new Map<NodeProto, NodePrecision>();
  for (const node of graph.node) {
    let precision: NodePrecision = 'float32';
    if (QDQ_OPS.has(node.opType) || node.opType === 'Cast') precision = 'other';
    else if (node.opType === 'MatMulNBits') precision = 'int4';
    else if (INT8_OPS.has(node.opType) || node.input.some((i) => dequantized.has(i))) precision = 'int8';
    else if (node.input.some((i) => fp16.has(i))) precision = 'float16';
    out.set(node, precision);
    if (node.opType === 'DequantizeLinear') node.output.forEach((o) => dequantized.add(o));
    const castsToHalf =
      node.opType === 'Cast' &&
      node.attribute.some((a) => a.name === 'to' && Number(a.i) === TensorProto_DataType.FLOAT16);
    if (castsToHalf || precision === 'float16') node.output.forEach((o) => fp16.add(o));
  }
  return out;
}

function zeroShare(t: TensorProto): number | undefined {
  if (t.dataType !== TensorProto_DataType.FLOAT || isExternal(t) || tensorByteSize(t) > ZERO_COUNT_LIMIT)
    return undefined;
  const values = floatValues(t);
  if (values.length === 0) return undefined;
  let zeros = 0;
  for (const v of values) if (v === 0) zeros++;
  return zeros / values.length;
}

const shapeOf = (t: TensorProto) => t.dims.map(Number);
const sameShape = (a: TensorProto, b: TensorProto) =>
  a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);

function diffNodes(original: GraphProto, variant: GraphProto): ModelDiff['nodes'] {
  // onnxruntime's fusions name the fused node after the first node it replaced: `X/MatMulAddFusion` is X.
  const variantByName = new Map<string, NodeProto>();
  for (const n of variant.node) if (n.name) variantByName.set(n.name, n);
  for (const n of variant.node) {
    const cut = n.name.lastIndexOf('/');
    if (cut > 0 && /Fusion$/.test(n.name.slice(cut + 1)) && !variantByName.has(n.name.slice(0, cut)))
      variantByName.set(n.name.slice(0, cut), n);
  }
  const producer = new Map<string, NodeProto>();
  for (const n of variant.node) for (const o of n.output) producer.set(o, n);
  const precisionOf = precisions(variant);
  const matched = new Set<NodeProto>();
  /** The variant node each original node became (kept, replaced or fused). */
  const became = new Map<NodeProto, NodeProto>();
  const list: NodeDiff[] = original.node.map((node) => {
    const same = node.name ? variantByName.get(node.name) : undefined;
    if (same) {
      matched.add(same);
      became.set(node, same);
      return {
        name: node.name,
        opType: node.opType,
        change: same.opType === node.opType ? 'kept' : 'replaced',
        variantOpType: same.opType,
        precision: precisionOf.get(same)!,
      };
    }
    const taker = node.output.map((o) => producer.get(o)).find((p) => p !== undefined);
    if (taker) {
      became.set(node, taker);
      return { name: node.name, opType: node.opType, change: 'fused', fusedInto: taker.name || taker.opType };
    }
    return { name: node.name, opType: node.opType, change: 'removed' };
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
    const into = after.find((v) => v !== undefined && before.has(v));
    if (into) list[i] = { ...list[i]!, change: 'fused', fusedInto: into.name || into.opType };
  });
  const added: AddedNodes = { quantizeDequantize: 0, casts: 0, other: {} };
  for (const n of variant.node) {
    if (matched.has(n)) continue;
    if (QDQ_OPS.has(n.opType)) added.quantizeDequantize++;
    else if (n.opType === 'Cast') added.casts++;
    else added.other[n.opType] = (added.other[n.opType] ?? 0) + 1;
  }
  const byChange: Record<NodeChange, number> = { kept: 0, replaced: 0, fused: 0, removed: 0 };
  for (const d of list) byChange[d.change]++;
  const byPrecision: Record<NodePrecision, number> = { float32: 0, float16: 0, int8: 0, int4: 0, other: 0 };
  for (const d of list) if (d.precision) byPrecision[d.precision]++;
  return {
    original: original.node.length,
    variant: variant.node.length,
    originalWithSubgraphs: countWithSubgraphs(original),
    variantWithSubgraphs: countWithSubgraphs(variant),
    byChange,
    byPrecision,
    added,
    list,
  };
}

function diffWeights(original: GraphProto, variant: GraphProto): ModelDiff['weights'] {
  const variantByName = new Map(variant.initializer.map((t) => [t.name, t]));
  // A variant tensor `W_scale` came from `W` only if the original has no tensor of that name itself.
  const originalNames = new Set(original.initializer.map((t) => t.name));
  // `W_quantized`, `W_scale`, `W_zero_point`, `W_Q4`, `W_scales`: the original weight is what is left after
  // dropping one or two `_suffix` segments.
  const derivedFrom = new Map<string, TensorProto[]>();
  for (const v of variant.initializer) {
    if (originalNames.has(v.name)) continue;
    let base = v.name;
    for (let i = 0; i < 2; i++) {
      const cut = base.lastIndexOf('_');
      if (cut <= 0) break;
      base = base.slice(0, cut);
      if (originalNames.has(base)) {
        derivedFrom.set(base, [...(derivedFrom.get(base) ?? []), v]);
        break;
      }
    }
  }
  const used = new Set<string>();
  const list: WeightDiff[] = original.initializer.map((t) => {
    const base: WeightDiff = {
      name: t.name,
      change: 'removed',
      dtype: dtypeName(t.dataType),
      shape: shapeOf(t),
      bytes: tensorByteSize(t),
    };
    const same = variantByName.get(t.name);
    const derived = derivedFrom.get(t.name) ?? [];
    const target = same ?? derived.find((v) => v.dims.length === t.dims.length) ?? derived[0];
    if (!target) return base;
    const parts = same ? [same] : derived;
    parts.forEach((p) => used.add(p.name));
    let change: WeightChange;
    if (!same) change = 'quantized';
    else if (same.dataType !== t.dataType) change = 'cast';
    else if (!sameShape(same, t)) change = 'reshaped';
    else change = isExternal(t) || isExternal(same) || equalBytes(t, same) ? 'unchanged' : 'values';
    const before = zeroShare(t);
    const after = change === 'values' || change === 'reshaped' ? zeroShare(same!) : undefined;
    return {
      ...base,
      change,
      variantDtype: dtypeName(target.dataType),
      variantShape: shapeOf(target),
      variantBytes: parts.reduce((sum, p) => sum + tensorByteSize(p), 0),
      variantNames: parts.map((p) => p.name),
      ...(before !== undefined && after !== undefined ? { zeros: { before, after } } : {}),
    };
  });
  const addedTensors = variant.initializer.filter((t) => !used.has(t.name));
  const byChange: Record<WeightChange, number> = {
    unchanged: 0,
    quantized: 0,
    cast: 0,
    reshaped: 0,
    values: 0,
    removed: 0,
  };
  for (const w of list) byChange[w.change]++;
  return {
    bytesBefore: list.reduce((s, w) => s + w.bytes, 0),
    bytesAfter:
      list.reduce((s, w) => s + (w.variantBytes ?? 0), 0) +
      addedTensors.reduce((s, t) => s + tensorByteSize(t), 0),
    byChange,
    list: list.sort((a, b) => b.bytes - a.bytes),
    addedCount: addedTensors.length,
    addedBytes: addedTensors.reduce((s, t) => s + tensorByteSize(t), 0),
  };
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
): ModelDiff {
  if (!original.graph || !variant.graph)
    throw new StudioError('MODEL_INVALID', 'A model without a graph cannot be compared.');
  return {
    original: names.original,
    variant: names.variant,
    nodes: diffNodes(original.graph, variant.graph),
    weights: diffWeights(original.graph, variant.graph),
  };
}

export async function diffModels(originalPath: string, variantPath: string): Promise<ModelDiff> {
  const [original, variant] = [await loadModel(originalPath), await loadModel(variantPath)];
  return diffModelProtos(original.proto, variant.proto, { original: original.path, variant: variant.path });
}
