import type { GraphProto } from 'onnx-buf';
import type { IndexedTable, PositionTable, TensorSummary } from '../../../shared/model-summary.js';
import { intAttribute } from '../onnx/attributes.js';
import { findConstant } from '../onnx/constants.js';
import { isDefaultDomain } from '../onnx/domains.js';
import { buildGraphIndex, subgraphsOf, type GraphIndex } from '../onnx/graph-index.js';
import { decodeTensor } from '../onnx/tensor-codec.js';

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

/**
 * The summaries of a graph's inputs, each integer one with the table it indexes (`indexes`) where it has one, and
 * each input with the dims whose positions index a table (`positionTables`: a position embedding).
 */
export function withIndexedTables(graph: GraphProto, inputs: readonly TensorSummary[]): TensorSummary[] {
  const integers = inputs.filter((input) => /^u?int\d+$/.test(input.dtype)).map((input) => input.name);
  // Most models have neither integer inputs nor a Range: no graph index built for them.
  const ranges = graph.node.some((node) => node.opType === 'Range' && isDefaultDomain(node.domain));
  if (integers.length === 0 && !ranges) return [...inputs];
  const index = buildGraphIndex(graph);
  const tables =
    integers.length > 0 ? indexedTables(graph, integers, index) : new Map<string, IndexedTable>();
  return inputs.map((input) => {
    const indexes = tables.get(input.name);
    const positions = ranges ? positionTablesOf(index, input.name, input.shape.length) : [];
    return {
      ...input,
      ...(indexes ? { indexes } : {}),
      ...(positions.length > 0 ? { positionTables: positions } : {}),
    };
  });
}

/**
 * For each main-graph input read as the indices of a Gather whose data is a constant (possibly behind a Cast or
 * DequantizeLinear), the smallest such table: its name and its size along the Gather's axis. Inputs indexing
 * nothing constant are absent.
 */
export function indexedTables(
  graph: GraphProto,
  inputNames: readonly string[],
  index: GraphIndex = buildGraphIndex(graph),
): Map<string, IndexedTable> {
  const tables = new Map<string, IndexedTable>();
  for (const input of inputNames) {
    for (const table of tablesIndexedBy(index, input)) {
      const known = tables.get(input);
      if (!known || table.rows < known.rows) tables.set(input, table);
    }
  }
  return tables;
}

/**
 * The tables the values of `name` index, following value-preserving ops, into the If branches and Loop bodies that
 * read them from outside (Optimum's merged decoder looks its ids up inside an If on `use_cache_branch`).
 */
function tablesIndexedBy(index: GraphIndex, name: string): IndexedTable[] {
  const found: IndexedTable[] = [];
  const seen = new Map<GraphIndex, Set<string>>();
  const pending: { index: GraphIndex; value: string }[] = [{ index, value: name }];
  // One index per body, made once however many values it captures.
  const bodies = new Map<GraphProto, GraphIndex>();
  const bodyIndex = (parent: GraphIndex, body: GraphProto) => {
    const known = bodies.get(body) ?? parent.child(body);
    bodies.set(body, known);
    return known;
  };
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { index: scope, value } = next;
    const done = seen.get(scope) ?? new Set<string>();
    seen.set(scope, done);
    if (done.has(value)) continue;
    done.add(value);
    for (const node of scope.implicitConsumersOf(value)) {
      for (const body of subgraphsOf(node)) {
        // A body that defines the name itself reads its own value, not the outer one.
        const child = bodyIndex(scope, body);
        if (!child.definesLocally(value)) pending.push({ index: child, value });
      }
    }
    for (const { node, inputIndex } of scope.consumersOf(value)) {
      // The 4-bit embedding int4 writes for a table tied to the LM head: its packed table keeps one row per id
      // along `gather_axis` (0 by default), so the ids it takes are bounded as a Gather's are.
      if (node.opType === 'GatherBlockQuantized' && node.domain === 'com.microsoft' && inputIndex === 1) {
        const table = constantTable(scope, node.input[0] ?? '', intAttribute(node, 'gather_axis', 0));
        if (table) found.push(table);
        continue;
      }
      if (!isDefaultDomain(node.domain)) continue;
      if (node.opType === 'Gather' && inputIndex === 1) {
        const table = constantTable(scope, node.input[0] ?? '', intAttribute(node, 'axis', 0));
        if (table) found.push(table);
      } else if (VALUE_PRESERVING.has(node.opType) && inputIndex === 0 && node.output[0]) {
        pending.push({ index: scope, value: node.output[0] });
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
    if (!producer || !isDefaultDomain(producer.domain)) return undefined;
    if (producer.opType === 'Reshape' && axis === 0) {
      // int4's 4-bit embedding reshapes the head's [rows, blocks, bytes] to [rows, bytes] at run time: a constant
      // first dim is the rows (0 keeps the data's own first dim, found by going on).
      const first = intValues(index, producer.input[1])?.[0];
      if (first !== undefined && first > 0) {
        const source = findConstant(index, producer.input[0] ?? '');
        return source ? { table: source.name, rows: first } : undefined;
      }
      if (first !== 0) return undefined;
    } else if (!SHAPE_PRESERVING.has(producer.opType)) return undefined;
    value = producer.input[0] ?? '';
  }
  return undefined;
}

/** Ops that pass one integer through unchanged on its way from a Shape to a Range (a size, as scalar or [1]). */
const SIZE_PRESERVING = new Set(['Cast', 'Squeeze', 'Unsqueeze', 'Reshape', 'Identity']);

/**
 * The dims of input `name` (of `rank` dims) whose positions index a constant table: a size read by `Shape` (one
 * element of it taken by a Gather or Slice, or by Shape's own start and end), made the limit of a `Range` with a
 * constant start and a step of 1, whose values a Gather looks up in a constant: the position embedding of a
 * transformer (`Gather(pe, Range(0, Shape(input_ids)[1], 1))`). A sequence longer than that table's rows fails
 * in the Gather, so the guess of such a dim stays within them. The smallest table per axis.
 */
export function positionTablesOf(index: GraphIndex, name: string, rank: number): PositionTable[] {
  const byAxis = new Map<number, PositionTable>();
  for (const { axis, value } of sizesRead(index, name, rank)) {
    for (const range of rangesLimitedBy(index, value)) {
      for (const table of tablesIndexedBy(index, range.output)) {
        const longest = table.rows - range.start;
        const known = byAxis.get(axis);
        if (longest > 0 && (!known || longest < known.longest)) byAxis.set(axis, { ...table, axis, longest });
      }
    }
  }
  return [...byAxis.values()].sort((a, b) => a.axis - b.axis);
}

/** The values that hold one dim of input `name` as read by Shape, with its axis. */
function sizesRead(index: GraphIndex, name: string, rank: number): { axis: number; value: string }[] {
  const found: { axis: number; value: string }[] = [];
  const axisOf = (i: number) => (i < 0 ? i + rank : i);
  for (const { node, inputIndex } of index.consumersOf(name)) {
    if (node.opType !== 'Shape' || !isDefaultDomain(node.domain) || inputIndex !== 0 || !node.output[0])
      continue;
    const start = axisOf(intAttribute(node, 'start', 0));
    const endAttribute = intAttribute(node, 'end');
    const end = endAttribute === undefined ? rank : axisOf(endAttribute);
    // Shape(start=1, end=2): the one dim itself.
    if (end - start === 1) found.push({ axis: start, value: node.output[0] });
    for (const use of index.consumersOf(node.output[0])) {
      const out = use.node.output[0];
      if (use.inputIndex !== 0 || !out || !isDefaultDomain(use.node.domain)) continue;
      if (use.node.opType === 'Gather' && intAttribute(use.node, 'axis', 0) === 0) {
        const at = intValues(index, use.node.input[1]);
        if (at?.length === 1) found.push({ axis: start + shapeIndex(at[0]!, end - start), value: out });
      } else if (use.node.opType === 'Slice') {
        const [from, to] = [intValues(index, use.node.input[1]), intValues(index, use.node.input[2])];
        const steps = use.node.input[4] ? intValues(index, use.node.input[4]) : [1];
        if (from?.length !== 1 || to?.length !== 1 || steps?.[0] !== 1) continue;
        const first = shapeIndex(from[0]!, end - start);
        if (shapeIndex(to[0]!, end - start) === first + 1) found.push({ axis: start + first, value: out });
      }
    }
  }
  return found.filter((f) => f.axis >= 0 && f.axis < rank);
}

/** An index into a shape of `length` dims, negative ones counted from the end. */
function shapeIndex(i: number, length: number): number {
  return i < 0 ? i + length : i;
}

/** The Ranges whose limit is `value` (through ops that keep the number), with a constant start and a step of 1. */
function rangesLimitedBy(index: GraphIndex, value: string): { output: string; start: number }[] {
  const found: { output: string; start: number }[] = [];
  const pending = [value];
  const seen = new Set<string>();
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    for (const { node, inputIndex } of index.consumersOf(name)) {
      const out = node.output[0];
      if (!isDefaultDomain(node.domain) || !out) continue;
      if (node.opType === 'Range' && inputIndex === 1) {
        const start = intValues(index, node.input[0]);
        const step = intValues(index, node.input[2]);
        if (start?.length === 1 && start[0]! >= 0 && step?.length === 1 && step[0] === 1)
          found.push({ output: out, start: start[0]! });
      } else if (SIZE_PRESERVING.has(node.opType) && inputIndex === 0) {
        pending.push(out);
      }
    }
  }
  return found;
}

/** The values of a small integer constant (int64 or int32), or undefined when `name` is not one. */
function intValues(index: GraphIndex, name: string | undefined): number[] | undefined {
  const constant = name ? findConstant(index, name) : undefined;
  // A position index or a size: a handful of numbers, never a table.
  if (!constant || constant.tensor.dims.reduce((a, b) => a * b, 1n) > 16n) return undefined;
  try {
    const { values } = decodeTensor(constant.tensor);
    if (values instanceof BigInt64Array || values instanceof Int32Array) return Array.from(values, Number);
  } catch {
    return undefined;
  }
  return undefined;
}
