import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import { argmaxLast } from './generate-loop.js';

// A pass-through spy on the float16 decoder, to see how many values argmaxLast converts.
const converted = vi.hoisted(() => [] as number[]);
vi.mock('../onnx/float16.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../onnx/float16.js')>();
  return {
    ...real,
    float16ArrayToFloat32: (src: Uint16Array, out?: Float32Array) => {
      converted.push(src.length);
      return real.float16ArrayToFloat32(src, out);
    },
  };
});

describe('argmaxLast on float16 logits', () => {
  it('decodes only the last row of a long prefill', () => {
    const [L, V] = [64, 32000];
    const values = new Float32Array(L * V).map((_, i) => (i % 997) / 100);
    values[(L - 1) * V + 12345] = 50; // the last row's best
    values[3 * V + 7] = 60; // larger, but not in the last row
    const logits = new ort.Tensor('float16', float32ArrayToFloat16(values), [1, L, V]);
    converted.length = 0;
    expect(argmaxLast(logits)).toBe(12345);
    expect(converted).toEqual([V]);
  });

  it('takes the first of equal float16 scores in the last row', () => {
    const bits = float32ArrayToFloat16(new Float32Array([9, 9, 1, 2, 2, 0]));
    expect(argmaxLast(new ort.Tensor('float16', bits, [1, 2, 3]))).toBe(0);
  });
});
