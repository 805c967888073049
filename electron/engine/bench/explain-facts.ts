/**
 * What `onnx-studio explain` needs of its two models besides their profiles, read from the copies the benchmark
 * loads anyway (BenchParams.explain): on a multi-GB model a second load in the CLI's process doubled the memory
 * and added its time. The engine process imports this only for explain's benchmark.
 */
import type { ModelProto, NodeProto } from 'onnx-buf';
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
    ...writersOf(original.proto),
  };
}

/**
 * Ops onnxruntime fuses into the node before them (Conv + BatchNormalization, + an activation, + a residual Add),
 * whose fused kernel, run in the blocked layout, is named after the last tensor of the group: `relu2_out_nchwc`
 * is conv2's kernel.
 */
const FUSED_INTO_PRODUCER = new Set([
  'BatchNormalization',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'Tanh',
  'Add',
  'Sum',
  'Mul',
]);

/**
 * `originalWriters`: for each tensor a named node of the main graph writes first, the node whose kernel writes it
 * when onnxruntime fuses: the writer itself, or the node its fused followers lead back to (single-reader edges).
 */
function writersOf(model: ModelProto): Pick<BenchExplainFacts, 'originalWriters'> {
  const nodes = model.graph?.node ?? [];
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, number>();
  for (const node of nodes) {
    for (const output of node.output) if (output !== '') producer.set(output, node);
    for (const input of node.input) readers.set(input, (readers.get(input) ?? 0) + 1);
  }
  /** The node a fused group starting at `node`'s kernel is named after... and run as: its head. */
  const head = (start: NodeProto): NodeProto => {
    let node = start;
    for (let steps = 0; steps < 8 && FUSED_INTO_PRODUCER.has(node.opType); steps++) {
      // An activation or BatchNormalization follows its first input; a residual Add either of its inputs.
      const inputs =
        node.opType === 'Add' || node.opType === 'Sum' || node.opType === 'Mul'
          ? node.input
          : node.input.slice(0, 1);
      const before = inputs
        .map((i) => producer.get(i))
        .find((p) => p !== undefined && readers.get(p.output[0] ?? '') === 1);
      if (!before) break;
      node = before;
    }
    return node;
  };
  const writers: Record<string, string> = {};
  for (const node of nodes) {
    const tensor = node.output[0];
    if (node.name === '' || !tensor) continue;
    const name = head(node).name || node.name;
    if (name !== tensor) writers[tensor] = name;
  }
  return Object.keys(writers).length > 0 ? { originalWriters: writers } : {};
}
