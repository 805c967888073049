/**
 * A cluster sweep's results in the app (`tune --emit`, then `trial` on the cluster): the folder is merged by the
 * backend as `onnx-studio tune --collect` does, and each machine's outcome is drawn like an Auto-optimize run.
 * Latency is compared only within one machine, so each machine gets its own chart and choice.
 */
import { useState } from 'react';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import type { CollectedSweep } from '../../../shared/sweep.js';
import type { TuneRecord } from '../../../shared/workspace.js';
import { PathField } from '../forms/path-field.js';
import { useHostContext } from '../host/host-context.js';
import { TuneResult } from './tune-result.js';

function asRecord(dir: string, outcome: CollectedSweep['machines'][number]['outcome']): TuneRecord {
  return {
    id: `sweep:${dir}`,
    jobId: '',
    startedAt: '',
    status: 'done',
    objective: outcome.objective,
    budget: outcome.budget,
    data: {
      evaluation: `the sweep's evaluation data (${dir})`,
      calibration: `the sweep's evaluation data (${dir})`,
    },
    original: outcome.original,
    trials: outcome.trials,
    outcome,
  };
}

export function SweepResults() {
  const { host } = useHostContext();
  const [dir, setDir] = useState('');
  const [sweep, setSweep] = useState<CollectedSweep | null>(null);
  const [error, setError] = useState<StudioErrorInfo | null>(null);
  const open = async () => {
    setError(null);
    const result = await host.collectSweep({ dir });
    if (result.ok) setSweep(result.value);
    else {
      setSweep(null);
      setError(result.error);
    }
  };
  return (
    <details className="sweep-results" data-testid="sweep-results">
      <summary>Open the results of a cluster sweep (onnx-studio tune --emit)</summary>
      <PathField
        label="Sweep folder"
        value={dir}
        onChange={setDir}
        picker={{ mode: 'folder' }}
        hint="The folder `tune --emit slurm|k8s` wrote; its results/ are merged as `tune --collect` does."
        testId="sweep-dir"
      />
      <button type="button" disabled={!dir} onClick={() => void open()}>
        Open sweep results
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      {sweep && (
        <div data-testid="sweep-summary">
          <p>
            {sweep.trials} trials, {sweep.trials - sweep.missing.length} finished
            {sweep.missing.length > 0
              ? `; missing (not run, running or killed): ${sweep.missing.join(', ')}`
              : ''}
            {sweep.failed.length > 0
              ? `; failed: ${sweep.failed.map((f) => `#${f.index} (${f.error})`).join(', ')}`
              : ''}
            .
          </p>
          {sweep.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
          {sweep.machines.map((m) => (
            <div key={`${m.machine.cpu}-${m.machine.cores}-${m.machine.ep}`}>
              <h4>
                Measured on {m.machine.cpu}, {m.machine.cores} cores, {m.machine.ep} ({m.machine.host})
              </h4>
              <TuneResult
                record={asRecord(sweep.dir, m.outcome)}
                {...(m.chosenVariant ? { chosenFile: m.chosenVariant } : {})}
              />
            </div>
          ))}
        </div>
      )}
    </details>
  );
}
