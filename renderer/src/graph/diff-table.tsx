/** A variant's diff against the original as tables: counts by change, what was added, and the nodes that changed. */
import { useMemo } from 'react';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff } from '../../../shared/model-diff.js';
import { walkGraphNodes, type GraphBody, type GraphNode } from '../../../shared/model-graph.js';
import { nodeChanged, precisionMove } from '../../../shared/node-precision.js';
import { formatBytes } from '../format.js';
import { CHANGE_COLORS } from './overlays.js';
import { shrunkWeightCount } from './pruned-channels.js';

const ROWS = 200;

/**
 * Where a body node sits, in words, from its Graph view id (`2/then_branch/0`) and the graph that id is of: the
 * node holding each body down to it, `If 'cond' then_branch`, an unnamed one by its index (`If #2 else_branch`),
 * nested bodies joined by ' › '. Undefined for a main-graph node, or where the graph has no such holder.
 */
export function bodyPlace(id: string, nodeAt: (id: string) => GraphNode | undefined): string | undefined {
  const parts = id.split('/');
  const places: string[] = [];
  for (let k = 0; k + 2 < parts.length; k += 2) {
    const holder = nodeAt(parts.slice(0, k + 1).join('/'));
    if (!holder) return undefined;
    // A Scan's or custom op's list of bodies: `branches.0` in ids, `branches[0]` as the CLI prints it.
    const attribute = parts[k + 1]!.replace(/\.(\d+)$/, '[$1]');
    places.push(`${holder.opType} ${holder.name ? `'${holder.name}'` : `#${parts[k]}`} ${attribute}`);
  }
  return places.length > 0 ? places.join(' › ') : undefined;
}

interface ListedRow {
  row: NodeDiff;
  key: string;
  /** The node of the graph on screen it stands for (none: not a link). */
  id: string | undefined;
  /** For a body node: where it sits. */
  place?: string;
  /** Its label where it has no name: its index in its graph. */
  index: string;
  channels: string | undefined;
}

/**
 * `nodeIds[i]` is the node of the graph on screen that row `i` stands for: the original's node `i`, or on a
 * variant's graph the node it became (none for a removed node, which is then not a link); `bodyIds` the same
 * for the rows of the If/Loop/Scan bodies (`subgraphList`, overlays.ts `bodyRowIds`), listed after the node
 * holding them with where they sit, named from `graph` (the graph on screen). `pruned` says, by the same ids,
 * how many channels a node lost (the change overlay's `pruned`): such a node is 'kept' but changed, so it is
 * listed.
 */
export function DiffTable({
  diff,
  nodeIds,
  bodyIds,
  graph,
  pruned,
  onShow,
}: {
  diff: VariantDiff;
  nodeIds: readonly (string | undefined)[];
  bodyIds?: readonly (string | undefined)[];
  graph?: GraphBody;
  pruned?: ReadonlyMap<string, string>;
  onShow(id: string): void;
}) {
  const nodes = useMemo(
    () => (graph ? new Map([...walkGraphNodes(graph)].map(({ node }) => [node.id, node])) : undefined),
    [graph],
  );
  const listed = (row: NodeDiff, id: string | undefined) =>
    nodeChanged(row) || (id !== undefined && pruned?.has(id));
  const main: ListedRow[] = diff.nodes.list.flatMap((row, i) => {
    const id = nodeIds[i];
    if (!listed(row, id)) return [];
    return [{ row, key: String(i), id, index: String(i), channels: id && pruned?.get(id) }];
  });
  // Body rows go after the main-graph node holding them (the first part of the original's id).
  const bodies = (diff.nodes.subgraphList ?? []).flatMap((row, i) => {
    const id = bodyIds?.[i];
    if (!listed(row, id)) return [];
    const parts = row.id?.split('/') ?? [];
    const place = (id !== undefined && nodes ? bodyPlace(id, (at) => nodes.get(at)) : undefined) ?? row.graph;
    const listedRow: ListedRow = {
      row,
      key: `body:${row.id ?? i}`,
      id,
      ...(place ? { place } : {}),
      index: parts.at(-1) ?? '',
      channels: id && pruned?.get(id),
    };
    return [{ listedRow, after: parts.length > 0 ? Number(parts[0]) : Infinity }];
  });
  bodies.sort((a, b) => a.after - b.after);
  const changed: ListedRow[] = [];
  let next = 0;
  main.forEach((row) => {
    while (next < bodies.length && bodies[next]!.after < Number(row.key))
      changed.push(bodies[next++]!.listedRow);
    changed.push(row);
  });
  changed.push(...bodies.slice(next).map((b) => b.listedRow));
  const inBodies = bodies.length > 0;
  const shrunk = shrunkWeightCount(diff);
  const other = Object.entries(diff.nodes.added.other).map(([op, n]) => `${n} ${op}`);
  return (
    <section className="graph-diff" aria-label="Changes against the original" data-testid="graph-diff">
      <h2>Changes against the original</h2>
      <p>
        {diff.nodes.original} nodes in the original's main graph, {diff.nodes.variant} in the variant's (
        {diff.nodes.originalWithSubgraphs} and {diff.nodes.variantWithSubgraphs} with subgraphs). Added:{' '}
        <span data-testid="graph-diff-qdq">{diff.nodes.added.quantizeDequantize} Q/DQ</span>,{' '}
        {diff.nodes.added.casts} Cast
        {other.length > 0 ? `, ${other.join(', ')}` : ''}. Weights {formatBytes(diff.weights.bytesBefore)} →{' '}
        {formatBytes(diff.weights.bytesAfter)}
        {shrunk > 0 && (
          <span data-testid="graph-diff-pruned">
            ; {shrunk} {shrunk === 1 ? 'weight' : 'weights'} lost channels (structured pruning: the nodes
            reading them are listed below with their channels before → after)
          </span>
        )}
        .
      </p>
      <table className="graph-diff-counts">
        <thead>
          <tr>
            {(Object.keys(diff.nodes.byChange) as (keyof typeof CHANGE_COLORS)[]).map((c) => (
              <th key={c} scope="col">
                <span className="legend-swatch" style={{ background: CHANGE_COLORS[c] }} /> {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {(Object.keys(diff.nodes.byChange) as (keyof typeof CHANGE_COLORS)[]).map((c) => (
              <td key={c} data-testid={`graph-diff-${c}`}>
                {diff.nodes.byChange[c]}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
      {changed.length > 0 && (
        <table className="graph-diff-nodes">
          <caption>
            Nodes that changed, lost channels or compute in another precision
            {changed.length > ROWS ? ` (the first ${ROWS} of ${changed.length})` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              {inBodies && <th scope="col">Where</th>}
              <th scope="col">Op</th>
              <th scope="col">Change</th>
              <th scope="col">Now</th>
              <th scope="col">Computes in</th>
            </tr>
          </thead>
          <tbody>
            {changed.slice(0, ROWS).map(({ row, key, id, place, index, channels }) => (
              <tr key={key}>
                <td>
                  {id !== undefined ? (
                    <button type="button" className="link" onClick={() => onShow(id)}>
                      {row.name || `#${index}`}
                    </button>
                  ) : (
                    row.name || `#${index}`
                  )}
                </td>
                {inBodies && <td>{place ?? 'main graph'}</td>}
                <td>{row.opType}</td>
                <td>{channels ? `${row.change}, channels pruned` : changeWords(row)}</td>
                <td>
                  {channels
                    ? row.change === 'kept'
                      ? channels
                      : `${row.variantOpType ?? row.fusedInto ?? '—'}; ${channels}`
                    : (row.variantOpType ?? row.fusedInto ?? '—')}
                </td>
                <td>{precisionMove(row, '→') ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * A row's change; a kept node upcast to float32 says so (it changed, though its op did not), in the CLI's words:
 * the next column says from what to what.
 */
const changeWords = (row: NodeDiff) => (row.change === 'kept' && row.upcast ? 'kept, upcast' : row.change);
