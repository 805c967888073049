import { describe, expect, it } from 'vitest';
import { makeNode } from './graph-build.js';
import { nodeLabel } from './node-label.js';

describe('nodeLabel', () => {
  it('uses the name, else the op type and first non-empty output, else the op type', () => {
    expect(nodeLabel(makeNode('MatMul', ['a', 'b'], ['y'], { name: 'fc1' }))).toBe('fc1');
    expect(nodeLabel(makeNode('MatMul', ['a', 'b'], ['y']))).toBe('MatMul(y)');
    // The weight-only methods' copy printed 'Dropout()' here.
    expect(nodeLabel(makeNode('Dropout', ['x'], ['', 'mask']))).toBe('Dropout(mask)');
    expect(nodeLabel(makeNode('Relu', ['x'], []))).toBe('Relu');
  });
});
