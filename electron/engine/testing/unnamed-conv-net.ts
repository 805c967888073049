/**
 * A small conv net as exporters often leave it, every node unnamed: NCHW `input` [N, 3, 48, W] -> Conv(16, 3x3,
 * pad 1) -> Relu -> Conv(32, 3x3, pad 1) -> Relu -> Add (a per-channel constant) -> ReduceMean over H and W ->
 * MatMul [32, 10] -> `logits` [N, 10]. The shape of the model behind the explain and diff reviews: two Convs
 * whose channel counts structured pruning leaves odd (13 and 26 at 20%), and an int8-static variant whose Q/DQ
 * sit between nodes that have no names to match by.
 */
import type * as ort from 'onnxruntime-node';
import { type ModelProto, TensorProto_DataType } from 'onnx-buf';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { randomOrtTensor } from './feeds-source.js';
import { makeGraph, makeModel, randomTensor } from './model-fixtures.js';

const FLOAT = TensorProto_DataType.FLOAT;

export function buildUnnamedConvNet(options: { seed?: number; batchNorm?: boolean } = {}): ModelProto {
  const seed = options.seed ?? 23;
  // With `batchNorm`: conv2 -> BatchNormalization -> Relu, as exported conv nets have it (folded into the Conv
  // before quantization).
  const bn = options.batchNorm === true;
  const conv = { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } };
  const graph = makeGraph('unnamed_conv_net', {
    inputs: [makeValueInfo('input', FLOAT, ['N', 3, 48, 'W'])],
    outputs: [makeValueInfo('logits', FLOAT, ['N', 10])],
    initializers: [
      randomTensor('conv1.weight', [16, 3, 3, 3], seed, 1 / Math.sqrt(27)),
      randomTensor('conv1.bias', [16], seed + 1, 0.1),
      randomTensor('conv2.weight', [32, 16, 3, 3], seed + 2, 1 / Math.sqrt(144)),
      randomTensor('conv2.bias', [32], seed + 3, 0.1),
      randomTensor('shift', [1, 32, 1, 1], seed + 4, 0.2),
      randomTensor('fc.weight', [32, 10], seed + 5, 0.25),
      ...(bn
        ? [
            makeFloatTensor(
              'bn.scale',
              [32],
              Array.from({ length: 32 }, (_, i) => 1 + 0.01 * i),
            ),
            makeFloatTensor(
              'bn.bias',
              [32],
              Array.from({ length: 32 }, (_, i) => 0.02 * (i % 5)),
            ),
            makeFloatTensor(
              'bn.mean',
              [32],
              Array.from({ length: 32 }, (_, i) => 0.01 * (i % 7)),
            ),
            makeFloatTensor(
              'bn.var',
              [32],
              Array.from({ length: 32 }, () => 1),
            ),
          ]
        : []),
    ],
    nodes: [
      makeNode('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['conv1.out'], { attributes: conv }),
      makeNode('Relu', ['conv1.out'], ['relu1.out']),
      makeNode('Conv', ['relu1.out', 'conv2.weight', 'conv2.bias'], ['conv2.out'], { attributes: conv }),
      ...(bn
        ? [
            makeNode(
              'BatchNormalization',
              ['conv2.out', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'],
              ['bn2.out'],
            ),
            makeNode('Relu', ['bn2.out'], ['relu2.out']),
          ]
        : [makeNode('Relu', ['conv2.out'], ['relu2.out'])]),
      makeNode('Add', ['relu2.out', 'shift'], ['shifted']),
      makeNode('ReduceMean', ['shifted'], ['pooled'], {
        attributes: { axes: { ints: [2, 3] }, keepdims: { int: 0 } },
      }),
      makeNode('MatMul', ['pooled', 'fc.weight'], ['logits']),
    ],
  });
  return makeModel(graph);
}

/** Calibration feeds for it: `count` inputs [1, 3, 48, width]. */
export function unnamedConvNetFeeds(count: number, width = 32, seed = 5): Record<string, ort.Tensor>[] {
  return Array.from({ length: count }, (_, i) => ({ input: randomOrtTensor([1, 3, 48, width], seed + i) }));
}
