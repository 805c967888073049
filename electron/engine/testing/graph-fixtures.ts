/**
 * Large graphs for measuring the Graph view (e2e/scripts/measure-graph-view.ts): `buildBranchyGraph` makes
 * a model of exactly `blocks * 10` nodes whose shape is like a transformer's — three parallel MatMuls that
 * merge, a residual Add around each block, a gated activation — so the layout meets fan-out, fan-in and long
 * edges, not just a chain. Every 50th block holds an If (its branches read the block's output). Small
 * weights (width x width float32), so the file stays a few MB; the model loads and runs in onnxruntime.
 */
import { TensorProto_DataType, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, randomTensor } from './model-fixtures.js';

const FLOAT = TensorProto_DataType.FLOAT;
const BOOL = TensorProto_DataType.BOOL;

export const NODES_PER_BLOCK = 10;

export function buildBranchyGraph(options: { blocks: number; width?: number; seed?: number }): ModelProto {
  const width = options.width ?? 16;
  const seed = options.seed ?? 7;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const weight = (name: string, s: number) =>
    initializers.push(randomTensor(name, [width, width], s, 1 / Math.sqrt(width)));
  let x = 'input';
  for (let b = 0; b < options.blocks; b++) {
    const p = `b${b}`;
    for (const [i, w] of ['q', 'k', 'v', 'o'].entries()) weight(`${p}.${w}`, seed + 4 * b + i);
    const last = b === options.blocks - 1;
    const y = last ? 'output' : `${p}.y`;
    nodes.push(
      makeNode('MatMul', [x, `${p}.q`], [`${p}.qa`], { name: `${p}_q` }),
      makeNode('MatMul', [x, `${p}.k`], [`${p}.kb`], { name: `${p}_k` }),
      makeNode('MatMul', [x, `${p}.v`], [`${p}.vc`], { name: `${p}_v` }),
      makeNode('Add', [`${p}.qa`, `${p}.kb`], [`${p}.s1`], { name: `${p}_add` }),
      makeNode('Mul', [`${p}.s1`, `${p}.vc`], [`${p}.s2`], { name: `${p}_mul` }),
      makeNode('Relu', [`${p}.s2`], [`${p}.s3`], { name: `${p}_relu` }),
      makeNode('MatMul', [`${p}.s3`, `${p}.o`], [`${p}.o_out`], { name: `${p}_o` }),
      makeNode('Add', [`${p}.o_out`, x], [`${p}.r`], { name: `${p}_residual` }),
      makeNode('Sigmoid', [`${p}.r`], [`${p}.g`], { name: `${p}_gate` }),
    );
    if (b % 50 === 49 && !last) {
      // The tenth node is an If choosing between the gated and the plain residual.
      const branch = (name: string, op: string, inputs: string[]) =>
        makeGraph(name, {
          inputs: [],
          outputs: [makeValueInfo(`${p}.${name}.out`, FLOAT, ['batch', width])],
          nodes: [makeNode(op, inputs, [`${p}.${name}.out`], { name: `${p}_${name}` })],
        });
      nodes.push(
        makeNode('If', ['gate_on'], [y], {
          name: `${p}_if`,
          attributes: {
            then_branch: { graph: branch('then', 'Mul', [`${p}.r`, `${p}.g`]) },
            else_branch: { graph: branch('else', 'Identity', [`${p}.r`]) },
          },
        }),
      );
    } else nodes.push(makeNode('Mul', [`${p}.r`, `${p}.g`], [y], { name: `${p}_swish` }));
    x = y;
  }
  const graph = makeGraph('branchy', {
    inputs: [makeValueInfo('input', FLOAT, ['batch', width]), makeValueInfo('gate_on', BOOL, [])],
    outputs: [makeValueInfo('output', FLOAT, ['batch', width])],
    initializers,
    nodes,
  });
  return makeModel(graph);
}
