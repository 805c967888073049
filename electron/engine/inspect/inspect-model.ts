import type { GraphProto, TypeProto, ValueInfoProto } from 'onnx-buf';
import type { ExternalDataFile, LargestTensor, ModelSummary, TensorSummary } from '../../../shared/model-summary.js';
import { dtypeName } from '../onnx/dtypes.js';
import { bytesByType, collectConstants } from '../onnx/constant-bytes.js';
import { externalRef, isExternal } from '../onnx/external-data.js';
import { loadModel, type LoadedModel } from '../onnx/load-model.js';
import { walkGraphs } from '../onnx/walk-graphs.js';
import { forEachTensor } from '../onnx/walk-tensors.js';
import { withIndexedTables } from './index-bounds.js';
import { countParameters } from './parameter-count.js';

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

// Prune reports the summary's count through this.
export { parameterCount } from './parameter-count.js';

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
    const ref = externalRef(model, tensor, sizes);
    const file = files.get(ref.file) ?? { location: ref.location, bytes: 0, tensors: 0 };
    file.bytes += ref.length;
    file.tensors += 1;
    files.set(ref.file, file);
  });
  return [...files.values()];
}

/** The inputs (each with the table it indexes) and outputs of a model, as its summary lists them. */
export function summarizeInterface(graph: GraphProto): Pick<ModelSummary, 'inputs' | 'outputs'> {
  // Models from IR < 4 also list initializers as inputs; those are weights, not inputs a user feeds.
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  return {
    inputs: withIndexedTables(graph, graph.input.filter((vi) => !initializerNames.has(vi.name)).map(summarizeValue)),
    outputs: graph.output.map(summarizeValue),
  };
}

/** The `inspect` summary of an already loaded model. */
export function summarizeModel(model: LoadedModel): ModelSummary {
  const proto = model.proto;
  const graph = proto.graph as GraphProto; // loadModel guarantees a graph
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
  const { parameters, quantizationParameters } = countParameters(graph);
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
    ...summarizeInterface(graph),
    nodes: graph.node.length,
    opCounts,
    subgraphOpCounts,
    parameters,
    ...(quantizationParameters > 0 ? { quantizationParameters } : {}),
    parameterBytes,
    largestTensors,
  };
}

/** Loads a model and summarizes it: the engine side of `onnx-studio inspect` and the app's Model view. */
export async function inspectModel(file: string): Promise<ModelSummary> {
  return summarizeModel(await loadModel(file));
}
