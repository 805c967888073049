/**
 * Auto-optimize in the Optimize view: a tune job (the search of `onnx-studio tune`) on the experiment's data,
 * with the budget and objective from a form derived from the tune options' declaration (the method catalog's
 * `tune` fields). Its trials stream in through the workspace's `tunes` record: a Pareto chart with the budget as
 * a line, a table of trials, the sensitivity table, and the chosen variant, an ordinary variant of the workspace.
 */
import { useMemo, useState } from 'react';
import type { MethodCatalog } from '../../../shared/method-catalog-types.js';
import { SchemaForm } from '../forms/schema-form.js';
import { initialValues, toOptions, validate, type FormValues } from '../forms/schema-fields.js';
import { isActive } from '../state/studio-state.js';
import type { Studio } from '../state/use-studio.js';
import { SweepResults } from './sweep-results.js';
import { TuneResult } from './tune-result.js';

/** The form starts with a budget the sample meets, so Start works at once; the user changes it. */
const PRESET = { maxAccuracyDrop: 0.5, maxTrials: 8 };
/** Fields the panel shows; the rest (provider, threads, iterations...) keep their defaults in the app. */
const SHOWN = ['maxAccuracyDrop', 'minCosine', 'objective', 'maxTrials', 'timeLimit', 'allowPruning'];

export function AutoOptimizePanel({
  studio,
  catalog,
  ready,
  hasEvaluationData,
  prepareData,
}: {
  studio: Studio;
  catalog: MethodCatalog | undefined;
  ready: boolean;
  /** Whether "2. Data" above holds usable evaluation data. */
  hasEvaluationData: boolean;
  /** Checks that data and keeps it as the experiment's; false when it cannot be used (the form says why). */
  prepareData: () => Promise<boolean>;
}) {
  const fields = useMemo(() => (catalog?.tune ?? []).filter((f) => SHOWN.includes(f.name)), [catalog]);
  const [values, setValues] = useState<FormValues | undefined>(undefined);
  const form = values ?? initialValues(fields, PRESET);
  const errors = validate(fields, form);
  const records = studio.state.workspace?.tunes ?? [];
  const latest = records.at(-1);
  const job = latest ? studio.state.jobs.find((j) => j.jobId === latest.jobId) : undefined;
  const running = latest?.status === 'running' && (!job || isActive(job));
  const [starting, setStarting] = useState(false);
  const start = async () => {
    setStarting(true);
    try {
      if (await prepareData()) await studio.actions.tune(toOptions(fields, form));
    } finally {
      setStarting(false);
    }
  };
  return (
    <section className="auto-optimize" aria-labelledby="auto-optimize-title" data-testid="auto-optimize">
      <h3 id="auto-optimize-title">Auto-optimize</h3>
      <p className="muted">
        Finds the fastest (or smallest) variant within an accuracy budget: int8-static with each calibration,
        int8-dynamic, int4, fp16 where they suit the model, then the most sensitive nodes back in float until
        the budget holds. Give one budget: an accuracy drop (needs a labelled test set) or a minimum output
        cosine.
      </p>
      {!hasEvaluationData && (
        <p className="muted">
          Fill in the evaluation data above (2. Data) first: every trial is measured on it, and int8-static
          calibrates on the calibration data.
        </p>
      )}
      <SchemaForm idPrefix="tune" fields={fields} values={form} errors={errors} onChange={setValues} />
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={!ready || !hasEvaluationData || running || starting || Object.keys(errors).length > 0}
          onClick={() => void start()}
        >
          Start Auto-optimize
        </button>
        {running && job && (
          <button type="button" onClick={() => void studio.actions.cancel(job.jobId)}>
            Cancel Auto-optimize
          </button>
        )}
      </div>
      {latest && <TuneResult record={latest} studio={studio} />}
      <SweepResults />
    </section>
  );
}
