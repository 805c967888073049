/** A variant's diff against the original as tables: counts by change, what was added, and the nodes that changed. */
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff } from '../../../shared/model-diff.js';
import { nodeChanged, precisionMove } from '../../../shared/node-precision.js';
import { formatBytes } from '../format.js';
import { CHANGE_COLORS } from './overlays.js';
import { shrunkWeightCount } from './pruned-channels.js';

const ROWS = 200;

/**
 * `nodeIds[i]` is the node of the graph on screen that row `i` stands for: the original's node `i`, or on a
 * variant's graph the node it became (none for a removed node, which is then not a link). `pruned` says, by
 * the same ids, how many channels a node lost (the change overlay's `pruned`): such a node is 'kept' but
 * changed, so it is listed.
 */
export function DiffTable({
  diff,
  nodeIds,
  pruned,
  onShow,
}: {
  diff: VariantDiff;
  nodeIds: readonly (string | undefined)[];
  pruned?: ReadonlyMap<string, string>;
  onShow(id: string): void;
}) {
  const changed = diff.nodes.list
    .map((row, i) => {
      const id = nodeIds[i];
      return { row, key: String(i), id, channels: id === undefined ? undefined : pruned?.get(id) };
    })
    .filter(({ row, channels }) => nodeChanged(row) || channels);
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
              <th scope="col">Op</th>
              <th scope="col">Change</th>
              <th scope="col">Now</th>
              <th scope="col">Computes in</th>
            </tr>
          </thead>
          <tbody>
            {changed.slice(0, ROWS).map(({ row, key, id, channels }) => (
              <tr key={key}>
                <td>
                  {id !== undefined ? (
                    <button type="button" className="link" onClick={() => onShow(id)}>
                      {row.name || `#${key}`}
                    </button>
                  ) : (
                    row.name || `#${key}`
                  )}
                </td>
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
