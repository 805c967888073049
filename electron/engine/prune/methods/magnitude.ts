import type { GraphProto } from 'onnx-buf';
import { z } from 'zod';
import { StudioError } from '../../errors.js';
import { dataTypeByteSize, replaceConstant, sparsifyTensor, tensorRawBytes } from '../../onnx/constants.js';
import { makeRawTensor } from '../../onnx/graph-build.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { decodeToFloat32 } from '../../onnx/tensor-codec.js';
import { registerPruneMethod } from '../method-registry.js';
import {
  DEFAULT_PRUNE_OP_TYPES,
  type PrunedLayer,
  type PruneInput,
  type PruneOutcome,
  type SkippedPrune,
} from '../prune-method.js';
import { cancellationPoint } from '../cancellation.js';
import { globalSmallestThreshold, markByThreshold } from '../global-threshold.js';
import { markSmallest } from '../select-smallest.js';
import { type ValueReader, type WeightSlot, pruneScopes, readersOf, weightSlot } from '../weights.js';
import { magnitudeOptionsSchema, PRUNE_METHOD_SPECS } from '../../../../shared/options/prune-options.js';

/*
 * Unstructured magnitude pruning: the smallest weights (by absolute value) of Conv, ConvTranspose, Gemm and
 * MatMul become zero, per layer or ranked globally, or in an N:M pattern (N kept of every M along the input
 * dimension, as sparse tensor cores want). The tensors keep their shapes, so dense kernels do the same work:
 * the win is in compressed size (and in what a later quantization or sparse runtime makes of the zeros).
 */

export { magnitudeOptionsSchema };

export type MagnitudeOptions = z.infer<typeof magnitudeOptionsSchema>;

/** Keep N of every M: parsed and checked. */
export function parsePattern(pattern: string): { keep: number; of: number } {
  const [n, m] = pattern.split(':').map(Number) as [number, number];
  if (!(m >= 1 && n >= 0 && n <= m)) {
    throw new StudioError(
      'BAD_REQUEST',
      `Pattern ${pattern} must be N:M with 0 <= N <= M and M >= 1 (e.g. 2:4).`,
    );
  }
  return { keep: n, of: m };
}

/** Marks, in each run of `of` consecutive positions along `axis`, all but the `keep` largest magnitudes. */
function markPattern(
  magnitudes: Float32Array,
  dims: readonly number[],
  axis: number,
  keep: number,
  of: number,
): Uint8Array {
  const mask = new Uint8Array(magnitudes.length);
  const length = dims[axis]!;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i]!;
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  const group: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      for (let start = 0; start < length; start += of) {
        group.length = 0;
        for (let c = start; c < Math.min(length, start + of); c++) group.push((o * length + c) * inner + r);
        const drop = group.length - Math.min(group.length, keep);
        if (drop <= 0) continue;
        // Stable: ties keep the earlier weight.
        const ranked = group.slice().sort((a, b) => magnitudes[a]! - magnitudes[b]! || b - a);
        for (let d = 0; d < drop; d++) mask[ranked[d]!] = 1;
      }
    }
  }
  return mask;
}

async function pruneMagnitude(input: PruneInput<MagnitudeOptions>): Promise<PruneOutcome> {
  const { model, common, options, signal, onProgress, note } = input;
  const opTypes = new Set(common.opTypes ?? DEFAULT_PRUNE_OP_TYPES);
  // --op-types naming a type it cannot prune was refused before the model was read (node-selection.ts).
  const pattern = options.pattern === undefined ? undefined : parsePattern(options.pattern);
  let target = common.sparsity;
  if (pattern) {
    const implied = 1 - pattern.keep / pattern.of;
    if (Math.abs(implied - common.sparsity) > 1e-9) {
      throw new StudioError(
        'BAD_REQUEST',
        `Pattern ${options.pattern} keeps ${pattern.keep} of every ${pattern.of} weights, which is sparsity ${implied}; ` +
          `--sparsity ${common.sparsity} contradicts it. Leave --sparsity out or set it to ${implied}.`,
      );
    }
    target = implied;
  }
  const excluded = new Set(common.excludeNodes);
  // Every graph, subgraphs included: zeroing weights keeps every shape, so a weight is as safe to prune in
  // an If branch or a Loop body as in the main graph.
  const scopes = pruneScopes(model);
  const indexOf = new Map(scopes.map((s) => [s.graph, s.index]));
  const skipped: SkippedPrune[] = [];
  const slots: WeightSlot[] = [];
  // The first node pruning each stored weight, by graph and name (a name may be reused in another graph).
  const owner = new Map<GraphProto, Map<string, string>>();
  const readerName = (r: ValueReader): string =>
    'node' in r
      ? `'${nodeLabel(r.node)}' (${r.node.opType})`
      : r.output === model.graph
        ? 'a model output'
        : `an output of the subgraph '${r.output.name}'`;
  for (const { graph, index } of scopes) {
    for (const node of graph.node) {
      if (!opTypes.has(node.opType)) continue;
      const name = nodeLabel(node);
      if (excluded.has(node.name)) {
        skipped.push({ name, opType: node.opType, reason: 'excluded (--exclude-nodes)' });
        continue;
      }
      const slot = weightSlot(index, node);
      if ('reason' in slot) {
        skipped.push({ name, opType: node.opType, reason: slot.reason });
        continue;
      }
      // A weight also read by something else (a tied embedding's Gather, an excluded node, a graph output)
      // must stay whole. Readers include the nodes of subgraphs that capture it: zeros reach them too. A
      // weight behind a Cast: the Cast must be the stored constant's only reader, and whatever reads the
      // Cast's output must be prunable.
      const stored = readersOf(indexOf, slot.ref.index, slot.ref.name);
      const castOutput = slot.cast?.node.output[0] ?? '';
      const beside = slot.cast ? stored.find((r) => !('node' in r) || r.node !== slot.cast!.node) : undefined;
      const other = (slot.cast ? readersOf(indexOf, slot.cast.index, castOutput) : stored).find(
        (r) => !('node' in r) || !opTypes.has(r.node.opType) || excluded.has(r.node.name),
      );
      if (beside || other) {
        const value = beside || !slot.cast ? slot.ref.name : castOutput;
        skipped.push({
          name,
          opType: node.opType,
          reason: `its weight '${value}' is also read by ${readerName((beside ?? other)!)}`,
        });
        continue;
      }
      const owners = owner.get(slot.ref.graph) ?? new Map<string, string>();
      owner.set(slot.ref.graph, owners);
      const first = owners.get(slot.ref.name);
      if (first !== undefined) {
        skipped.push({
          name,
          opType: node.opType,
          reason: `shares its weight '${slot.ref.name}' with '${first}', pruned there`,
        });
        continue;
      }
      owners.set(slot.ref.name, name);
      slots.push(slot);
    }
  }

  // One layer at a time (decoded, masked, written back, dropped), so a model whose weights are streamed
  // from external data never has more than a layer or two in memory. Global scope reads the layers twice
  // more to find the threshold (global-threshold.ts).
  const valuesOf = (slot: WeightSlot): Float32Array => decodeToFloat32(slot.ref.tensor).slice();
  const magnitudes = (values: Float32Array): Float32Array => {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]!);
    return out;
  };
  let maskOf: (slot: WeightSlot, values: Float32Array) => Uint8Array;
  if (pattern) {
    maskOf = (slot, values) =>
      markPattern(magnitudes(values), slot.dims, slot.reductionAxis, pattern.keep, pattern.of);
  } else if (common.scope === 'global') {
    const total = slots.reduce((n, s) => n + s.dims.reduce((a, b) => a * b, 1), 0);
    const { threshold, tiesToTake } = await globalSmallestThreshold(
      async function* () {
        for (const slot of slots) {
          await cancellationPoint(signal);
          yield magnitudes(valuesOf(slot));
        }
      },
      Math.round(target * total),
    );
    const ties = { left: tiesToTake };
    onProgress?.({ phase: 'ranking', done: 1, total: 1 });
    maskOf = (_slot, values) =>
      markByThreshold(magnitudes(values), threshold, ties, new Uint8Array(values.length));
  } else {
    maskOf = (_slot, values) => markSmallest(magnitudes(values), Math.round(target * values.length));
  }

  const report: PrunedLayer[] = [];
  let prunedNodes = 0;
  let zeros = 0;
  let elements = 0;
  const changed: WeightSlot[] = [];
  for (const [i, slot] of slots.entries()) {
    // Between layers: the event loop gets a turn, so a Ctrl+C during a long prune lands here.
    await cancellationPoint(signal);
    const values = valuesOf(slot);
    const mask = maskOf(slot, values);
    if (pattern || common.scope !== 'global')
      onProgress?.({ phase: 'ranking', done: i + 1, total: slots.length });
    const size = dataTypeByteSize(slot.ref.tensor.dataType)!;
    const bytes = new Uint8Array(tensorRawBytes(slot.ref.tensor)); // a copy (Buffer.slice would be a view)
    // Zeroed through a view of the element width when there is one (a fill() call per weight is slow).
    const elements4 = size === 4 ? new Uint32Array(bytes.buffer, 0, values.length) : undefined;
    let newly = 0;
    let layerZeros = 0;
    for (let e = 0; e < values.length; e++) {
      if (mask[e] && values[e] !== 0) {
        if (elements4) elements4[e] = 0;
        else bytes.fill(0, e * size, (e + 1) * size);
        newly++;
      }
      if (mask[e] || values[e] === 0) layerZeros++;
    }
    if (newly > 0) {
      replaceConstant(slot.ref, makeRawTensor(slot.ref.name, slot.ref.tensor.dataType, slot.dims, bytes));
      prunedNodes++;
      changed.push(slot);
    }
    zeros += layerZeros;
    elements += values.length;
    report.push({
      name: nodeLabel(slot.node),
      opType: slot.node.opType,
      unit: 'weights',
      weight: slot.ref.name,
      total: values.length,
      removed: layerZeros,
      sparsity: values.length > 0 ? layerZeros / values.length : 0,
    });
    onProgress?.({ phase: 'pruning', done: i + 1, total: slots.length });
  }
  await cancellationPoint(signal);

  if (options.storage === 'sparse') storeSparse(input, changed);
  note(
    'Unstructured zeros keep every tensor its shape: dense kernels do the same work, so latency and the ' +
      'uncompressed size do not change. The win shows compressed (the gzip sizes), with sparse storage at high ' +
      'sparsity, or after quantizing the pruned model; structured pruning makes the model itself smaller and faster.',
  );
  return {
    achievedSparsity: elements > 0 ? zeros / elements : 0,
    prunedNodes,
    removedChannels: 0,
    layers: report,
    skipped,
    targetSparsity: target,
    measureCompressed: true,
  };
}

/** Moves pruned initializers into sparse_initializer where the sparse encoding is smaller. */
function storeSparse(input: PruneInput<MagnitudeOptions>, slots: WeightSlot[]): void {
  const { model, note } = input;
  if (model.irVersion < 6n) {
    note(
      `Sparse storage needs IR version 6 or later (this model is IR ${model.irVersion}); weights stay dense.`,
    );
    return;
  }
  let moved = 0;
  let constants = 0;
  for (const slot of slots) {
    if (slot.ref.kind !== 'initializer') {
      if (slot.ref.kind === 'constant-node') constants++;
      continue;
    }
    const dense = slot.ref.initializer;
    const sparse = sparsifyTensor(dense);
    const size = dataTypeByteSize(dense.dataType)!;
    const nnz = Number(sparse.values?.dims[0] ?? 0n);
    if (nnz * (size + 8) >= tensorRawBytes(dense).length) continue;
    // In the graph that holds it: a subgraph's weight stays in its subgraph.
    const graph = slot.ref.graph;
    graph.initializer = graph.initializer.filter((t) => t !== dense);
    graph.sparseInitializer.push(sparse);
    moved++;
  }
  note(
    `Sparse storage: ${moved} of ${slots.length} pruned weights stored as sparse initializers (the rest are smaller dense).`,
  );
  if (constants > 0) note(`${constants} pruned weights live in Constant nodes and stay dense.`);
}

registerPruneMethod({
  ...PRUNE_METHOD_SPECS.magnitude,
  prune: pruneMagnitude,
  streamsExternalData: true,
});
