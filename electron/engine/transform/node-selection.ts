import type { GraphProto, ModelProto, NodeProto } from 'onnx-buf';
import { nearestName } from '../../../shared/nearest-name.js';
import { originalNodeName } from '../../../shared/ort-node-names.js';
import { StudioError } from '../errors.js';
import { subgraphsOf } from '../onnx/graph-index.js';

/*
 * The node selection a quantize or prune step is given (`opTypes`, `excludeNodes`), checked against the method
 * and the model at the one entry point every surface goes through (quantizeModel, pruneModel: the CLI, the
 * app's jobs, recipes and tune). A misspelled name would otherwise select nothing and be silently ignored: the
 * node the user meant to protect would be quantized or pruned anyway.
 */

/** The options of a step that choose its nodes (the common options of quantize and prune). */
export interface NodeSelection {
  opTypes?: readonly string[] | undefined;
  excludeNodes: readonly string[];
}

/** Who checks: the method, what it does to a node, and the op types it can handle at all. */
export interface SelectingMethod {
  /** As the user reads it: `int4`, `magnitude pruning`. */
  name: string;
  /** What the method does to a node: `quantize`, `prune`. */
  verb: string;
  /** Every op type the method can handle (what `--op-types` may name); undefined: any (fp16). */
  handles?: readonly string[];
  /** It notes the excluded nodes it would not touch anyway itself, on the graph it transforms (int8-static). */
  checksExclusionsItself?: true;
  /** The named nodes it keeps float unless an option says otherwise (int8-static's input Conv), and why. */
  floatByDefault?: FloatByDefault;
}

/** Named nodes a method keeps float unless an option says otherwise, and why (in words ending no sentence). */
export interface FloatByDefault {
  names: (model: ModelProto) => ReadonlySet<string>;
  why: string;
}

/**
 * The note for an excluded node of a type the method leaves alone: excluding it changes nothing. Said here before
 * the method runs, or by a method that checks its exclusions itself on the graph it transforms (int8-static).
 */
export function untouchedExclusionNote(
  name: string,
  opType: string,
  method: Pick<SelectingMethod, 'name' | 'verb'>,
  stays: string,
): string {
  return `--exclude-nodes names '${name}' (${opType}), which ${method.name} does not ${method.verb}: it stays ${stays} anyway.`;
}

/** How many node names an error lists. */
const LISTED_NAMES = 12;

const quoted = (items: readonly string[]): string => items.map((i) => `'${i}'`).join(', ');

/**
 * Refuses an op type the method cannot handle at all (a typo, or the wrong method): run before the model is
 * read. Any op type goes for a method that handles every op (fp16).
 */
export function refuseUnhandledOpTypes(selection: NodeSelection, method: SelectingMethod): void {
  const { handles } = method;
  if (!selection.opTypes || !handles) return;
  const unhandled = selection.opTypes.filter((t) => !handles.includes(t));
  if (unhandled.length === 0) return;
  const suggestions = unhandled.map((t) => nearestName(t, handles)).filter((s) => s !== undefined);
  const didYouMean = suggestions.length > 0 ? ` (did you mean ${quoted([...new Set(suggestions)])}?)` : '';
  throw new StudioError(
    'BAD_REQUEST',
    `--op-types names ${quoted(unhandled)}, which ${method.name} does not ${method.verb}${didYouMean}. ` +
      `It can ${method.verb} ${handles.join(', ')}: name only those, or leave --op-types out for its default.`,
  );
}

/** Every node of a graph and of the subgraphs inside it (If branches, Loop and Scan bodies). */
function allNodes(graph: GraphProto | undefined, out: NodeProto[] = []): NodeProto[] {
  for (const node of graph?.node ?? []) {
    out.push(node);
    for (const sub of subgraphsOf(node)) allNodes(sub, out);
  }
  return out;
}

/**
 * Whether `name` refers to one of the model's nodes: its name, in the main graph or a subgraph, or a name
 * derived from one by the pipeline itself, which int8-static's exclusion honours: an onnxruntime fusion
 * (`X/MatMulAddFusion`, see shared/ort-node-names.ts) or a node a rewrite made of `X` (`X/add`), as sensitivity
 * analysis (and so tune) names them. A rewrite names what it makes of an unnamed node after its output tensor
 * (`y/add`), so `X` may be a value's name too.
 */
function refersToNode(name: string, names: ReadonlySet<string>, values: ReadonlySet<string>): boolean {
  if (names.has(name) || names.has(originalNodeName(name))) return true;
  const cut = name.lastIndexOf('/');
  return cut > 0 && (names.has(name.slice(0, cut)) || values.has(name.slice(0, cut)));
}

/**
 * The nodes that read a constant tensor (an initializer, or a Constant node's output) of one or more dimensions:
 * weights and biases, not the scalars of a Mul or a Clip.
 */
function nodesWithWeights(graph: GraphProto | undefined, nodes: readonly NodeProto[]): Set<NodeProto> {
  const weights = new Set<string>();
  const collect = (g: GraphProto | undefined) => {
    for (const t of g?.initializer ?? []) if (t.dims.length >= 1) weights.add(t.name);
    for (const node of g?.node ?? []) for (const sub of subgraphsOf(node)) collect(sub);
  };
  collect(graph);
  for (const node of nodes) {
    const value = node.opType === 'Constant' ? node.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (value && value.dims.length >= 1 && node.output[0]) weights.add(node.output[0]);
  }
  return new Set(nodes.filter((n) => n.input.some((i) => weights.has(i))));
}

/**
 * Sensitivity analysis labels a node without a name `(OpType output)`; tune's fallback before it skipped them
 * recorded such labels in recipes. They never protected anything: said in a note, so that `run` of such a
 * recipe still reproduces its variant.
 */
function isUnnamedNodeLabel(name: string, nodes: readonly NodeProto[]): boolean {
  return nodes.some((n) => n.name === '' && name === `(${n.opType} ${n.output[0] ?? ''})`);
}

/**
 * Checks the selection against the model, before the method runs: an excluded name that is no node of the
 * model is refused (with the closest real name and the names there are); an op type the model has no node of
 * is said in a note (a recipe or a preset may list op types for several models; the output is still right).
 */
export function checkNodeSelection(
  model: ModelProto,
  selection: NodeSelection,
  method: SelectingMethod,
  note: (message: string) => void,
): void {
  const nodes = allNodes(model.graph);
  const names = new Set(nodes.map((n) => n.name).filter((n) => n !== ''));
  const values = new Set(nodes.flatMap((n) => n.output));
  const notNodes = [...new Set(selection.excludeNodes)].filter((n) => !refersToNode(n, names, values));
  const labels = notNodes.filter((n) => isUnnamedNodeLabel(n, nodes));
  if (labels.length > 0) {
    note(
      `--exclude-nodes names ${quoted(labels)}: ${labels.length > 1 ? 'labels of nodes' : 'the label of a node'} ` +
        `without a name, which ${method.name} cannot keep out by name; ${labels.length > 1 ? 'they are' : 'it is'} ${method.verb}d as before.`,
    );
  }
  const unknown = notNodes.filter((n) => !labels.includes(n));
  if (unknown.length > 0) {
    const realNames = [...names];
    const suggestions = unknown.map((n) => nearestName(n, realNames)).filter((s) => s !== undefined);
    const didYouMean = suggestions.length > 0 ? ` Did you mean ${quoted([...new Set(suggestions)])}?` : '';
    const types = selection.opTypes ?? method.handles;
    // The layers with weights first: what a user protects, where an Add or a Relu is quantized only as part of
    // the layer before it (a bias Add even becomes that layer, fused-exclusions.ts).
    const weighted = nodesWithWeights(model.graph, nodes);
    // Not offered as "would quantize": said apart, with why.
    const floatByDefault = method.floatByDefault?.names(model) ?? new Set<string>();
    const selectable = nodes
      .filter((n) => n.name !== '' && (!types || types.includes(n.opType)) && !floatByDefault.has(n.name))
      .sort((a, b) => Number(weighted.has(b)) - Number(weighted.has(a)));
    const candidates = [...new Set(selectable.map((n) => n.name))];
    const mixed = selectable.some((n) => weighted.has(n)) && selectable.some((n) => !weighted.has(n));
    const weightsFirst = mixed ? ', those with weights first' : '';
    const listed =
      candidates.length === 0
        ? ` This model has no named node of the op types ${method.name} would ${method.verb}.`
        : ` The named nodes ${method.name} would ${method.verb}${weightsFirst}: ${quoted(candidates.slice(0, LISTED_NAMES))}` +
          (candidates.length > LISTED_NAMES ? ` and ${candidates.length - LISTED_NAMES} more` : '') +
          '.';
    const floatNamed = [...floatByDefault].filter((n) => n !== '');
    const keptFloat =
      floatNamed.length === 0
        ? ''
        : ` ${quoted(floatNamed)} ${floatNamed.length > 1 ? 'stay' : 'stays'} float by default (${method.floatByDefault?.why}).`;
    const plural = unknown.length > 1;
    throw new StudioError(
      'BAD_REQUEST',
      `--exclude-nodes names ${quoted(unknown)}, which ${plural ? 'are' : 'is'} no node of this model ` +
        `(names are exact, case included, and subgraph nodes count), so ${plural ? 'they' : 'it'} would protect nothing.` +
        `${didYouMean}${listed}${keptFloat}`,
    );
  }
  // An excluded node of a type the method leaves alone protects nothing it would have changed: said.
  const types = selection.opTypes ?? method.handles;
  if (types && !method.checksExclusionsItself) {
    for (const name of new Set(selection.excludeNodes)) {
      const node = nodes.find((n) => n.name === name);
      if (node && !types.includes(node.opType))
        note(untouchedExclusionNote(name, node.opType, method, 'as it is'));
    }
  }
  if (selection.opTypes) {
    const present = new Set(nodes.map((n) => n.opType));
    const absent = selection.opTypes.filter((t) => !present.has(t));
    const chosen = selection.opTypes.filter((t) => present.has(t));
    if (absent.length === 0) return;
    const near = absent.map((t) => nearestName(t, [...present])).filter((s) => s !== undefined);
    const didYouMean = near.length > 0 ? ` (did you mean ${quoted([...new Set(near)])}?)` : '';
    // With none of them at all, the method's own "nothing to quantize/prune" note says so.
    if (chosen.length > 0 || didYouMean !== '')
      note(
        `--op-types names ${absent.join(', ')}, of which this model has no node${didYouMean}; ` +
          (chosen.length > 0
            ? `${method.name} will ${method.verb} only its ${chosen.join(', ')} nodes.`
            : `${method.name} has nothing to ${method.verb} here.`),
      );
  }
}
