/** The Graph view's side panel: what the selected node is, reads and writes, with types and weight statistics. */
import type { WeightDiff } from '../../../shared/model-diff.js';
import type { GraphBody, GraphNode, ModelGraph, WeightStats } from '../../../shared/model-graph.js';
import { opLabel, walkGraphNodes } from '../../../shared/model-graph.js';
import { formatBytes, formatNodeCount, formatShape } from '../format.js';
import { knownType, weightOf, type GraphIndex } from './graph-index.js';
import type { NodeMark } from './overlays.js';

const num = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4);

function Weight({ stats }: { stats: WeightStats }) {
  return (
    <span className="graph-weight">
      weight {stats.dtype} {formatShape(stats.shape)}, {formatBytes(stats.bytes)}
      {stats.min !== undefined && stats.max !== undefined && stats.mean !== undefined && (
        <>
          <br />
          min {num(stats.min)}, max {num(stats.max)}, mean {num(stats.mean)}
          {stats.sparsity !== undefined && `, ${(100 * stats.sparsity).toFixed(1)}% zeros`}
        </>
      )}
      {stats.note && (
        <>
          <br />
          <span className="muted">{stats.note}</span>
        </>
      )}
    </span>
  );
}

/**
 * Which weights a variant changed, for the graph on screen: `side` says whose graph it is, so the line beside a
 * weight names the other model's tensor (the original's [128, 64, 3, 3] beside a pruned variant's
 * [96, 48, 3, 3], or the variant's beside the original's). From the diff the change overlays show.
 */
export interface WeightChanges {
  side: 'original' | 'variant';
  byName: ReadonlyMap<string, WeightDiff>;
}

/** The other model's dtype and shape of a weight the variant changed. */
function OtherSide({ change, side }: { change: WeightDiff; side: WeightChanges['side'] }) {
  const dtype = side === 'original' ? change.variantDtype : change.dtype;
  const shape = side === 'original' ? change.variantShape : change.shape;
  if (dtype === undefined || shape === undefined) return null;
  return (
    <span data-testid="graph-weight-other">
      <br />
      {side === 'original' ? 'in the variant' : 'in the original'}: {dtype} {formatShape(shape)} (
      {change.change})
    </span>
  );
}

function Tensor({
  model,
  index,
  nodeId,
  name,
  changes,
}: {
  model: ModelGraph;
  index: GraphIndex;
  nodeId: string;
  name: string;
  changes?: WeightChanges | undefined;
}) {
  const entry = index.nodes.get(nodeId);
  if (name === '') return <li className="muted">(absent optional input)</li>;
  const weight = weightOf(entry, model, name);
  const type = weight ? undefined : knownType(entry, model, index, name);
  return (
    <li>
      <code>{name}</code>
      {weight ? (
        <>
          {' '}
          <Weight stats={weight} />
          {changes?.byName.get(name) && <OtherSide change={changes.byName.get(name)!} side={changes.side} />}
        </>
      ) : type ? (
        <span
          className="muted"
          {...(type.declared
            ? {}
            : { title: 'Not declared in the model: worked out from the node that writes it' })}
        >
          {' '}
          {type.dtype}
          {type.shape ? ` ${formatShape(type.shape)}` : ', shape not recorded in the model'}
          {!type.declared && ' (from the node that writes it)'}
        </span>
      ) : (
        <span className="muted"> (type not recorded in the model)</span>
      )}
    </li>
  );
}

/**
 * How big a body is: its own nodes, and where it holds If/Loop/Scan nodes, how many with their bodies too
 * (`4 nodes; 8 including nested bodies`). The attribute row and the "Holds" line both say it so: the engine's
 * attribute text counted nested nodes and the line its own, two counts for one branch.
 */
export function bodySize(graph: GraphBody): string {
  const own = graph.nodes.length;
  const all = [...walkGraphNodes(graph)].length;
  return all === own ? formatNodeCount(own) : `${formatNodeCount(own)}; ${all} including nested bodies`;
}

/** An attribute's text; a body's (`graph (4 nodes)`) from the body itself, as bodySize counts it. */
export function attributeValue(node: GraphNode, name: string, value: string): string {
  const bodies = (node.subgraphs ?? []).filter(
    (s) => s.attribute === name || s.attribute.startsWith(`${name}[`),
  );
  if (bodies.length === 0) return value;
  const texts = bodies.map((s) => `graph (${bodySize(s.graph)})`);
  return bodies.length === 1 && bodies[0]!.attribute === name ? texts[0]! : `[${texts.join(', ')}]`;
}

export function NodeDetails({
  model,
  index,
  id,
  mark,
  changes,
}: {
  model: ModelGraph;
  index: GraphIndex;
  id: string;
  mark: NodeMark | undefined;
  /** While a variant's change or precision is shown: its changed weights, shown beside the ones here. */
  changes?: WeightChanges | undefined;
}) {
  const entry = index.nodes.get(id);
  if (!entry) {
    // A graph input or output.
    const name = id.slice(id.indexOf(':') + 1);
    const type = model.graph.values[name];
    return (
      <section className="graph-details" aria-label="Details of the selection" data-testid="graph-details">
        <h2>{id.startsWith('in:') ? 'Model input' : 'Model output'}</h2>
        <p>
          <code>{name}</code>
        </p>
        {type && (
          <p>
            {type.dtype}
            {type.rankUnknown ? ', shape not recorded in the model' : ` ${formatShape(type.shape)}`}
          </p>
        )}
      </section>
    );
  }
  const { node } = entry;
  return (
    <section className="graph-details" aria-label="Details of the selection" data-testid="graph-details">
      <h2>{opLabel(node)}</h2>
      <dl className="graph-facts">
        <dt>Name</dt>
        <dd>{node.name ? <code>{node.name}</code> : <span className="muted">(unnamed)</span>}</dd>
        <dt>Domain</dt>
        <dd>{node.domain === '' ? 'ai.onnx (default)' : node.domain}</dd>
        {mark && mark.text !== '' && (
          <>
            <dt>Overlay</dt>
            <dd data-testid="graph-details-mark">{mark.text}</dd>
          </>
        )}
      </dl>
      {node.attributes.length > 0 && (
        <>
          <h3>Attributes</h3>
          <dl className="graph-facts">
            {node.attributes.map((a) => (
              <div key={a.name}>
                <dt>{a.name}</dt>
                <dd>
                  <code>{attributeValue(node, a.name, a.value)}</code>
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <h3>Inputs</h3>
      <ul className="graph-tensors">
        {node.inputs.map((name, i) => (
          <Tensor
            key={`${i}:${name}`}
            model={model}
            index={index}
            nodeId={id}
            name={name}
            changes={changes}
          />
        ))}
      </ul>
      <h3>Outputs</h3>
      <ul className="graph-tensors">
        {node.outputs.map((name, i) => (
          <Tensor key={`${i}:${name}`} model={model} index={index} nodeId={id} name={name} />
        ))}
      </ul>
      {node.subgraphs && (
        <p className="muted">
          Holds {node.subgraphs.map((s) => `${s.attribute} (${bodySize(s.graph)})`).join(', ')}. Double-click
          the node, or press Enter, to expand or collapse it.
        </p>
      )}
    </section>
  );
}
