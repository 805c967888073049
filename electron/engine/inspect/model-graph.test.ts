import { describe, expect, it } from 'vitest';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { littleEndianBytes, makeAttribute, makeRawTensor } from '../onnx/graph-build.js';
import { float32ArrayToBfloat16, float32ArrayToFloat16 } from '../onnx/float16.js';
import { buildCnn, buildIfModel } from '../testing/model-fixtures.js';
import { attributeText, modelGraphOf, weightStats } from './model-graph.js';
import type { LoadedModel } from '../onnx/load-model.js';
import { GraphProtoSchema, type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { create } from '@bufbuild/protobuf';

const loaded = (proto: ModelProto): LoadedModel => ({
  proto,
  path: '/m.onnx',
  dir: '/',
  fileBytes: 0,
  externalDataBytes: 0,
});

describe('modelGraphOf', () => {
  it('nests If bodies under their node and counts nodes with and without subgraphs', () => {
    const g = modelGraphOf(loaded(buildIfModel()));
    expect(g.mainNodes).toBe(3);
    expect(g.totalNodes).toBe(5);
    const branch = g.graph.nodes[1]!;
    expect(branch).toMatchObject({
      id: '1',
      opType: 'If',
      name: 'branch',
      inputs: ['cond'],
      outputs: ['if.out'],
    });
    expect(branch.subgraphs!.map((s) => s.attribute)).toEqual(['then_branch', 'else_branch']);
    expect(branch.subgraphs![0]!.graph.nodes[0]).toMatchObject({
      id: '1/then_branch/0',
      opType: 'MatMul',
      inputs: ['hidden', 'shared.weight'],
    });
    expect(branch.attributes).toEqual([
      { name: 'then_branch', value: 'graph (1 node)' },
      { name: 'else_branch', value: 'graph (1 node)' },
    ]);
    expect(g.graph.inputs).toEqual(['input', 'cond']);
    expect(g.graph.values.input).toEqual({ dtype: 'float32', shape: ['batch', 4] });
    expect(g.graph.values.cond).toEqual({ dtype: 'bool', shape: [] });
  });

  it('tells a value declared without a shape (unknown rank) from a scalar, whose shape is [] too', () => {
    const model = buildIfModel();
    // A branch output typed but shapeless, as exporters often leave them (if_model.onnx's `yt`).
    const thenOut = model.graph!.node[1]!.attribute.find((a) => a.name === 'then_branch')!.g!.output[0]!;
    if (thenOut.type?.value.case === 'tensorType') delete thenOut.type.value.value.shape;
    const g = modelGraphOf(loaded(model));
    expect(g.graph.nodes[1]!.subgraphs![0]!.graph.values['then.out']).toEqual({
      dtype: 'float32',
      shape: [],
      rankUnknown: true,
    });
    expect(g.graph.values.cond).not.toHaveProperty('rankUnknown');
  });

  it('gives every weight its shape, bytes and the statistics of its values', () => {
    const proto = buildCnn();
    const g = modelGraphOf(loaded(proto));
    for (const t of proto.graph!.initializer) {
      const values = decodeToFloat32(t);
      const stats = g.graph.weights[t.name]!;
      expect(stats.shape).toEqual(t.dims.map(Number));
      expect(stats.bytes).toBe(values.length * 4);
      expect(stats.min).toBeCloseTo(Math.min(...values), 6);
      expect(stats.max).toBeCloseTo(Math.max(...values), 6);
      expect(stats.mean).toBeCloseTo(values.reduce((s, v) => s + v, 0) / values.length, 5);
      expect(stats.sparsity).toBe(values.filter((v) => v === 0).length / values.length);
    }
    const conv = g.graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.attributes.length).toBeGreaterThan(0);
  });

  it('reads float16 and bfloat16 weights as the floats they hold, not their bit patterns', () => {
    const values = new Float32Array([-0.33, 0, 0.25, 0.32, -1.5, 0]);
    const f16 = makeRawTensor('w16', DT.FLOAT16, [2, 3], littleEndianBytes(float32ArrayToFloat16(values)));
    const bf16 = makeRawTensor('wbf', DT.BFLOAT16, [6], littleEndianBytes(float32ArrayToBfloat16(values)));
    for (const t of [f16, bf16]) {
      const exact = decodeToFloat32(t);
      const stats = weightStats(t);
      expect(stats).toMatchObject({ dtype: t === f16 ? 'float16' : 'bfloat16', bytes: 12, sparsity: 2 / 6 });
      expect(stats.min).toBe(Math.min(...exact));
      expect(stats.max).toBe(Math.max(...exact));
      expect(stats.min).toBeCloseTo(-1.5, 2);
      expect(stats.max).toBeCloseTo(0.32, 2);
      expect(stats.mean).toBeCloseTo((-0.33 + 0.25 + 0.32 - 1.5) / 6, 2);
    }
  });

  it('refuses a graph over the limit with a clear message, and stops reading weights past its budget', () => {
    expect(() => modelGraphOf(loaded(buildIfModel()), 4)).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('has 5 nodes; the Graph view shows models of up to 4'),
      }),
    );
    const [first, second] = buildCnn().graph!.initializer;
    const budget = { left: Number(first!.dims.reduce((a, b) => a * b, 1n)) };
    expect(weightStats(first!, budget).min).toBeDefined();
    expect(weightStats(second!, budget)).toMatchObject({ note: expect.stringContaining('too many weights') });
  });

  it('renders attributes briefly, cutting long lists', () => {
    expect(attributeText(makeAttribute('pads', { ints: [1, 1, 1, 1] }))).toBe('[1, 1, 1, 1]');
    expect(attributeText(makeAttribute('axis', { int: -1 }))).toBe('-1');
    expect(attributeText(makeAttribute('mode', { string: 'NOTSET' }))).toBe('"NOTSET"');
    expect(attributeText(makeAttribute('big', { ints: Array.from({ length: 20 }, (_, i) => i) }))).toBe(
      '[0, 1, 2, 3, 4, 5, 6, 7, … 20 in all]',
    );
    // A body of one node is "1 node" (it read "graph (1 nodes)").
    const body = buildIfModel().graph!;
    const one = create(GraphProtoSchema, { node: body.node.slice(0, 1) });
    expect(attributeText(makeAttribute('body', { graph: one }))).toBe('graph (1 node)');
    expect(attributeText(makeAttribute('bodies', { graphs: [one, body] }))).toMatch(
      /^\[graph \(1 node\), graph \(\d+ nodes\)\]$/,
    );
  });
});
