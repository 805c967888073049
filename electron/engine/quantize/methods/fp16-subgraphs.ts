import {
  type GraphProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import type { z } from 'zod';
import type { fp16OptionsSchema } from '../../../../shared/options/quantize-options.js';
import { inferElementTypes } from '../../onnx/element-types.js';
import {
  GraphIndex,
  type UniqueNameGenerator,
  localDefinitions,
  replaceUses,
  subgraphsOf,
} from '../../onnx/graph.js';
import { walkGraphs } from '../../onnx/walk-graphs.js';
import { EXCLUDED_SKIP, type CommonQuantizeOptions, type SkippedNode } from '../quantize-method.js';

/** Why a node stays float32: the reason alone, or with the flag of the option that decided it. */
export type KeptFloat = string | Pick<SkippedNode, 'reason' | 'option'>;
import type { NodeProgress } from '../weight-only/weights.js';

/*
 * fp16 inside If / Loop / Scan bodies. Each body is converted by the same per-graph pass as the main graph
 * (fp16.ts convertGraph), with two differences:
 * - A body's formal inputs and outputs stay float32, with a Cast after each input and before each output
 *   that a float16 node reads or writes. The If / Loop / Scan node's own interface is then unchanged: its
 *   outputs keep the types the enclosing graph (and element-type inference, which reads them from the body's
 *   declared outputs) already has, both If branches keep agreeing, and a Loop-carried value keeps one type
 *   across iterations whatever the body does with it. Making the interface float16 would instead ripple
 *   through the holder's inputs and outputs into the enclosing graph for one Cast pair per body.
 * - A value a body captures from an enclosing graph is not converted in the body: the body hands its reads
 *   (each with the type its reader wants) to the graph that defines the value, which treats them like its own
 *   readers. So an outer weight read only by float16 body nodes becomes float16 in place, one read by float32
 *   nodes too gets a float16 copy, and a computed value gets one Cast, in the defining graph: outside a Loop
 *   it runs once, not once per iteration, and it serves the readers of every body and depth at once.
 */

export type Fp16Options = z.infer<typeof fp16OptionsSchema>;

/**
 * One read of a float32 value: an input slot, a graph output, a capture by a node kept in float32 with its
 * subgraphs, or a body output that names a value of an enclosing graph.
 */
export type Use =
  | { kind: 'input'; node: NodeProto; slot: number; want: number }
  | { kind: 'output'; want: number }
  | { kind: 'capture'; node: NodeProto; want: number }
  | { kind: 'body-output'; output: ValueInfoProto; want: number };

/** Reads of values a graph does not define, by name: what a body hands to the graph around it. */
export type FreeUses = Map<string, Use[]>;

/** What converting one model shares across its graphs. */
export interface Fp16Run {
  options: Fp16Options;
  common: CommonQuantizeOptions;
  blocked: ReadonlySet<string>;
  names: UniqueNameGenerator;
  progress: NodeProgress;
  skippedNodes: SkippedNode[];
  /** A float16 copy of a weight, converted a chunk at a time with progress and cancellation checks (fp16.ts). */
  toHalf: (tensor: TensorProto, name: string) => Promise<TensorProto>;
  /**
   * Counts a float32 initializer that stays float32 as done, in the conversion's progress (fp16.ts); undefined for
   * another constant (a sparse or Constant-node value, not decoded for this): a cancellation check only.
   */
  keepFloat: (initializer: TensorProto | undefined) => Promise<void>;
  counts: {
    converted: number;
    folded: number;
    constants: number;
    inputsRemoved: number;
    /** Nodes with subgraphs kept in float32 together with their bodies. */
    keptHolders: number;
    /** Bodies converted, and the nodes converted inside them (counted in `converted` too). */
    bodies: number;
    bodyNodes: number;
    /** Constants read by float16 and float32 nodes: kept in float32 with a float16 copy beside, by name. */
    doubled: string[];
  };
}

/** One graph being converted: the main graph, or an If / Loop / Scan body (`index.parent` set). */
export interface Fp16Scope {
  graph: GraphProto;
  index: GraphIndex;
  /** Element types before conversion, this graph's and its enclosing graphs'. */
  types: Map<string, number>;
  /** Where the graph sits, as `owner/attribute` from the main graph down (as diff names it); '' for the main graph. */
  place: string;
  /** Values computed from tensor sizes ("shape math"), this graph's and its enclosing graphs'. */
  shapeDerived: Set<string>;
}

/** Converts one graph; resolves with the reads of values it does not define (empty for the main graph). */
export type ConvertGraph = (run: Fp16Run, scope: Fp16Scope) => Promise<FreeUses>;

export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Points one read of `from` at `to`. A main-graph output keeps its name (a Cast produces it instead). */
export function redirect(use: Use, from: string, to: string): void {
  if (use.kind === 'input') use.node.input[use.slot] = to;
  else if (use.kind === 'body-output') use.output.name = to;
  else if (use.kind === 'capture') {
    for (const sub of subgraphsOf(use.node)) {
      if (!localDefinitions(sub).has(from))
        replaceUses(sub, from, to, { subgraphs: true, graphOutputs: true });
    }
  }
}

/** Nodes of a graph and of every body inside it (the progress total). */
export function countNodes(graph: GraphProto): number {
  let n = 0;
  walkGraphs(graph, (g) => (n += g.node.length));
  return n;
}

/** Why a node holding subgraphs keeps them in float32, or undefined when its bodies are converted. */
export function keptHolderReason(node: NodeProto, run: Fp16Run): KeptFloat | undefined {
  const inFloat = '; kept in float32 with its subgraphs';
  if (node.name !== '' && run.common.excludeNodes.includes(node.name)) {
    return { ...EXCLUDED_SKIP, reason: `${EXCLUDED_SKIP.reason}${inFloat}` };
  }
  let reason: string | undefined;
  if (run.options.blockOpTypes.includes(node.opType)) reason = 'in the block list (blockOpTypes)';
  else if (run.blocked.has(node.opType)) reason = 'in the default float16 block list';
  // --op-types is left to the body nodes: If / Loop / Scan compute nothing in float themselves.
  return reason && `${reason}${inFloat}`;
}

/** Progress over the nodes of bodies that stay float32 (the total counts every graph's nodes). */
export async function stepOverBodies(run: Fp16Run, holder: NodeProto): Promise<void> {
  for (const sub of subgraphsOf(holder)) {
    for (let i = countNodes(sub); i > 0; i--) await run.progress.step();
  }
}

/** The bodies of a holder with their attribute keys as diff writes them (`body`, `then_branch`, `branches[0]`). */
function bodiesOf(holder: NodeProto): { key: string; graph: GraphProto }[] {
  const out: { key: string; graph: GraphProto }[] = [];
  for (const attr of holder.attribute) {
    if (attr.g) out.push({ key: attr.name, graph: attr.g });
    attr.graphs.forEach((graph, k) => out.push({ key: `${attr.name}[${k}]`, graph }));
  }
  return out;
}

function bodyScope(parent: Fp16Scope, holder: NodeProto, key: string, body: GraphProto): Fp16Scope {
  const index = new GraphIndex(body, parent.index);
  const owner = holder.name || `${holder.opType}#${parent.index.positionOf(holder) ?? 0}`;
  return {
    graph: body,
    index,
    types: inferElementTypes(index, parent.types),
    place: `${parent.place === '' ? '' : `${parent.place}/`}${owner}/${key}`,
    shapeDerived: new Set(parent.shapeDerived),
  };
}

/**
 * Whether a holder's bodies, at any depth, read or write a float32 value: what keeping the holder in float32
 * keeps from float16 even where its own inputs and outputs hold no float (an If on ints whose branch casts to
 * float and computes there).
 */
export function bodiesTouchFloat(scope: Fp16Scope, holder: NodeProto): boolean {
  return bodiesOf(holder).some(({ key, graph }) => {
    const body = bodyScope(scope, holder, key, graph);
    const isFloat = (name: string) => name !== '' && body.types.get(name) === TensorProto_DataType.FLOAT;
    return graph.node.some(
      (node) => node.input.some(isFloat) || node.output.some(isFloat) || bodiesTouchFloat(body, node),
    );
  });
}

/**
 * Converts the bodies of the holders a graph descends into, depth first. Resolves with each holder's reads of
 * values its bodies do not define, for the enclosing graph to resolve (see the header comment).
 */
export async function convertBodies(
  run: Fp16Run,
  scope: Fp16Scope,
  holders: readonly NodeProto[],
  convert: ConvertGraph,
): Promise<Map<NodeProto, FreeUses>> {
  const out = new Map<NodeProto, FreeUses>();
  for (const holder of holders) {
    const reads: FreeUses = new Map();
    for (const { key, graph } of bodiesOf(holder)) {
      const free = await convert(run, bodyScope(scope, holder, key, graph));
      run.counts.bodies += 1;
      for (const [name, uses] of free) for (const use of uses) addTo(reads, name, use);
    }
    out.set(holder, reads);
  }
  return out;
}

/** The note on converted bodies, or undefined when there were none. */
export function bodiesNote(run: Fp16Run): string | undefined {
  const { bodies, bodyNodes } = run.counts;
  if (bodies === 0) return undefined;
  return (
    `${bodyNodes} of the converted nodes ${bodyNodes === 1 ? 'is' : 'are'} inside ${bodies} If/Loop/Scan bod${bodies === 1 ? 'y' : 'ies'}; ` +
    'their inputs and outputs stay float32, with Casts at the boundaries.'
  );
}
