/**
 * Compare's browser benchmark: onnxruntime-web (WebGPU or WebAssembly) timing the chosen models in this page.
 * The run shows in the panel itself: how far it is, with Cancel; then a line with each model's p50 that says
 * the figures are on the latency chart, which it switches to them (and a button to show them again there), and
 * each model that could not run, with its error (the others are measured all the same).
 */
import { useEffect, useId, useRef, useState } from 'react';
import { ProgressBar } from '../components/progress-bar.js';
import type { JobRecord, MeasurementSource } from '../state/studio-state.js';
import type { Studio } from '../state/use-studio.js';
import { webBenchFailureLines } from '../state/web-bench-record.js';
import {
  probeWebProviders,
  type WebBenchReport,
  type WebProvider,
  type WebProviderStatus,
} from '../webbench/ort-web-bench.js';

/** The newest browser benchmark of this model (jobs are kept newest last). */
export function latestWebBench(
  jobs: readonly JobRecord[],
  modelPath: string | undefined,
): JobRecord | undefined {
  return [...jobs].reverse().find((j) => j.kind === 'web-bench' && j.modelPath === modelPath);
}

export type WebBenchLine =
  | { kind: 'running'; text: string; fraction: number }
  /** `failures`: the models that could not run, each with its error (the others were measured). */
  | { kind: 'done'; text: string; source: MeasurementSource; failures?: string[] }
  | { kind: 'failed'; text: string }
  | { kind: 'cancelled'; text: string };

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** What the panel says of a browser benchmark job; `names` gives each target's display name. */
export function webBenchLine(job: JobRecord, names: (target: string) => string): WebBenchLine {
  const provider = job.measurement?.provider ?? 'wasm';
  const label = `onnxruntime-web · ${provider}`;
  switch (job.status) {
    case 'queued':
    case 'running': {
      const pct = Math.round(Math.max(0, Math.min(1, job.fraction)) * 100);
      const stage = job.cancelRequested ? 'cancelling' : job.stage || 'starting';
      return {
        kind: 'running',
        text: `Measuring in this page (${provider}): ${stage}, ${pct}%`,
        fraction: job.fraction,
      };
    }
    case 'done': {
      const report = (job.result as { report?: WebBenchReport } | undefined)?.report;
      const results = report?.results ?? [];
      const figures = results
        .map((r, i) => `${names(job.targets[r.index ?? i] ?? r.model)} ${ms(r.p50Ms)} ms`)
        .join(', ');
      const failures = webBenchFailureLines(report?.failures ?? [], provider, (f) =>
        names(job.targets[f.index] ?? f.model),
      );
      const count = job.targets.length;
      const measured =
        failures.length > 0
          ? `Partly failed: ${results.length} of ${count} models measured`
          : `Done: ${count} ${count === 1 ? 'model' : 'models'} measured`;
      return {
        kind: 'done',
        text: `${measured}${figures ? ` (p50: ${figures})` : ''}. The latency chart below shows ${results.length === 1 ? 'it' : 'them'} as "${label}".`,
        source: { engine: 'onnxruntime-web', provider },
        ...(failures.length > 0 ? { failures } : {}),
      };
    }
    case 'failed':
      return {
        kind: 'failed',
        text: `The browser benchmark failed: ${job.error?.message ?? 'no reason was given.'}`,
      };
    case 'cancelled':
      return { kind: 'cancelled', text: 'The browser benchmark was cancelled: nothing was recorded.' };
  }
}

export function WebBenchPanel({
  studio,
  chosen,
  inputsReady,
  onShowLatency,
}: {
  studio: Studio;
  /** The targets to measure (Compare's "Variants to measure"). */
  chosen: string[];
  inputsReady: boolean;
  /** Switches the latency chart to these figures. */
  onShowLatency: (source: MeasurementSource) => void;
}) {
  const { actions, state, variants } = studio;
  const id = useId();
  const [webProviders, setWebProviders] = useState<WebProviderStatus[] | null>(null);
  const [webProvider, setWebProvider] = useState<WebProvider>('wasm');
  const [webIterations, setWebIterations] = useState('100');
  // The job this panel started (the newest web benchmark after its click): its end switches the chart once.
  const startedAt = useRef<number | null>(null);
  const switchedFor = useRef<string | null>(null);

  useEffect(() => {
    let live = true;
    void probeWebProviders().then((statuses) => {
      if (!live) return;
      setWebProviders(statuses);
      if (statuses.some((s) => s.provider === 'webgpu' && s.available)) setWebProvider('webgpu');
    });
    return () => {
      live = false;
    };
  }, []);

  const job = latestWebBench(state.jobs, state.model?.path);
  const names = (target: string) => variants.find((v) => v.id === target)?.label ?? target;
  const line = job ? webBenchLine(job, names) : undefined;
  const running = line?.kind === 'running';

  const showLatency = (source: MeasurementSource) => {
    onShowLatency(source);
    document
      .querySelector('[data-testid="chart-latency"]')
      ?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  };
  useEffect(() => {
    if (!job || line?.kind !== 'done' || startedAt.current === null) return;
    if (job.submittedAtMs < startedAt.current || switchedFor.current === job.jobId) return;
    switchedFor.current = job.jobId;
    onShowLatency(line.source);
  }, [job?.jobId, line?.kind]);

  const webIterationsN = Number(webIterations);
  const webValid = Number.isInteger(webIterationsN) && webIterationsN >= 1;
  const selectedWeb = webProviders?.find((p) => p.provider === webProvider);

  return (
    <fieldset data-testid="web-bench-panel">
      <legend>Browser benchmark</legend>
      <p className="field-hint">onnxruntime-web, in this page.</p>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-web`}>Provider</label>
          <select
            id={`${id}-web`}
            value={webProvider}
            onChange={(e) => setWebProvider(e.target.value as WebProvider)}
          >
            {(webProviders ?? []).map((p) => (
              <option key={p.provider} value={p.provider} disabled={!p.available}>
                {p.provider}
                {p.available ? '' : ' (unavailable)'}
              </option>
            ))}
          </select>
        </div>
        <div className="field narrow">
          <label htmlFor={`${id}-web-runs`}>Runs</label>
          <input
            id={`${id}-web-runs`}
            type="text"
            inputMode="numeric"
            value={webIterations}
            onChange={(e) => setWebIterations(e.target.value)}
          />
        </div>
      </div>
      {webProviders === null && <p className="field-hint">Checking WebGPU and WebAssembly…</p>}
      {(webProviders ?? [])
        .filter((p) => !p.available)
        .map((p) => (
          <p key={p.provider} className="field-hint" data-testid={`web-unavailable-${p.provider}`}>
            <strong>{p.provider} unavailable:</strong> {p.reason}
          </p>
        ))}
      {selectedWeb?.available && selectedWeb.detail && (
        <p className="field-hint">Using {selectedWeb.detail}.</p>
      )}
      <button
        type="button"
        disabled={!webValid || chosen.length === 0 || !selectedWeb?.available || !inputsReady || running}
        onClick={() => {
          startedAt.current = Date.now();
          void actions.webBenchmark(chosen, {
            provider: webProvider,
            iterations: webIterationsN,
            warmup: 10,
          });
        }}
      >
        Run in this browser ({webProvider})
      </button>
      {job && line && (
        <div className="web-bench-status" role="status" data-testid="web-bench-status" data-state={line.kind}>
          {line.kind === 'running' && (
            <>
              <ProgressBar fraction={line.fraction} label="Browser benchmark progress" />
              <p className="field-hint">
                {line.text}{' '}
                <button
                  type="button"
                  className="small"
                  disabled={job.cancelRequested}
                  onClick={() => void actions.cancel(job.jobId)}
                >
                  Cancel
                </button>
              </p>
            </>
          )}
          {line.kind === 'done' && (
            <p className="field-hint">
              {line.text}{' '}
              <button type="button" className="small" onClick={() => showLatency(line.source)}>
                Show on the latency chart
              </button>
            </p>
          )}
          {line.kind === 'done' &&
            line.failures?.map((failure) => (
              <p key={failure} className="field-error" data-testid="web-bench-model-failed">
                {failure}
              </p>
            ))}
          {(line.kind === 'failed' || line.kind === 'cancelled') && (
            <p className={line.kind === 'failed' ? 'field-error' : 'field-hint'}>{line.text}</p>
          )}
        </div>
      )}
    </fieldset>
  );
}
