import type { GraphProto, ModelProto } from 'onnx-buf';
import { shareSourceRecords } from './source-spans.js';

/** A shallow copy of a message: same prototype (proto2 defaults), same own fields, each list a new array. */
function shellOf<T extends object>(message: T): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(message) as object) as T, message);
  const fields = copy as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (Array.isArray(value)) fields[key] = [...(value as unknown[])];
  }
  return copy;
}

/**
 * A copy of `model` that shares its nodes, tensors and values: a new model and main graph whose lists are new
 * arrays of the same items. For passes that only add, drop or reorder the main graph's items (calibration's
 * probes, sensitivity's extra outputs); one that edits an item in place would edit `model` too. cloneProto
 * copies every byte of every weight, once per pass; this copies a few arrays of references.
 */
export function shareModel(model: ModelProto): ModelProto {
  const copy = shellOf(model);
  const graph: GraphProto | undefined = model.graph;
  if (graph) {
    copy.graph = shellOf(graph);
    // Its nodes and tensors are the decoded ones: saving the copy may still copy their bytes.
    shareSourceRecords(graph, copy.graph);
  }
  return copy;
}
