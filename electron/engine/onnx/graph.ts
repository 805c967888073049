import { create } from '@bufbuild/protobuf';
import {
  type GraphProto,
  type ModelProto,
  type NodeProto,
  OperatorSetIdProtoSchema,
  type SparseTensorProto,
  type TensorProto,
  type TypeProto,
} from 'onnx-buf';
import { StudioError } from '../errors.js';
import { constantNodeValueType } from './constants.js';
import { normalizeDomain } from './domains.js';
import { localDefinitions, sparseName, subgraphCaptures, subgraphsOf } from './graph-index.js';
import { collectNames } from './unique-names.js';

/*
 * Graph helpers for the quantizer and pruner. This module re-exports the index, topological sort,
 * constant lookup and unique-name pieces, and adds value type info, opsets and graph editing.
 */

export {
  type ConsumerRef,
  GraphIndex,
  type ProducerRef,
  buildGraphIndex,
  describeNode,
  freeVariables,
  graphProblems,
  localDefinitions,
  sortNodesTopologically,
  sparseName,
  subgraphCaptures,
  subgraphsOf,
  topologicalOrder,
  validateGraph,
} from './graph-index.js';
export {
  CONSTANT_VALUE_ATTRIBUTES,
  type ConstantKind,
  type ConstantRef,
  type FindConstantOptions,
  type ReplaceConstantOptions,
  assignTensorData,
  constantAttributeTensor,
  constantNodeValueType,
  dataTypeByteSize,
  densifySparseTensor,
  findConstant,
  floatValues,
  replaceConstant,
  sparsifyTensor,
  tensorElementCount,
  tensorRawBytes,
} from './constants.js';
export { isDefaultDomain, normalizeDomain } from './domains.js';
export { UniqueNameGenerator, collectNames } from './unique-names.js';

// ---------------------------------------------------------------------------------------------
// Value type info

/** A tensor value's element type (TensorProto_DataType) and shape: sizes, symbolic names, or null. */
export interface ValueTypeInfo {
  elemType: number;
  shape: (number | string | null)[];
  /** False when the rank itself is unknown (then `shape` is empty). */
  rankKnown: boolean;
}

function fromTypeProto(type: TypeProto | undefined): ValueTypeInfo | undefined {
  const v = type?.value;
  if (!v || (v.case !== 'tensorType' && v.case !== 'sparseTensorType')) return undefined;
  const shape = v.value.shape;
  return {
    elemType: v.value.elemType,
    shape: (shape?.dim ?? []).map((d) =>
      d.value.case === 'dimValue'
        ? Number(d.value.value)
        : d.value.case === 'dimParam'
          ? d.value.value
          : null,
    ),
    rankKnown: shape !== undefined,
  };
}

function fromTensor(t: { dataType: number; dims: readonly bigint[] }): ValueTypeInfo {
  return { elemType: t.dataType, shape: t.dims.map(Number), rankKnown: true };
}

/**
 * The declared types of one graph's values, looked up by name from tables built once: scanning the graph
 * per lookup made passes that ask for every node's input quadratic (int4 of a 20,000-layer MLP spent 10 of
 * its 11 s there). It answers for the graph as it was when built; build a new one after editing it.
 */
export class ValueTypes {
  readonly #declared = new Map<string, ValueTypeInfo>();
  readonly #initializers = new Map<string, TensorProto>();
  readonly #sparse = new Map<string, SparseTensorProto>();
  readonly #constantNodes = new Map<string, NodeProto>();

  constructor(graph: GraphProto) {
    // The first of each kind wins, searched in this order: inputs, outputs, value_info (an entry
    // without a tensor type is passed over), then initializers, sparse initializers, Constant nodes.
    for (const list of [graph.input, graph.output, graph.valueInfo]) {
      for (const vi of list) {
        if (this.#declared.has(vi.name)) continue;
        const info = fromTypeProto(vi.type);
        if (info) this.#declared.set(vi.name, info);
      }
    }
    for (const t of graph.initializer) if (!this.#initializers.has(t.name)) this.#initializers.set(t.name, t);
    for (const s of graph.sparseInitializer) {
      const name = sparseName(s);
      if (!this.#sparse.has(name)) this.#sparse.set(name, s);
    }
    for (const node of graph.node) {
      const out = node.output[0];
      if (node.opType === 'Constant' && out !== undefined && !this.#constantNodes.has(out))
        this.#constantNodes.set(out, node);
    }
  }

  /** The type a graph input, output or value_info entry declares for the value (not constants'). */
  declared(name: string): ValueTypeInfo | undefined {
    return this.#declared.get(name);
  }

  /** The value's element type and shape; undefined when unknown or not a tensor. */
  get(name: string): ValueTypeInfo | undefined {
    const declared = this.#declared.get(name);
    if (declared) return declared;
    const init = this.#initializers.get(name);
    if (init) return fromTensor(init);
    const sparse = this.#sparse.get(name);
    if (sparse?.values)
      return { elemType: sparse.values.dataType, shape: sparse.dims.map(Number), rankKnown: true };
    const node = this.#constantNodes.get(name);
    const constant = node && constantNodeValueType(node);
    return constant && fromTensor(constant);
  }
}

/**
 * One value per graph, built at the first request for that graph: the index or table a pass over a model
 * and its subgraphs keeps for each graph it visits.
 */
export function perGraph<T>(build: (graph: GraphProto) => T): (graph: GraphProto) => T {
  const built = new Map<GraphProto, T>();
  return (graph) => {
    if (!built.has(graph)) built.set(graph, build(graph));
    return built.get(graph)!;
  };
}

/**
 * The declared type of one tensor value (see ValueTypes for where it looks). For a single lookup: a pass
 * that looks up many values builds one ValueTypes instead.
 */
export function valueInfo(graph: GraphProto, name: string): ValueTypeInfo | undefined {
  return new ValueTypes(graph).get(name);
}

// ---------------------------------------------------------------------------------------------
// Opsets

/** The model's opset version per domain (default domain under `""`; the highest if listed twice). */
export function opsetImports(model: ModelProto): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of model.opsetImport) {
    const domain = normalizeDomain(entry.domain);
    const version = Number(entry.version);
    out.set(domain, Math.max(version, out.get(domain) ?? version));
  }
  return out;
}

/** The model's opset version for a domain (`""` or `ai.onnx` for the default), or undefined. */
export function opsetVersion(model: ModelProto, domain = ''): number | undefined {
  return opsetImports(model).get(normalizeDomain(domain));
}

/** Sets (or adds) the opset import of a domain. */
export function setOpsetVersion(model: ModelProto, domain: string, version: number): void {
  const canonical = normalizeDomain(domain);
  const matching = model.opsetImport.filter((e) => normalizeDomain(e.domain) === canonical);
  if (matching.length === 0) {
    model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: canonical, version: BigInt(version) }));
    return;
  }
  for (const e of matching) e.version = BigInt(version);
}

// ---------------------------------------------------------------------------------------------
// Editing (indexes built before an edit are stale afterwards: call `rebuild()`)

/** Where to insert nodes: before/after a node of the graph, at a position, or (default) at the end. */
export type NodePosition = { before: NodeProto } | { after: NodeProto } | { at: number };

/** Inserts nodes into `graph.node`; returns them. */
export function addNodes(
  graph: GraphProto,
  nodes: readonly NodeProto[],
  position?: NodePosition,
): NodeProto[] {
  let at = graph.node.length;
  if (position) {
    if ('at' in position) {
      at = Math.max(0, Math.min(position.at, graph.node.length));
    } else {
      const anchor = 'before' in position ? position.before : position.after;
      const i = graph.node.indexOf(anchor);
      if (i < 0) throw new StudioError('INTERNAL', 'addNodes: the anchor node is not in the graph.');
      at = 'before' in position ? i : i + 1;
    }
  }
  graph.node.splice(at, 0, ...nodes);
  return [...nodes];
}

/** Inserts one node (see `addNodes`); returns it. */
export function addNode(graph: GraphProto, node: NodeProto, position?: NodePosition): NodeProto {
  addNodes(graph, [node], position);
  return node;
}

/**
 * Inserts each list of nodes right after its anchor node, in list order, in one pass over the graph:
 * `addNode(..., { after })` per anchor searches and shifts the whole node list each time.
 */
export function insertNodesAfter(
  graph: GraphProto,
  insertions: ReadonlyMap<NodeProto, readonly NodeProto[]>,
): void {
  if (insertions.size === 0) return;
  const nodes: NodeProto[] = [];
  let found = 0;
  for (const node of graph.node) {
    nodes.push(node);
    const after = insertions.get(node);
    if (after) {
      nodes.push(...after);
      found++;
    }
  }
  if (found !== insertions.size)
    throw new StudioError('INTERNAL', 'insertNodesAfter: an anchor node is not in the graph.');
  // In place, as addNode edits it: a caller may hold the list itself.
  graph.node.length = 0;
  for (const node of nodes) graph.node.push(node);
}

/** Removes one node (by identity); false when it is not in the graph. */
export function removeNode(graph: GraphProto, node: NodeProto): boolean {
  const i = graph.node.indexOf(node);
  if (i < 0) return false;
  graph.node.splice(i, 1);
  return true;
}

/** Removes the nodes in the set (or matching the predicate); returns how many were removed. */
export function removeNodes(
  graph: GraphProto,
  which: ReadonlySet<NodeProto> | ((node: NodeProto) => boolean),
): number {
  const drop = typeof which === 'function' ? which : (n: NodeProto): boolean => which.has(n);
  const before = graph.node.length;
  graph.node = graph.node.filter((n) => !drop(n));
  return before - graph.node.length;
}

/** Adds a dense initializer. Throws BAD_REQUEST when the name is empty or already defined in the graph. */
export function addInitializer(graph: GraphProto, tensor: TensorProto): TensorProto {
  if (tensor.name === '') throw new StudioError('BAD_REQUEST', 'An initializer needs a name.');
  if (localDefinitions(graph).has(tensor.name) && !graph.input.some((vi) => vi.name === tensor.name)) {
    throw new StudioError('BAD_REQUEST', `The graph already defines a value named '${tensor.name}'.`);
  }
  if (graph.initializer.some((t) => t.name === tensor.name)) {
    throw new StudioError('BAD_REQUEST', `The graph already has an initializer named '${tensor.name}'.`);
  }
  graph.initializer.push(tensor);
  return tensor;
}

/**
 * Removes the dense and sparse initializers named `name`, and (unless `removeInput` is false) a
 * graph input of that name, which in IR < 4 models merely declares the initializer. Returns whether
 * an initializer was removed.
 */
export function removeInitializer(
  graph: GraphProto,
  name: string,
  options: { removeInput?: boolean } = {},
): boolean {
  return removeInitializers(graph, new Set([name]), options).size > 0;
}

/**
 * removeInitializer for many names in one pass over the graph's lists (one call per name costs a pass
 * each: quadratic on models with thousands of weights). Returns the names that were removed.
 */
export function removeInitializers(
  graph: GraphProto,
  names: ReadonlySet<string>,
  options: { removeInput?: boolean } = {},
): Set<string> {
  const removed = new Set<string>();
  if (names.size === 0) return removed;
  graph.initializer = graph.initializer.filter((t) => !(names.has(t.name) && removed.add(t.name)));
  graph.sparseInitializer = graph.sparseInitializer.filter((s) => {
    const name = sparseName(s);
    return !(names.has(name) && removed.add(name));
  });
  if (removed.size > 0 && (options.removeInput ?? true))
    graph.input = graph.input.filter((vi) => !removed.has(vi.name));
  return removed;
}

/**
 * Renames a value everywhere in the graph: its definition (node output, graph input, initializer),
 * its uses (node inputs, graph outputs, value_info, quantization annotations), and the references
 * of subgraphs that capture it (subgraphs that define a value of the same name are left alone).
 * Throws BAD_REQUEST when `to` is already used anywhere in the graph or its subgraphs.
 */
export function renameValue(graph: GraphProto, from: string, to: string): void {
  if (from === to) return;
  if (to === '') throw new StudioError('BAD_REQUEST', `Cannot rename '${from}' to an empty name.`);
  if (collectNames(graph).has(to)) {
    throw new StudioError('BAD_REQUEST', `Cannot rename '${from}' to '${to}': that name is already used.`);
  }
  renameIn(graph, from, to);
}

function renameIn(graph: GraphProto, from: string, to: string): void {
  const swap = (n: string): string => (n === from ? to : n);
  for (const list of [graph.input, graph.output, graph.valueInfo])
    for (const vi of list) vi.name = swap(vi.name);
  for (const t of graph.initializer) t.name = swap(t.name);
  for (const s of graph.sparseInitializer) if (s.values) s.values.name = swap(s.values.name);
  for (const a of graph.quantizationAnnotation) {
    a.tensorName = swap(a.tensorName);
    for (const p of a.quantParameterTensorNames) p.value = swap(p.value);
  }
  for (const node of graph.node) {
    node.input = node.input.map(swap);
    node.output = node.output.map(swap);
    for (const sub of subgraphsOf(node)) if (!localDefinitions(sub).has(from)) renameIn(sub, from, to);
  }
}

/** Options of `replaceUses`. */
export interface ReplaceUsesOptions {
  /** Also rewrite references in subgraphs that capture the value (default true). */
  subgraphs?: boolean;
  /** Also rewrite graph outputs listing the value, changing the model's output names (default false). */
  graphOutputs?: boolean;
  /** Only rewrite the input slots this accepts (in this graph; subgraph captures are not filtered). */
  filter?: (node: NodeProto, inputIndex: number) => boolean;
}

/**
 * Makes consumers of `from` read `to` instead (the producer of `from` is untouched). Returns the
 * number of references rewritten.
 */
export function replaceUses(
  graph: GraphProto,
  from: string,
  to: string,
  options: ReplaceUsesOptions = {},
): number {
  if (from === '' || from === to) return 0;
  let count = 0;
  for (const node of graph.node) {
    node.input.forEach((name, i) => {
      if (name === from && (options.filter?.(node, i) ?? true)) {
        node.input[i] = to;
        count += 1;
      }
    });
    if (options.subgraphs ?? true) {
      for (const sub of subgraphsOf(node)) {
        if (!localDefinitions(sub).has(from))
          count += replaceUses(sub, from, to, { subgraphs: true, graphOutputs: true });
      }
    }
  }
  if (options.graphOutputs) {
    for (const vi of graph.output) {
      if (vi.name === from) {
        vi.name = to;
        count += 1;
      }
    }
  }
  return count;
}

/**
 * Removes nodes none of whose outputs is used (transitively), then initializers nothing uses. Graph inputs are
 * kept. One backward sweep from the graph's outputs, through node inputs and the values subgraphs capture (a
 * chain thousands of nodes long dies in one call). Returns how many nodes and initializers were removed.
 */
export function eliminateDeadCode(graph: GraphProto): { nodes: number; initializers: number } {
  const producer = new Map<string, NodeProto>();
  for (const node of graph.node) for (const out of node.output) if (out !== '') producer.set(out, node);
  const read = new Set<string>([...graph.input, ...graph.output].map((v) => v.name));
  const kept = new Set<NodeProto>();
  const pending = graph.output.map((o) => o.name);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const node = producer.get(name);
    if (!node || kept.has(node)) continue;
    kept.add(node);
    for (const input of [...node.input, ...subgraphCaptures(node)]) {
      if (input === '') continue;
      read.add(input);
      pending.push(input);
    }
  }
  const nodes = removeNodes(graph, (n) => !kept.has(n));
  const before = graph.initializer.length + graph.sparseInitializer.length;
  graph.initializer = graph.initializer.filter((t) => read.has(t.name));
  graph.sparseInitializer = graph.sparseInitializer.filter((s) => read.has(sparseName(s)));
  return { nodes, initializers: before - graph.initializer.length - graph.sparseInitializer.length };
}
