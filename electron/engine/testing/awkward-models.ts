/**
 * Models of the kinds users really open, built in code for the end-to-end tests of the experiment flow:
 * - `text-line.onnx`: a text-line recognizer's front end with input `x [?, 3, 48, ?]` (batch and width
 *   unknown). Its cost grows with the width, so a benchmark at width 1 is a wrong number.
 * - `speech-gate.onnx`: a voice-activity-style model with a float `audio [1, samples]` input, an int64 `sr`
 *   input and an If on the sample rate. `samples` must be a multiple of 64 (the model frames the audio), so
 *   the default of 1 fails inside onnxruntime.
 */
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, type ModelProto, OperatorSetIdProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeModel, modelBytes, randomFloats } from './model-fixtures.js';

const FLOAT = TensorProto_DataType.FLOAT;
const INT64 = TensorProto_DataType.INT64;

export function buildTextLineModel(): ModelProto {
  const graph = create(GraphProtoSchema, {
    name: 'text_line',
    input: [makeValueInfo('x', FLOAT, [null, 3, 48, null])],
    output: [makeValueInfo('features', FLOAT, [null, 16, null])],
    initializer: [
      makeFloatTensor('conv1.weight', [16, 3, 3, 3], randomFloats(16 * 27, 1, 0.2)),
      makeFloatTensor('conv2.weight', [16, 16, 3, 3], randomFloats(16 * 144, 2, 0.08)),
    ],
    node: [
      makeNode('Conv', ['x', 'conv1.weight'], ['c1'], { name: 'conv1', attributes: { pads: { ints: [1, 1, 1, 1] } } }),
      makeNode('Relu', ['c1'], ['r1'], { name: 'relu1' }),
      makeNode('Conv', ['r1', 'conv2.weight'], ['c2'], { name: 'conv2', attributes: { pads: { ints: [1, 1, 1, 1] } } }),
      makeNode('Relu', ['c2'], ['r2'], { name: 'relu2' }),
      makeNode('ReduceMean', ['r2'], ['features'], { name: 'pool_height', attributes: { axes: { ints: [2] }, keepdims: { int: 0 } } }),
    ],
  });
  return makeModel(graph);
}

export function buildSpeechGateModel(): ModelProto {
  const features = (name: string, scale: number) =>
    create(GraphProtoSchema, {
      name,
      output: [makeValueInfo(`${name}.out`, FLOAT, [8])],
      initializer: [makeFloatTensor(`${name}.scale`, [], Float32Array.of(scale))],
      node: [makeNode('Mul', ['pooled', `${name}.scale`], [`${name}.out`], { name: `${name}_mul` })],
    });
  const graph = create(GraphProtoSchema, {
    name: 'speech_gate',
    input: [makeValueInfo('audio', FLOAT, [1, 'samples']), makeValueInfo('sr', INT64, [1])],
    output: [makeValueInfo('speech', FLOAT, [8])],
    initializer: [
      makeInt64Tensor('frame_shape', [2], [-1n, 64n]),
      makeInt64Tensor('rate_16k', [1], [16000n]),
      makeFloatTensor('frame.weight', [64, 8], randomFloats(64 * 8, 3, 0.2)),
    ],
    node: [
      makeNode('Reshape', ['audio', 'frame_shape'], ['frames'], { name: 'frame' }),
      makeNode('MatMul', ['frames', 'frame.weight'], ['proj'], { name: 'project' }),
      makeNode('Relu', ['proj'], ['act'], { name: 'act' }),
      makeNode('ReduceMean', ['act'], ['pooled'], { name: 'pool', attributes: { axes: { ints: [0] }, keepdims: { int: 0 } } }),
      makeNode('Equal', ['sr', 'rate_16k'], ['is16k_vec'], { name: 'is16k' }),
      makeNode('Squeeze', ['is16k_vec'], ['is16k_flag'], { name: 'flag' }),
      makeNode('If', ['is16k_flag'], ['speech'], {
        name: 'by_rate',
        attributes: { then_branch: { graph: features('rate16k', 1) }, else_branch: { graph: features('rate8k', 0.5) } },
      }),
    ],
  });
  return makeModel(graph);
}

/**
 * A model onnxruntime refuses to load: a MatMul `proj`, then `FancyAct` of the custom domain `com.acme`, an
 * operator it has no kernel for (what a model exported with a custom-op library looks like without it).
 */
export function buildCustomOpModel(): ModelProto {
  const graph = create(GraphProtoSchema, {
    name: 'custom',
    input: [makeValueInfo('x', FLOAT, [1, 64])],
    output: [makeValueInfo('y', FLOAT, [1, 64])],
    initializer: [makeFloatTensor('w', [64, 64], randomFloats(64 * 64, 1, 0.1))],
    node: [
      makeNode('MatMul', ['x', 'w'], ['h'], { name: 'proj' }),
      makeNode('FancyAct', ['h'], ['y'], { name: 'act', domain: 'com.acme' }),
    ],
  });
  const model = makeModel(graph);
  model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'com.acme', version: 1n }));
  return model;
}

/** The models as files: name → bytes. */
export function awkwardModelFiles(): Record<string, Uint8Array> {
  return { 'text-line.onnx': modelBytes(buildTextLineModel()), 'speech-gate.onnx': modelBytes(buildSpeechGateModel()) };
}
