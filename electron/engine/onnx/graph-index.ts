import type { GraphProto, NodeProto, SparseTensorProto, TensorProto, ValueInfoProto } from 'onnx-buf';
import { StudioError } from '../errors.js';

/** Where a value is produced: the node and which of its outputs. */
export interface ProducerRef {
  node: NodeProto;
  outputIndex: number;
}

/** Where a value is consumed explicitly: the node and which of its input slots. */
export interface ConsumerRef {
  node: NodeProto;
  inputIndex: number;
}

/** The subgraphs held by a node's attributes (If branches, Loop/Scan bodies), in attribute order. */
export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const attr of node.attribute) {
    if (attr.g) out.push(attr.g);
    for (const g of attr.graphs) out.push(g);
  }
  return out;
}

/** The value names a graph defines itself: its inputs, initializers (dense and sparse), and node outputs. */
export function localDefinitions(graph: GraphProto): Set<string> {
  const defined = new Set<string>();
  for (const vi of graph.input) if (vi.name !== '') defined.add(vi.name);
  for (const t of graph.initializer) if (t.name !== '') defined.add(t.name);
  for (const s of graph.sparseInitializer) {
    const name = sparseName(s);
    if (name !== '') defined.add(name);
  }
  for (const node of graph.node) for (const o of node.output) if (o !== '') defined.add(o);
  return defined;
}

/**
 * The outer-scope values a graph uses: names read by its nodes (or by nested subgraphs) or listed
 * as its outputs that the graph does not define itself. For a subgraph these are the values it
 * captures from the enclosing scopes. In insertion order, without duplicates.
 */
export function freeVariables(graph: GraphProto): string[] {
  const defined = localDefinitions(graph);
  const free = new Set<string>();
  for (const node of graph.node) {
    for (const name of node.input) if (name !== '' && !defined.has(name)) free.add(name);
    for (const sub of subgraphsOf(node)) {
      for (const name of freeVariables(sub)) if (!defined.has(name)) free.add(name);
    }
  }
  for (const vi of graph.output) if (vi.name !== '' && !defined.has(vi.name)) free.add(vi.name);
  return [...free];
}

/** The outer-scope values a node's subgraphs capture (empty for nodes without subgraph attributes). */
export function subgraphCaptures(node: NodeProto): string[] {
  const captured = new Set<string>();
  for (const sub of subgraphsOf(node)) for (const name of freeVariables(sub)) captured.add(name);
  return [...captured];
}

/** The name of a sparse initializer (held by its `values` tensor, per the ONNX spec). */
export function sparseName(sparse: SparseTensorProto): string {
  return sparse.values?.name ?? '';
}

/** A short human description of a node for error messages. */
export function describeNode(node: NodeProto, position?: number): string {
  if (node.name !== '') return `node '${node.name}' (${node.opType})`;
  const out = node.output.find((o) => o !== '');
  const at = position === undefined ? '' : ` #${position}`;
  return out === undefined
    ? `unnamed ${node.opType} node${at}`
    : `unnamed ${node.opType} node${at} producing '${out}'`;
}

/**
 * Lookup tables over one GraphProto: producers, consumers, inputs, outputs and initializers.
 * The maps describe the graph as it was when built; call `rebuild()` after editing the graph.
 * A subgraph's index can have its enclosing graph's index as `parent` so that lookups (such as
 * `findConstant`) can follow outer-scope references.
 */
export class GraphIndex {
  readonly graph: GraphProto;
  readonly parent: GraphIndex | undefined;

  #producers = new Map<string, ProducerRef>();
  #consumers = new Map<string, ConsumerRef[]>();
  #implicitConsumers = new Map<string, NodeProto[]>();
  #captures = new Map<NodeProto, string[]>();
  #inputs = new Map<string, ValueInfoProto>();
  #outputs = new Map<string, ValueInfoProto>();
  #initializers = new Map<string, TensorProto>();
  #sparseInitializers = new Map<string, SparseTensorProto>();
  #positions = new Map<NodeProto, number>();
  #duplicates: string[] = [];

  constructor(graph: GraphProto, parent?: GraphIndex) {
    this.graph = graph;
    this.parent = parent;
    this.rebuild();
  }

  /** Recomputes every table from the graph's current contents. Returns `this`. */
  rebuild(): this {
    const g = this.graph;
    this.#producers = new Map();
    this.#consumers = new Map();
    this.#implicitConsumers = new Map();
    this.#captures = new Map();
    this.#inputs = new Map();
    this.#outputs = new Map();
    this.#initializers = new Map();
    this.#sparseInitializers = new Map();
    this.#positions = new Map();
    this.#duplicates = [];

    for (const vi of g.input) if (!this.#inputs.has(vi.name)) this.#inputs.set(vi.name, vi);
    for (const vi of g.output) if (!this.#outputs.has(vi.name)) this.#outputs.set(vi.name, vi);
    for (const t of g.initializer) {
      if (this.#initializers.has(t.name)) this.#duplicates.push(t.name);
      else this.#initializers.set(t.name, t);
    }
    for (const s of g.sparseInitializer) {
      const name = sparseName(s);
      if (this.#sparseInitializers.has(name) || this.#initializers.has(name)) this.#duplicates.push(name);
      else this.#sparseInitializers.set(name, s);
    }
    g.node.forEach((node, position) => {
      this.#positions.set(node, position);
      node.output.forEach((name, outputIndex) => {
        if (name === '') return;
        if (
          this.#producers.has(name) ||
          this.#inputs.has(name) ||
          this.#initializers.has(name) ||
          this.#sparseInitializers.has(name)
        ) {
          this.#duplicates.push(name);
        }
        if (!this.#producers.has(name)) this.#producers.set(name, { node, outputIndex });
      });
      node.input.forEach((name, inputIndex) => {
        if (name === '') return;
        pushTo(this.#consumers, name, { node, inputIndex });
      });
      const captures = subgraphCaptures(node);
      if (captures.length > 0) {
        this.#captures.set(node, captures);
        for (const name of captures) pushTo(this.#implicitConsumers, name, node);
      }
    });
    return this;
  }

  /** An index of one of this graph's subgraphs, with this index as its parent. */
  child(subgraph: GraphProto): GraphIndex {
    return new GraphIndex(subgraph, this);
  }

  get producers(): ReadonlyMap<string, ProducerRef> {
    return this.#producers;
  }
  /** Explicit uses: value name -> (node, input slot), in node order. */
  get consumers(): ReadonlyMap<string, readonly ConsumerRef[]> {
    return this.#consumers;
  }
  /** Implicit uses: value name -> nodes whose subgraphs read it from this scope. */
  get implicitConsumers(): ReadonlyMap<string, readonly NodeProto[]> {
    return this.#implicitConsumers;
  }
  /** Node -> outer values its subgraphs capture (only nodes that have any). */
  get captures(): ReadonlyMap<NodeProto, readonly string[]> {
    return this.#captures;
  }
  get inputs(): ReadonlyMap<string, ValueInfoProto> {
    return this.#inputs;
  }
  get outputs(): ReadonlyMap<string, ValueInfoProto> {
    return this.#outputs;
  }
  get initializers(): ReadonlyMap<string, TensorProto> {
    return this.#initializers;
  }
  get sparseInitializers(): ReadonlyMap<string, SparseTensorProto> {
    return this.#sparseInitializers;
  }
  /** Names defined more than once (by two nodes, or by a node and an initializer, or two initializers). */
  get duplicateDefinitions(): readonly string[] {
    return this.#duplicates;
  }

  producer(name: string): ProducerRef | undefined {
    return this.#producers.get(name);
  }
  consumersOf(name: string): readonly ConsumerRef[] {
    return this.#consumers.get(name) ?? [];
  }
  implicitConsumersOf(name: string): readonly NodeProto[] {
    return this.#implicitConsumers.get(name) ?? [];
  }
  /**
   * True when only node inputs of this graph read the value, each one `accept`s: no subgraph captures it and it is
   * no graph output (a value a rewrite may take from them alone).
   */
  onlyReadBy(name: string, accept: (consumer: ConsumerRef) => boolean): boolean {
    return (
      !this.#outputs.has(name) && !this.#implicitConsumers.has(name) && this.consumersOf(name).every(accept)
    );
  }
  /** True when anything reads the value: a node input, a subgraph capture, or a graph output. */
  isUsed(name: string): boolean {
    return this.#consumers.has(name) || this.#implicitConsumers.has(name) || this.#outputs.has(name);
  }
  isGraphInput(name: string): boolean {
    return this.#inputs.has(name);
  }
  isGraphOutput(name: string): boolean {
    return this.#outputs.has(name);
  }
  initializer(name: string): TensorProto | undefined {
    return this.#initializers.get(name);
  }
  /** True when this graph itself defines the value (input, initializer, or node output). */
  definesLocally(name: string): boolean {
    return (
      this.#producers.has(name) ||
      this.#inputs.has(name) ||
      this.#initializers.has(name) ||
      this.#sparseInitializers.has(name)
    );
  }
  /** True when the value is defined here or in an enclosing scope known through `parent`. */
  isInScope(name: string): boolean {
    return this.definesLocally(name) || (this.parent?.isInScope(name) ?? false);
  }
  /** The node's position in `graph.node` when the index was built. */
  positionOf(node: NodeProto): number | undefined {
    return this.#positions.get(node);
  }
}

/** Builds a GraphIndex (same as `new GraphIndex(graph, parent)`). */
export function buildGraphIndex(graph: GraphProto, parent?: GraphIndex): GraphIndex {
  return new GraphIndex(graph, parent);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The graph's nodes in a topological order (Kahn's algorithm). A node comes after the producers of
 * its inputs and of every outer value its subgraphs capture. Inputs produced by no node (graph
 * inputs, initializers, outer-scope values, dangling names) impose no order; empty optional inputs
 * are ignored. Among ready nodes the original order is kept, so a sorted graph is returned unchanged.
 * Throws MODEL_INVALID naming the nodes of a cycle.
 */
export function topologicalOrder(graph: GraphProto | GraphIndex): NodeProto[] {
  const index = graph instanceof GraphIndex ? graph : new GraphIndex(graph);
  const nodes = index.graph.node;
  const n = nodes.length;
  const inDegree = new Array<number>(n).fill(0);
  const successors: number[][] = Array.from({ length: n }, () => []);
  const positionOf = new Map<NodeProto, number>();
  nodes.forEach((node, i) => positionOf.set(node, i));

  nodes.forEach((node, i) => {
    const deps = new Set<number>();
    const addDep = (name: string): void => {
      if (name === '') return;
      const producer = index.producer(name);
      if (!producer) return;
      const p = positionOf.get(producer.node);
      if (p !== undefined) deps.add(p);
    };
    for (const name of node.input) addDep(name);
    for (const name of index.captures.get(node) ?? []) addDep(name);
    for (const p of deps) {
      successors[p]!.push(i);
      inDegree[i]! += 1;
    }
  });

  const heap = new MinHeap();
  inDegree.forEach((d, i) => {
    if (d === 0) heap.push(i);
  });
  const order: NodeProto[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(nodes[i]!);
    for (const s of successors[i]!) {
      inDegree[s]! -= 1;
      if (inDegree[s] === 0) heap.push(s);
    }
  }
  if (order.length === n) return order;

  // Every remaining node has a remaining predecessor: walk predecessors until one repeats.
  const remaining = new Set<number>();
  inDegree.forEach((d, i) => {
    if (d > 0) remaining.add(i);
  });
  const predecessors = new Map<number, number>();
  successors.forEach((succ, p) => {
    if (!remaining.has(p)) return;
    for (const s of succ) if (remaining.has(s) && !predecessors.has(s)) predecessors.set(s, p);
  });
  const start = remaining.values().next().value as number;
  const seen = new Map<number, number>();
  const path: number[] = [];
  let cur = start;
  while (!seen.has(cur)) {
    seen.set(cur, path.length);
    path.push(cur);
    cur = predecessors.get(cur)!;
  }
  const walked = path.slice(seen.get(cur)).reverse();
  const first = walked.indexOf(Math.min(...walked));
  const cycle = [...walked.slice(first), ...walked.slice(0, first)];
  const described = cycle.map((i) => describeNode(nodes[i]!, i));
  throw new StudioError(
    'MODEL_INVALID',
    `The graph${index.graph.name ? ` '${index.graph.name}'` : ''} has a cycle through ${described[0]}: ` +
      `${[...described, described[0]].join(' -> ')}.`,
  );
}

/** Reorders `graph.node` topologically in place (and, by default, every subgraph's nodes too). */
export function sortNodesTopologically(graph: GraphProto, options: { recursive?: boolean } = {}): void {
  const order = topologicalOrder(graph);
  graph.node.splice(0, graph.node.length, ...order);
  if (options.recursive ?? true) {
    for (const node of graph.node) for (const sub of subgraphsOf(node)) sortNodesTopologically(sub, options);
  }
}

/**
 * Structural problems of a graph and its subgraphs, as messages: inputs that nothing defines (in a
 * subgraph, values the enclosing scopes do not define either), names defined twice, graph outputs
 * nothing produces, cycles. `outerScope` lists the names visible from enclosing graphs.
 */
export function graphProblems(graph: GraphProto, outerScope: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const index = new GraphIndex(graph);
  const where = graph.name ? ` in graph '${graph.name}'` : '';
  const inScope = (name: string): boolean => index.definesLocally(name) || outerScope.has(name);

  for (const name of new Set(index.duplicateDefinitions)) {
    problems.push(`Value '${name}' is defined more than once${where}.`);
  }
  let subgraphScope: Set<string> | undefined;
  graph.node.forEach((node, position) => {
    node.input.forEach((name, slot) => {
      if (name !== '' && !inScope(name)) {
        problems.push(
          `Input ${slot} ('${name}') of ${describeNode(node, position)}${where} is not produced by any node, ` +
            `initializer or graph input.`,
        );
      }
    });
    const subs = subgraphsOf(node);
    if (subs.length > 0) {
      subgraphScope ??= new Set([...outerScope, ...localDefinitions(graph)]);
      for (const sub of subs) problems.push(...graphProblems(sub, subgraphScope));
    }
  });
  for (const vi of graph.output) {
    if (vi.name === '') problems.push(`A graph output${where} has an empty name.`);
    else if (!inScope(vi.name))
      problems.push(`Graph output '${vi.name}'${where} is not produced by anything.`);
  }
  try {
    topologicalOrder(index);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  return problems;
}

/** Throws MODEL_INVALID listing every problem `graphProblems` finds; returns silently for a sound graph. */
export function validateGraph(graph: GraphProto, outerScope?: ReadonlySet<string>): void {
  const problems = graphProblems(graph, outerScope);
  if (problems.length === 0) return;
  const more =
    problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new StudioError('MODEL_INVALID', `${problems[0]}${more}`, { detail: problems.join('\n') });
}

/** A binary min-heap of numbers, for stable Kahn ordering. */
class MinHeap {
  #items: number[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(value: number): void {
    const a = this.#items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }
  pop(): number {
    const a = this.#items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
