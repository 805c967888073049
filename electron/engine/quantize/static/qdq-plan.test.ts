import { TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { buildConvNet } from '../../testing/conv-fixtures.js';
import { inferElementTypes } from '../../onnx/element-types.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { makeGraph } from '../../testing/model-fixtures.js';
import { preoptimizeModel } from './preoptimize.js';
import { originalNodeName } from '../../../../shared/ort-node-names.js';
import { DEFAULT_OP_TYPES, type PlanOptions, calibrationTensors, planQdq } from './qdq-plan.js';

async function convGraph() {
  const model = buildConvNet();
  await preoptimizeModel(model); // folds the BatchNorms: Conv -> Relu
  return model.graph!;
}

function options(
  graph: Parameters<typeof inferElementTypes>[0],
  extra: Partial<PlanOptions> = {},
): PlanOptions {
  return {
    opTypes: new Set(DEFAULT_OP_TYPES),
    excludeNodes: new Set(),
    perTensor: false,
    maxPool8Bit: true,
    qlinearOps: true,
    types: inferElementTypes(graph),
    ...extra,
  };
}

describe('planQdq', () => {
  it("gives a Concat's exclusive inputs its own scale, through nested Concats; a shared input keeps its own", () => {
    const conv = (name: string) =>
      makeNode('Conv', ['x', `${name}.w`], [name], { name, attributes: { kernel_shape: { ints: [1, 1] } } });
    const graph = makeGraph('g', {
      nodes: [
        conv('a'),
        conv('b'),
        conv('c'),
        conv('d'),
        makeNode('Concat', ['a', 'b'], ['ab'], { name: 'inner', attributes: { axis: { int: 1 } } }),
        makeNode('Concat', ['ab', 'c'], ['abc'], { name: 'outer', attributes: { axis: { int: 1 } } }),
        makeNode('Concat', ['abc', 'd'], ['y'], { name: 'last', attributes: { axis: { int: 1 } } }),
        makeNode('Relu', ['d'], ['z']), // d is read elsewhere too: it keeps its own range
      ],
      inputs: [makeValueInfo('x', DT.FLOAT, [1, 2, 4, 4])],
      outputs: [makeValueInfo('y', DT.FLOAT), makeValueInfo('z', DT.FLOAT)],
      initializers: ['a', 'b', 'c', 'd'].map((n) =>
        makeFloatTensor(`${n}.w`, [2, 2, 1, 1], [1, 0.5, -0.5, 1]),
      ),
    });
    const plan = planQdq(graph, options(graph));
    // 'last' reads d, which a Relu reads too: its inputs keep their own ranges.
    expect(['a', 'b', 'ab', 'c', 'abc'].map((t) => plan.root.get(t))).toEqual([
      'abc',
      'abc',
      'abc',
      'abc',
      'abc',
    ]);
    expect(plan.root.get('d')).toBe('d');
    expect(calibrationTensors(plan).sort()).toEqual(['abc', 'd', 'x', 'y']);
  });

  it('plans the conv fixture: Relus folded, MaxPool/Flatten sharing parameters, the residual Add quantized', async () => {
    const graph = await convGraph();
    const plan = planQdq(graph, options(graph));
    const byName = new Map(plan.nodes.map((p) => [p.node.name, p]));
    expect(byName.get('stem.conv')!.fold?.opType).toBe('Relu');
    expect(byName.get('stem.conv')!.outputQuantized).toBe(true);
    expect(byName.get('block1.conv2')!.fold).toBeUndefined(); // its output goes to the Add
    expect(byName.get('block1.add')!.fold?.name).toBe('block1.relu');
    expect(byName.get('pool')!.role).toBe('share');
    expect(byName.get('flatten')!.role).toBe('share');
    expect(byName.get('gap')!.role).toBe('unary');
    expect(byName.get('fc')!.outputQuantized).toBe(false); // QGemm with a float output
    // Shared parameters: the MaxPool output uses the Add's (folded Relu's) range.
    expect(plan.root.get('pool.out')).toBe('block1.relu.out');
    expect(plan.root.get('flatten.out')).toBe('gap.out');
    const roots = calibrationTensors(plan);
    expect(roots).not.toContain('pool.out');
    expect(roots).toContain('input');
    expect(plan.tensors.has('logits')).toBe(false);
  });

  it('drops what depends on a tensor without statistics', async () => {
    const graph = await convGraph();
    const plan = planQdq(graph, options(graph, { banned: new Set(['block1.relu.out']) }));
    const names = plan.nodes.map((p) => p.node.name);
    expect(names).not.toContain('block1.add');
    expect(names).not.toContain('pool'); // its input would have had the banned range
    expect(names).toContain('sep.pw');
    expect(calibrationTensors(plan)).not.toContain('block1.relu.out');
    expect(plan.skipped.map((s) => s.name)).toEqual(expect.arrayContaining(['block1.add']));
    for (const t of plan.tensors) expect(plan.root.get(t) ?? t).not.toBe('block1.relu.out');
  });

  it('reports why nodes stay float', async () => {
    const graph = await convGraph();
    const plan = planQdq(graph, options(graph, { excludeNodes: new Set(['stem.conv']) }));
    expect(plan.skipped).toEqual([
      { name: 'stem.conv', opType: 'Conv', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
    ]);
    const old = planQdq(graph, options(graph, { qlinearOps: false }));
    expect(old.skipped.filter((s) => s.opType === 'Conv')).toHaveLength(5);
    expect(old.skipped[0]!.reason).toMatch(/need opset 10/);
    const floatTypes = inferElementTypes(graph);
    expect(floatTypes.get('gap.out')).toBe(DT.FLOAT);
    expect(originalNodeName('fc2_matmul/MatMulAddFusion')).toBe('fc2_matmul');
    expect(originalNodeName('/layer1/conv/Conv')).toBe('/layer1/conv/Conv');
  });
});
