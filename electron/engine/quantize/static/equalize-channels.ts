import { type ModelProto, type NodeProto } from 'onnx-buf';
import type { SampleSource } from '../../datasets/sample-source.js';
import { StudioError } from '../../errors.js';
import { makeFloatTensor } from '../../onnx/graph-build.js';
import { GraphIndex, UniqueNameGenerator, opsetVersion } from '../../onnx/graph.js';
import { runExplained } from '../../runtime/run-failure.js';
import { type ChannelObserver, feedsOf } from '../calibrate/calibrate.js';
import { extremesProbe, probedModel } from '../calibrate/probed-model.js';
import { type ChannelGroup, findChannelGroups } from './channel-groups.js';
import { openModelSession } from './ort-model.js';
import { resolveStoredFloat32 } from './qdq-plan.js';

/*
 * Activation equalization (int8-static `--equalize`): 8-bit activations have one scale per tensor, so a tensor
 * where a few channels are far larger than the rest (trained FPNs and MobileNets have them) spends its 256 levels
 * on those few and crushes the others. Within a channel group (channel-groups.ts) channel c can be divided by
 * s_c where it is written and multiplied back where it is read, which changes no output of the float model.
 *
 * The per-channel range r_c (largest |value| over the group's tensors and the calibration samples, from a
 * per-channel ReduceMax and ReduceMin of each tensor) sets s_c = sqrt(r_c / median r): outlier channels come
 * halfway down in log scale, and the readers' weight columns grow by the same factor. That is a trade-off, not a
 * free lunch: the readers' weights are quantized per output channel, so a grown column widens every row's range.
 * The square root splits the outlier between activations (one scale per tensor) and weights (one per row), as
 * cross-layer equalization (Nagel et al. 2019) balances two layers' weights. Scales are clamped to [1/64, 64];
 * unused channels keep 1.
 */

export interface EqualizeResult {
  groups: number;
  /** Largest channel range / median, before and after, over all groups. */
  spreadBefore: number;
  spreadAfter: number;
}

const MAX_SCALE = 64;

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Largest |value| of every channel of each group's tensors over the samples. */
async function channelRanges(
  model: ModelProto,
  groups: ChannelGroup[],
  source: SampleSource,
  maxSamples: number,
  signal?: AbortSignal,
): Promise<Float64Array[]> {
  const meter = new ChannelSpreadMeter(groups);
  const axesAsInput = (opsetVersion(model) ?? 13) >= 18;
  const probes = new Map<string, { min: string; max: string }>();
  const copy = probedModel(model, [...meter.tensors], (tensor, names) => {
    const probe = extremesProbe(tensor, names, { stem: 'eq', axes: [0, 2, 3], axesAsInput });
    probes.set(tensor, probe);
    return probe;
  });
  // Memory given back between operators, as calibration does under a tight budget: this pass runs only a few
  // samples, so the slower allocation costs little.
  const { session, close } = await openModelSession(copy, { intraOpThreads: 1, lowMemory: true });
  const fetches = [...probes.values()].flatMap((p) => [p.min, p.max]);
  let seen = 0;
  try {
    for await (const sample of source.samples(signal)) {
      if (seen >= maxSamples) break;
      if (signal?.aborted) throw new StudioError('CANCELLED', 'Quantization was cancelled.');
      const results = await runExplained(
        session,
        feedsOf(session, sample),
        `Calibration sample ${sample.index}`,
        fetches,
      );
      for (const [tensor, p] of probes) {
        const max = results[p.max]?.data;
        const min = results[p.min]?.data;
        if (max instanceof Float32Array && min instanceof Float32Array) meter.addExtremes(tensor, max, min);
      }
      seen += 1;
    }
  } finally {
    await close();
  }
  if (seen === 0) throw new StudioError('BAD_REQUEST', 'The calibration data has no samples.');
  return meter.ranges();
}

/** Writes `values` to a new initializer (weights may be shared) and points `node`'s `slot` at it. */
function replaceWeight(
  model: ModelProto,
  index: GraphIndex,
  names: UniqueNameGenerator,
  replacedNames: Set<string>,
  node: NodeProto,
  slot: number,
  dims: number[],
  values: Float32Array,
): void {
  replacedNames.add(node.input[slot]!);
  const name = names.next(`${node.input[slot]}_equalized`);
  model.graph!.initializer.push(makeFloatTensor(name, dims, values));
  node.input[slot] = name;
  // A conv can write one group and read another: its second rescale must read the first's weights.
  index.rebuild();
}

/** Rescales each group's channels by `scales` (see the file comment); the float model computes the same. */
function applyScales(model: ModelProto, groups: ChannelGroup[], scales: Float64Array[]): void {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const names = new UniqueNameGenerator(graph);
  const replacedNames = new Set<string>();
  const constant = (name: string) => {
    const found = resolveStoredFloat32(index, name);
    if (!found) throw new StudioError('INTERNAL', `Equalization lost the constant '${name}'.`);
    return found;
  };
  groups.forEach((group, g) => {
    const s = scales[g]!;
    for (const node of group.producers) {
      const w = constant(node.input[1]!);
      const perRow = w.values.length / w.dims[0]!;
      const weight = Float32Array.from(w.values, (v, i) => v / s[Math.floor(i / perRow)]!);
      replaceWeight(model, index, names, replacedNames, node, 1, w.dims, weight);
      if (node.input[2]) {
        const b = constant(node.input[2]);
        replaceWeight(
          model,
          index,
          names,
          replacedNames,
          node,
          2,
          b.dims,
          Float32Array.from(b.values, (v, c) => v / s[c]!),
        );
      }
    }
    for (const node of group.consumers) {
      const w = constant(node.input[1]!);
      const [, cin = 1, kh = 1, kw = 1] = w.dims;
      const kernel = kh * kw;
      const weight = Float32Array.from(w.values, (v, i) => v * s[Math.floor(i / kernel) % cin]!);
      replaceWeight(model, index, names, replacedNames, node, 1, w.dims, weight);
    }
  });
  // The replaced float weights nobody reads any more.
  const after = new GraphIndex(graph);
  graph.initializer = graph.initializer.filter((t) => !replacedNames.has(t.name) || after.isUsed(t.name));
}

/** The largest channel range over the median one, over all groups (1 where a median is 0). */
function largestSpread(ranges: readonly Float64Array[]): number {
  let spread = 1;
  for (const r of ranges) {
    const ref = median(r);
    if (ref > 0) spread = Math.max(spread, Math.max(...r) / ref);
  }
  return spread;
}

/**
 * Each group's per-channel range (largest |value|) over what it is shown, and the spread that follows. Fed by
 * calibration (ChannelObserver: int8-static's outlier-channel check, no run of its own and nothing kept beyond
 * one number per channel) or by equalization's own pass. Member tensors are NCHW; those never shown to it do
 * not count.
 */
export class ChannelSpreadMeter implements ChannelObserver {
  readonly #groupOf = new Map<string, number>();
  readonly #ranges: Float64Array[];
  #seen = false;
  /** The member tensors. */
  readonly tensors: ReadonlySet<string>;

  constructor(groups: readonly ChannelGroup[]) {
    groups.forEach((g, i) => {
      for (const t of g.tensors) this.#groupOf.set(t, i);
    });
    this.#ranges = groups.map((g) => new Float64Array(g.channels));
    this.tensors = new Set(this.#groupOf.keys());
  }

  #range(tensor: string, channels: number): Float64Array | undefined {
    const g = this.#groupOf.get(tensor);
    const range = g === undefined ? undefined : this.#ranges[g]!;
    return range && range.length === channels ? range : undefined;
  }

  /** Folds one sample's values of `tensor` into its group's per-channel largest |value|. */
  add(tensor: string, values: Float32Array, dims: readonly number[]): void {
    const range = dims.length >= 2 ? this.#range(tensor, dims[1]!) : undefined;
    if (!range) return;
    const channels = range.length;
    const inner = dims.slice(2).reduce((a, b) => a * b, 1);
    for (let at = 0, c = 0; at < values.length; at += inner, c = (c + 1) % channels) {
      let max = range[c]!;
      for (let i = at; i < at + inner; i++) {
        const v = Math.abs(values[i]!);
        if (v > max && Number.isFinite(v)) max = v;
      }
      range[c] = max;
    }
    this.#seen = true;
  }

  /** Folds one sample's per-channel largest and smallest values of `tensor` (in-graph reductions). */
  addExtremes(tensor: string, max: Float32Array, min: Float32Array): void {
    const range = this.#range(tensor, max.length);
    if (!range || min.length !== max.length) return;
    for (let c = 0; c < range.length; c++) {
      const r = Math.max(max[c]!, -min[c]!);
      if (Number.isFinite(r) && r > range[c]!) range[c] = r;
    }
    this.#seen = true;
  }

  /** Each group's per-channel ranges so far. */
  ranges(): Float64Array[] {
    return this.#ranges;
  }

  /** The largest channel range over the median one (1 before any member was seen). */
  spread(): number {
    return this.#seen ? largestSpread(this.#ranges) : 1;
  }
}

/** Equalizes the activation channels of `model` in place, from `maxSamples` calibration samples. */
export async function equalizeActivationChannels(
  model: ModelProto,
  source: SampleSource,
  options: { maxSamples?: number; signal?: AbortSignal } = {},
): Promise<EqualizeResult> {
  const groups = findChannelGroups(model.graph!);
  if (groups.length === 0) return { groups: 0, spreadBefore: 1, spreadAfter: 1 };
  const ranges = await channelRanges(model, groups, source, options.maxSamples ?? 8, options.signal);
  const scales = ranges.map((r) => {
    const ref = median(r);
    return Float64Array.from(r, (v) =>
      ref > 0 && v > 0 ? Math.min(MAX_SCALE, Math.max(1 / MAX_SCALE, Math.sqrt(v / ref))) : 1,
    );
  });
  applyScales(model, groups, scales);
  const scaled = ranges.map((r, g) => Float64Array.from(r, (v, c) => v / scales[g]![c]!));
  return { groups: groups.length, spreadBefore: largestSpread(ranges), spreadAfter: largestSpread(scaled) };
}
