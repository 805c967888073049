/**
 * The Graph view's data (shared/model-graph.ts) from a loaded model: nodes with a short rendering of their
 * attributes, value types from the value info, and statistics of every weight, read here once so the
 * renderer never sees tensor bytes. Subgraph bodies are nested under the node that holds them.
 */
import {
  AttributeProto_AttributeType as AttrType,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType as DataType,
} from 'onnx-buf';
import type {
  GraphAttribute,
  GraphBody,
  GraphNode,
  ModelGraph,
  WeightStats,
} from '../../../shared/model-graph.js';
import path from 'node:path';
import { StudioError } from '../errors.js';
import { dtypeName } from '../onnx/dtypes.js';
import { isExternal } from '../onnx/external-data.js';
import { loadModel, type LoadedModel } from '../onnx/load-model.js';
import { decodeTensor, decodeToFloat32, tensorByteSize } from '../onnx/tensor-codec.js';
import { describeType, rankUnknownOf } from './inspect-model.js';

/** One weight with more elements is not read. */
const STATS_ELEMENT_LIMIT = 64 * 2 ** 20;
/** Nor any weight once this many elements were read in the model (seconds of work for a 7B model otherwise). */
const STATS_MODEL_BUDGET = 512 * 2 ** 20;
/**
 * The view's limit: past it the JSON (about 190 bytes a node) and the page's drawing grow beyond what a page
 * should hold, so the request is refused with a clear message rather than freezing the app.
 */
export const MAX_GRAPH_NODES = 100_000;

/** Elements left to read in this model. */
interface Budget {
  left: number;
}
/** Lists in attributes are cut to this many items. */
const ATTRIBUTE_LIST_ITEMS = 8;
const ATTRIBUTE_STRING_CHARS = 80;

function list<T>(items: readonly T[], show: (item: T) => string): string {
  const shown = items.slice(0, ATTRIBUTE_LIST_ITEMS).map(show);
  if (items.length > ATTRIBUTE_LIST_ITEMS) shown.push(`… ${items.length} in all`);
  return `[${shown.join(', ')}]`;
}

const text = (bytes: Uint8Array) => {
  const s = new TextDecoder().decode(bytes);
  return JSON.stringify(s.length > ATTRIBUTE_STRING_CHARS ? `${s.slice(0, ATTRIBUTE_STRING_CHARS)}…` : s);
};
const tensorText = (t: TensorProto) => `tensor ${dtypeName(t.dataType)}[${t.dims.map(Number).join(', ')}]`;
const nodeCount = (g: GraphProto): number =>
  g.node.reduce(
    (n, node) =>
      n +
      1 +
      node.attribute.reduce(
        (m, a) => m + (a.g ? nodeCount(a.g) : 0) + a.graphs.reduce((k, s) => k + nodeCount(s), 0),
        0,
      ),
    0,
  );

/** A subgraph attribute's text: `graph (1 node)`, `graph (3 nodes)` (it read "graph (1 nodes)"). */
function graphText(graph: GraphProto): string {
  const n = nodeCount(graph);
  return `graph (${n} ${n === 1 ? 'node' : 'nodes'})`;
}

/** One attribute as a short string; by its declared type, or by whichever field is set when it has none. */
export function attributeText(attr: AttributeProto): string {
  switch (attr.type) {
    case AttrType.FLOAT:
      return String(attr.f);
    case AttrType.INT:
      return String(attr.i);
    case AttrType.STRING:
      return text(attr.s);
    case AttrType.TENSOR:
      return attr.t ? tensorText(attr.t) : 'tensor';
    case AttrType.GRAPH:
      return attr.g ? graphText(attr.g) : 'graph';
    case AttrType.FLOATS:
      return list(attr.floats, String);
    case AttrType.INTS:
      return list(attr.ints, String);
    case AttrType.STRINGS:
      return list(attr.strings, text);
    case AttrType.TENSORS:
      return list(attr.tensors, tensorText);
    case AttrType.GRAPHS:
      return list(attr.graphs, graphText);
    default:
      return attr.ints.length > 0
        ? list(attr.ints, String)
        : attr.floats.length > 0
          ? list(attr.floats, String)
          : String(attr.i);
  }
}

/** Shape, dtype, bytes, and (when the values are here and numeric) min, max, mean and the share of zeros. */
export function weightStats(t: TensorProto, budget: Budget = { left: STATS_MODEL_BUDGET }): WeightStats {
  const stats: WeightStats = {
    dtype: dtypeName(t.dataType),
    shape: t.dims.map(Number),
    bytes: tensorByteSize(t),
  };
  if (isExternal(t)) return { ...stats, note: 'stored in an external data file; values not read' };
  const count = stats.shape.reduce((n, d) => n * d, 1);
  if (count > STATS_ELEMENT_LIMIT)
    return { ...stats, note: `more than ${STATS_ELEMENT_LIMIT} elements; values not read` };
  if (count > budget.left)
    return { ...stats, note: 'the model has too many weights to read them all; values not read' };
  budget.left -= count;
  let values;
  try {
    // float16 and bfloat16 decode to their bit patterns (Uint16Array): their values are the floats those bits hold.
    values =
      t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16
        ? decodeToFloat32(t)
        : decodeTensor(t).values;
  } catch {
    return { ...stats, note: `values of ${stats.dtype} are not read` };
  }
  if (typeof values[0] === 'string' || values.length === 0) return stats;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  const numbers = values as ArrayLike<number | bigint>;
  for (let i = 0; i < numbers.length; i++) {
    const v = Number(numbers[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    if (v === 0) zeros++;
  }
  return { ...stats, min, max, mean: sum / values.length, sparsity: zeros / values.length };
}

function buildNode(node: NodeProto, id: string, budget: Budget): GraphNode {
  const out: GraphNode = {
    id,
    name: node.name,
    opType: node.opType,
    domain: node.domain === 'ai.onnx' ? '' : node.domain,
    inputs: [...node.input],
    outputs: [...node.output],
    attributes: node.attribute.map((a): GraphAttribute => ({ name: a.name, value: attributeText(a) })),
  };
  const subgraphs: NonNullable<GraphNode['subgraphs']> = [];
  for (const attr of node.attribute) {
    if (attr.g)
      subgraphs.push({ attribute: attr.name, graph: buildBody(attr.g, `${id}/${attr.name}`, budget) });
    attr.graphs.forEach((g, i) =>
      subgraphs.push({
        attribute: `${attr.name}[${i}]`,
        graph: buildBody(g, `${id}/${attr.name}.${i}`, budget),
      }),
    );
  }
  if (subgraphs.length > 0) out.subgraphs = subgraphs;
  return out;
}

function buildBody(graph: GraphProto, prefix: string, budget: Budget): GraphBody {
  const values: GraphBody['values'] = {};
  for (const vi of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    if (vi.name !== '' && vi.type) values[vi.name] = { ...describeType(vi.type), ...rankUnknownOf(vi.type) };
  }
  const weights: GraphBody['weights'] = {};
  for (const t of graph.initializer) weights[t.name] = weightStats(t, budget);
  // A Constant node's value is a weight too: the view shows its statistics on the node that makes it.
  for (const node of graph.node) {
    if (node.opType !== 'Constant' || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    const name = node.output[0];
    if (value && name) weights[name] = weightStats(value, budget);
  }
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  return {
    nodes: graph.node.map((n, i) => buildNode(n, prefix === '' ? String(i) : `${prefix}/${i}`, budget)),
    // Old models also list initializers as inputs; those are weights, not inputs.
    inputs: graph.input.map((vi) => vi.name).filter((n) => !initializerNames.has(n)),
    outputs: graph.output.map((vi) => vi.name),
    values,
    weights,
  };
}

export function modelGraphOf(model: LoadedModel, maxNodes = MAX_GRAPH_NODES): ModelGraph {
  const graph = model.proto.graph as GraphProto; // loadModel guarantees a graph
  const totalNodes = nodeCount(graph);
  if (totalNodes > maxNodes) {
    throw new StudioError(
      'BAD_REQUEST',
      `${path.basename(model.path)} has ${totalNodes} nodes; the Graph view shows models of up to ${maxNodes}. Use \`onnx-studio inspect\` or \`onnx-studio diff\` for this one.`,
    );
  }
  return {
    path: model.path,
    mainNodes: graph.node.length,
    totalNodes,
    graph: buildBody(graph, '', { left: STATS_MODEL_BUDGET }),
  };
}

/** Loads a model and builds its Graph view data: the engine side of the app's `model.graph` request. */
export async function modelGraph(file: string): Promise<ModelGraph> {
  return modelGraphOf(await loadModel(file));
}
