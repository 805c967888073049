import { describe, expect, it } from 'vitest';
import { randomFloats } from '../../testing/model-fixtures.js';
import { quantizeWeight } from '../quant-params.js';
import { dequantizeColumns, quantizeColumns } from './column-quant.js';

const defaults = { perChannel: true, symmetric: true, reduceRange: false };

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

describe('quantizeColumns', () => {
  const [K, N] = [24, 10];
  // Columns with very different magnitudes, as real weights have.
  const values = randomFloats(K * N, 1, 1).map((v, i) => v * (0.01 + (i % N)));

  it('gives every column its own symmetric scale (max |w| / 127) and zero point 0', () => {
    const q = quantizeColumns(values, K, N, defaults);
    expect(q.scales).toHaveLength(N);
    expect(q.zeroPoints.every((z) => z === 0)).toBe(true);
    for (let n = 0; n < N; n++) {
      let absMax = 0;
      for (let k = 0; k < K; k++) absMax = Math.max(absMax, Math.abs(values[k * N + n]!));
      expect(q.scales[n]).toBeCloseTo(absMax / 127, 6);
    }
    expect(Math.max(...q.data)).toBeLessThanOrEqual(127);
    expect(Math.min(...q.data)).toBeGreaterThanOrEqual(-127);
    const back = dequantizeColumns(q);
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(q.scales[i % N]! / 2 + 1e-7);
    }
  });

  it('agrees with the shared per-channel quantizer', () => {
    const q = quantizeColumns(values, K, N, defaults);
    const shared = quantizeWeight(values, [K, N], { type: 'int8', symmetric: true, axis: 1 });
    expect(Array.from(q.scales)).toEqual(Array.from(shared.scales));
    let differ = 0;
    for (let i = 0; i < q.data.length; i++) {
      expect(Math.abs(q.data[i]! - shared.data[i]!)).toBeLessThanOrEqual(1);
      if (q.data[i] !== shared.data[i]) differ++;
    }
    expect(differ).toBeLessThanOrEqual(1);
  });

  it('quantizes a transposed [N, K] source into [K, N]', () => {
    const direct = quantizeColumns(values, K, N, defaults);
    const viaTranspose = quantizeColumns(transpose(values, K, N), K, N, { ...defaults, transposed: true });
    expect(viaTranspose.data).toEqual(direct.data);
    expect(viaTranspose.scales).toEqual(direct.scales);
  });

  it('per tensor: one scale for the whole matrix', () => {
    const q = quantizeColumns(values, K, N, { ...defaults, perChannel: false });
    expect(q.scales).toHaveLength(1);
    const absMax = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(q.scales[0]).toBeCloseTo(absMax / 127, 6);
    const t = quantizeColumns(transpose(values, K, N), K, N, {
      ...defaults,
      perChannel: false,
      transposed: true,
    });
    expect(t.data).toEqual(q.data);
  });

  it('asymmetric: zero points per column, full [-128, 127] range, error within half a step', () => {
    const shifted = values.map((v, i) => v + (i % N) * 0.5); // mostly positive columns
    const q = quantizeColumns(shifted, K, N, { ...defaults, symmetric: false });
    expect(q.zeroPoints.some((z) => z !== 0)).toBe(true);
    expect(Math.min(...q.data)).toBe(-128);
    const back = dequantizeColumns(q);
    for (let i = 0; i < shifted.length; i++) {
      expect(Math.abs(back[i]! - shifted[i]!)).toBeLessThanOrEqual(q.scales[i % N]! / 2 + 1e-6);
    }
  });

  it('reduce range keeps weights in [-64, 64]', () => {
    const q = quantizeColumns(values, K, N, { ...defaults, reduceRange: true });
    expect(Math.max(...q.data)).toBe(64);
    expect(Math.min(...q.data)).toBeGreaterThanOrEqual(-64);
  });

  it('folds a multiplier into the scales only', () => {
    const plain = quantizeColumns(values, K, N, defaults);
    const scaled = quantizeColumns(values, K, N, { ...defaults, multiplier: -0.5 });
    expect(scaled.data).toEqual(plain.data);
    for (let n = 0; n < N; n++) expect(scaled.scales[n]).toBeCloseTo(-0.5 * plain.scales[n]!, 7);
  });

  it('handles all-zero columns and rounds half to even', () => {
    // Column 1: max 63.5 -> scale 0.5 exactly; 1.25 / 0.5 = 2.5 -> 2, 0.75 / 0.5 = 1.5 -> 2, -0.5 -> 0.
    const m = Float32Array.from([0, 63.5, 0, 1.25, 0, 0.75, 0, -0.25]); // [4, 2]
    const q = quantizeColumns(m, 4, 2, defaults);
    expect(Array.from(q.scales)).toEqual([1, 0.5]);
    expect(Array.from(q.data)).toEqual([0, 127, 0, 2, 0, 2, 0, 0]);
  });
});
