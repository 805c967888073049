/**
 * The precision overlay's "fused or removed" nodes: a colour no precision is mistaken for (a user test read fused
 * Relus as float32 Adds when both were pale greys), and a count in the legend like every other entry.
 */
import { describe, expect, it } from 'vitest';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import { colorDistance, MIN_SERIES_DISTANCE } from '../../../shared/chart-colors.js';
import { PRECISION_COLORS, PRECISION_GONE_COLOR, precisionOverlay } from './overlays.js';

const diff = {
  nodes: {
    byChange: { kept: 1, replaced: 1, fused: 2, removed: 1 },
    byPrecision: { float32: 1, float16: 0, int8: 1, int4: 0, other: 0 },
    list: [
      { name: 'fc', opType: 'MatMul', change: 'replaced', variantOpType: 'MatMulInteger', precision: 'int8' },
      { name: 'add', opType: 'Add', change: 'kept', variantOpType: 'Add', precision: 'float32' },
      { name: 'relu', opType: 'Relu', change: 'fused', fusedInto: 'fc' },
      { name: 'relu2', opType: 'Relu', change: 'fused', fusedInto: 'fc' },
      { name: 'drop', opType: 'Identity', change: 'removed' },
    ],
  },
  skippedNodes: [],
} as unknown as VariantDiff;

describe('the precision overlay of fused and removed nodes', () => {
  it('colours them apart from every precision', () => {
    for (const [precision, color] of Object.entries(PRECISION_COLORS)) {
      expect(colorDistance(PRECISION_GONE_COLOR, color), precision).toBeGreaterThanOrEqual(
        MIN_SERIES_DISTANCE,
      );
    }
    const o = precisionOverlay(diff);
    expect(o.marks.get('2')).toEqual({ color: PRECISION_GONE_COLOR, text: 'fused into fc' });
    expect(o.marks.get('4')).toEqual({ color: PRECISION_GONE_COLOR, text: 'removed' });
    expect(o.marks.get('1')?.color).toBe(PRECISION_COLORS.float32);
  });

  it('counts them in the legend, as the other entries are counted', () => {
    expect(precisionOverlay(diff).legend.at(-1)).toEqual({
      color: PRECISION_GONE_COLOR,
      text: 'fused or removed (3)',
    });
  });
});
