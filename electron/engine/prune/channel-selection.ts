import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import type { ChannelGroup } from './channels/types.js';
import { axisNorms } from './tensor-slice.js';

/*
 * Which channels of each group survive. A channel's importance is the norm of its output weights (L1 or L2),
 * times the scale of a BatchNorm that directly follows (a channel the BatchNorm scales to nothing is weak
 * however large its weights). A group with several layers (tied by a residual Add) sums their importances,
 * each first divided by its own mean so that no layer dominates by the scale of its weights alone.
 */

export interface SelectionOptions {
  sparsity: number;
  scope: 'layer' | 'global';
  criterion: 'l1' | 'l2';
  /** Multiply by the following BatchNorm's scale. */
  batchNormAware: boolean;
  /** Round each group's kept channel count up to a multiple of this (hardware-friendly widths). */
  roundTo: number;
  /** Global scope: the most any one group may lose. */
  maxLayerSparsity: number;
}

/** Importance of every channel of a group. */
export function channelImportance(
  group: ChannelGroup,
  options: Pick<SelectionOptions, 'criterion' | 'batchNormAware'>,
): Float64Array {
  const total = new Float64Array(group.channels);
  for (const source of group.sources) {
    const dims = source.weight.tensor.dims.map(Number);
    const norms = axisNorms(
      decodeToFloat32(source.weight.tensor),
      dims,
      source.outAxis,
      options.criterion === 'l1' ? 1 : 2,
    );
    if (options.batchNormAware && source.bnScale?.length === norms.length) {
      for (let c = 0; c < norms.length; c++) norms[c]! *= source.bnScale[c]!;
    }
    let mean = 0;
    for (const v of norms) mean += v;
    mean /= Math.max(1, norms.length);
    for (let c = 0; c < total.length; c++) total[c]! += mean > 0 ? norms[c]! / mean : 0;
  }
  return total;
}

/** The `keep` most important channels, ascending; ties keep the earlier channel. */
export function topChannels(importance: Float64Array, keep: number): Int32Array {
  const order = Array.from(importance.keys()).sort((a, b) => importance[b]! - importance[a]! || a - b);
  return Int32Array.from(order.slice(0, keep)).sort();
}

function roundUp(keep: number, channels: number, roundTo: number): number {
  if (roundTo <= 1) return keep;
  return Math.min(channels, Math.ceil(keep / roundTo) * roundTo);
}

/**
 * The kept channels of every group given (by root), from their importances. Groups that keep everything are
 * left out of the result.
 */
export function selectChannels(
  groups: readonly { root: number; channels: number; importance: Float64Array }[],
  options: SelectionOptions,
): Map<number, Int32Array> {
  const keepCount = new Map<number, number>();
  if (options.scope === 'layer') {
    for (const g of groups) {
      const keep = Math.max(1, g.channels - Math.round(g.channels * options.sparsity));
      keepCount.set(g.root, roundUp(keep, g.channels, options.roundTo));
    }
  } else {
    // One ranking: each channel's importance relative to its group's mean, weakest first.
    const candidates: { root: number; score: number; channel: number }[] = [];
    let total = 0;
    for (const g of groups) {
      total += g.channels;
      let mean = 0;
      for (const v of g.importance) mean += v;
      mean /= Math.max(1, g.channels);
      g.importance.forEach((v, channel) =>
        candidates.push({ root: g.root, score: mean > 0 ? v / mean : 0, channel }),
      );
    }
    candidates.sort((a, b) => a.score - b.score || a.root - b.root || a.channel - b.channel);
    const removable = new Map<number, number>();
    for (const g of groups) {
      const minKeep = Math.max(1, Math.ceil(g.channels * (1 - options.maxLayerSparsity) - 1e-9));
      removable.set(g.root, g.channels - minKeep);
      keepCount.set(g.root, g.channels);
    }
    let toRemove = Math.round(total * options.sparsity);
    for (const c of candidates) {
      if (toRemove <= 0) break;
      const left = removable.get(c.root)!;
      if (left <= 0) continue;
      removable.set(c.root, left - 1);
      keepCount.set(c.root, keepCount.get(c.root)! - 1);
      toRemove--;
    }
    for (const g of groups)
      keepCount.set(g.root, roundUp(keepCount.get(g.root)!, g.channels, options.roundTo));
  }
  const kept = new Map<number, Int32Array>();
  for (const g of groups) {
    const keep = keepCount.get(g.root)!;
    if (keep < g.channels) kept.set(g.root, topChannels(g.importance, keep));
  }
  return kept;
}
