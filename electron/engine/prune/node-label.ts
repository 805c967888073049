import type { NodeProto } from 'onnx-buf';

/** A short label for a node in pruning reports: its name, or its op type and first output. */
export function nodeLabel(node: NodeProto): string {
  if (node.name !== '') return node.name;
  const out = node.output.find((o) => o !== '');
  return out === undefined ? node.opType : `${node.opType}(${out})`;
}
