import { clone, create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  TensorProto_DataType as DT,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { opsetVersion } from '../../onnx/graph.js';
import { makeModel, randomFloats } from '../../testing/model-fixtures.js';
import { MS_DOMAIN, opsetUpgradeBlockers, prepareQdqOpset, upgradeTo13 } from './opset.js';

const X_DIMS = [1, 4, 6, 6];

function model(
  opset: number,
  nodes: NodeProto[],
  outputs: string[],
  initializers = [makeFloatTensor('unused', [1], [0])],
): ModelProto {
  const graph = create(GraphProtoSchema, {
    name: `opset${opset}`,
    input: [makeValueInfo('x', DT.FLOAT, X_DIMS)],
    // Types only: the shapes differ per output and do not matter here.
    output: outputs.map((o) => makeValueInfo(o, o.endsWith('indices') ? DT.INT64 : DT.FLOAT)),
    initializer: initializers,
    node: nodes,
  });
  return makeModel(graph, opset);
}

async function run(m: ModelProto, x: Float32Array): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, m));
  try {
    return await session.run({ x: new ort.Tensor('float32', x, X_DIMS) });
  } finally {
    await session.release();
  }
}

/** Upgrades a copy of `m` to opset 13 and checks that every output is unchanged on random inputs. */
async function expectSameAfterUpgrade(m: ModelProto, expectedConverted: string[]): Promise<ModelProto> {
  const upgraded = clone(ModelProtoSchema, m);
  const converted = upgradeTo13(upgraded, opsetVersion(m)!);
  expect(converted).toEqual(expectedConverted);
  expect(opsetVersion(upgraded)).toBe(13);
  for (const seed of [1, 2]) {
    const x = randomFloats(
      X_DIMS.reduce((a, b) => a * b, 1),
      seed,
      2,
    );
    const before = await run(m, x);
    const after = await run(upgraded, x);
    for (const [name, t] of Object.entries(before)) {
      const u = after[name]!;
      expect(u.dims, name).toEqual(t.dims);
      const a = Array.from(t.data as ArrayLike<number | bigint>, Number);
      const b = Array.from(u.data as ArrayLike<number | bigint>, Number);
      a.forEach((v, i) => expect(Math.abs(v - b[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-6));
    }
  }
  return upgraded;
}

describe('upgradeTo13', () => {
  it('converts the opset-11 forms of Softmax/LogSoftmax/Hardmax, Squeeze/Unsqueeze, ReduceSum and Split exactly', async () => {
    const m = model(
      11,
      [
        makeNode('Softmax', ['x'], ['softmax'], { name: 'softmax' }), // default axis 1: over C*H*W
        makeNode('LogSoftmax', ['x'], ['logsoftmax'], {
          name: 'logsoftmax',
          attributes: { axis: { int: 2 } },
        }),
        makeNode('Hardmax', ['x'], ['hardmax'], { name: 'hardmax', attributes: { axis: { int: -1 } } }),
        makeNode('Unsqueeze', ['x'], ['unsqueezed'], { attributes: { axes: { ints: [0] } } }),
        makeNode('Squeeze', ['unsqueezed'], ['squeezed'], { attributes: { axes: { ints: [0] } } }),
        makeNode('ReduceSum', ['x'], ['reduced'], {
          attributes: { axes: { ints: [1] }, keepdims: { int: 0 } },
        }),
        makeNode('Split', ['x'], ['split0', 'split1'], {
          attributes: { axis: { int: 1 }, split: { ints: [1, 3] } },
        }),
      ],
      ['softmax', 'logsoftmax', 'hardmax', 'squeezed', 'reduced', 'split0', 'split1'],
    );
    const upgraded = await expectSameAfterUpgrade(m, [
      'Hardmax',
      'LogSoftmax',
      'ReduceSum',
      'Softmax',
      'Split',
      'Squeeze',
      'Unsqueeze',
    ]);
    // Hardmax already worked along the last axis: no Flatten/Reshape needed for it.
    expect(upgraded.graph!.node.filter((n) => n.opType === 'Flatten')).toHaveLength(2);
  });

  it('converts the opset-9 attribute forms of Slice, Clip, Pad, TopK, Dropout and Upsample exactly', async () => {
    const m = model(
      9,
      [
        makeNode('Slice', ['x'], ['sliced'], {
          attributes: { starts: { ints: [0, 1] }, ends: { ints: [1, 3] }, axes: { ints: [0, 1] } },
        }),
        makeNode('Clip', ['x'], ['clipped'], { attributes: { min: { float: -0.5 }, max: { float: 0.75 } } }),
        makeNode('Pad', ['x'], ['padded'], {
          attributes: { pads: { ints: [0, 0, 1, 2, 0, 0, 2, 1] }, value: { float: 0.25 } },
        }),
        makeNode('TopK', ['x'], ['top_values', 'top_indices'], { attributes: { k: { int: 2 } } }),
        makeNode('Dropout', ['x'], ['dropped'], { attributes: { ratio: { float: 0.3 } } }),
        makeNode('Upsample', ['x', 'scales'], ['nearest'], { attributes: { mode: { string: 'nearest' } } }),
        makeNode('Upsample', ['x', 'scales'], ['linear'], { attributes: { mode: { string: 'linear' } } }),
      ],
      ['sliced', 'clipped', 'padded', 'top_values', 'top_indices', 'dropped', 'nearest', 'linear'],
      [makeFloatTensor('scales', [4], [1, 1, 2, 3])],
    );
    await expectSameAfterUpgrade(m, ['Clip', 'Dropout', 'Pad', 'Slice', 'TopK', 'Upsample (to Resize)']);
  });

  it('leaves the model alone when an op cannot be converted', () => {
    const m = model(
      10,
      [makeNode('Resize', ['x', 'scales'], ['y'])],
      ['y'],
      [makeFloatTensor('scales', [4], [1, 1, 2, 2])],
    );
    expect(opsetUpgradeBlockers(m.graph!, 10)).toEqual(['Resize']);
    const graph = m.graph;
    expect(upgradeTo13(m, 10)).toBeUndefined();
    expect(m.graph).toBe(graph);
    expect(opsetVersion(m)).toBe(10);
  });
});

describe('prepareQdqOpset', () => {
  it('picks the Q/DQ forms for each case', () => {
    const notes: string[] = [];
    const note = (n: string) => notes.push(n);
    const relu = () => [makeNode('Relu', ['x'], ['y'])];
    expect(prepareQdqOpset(model(17, relu(), ['y']), true, note)).toMatchObject({
      perAxisDomain: '',
      opset: 17,
      qlinearOps: true,
    });
    expect(prepareQdqOpset(model(11, relu(), ['y']), false, note)).toMatchObject({
      perTensorDomain: '',
      opset: 11,
      maxPool8Bit: false,
    });
    const raised = model(11, relu(), ['y']);
    expect(prepareQdqOpset(raised, true, note)).toMatchObject({
      perAxisDomain: '',
      opset: 13,
      maxPool8Bit: true,
    });
    expect(opsetVersion(raised)).toBe(13);
    const resize = () => [makeNode('Resize', ['x', 'unused'], ['y'])];
    expect(prepareQdqOpset(model(10, resize(), ['y']), true, note)).toMatchObject({
      perTensorDomain: '',
      perAxisDomain: MS_DOMAIN,
      opset: 10,
      qlinearOps: true,
    });
    expect(notes.at(-1)).toMatch(/Opset 10 kept \(Resize cannot be moved to opset 13\)/);
  });
});
