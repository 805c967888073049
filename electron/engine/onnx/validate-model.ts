import type { GraphProto, ModelProto, TensorProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { dtypeBits, dtypeName } from './dtypes.js';
import { expectedByteLength, externalRef, isExternal, type ExternalDataBase } from './external-data.js';
import { topologicalOrder } from './graph-index.js';
import { isListedInOrder } from './listed-in-order.js';
import { walkGraphs } from './walk-graphs.js';
import { forEachTensor } from './walk-tensors.js';

/** Element counts of each typed field, for checking a tensor's data against its dims without decoding it. */
function typedFieldCount(tensor: TensorProto): number {
  return (
    tensor.floatData.length +
    tensor.int32Data.length +
    tensor.int64Data.length +
    tensor.doubleData.length +
    tensor.uint64Data.length +
    tensor.stringData.length
  );
}

/**
 * The bytes raw_data must hold, in plain numbers when the dims are small enough for that to be exact
 * (undefined otherwise, or when the type has no fixed size): bigint arithmetic for each of 20,000 small
 * tensors showed in load profiles. The exact bigint check runs whenever this does not confirm the size.
 */
function rawByteLengthQuick(tensor: TensorProto): number | undefined {
  const bits = tensor.dataType === 8 ? undefined : dtypeBits(tensor.dataType);
  if (bits === undefined) return undefined;
  let count = 1;
  for (const d of tensor.dims) {
    if (d > 0x7fffffffn) return undefined;
    count *= Number(d);
    if (count > 2 ** 40) return undefined;
  }
  return Math.floor((count * bits + 7) / 8);
}

function checkTensor(
  tensor: TensorProto,
  dir: string | ExternalDataBase,
  fileSizes: Map<string, number>,
): number {
  for (const d of tensor.dims) {
    if (d < 0n)
      throw new StudioError(
        'MODEL_INVALID',
        `Tensor '${tensor.name}' has a negative dimension (${tensor.dims.join('x')}).`,
      );
  }
  if (isExternal(tensor)) return externalRef(dir, tensor, fileSizes).length;
  if (tensor.rawData.byteLength > 0 && rawByteLengthQuick(tensor) === tensor.rawData.byteLength) return 0;
  const expected = expectedByteLength(tensor);
  // Only built for an error message (building it for every tensor showed in load profiles).
  const shape = () => `[${tensor.dims.join(', ')}] of ${dtypeName(tensor.dataType)}`;
  if (tensor.rawData.byteLength > 0) {
    if (expected !== undefined && BigInt(tensor.rawData.byteLength) !== expected) {
      throw new StudioError(
        'MODEL_INVALID',
        `Tensor '${tensor.name}' is ${shape()}, which needs ${expected} bytes, but it stores ${tensor.rawData.byteLength}. ` +
          `The model file is corrupt.`,
      );
    }
    return 0;
  }
  const count = typedFieldCount(tensor);
  const bits = dtypeBits(tensor.dataType);
  if (count > 0 && expected !== undefined && bits !== undefined) {
    // Packed 4-bit types store two elements per int32_data entry; complex types two floats per element.
    const perEntry = bits < 8 ? 8 / bits : 1;
    const perElement = tensor.dataType === 14 || tensor.dataType === 15 ? 2 : 1;
    const elements = (expected * 8n) / BigInt(bits);
    const needed = (elements * BigInt(perElement) + BigInt(perEntry) - 1n) / BigInt(perEntry);
    if (BigInt(count) !== needed) {
      throw new StudioError(
        'MODEL_INVALID',
        `Tensor '${tensor.name}' is ${shape()}, which needs ${needed} values, but it stores ${count}. The model file is corrupt.`,
      );
    }
  }
  return 0;
}

/** How many names a duplicate-name error lists before `and N more`. */
const LISTED_DUPLICATES = 5;

/**
 * Refuses a graph in which two nodes share a non-empty name: onnxruntime will not load it ("two nodes with same
 * node name"), and a node named by `--exclude-nodes`, a diff or a Graph view overlay could be either of them.
 * The rule is onnxruntime's (graph.cc, VerifyNoDuplicateName): empty names may repeat (ONNX leaves names
 * optional), and each graph is checked on its own, so a body may reuse a name of the graph around it.
 */
function refuseDuplicateNodeNames(graph: GraphProto, depth: number, label: string): void {
  const counts = new Map<string, { count: number; opTypes: string[] }>();
  let duplicated = false;
  for (const node of graph.node) {
    if (node.name === '') continue;
    const seen = counts.get(node.name);
    if (seen) {
      seen.count += 1;
      if (!seen.opTypes.includes(node.opType)) seen.opTypes.push(node.opType);
      duplicated = true;
    } else counts.set(node.name, { count: 1, opTypes: [node.opType] });
  }
  if (!duplicated) return;
  const repeated = [...counts].filter(([, seen]) => seen.count > 1);
  const listed = repeated
    .slice(0, LISTED_DUPLICATES)
    .map(([name, seen]) => `'${name}' (${seen.count} nodes: ${seen.opTypes.join(', ')})`);
  const more = repeated.length > LISTED_DUPLICATES ? ` and ${repeated.length - LISTED_DUPLICATES} more` : '';
  const where = depth === 0 ? '' : ` in subgraph '${graph.name}'`;
  throw new StudioError(
    'MODEL_INVALID',
    `${label} has nodes that share a name${where}: ${listed.join(', ')}${more}. onnxruntime refuses such a model ` +
      `("two nodes with same node name"), and a node name could not say which node is meant. Give each node a ` +
      `unique name (or none) and save the model again, or re-export it.`,
  );
}

/**
 * Checks what loading alone cannot: the model has a graph, the graph (and every subgraph) is acyclic, no two
 * nodes of one graph share a name,
 * every tensor's stored data matches its dims and type, and every external data file is safe to read and
 * long enough. Returns the number of external data bytes.
 */
export function validateModel(
  proto: ModelProto,
  dir: string | ExternalDataBase,
  label: string,
): { externalDataBytes: number } {
  if (!proto.graph)
    throw new StudioError('MODEL_INVALID', `${label} has no graph: it is not a runnable ONNX model.`);
  const fileSizes = new Map<string, number>();
  let externalDataBytes = 0;
  forEachTensor(proto, (tensor) => {
    externalDataBytes += checkTensor(tensor, dir, fileSizes);
  });
  walkGraphs(proto.graph, (graph, depth) => {
    refuseDuplicateNodeNames(graph, depth, label);
    // Almost every real model lists its nodes in order already; only the others need the full sort,
    // which is also what names a node on a cycle.
    if (!isListedInOrder(graph)) topologicalOrder(graph);
  });
  return { externalDataBytes };
}
