import type { DescMessage, Message } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProtoSchema, type ModelProto, type TensorProto } from 'onnx-buf';

/**
 * Visits every TensorProto anywhere in a model: initializers, sparse initializers' values and indices,
 * tensor attributes (Constant nodes and others), subgraphs of If/Loop/Scan, functions and training info.
 * It walks the protobuf descriptors rather than a hand-written list of places, so a tensor in a field
 * added by a future ONNX version is not silently missed (external data must be found wherever it is).
 */
export function forEachTensor(model: ModelProto, visit: (tensor: TensorProto) => void): void {
  walk(ModelProtoSchema, model, visit);
}

/** The same for any ONNX message (a graph, a node, a tensor itself), in the same order. */
export function forEachTensorIn(
  desc: DescMessage,
  message: Message,
  visit: (tensor: TensorProto) => void,
): void {
  walk(desc, message, visit);
}

const tensorHolders = new WeakMap<DescMessage, boolean>();

/** Whether messages of this type can contain a TensorProto at any depth (memoized, cycle-safe). */
function canHoldTensor(desc: DescMessage, visiting = new Set<DescMessage>()): boolean {
  const known = tensorHolders.get(desc);
  if (known !== undefined) return known;
  if (desc.typeName === TensorProtoSchema.typeName) return true;
  if (visiting.has(desc)) return false;
  visiting.add(desc);
  let result = false;
  for (const field of desc.fields) {
    const child =
      field.fieldKind === 'message'
        ? field.message
        : field.fieldKind === 'list' && field.listKind === 'message'
          ? field.message
          : undefined;
    if (child && canHoldTensor(child, visiting)) result = true;
  }
  visiting.delete(desc);
  // Only cache answers computed without a cycle cut short, or positive ones.
  if (result || visiting.size === 0) tensorHolders.set(desc, result);
  return result;
}

function walk(desc: DescMessage, message: Message, visit: (tensor: TensorProto) => void): void {
  if (desc.typeName === TensorProtoSchema.typeName) {
    visit(message as TensorProto);
    return;
  }
  const record = message as unknown as Record<string, unknown>;
  for (const field of desc.fields) {
    if (field.fieldKind === 'message') {
      if (!canHoldTensor(field.message)) continue;
      const value = field.oneof
        ? (record[field.oneof.localName] as { case?: string; value?: Message }).case === field.localName
          ? (record[field.oneof.localName] as { value?: Message }).value
          : undefined
        : (record[field.localName] as Message | undefined);
      if (value) walk(field.message, value, visit);
    } else if (field.fieldKind === 'list' && field.listKind === 'message') {
      if (!canHoldTensor(field.message)) continue;
      for (const item of record[field.localName] as Message[]) walk(field.message, item, visit);
    }
  }
}
