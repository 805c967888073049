/**
 * A model for the diff's tests whose weights sit in subgraphs, as exporters write control flow (and as the
 * reviewer's if_loop.onnx did, whose int4 diff once said that nothing changed).
 */
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, type ModelProto, TensorProto_DataType } from 'onnx-buf';
import {
  makeFloatTensor,
  makeInt64Tensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../onnx/graph-build.js';
import { makeGraph, makeModel, randomFloats } from '../testing/model-fixtures.js';

const FLOAT = TensorProto_DataType.FLOAT;
const BOOL = TensorProto_DataType.BOOL;

const weight = (name: string, dims: number[], seed: number) =>
  makeFloatTensor(name, dims, randomFloats(dims[0]! * dims[1]!, seed, 1 / Math.sqrt(dims[0]!)));

/**
 * `input` [batch, 8] -> MatMul `in_mm` (in.weight [8, 16]) -> `hidden`; If `branch` (`cond`): then = MatMul
 * `then_mm` with its own initializer then.weight [16, 16], else = MatMul `else_mm` with outer.weight [16, 16]
 * of the main graph; Loop `loop` (2 iterations over the If's output): body = MatMul `body_mm` (its own
 * body.weight [16, 16]) -> Tanh `body_tanh`, Identity `body_cond` -> `output` [batch, 16]. 8 nodes, 3 of them
 * in the main graph; 4 float weights (3,584 bytes), 2 in subgraphs, and trip and keep_going (9 bytes).
 */
export function buildIfLoopModel(seed = 81): ModelProto {
  const branch = (name: string, weightName: string, initializers: ReturnType<typeof weight>[]) =>
    makeGraph(name, {
      inputs: [],
      outputs: [makeValueInfo(`${name}.out`, FLOAT, ['batch', 16])],
      initializers,
      nodes: [
        makeNode('MatMul', ['hidden', weightName], [`${name}.out`], { name: `${name.split('_')[0]}_mm` }),
      ],
    });
  const body = create(GraphProtoSchema, {
    name: 'loop_body',
    node: [
      makeNode('MatMul', ['state', 'body.weight'], ['body.mm'], { name: 'body_mm' }),
      makeNode('Tanh', ['body.mm'], ['state.next'], { name: 'body_tanh' }),
      makeNode('Identity', ['cond.in'], ['cond.out'], { name: 'body_cond' }),
    ],
    input: [
      makeValueInfo('iteration', TensorProto_DataType.INT64, []),
      makeValueInfo('cond.in', BOOL, []),
      makeValueInfo('state', FLOAT, ['batch', 16]),
    ],
    output: [makeValueInfo('cond.out', BOOL, []), makeValueInfo('state.next', FLOAT, ['batch', 16])],
    initializer: [weight('body.weight', [16, 16], seed + 3)],
  });
  return makeModel(
    makeGraph('if_loop', {
      inputs: [makeValueInfo('input', FLOAT, ['batch', 8]), makeValueInfo('cond', BOOL, [])],
      outputs: [makeValueInfo('output', FLOAT, ['batch', 16])],
      initializers: [
        weight('in.weight', [8, 16], seed),
        weight('outer.weight', [16, 16], seed + 2),
        makeInt64Tensor('trip', [], [2]),
        makeRawTensor('keep_going', BOOL, [], new Uint8Array([1])),
      ],
      nodes: [
        makeNode('MatMul', ['input', 'in.weight'], ['hidden'], { name: 'in_mm' }),
        makeNode('If', ['cond'], ['if.out'], {
          name: 'branch',
          attributes: {
            then_branch: {
              graph: branch('then_branch', 'then.weight', [weight('then.weight', [16, 16], seed + 1)]),
            },
            else_branch: { graph: branch('else_branch', 'outer.weight', []) },
          },
        }),
        makeNode('Loop', ['trip', 'keep_going', 'if.out'], ['output'], {
          name: 'loop',
          attributes: { body: { graph: body } },
        }),
      ],
    }),
  );
}
