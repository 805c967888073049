import type { GraphProto } from 'onnx-buf';
import type { IndexedTable, TensorSummary } from '../../../shared/model-summary.js';
import { intAttribute } from '../onnx/attributes.js';
import { findConstant } from '../onnx/constants.js';
import { isDefaultDomain } from '../onnx/domains.js';
import { buildGraphIndex, type GraphIndex } from '../onnx/graph-index.js';

/*
 * Which constant table an integer input indexes (token ids into an embedding), so that guessed ids stay within
 * its rows. Guessing 0-99 for ids that index a 30-row table made every synthetic run fail in Gather, after a
 * warning that said the range kept lookups in range.
 */

/** Ops that pass index values through unchanged (only their type or layout changes). */
const VALUE_PRESERVING = new Set([
  'Cast',
  'Reshape',
  'Unsqueeze',
  'Squeeze',
  'Flatten',
  'Identity',
  'Expand',
  'Transpose',
]);
/** Ops between a stored table and the Gather that keep its shape: a float16 or quantized embedding. */
const SHAPE_PRESERVING = new Set(['Cast', 'DequantizeLinear', 'Identity']);

/** The summaries of a graph's inputs, each integer one with the table it indexes (`indexes`) where it has one. */
export function withIndexedTables(graph: GraphProto, inputs: readonly TensorSummary[]): TensorSummary[] {
  const integers = inputs.filter((input) => /^u?int\d+$/.test(input.dtype)).map((input) => input.name);
  // Most models have no integer input: no graph index built for them.
  if (integers.length === 0) return [...inputs];
  const tables = indexedTables(graph, integers);
  return inputs.map((input) => {
    const indexes = tables.get(input.name);
    return indexes ? { ...input, indexes } : input;
  });
}

/**
 * For each main-graph input read as the indices of a Gather whose data is a constant (possibly behind a Cast or
 * DequantizeLinear), the smallest such table: its name and its size along the Gather's axis. Inputs indexing
 * nothing constant are absent.
 */
export function indexedTables(graph: GraphProto, inputNames: readonly string[]): Map<string, IndexedTable> {
  const index = buildGraphIndex(graph);
  const tables = new Map<string, IndexedTable>();
  for (const input of inputNames) {
    for (const table of tablesIndexedBy(index, input)) {
      const known = tables.get(input);
      if (!known || table.rows < known.rows) tables.set(input, table);
    }
  }
  return tables;
}

/** The tables the values of `name` index, following value-preserving ops. */
function tablesIndexedBy(index: GraphIndex, name: string): IndexedTable[] {
  const found: IndexedTable[] = [];
  const seen = new Set<string>();
  const pending = [name];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    if (seen.has(value)) continue;
    seen.add(value);
    for (const { node, inputIndex } of index.consumersOf(value)) {
      if (!isDefaultDomain(node.domain)) continue;
      if (node.opType === 'Gather' && inputIndex === 1) {
        const table = constantTable(index, node.input[0] ?? '', intAttribute(node, 'axis', 0));
        if (table) found.push(table);
      } else if (VALUE_PRESERVING.has(node.opType) && inputIndex === 0 && node.output[0]) {
        pending.push(node.output[0]);
      }
    }
  }
  return found;
}

/** The constant behind `name` (through shape-preserving ops) and its size along `axis`, if known. */
function constantTable(index: GraphIndex, name: string, axis: number): IndexedTable | undefined {
  let value = name;
  for (let hops = 0; hops < 4; hops++) {
    const constant = findConstant(index, value);
    if (constant) {
      const dims = constant.tensor.dims.map(Number);
      const rows = dims[axis < 0 ? axis + dims.length : axis];
      return rows !== undefined && rows > 0 ? { table: constant.name, rows } : undefined;
    }
    const producer = index.producer(value)?.node;
    if (!producer || !isDefaultDomain(producer.domain) || !SHAPE_PRESERVING.has(producer.opType))
      return undefined;
    value = producer.input[0] ?? '';
  }
  return undefined;
}
