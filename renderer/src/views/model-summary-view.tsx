/**
 * The Model view: headline numbers, the model's inputs and outputs, which operators it uses (chart and
 * table), where its weight bytes go by dtype, its largest tensors, and whether it keeps data externally.
 */
import { useEffect } from 'react';
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

      <TensorTable caption="Inputs" tensors={summary.inputs} />
      <TensorTable caption="Outputs" tensors={summary.outputs} />

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

function TensorTable({ caption, tensors }: { caption: string; tensors: TensorSummary[] }) {
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
      <tbody>
        {tensors.length === 0 ? (
          <tr>
            <td colSpan={3} className="muted">
              None
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
                {/* An empty shape is a scalar's only where the model declares one. */}
                <code>{t.rankUnknown ? 'no shape declared' : formatShape(t.shape)}</code>
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
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
