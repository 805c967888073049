import { describe, expect, it } from 'vitest';
import { allFinite } from './quant-params.js';

describe('allFinite', () => {
  it('spots inf and NaN', () => {
    expect(allFinite(Float32Array.of(1, -2, 0))).toBe(true);
    expect(allFinite(Float32Array.of(1, Infinity))).toBe(false);
    expect(allFinite(Float32Array.of(NaN))).toBe(false);
  });
});
