import type { GraphProto, ModelProto } from 'onnx-buf';
import { sparseName, subgraphsOf } from './graph-index.js';

/**
 * Every name used in a graph and, recursively, its subgraphs: value names (node inputs/outputs,
 * graph inputs/outputs/value_info), node names, initializer and sparse-initializer names.
 */
export function collectNames(graph: GraphProto, into: Set<string> = new Set()): Set<string> {
  for (const vi of graph.input) into.add(vi.name);
  for (const vi of graph.output) into.add(vi.name);
  for (const vi of graph.valueInfo) into.add(vi.name);
  for (const t of graph.initializer) into.add(t.name);
  for (const s of graph.sparseInitializer) into.add(sparseName(s));
  for (const node of graph.node) {
    into.add(node.name);
    for (const n of node.input) into.add(n);
    for (const n of node.output) into.add(n);
    for (const sub of subgraphsOf(node)) collectNames(sub, into);
  }
  into.delete('');
  return into;
}

/**
 * Hands out names that collide with nothing in the graph (and its subgraphs) nor with any name it
 * handed out before. `next('w_quant')` returns `w_quant` when free, else `w_quant_1`, `w_quant_2`, ...
 * Names added to the graph by other means after construction must be `reserve`d.
 */
export class UniqueNameGenerator {
  readonly #taken: Set<string>;
  readonly #counters = new Map<string, number>();

  constructor(source?: GraphProto | ModelProto | Iterable<string>) {
    this.#taken = new Set();
    if (source === undefined) return;
    if (isModel(source)) {
      if (source.graph) collectNames(source.graph, this.#taken);
    } else if (isGraph(source)) {
      collectNames(source, this.#taken);
    } else {
      for (const name of source) this.#taken.add(name);
    }
    this.#taken.delete('');
  }

  /** A fresh name derived from `base` (an empty base becomes `value`); it is reserved at once. */
  next(base: string): string {
    const stem = base === '' ? 'value' : base;
    if (!this.#taken.has(stem)) {
      this.#taken.add(stem);
      return stem;
    }
    let k = this.#counters.get(stem) ?? 1;
    let candidate = `${stem}_${k}`;
    while (this.#taken.has(candidate)) {
      k += 1;
      candidate = `${stem}_${k}`;
    }
    this.#counters.set(stem, k + 1);
    this.#taken.add(candidate);
    return candidate;
  }

  /** Marks names as used. */
  reserve(...names: string[]): void {
    for (const n of names) if (n !== '') this.#taken.add(n);
  }

  has(name: string): boolean {
    return this.#taken.has(name);
  }
}

function isModel(x: unknown): x is ModelProto {
  return typeof x === 'object' && x !== null && '$typeName' in x && x.$typeName === 'onnx.ModelProto';
}

function isGraph(x: unknown): x is GraphProto {
  return typeof x === 'object' && x !== null && '$typeName' in x && x.$typeName === 'onnx.GraphProto';
}
