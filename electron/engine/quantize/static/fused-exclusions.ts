/**
 * `--exclude-nodes` across the pre-optimization. The names the user gives are the model's; the pre-optimization
 * fuses some nodes into others: onnxruntime's (preoptimize.ts) makes a MatMul and its bias Add one Gemm named
 * after the MatMul and folds a BatchNormalization into the Conv before it, and int8-static folds one into a
 * ConvTranspose itself. An excluded Add would then name no node of the graph int8-static plans, and protect
 * nothing, silently.
 *
 * What the fused node computes includes the excluded node, so that node is kept float instead, and a note says
 * so. Found by the tensor the excluded node wrote: a fusion leaves its last output to the node it made. A node
 * removed outright (an Identity, a Dropout) leaves nothing to keep float, which the note says too.
 */
import type { GraphProto, NodeProto } from 'onnx-buf';
import { originalNodeName } from '../../../../shared/ort-node-names.js';
import { walkGraphs } from '../../onnx/walk-graphs.js';
import { EXCLUDED_SKIP } from '../quantize-method.js';
import { untouchedExclusionNote } from '../../transform/node-selection.js';

/** What each excluded node of the model wrote, taken before the pre-optimization replaces the graph. */
export interface ExcludedWrites {
  byName: ReadonlyMap<string, { opType: string; outputs: readonly string[] }>;
}

function everyNode(graph: GraphProto): NodeProto[] {
  const nodes: NodeProto[] = [];
  walkGraphs(graph, (g) => nodes.push(...g.node));
  return nodes;
}

export function excludedWrites(graph: GraphProto, excludeNodes: readonly string[]): ExcludedWrites {
  const wanted = new Set(excludeNodes);
  const byName = new Map<string, { opType: string; outputs: readonly string[] }>();
  for (const node of everyNode(graph))
    if (node.name !== '' && wanted.has(node.name))
      byName.set(node.name, { opType: node.opType, outputs: node.output.filter((o) => o !== '') });
  return { byName };
}

/** A node kept float because the user excluded one the pre-optimization fused into it. */
export interface FollowedExclusion {
  /** The node of the optimized graph. */
  node: string;
  /** The name the user gave. */
  excluded: string;
}

/**
 * The skipped-node rows of the followed nodes, saying which name the user gave: "excluded by --exclude-nodes"
 * beside a Gemm the user never named read as a mistake.
 */
export function sayWhyFollowed<T extends { name: string; reason: string }>(
  skipped: readonly T[],
  followed: readonly FollowedExclusion[],
): T[] {
  const byLabel = new Map(
    followed.flatMap((f) => [[f.node, f.excluded] as const, [originalNodeName(f.node), f.excluded] as const]),
  );
  return skipped.map((s) => {
    const excluded = s.reason === EXCLUDED_SKIP.reason ? byLabel.get(s.name) : undefined;
    return excluded === undefined ? s : { ...s, reason: `${s.reason} (as '${excluded}', fused into it)` };
  });
}

/**
 * The names to exclude besides the user's: for each excluded node the pre-optimization fused away, the node of
 * the optimized graph that now writes its output. Notes say what was followed, and what is gone.
 */
export function followFusedExclusions(
  before: ExcludedWrites,
  optimized: GraphProto,
  note: (message: string) => void,
): FollowedExclusion[] {
  const nodes = everyNode(optimized);
  const present = new Set(nodes.flatMap((n) => [n.name, originalNodeName(n.name)]));
  const writerOf = new Map<string, NodeProto>();
  for (const node of nodes) for (const output of node.output) if (output !== '') writerOf.set(output, node);
  const added: FollowedExclusion[] = [];
  for (const [name, { opType, outputs }] of before.byName) {
    if (present.has(name)) continue;
    const writers = [...new Set(outputs.map((o) => writerOf.get(o)).filter((n) => n !== undefined))];
    const named = writers.filter((w) => w.name !== '');
    if (named.length === 0) {
      note(
        `--exclude-nodes names '${name}' (${opType}), which the pre-optimization before quantization removed from the graph: ` +
          'there is nothing left of it to keep float.',
      );
      continue;
    }
    added.push(...named.map((w) => ({ node: w.name, excluded: name })));
    const into = named.map((w) => `'${w.name}' (${w.opType})`).join(', ');
    note(
      `--exclude-nodes names '${name}' (${opType}), which the pre-optimization before quantization fused into ${into}: ` +
        `${named.length > 1 ? 'those nodes are' : 'that node is'} kept float instead.`,
    );
  }
  return added;
}

/**
 * Notes the excluded nodes still in the graph that int8-static would not quantize anyway (a BatchNormalization
 * kept by --no-optimize, an Identity): excluding them changes nothing, which the user should know.
 */
export function noteUnquantizedExclusions(
  before: ExcludedWrites,
  graph: GraphProto,
  quantizes: ReadonlySet<string>,
  note: (message: string) => void,
): void {
  const byName = new Map(everyNode(graph).map((n) => [n.name, n]));
  for (const name of before.byName.keys()) {
    const node = byName.get(name);
    if (node && !quantizes.has(node.opType))
      note(untouchedExclusionNote(name, node.opType, { name: 'int8-static', verb: 'quantize' }, 'float'));
  }
}
