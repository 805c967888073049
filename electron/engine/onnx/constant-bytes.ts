import type { AttributeProto, GraphProto, SparseTensorProto, TensorProto } from 'onnx-buf';
import { dtypeName } from './dtypes.js';
import { expectedByteLength, isExternal } from './external-data.js';
import { walkGraphs } from './walk-graphs.js';

/*
 * A graph's constants (initializers, sparse initializers, Constant nodes, bodies included) and the bytes they
 * take by dtype: what `inspect` reports, and what a transform reads of its input (fp16's weight count, why its
 * output is no smaller) without depending on the inspect command.
 */

const FLOAT = 1;
const INT64 = 7;
const STRING = 8;

/** Bytes a tensor's data occupies wherever it is stored (raw, typed fields, or an external file). */
function storedBytesOf(t: TensorProto): number {
  if (isExternal(t)) {
    const length = t.externalData.find((e) => e.key === 'length')?.value;
    if (length !== undefined) return Number(length);
  }
  if (t.rawData.byteLength > 0) return t.rawData.byteLength;
  if (t.dataType === STRING) return t.stringData.reduce((n, s) => n + s.byteLength, 0);
  return Number(expectedByteLength(t) ?? 0n);
}

/** One constant tensor: its name, dtype, shape and stored bytes. */
export interface ConstantRecord {
  name: string;
  dataType: number;
  dims: bigint[];
  bytes: number;
  /** False for the indices of a sparse tensor: stored bytes, but not parameters. */
  counts?: false;
}

/**
 * Every constant tensor: initializers, sparse initializers and Constant-node values, subgraphs included.
 * Without `measureBytes` no tensor's data is touched (bytes are 0): a weight streamed from external data is
 * read from disk when its bytes are asked for. A function measures each tensor instead.
 */
export function collectConstants(
  graph: GraphProto,
  measureBytes: boolean | ((t: TensorProto) => number) = true,
): ConstantRecord[] {
  const out: ConstantRecord[] = [];
  const storedBytes =
    typeof measureBytes === 'function' ? measureBytes : measureBytes ? storedBytesOf : () => 0;
  const dense = (t: TensorProto, name = t.name) =>
    out.push({ name, dataType: t.dataType, dims: t.dims, bytes: storedBytes(t) });
  const sparse = (s: SparseTensorProto, name: string) => {
    // Parameters are the logical (dense) elements; bytes are what is stored, values and indices each
    // under their own dtype.
    out.push({
      name,
      dataType: s.values?.dataType ?? FLOAT,
      dims: s.dims,
      bytes: s.values ? storedBytes(s.values) : 0,
    });
    if (s.indices) {
      out.push({
        name: `${name} (indices)`,
        dataType: s.indices.dataType,
        dims: s.indices.dims,
        bytes: storedBytes(s.indices),
        counts: false,
      });
    }
  };
  walkGraphs(graph, (g) => {
    for (const t of g.initializer) dense(t);
    for (const s of g.sparseInitializer) sparse(s, s.values?.name ?? '');
    for (const node of g.node) {
      if (node.opType !== 'Constant' || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
      const name = node.output[0] ?? node.name;
      for (const attr of node.attribute) constantAttribute(attr, name, dense, sparse, out);
    }
  });
  return out;
}

function constantAttribute(
  attr: AttributeProto,
  name: string,
  dense: (t: TensorProto, name: string) => void,
  sparse: (s: SparseTensorProto, name: string) => void,
  out: ConstantRecord[],
): void {
  switch (attr.name) {
    case 'value':
      if (attr.t) dense(attr.t, name);
      return;
    case 'sparse_value':
      if (attr.sparseTensor) sparse(attr.sparseTensor, name);
      return;
    case 'value_float':
      out.push({ name, dataType: FLOAT, dims: [], bytes: 4 });
      return;
    case 'value_floats':
      out.push({ name, dataType: FLOAT, dims: [BigInt(attr.floats.length)], bytes: 4 * attr.floats.length });
      return;
    case 'value_int':
      out.push({ name, dataType: INT64, dims: [], bytes: 8 });
      return;
    case 'value_ints':
      out.push({ name, dataType: INT64, dims: [BigInt(attr.ints.length)], bytes: 8 * attr.ints.length });
      return;
    case 'value_string':
      out.push({ name, dataType: STRING, dims: [], bytes: attr.s.byteLength });
      return;
    case 'value_strings':
      out.push({
        name,
        dataType: STRING,
        dims: [BigInt(attr.strings.length)],
        bytes: attr.strings.reduce((n, s) => n + s.byteLength, 0),
      });
      return;
  }
}

/**
 * Bytes of a graph's constants (initializers, Constant nodes, bodies) by dtype name, `{float32: 436}`, from their
 * shapes and dtypes alone: no weight is read, so a model whose weights stream from external data (fp16's) is
 * not read from disk for it.
 */
export function constantBytesByType(graph: GraphProto): Record<string, number> {
  return bytesByType(collectConstants(graph, (t) => Number(expectedByteLength(t) ?? 0n)));
}

/** Stored bytes of `constants` by dtype name, `{float32: 436}`. */
export function bytesByType(constants: readonly ConstantRecord[]): Record<string, number> {
  const bytes: Record<string, number> = {};
  for (const c of constants) {
    const key = dtypeName(c.dataType);
    bytes[key] = (bytes[key] ?? 0) + c.bytes;
  }
  return bytes;
}
