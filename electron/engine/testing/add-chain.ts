import { type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel } from './model-fixtures.js';

/**
 * `x` float [1, width] through `adds` chained Adds of a constant: a model of many tiny nodes, where per-node costs
 * (onnxruntime's profiler writes an event per node per run) outweigh the arithmetic. Nothing fuses an Add chain
 * whose first operand is an input, so every node runs.
 */
export function buildAddChain(adds = 300, width = 8): ModelProto {
  const nodes = [];
  const initializers = [];
  for (let i = 0; i < adds; i++) {
    initializers.push(makeFloatTensor(`c${i}`, [1, width], new Float32Array(width).fill(0.001 * (i + 1))));
    nodes.push(
      makeNode('Add', [i === 0 ? 'x' : `h${i - 1}`, `c${i}`], [i === adds - 1 ? 'y' : `h${i}`], {
        name: `add${i}`,
      }),
    );
  }
  return makeModel(
    makeGraph('add_chain', {
      nodes,
      inputs: [makeValueInfo('x', DT.FLOAT, [1, width])],
      outputs: [makeValueInfo('y', DT.FLOAT, [1, width])],
      initializers,
    }),
  );
}
