import type { NodeProto } from 'onnx-buf';

/**
 * A short label for a node in reports (skipped nodes, pruned layers): its name, or its op type and
 * first non-empty output, or its op type alone. See graph-index.ts describeNode for error messages.
 */
export function nodeLabel(node: NodeProto): string {
  if (node.name !== '') return node.name;
  const out = node.output.find((o) => o !== '');
  return out === undefined ? node.opType : `${node.opType}(${out})`;
}
