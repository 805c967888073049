/**
 * What structured pruning did to each node, for the Graph view. Pruning keeps every node (same name, same op
 * type), so the diff's node rows all say 'kept'; what changed is the weights, which the diff lists with their
 * shape before and after (shared/model-diff.ts `WeightDiff.variantShape`). A node that reads a weight the
 * variant holds with fewer entries along some axis lost channels: this says how many, by the axis's meaning for
 * the node's op (a Conv weight is [output, input, kh, kw], a Gemm's B is [input, output] unless transB...).
 * Pure; the overlays, the diff table and the node details read it.
 */
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { WeightDiff } from '../../../shared/model-diff.js';
import type { GraphNode } from '../../../shared/model-graph.js';
import { formatShape } from '../format.js';

/**
 * The variant holds the weight with the same rank, no axis longer and at least one shorter: channels were cut.
 * Pruned then quantized or cast still counts (the int8 or float16 tensor keeps the pruned shape); a weight that
 * changed rank (int4's packed blocks) does not.
 */
export function shrunk(w: WeightDiff): boolean {
  const after = w.variantShape;
  if (w.change === 'unchanged' || w.change === 'removed' || !after || after.length !== w.shape.length)
    return false;
  return after.every((d, i) => d <= w.shape[i]!) && after.some((d, i) => d < w.shape[i]!);
}

/**
 * The diff's changed weights by the name a graph on screen reads them under: the original's own name, or on
 * the variant's graph the name it became (`variantNames`, the tensor of the same rank first). A main-graph
 * weight wins over a body's weight of the same name, as ONNX scoping has it for main-graph nodes.
 */
export function changedWeightsByName(
  diff: VariantDiff,
  side: 'original' | 'variant',
): Map<string, WeightDiff> {
  const byName = new Map<string, WeightDiff>();
  const ordered = [...diff.weights.list].sort(
    (a, b) => Number(a.graph !== undefined) - Number(b.graph !== undefined),
  );
  for (const w of ordered) {
    if (w.change === 'unchanged' || w.change === 'removed') continue;
    const names = side === 'original' ? [w.name] : (w.variantNames ?? [w.name]);
    for (const name of names) if (!byName.has(name)) byName.set(name, w);
  }
  return byName;
}

type Axis = 'output' | 'input' | 'channels' | undefined;

/** What each axis of the weight a node reads at `slot` means, where the op says so. */
function axesOf(node: GraphNode, slot: number, rank: number): Axis[] {
  const attr = (name: string) => node.attributes.find((a) => a.name === name)?.value;
  if (rank === 1) return ['channels'];
  switch (node.opType) {
    case 'Conv':
      return slot === 1 ? ['output', 'input'] : [];
    case 'ConvTranspose':
      return slot === 1 ? ['input', 'output'] : [];
    case 'Gemm':
      if (slot === 1) return attr('transB') === '1' ? ['output', 'input'] : ['input', 'output'];
      return [];
    case 'MatMul':
      // [..., K, N]: the last axis is the output's.
      return slot === 1 ? [...Array<Axis>(rank - 2).fill(undefined), 'input', 'output'] : [];
    default:
      return [];
  }
}

const WORDS: Record<Exclude<Axis, undefined>, string> = {
  output: 'output channels',
  input: 'input channels',
  channels: 'channels',
};

/**
 * How many channels a node lost, e.g. `128 → 96 output channels, 64 → 48 input channels`, from the shrunk
 * weights it reads (`weights` as changedWeightsByName gives them for the graph the node is in); undefined when
 * it reads none. Axes whose meaning the op does not tell are said as the weight's shapes.
 */
export function prunedChannels(
  node: GraphNode,
  weights: ReadonlyMap<string, WeightDiff>,
): string | undefined {
  const said = new Map<string, string>();
  const shapes: string[] = [];
  node.inputs.forEach((name, slot) => {
    const w = name === '' ? undefined : weights.get(name);
    if (!w || !shrunk(w)) return;
    const after = w.variantShape!;
    const axes = axesOf(node, slot, w.shape.length);
    let named = true;
    w.shape.forEach((before, i) => {
      if (after[i] === before) return;
      const axis = axes[i];
      if (!axis) named = false;
      // The first weight to speak for an axis (the Conv's W, not its bias) says it.
      else if (!said.has(axis)) said.set(axis, `${before} → ${after[i]} ${WORDS[axis]}`);
    });
    if (!named) shapes.push(`${w.name} ${formatShape(w.shape)} → ${formatShape(after)}`);
  });
  // A node with both an output axis and a 1-D parameter (Conv's bias) tells the channels once.
  if (said.has('output') && said.has('channels')) said.delete('channels');
  const parts = [...said.values(), ...shapes];
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** How many of the diff's weights lost channels (the diff table's summary line). */
export const shrunkWeightCount = (diff: VariantDiff): number => diff.weights.list.filter(shrunk).length;
