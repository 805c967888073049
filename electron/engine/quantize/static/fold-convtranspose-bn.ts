import type { GraphProto, NodeProto } from 'onnx-buf';
import { floatAttribute, intAttribute } from '../../onnx/attributes.js';
import { makeFloatTensor } from '../../onnx/graph-build.js';
import { GraphIndex, UniqueNameGenerator, normalizeDomain } from '../../onnx/graph.js';
import { resolveStoredFloat32 } from './qdq-plan.js';

/*
 * onnxruntime's pre-optimization folds a BatchNormalization into the Conv before it, but not into a
 * ConvTranspose, so decoder heads (ConvTranspose + BN + Relu, as in DBNet-style detectors) keep a float
 * BatchNormalization over a full-resolution map: in an int8 model it sits between two float ops and costs
 * as much as the ConvTranspose itself. The fold is the same algebra as for Conv, on the ConvTranspose's
 * weight layout [C_in, C_out / group, k...]:
 *
 *   k[oc]      = gamma[oc] / sqrt(var[oc] + epsilon)
 *   W'[ic, j]  = W[ic, j] * k[oc]          with oc = group_of(ic) * (C_out / group) + j
 *   B'[oc]     = (B[oc] - mean[oc]) * k[oc] + beta[oc]
 *
 * Results are equal up to float32 rounding. Only float32 constants are folded; the weight and bias are
 * new initializers (the old ones are removed when nothing else reads them).
 */

const floatConstant = resolveStoredFloat32;

/** Folds each foldable BatchNormalization into the ConvTranspose before it; returns how many. */
export function foldBatchNormIntoConvTranspose(graph: GraphProto): number {
  const index = new GraphIndex(graph);
  const names = new UniqueNameGenerator(graph);
  const removed = new Set<NodeProto>();
  const oldConstants = new Set<string>();
  for (const bn of graph.node) {
    if (bn.opType !== 'BatchNormalization' || normalizeDomain(bn.domain) !== '') continue;
    if (intAttribute(bn, 'training_mode', 0) !== 0 || bn.output.slice(1).some((o) => o)) continue;
    const x = bn.input[0] ?? '';
    const ct = index.producer(x)?.node;
    if (!ct || ct.opType !== 'ConvTranspose' || normalizeDomain(ct.domain) !== '') continue;
    if (
      index.consumersOf(x).length !== 1 ||
      index.isGraphOutput(x) ||
      index.implicitConsumersOf(x).length > 0
    )
      continue;
    const w = floatConstant(index, ct.input[1] ?? '');
    if (!w || w.dims.length < 3) continue;
    const group = intAttribute(ct, 'group', 1);
    const [cin = 0, perGroup = 0] = w.dims;
    const cout = perGroup * group;
    if (group < 1 || cin % group !== 0 || cout === 0) continue;
    const bias = ct.input[2] ? floatConstant(index, ct.input[2]) : undefined;
    if (ct.input[2] && bias?.values.length !== cout) continue;
    const params = bn.input.slice(1, 5).map((n) => floatConstant(index, n));
    if (params.length !== 4 || params.some((p) => p?.values.length !== cout)) continue;
    const [gamma, beta, mean, variance] = params.map((p) => p!.values) as Float32Array[];
    const epsilon = floatAttribute(bn, 'epsilon', 1e-5);

    const k = new Float64Array(cout);
    for (let oc = 0; oc < cout; oc++) k[oc] = gamma![oc]! / Math.sqrt(variance![oc]! + epsilon);
    const kernel = w.values.length / (cin * perGroup);
    const weight = new Float32Array(w.values.length);
    const inPerGroup = cin / group;
    for (let ic = 0; ic < cin; ic++) {
      const g = Math.floor(ic / inPerGroup);
      for (let j = 0; j < perGroup; j++) {
        const factor = k[g * perGroup + j]!;
        const start = (ic * perGroup + j) * kernel;
        for (let e = start; e < start + kernel; e++) weight[e] = w.values[e]! * factor;
      }
    }
    const newBias = new Float32Array(cout);
    for (let oc = 0; oc < cout; oc++) {
      newBias[oc] = ((bias?.values[oc] ?? 0) - mean![oc]!) * k[oc]! + beta![oc]!;
    }
    const base = ct.name || ct.output[0] || 'convtranspose';
    const weightName = names.next(`${base}.bn_folded_weight`);
    const biasName = names.next(`${base}.bn_folded_bias`);
    graph.initializer.push(makeFloatTensor(weightName, w.dims, weight));
    graph.initializer.push(makeFloatTensor(biasName, [cout], newBias));
    for (const name of [ct.input[1], ct.input[2], ...bn.input.slice(1)]) if (name) oldConstants.add(name);
    ct.input[1] = weightName;
    if (ct.input.length < 3) ct.input.push(biasName);
    else ct.input[2] = biasName;
    ct.output[0] = bn.output[0] ?? '';
    removed.add(bn);
  }
  if (removed.size === 0) return 0;
  graph.node = graph.node.filter((n) => !removed.has(n));
  const after = new GraphIndex(graph);
  graph.initializer = graph.initializer.filter((t) => !oldConstants.has(t.name) || after.isUsed(t.name));
  return removed.size;
}
