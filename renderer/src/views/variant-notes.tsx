/**
 * What the quantizer or pruner said when it made a variant: its notes ("3 nonzero weight values are too small
 * for float16 and became 0."), the channels each layer kept, the channel groups it left alone and the nodes it
 * left in float, each with the reason. Read from the variant's report in the workspace (`variant.report`), not
 * from the job that made it: a job row is gone after a reload or in another tab, the workspace is not.
 */
import type { ReactNode } from 'react';
import type { PruneReportInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import { formatExact } from '../format.js';

type Report = QuantizeReportInfo | PruneReportInfo;

const isPrune = (r: Report): r is PruneReportInfo => 'layers' in r;

/** Long lists fold away; short ones are shown open (the note "listed with the reason" points at them). */
const OPEN_UP_TO = 8;

function Folded({ open, summary, children }: { open: boolean; summary: string; children: ReactNode }) {
  return (
    <details open={open}>
      <summary>{summary}</summary>
      {children}
    </details>
  );
}

function PrunedLayers({ report }: { report: PruneReportInfo }) {
  const layers = report.layers;
  if (layers.length === 0) return null;
  const removed = layers.reduce((s, l) => s + l.removed, 0);
  const total = layers.reduce((s, l) => s + l.total, 0);
  const unit = layers.every((l) => l.unit === 'channels') ? 'channels' : 'weights';
  return (
    <Folded
      open={false}
      summary={`${unit === 'channels' ? 'Channels' : 'Weights'} per layer: ${layers.length} layers, ${formatExact(removed)} of ${formatExact(total)} ${unit} removed`}
    >
      <table className="variant-notes-layers" data-testid="variant-notes-layers">
        <thead>
          <tr>
            <th scope="col">Layer</th>
            <th scope="col">Op</th>
            <th scope="col">Before → after</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l) => (
            <tr key={`${l.name}:${l.weight ?? ''}`}>
              <td>
                <code>{l.name}</code>
              </td>
              <td>{l.opType}</td>
              <td>
                {formatExact(l.total)} → {formatExact(l.total - l.removed)} {l.unit}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Folded>
  );
}

function Reasons({
  title,
  rows,
  testId,
}: {
  title: string;
  rows: { key: string; name: string; what: string; reason: string }[];
  testId: string;
}) {
  if (rows.length === 0) return null;
  return (
    <Folded open={rows.length <= OPEN_UP_TO} summary={`${title} (${rows.length})`}>
      <ul data-testid={testId}>
        {rows.map((r) => (
          <li key={r.key}>
            <code>{r.name}</code> ({r.what}): {r.reason}
          </li>
        ))}
      </ul>
    </Folded>
  );
}

export function VariantNotes({ report }: { report: Report | undefined }) {
  if (!report) return null;
  const prune = isPrune(report) ? report : undefined;
  const quantize = isPrune(report) ? undefined : report;
  const leftAlone = (prune?.skipped ?? []).map((s, i) => ({
    key: `${i}:${s.name}`,
    name: s.name,
    what: s.channels !== undefined ? `${s.opType}, ${formatExact(s.channels)} channels` : s.opType,
    reason: s.reason,
  }));
  const inFloat = (quantize?.skippedNodes ?? []).map((s, i) => ({
    key: `${i}:${s.name}`,
    name: s.name,
    what: s.opType,
    // The option that changes it, unless the reason names it already ("--quantize-input-conv quantizes it anyway").
    reason: s.option && !s.reason.includes(s.option) ? `${s.reason} (${s.option})` : s.reason,
  }));
  const notes = report.notes ?? [];
  if (notes.length === 0 && leftAlone.length === 0 && inFloat.length === 0 && !prune?.layers.length)
    return null;
  return (
    <section className="variant-notes" aria-label="What making it reported" data-testid="variant-notes">
      <h3>What the {report.method} step reported</h3>
      {notes.length > 0 && (
        <ul data-testid="variant-notes-list">
          {notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {prune && <PrunedLayers report={prune} />}
      <Reasons title="Left alone by the pruner" rows={leftAlone} testId="variant-notes-left-alone" />
      <Reasons title="Nodes left in float" rows={inFloat} testId="variant-notes-float" />
    </section>
  );
}
