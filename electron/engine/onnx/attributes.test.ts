import { create } from '@bufbuild/protobuf';
import { AttributeProtoSchema, GraphProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import {
  attributeOf,
  floatAttribute,
  graphAttribute,
  intAttribute,
  intsAttribute,
  removeAttributes,
  setIntAttribute,
  stringAttribute,
} from './attributes.js';
import { makeNode } from './graph-build.js';

describe('attribute readers', () => {
  const node = makeNode('Gemm', ['a', 'b'], ['y'], {
    attributes: {
      transB: { int: 1 },
      alpha: { float: 0.5 },
      perm: { ints: [1, 0] },
      mode: { string: 'linear' },
    },
  });

  it('read typed values, or the fallback when absent', () => {
    expect(intAttribute(node, 'transB', 0)).toBe(1);
    expect(intAttribute(node, 'transA', 0)).toBe(0);
    expect(intAttribute(node, 'transA')).toBeUndefined();
    expect(floatAttribute(node, 'alpha', 1)).toBe(0.5);
    expect(floatAttribute(node, 'beta', 1)).toBe(1);
    expect(intsAttribute(node, 'perm')).toEqual([1, 0]);
    expect(intsAttribute(node, 'axes')).toBeUndefined();
    expect(stringAttribute(node, 'mode', 'nearest')).toBe('linear');
    expect(stringAttribute(node, 'other', 'nearest')).toBe('nearest');
    expect(attributeOf(node, 'alpha')?.f).toBe(0.5);
  });

  // The quantizers' copies read `a.i` / `a.f` whatever the type, so an INT alpha read as 0; the
  // pruner's copy checked the type. The shared readers check it: a mistyped attribute is absent.
  it('treat an attribute of another type as absent instead of reading the wrong field', () => {
    const wrong = makeNode('Gemm', ['a', 'b'], ['y'], {
      attributes: { alpha: { int: 2 }, transB: { float: 1 }, perm: { int: 3 } },
    });
    expect(floatAttribute(wrong, 'alpha', 1)).toBe(1);
    expect(intAttribute(wrong, 'transB', 0)).toBe(0);
    expect(intAttribute(wrong, 'transB')).toBeUndefined();
    expect(intsAttribute(wrong, 'perm')).toBeUndefined();
  });

  it('read an attribute without a type (IR version 1) from the field asked for', () => {
    const old = makeNode('Cast', ['x'], ['y']);
    old.attribute.push(create(AttributeProtoSchema, { name: 'to', i: 10n }));
    expect(intAttribute(old, 'to', 0)).toBe(10);
  });

  it('read graph attributes', () => {
    const body = create(GraphProtoSchema, { name: 'body' });
    const loop = makeNode('Loop', ['n', 'c'], ['y'], { attributes: { body: { graph: body } } });
    expect(graphAttribute(loop, 'body')).toBe(body);
    expect(graphAttribute(loop, 'then_branch')).toBeUndefined();
  });
});

describe('attribute writers', () => {
  it('set an INT attribute in place or append it, and remove by name', () => {
    const node = makeNode('Conv', ['x', 'w'], ['y'], {
      attributes: { group: { int: 4 }, kernel_shape: { ints: [3, 3] } },
    });
    setIntAttribute(node, 'group', 2);
    setIntAttribute(node, 'axis', -1);
    expect(node.attribute.map((a) => a.name)).toEqual(['group', 'kernel_shape', 'axis']);
    expect(intAttribute(node, 'group', 1)).toBe(2);
    removeAttributes(node, ['kernel_shape', 'axis']);
    expect(node.attribute.map((a) => a.name)).toEqual(['group']);
  });
});
