import type { ModelProto } from 'onnx-buf';
import { z } from 'zod';
import { shareText } from '../../../../shared/counted.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { dtypeName } from '../../onnx/dtypes.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { applyChannelEdits } from '../apply-channel-edits.js';
import { cancellationPoint } from '../cancellation.js';
import { channelImportance, selectChannels } from '../channel-selection.js';
import { analyseChannels } from '../channels/analyse-channels.js';
import type { ChannelGroup } from '../channels/types.js';
import { registerPruneMethod } from '../method-registry.js';
import {
  DEFAULT_PRUNE_OP_TYPES,
  type PrunedLayer,
  type PruneInput,
  type PruneOutcome,
  type SkippedPrune,
} from '../prune-method.js';
import { pruneScopes, weightSlot } from '../weights.js';
import { structuredOptionsSchema, PRUNE_METHOD_SPECS } from '../../../../shared/options/prune-options.js';

/*
 * Structured channel pruning: whole output channels of Conv / ConvTranspose and output features of Gemm /
 * MatMul are removed, with everything that depends on them (BatchNorm, biases, per-channel constants,
 * depthwise Convs, the input channels of the consumers, Flatten/Reshape into a Gemm). Channels tied
 * together are pruned as one group or not at all; see channels/analyse-channels.ts. The model gets smaller and faster.
 */

export { structuredOptionsSchema };

export type StructuredOptions = z.infer<typeof structuredOptionsSchema>;

function describe(group: ChannelGroup): { name: string; opType: string } {
  const first = group.sources[0]?.node;
  return { name: group.members[0] ?? '?', opType: first?.opType ?? '?' };
}

async function pruneStructured(input: PruneInput<StructuredOptions>): Promise<PruneOutcome> {
  const { model, common, options, signal, onProgress, note } = input;
  const opTypes = new Set(common.opTypes ?? DEFAULT_PRUNE_OP_TYPES);
  // --op-types naming a type it cannot prune was refused before the model was read (node-selection.ts).
  onProgress?.({ phase: 'analysing', done: 0, total: 1 });
  const analysis = analyseChannels(model, { opTypes, excludeNodes: new Set(common.excludeNodes) });
  onProgress?.({ phase: 'analysing', done: 1, total: 1 });

  const skipped: SkippedPrune[] = [];
  const eligible: { group: ChannelGroup; importance: Float64Array }[] = [];
  for (const [i, group] of analysis.groups.entries()) {
    // Between groups: the event loop gets a turn, so a Ctrl+C during a long prune lands here.
    await cancellationPoint(signal);
    const where = describe(group);
    const blocked =
      group.blocked.length > 0
        ? group.blocked.join('; ')
        : group.channels < 2
          ? 'it has a single channel'
          : undefined;
    if (blocked) {
      skipped.push({ ...where, reason: blocked, channels: group.channels, group: group.members });
    } else {
      eligible.push({ group, importance: channelImportance(group, options) });
    }
    onProgress?.({ phase: 'scoring', done: i + 1, total: analysis.groups.length });
  }

  const kept = selectChannels(
    eligible.map((e) => ({ root: e.group.root, channels: e.group.channels, importance: e.importance })),
    { ...options, sparsity: common.sparsity, scope: common.scope },
  );
  await cancellationPoint(signal);
  onProgress?.({ phase: 'pruning', done: 0, total: 1 });
  const { changed, compensation } = applyChannelEdits(model.graph!, analysis, kept, {
    biasCompensation: options.biasCompensation,
  });
  onProgress?.({ phase: 'pruning', done: 1, total: 1 });
  await cancellationPoint(signal);

  const layers: PrunedLayer[] = [];
  let channels = 0;
  let removed = 0;
  for (const { group } of eligible) {
    const left = kept.get(group.root)?.length ?? group.channels;
    channels += group.channels;
    removed += group.channels - left;
    layers.push({
      ...describe(group),
      unit: 'channels',
      total: group.channels,
      removed: group.channels - left,
      sparsity: (group.channels - left) / group.channels,
      group: group.members,
    });
  }
  const unaligned = layers.filter(
    (l) => l.removed > 0 && l.opType.startsWith('Conv') && (l.total - l.removed) % 8 !== 0,
  ).length;
  if (options.roundTo === 1 && unaligned > 0) {
    note(
      `${unaligned} pruned Conv groups keep a channel count that is not a multiple of 8. onnxruntime's fastest CPU ` +
        'convolutions want multiples of 8 (AVX2) or 16 (AVX-512), so latency may fall less than size: ' +
        '--round-to 16 trades a little size for speed.',
    );
  }
  if (compensation && (compensation.compensated > 0 || compensation.skipped.size > 0)) {
    const missed = [...compensation.skipped.values()].reduce((a, b) => a + b, 0);
    const reasons = [...compensation.skipped.keys()];
    note(
      `Bias compensation moved the constant output of ${compensation.compensated} removed channel inputs into ` +
        `the next layers' biases` +
        (missed > 0
          ? `; ${missed} could not be compensated (${reasons.slice(0, 2).join('; ')}${reasons.length > 2 ? '; ...' : ''}).`
          : '.'),
    );
  }
  if (eligible.length === 0) {
    note('No channel group could be pruned safely: see the skipped groups for why.');
  } else if (skipped.length > 0) {
    note(
      `${skipped.length} of ${analysis.groups.length} channel groups were left alone (listed with the reason).`,
    );
  }
  const unseen = layersOutsideAnalysis(model, opTypes);
  if (unseen.length > 0) {
    skipped.push(...unseen);
    note(
      `${unseen.length} layers with constant weights were not analysed (inside If/Loop/Scan bodies, or weights ` +
        'behind a Cast) and are listed as skipped; --method magnitude prunes them.',
    );
  }
  return {
    achievedSparsity: channels > 0 ? removed / channels : 0,
    prunedNodes: changed.size,
    removedChannels: removed,
    layers,
    skipped,
    ...(layers.length > 0 && changed.size === 0
      ? { nothingPruned: keptEverything(layers, common.sparsity, options.roundTo) }
      : {}),
  };
}

/** How many channel widths the "nothing was pruned" note lists. */
const QUOTED_WIDTHS = 4;

/**
 * Why a prune with groups to prune removed no channel: at this sparsity (and --round-to, which rounds the kept
 * count back up) every group keeps all its channels. Each distinct width is listed once, "16 → 16".
 */
export function keptEverything(
  layers: readonly PrunedLayer[],
  sparsity: number,
  roundTo: number,
): { why: string; fix: string } {
  const widths = [...new Set(layers.map((l) => l.total))].sort((a, b) => a - b);
  const listed = widths.slice(0, QUOTED_WIDTHS).map((w) => `${w} → ${w}`);
  if (widths.length > QUOTED_WIDTHS) listed.push('…');
  const rounding = roundTo > 1 ? ` with --round-to ${roundTo}` : '';
  return {
    why: `at ${shareText(sparsity)}${rounding} every layer would keep all its channels (${listed.join(', ')})`,
    fix: roundTo > 1 ? 'Raise the sparsity or lower Round to (--round-to).' : 'Raise the sparsity.',
  };
}

/**
 * The layers with a constant weight that the channel analysis (main graph, weights stored as used) does not
 * see, so that none is left out silently: every layer inside an If / Loop / Scan body (removing channels
 * there would change the shapes the body exchanges with the outer graph, which the analysis does not follow)
 * and main-graph layers whose weight is a half-precision constant behind a Cast (slicing it would change
 * the Cast's output, which the analysis does not track).
 */
function layersOutsideAnalysis(model: ModelProto, opTypes: ReadonlySet<string>): SkippedPrune[] {
  const out: SkippedPrune[] = [];
  for (const { graph, index, holder } of pruneScopes(model)) {
    for (const node of graph.node) {
      if (!opTypes.has(node.opType) || !isDefaultDomain(node.domain)) continue;
      const slot = weightSlot(index, node);
      // No constant weight: nothing to prune, as in the main graph.
      if ('reason' in slot) continue;
      let reason: string | undefined;
      if (holder) {
        reason = `inside a subgraph of '${nodeLabel(holder)}' (${holder.opType}); structured pruning does not enter If/Loop/Scan bodies`;
      } else if (slot.cast) {
        reason =
          `its weight '${node.input[slot.slot] ?? ''}' is a Cast of '${slot.ref.name}' ` +
          `(${dtypeName(slot.ref.tensor.dataType)}); structured pruning does not slice weights behind a Cast`;
      }
      if (reason) out.push({ name: nodeLabel(node), opType: node.opType, reason });
    }
  }
  return out;
}

registerPruneMethod({
  ...PRUNE_METHOD_SPECS.structured,
  prune: pruneStructured,
});
