import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { float32ArrayToFloat16 } from './float16.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from './graph-build.js';
import { GraphIndex } from './graph.js';
import { encodeTensor } from './tensor-codec.js';
import { resolveFloatConstant } from './resolve-constant.js';

function graph() {
  return create(GraphProtoSchema, {
    name: 'g',
    input: [makeValueInfo('x', DT.FLOAT, [2]), makeValueInfo('overridable', DT.FLOAT, [2])],
    initializer: [
      makeFloatTensor('w', [2, 2], [1, 2, 3, 4]),
      makeFloatTensor('overridable', [2], [1, 2]),
      encodeTensor('w16', DT.FLOAT16, [2], float32ArrayToFloat16(Float32Array.of(0.5, -2))),
      makeInt64Tensor('ids', [2], [1, 2]),
    ],
    node: [
      makeNode('Constant', [], ['c'], { name: 'c', attributes: { value_floats: { floats: [7, 8] } } }),
      makeNode('Cast', ['w16'], ['w16_float'], { name: 'cast', attributes: { to: { int: DT.FLOAT } } }),
      makeNode('Relu', ['x'], ['y'], { name: 'relu' }),
    ],
  });
}

describe('resolveFloatConstant', () => {
  const index = new GraphIndex(graph());

  it('finds initializers and Constant nodes', () => {
    const w = resolveFloatConstant(index, 'w', false);
    expect(w.ok && w.constant.dims).toEqual([2, 2]);
    expect(w.ok && Array.from(w.constant.values)).toEqual([1, 2, 3, 4]);
    const c = resolveFloatConstant(index, 'c', false);
    expect(c.ok && c.constant.ref.kind).toBe('constant-node');
    expect(c.ok && Array.from(c.constant.values)).toEqual([7, 8]);
  });

  it('looks through a Cast of a half-precision constant', () => {
    const r = resolveFloatConstant(index, 'w16_float', false);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.constant.cast?.name).toBe('cast');
    expect(r.constant.storedType).toBe(DT.FLOAT16);
    expect(r.constant.computeType).toBe(DT.FLOAT);
    expect(r.constant.ref.name).toBe('w16');
    expect(Array.from(r.constant.values)).toEqual([0.5, -2]);
  });

  it('says why other values are not usable weights', () => {
    expect(resolveFloatConstant(index, 'y', false)).toEqual({
      ok: false,
      reason: "'y' is computed at run time, not a constant weight",
    });
    const o = resolveFloatConstant(index, 'overridable', false);
    expect(!o.ok && o.reason).toMatch(/graph input/);
    expect(resolveFloatConstant(index, 'overridable', true).ok).toBe(true);
    const ids = resolveFloatConstant(index, 'ids', false);
    expect(!ids.ok && ids.reason).toMatch(/int64, not a float type/);
  });
});

// The two former copies (quantize/static/qdq-plan.ts, quantize/dynamic/weights.ts) differed on these.
describe('resolveFloatConstant corner cases', () => {
  it('does not take the input of a Cast without `to` as a weight (dynamic took it as the stored type)', () => {
    const g = graph();
    g.node.push(makeNode('Cast', ['w'], ['cast_no_to'], { name: 'bad_cast' }));
    const r = resolveFloatConstant(new GraphIndex(g), 'cast_no_to', false);
    expect(r.ok).toBe(false);
  });

  it("looks in enclosing graphs unless told not to (int8-static stays in the node's graph)", () => {
    const outer = new GraphIndex(graph());
    const inner = new GraphIndex(create(GraphProtoSchema, { name: 'body' }), outer);
    expect(resolveFloatConstant(inner, 'w', false).ok).toBe(true);
    expect(resolveFloatConstant(inner, 'w', false, { searchOuterScopes: false }).ok).toBe(false);
  });

  it('finds a Cast in an enclosing graph only when asked (the weight-only methods), with its graph', () => {
    const g = graph();
    const outer = new GraphIndex(g);
    const inner = new GraphIndex(create(GraphProtoSchema, { name: 'body' }), outer);
    expect(resolveFloatConstant(inner, 'w16_float', false).ok).toBe(false);
    const r = resolveFloatConstant(inner, 'w16_float', false, { castInOuterScopes: true });
    expect(r.ok && r.constant.cast?.name).toBe('cast');
    expect(r.ok && r.constant.castGraph).toBe(g);
  });
});
