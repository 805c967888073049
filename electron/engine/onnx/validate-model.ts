import type { ModelProto, TensorProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { dtypeBits, dtypeName } from './dtypes.js';
import { expectedByteLength, externalRef, isExternal } from './external-data.js';
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

function checkTensor(tensor: TensorProto, dir: string, fileSizes: Map<string, number>): number {
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

/**
 * Checks what loading alone cannot: the model has a graph, the graph (and every subgraph) is acyclic,
 * every tensor's stored data matches its dims and type, and every external data file is safe to read and
 * long enough. Returns the number of external data bytes.
 */
export function validateModel(proto: ModelProto, dir: string, label: string): { externalDataBytes: number } {
  if (!proto.graph)
    throw new StudioError('MODEL_INVALID', `${label} has no graph: it is not a runnable ONNX model.`);
  const fileSizes = new Map<string, number>();
  let externalDataBytes = 0;
  forEachTensor(proto, (tensor) => {
    externalDataBytes += checkTensor(tensor, dir, fileSizes);
  });
  walkGraphs(proto.graph, (graph) => {
    // Almost every real model lists its nodes in order already; only the others need the full sort,
    // which is also what names a node on a cycle.
    if (!isListedInOrder(graph)) topologicalOrder(graph);
  });
  return { externalDataBytes };
}
