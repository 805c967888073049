import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from './graph-build.js';
import { inferElementTypes } from './element-types.js';

describe('inferElementTypes', () => {
  it('types values from declarations and op rules, leaving the untypeable out', () => {
    const graph = create(GraphProtoSchema, {
      input: [makeValueInfo('x', DT.FLOAT, [2, 3]), makeValueInfo('mask', DT.BOOL, [2, 3])],
      initializer: [makeFloatTensor('w', [3, 3], new Float32Array(9)), makeInt64Tensor('shape', [1], [6])],
      valueInfo: [makeValueInfo('declared', DT.DOUBLE)],
      node: [
        makeNode('MatMul', ['x', 'w'], ['mm']),
        makeNode('Shape', ['mm'], ['s']),
        makeNode('Concat', ['s', 'shape'], ['cat'], { attributes: { axis: { int: 0 } } }),
        makeNode('Reshape', ['mm', 'cat'], ['flat']),
        makeNode('Cast', ['flat'], ['half'], { attributes: { to: { int: DT.FLOAT16 } } }),
        makeNode('Equal', ['x', 'mm'], ['eq']),
        makeNode('Where', ['mask', 'x', 'mm'], ['sel']),
        makeNode('TopK', ['x', 'shape'], ['vals', 'idx']),
        makeNode('Constant', [], ['c'], { attributes: { value_int: { int: 3 } } }),
        makeNode('Identity', ['declared_source'], ['declared']),
        makeNode('Relu', ['unknown'], ['r']),
      ],
    });
    const types = inferElementTypes(graph);
    expect(types.get('mm')).toBe(DT.FLOAT);
    expect(types.get('s')).toBe(DT.INT64);
    expect(types.get('cat')).toBe(DT.INT64);
    expect(types.get('flat')).toBe(DT.FLOAT);
    expect(types.get('half')).toBe(DT.FLOAT16);
    expect(types.get('eq')).toBe(DT.BOOL);
    expect(types.get('sel')).toBe(DT.FLOAT);
    expect([types.get('vals'), types.get('idx')]).toEqual([DT.FLOAT, DT.INT64]);
    expect(types.get('c')).toBe(DT.INT64);
    expect(types.get('declared')).toBe(DT.DOUBLE);
    expect(types.has('r')).toBe(false);
  });

  // Where the two former copies (quantize/static, quantize/weight-only) disagreed, the safer rule is kept.

  it('lets an initializer win over a value_info that contradicts it (the data is what it is)', () => {
    const graph = create(GraphProtoSchema, {
      initializer: [makeFloatTensor('w', [1], [1])],
      valueInfo: [makeValueInfo('w', DT.FLOAT16, [1])],
    });
    expect(inferElementTypes(graph).get('w')).toBe(DT.FLOAT);
  });

  it("types a Constant node's output from its value, not from a contradicting value_info", () => {
    const graph = create(GraphProtoSchema, {
      valueInfo: [makeValueInfo('c', DT.FLOAT16)],
      node: [makeNode('Constant', [], ['c'], { attributes: { value_float: { float: 1 } } })],
    });
    expect(inferElementTypes(graph).get('c')).toBe(DT.FLOAT);
  });

  it("types com.microsoft quantization ops like the default domain's", () => {
    const graph = create(GraphProtoSchema, {
      initializer: [makeInt64Tensor('q', [1], [1]), makeFloatTensor('scale', [1], [0.1])],
      node: [makeNode('DequantizeLinear', ['q', 'scale'], ['dq'], { domain: 'com.microsoft' })],
    });
    expect(inferElementTypes(graph).get('dq')).toBe(DT.FLOAT);
  });

  it('leaves unknown what it cannot know: a DequantizeLinear with an untyped scale, extra outputs of custom ops', () => {
    const graph = create(GraphProtoSchema, {
      input: [makeValueInfo('x', DT.FLOAT, [2])],
      node: [
        makeNode('DequantizeLinear', ['x', 'scale_from_nowhere'], ['dq']),
        makeNode('MyOp', ['x'], ['a', 'b'], { domain: 'example.custom' }),
      ],
    });
    const types = inferElementTypes(graph);
    expect(types.has('dq')).toBe(false);
    expect(types.get('a')).toBe(DT.FLOAT);
    expect(types.has('b')).toBe(false);
  });

  it("types LayerNormalization's statistics with stash_type and Loop outputs from the body", () => {
    const body = create(GraphProtoSchema, {
      input: [makeValueInfo('i', DT.INT64, []), makeValueInfo('cond_in', DT.BOOL, [])],
      output: [makeValueInfo('cond_out', DT.BOOL, []), makeValueInfo('acc', DT.DOUBLE, [])],
    });
    const graph = create(GraphProtoSchema, {
      input: [makeValueInfo('x', DT.FLOAT16, [2, 4]), makeValueInfo('n', DT.INT64, [])],
      node: [
        makeNode('LayerNormalization', ['x', 'gamma'], ['y', 'mean', 'inv_std']),
        makeNode('Loop', ['n', ''], ['out'], { attributes: { body: { graph: body } } }),
      ],
    });
    const types = inferElementTypes(graph);
    expect([types.get('y'), types.get('mean'), types.get('inv_std')]).toEqual([
      DT.FLOAT16,
      DT.FLOAT,
      DT.FLOAT,
    ]);
    expect(types.get('out')).toBe(DT.DOUBLE);
  });

  it('walks a cyclic graph in stored order instead of throwing', () => {
    const graph = create(GraphProtoSchema, {
      input: [makeValueInfo('x', DT.FLOAT, [2])],
      node: [makeNode('Add', ['x', 'b'], ['a']), makeNode('Relu', ['a'], ['b'])],
    });
    const types = inferElementTypes(graph);
    expect([types.get('a'), types.get('b')]).toEqual([DT.FLOAT, DT.FLOAT]);
  });
});
