import { describe, expect, it } from 'vitest';
import type { Variant } from '../state/variants.js';
import { buildMethodCatalog } from '../../../shared/options/method-catalog.js';
import { quantizedAncestor, quantizingMethods } from './quantized-source.js';

const variant = (id: string, operation: 'quantize' | 'prune', parent = 'original'): Variant =>
  ({
    id,
    label: id,
    path: `/m/${id}.onnx`,
    isOriginal: false,
    parent,
    recipe: {
      operation,
      method: operation === 'quantize' ? 'int8-static' : 'magnitude',
      common: {},
      options: {},
    },
    latency: {},
  }) as Variant;

// The catalog the host serves: which methods write quantization ops is declared with each method.
const quantizing = quantizingMethods(buildMethodCatalog().quantize.methods);

describe('quantizedAncestor', () => {
  it('takes from the catalog every int8 and int4 method, and not fp16 or a pruner', () => {
    expect([...quantizing].sort()).toEqual(['int4', 'int8-dynamic', 'int8-static', 'int8-weight']);
  });

  it('finds the quantize step a variant was made with or comes from, and none for a pruned one', () => {
    const pruned = variant('p', 'prune');
    const int8 = variant('q', 'quantize', 'p');
    const prunedAgain = variant('pq', 'prune', 'q');
    const all = [pruned, int8, prunedAgain];
    expect(quantizedAncestor(pruned, all, quantizing)).toBeUndefined();
    expect(quantizedAncestor(int8, all, quantizing)?.id).toBe('q');
    expect(quantizedAncestor(prunedAgain, all, quantizing)?.id).toBe('q');
    // fp16 writes no quantization op: the engine quantizes a float16 model further.
    const half = {
      ...variant('h', 'quantize'),
      recipe: { operation: 'quantize', method: 'fp16', common: {}, options: {} },
    } as Variant;
    expect(quantizedAncestor(half, [half], quantizing)).toBeUndefined();
  });
});
