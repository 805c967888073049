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

/** A field that can lead to a TensorProto: where to read it and the type it holds. */
interface TensorPath {
  readonly localName: string;
  /** The oneof's local name when the field is a oneof member. */
  readonly oneof: string | undefined;
  readonly list: boolean;
  readonly message: DescMessage;
  /** The field holds TensorProtos themselves. */
  readonly tensors: boolean;
}

const tensorPaths = new WeakMap<DescMessage, TensorPath[]>();

/**
 * The fields of a message type that can hold a tensor, computed once per type: walking 20,000 nodes
 * otherwise re-tests every field of every node (a measurable part of loading a model with many nodes).
 */
function tensorPathsOf(desc: DescMessage): TensorPath[] {
  let paths = tensorPaths.get(desc);
  if (paths) return paths;
  paths = [];
  for (const field of desc.fields) {
    if (field.fieldKind === 'message') {
      if (canHoldTensor(field.message))
        paths.push({
          localName: field.localName,
          oneof: field.oneof?.localName,
          list: false,
          message: field.message,
          tensors: field.message.typeName === TensorProtoSchema.typeName,
        });
    } else if (field.fieldKind === 'list' && field.listKind === 'message') {
      if (canHoldTensor(field.message))
        paths.push({
          localName: field.localName,
          oneof: undefined,
          list: true,
          message: field.message,
          tensors: field.message.typeName === TensorProtoSchema.typeName,
        });
    }
  }
  tensorPaths.set(desc, paths);
  return paths;
}

function walk(desc: DescMessage, message: Message, visit: (tensor: TensorProto) => void): void {
  if (desc.typeName === TensorProtoSchema.typeName) {
    visit(message as TensorProto);
    return;
  }
  walkFields(tensorPathsOf(desc), message, visit);
}

/**
 * Walks the fields `paths` of `message`. A list's item type is looked up once for the list, and a list of
 * tensors is visited directly: per item, that lookup was most of the walk over 20,000 nodes.
 */
function walkFields(paths: TensorPath[], message: Message, visit: (tensor: TensorProto) => void): void {
  const record = message as unknown as Record<string, unknown>;
  for (const path of paths) {
    if (path.list) {
      const items = record[path.localName] as Message[];
      if (items.length === 0) continue;
      if (path.tensors) {
        for (const item of items) visit(item as TensorProto);
      } else {
        const itemPaths = tensorPathsOf(path.message);
        for (const item of items) walkFields(itemPaths, item, visit);
      }
    } else if (path.oneof !== undefined) {
      const oneof = record[path.oneof] as { case?: string; value?: Message };
      if (oneof.case === path.localName && oneof.value) walk(path.message, oneof.value, visit);
    } else {
      const value = record[path.localName] as Message | undefined;
      if (value) walk(path.message, value, visit);
    }
  }
}
