import { describe, expect, it } from 'vitest';
import type { Variant } from '../state/variants.js';
import { quantizedAncestor } from './quantized-source.js';

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

describe('quantizedAncestor', () => {
  it('finds the quantize step a variant was made with or comes from, and none for a pruned one', () => {
    const pruned = variant('p', 'prune');
    const int8 = variant('q', 'quantize', 'p');
    const prunedAgain = variant('pq', 'prune', 'q');
    const all = [pruned, int8, prunedAgain];
    expect(quantizedAncestor(pruned, all)).toBeUndefined();
    expect(quantizedAncestor(int8, all)?.id).toBe('q');
    expect(quantizedAncestor(prunedAgain, all)?.id).toBe('q');
    // fp16 writes no quantization op: the engine quantizes a float16 model further.
    const half = {
      ...variant('h', 'quantize'),
      recipe: { operation: 'quantize', method: 'fp16', common: {}, options: {} },
    } as Variant;
    expect(quantizedAncestor(half, [half])).toBeUndefined();
  });
});
