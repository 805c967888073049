/**
 * Structured pruning on the Graph view: the diff's node rows of a pruned model all say 'kept'; the channels a
 * node lost come from the shapes of the weights it reads (a user test found "kept (17)" and the original's
 * [128, 64, 3, 3] on a Conv the 30% variant had cut to [96, 48, 3, 3]).
 */
import { describe, expect, it } from 'vitest';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff, WeightDiff } from '../../../shared/model-diff.js';
import type { GraphBody } from '../../../shared/model-graph.js';
import { node } from '../host/mock-graph.js';
import { colorDistance, MIN_SERIES_DISTANCE } from '../../../shared/chart-colors.js';
import { ADDED_COLOR, CHANGE_COLORS, PRUNED_COLOR, changeOverlay, variantChangeOverlay } from './overlays.js';
import { changedWeightsByName, prunedChannels, shrunk } from './pruned-channels.js';

const weight = (w: Partial<WeightDiff> & Pick<WeightDiff, 'name' | 'shape'>): WeightDiff => ({
  change: 'reshaped',
  dtype: 'float32',
  bytes: 4 * w.shape.reduce((a, b) => a * b, 1),
  variantDtype: 'float32',
  variantNames: [w.name],
  ...w,
});

// conv1 (W [128, 64, 3, 3], B [128]) -> bn -> relu -> fc (Gemm transB, W [10, 128]): 128 -> 96 channels.
const graph: GraphBody = {
  inputs: ['x'],
  outputs: ['y'],
  values: {},
  weights: {},
  nodes: [
    node('0', 'Conv', 'conv1', ['x', 'W1', 'B1'], ['c1']),
    node('1', 'BatchNormalization', 'bn', ['c1', 'g', 'b', 'm', 'v'], ['n1']),
    node('2', 'Relu', 'relu', ['n1'], ['r1']),
    node('3', 'Gemm', 'fc', ['r1', 'Wfc', 'Bfc'], ['y'], [{ name: 'transB', value: '1' }]),
  ],
};
const kept = (name: string, opType: string): NodeDiff => ({
  name,
  opType,
  change: 'kept',
  precision: 'float32',
});
const diff = {
  original: '/m.onnx',
  variant: '/m-pruned.onnx',
  nodes: {
    original: 4,
    variant: 4,
    originalWithSubgraphs: 4,
    variantWithSubgraphs: 4,
    byChange: { kept: 4, replaced: 0, fused: 0, removed: 0 },
    byPrecision: { float32: 4, float16: 0, int8: 0, int4: 0, other: 0 },
    added: { quantizeDequantize: 0, casts: 0, other: {} },
    list: [
      { ...kept('conv1', 'Conv'), variantIndex: 0 },
      { ...kept('bn', 'BatchNormalization'), variantIndex: 1 },
      { ...kept('relu', 'Relu'), variantIndex: 2 },
      { ...kept('fc', 'Gemm'), variantIndex: 3 },
    ],
  },
  weights: {
    bytesBefore: 0,
    bytesAfter: 0,
    byChange: {},
    addedCount: 0,
    addedBytes: 0,
    list: [
      weight({ name: 'W1', shape: [128, 64, 3, 3], variantShape: [96, 64, 3, 3] }),
      weight({ name: 'B1', shape: [128], variantShape: [96] }),
      ...['g', 'b', 'm', 'v'].map((name) => weight({ name, shape: [128], variantShape: [96] })),
      weight({ name: 'Wfc', shape: [10, 128], variantShape: [10, 96] }),
      weight({ name: 'Bfc', shape: [10], change: 'unchanged', variantShape: [10] }),
    ],
  },
  skippedNodes: [],
} as unknown as VariantDiff;

describe('channels a node lost', () => {
  it('reads them from the shapes of the weights it reads, by what each axis means for its op', () => {
    const weights = changedWeightsByName(diff, 'original');
    expect(graph.nodes.map((n) => prunedChannels(n, weights))).toEqual([
      '128 → 96 output channels',
      '128 → 96 channels',
      undefined,
      '128 → 96 input channels',
    ]);
  });

  it('says the shapes where the op does not tell what an axis is', () => {
    const w = weight({ name: 'E', shape: [50, 16], variantShape: [50, 12] });
    const gather = node('0', 'Gather', 'emb', ['E', 'ids'], ['out']);
    expect(prunedChannels(gather, new Map([['E', w]]))).toBe('E [50, 16] → [50, 12]');
  });

  it('counts a weight that lost entries along an axis, not one that changed rank or grew', () => {
    expect(shrunk(weight({ name: 'a', shape: [8, 4], variantShape: [6, 4] }))).toBe(true);
    expect(shrunk(weight({ name: 'a', shape: [8, 4], variantShape: [8, 4], change: 'values' }))).toBe(false);
    // int4's packed [N, blocks, blob] is not a pruned [K, N].
    expect(
      shrunk(weight({ name: 'a', shape: [64, 32], variantShape: [32, 2, 16], change: 'quantized' })),
    ).toBe(false);
    // Pruned, then quantized to int8: the int8 tensor keeps the pruned shape.
    expect(shrunk(weight({ name: 'a', shape: [8, 4], variantShape: [6, 4], change: 'quantized' }))).toBe(
      true,
    );
  });
});

describe('the change overlay of a structured-pruned variant', () => {
  it('marks and counts kept nodes that lost channels apart from those left as they were', () => {
    const overlay = changeOverlay(diff, graph);
    expect(overlay.marks.get('0')).toEqual({ color: PRUNED_COLOR, text: 'pruned: 128 → 96 output channels' });
    expect(overlay.marks.get('2')).toEqual({ color: CHANGE_COLORS.kept, text: 'kept' });
    expect(overlay.legend.map((l) => l.text).slice(0, 2)).toEqual(['kept (1)', 'kept, channels pruned (3)']);
    expect(overlay.pruned?.get('3')).toBe('128 → 96 input channels');
  });

  it('does the same on the variant’s own graph, whose weights are the smaller ones', () => {
    const overlay = variantChangeOverlay(graph, diff);
    expect(overlay.marks.get('1')).toEqual({ color: PRUNED_COLOR, text: 'pruned: 128 → 96 channels' });
    expect(overlay.legend.map((l) => l.text).slice(0, 2)).toEqual(['kept (1)', 'kept, channels pruned (3)']);
  });

  it('colours pruned nodes apart from every other change, and from what a variant added', () => {
    for (const color of [...Object.values(CHANGE_COLORS), ADDED_COLOR])
      expect(colorDistance(PRUNED_COLOR, color), color).toBeGreaterThanOrEqual(MIN_SERIES_DISTANCE);
  });

  it('without the graph (the diff alone) says kept, as before', () => {
    expect(changeOverlay(diff).marks.get('0')).toEqual({ color: CHANGE_COLORS.kept, text: 'kept' });
  });
});
