/**
 * Which data movement onnxruntime's QDQ propagation puts between a DequantizeLinear and a QuantizeLinear (and so
 * runs on 8-bit data). The case onnxruntime itself was seen running (a MaxPool after a float Conv, before a
 * QuantizeLinear, on uint8) is checked against its profile in electron/engine/diff/upcast.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { qPropagatedNodes } from './qdq-propagation.js';

interface N {
  opType: string;
  inputs: string[];
  outputs: string[];
}
const n = (opType: string, inputs: string[], outputs: string[]): N => ({ opType, inputs, outputs });

/** The op types of the nodes moved, in graph order. */
function moved(nodes: N[], outputs: string[] = ['y']): string[] {
  const set = qPropagatedNodes(nodes, (x) => x, new Set(outputs));
  return nodes.filter((x) => set.has(x)).map((x) => x.opType);
}

describe('QDQ propagation (QuantizeLinear moved above data movement)', () => {
  it('moves it above a MaxPool, and on up a chain of such ops', () => {
    expect(
      moved([n('Relu', ['x'], ['r']), n('MaxPool', ['r'], ['p']), n('QuantizeLinear', ['p', 's'], ['y'])]),
    ).toEqual(['MaxPool']);
    expect(
      moved([
        n('Conv', ['x', 'w'], ['c']),
        n('Reshape', ['c', 'shape'], ['r']),
        n('Transpose', ['r'], ['t']),
        n('QuantizeLinear', ['t', 's'], ['y']),
      ]),
    ).toEqual(['Reshape', 'Transpose']);
    // From a graph input too.
    expect(moved([n('Squeeze', ['x'], ['q']), n('QuantizeLinear', ['q', 's'], ['y'])])).toEqual(['Squeeze']);
  });

  it('stops at a DequantizeLinear: the op after it is in a QDQ unit already', () => {
    expect(
      moved([
        n('DequantizeLinear', ['xq', 's'], ['d']),
        n('Reshape', ['d', 'shape'], ['r']),
        n('Transpose', ['r'], ['t']),
        n('QuantizeLinear', ['t', 's'], ['y']),
      ]),
    ).toEqual(['Reshape', 'Transpose']);
  });

  it('moves nothing along an edge that is not single: two readers, or a graph output', () => {
    const twoReadersOut = [
      n('Relu', ['x'], ['r']),
      n('MaxPool', ['r'], ['p']),
      n('QuantizeLinear', ['p', 's'], ['y']),
      n('Identity', ['p'], ['z']),
    ];
    expect(moved(twoReadersOut, ['y', 'z'])).toEqual([]);
    const twoReadersIn = [
      n('Relu', ['x'], ['r']),
      n('MaxPool', ['r'], ['p']),
      n('QuantizeLinear', ['p', 's'], ['y']),
      n('Identity', ['r'], ['z']),
    ];
    expect(moved(twoReadersIn, ['y', 'z'])).toEqual([]);
    expect(
      moved(
        [n('Relu', ['x'], ['r']), n('MaxPool', ['r'], ['p']), n('QuantizeLinear', ['p', 's'], ['y'])],
        ['y', 'p'],
      ),
    ).toEqual([]);
  });

  it('moves it above no other op (a Relu, a ReduceMean stay float before their QuantizeLinear)', () => {
    expect(moved([n('ReduceMean', ['x'], ['m']), n('QuantizeLinear', ['m', 's'], ['y'])])).toEqual([]);
  });
});
