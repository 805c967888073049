/**
 * The Optimize view: pick one or more recipes (every quantization and pruning method the engine registers,
 * each with a form generated from its option schema), pick or describe the data, and queue the jobs. What
 * to do with each new variant (benchmark it beside the original, evaluate it) is chosen here too, so one
 * click takes a user from a model to numbers.
 */
import { Words } from '../components/words.js';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';
import { commonFieldsFor } from '../../../shared/options/catalog-fields.js';
import { ORIGINAL_TARGET, type DatasetRole, type Workspace } from '../../../shared/workspace.js';
import type { DatasetCheckReport } from '../../../shared/ipc-contract.js';
import { groupedShortShapes } from '../../../shared/input-groups.js';
import { describeDataset, experimentDataset } from '../state/experiment.js';
import { DatasetForm } from '../forms/dataset-form.js';
import { DataCheckProgress, useDataCheck } from '../components/data-check-progress.js';
import {
  buildDatasetSpec,
  draftFromSpec,
  emptyDatasetDraft,
  imageFieldsOf,
  withoutLabels,
  type DatasetDraft,
} from '../forms/dataset-draft.js';
import { SchemaForm } from '../forms/schema-form.js';
import { CALIB_SAMPLES_FIELD, calibSamplesHelp, withHints } from '../forms/calibration-help.js';
import { AutoOptimizePanel, tuneCalibrationName } from './auto-optimize-panel.js';
import { evaluationLabelsOf } from '../state/evaluation-labels.js';
import { tuneCalibrates } from '../../../shared/tune.js';
import {
  initialValues,
  toOptions,
  validate,
  type FormValues,
  type OptionField,
} from '../forms/schema-fields.js';
import type { MethodCatalog, MethodDescription } from '../host/host-types.js';
import type { StudioHost } from '../host/studio-host.js';
import { DEFAULT_BENCH, type RecipeRequest, type Studio } from '../state/use-studio.js';
import type { JobRecord } from '../state/studio-state.js';
import { ErrorPanel, JOB_WHAT_TO_DO } from './error-panel.js';
import { JobList } from './job-list.js';
import { PipelineList } from './pipeline-list.js';
import { PRUNE_STARTING_VALUES } from '../../../shared/prune-starting-values.js';
import { useModelLoadCheck } from './model-load-check.js';
import { queueSignature } from './queue-signature.js';
import {
  afterQueue,
  listNames,
  partlyQueuedNote,
  queueButton,
  queueLabel,
  recipesToSend,
  type QueuedSelection,
} from './queue-state.js';
import { StartsInFlight, startsSentElsewhere } from './starts-in-flight.js';
import { quantizedAncestor, quantizingMethods } from './quantized-source.js';

interface Selection {
  common: FormValues;
  options: FormValues;
}

type CatalogState =
  | { kind: 'loading' }
  | { kind: 'loaded'; catalog: MethodCatalog }
  | { kind: 'failed'; error: StudioErrorInfo };

const methodKey = (m: MethodDescription) => `${m.kind}:${m.name}`;

/** Starting values the schemas cannot know: a pruning ratio to try (the demo's, shared/prune-starting-values.ts). */
const PRESETS: Record<string, { common: Record<string, unknown>; options: Record<string, unknown> }> = {
  'prune:structured': PRUNE_STARTING_VALUES.structured,
  'prune:magnitude': PRUNE_STARTING_VALUES.magnitude,
};

export function OptimizeView({
  host,
  studio,
  source,
  onSourceChange,
  inputsReady,
}: {
  host: StudioHost;
  studio: Studio;
  /** False while the model's input spec is not set: nothing is queued on guessed shapes. */
  inputsReady: boolean;
  /** What the recipes start from: `original` or a variant id. */
  source: string;
  onSourceChange: (target: string) => void;
}) {
  const { state, actions, variants } = studio;
  const made = variants.filter((v) => !v.isOriginal);
  // A variant removed since it was chosen falls back to the original.
  const sourceVariant = made.find((v) => v.id === source);
  // Export's "Make a variant from it…" lands here: put the focus where the choice is shown.
  const sourceSelect = useRef<HTMLSelectElement>(null);
  useEffect(() => {
    if (source !== ORIGINAL_TARGET) sourceSelect.current?.focus();
  }, [source]);
  const [catalog, setCatalog] = useState<CatalogState>({ kind: 'loading' });
  const quantizing = useMemo(
    () => quantizingMethods(catalog.kind === 'loaded' ? catalog.catalog.quantize.methods : []),
    [catalog],
  );
  const sourceQuantized = sourceVariant ? quantizedAncestor(sourceVariant, made, quantizing) : undefined;
  const [selected, setSelected] = useState<Record<string, Selection>>({});
  // Each role's data starts from what this model's experiment keeps (the sample brings its own); the view
  // is keyed by model, so nothing carries over from another model.
  const [calibDraft, setCalibDraft] = useState<DatasetDraft>(() =>
    draftOf(experimentDataset(state.workspace, 'calibration')?.spec),
  );
  const [evalDraft, setEvalDraft] = useState<DatasetDraft>(() =>
    draftOf(experimentDataset(state.workspace, 'evaluation')?.spec),
  );
  const [checks, setChecks] = useState<Partial<Record<DatasetRole, DatasetCheckReport>>>({});
  // Which spec each role's last successful check was of: its report speaks for the form only while it matches.
  const [checkedSpecs, setCheckedSpecs] = useState<Partial<Record<DatasetRole, string>>>({});
  const [checkError, setCheckError] = useState<{ role: DatasetRole; error: StudioErrorInfo } | null>(null);
  // The workspace may arrive after the view: fill empty forms from the experiment once it does.
  const experimentKey = JSON.stringify(state.workspace?.experiment?.datasets ?? {});
  useEffect(() => {
    const calib = experimentDataset(state.workspace, 'calibration')?.spec;
    const evaluation = experimentDataset(state.workspace, 'evaluation')?.spec;
    setCalibDraft((d) => (calib && isEmptyDraft(d) ? draftFromSpec(calib) : d));
    setEvalDraft((d) => (evaluation && isEmptyDraft(d) ? draftFromSpec(evaluation) : d));
  }, [experimentKey]);
  const [benchAfter, setBenchAfter] = useState(true);
  const [evaluateAfter, setEvaluateAfter] = useState(true);
  const [submitted, setSubmitted] = useState(false);
  // Whether Queue was clicked with no recipe ticked: only then is "Choose at least one recipe" an error. Before,
  // it is guidance (Start Auto-optimize also sets `submitted`, and turned it red without a click on Queue).
  const [queuedNothing, setQueuedNothing] = useState(false);
  const [queueing, setQueueing] = useState(false);
  // What the last Queue started of the selection with this key (queueSignature): the same selection is not
  // queued again while the pipelines it started run (a second click, not a second run: once they have ended,
  // queueing it again is a deliberate rerun), and after a Cancel part way Queue sends only the rest.
  const [lastQueued, setLastQueued] = useState<QueuedSelection | null>(null);
  // Whether onnxruntime can load the model (checked once per model, shared with the Model view).
  const loadCheck = useModelLoadCheck(host, state.model);
  // The data check in flight: the page's own before it queues (or starts Auto-optimize), then each pipeline's
  // (`pipeline.start` checks its data before any step). It reads up to MAX_CHECKED_SAMPLES samples of a dataset
  // file (a synthetic set makes one), which takes a while on a big one, so it shows how far it is and can be
  // stopped: Cancel stops the engine's check (`studio:dataset.cancelCheck`), and nothing more is queued.
  // One check at a time: Queue and Start Auto-optimize wait while one runs.
  const dataCheck = useDataCheck();
  const checking = dataCheck.running;
  // The recipes queued of the selection when Cancel stopped the last Queue's data checks (by name).
  const [queuedBeforeCancel, setQueuedBeforeCancel] = useState<string[] | null>(null);

  useEffect(() => {
    let live = true;
    void host.listMethods().then((result) => {
      if (!live) return;
      setCatalog(
        result.ok ? { kind: 'loaded', catalog: result.value } : { kind: 'failed', error: result.error },
      );
    });
    return () => {
      live = false;
    };
  }, [host]);

  const methods =
    catalog.kind === 'loaded' ? [...catalog.catalog.quantize.methods, ...catalog.catalog.prune.methods] : [];
  const fieldsFor = useMemo(() => {
    const cache = new Map<string, { common: OptionField[]; options: OptionField[] }>();
    if (catalog.kind !== 'loaded') return cache;
    for (const group of [catalog.catalog.quantize, catalog.catalog.prune]) {
      for (const m of group.methods)
        cache.set(methodKey(m), { common: commonFieldsFor(group, m.name), options: m.fields });
    }
    return cache;
  }, [catalog]);

  const toggle = (m: MethodDescription, on: boolean) => {
    const key = methodKey(m);
    setSelected((current) => {
      const next = { ...current };
      if (!on) delete next[key];
      else {
        const fields = fieldsFor.get(key);
        next[key] = {
          common: initialValues(fields?.common ?? [], PRESETS[key]?.common),
          options: initialValues(fields?.options ?? [], PRESETS[key]?.options),
        };
      }
      return next;
    });
  };

  // A quantized source is refused by every method (each takes a float model): none of them is queued from it,
  // whatever was ticked before the source changed (the warning under "Start from" says why).
  const chosen = sourceQuantized ? [] : methods.filter((m) => selected[methodKey(m)]);
  const needsCalibration = chosen.some((m) => m.needsCalibration);
  // Auto-optimize tries int8-static on such a model whatever is ticked: its calibration data is shown too.
  const tuneReadsCalibration = state.model ? tuneCalibrates(state.model) : false;
  const imageFields = useMemo(
    () => imageFieldsOf(catalog.kind === 'loaded' ? catalog.catalog : undefined),
    [catalog],
  );
  const calibDataset = buildDatasetSpec(calibDraft, imageFields);
  const evalDataset = buildDatasetSpec(evalDraft, imageFields);
  const formErrors = new Map<string, { common: Record<string, string>; options: Record<string, string> }>();
  for (const m of chosen) {
    const key = methodKey(m);
    const fields = fieldsFor.get(key);
    const sel = selected[key];
    if (!fields || !sel) continue;
    formErrors.set(key, {
      common: validate(fields.common, sel.common),
      options: validate(fields.options, sel.options),
    });
  }
  const hasFormErrors = [...formErrors.values()].some(
    (e) => Object.keys(e.common).length + Object.keys(e.options).length > 0,
  );
  const calibErrors = needsCalibration && !calibDataset.ok ? calibDataset.errors : {};
  const evalErrors = evaluateAfter && !evalDataset.ok ? evalDataset.errors : {};
  const datasetErrors = { ...calibErrors, ...evalErrors };
  // A language model's real ids need no labels: an accuracy budget is of its next-token accuracy.
  const evaluationLabels = evaluationLabelsOf(
    evalDataset.ok ? evalDataset.spec : undefined,
    evalDataset.ok && checkedSpecs.evaluation === JSON.stringify(evalDataset.spec)
      ? checks.evaluation
      : undefined,
    state.model ?? undefined,
  );
  // What Queue would submit now, built as `queue` builds it, so an unchanged selection is known as queued.
  const calibration: DatasetSpecInput | undefined =
    needsCalibration && calibDataset.ok ? withoutLabels(calibDataset.spec) : undefined;
  const data: DatasetSpecInput | undefined = evaluateAfter && evalDataset.ok ? evalDataset.spec : undefined;
  const recipes: RecipeRequest[] = chosen.map((m) => {
    const key = methodKey(m);
    const fields = fieldsFor.get(key);
    const sel = selected[key] as Selection;
    return {
      kind: m.kind,
      method: m.name,
      common: toOptions(fields?.common ?? [], sel.common),
      options: toOptions(fields?.options ?? [], sel.options),
      ...(sourceVariant ? { source: sourceVariant.id } : {}),
      ...(m.needsCalibration && calibration ? { calibration } : {}),
    };
  });
  // "Calib samples" says what an empty field does with the calibration data as the form has it now.
  const calibrationHints = {
    [CALIB_SAMPLES_FIELD]: calibSamplesHelp(calibDataset.ok ? calibDataset.spec : undefined),
  };
  const followUp = {
    ...(benchAfter ? { bench: DEFAULT_BENCH } : {}),
    ...(evaluateAfter && data ? { evaluate: data } : {}),
  };
  // Options with errors cannot be converted reliably: no key then (nothing is queued anyway).
  const signature = hasFormErrors || chosen.length === 0 ? null : queueSignature(recipes, followUp);
  // Held while what it started runs; once that ended, the same selection can be queued again on purpose, under
  // a label that says so (an accidental second click then reads "Queue again", not "Queue job").
  const button = queueButton(lastQueued, signature, recipes.length, state.workspace?.pipelines ?? []);
  const alreadyQueued = button.kind === 'held';
  const nameOf = (index: number) => chosen[index]?.name ?? '';
  // Which recipes are queued and which Queue sends, while the selection is the one queued part way.
  const partNote =
    button.kind === 'rest' ? partlyQueuedNote(button.queued.map(nameOf), button.rest.map(nameOf)) : null;
  const checkProgress = (purpose: CheckPurpose) =>
    checking?.purpose === purpose ? (
      <DataCheckProgress control={dataCheck} />
    ) : dataCheck.cancelledPurpose === purpose && !checking ? (
      <p className="field-hint" role="status" data-testid="data-check-cancelled">
        Data check cancelled:{' '}
        {/* Words: a recipe name breaks at its hyphen in a narrow window ("int8-" / "static"). */}
        <Words
          text={
            purpose === 'tune'
              ? 'nothing was started.'
              : (partNote ??
                (queuedBeforeCancel && queuedBeforeCancel.length > 0
                  ? // The selection changed since: what the cancelled Queue did, no longer what Queue sends.
                    `${listNames(queuedBeforeCancel)} ${queuedBeforeCancel.length === 1 ? 'was' : 'were'} queued; the rest were not.`
                  : 'nothing was queued.'))
          }
        />
      </p>
    ) : null;
  // Queueing sent before a reload, or from another tab, still checking its data: shown with its own Cancel.
  const startsElsewhere = startsSentElsewhere(state.workspace?.startsInFlight);
  const canQueue =
    !alreadyQueued &&
    inputsReady &&
    chosen.length > 0 &&
    !hasFormErrors &&
    Object.keys(datasetErrors).length === 0 &&
    !queueing &&
    // One data check at a time: a second would take over the first's progress line and Cancel.
    !checking;

  /**
   * Checks each dataset the recipes will use against the model; the first problem stops the queueing, and so
   * does the user's Cancel (false at once; the engine is told to stop reading the data).
   */
  const checkData = async (
    used: Partial<Record<DatasetRole, DatasetSpecInput>>,
    purpose: CheckPurpose,
  ): Promise<boolean> => {
    const found: Partial<Record<DatasetRole, DatasetCheckReport>> = {};
    setQueuedBeforeCancel(null);
    const watch = dataCheck.begin({ purpose });
    try {
      for (const role of ['calibration', 'evaluation'] as const) {
        const spec = used[role];
        if (!spec) continue;
        dataCheck.describe({ role });
        const result = await actions.checkDataset(role, spec, watch);
        if (watch.signal.aborted) return false;
        if (!result.ok) {
          setCheckError({ role, error: result.error });
          setChecks({});
          return false;
        }
        found[role] = result.value;
        setCheckedSpecs((c) => ({ ...c, [role]: JSON.stringify(spec) }));
      }
    } finally {
      dataCheck.end();
    }
    setCheckError(null);
    setChecks(found);
    return true;
  };

  /**
   * Auto-optimize measures on the data of "2. Data": checked and kept as the experiment's datasets, as a queued
   * job's are. False (with the problem shown) when there is no usable evaluation data.
   */
  const prepareTuneData = async (): Promise<boolean> => {
    setSubmitted(true);
    if (!evalDataset.ok) return false;
    const used = {
      evaluation: evalDataset.spec,
      ...(tuneReadsCalibration && calibDataset.ok ? { calibration: withoutLabels(calibDataset.spec) } : {}),
    };
    if (!(await checkData(used, 'tune'))) return false;
    await actions.saveDatasets(used);
    return true;
  };

  const queue = async () => {
    setSubmitted(true);
    setQueuedNothing(chosen.length === 0);
    if (!canQueue) return;
    const key = signature;
    // After a Cancel part way, only the recipes not queued yet.
    const sent = recipesToSend(button, recipes.length);
    if (key === null || sent.length === 0) return;
    setQueueing(true);
    try {
      const used = { ...(calibration ? { calibration } : {}), ...(data ? { evaluation: data } : {}) };
      if (!(await checkData(used, 'queue'))) return;
      // The data becomes this model's experiment: it is there next time, and never for another model.
      await actions.saveDatasets(used);
      // Each pipeline checks its data again before its first step: that check shows here too, with Cancel.
      const watch = dataCheck.begin({ purpose: 'queue' });
      try {
        const outcome = await actions.queueRecipes(
          sent.map((i) => recipes[i]!),
          followUp,
          { ...watch, onNext: (forWhat) => dataCheck.describe({ forWhat }) },
        );
        const queued = afterQueue(lastQueued, button, key, sent, outcome.started);
        setLastQueued(queued);
        if (outcome.cancelled) {
          const done = new Set(queued?.started.map((s) => s.index));
          setQueuedBeforeCancel(recipes.flatMap((_, i) => (done.has(i) ? [nameOf(i)] : [])));
        } else if (queued && queued.started.length === recipes.length) setSubmitted(false);
      } finally {
        dataCheck.end();
      }
    } finally {
      setQueueing(false);
    }
  };

  // This model's jobs; the status bar lists every model's.
  const variantJobs = state.jobs.filter((j) => j.modelPath === state.model?.path);

  return (
    <div className="optimize">
      <section aria-labelledby="recipes-title">
        <h2 id="recipes-title">1. Choose recipes</h2>
        <p className="muted">
          Each recipe makes one variant of{' '}
          <strong>
            {sourceVariant
              ? `the ${sourceVariant.label} variant`
              : state.model
                ? state.model.path.split(/[\\/]/).pop()
                : 'the model'}
          </strong>
          . The original file is never changed. Pick several to compare them.
        </p>
        {made.length > 0 && (
          <div className="field recipe-source">
            <label htmlFor="recipe-source">Start from</label>
            <select
              ref={sourceSelect}
              id="recipe-source"
              aria-describedby="recipe-source-hint"
              value={sourceVariant ? sourceVariant.id : ORIGINAL_TARGET}
              onChange={(e) => onSourceChange(e.target.value)}
            >
              <option value={ORIGINAL_TARGET}>the original model</option>
              {made.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.label}
                </option>
              ))}
            </select>
            <p id="recipe-source-hint" className="field-hint">
              Start from a variant to stack recipes, e.g. prune first, then quantize the pruned variant.
              Accuracy and latency are still compared with the original.
            </p>
            {sourceQuantized && (
              <p id="source-quantized" className="field-warning" role="status" data-testid="source-quantized">
                {sourceVariant?.label} is already quantized
                {sourceQuantized.id !== sourceVariant?.id ? ` (it comes from ${sourceQuantized.label})` : ''}:
                every quantization and pruning method takes a float model and refuses it, so none can be
                queued from it. Start from the original or a pruned variant: prune first, then quantize.
              </p>
            )}
          </div>
        )}
        {catalog.kind === 'loading' && (
          <p className="loading" role="status">
            Loading the available methods…
          </p>
        )}
        {catalog.kind === 'failed' && (
          <ErrorPanel title="Could not load the optimization methods" error={catalog.error} />
        )}
        {catalog.kind === 'loaded' && (
          <div className="recipe-groups">
            <RecipeGroup
              title="Quantization"
              methods={catalog.catalog.quantize.methods}
              selected={selected}
              fieldsFor={fieldsFor}
              errors={submitted ? formErrors : new Map()}
              optionHints={calibrationHints}
              refusedBy={sourceQuantized ? 'source-quantized' : undefined}
              onToggle={toggle}
              onChange={(key, sel) => setSelected((c) => ({ ...c, [key]: sel }))}
            />
            <RecipeGroup
              title="Pruning"
              methods={catalog.catalog.prune.methods}
              selected={selected}
              fieldsFor={fieldsFor}
              errors={submitted ? formErrors : new Map()}
              refusedBy={sourceQuantized ? 'source-quantized' : undefined}
              onToggle={toggle}
              onChange={(key, sel) => setSelected((c) => ({ ...c, [key]: sel }))}
            />
          </div>
        )}
      </section>

      <section aria-labelledby="data-title">
        <h2 id="data-title">2. Data</h2>
        <p className="muted">
          Data by role, kept with this model: calibration data sets the ranges of static quantization;
          evaluation data measures each variant (accuracy with labels or, for a language model, on its own
          token ids; fidelity to the original otherwise). Both are checked against the model before anything
          is queued.
        </p>
        <div className="dataset-roles">
          {(needsCalibration || tuneReadsCalibration) && (
            <DatasetRoleForm
              role="calibration"
              imageFields={imageFields}
              draft={calibDraft}
              errors={submitted ? calibErrors : {}}
              onChange={setCalibDraft}
              check={checks.calibration}
            />
          )}
          {evaluateAfter && (
            <DatasetRoleForm
              role="evaluation"
              imageFields={imageFields}
              draft={evalDraft}
              errors={submitted ? evalErrors : {}}
              onChange={setEvalDraft}
              check={checks.evaluation}
            />
          )}
          {!needsCalibration && !tuneReadsCalibration && !evaluateAfter && (
            <p className="muted">
              No data needed: none of the chosen recipes calibrates, and evaluation is off below.
            </p>
          )}
        </div>
        {checkError && (
          <div data-testid="data-check-error">
            <ErrorPanel
              title={`The ${checkError.role} data does not fit this model; nothing was queued`}
              error={checkError.error}
              whatToDo={JOB_WHAT_TO_DO}
              compact
            />
          </div>
        )}
      </section>

      <section aria-labelledby="then-title">
        <h2 id="then-title">3. Then</h2>
        <div className="field field-check">
          <input
            id="bench-after"
            type="checkbox"
            checked={benchAfter}
            onChange={(e) => setBenchAfter(e.target.checked)}
          />
          <label htmlFor="bench-after">
            Benchmark each new variant beside the original ({DEFAULT_BENCH.ep}, {DEFAULT_BENCH.iterations}{' '}
            runs, with an operator profile)
          </label>
        </div>
        <div className="field field-check">
          <input
            id="evaluate-after"
            type="checkbox"
            checked={evaluateAfter}
            onChange={(e) => setEvaluateAfter(e.target.checked)}
          />
          <label htmlFor="evaluate-after">
            Evaluate each new variant on the data (accuracy with labels or a language model&apos;s own token
            ids, fidelity to the original)
          </label>
        </div>
        {loadCheck.kind === 'refused' && (benchAfter || evaluateAfter) && (
          <div className="banner banner-warn" role="status" data-testid="load-check-optimize">
            <p>
              <strong>onnxruntime cannot load this model:</strong> the{' '}
              {benchAfter && evaluateAfter
                ? 'benchmark and evaluation steps'
                : benchAfter
                  ? 'benchmark step'
                  : 'evaluation step'}{' '}
              will fail for it and its variants (quantizing and pruning still work). Untick{' '}
              {benchAfter && evaluateAfter ? 'them' : 'it'} to only make the variants; the Model view says
              why.
            </p>
          </div>
        )}
        <StartsInFlight starts={startsElsewhere} onCancel={actions.cancelQueueing} />
        <div className="queue-row">
          <button
            type="button"
            className="primary"
            onClick={() => void queue()}
            disabled={queueing || checking !== null || !inputsReady || alreadyQueued}
            data-testid="queue-jobs"
          >
            {queueLabel(button, recipes.length)}
          </button>
          {checkProgress('queue')}
          {alreadyQueued && !checking && (
            <p className="field-hint" role="status" data-testid="queued-note">
              {recipes.length === 1
                ? 'This recipe was queued'
                : `These ${recipes.length} recipes were queued`}
              : see Pipelines below. Change a recipe, its options, the data or the steps above to queue more;
              the same selection can be queued again once they have finished.
            </p>
          )}
          {button.kind === 'again' && !checking && (
            <p className="field-hint" role="status" data-testid="queued-again-note">
              {recipes.length === 1
                ? 'The pipeline of this recipe has ended'
                : `The pipelines of these ${recipes.length} recipes have ended`}{' '}
              (see Pipelines below): Queue again runs {recipes.length === 1 ? 'it' : 'them'} again, as new
              variants.
            </p>
          )}
          {partNote && !checking && dataCheck.cancelledPurpose !== 'queue' && (
            <p className="field-hint" role="status" data-testid="queued-part-note">
              {partNote}
            </p>
          )}
          {!inputsReady && (
            <p className="field-error" role="alert">
              Set the model's input shapes in the Model view first.
            </p>
          )}
          {chosen.length === 0 &&
            (queuedNothing ? (
              <p className="field-error" role="alert" data-testid="no-recipe">
                Choose at least one recipe above.
              </p>
            ) : (
              <p className="field-hint" data-testid="no-recipe">
                Choose at least one recipe above.
              </p>
            ))}
          {submitted && (hasFormErrors || Object.keys(datasetErrors).length > 0) && (
            <p className="field-error" role="alert">
              Some fields need attention; they are marked above.
            </p>
          )}
        </div>
      </section>

      <AutoOptimizePanel
        studio={studio}
        catalog={catalog.kind === 'loaded' ? catalog.catalog : undefined}
        ready={inputsReady}
        hasEvaluationData={evalDataset.ok}
        evaluationLabels={evaluationLabels}
        prepareData={prepareTuneData}
        checkProgress={checkProgress('tune')}
        dataCheckRunning={checking !== null}
        calibrationName={tuneCalibrationName(
          calibDataset.ok ? withoutLabels(calibDataset.spec) : undefined,
          experimentDataset(state.workspace, 'calibration'),
        )}
      />

      <PipelineList
        pipelines={state.workspace?.pipelines ?? []}
        evaluations={state.workspace?.evaluations ?? []}
        variantIds={new Set(state.workspace?.variants.map((v) => v.id) ?? [])}
        jobs={state.jobs}
        onRerun={(id) => void actions.rerunPipeline(id)}
      />

      {jobListShown(variantJobs, state.workspace) && (
        <JobList
          jobs={variantJobs}
          onCancel={(id) => void actions.cancel(id)}
          onClear={actions.clearFinishedJobs}
        />
      )}
    </div>
  );
}

/**
 * Whether Optimize shows its job list: while this model has jobs in the page, or, with none, only where nothing
 * was run for it yet. Its empty state ("No jobs yet. Pick a recipe above and press Queue…") under a list of
 * finished pipelines (jobs are the page's and the backend's of this session; pipelines and Auto-optimize runs
 * are kept in the workspace, so a restarted serve lists none of their jobs) read as if nothing had run.
 */
export function jobListShown(
  jobs: readonly JobRecord[],
  workspace: Pick<Workspace, 'pipelines' | 'tunes'> | null,
): boolean {
  return (
    jobs.length > 0 || ((workspace?.pipelines?.length ?? 0) === 0 && (workspace?.tunes?.length ?? 0) === 0)
  );
}

/** Which button's data check: Queue's, or Start Auto-optimize's. */
type CheckPurpose = 'queue' | 'tune';

function draftOf(spec: DatasetSpecInput | undefined): DatasetDraft {
  return spec ? draftFromSpec(spec) : emptyDatasetDraft();
}

function isEmptyDraft(draft: DatasetDraft): boolean {
  return JSON.stringify(draft) === JSON.stringify(emptyDatasetDraft());
}

const ROLE_LEGENDS: Record<DatasetRole, string> = {
  calibration: 'Calibration data',
  evaluation: 'Evaluation data',
};

/** One role's dataset form, with what its last check found. */
function DatasetRoleForm({
  role,
  check,
  ...form
}: {
  role: DatasetRole;
  check: DatasetCheckReport | undefined;
  imageFields: OptionField[];
  draft: DatasetDraft;
  errors: Partial<Record<string, string>>;
  onChange: (draft: DatasetDraft) => void;
}) {
  return (
    <div className="dataset-role" data-testid={`dataset-${role}`}>
      <DatasetForm {...form} role={role} legend={ROLE_LEGENDS[role]} />
      <CheckLine report={check} />
    </div>
  );
}

/**
 * The check's warnings as one run of clauses after a `·`: some are clauses (`labels were checked on the first
 * 400 of 1000 samples`), the data readers' are sentences with their own full stop (`...: the data's size was
 * used.`), which joined as they were read "was used.; labels". Each loses its last full stop; the run ends in one.
 */
export function checkWarnings(warnings: readonly string[]): string {
  const clauses = warnings.map((w) => w.trim().replace(/\.+$/, '')).filter((w) => w !== '');
  return clauses.length === 0 ? '' : `${clauses.join('; ')}.`;
}

/** What the check found, beside the dataset: the samples, the label range and the shapes fed. */
function CheckLine({ report }: { report: DatasetCheckReport | undefined }) {
  if (!report) return null;
  // Without labels the check's warning says so, with what it means: "no labels" is not said twice.
  const labels = report.labels
    ? ` · labels ${report.labels.min}–${report.labels.max}${report.labels.modelClasses ? ` (model: ${report.labels.modelClasses} classes)` : ''}`
    : '';
  return (
    <p className="field-hint check-line" data-testid="data-check">
      Checked: {describeDataset(report.identity)}
      {labels} · fed as {groupedShortShapes(report.inputs)}
      {report.warnings.length > 0 && <> · {checkWarnings(report.warnings)}</>}
    </p>
  );
}

function RecipeGroup({
  title,
  methods,
  selected,
  fieldsFor,
  errors,
  optionHints = {},
  refusedBy,
  onToggle,
  onChange,
}: {
  title: string;
  methods: MethodDescription[];
  selected: Record<string, Selection>;
  fieldsFor: Map<string, { common: OptionField[]; options: OptionField[] }>;
  errors: Map<string, { common: Record<string, string>; options: Record<string, string> }>;
  /** Field help that depends on the page (a calibrating method's, on the calibration data form). */
  optionHints?: Readonly<Record<string, string>>;
  /** The id of the note that says why no method of the group can run from the chosen source: all are off. */
  refusedBy?: string;
  onToggle: (m: MethodDescription, on: boolean) => void;
  onChange: (key: string, sel: Selection) => void;
}) {
  return (
    <fieldset className="recipe-group">
      <legend>{title}</legend>
      {methods.length === 0 && (
        <p className="muted">No {title.toLowerCase()} methods are available in this engine.</p>
      )}
      {methods.map((m) => {
        const key = methodKey(m);
        const sel = selected[key];
        const fields = fieldsFor.get(key);
        const err = errors.get(key) ?? { common: {}, options: {} };
        const checkboxId = `recipe-${key.replace(/[^\w-]/g, '-')}`;
        return (
          <div key={key} className={sel ? 'recipe recipe-on' : 'recipe'}>
            <div className="recipe-head">
              <input
                id={checkboxId}
                type="checkbox"
                checked={!!sel && !refusedBy}
                disabled={refusedBy !== undefined}
                aria-describedby={refusedBy}
                onChange={(e) => onToggle(m, e.target.checked)}
              />
              <label htmlFor={checkboxId}>
                <strong>{m.name}</strong>
                <span className="muted"> — {m.summary}</span>
                {m.needsCalibration && <span className="tag">needs data</span>}
              </label>
            </div>
            {sel && fields && !refusedBy && (
              <div className="recipe-options" role="group" aria-label={`${m.name} options`}>
                <SchemaForm
                  idPrefix={`${key}.common`}
                  fields={fields.common}
                  values={sel.common}
                  errors={err.common}
                  onChange={(common) => onChange(key, { ...sel, common })}
                />
                {fields.options.length > 0 && (
                  <SchemaForm
                    idPrefix={`${key}.options`}
                    fields={m.needsCalibration ? withHints(fields.options, optionHints) : fields.options}
                    values={sel.options}
                    errors={err.options}
                    onChange={(options) => onChange(key, { ...sel, options })}
                  />
                )}
              </div>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
