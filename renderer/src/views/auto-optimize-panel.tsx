/**
 * Auto-optimize in the Optimize view: a tune job (the search of `onnx-studio tune`) on the experiment's data,
 * with the budget and objective from a form derived from the tune options' declaration (the method catalog's
 * `tune` fields). Its trials stream in through the workspace's `tunes` record: a Pareto chart with the budget as
 * a line, a table of trials, the sensitivity table, and the chosen variant, an ordinary variant of the workspace.
 */
import { useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { canonicalJson } from '../../../shared/canonical-json.js';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { defaultDatasetName } from '../../../shared/experiment.js';
import type { MethodCatalog } from '../../../shared/method-catalog-types.js';
import { tuneCalibrates } from '../../../shared/tune.js';
import { SchemaForm } from '../forms/schema-form.js';
import { initialValues, toOptions, validate, type FormValues } from '../forms/schema-fields.js';
import { interruptedTune } from '../../../shared/pipeline-interruption.js';
import type { TuneRecord } from '../../../shared/workspace.js';
import { isActive, type JobRecord } from '../state/studio-state.js';
import type { Studio } from '../state/use-studio.js';
import { SweepResults } from './sweep-results.js';
import { TuneResult } from './tune-result.js';
import { HostContext } from '../host/host-context.js';
import { ErrorPanel, JOB_WHAT_TO_DO } from './error-panel.js';
import type { EvaluationLabels } from '../state/evaluation-labels.js';
import { GRADED_ON_OWN_IDS } from '../state/quality-words.js';

export type { EvaluationLabels };

/** The form starts with a budget the sample meets, so Start works at once; the user changes it. */
const PRESET = { maxAccuracyDrop: 0.5, maxTrials: 8 };
/**
 * Without labels accuracy cannot be measured (the engine refuses an accuracy budget at once: "An accuracy
 * budget needs labels"), so the budget is the outputs' cosine to the original's. A language model's real ids
 * are its labels (`own-ids`: next-token accuracy), so it keeps the accuracy budget.
 */
const UNLABELLED_PRESET = { minCosine: 0.99, maxTrials: 8 };
/** The budget fields' text for each case, put back when the labels of the data change. */
const BUDGET_TEXT = {
  labelled: { maxAccuracyDrop: String(PRESET.maxAccuracyDrop), minCosine: '' },
  unlabelled: { maxAccuracyDrop: '', minCosine: String(UNLABELLED_PRESET.minCosine) },
};
/** Said where the evaluation data has no labels but a language model's own ids grade it. */
export const OWN_IDS_BUDGET =
  `The evaluation data above has no labels: ${GRADED_ON_OWN_IDS}. ` +
  'An accuracy-drop budget is in points of that next-token accuracy.';

/** Fields the panel shows; the rest (provider, threads, iterations...) keep their defaults in the app. */
const SHOWN = ['maxAccuracyDrop', 'minCosine', 'objective', 'maxTrials', 'timeLimit', 'allowPruning'];

/**
 * The latest run as the panel shows it: as recorded, except a run still recorded running whose job ONNX Studio
 * stopped (the page learned that `serve` is stopping, before anything can be read back), which reads interrupted
 * as serve records it (shared/pipeline-interruption.ts): not "Searching…" with nothing running.
 */
export function shownTuneRun(
  record: TuneRecord | undefined,
  job: Pick<JobRecord, 'status' | 'interrupted' | 'finishedAtMs'> | undefined,
): TuneRecord | undefined {
  if (record?.status !== 'running' || job?.status !== 'cancelled' || !job.interrupted) return record;
  return interruptedTune(record, job.interrupted, new Date(job.finishedAtMs ?? Date.now()).toISOString());
}

/**
 * The name of the calibration data Auto-optimize will calibrate on, by the tune job's rule (tune-job.ts): the
 * Calibration data of "2. Data" (kept as the experiment's when Start checks it, under its saved name while
 * its spec is unchanged), else the one the experiment kept from before; undefined when neither (the job then
 * calibrates on the evaluation data).
 */
export function tuneCalibrationName(
  form: DatasetSpecInput | undefined,
  saved: { name: string; spec: DatasetSpecInput } | undefined,
): string | undefined {
  if (!form) return saved?.name;
  return saved && canonicalJson(saved.spec) === canonicalJson(form) ? saved.name : defaultDatasetName(form);
}

/**
 * Which calibration data the run will read, said before Start: int8-static (and the fallbacks built on it) is
 * tried wherever the model has a Conv, MatMul or Gemm in its main graph (shared/tune.ts `tuneCalibrates`), whether
 * or not an int8-static recipe is ticked above.
 */
function CalibrationLine({ calibrates, name }: { calibrates: boolean; name: string | undefined }) {
  if (!calibrates)
    return name === undefined ? null : (
      <p className="field-hint" data-testid="tune-calibration">
        No recipe Auto-optimize tries on this model calibrates: it does not read the calibration data.
      </p>
    );
  return (
    <p className="field-hint" data-testid="tune-calibration">
      {name !== undefined ? (
        <>
          Its int8-static trials calibrate on <strong>{name}</strong> (Calibration data in 2. Data).
        </>
      ) : (
        <>
          Its int8-static trials calibrate on the evaluation data, as 2. Data gives no calibration data: their
          figures may flatter them. Give separate calibration data in 2. Data.
        </>
      )}
    </p>
  );
}

export function AutoOptimizePanel({
  studio,
  catalog,
  ready,
  hasEvaluationData,
  evaluationLabels = 'unknown',
  prepareData,
  checkProgress,
  dataCheckRunning,
  calibrationName,
}: {
  studio: Studio;
  catalog: MethodCatalog | undefined;
  ready: boolean;
  /** Whether "2. Data" above holds usable evaluation data. */
  hasEvaluationData: boolean;
  /**
   * Whether that data has labels: without them only the output-cosine budget is offered, unless a language
   * model's own ids grade it (`own-ids`).
   */
  evaluationLabels?: EvaluationLabels;
  /** Checks that data and keeps it as the experiment's; false when it cannot be used (the form says why). */
  prepareData: () => Promise<boolean>;
  /** The data check's progress and Cancel while Start waits for it. */
  checkProgress?: ReactNode;
  /** A data check runs (this panel's or the Queue button's): one at a time, so Start waits for it. */
  dataCheckRunning?: boolean;
  /** The calibration data the run will use (tuneCalibrationName); undefined: none, the evaluation data is. */
  calibrationName?: string | undefined;
}) {
  const model = studio.state.model;
  const calibrates = model ? tuneCalibrates(model) : false;
  const unlabelled = evaluationLabels === 'none';
  const fields = useMemo(
    () =>
      (catalog?.tune ?? []).filter(
        (f) => SHOWN.includes(f.name) && !(unlabelled && f.name === 'maxAccuracyDrop'),
      ),
    [catalog, unlabelled],
  );
  const [values, setValues] = useState<FormValues | undefined>(undefined);
  // Data with labels and data without take different budgets: a change of data puts back the matching one,
  // keeping the user's other choices.
  useEffect(() => {
    setValues((v) => v && { ...v, ...BUDGET_TEXT[unlabelled ? 'unlabelled' : 'labelled'] });
  }, [unlabelled]);
  const form = values ?? initialValues(fields, unlabelled ? UNLABELLED_PRESET : PRESET);
  const errors = validate(fields, form);
  const options = toOptions(fields, form);
  const budgets = ['maxAccuracyDrop', 'minCosine'].filter((name) => options[name] !== undefined).length;
  const budgetProblem =
    budgets === 0
      ? unlabelled
        ? 'Give a minimum output cosine (e.g. 0.99).'
        : 'Give one budget: a max accuracy drop or a minimum output cosine.'
      : budgets > 1
        ? 'Give one budget, not both: clear the max accuracy drop or the minimum output cosine.'
        : undefined;
  // serve's connection: a run recorded running says so when it is lost, not "Searching…" until a reload.
  const connection = useContext(HostContext)?.connection;
  const records = studio.state.workspace?.tunes ?? [];
  const job =
    records.length > 0 ? studio.state.jobs.find((j) => j.jobId === records.at(-1)!.jobId) : undefined;
  const latest = shownTuneRun(records.at(-1), job);
  const running = latest?.status === 'running' && (!job || isActive(job));
  // A tune job that failed before it recorded a run (refused options, no labels for an accuracy budget, a
  // refused submission) has no record to show: its error is shown here, not only counted in the status bar.
  const modelPath = studio.state.model?.path;
  const lastJob = studio.state.jobs.filter((j) => j.kind === 'tune' && j.modelPath === modelPath).at(-1);
  const unrecordedFailure =
    lastJob?.status === 'failed' && lastJob.error && !records.some((r) => r.jobId === lastJob.jobId)
      ? lastJob.error
      : undefined;
  const [starting, setStarting] = useState(false);
  const start = async () => {
    setStarting(true);
    try {
      if (await prepareData()) await studio.actions.tune(options);
    } finally {
      setStarting(false);
    }
  };
  return (
    <section className="auto-optimize" aria-labelledby="auto-optimize-title" data-testid="auto-optimize">
      <h3 id="auto-optimize-title">Auto-optimize</h3>
      <p className="muted">
        Finds the fastest (or smallest) variant within an accuracy budget: int8-static with each calibration,
        int8-dynamic, int4, fp16 (and int8-weight for the smallest) where they suit the model, then the most
        sensitive nodes back in float until the budget holds. Give one budget: an accuracy drop (needs a
        labelled test set, or a language model&apos;s own token ids) or a minimum output cosine.
      </p>
      {!hasEvaluationData && (
        <p className="muted">
          Fill in the evaluation data above (2. Data) first: every trial is measured on it, and int8-static
          calibrates on the calibration data.
        </p>
      )}
      {hasEvaluationData && unlabelled && (
        <p className="field-hint" data-testid="tune-budget-why">
          The evaluation data above has no labels, so accuracy cannot be measured: the budget is the minimum
          output cosine, how close each variant&apos;s outputs stay to the original&apos;s. For an
          accuracy-drop budget, choose a labelled test set in 2. Data.
        </p>
      )}
      {hasEvaluationData && evaluationLabels === 'own-ids' && (
        <p className="field-hint" data-testid="tune-own-ids">
          {OWN_IDS_BUDGET}
        </p>
      )}
      {hasEvaluationData && <CalibrationLine calibrates={calibrates} name={calibrationName} />}
      <SchemaForm idPrefix="tune" fields={fields} values={form} errors={errors} onChange={setValues} />
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={
            !ready ||
            !hasEvaluationData ||
            running ||
            starting ||
            dataCheckRunning === true ||
            Object.keys(errors).length > 0 ||
            budgetProblem !== undefined
          }
          onClick={() => void start()}
        >
          Start Auto-optimize
        </button>
        {running && job && (
          <button type="button" onClick={() => void studio.actions.cancel(job.jobId)}>
            Cancel Auto-optimize
          </button>
        )}
        {checkProgress}
      </div>
      {budgetProblem && Object.keys(errors).length === 0 && (
        <p className="field-error" role="alert" data-testid="tune-budget-problem">
          {budgetProblem}
        </p>
      )}
      {unrecordedFailure && !starting && (
        <div data-testid="tune-failed">
          <ErrorPanel
            title="Auto-optimize failed"
            error={unrecordedFailure}
            whatToDo={{
              ...JOB_WHAT_TO_DO,
              BAD_REQUEST:
                'Correct the budget or the data the message names, then start Auto-optimize again.',
            }}
            compact
          />
        </div>
      )}
      {latest && <TuneResult record={latest} studio={studio} {...(connection ? { connection } : {})} />}
      <SweepResults />
    </section>
  );
}
