import type { AttributeProto, GraphProto, SparseTensorProto, TensorProto, TypeProto, ValueInfoProto } from 'onnx-buf';
import type { ExternalDataFile, LargestTensor, ModelSummary, TensorSummary } from '../../../shared/model-summary.js';
import { dtypeName, elementCount } from '../onnx/dtypes.js';
import { expectedByteLength, externalRef, isExternal } from '../onnx/external-data.js';
import { loadModel, type LoadedModel } from '../onnx/load-model.js';
import { walkGraphs } from '../onnx/walk-graphs.js';
import { forEachTensor } from '../onnx/walk-tensors.js';
import { withIndexedTables } from './index-bounds.js';

const FLOAT = 1;
const INT64 = 7;
const STRING = 8;

/** Describes a value's type for people: `float32` for tensors, `sequence<float32>` and so on otherwise. */
export function describeType(type: TypeProto | undefined): { dtype: string; shape: (number | string | null)[] } {
  const value = type?.value;
  switch (value?.case) {
    case 'tensorType':
    case 'sparseTensorType': {
      const shape = value.value.shape?.dim.map((d) =>
        d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null,
      );
      return { dtype: dtypeName(value.value.elemType), shape: shape ?? [] };
    }
    case 'sequenceType':
      return { dtype: `sequence<${describeType(value.value.elemType).dtype}>`, shape: [] };
    case 'optionalType':
      return { dtype: `optional<${describeType(value.value.elemType).dtype}>`, shape: [] };
    case 'mapType':
      return { dtype: `map<${dtypeName(value.value.keyType)},${describeType(value.value.valueType).dtype}>`, shape: [] };
    default:
      return { dtype: 'unknown', shape: [] };
  }
}

/**
 * `{ rankUnknown: true }` for a tensor type that declares no shape at all (not even a rank), which `describeType`
 * gives the empty shape of a scalar; else nothing. Only a shape declared with zero dims is a scalar.
 */
export function rankUnknownOf(type: TypeProto | undefined): { rankUnknown?: true } {
  const value = type?.value;
  return value?.case === 'tensorType' && value.value.shape === undefined ? { rankUnknown: true } : {};
}

function summarizeValue(vi: ValueInfoProto): TensorSummary {
  return { name: vi.name, ...describeType(vi.type), ...rankUnknownOf(vi.type) };
}

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

interface ConstantRecord {
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
function collectConstants(
  graph: GraphProto,
  measureBytes: boolean | ((t: TensorProto) => number) = true,
): ConstantRecord[] {
  const out: ConstantRecord[] = [];
  const storedBytes = typeof measureBytes === 'function' ? measureBytes : measureBytes ? storedBytesOf : () => 0;
  const dense = (t: TensorProto, name = t.name) => out.push({ name, dataType: t.dataType, dims: t.dims, bytes: storedBytes(t) });
  const sparse = (s: SparseTensorProto, name: string) => {
    // Parameters are the logical (dense) elements; bytes are what is stored, values and indices each
    // under their own dtype.
    out.push({ name, dataType: s.values?.dataType ?? FLOAT, dims: s.dims, bytes: s.values ? storedBytes(s.values) : 0 });
    if (s.indices) {
      out.push({ name: `${name} (indices)`, dataType: s.indices.dataType, dims: s.indices.dims, bytes: storedBytes(s.indices), counts: false });
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
      out.push({ name, dataType: STRING, dims: [BigInt(attr.strings.length)], bytes: attr.strings.reduce((n, s) => n + s.byteLength, 0) });
      return;
  }
}

function safeCount(dims: bigint[]): number {
  try {
    return Number(elementCount(dims));
  } catch {
    return 0;
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

function bytesByType(constants: readonly ConstantRecord[]): Record<string, number> {
  const bytes: Record<string, number> = {};
  for (const c of constants) {
    const key = dtypeName(c.dataType);
    bytes[key] = (bytes[key] ?? 0) + c.bytes;
  }
  return bytes;
}

/**
 * The summary's `parameters`: elements of every constant tensor, subgraphs included, from their shapes alone
 * (no weight is read). Prune reports the same count through this.
 */
export function parameterCount(graph: GraphProto): number {
  let n = 0;
  for (const c of collectConstants(graph, false)) if (c.counts !== false) n += safeCount(c.dims);
  return n;
}

/**
 * The model's external data files, in the order the model first names them: each file's location as the model
 * writes it, the bytes the model reads from it and how many tensors it holds. Two locations of one file
 * (`w.bin`, `./w.bin`) are one file, under the first. A copy of the model needs every one of them, at the same
 * place relative to it.
 */
export function externalDataFiles(model: LoadedModel): ExternalDataFile[] {
  if (model.externalDataBytes === 0) return [];
  const files = new Map<string, ExternalDataFile>();
  const sizes = new Map<string, number>();
  forEachTensor(model.proto, (tensor) => {
    if (!isExternal(tensor)) return;
    // The resolution and byte count loading checked (validateModel), so the bytes add up to externalDataBytes.
    const ref = externalRef(model.dir, tensor, sizes);
    const file = files.get(ref.file) ?? { location: ref.location, bytes: 0, tensors: 0 };
    file.bytes += ref.length;
    file.tensors += 1;
    files.set(ref.file, file);
  });
  return [...files.values()];
}

/** The `inspect` summary of an already loaded model. */
export function summarizeModel(model: LoadedModel): ModelSummary {
  const proto = model.proto;
  const graph = proto.graph as GraphProto; // loadModel guarantees a graph
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  const opsets: Record<string, number> = {};
  for (const op of proto.opsetImport) opsets[op.domain === 'ai.onnx' ? '' : op.domain] = Number(op.version);
  const opCounts: Record<string, number> = {};
  const subgraphOpCounts: Record<string, number> = {};
  walkGraphs(graph, (g, depth) => {
    const counts = depth === 0 ? opCounts : subgraphOpCounts;
    for (const node of g.node) {
      const key = node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}::${node.opType}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  });
  const constants = collectConstants(graph);
  const parameters = parameterCount(graph);
  const parameterBytes = bytesByType(constants);
  const largestTensors: LargestTensor[] = constants
    .slice()
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 10)
    .map((c) => ({ name: c.name, dtype: dtypeName(c.dataType), shape: c.dims.map(Number), bytes: c.bytes }));
  return {
    path: model.path,
    fileBytes: model.fileBytes,
    externalDataBytes: model.externalDataBytes,
    externalDataFiles: externalDataFiles(model),
    irVersion: Number(proto.irVersion),
    producer: { name: proto.producerName, version: proto.producerVersion },
    opsets,
    // Models from IR < 4 also list initializers as inputs; those are weights, not inputs a user feeds.
    inputs: withIndexedTables(graph, graph.input.filter((vi) => !initializerNames.has(vi.name)).map(summarizeValue)),
    outputs: graph.output.map(summarizeValue),
    nodes: graph.node.length,
    opCounts,
    subgraphOpCounts,
    parameters,
    parameterBytes,
    largestTensors,
  };
}

/** Loads a model and summarizes it: the engine side of `onnx-studio inspect` and the app's Model view. */
export async function inspectModel(file: string): Promise<ModelSummary> {
  return summarizeModel(await loadModel(file));
}
