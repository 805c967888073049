import * as ort from 'onnxruntime-node';
import { type ModelProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { float32ArrayToFloat16 } from '../../onnx/float16.js';
import { littleEndianBytes, makeNode, makeRawTensor, makeValueInfo } from '../../onnx/graph-build.js';
import { subgraphsOf } from '../../onnx/graph.js';
import { makeGraph, makeModel, randomFloats } from '../../testing/model-fixtures.js';
import { int4Method } from '../methods/int4.js';
import { int8WeightMethod } from '../methods/int8-weight.js';
import type { QuantizeMethod } from '../quantize-method.js';
import { expectAgreement, modelBytes, quantizeInMemory } from './test-support.js';

/*
 * A half-precision checkpoint whose weight is stored once in the main graph, as float16, and read in each If
 * branch through a Cast to float there (as an Optimum merged decoder casts inside its branches). Once the branch
 * nodes read the quantized copy, the Casts go, and the float16 weight must go with them: the If counted as a reader
 * of it because its branches had read it, so the file kept it beside its copies (168% of the original with int4).
 */

const N = 64;

/** cond, ids or x -> If: each branch Casts `w` (float16 [64, 64], main graph) to float and Gathers or MatMuls it. */
function castInBranches(reader: 'Gather' | 'MatMul'): ModelProto {
  const weight = makeRawTensor(
    'w',
    DT.FLOAT16,
    [N, N],
    littleEndianBytes(float32ArrayToFloat16(randomFloats(N * N, 11, 0.5))),
  );
  const branch = (name: string): ReturnType<typeof makeGraph> => {
    const reads: NodeProto =
      reader === 'Gather'
        ? makeNode('Gather', [`${name}_w`, 'ids'], [`${name}_out`], { name: `${name}_gather` })
        : makeNode('MatMul', ['x', `${name}_w`], [`${name}_out`], { name: `${name}_matmul` });
    return makeGraph(name, {
      inputs: [],
      outputs: [makeValueInfo(`${name}_out`, DT.FLOAT)],
      nodes: [
        makeNode('Cast', ['w'], [`${name}_w`], {
          name: `${name}_cast`,
          attributes: { to: { int: DT.FLOAT } },
        }),
        reads,
      ],
    });
  };
  return makeModel(
    makeGraph('cast_in_branches', {
      nodes: [
        makeNode('If', ['cond'], ['out'], {
          name: 'if',
          attributes: { then_branch: { graph: branch('then') }, else_branch: { graph: branch('else') } },
        }),
      ],
      inputs: [
        reader === 'Gather' ? makeValueInfo('ids', DT.INT64, ['n']) : makeValueInfo('x', DT.FLOAT, [2, N]),
        makeValueInfo('cond', DT.BOOL, []),
      ],
      outputs: [makeValueInfo('out', DT.FLOAT)],
      initializers: [weight],
    }),
  );
}

function feed(reader: 'Gather' | 'MatMul', cond: boolean): Record<string, ort.Tensor> {
  const data: Record<string, ort.Tensor> =
    reader === 'Gather'
      ? {
          ids: new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: N }, (_, i) => BigInt(i)),
            [N],
          ),
        }
      : { x: new ort.Tensor('float32', randomFloats(2 * N, 5), [2, N]) };
  return { ...data, cond: new ort.Tensor('bool', [cond], []) };
}

const cases: { method: QuantizeMethod; reader: 'Gather' | 'MatMul'; quantizedOp: string }[] = [
  { method: int4Method, reader: 'Gather', quantizedOp: 'GatherBlockQuantized' },
  { method: int4Method, reader: 'MatMul', quantizedOp: 'MatMulNBits' },
  { method: int8WeightMethod, reader: 'Gather', quantizedOp: 'Gather' },
  { method: int8WeightMethod, reader: 'MatMul', quantizedOp: 'MatMul' },
];

describe('a float16 weight read through a Cast in each If branch', () => {
  for (const { method, reader, quantizedOp } of cases) {
    it(`${method.name}, ${reader}: the Casts and the float16 weight leave the file, one copy stays`, async () => {
      const model = castInBranches(reader);
      const q = await quantizeInMemory(method, model);
      expect(q.quantizedNodes).toBe(2);
      const main = q.model.graph!;
      expect(main.initializer.map((t) => t.name)).not.toContain('w');
      // One quantized copy in the main graph serves both branches (a Cast is a view by the type it gives).
      expect(main.initializer.filter((t) => /^w_(Q4|quantized)/.test(t.name))).toHaveLength(1);
      for (const sub of subgraphsOf(main.node.find((n) => n.opType === 'If')!)) {
        expect(sub.node.map((n) => n.name)).not.toContain(`${sub.name}_cast`);
        expect(sub.node.map((n) => n.opType)).toContain(quantizedOp);
      }
      expect(q.notes.join('\n')).not.toContain('also read in float');
      expect(modelBytes(q.model).length).toBeLessThan(modelBytes(model).length);
      for (const cond of [true, false])
        await expectAgreement(model, q.model, feed(reader, cond), { minCosine: 0.99 });
    });
  }
});
