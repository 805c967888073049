/**
 * The Model view: headline numbers, the model's inputs and outputs, which operators it uses (chart and
 * table), where its weight bytes go by dtype, its largest tensors, and whether it keeps data externally.
 */
import { type ReactNode, useEffect, useId, useMemo, useState } from 'react';
import { cacheGroups, layerRangeName } from '../../../shared/input-groups.js';
import { kvCacheFacts, kvCacheLabel } from '../../../shared/kv-cache-facts.js';
import {
  externalDataPlace,
  type LargestTensor,
  type ModelSummary,
  type TensorSummary,
} from '../../../shared/model-summary.js';
import { allOpCounts, DtypeBytesChart, OpHistogramChart } from '../charts/model-charts.js';
import { baseName, formatBytes, formatCount, formatDomain, formatExact, formatShape } from '../format.js';

export function ModelSummaryView({ summary }: { summary: ModelSummary }) {
  const weightBytes = Object.values(summary.parameterBytes).reduce((sum, b) => sum + b, 0);
  const opsets = Object.entries(summary.opsets)
    .map(([domain, version]) => `${formatDomain(domain)} ${version}`)
    .join(', ');
  const producer = [summary.producer.name, summary.producer.version].filter(Boolean).join(' ') || 'unknown';
  // The view is in the DOM: the end of "open a model" in DevTools' timeline (see use-studio's marks).
  useEffect(() => {
    performance.mark('studio:model-view-shown');
  }, [summary]);

  return (
    <article className="summary" aria-labelledby="summary-title">
      <header>
        <h1 id="summary-title">{baseName(summary.path)}</h1>
        <p className="muted path" title={summary.path}>
          {summary.path}
        </p>
      </header>

      <dl className="stats">
        <Stat label="File size" value={formatBytes(summary.fileBytes)} />
        {summary.externalDataBytes > 0 && (
          <Stat label="External data" value={formatBytes(summary.externalDataBytes)} />
        )}
        <Stat
          label="Nodes (main graph)"
          value={formatExact(summary.nodes)}
          title="Subgraph bodies (If, Loop, Scan) not counted: the Graph view counts them"
        />
        <Stat
          label="Parameters"
          value={formatCount(summary.parameters)}
          title={formatExact(summary.parameters)}
        />
        <Stat label="Weights" value={formatBytes(weightBytes)} />
        <Stat label="Opsets" value={opsets || 'none'} />
        <Stat label="IR version" value={String(summary.irVersion)} />
        <Stat label="Producer" value={producer} />
      </dl>

      <ExternalDataNote summary={summary} />

      <KvCacheNote inputs={summary.inputs} />
      {/* Keyed by the model: another model's lists start closed. */}
      <TensorTable key={`inputs:${summary.path}`} caption="Inputs" tensors={summary.inputs} noun="inputs" />
      <TensorTable
        key={`outputs:${summary.path}`}
        caption="Outputs"
        tensors={summary.outputs}
        noun="outputs"
      />

      <div className="chart-grid">
        <OpHistogramChart opCounts={summary.opCounts} subgraphOpCounts={summary.subgraphOpCounts} />
        <DtypeBytesChart parameterBytes={summary.parameterBytes} />
      </div>

      <OpCountTable
        opCounts={summary.opCounts}
        subgraphOpCounts={summary.subgraphOpCounts}
        nodes={summary.nodes}
      />
      <DtypeTable parameterBytes={summary.parameterBytes} />
      <LargestTensorsTable tensors={summary.largestTensors} />
    </article>
  );
}

function Stat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd title={title}>{value}</dd>
    </div>
  );
}

/**
 * A decoder exported with a KV cache says so above its inputs, from the facts inspect's `KV cache` lines say
 * (shared/kv-cache-facts.ts): its cache inputs, and that every job starts from an empty past unless the input spec
 * sets the past length. Nothing for another model.
 */
export function KvCacheNote({ inputs }: { inputs: readonly TensorSummary[] }) {
  // The decode step's check guesses the spec a few times: once per model, not per render.
  const facts = useMemo(() => kvCacheFacts(inputs), [inputs]);
  if (!facts) return null;
  const past = facts.pastLength;
  const n = facts.cacheInputs;
  return (
    <p className="note" data-testid="kv-cache-note">
      Decoder with a KV cache: {n} cache input{n === 1 ? '' : 's'} (<code>{kvCacheLabel(facts)}</code>);{' '}
      {past === undefined ? (
        <>no dim reads as the past length: set the cache inputs&apos; shapes in the input spec.</>
      ) : (
        <>
          every job starts from{' '}
          {past.guess === 0 ? 'an empty past (the first step)' : `a past of ${past.guess}`} unless the input
          spec sets{' '}
          {past.dim !== undefined ? (
            <code>{past.dim}</code>
          ) : (
            `its length (dim ${past.axis} of the cache inputs)`
          )}
          .
        </>
      )}
    </p>
  );
}

/**
 * A model's inputs or outputs. A decoder exported with a KV cache has two cache inputs and two cache outputs per
 * layer, all alike: a 32-layer model listed 64 of each. Alike cache tensors (shared/input-groups.ts: 3 or more of
 * one dtype and declared shape) are one row, `past_key_values.0..31.key/value (64 inputs)`, whose button lists
 * its members below it. `open`: the groups shown open at first, by their first member's name (tests).
 */
export function TensorTable({
  caption,
  tensors,
  noun,
  open: openAtFirst = [],
}: {
  caption: string;
  tensors: readonly TensorSummary[];
  noun: 'inputs' | 'outputs';
  open?: readonly string[];
}) {
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set(openAtFirst));
  const idBase = useId();
  const groups = cacheGroups(tensors, (t) => JSON.stringify([t.dtype, t.shape, t.rankUnknown === true]));
  const toggle = (name: string) =>
    setOpen((was) => {
      const next = new Set(was);
      if (!next.delete(name)) next.add(name);
      return next;
    });
  // A group's members are a tbody of their own, right under its row: what its button shows and hides.
  const bodies: ReactNode[] = [];
  let rows: ReactNode[] = [];
  groups.forEach((group, k) => {
    const first = group[0]!;
    if (group.length === 1) {
      rows.push(<TensorRow key={first.name} tensor={first} />);
      return;
    }
    const id = `${idBase}-group-${k}`;
    const shown = open.has(first.name);
    const names = group.map((t) => t.name);
    rows.push(
      <tr key={first.name} data-testid="tensor-group">
        <td>
          <code>{layerRangeName(names)}</code>{' '}
          {/* The count and its button wrap as one: `(8` above `inputs)` read as two things. */}
          <span style={{ whiteSpace: 'nowrap' }}>
            <span className="muted">
              ({group.length} {noun})
            </span>{' '}
            <button
              type="button"
              className="small"
              aria-expanded={shown}
              aria-controls={id}
              onClick={() => toggle(first.name)}
            >
              {shown ? 'Hide' : `List all ${group.length}`}
            </button>
          </span>
        </td>
        <td>{first.dtype}</td>
        <td>
          <code>{shapeText(first)}</code>
        </td>
      </tr>,
    );
    bodies.push(<tbody key={`rows-${k}`}>{rows}</tbody>);
    rows = [];
    bodies.push(
      <tbody key={id} id={id} hidden={!shown} data-testid="tensor-group-members">
        {group.map((t) => (
          <TensorRow key={t.name} tensor={t} member />
        ))}
      </tbody>,
    );
  });
  if (rows.length > 0) bodies.push(<tbody key="rows-end">{rows}</tbody>);
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Shape</th>
        </tr>
      </thead>
      {tensors.length === 0 ? (
        <tbody>
          <tr>
            <td colSpan={3} className="muted">
              None
            </td>
          </tr>
        </tbody>
      ) : (
        bodies
      )}
    </table>
  );
}

/** An empty shape is a scalar's only where the model declares one. */
const shapeText = (t: TensorSummary) => (t.rankUnknown ? 'no shape declared' : formatShape(t.shape));

/** One tensor's row; a group's `member`, indented under the group's row. */
function TensorRow({ tensor: t, member = false }: { tensor: TensorSummary; member?: boolean }) {
  return (
    <tr>
      <td style={member ? { paddingLeft: '2.5em' } : undefined}>
        <code>{t.name}</code>
      </td>
      <td>{t.dtype}</td>
      <td>
        <code>{shapeText(t)}</code>
      </td>
    </tr>
  );
}

function OpCountTable({
  opCounts,
  subgraphOpCounts = {},
  nodes,
}: {
  opCounts: Record<string, number>;
  subgraphOpCounts?: Record<string, number>;
  nodes: number;
}) {
  const withBodies = Object.keys(subgraphOpCounts).length > 0;
  // Most frequent first (bodies included, as in the chart); ties alphabetically so the order is stable.
  const rows = Object.entries(allOpCounts(opCounts, subgraphOpCounts)).sort(
    ([a, x], [b, y]) => y - x || a.localeCompare(b),
  );
  return (
    <table>
      <caption>
        {withBodies ? 'Operators (main graph, and inside If/Loop/Scan bodies)' : 'Operators (main graph)'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Op type</th>
          <th scope="col" className="num">
            {withBodies ? 'Main graph' : 'Count'}
          </th>
          <th scope="col" className="num">
            {withBodies ? 'Share of main-graph nodes' : 'Share of nodes'}
          </th>
          {withBodies && (
            <th scope="col" className="num">
              In bodies
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {rows.map(([op]) => {
          const count = opCounts[op] ?? 0;
          return (
            <tr key={op}>
              <td>{op}</td>
              <td className="num">{formatExact(count)}</td>
              <td className="num">{nodes > 0 ? `${((count / nodes) * 100).toFixed(1)}%` : '–'}</td>
              {withBodies && <td className="num">{formatExact(subgraphOpCounts[op] ?? 0)}</td>}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ExternalDataNote({ summary }: { summary: ModelSummary }) {
  if (summary.externalDataBytes <= 0) {
    return (
      <p className="muted note" data-testid="external-data">
        External data: none. Every weight is stored inside the .onnx file.
      </p>
    );
  }
  const total = summary.fileBytes + summary.externalDataBytes;
  const share = `${formatBytes(summary.externalDataBytes)} of weights (${((summary.externalDataBytes / total) * 100).toFixed(0)}% of ${formatBytes(total)})`;
  // A summary saved before the files were listed names none; opening the model again lists them.
  const files = summary.externalDataFiles;
  if (!files || files.length === 0) {
    return (
      <p className="note" data-testid="external-data">
        External data: {share} live in files the model names relative to its own folder. Copy them along with
        the model, to the same places relative to it; exported variants carry their own.
      </p>
    );
  }
  const one = files.length === 1;
  return (
    <section className="external-data" data-testid="external-data">
      <p className="note">
        External data: {share} live in {one ? 'one file' : `${files.length} files`}{' '}
        {externalDataPlace(files.map((f) => f.location))}. Copy {one ? 'it' : 'them'} along with the model, to
        the same {one ? 'place' : 'places'} relative to it; exported variants carry their own.
      </p>
      <table data-testid="external-data-files">
        <caption>External data files</caption>
        <thead>
          <tr>
            <th scope="col">Location (relative to the model)</th>
            <th scope="col" className="num">
              Tensors
            </th>
            <th scope="col" className="num">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.location}>
              <td>
                <code>{f.location}</code>
              </td>
              <td className="num">{formatExact(f.tensors)}</td>
              <td className="num" title={`${formatExact(f.bytes)} bytes`}>
                {formatBytes(f.bytes)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function DtypeTable({ parameterBytes }: { parameterBytes: Record<string, number> }) {
  const rows = Object.entries(parameterBytes).sort(([, a], [, b]) => b - a);
  const total = rows.reduce((sum, [, b]) => sum + b, 0);
  return (
    <table>
      <caption>Parameter bytes by dtype</caption>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col" className="num">
            Bytes
          </th>
          <th scope="col" className="num">
            Share
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={3} className="muted">
              No weights
            </td>
          </tr>
        ) : (
          rows.map(([dtype, bytes]) => (
            <tr key={dtype}>
              <td>{dtype}</td>
              <td className="num" title={`${formatExact(bytes)} bytes`}>
                {formatBytes(bytes)}
              </td>
              <td className="num">{total > 0 ? `${((bytes / total) * 100).toFixed(1)}%` : '–'}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

function LargestTensorsTable({ tensors }: { tensors: LargestTensor[] }) {
  return (
    <table>
      <caption>Largest tensors</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Shape</th>
          <th scope="col" className="num">
            Size
          </th>
        </tr>
      </thead>
      <tbody>
        {tensors.length === 0 ? (
          <tr>
            <td colSpan={4} className="muted">
              No constant tensors
            </td>
          </tr>
        ) : (
          tensors.map((t) => (
            <tr key={t.name}>
              <td>
                <code>{t.name}</code>
              </td>
              <td>{t.dtype}</td>
              <td>
                <code>{formatShape(t.shape)}</code>
              </td>
              <td className="num">{formatBytes(t.bytes)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
