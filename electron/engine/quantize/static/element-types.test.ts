import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
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
});
