/**
 * Which node of the model a profiled kernel ran, where onnxruntime named the kernel otherwise. On a CPU whose
 * blocked layout (NCHWc) takes a node (8 channels with AVX2, 16 with AVX-512), onnxruntime names its kernel after
 * the tensor it writes (`<tensor>_nchwc`), and that tensor is the last of the group it fused into the node (a
 * Conv with its BatchNormalization and Relu writes the Relu's output). Resolved here, where the model is, so every
 * reader of the profile (explain, the app's Explain panel) names the node.
 */
import type { ModelProto, NodeProto } from 'onnx-buf';
import type { BenchProfile } from '../../../shared/bench.js';
import { fusedChain, nchwcOutputOf, type FusionView } from '../../../shared/ort-node-names.js';

/**
 * For each tensor a named node of the main graph writes first, the node whose kernel writes it when onnxruntime
 * fuses: the writer itself, or the node its fused followers lead back to (over edges with one reader).
 */
export function fusedWriters(model: ModelProto): Map<string, string> {
  const nodes = model.graph?.node ?? [];
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, number>();
  for (const node of nodes) {
    for (const output of node.output) if (output !== '') producer.set(output, node);
    for (const input of node.input) readers.set(input, (readers.get(input) ?? 0) + 1);
  }
  const view: FusionView<NodeProto> = {
    opType: (node) => node.opType,
    inputs: (node) => node.input,
    output: (node) => node.output[0],
    producer: (tensor) => producer.get(tensor),
    readers: (tensor) => readers.get(tensor) ?? 0,
  };
  const head = (node: NodeProto): NodeProto => fusedChain(node, view)[0]!;
  const writers = new Map<string, string>();
  for (const node of nodes) {
    const tensor = node.output[0];
    if (node.name === '' || !tensor) continue;
    writers.set(tensor, head(node).name || node.name);
  }
  return writers;
}

/** The profile with each blocked-layout kernel's node named (`node`), where the writers know it. */
export function nameBlockedKernels<P extends Pick<BenchProfile, 'topNodes' | 'nodes'>>(
  profile: P,
  writers: ReadonlyMap<string, string>,
): P {
  const named = (list: BenchProfile['topNodes']) =>
    list.map((n) => {
      const tensor = nchwcOutputOf(n.name);
      const node = tensor !== undefined ? writers.get(tensor) : undefined;
      return node !== undefined ? { ...n, node } : n;
    });
  return {
    ...profile,
    topNodes: named(profile.topNodes),
    ...(profile.nodes ? { nodes: named(profile.nodes) } : {}),
  };
}
