import { TensorProto_DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeFloatTensor, makeRawTensor } from '../onnx/graph-build.js';
import { decodeTensor, decodeToFloat32 } from '../onnx/tensor-codec.js';
import { keptLength, keptPositions, resolveLayout, scaleLayout } from './channel-layout.js';
import { selectChannels, topChannels } from './channel-selection.js';
import { kthSmallest, markSmallest } from './select-smallest.js';
import { axisNorms, sliceTensorAxis } from './tensor-slice.js';

describe('selecting the smallest weights', () => {
  it('finds the k-th smallest in any order, NaN last', () => {
    const values = [5, -1, 3, 3, 0, 9, 2, NaN];
    for (let k = 0; k < values.length; k++) {
      const sorted = values.map((v) => (Number.isNaN(v) ? Infinity : v)).sort((a, b) => a - b);
      expect(kthSmallest(Float32Array.from(values), k)).toBe(sorted[k]);
    }
  });

  it('marks exactly k values, ties taken in index order', () => {
    const mags = Float32Array.from([1, 0.5, 0.5, 0.5, 2, 0.5]);
    expect(Array.from(markSmallest(mags, 2))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(Array.from(markSmallest(mags, 5))).toEqual([1, 1, 1, 1, 0, 1]);
    expect(Array.from(markSmallest(mags, 0))).toEqual([0, 0, 0, 0, 0, 0]);
    const many = Float32Array.from({ length: 10_001 }, (_, i) => (i * 7919) % 101);
    for (const k of [1, 500, 5000, 10_000]) expect(markSmallest(many, k).reduce((n, x) => n + x, 0)).toBe(k);
  });
});

describe('slicing tensors along an axis', () => {
  it('keeps positions of any axis, for any fixed-width type', () => {
    const t = makeFloatTensor(
      'w',
      [2, 3, 2],
      Array.from({ length: 12 }, (_, i) => i),
    );
    const a1 = sliceTensorAxis(t, 1, [0, 2]);
    expect(a1.dims.map(Number)).toEqual([2, 2, 2]);
    expect(Array.from(decodeToFloat32(a1))).toEqual([0, 1, 4, 5, 6, 7, 10, 11]);
    const a0 = sliceTensorAxis(t, 0, [1]);
    expect(Array.from(decodeToFloat32(a0))).toEqual([6, 7, 8, 9, 10, 11]);
    const half = makeRawTensor(
      'h',
      TensorProto_DataType.FLOAT16,
      [4],
      Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
    );
    expect(Array.from(decodeTensor(sliceTensorAxis(half, 0, [1, 3])).values as Uint16Array)).toEqual([
      0x0403, 0x0807,
    ]);
  });

  it('measures per-channel norms', () => {
    const values = Float32Array.from([3, 4, 0, 0, -1, 1]);
    expect(Array.from(axisNorms(values, [3, 2], 0, 2))).toEqual([5, 0, Math.SQRT2]);
    expect(Array.from(axisNorms(values, [3, 2], 1, 1))).toEqual([4, 5]);
  });
});

describe('channel layouts', () => {
  it('maps kept channels to kept positions through concat, inner sizes and factors', () => {
    const layout = {
      segments: [
        { space: 0, count: 3, inner: 2 },
        { space: 1, count: 2, inner: 1 },
      ],
      factor: null,
    };
    const resolved = resolveLayout(layout, 16)!;
    expect(resolved.factor).toBe(2);
    expect(resolveLayout(layout, 15)).toBeUndefined();
    expect(resolveLayout(scaleLayout(resolved, 3), 16)).toBeUndefined();
    const kept = (space: number) => (space === 0 ? Int32Array.of(1) : undefined);
    expect(keptPositions(resolved, kept)).toEqual({ positions: [4, 5, 6, 7, 12, 13, 14, 15], changed: true });
    expect(keptLength(resolved, kept)).toBe(8);
    expect(keptPositions(resolved, () => undefined).changed).toBe(false);
  });
});

describe('channel selection', () => {
  it('keeps the most important channels in order, rounding kept counts up', () => {
    expect(Array.from(topChannels(Float64Array.from([0.1, 3, 2, 0.5, 2]), 3))).toEqual([1, 2, 4]);
    const groups = [
      { root: 0, channels: 8, importance: Float64Array.from([8, 7, 6, 5, 4, 3, 2, 1]) },
      { root: 1, channels: 4, importance: Float64Array.from([1, 1, 1, 1]) },
    ];
    const layer = selectChannels(groups, {
      sparsity: 0.5,
      scope: 'layer',
      criterion: 'l2',
      batchNormAware: true,
      roundTo: 1,
      maxLayerSparsity: 0.9,
    });
    expect(Array.from(layer.get(0)!)).toEqual([0, 1, 2, 3]);
    expect(Array.from(layer.get(1)!)).toEqual([0, 1]);
    // 60% of 8 leaves 3, rounded up to 4; 60% of 4 leaves 2, rounded up to 4 (nothing removed).
    const rounded = selectChannels(groups, {
      sparsity: 0.6,
      scope: 'layer',
      criterion: 'l2',
      batchNormAware: true,
      roundTo: 4,
      maxLayerSparsity: 0.9,
    });
    expect(Array.from(rounded.get(0)!)).toEqual([0, 1, 2, 3]);
    expect(rounded.has(1)).toBe(false);
    // Global: group 0's weak tail goes first; nobody loses more than maxLayerSparsity.
    const global = selectChannels(groups, {
      sparsity: 0.25,
      scope: 'global',
      criterion: 'l2',
      batchNormAware: true,
      roundTo: 1,
      maxLayerSparsity: 0.5,
    });
    expect(Array.from(global.get(0)!)).toEqual([0, 1, 2, 3, 4]);
    expect(global.has(1)).toBe(false);
  });
});
