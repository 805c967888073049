/**
 * What `onnx-studio explain` needs of its two models besides their profiles, read from the copies the benchmark
 * loads anyway (BenchParams.explain): on a multi-GB model a second load in the CLI's process doubled the memory
 * and added its time. The engine process imports this only for explain's benchmark.
 */
import type { ModelProto } from 'onnx-buf';
import type { BenchExplainFacts, UnalignedConv } from '../../../shared/bench.js';
import { alignedChannels } from '../../../shared/explain-prune.js';
import { diffModelProtos, unrelatedNote } from '../diff/diff-models.js';
import { summarizeModel } from '../inspect/inspect-model.js';
import type { LoadedModel } from '../onnx/load-model.js';
import { nodeLabel } from '../onnx/node-label.js';
import { keptFloatByOptions } from '../quantize/kept-float.js';
import { recordedSteps } from '../recipe/recorded-steps.js';

/**
 * The last transform step the variant's metadata records (a quantize or a prune step): what made its nodes, and
 * so what the advice is about.
 */
export function recordedLastStep(model: ModelProto): BenchExplainFacts['lastStep'] {
  const step = recordedSteps(model).at(-1);
  return step ? { operation: step.kind, method: step.method } : undefined;
}

/**
 * The Convs of the variant's main graph whose output channels pruning cut to a count that is not a multiple of 8:
 * a weight of the original's name with more output channels (structured pruning keeps the names and shrinks the
 * tensors). The prune report, which the app reads instead (unalignedConvsOf), counts the same layers.
 */
export function unalignedConvs(original: ModelProto, variant: ModelProto): UnalignedConv[] {
  const before = new Map((original.graph?.initializer ?? []).map((t) => [t.name, t]));
  const after = new Map((variant.graph?.initializer ?? []).map((t) => [t.name, t]));
  const out: UnalignedConv[] = [];
  for (const node of variant.graph?.node ?? []) {
    if (node.opType !== 'Conv' || !node.input[1]) continue;
    const [was, is] = [before.get(node.input[1])?.dims[0], after.get(node.input[1])?.dims[0]];
    if (was === undefined || is === undefined || is >= was || alignedChannels(Number(is))) continue;
    out.push({ name: nodeLabel(node), opType: node.opType, before: Number(was), channels: Number(is) });
  }
  return out;
}

const sizeOf = (m: LoadedModel) => m.fileBytes + m.externalDataBytes;

export function explainFacts(original: LoadedModel, variant: LoadedModel): BenchExplainFacts {
  // diff's check: advice on a compression of a model the variant was not made from would be made up.
  const { match } = diffModelProtos(
    original.proto,
    variant.proto,
    { original: original.path, variant: variant.path },
    // Counting zeros decodes every changed weight: the match needs none of it.
    { zeroCounts: false },
  );
  const unrelated = match?.unrelated
    ? unrelatedNote(match, 'explain gives their times but no advice on a compression.')
    : undefined;
  // The quantize report is not at hand here: the nodes the variant's recorded options kept float stand for it.
  const skippedNodes = keptFloatByOptions(variant.proto);
  const lastStep = recordedLastStep(variant.proto);
  // The prune report is not at hand either: the two models tell the channel counts pruning left.
  const unaligned =
    lastStep?.operation === 'prune' && lastStep.method === 'structured'
      ? unalignedConvs(original.proto, variant.proto)
      : undefined;
  return {
    ...(unrelated ? { unrelated } : {}),
    ...(skippedNodes ? { skippedNodes } : {}),
    ...(lastStep ? { lastStep } : {}),
    ...(unaligned ? { unalignedConvs: unaligned } : {}),
    ...(sizeOf(original) > 0 ? { sizeRatio: sizeOf(variant) / sizeOf(original) } : {}),
    variantOpCounts: summarizeModel(variant).opCounts,
  };
}
