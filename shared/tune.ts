/**
 * A tuning run as data: its trials (each a recipe that made a variant, measured), which of them meet the budget,
 * the Pareto front and the choice. The engine's search (electron/engine/tune/) fills it; the CLI prints it,
 * `--json` writes it, the app draws it. The rules that decide (budget, front, choice) live here once.
 */
import { MIN_REAL_SPEEDUP, type SpeedVerdict } from './latency-noise.js';
import { labelFromKey } from './options/catalog-fields.js';
import type { TuneBudget, TuneObjective, TuneOptions } from './options/tune-options.js';
import type { SensitivityRow } from './sensitivity.js';
import type { ModelSummary } from './model-summary.js';
import type { DatasetIdentity } from './dataset-identity.js';

/** How a trial's variant is made: a quantize or prune job's method and options. */
export interface TrialRecipe {
  kind: 'quantize' | 'prune';
  method: string;
  common: Record<string, unknown>;
  options: Record<string, unknown>;
}

export interface TuneTrial {
  /** 0, 1, 2... in the order trials started. */
  index: number;
  /** e.g. `int8-static percentile per-channel`, `int8-static minmax + 3 nodes in float`. */
  name: string;
  recipe: TrialRecipe;
  /** For a fallback trial: the trial it started from and the nodes it keeps in float. */
  fallback?: { from: number; floatNodes: string[] };
  status: 'done' | 'failed';
  /** Why it failed (the engine's message). */
  error?: string;
  /** The variant in the workspace while the search runs (deleted unless chosen). */
  variantId?: string;
  bytes?: number;
  sizeRatio?: number;
  p50Ms?: number;
  /** p50 of the variant over the original's, measured interleaved in one benchmark. */
  p50Ratio?: number;
  /**
   * That ratio judged against the benchmark's noise by the rule Compare, Export and the report use
   * (shared/latency-noise.ts): only `faster` beats the original on latency. Absent in results recorded before it.
   */
  latencyVerdict?: SpeedVerdict;
  /** The benchmark's spread was too large to tell anything (its verdict is then `same`): said as "unreliable run". */
  latencyUnreliable?: boolean;
  /** Top-1 accuracy (0..1) with labels. */
  accuracy?: number;
  /** Accuracy points lost against the original (positive = worse). */
  dropPoints?: number;
  /**
   * The worst float output's cosine similarity to the original's (bool and integer outputs are not in it; for
   * a model with no float output, the worst share of equal values, as `agreement`).
   */
  cosine?: number;
  /** For a model with bool or integer outputs: the worst share of their values equal to the original's. */
  agreement?: number;
  /**
   * For a model with class-score outputs: the worst share of samples whose top class is the original's (eval's
   * top-1 agreement). Shown beside the cosine: a cosine of 0.99 can hide one prediction in ten changed.
   */
  top1Agreement?: number;
  /** Whether top1Agreement is a share of positions (per-token scores), not of samples; absent in older records. */
  top1PerPosition?: boolean;
  meetsBudget?: boolean;
  seconds: number;
}

export interface TuneOriginal {
  bytes: number;
  accuracy?: number;
  /**
   * `next-token` where the accuracy is a language model's on its own ids (the share of positions whose top-scored
   * id is the next one, eval's next-token task) rather than against labels; absent otherwise and in older records.
   */
  accuracyTask?: 'next-token';
}

/** The accuracy's name in words: `next-token accuracy` for a language model graded on its ids, else `accuracy`. */
export function accuracyWords(original: TuneOriginal): string {
  return original.accuracyTask === 'next-token' ? 'next-token accuracy' : 'accuracy';
}

/** Why the search ended; `incomplete` only for a collected sweep some of whose trials have no result yet. */
export type TuneStop = 'searched' | 'max-trials' | 'time-limit' | 'cancelled' | 'incomplete';

/** The tune options whose limits can end a search. */
export type TuneLimitOption = Extract<keyof TuneOptions, 'maxTrials' | 'timeLimit'>;

/** A limit in words with the option that sets it: `the trial limit (--max-trials)`. */
type NameLimit = (words: string, option: TuneLimitOption) => string;

/**
 * Why the search ended, as a clause (`the search stopped because …`), for the app and the CLI alike; each names
 * the option behind a limit its own way (tuneStopReason).
 */
const TUNE_STOP_REASONS: Record<TuneStop, (limit: NameLimit) => string> = {
  searched: () => 'every promising recipe was tried',
  'max-trials': (limit) => `${limit('the trial limit', 'maxTrials')} was reached`,
  'time-limit': (limit) => `${limit('the time limit', 'timeLimit')} was reached`,
  cancelled: () => 'it was cancelled',
  incomplete: () => 'some trials of the sweep have no result yet',
};

/**
 * A tune option set so that the search would try what it left out: the `size` objective (fp16 on a CPU), or
 * pruning. Reasons name it as their host does (NameTuneSetting), not always by the CLI's flag.
 */
export type TuneSetting = { option: 'objective'; value: TuneObjective } | { option: 'allowPruning' };

/** How a host names a setting in a reason: the CLI by its flag (`--objective size`), the app by its form label. */
export type NameTuneSetting = (setting: TuneSetting) => string;

/** The app's names for a setting, as its Auto-optimize form labels them: `Objective: size`, `Allow pruning`. */
export const appTuneSetting: NameTuneSetting = (setting) =>
  setting.option === 'objective'
    ? `${labelFromKey(setting.option)}: ${setting.value}`
    : labelFromKey(setting.option);

/** How the app names a tune option: its form label, lower-case (`max trials`). */
export function tuneOptionLabel(option: TuneLimitOption): string {
  return labelFromKey(option).toLowerCase();
}

/**
 * Why the search ended (TUNE_STOP_REASONS), naming the option behind a limit by `nameOf`: the CLI by its flag
 * (`--max-trials`), the app by its form label (tuneOptionLabel). A name that only repeats the words (`the time
 * limit (time limit)`) is left out.
 */
export function tuneStopReason(stop: TuneStop, nameOf: (option: TuneLimitOption) => string): string {
  return TUNE_STOP_REASONS[stop]((words, option) => {
    const name = nameOf(option);
    return words.endsWith(` ${name}`) ? words : `${words} (${name})`;
  });
}

export interface TuneOutcome {
  model: string;
  objective: TuneObjective;
  budget: TuneBudget;
  original: TuneOriginal;
  trials: TuneTrial[];
  /** Indexes of the trials on the Pareto front (objective against quality), best objective first. */
  pareto: number[];
  /** The chosen trial: it meets the budget and beats the original on the objective. */
  chosen?: number;
  /** When none qualifies: the trial nearest the budget. */
  closest?: number;
  sensitivity?: { base: number; rows: SensitivityRow[] };
  stoppedBy: TuneStop;
  /** The search's time: the trials and their evaluations, not the final benchmark (benchSeconds). */
  seconds: number;
  /** The size objective's benchmark of the choice against the original, after the search (run-tune.ts). */
  benchSeconds?: number;
  notes: string[];
  /** The data every figure was measured on and int8-static calibrated on (absent in outcomes recorded before). */
  data?: TuneData;
}

/**
 * Which data a tune run measured and calibrated on, by content (the identity evaluations record: name, samples,
 * sha256), so an outcome can be traced back to its data.
 */
export interface TuneData {
  /** The evaluation data: every trial's accuracy and fidelity, and the benchmarks' feeds. */
  evaluation: DatasetIdentity;
  /** How many of its samples each evaluation read (`evalSamples`), where fewer than all. */
  evalSamples?: number;
  /** The data int8-static calibrated on; absent where no recipe tried calibrates (tuneCalibrates). */
  calibration?: DatasetIdentity;
}

/** The operators int8-static quantizes in the main graph: without one, tune tries no recipe that calibrates. */
const STATIC_OPS = ['Conv', 'ConvTranspose', 'MatMul', 'Gemm'];

/**
 * Whether tune tries a recipe that reads calibration data (int8-static, and the fallbacks and sensitivity built
 * on it): the model has a Conv, ConvTranspose, MatMul or Gemm in its main graph (tune-candidates.ts).
 */
export function tuneCalibrates(ops: Pick<ModelSummary, 'opCounts'>): boolean {
  return STATIC_OPS.some((op) => (ops.opCounts[op] ?? 0) > 0);
}

/** A dataset in words: `test-inputs.npy + test-labels.npy (360 samples)`, or `(120 of 360 samples, <why>)`. */
function dataWords(identity: DatasetIdentity, read?: { samples: number; why: string }): string {
  const samples = identity.samples;
  return read !== undefined && read.samples < samples
    ? `${identity.name} (${read.samples} of ${samples} samples, set by ${read.why})`
    : `${identity.name} (${samples} sample${samples === 1 ? '' : 's'})`;
}

/**
 * The data of a run in one sentence, for the CLI and the app alike: `Measured on test-inputs.npy +
 * test-labels.npy (120 of 360 samples, set by --eval-samples); int8-static calibrated on calib-inputs.npy (64
 * samples).` `evalSamplesName` names the option that took a subset, as the host names it.
 */
export function describeTuneData(data: TuneData, evalSamplesName = 'eval samples'): string {
  const read =
    data.evalSamples !== undefined ? { samples: data.evalSamples, why: evalSamplesName } : undefined;
  const measured = `Measured on ${dataWords(data.evaluation, read)}`;
  if (!data.calibration) return `${measured}; no recipe tried calibrates.`;
  return data.calibration.sha256 === data.evaluation.sha256
    ? `${measured}; int8-static calibrated on the same data.`
    : `${measured}; int8-static calibrated on ${dataWords(data.calibration)}.`;
}

/**
 * A cosine as tune shows it (the CLI's table and the app's), with as many decimals as tell it from the budget's
 * (five at least): 0.9999663 against a budget of 0.99997 reads 0.999966, not 0.99997 beside "broken".
 */
export function formatCosine(cosine: number, budget?: TuneBudget): string {
  let digits = 5;
  if (budget?.kind === 'min-cosine' && cosine !== budget.cosine)
    while (digits < 12 && cosine.toFixed(digits) === budget.cosine.toFixed(digits)) digits++;
  return cosine.toFixed(digits);
}

/**
 * A trial's latency verdict in words, where it is not plainly faster: `unreliable run`, `within noise`,
 * `slower`; undefined for a faster one or one not benchmarked.
 */
export function latencyVerdictWords(
  t: Pick<TuneTrial, 'latencyUnreliable' | 'latencyVerdict'>,
): string | undefined {
  if (t.latencyUnreliable) return 'unreliable run';
  if (t.latencyVerdict === 'same') return 'within noise';
  if (t.latencyVerdict === 'slower') return 'slower';
  return undefined;
}

/**
 * The trial numbered `index` (`chosen`, `closest` and `sensitivity.base` hold trial numbers, which are not
 * positions in `trials`: a collected sweep lacks the trials that did not run).
 */
export function trialNumbered(outcome: TuneOutcome, index: number | undefined): TuneTrial | undefined {
  return index === undefined ? undefined : outcome.trials.find((t) => t.index === index);
}

/** The objective's value of a trial (lower is better; 1 = the original), or undefined if not measured. */
export function objectiveValue(trial: TuneTrial, objective: TuneObjective): number | undefined {
  return objective === 'latency' ? trial.p50Ratio : trial.sizeRatio;
}

/** Quality on the budget's own scale (higher is better): minus the points lost, or the cosine. */
export function qualityValue(trial: TuneTrial, budget: TuneBudget): number | undefined {
  if (budget.kind === 'accuracy-drop') return trial.dropPoints === undefined ? undefined : -trial.dropPoints;
  return trial.cosine;
}

/** Whether measured quality is within the budget. */
export function withinBudget(quality: { dropPoints?: number; cosine?: number }, budget: TuneBudget): boolean {
  if (budget.kind === 'accuracy-drop')
    return quality.dropPoints !== undefined && quality.dropPoints <= budget.points + 1e-9;
  return quality.cosine !== undefined && quality.cosine >= budget.cosine;
}

/**
 * How far a trial is outside the budget (0 inside), in the budget's unit. Inside is withinBudget's rule, its
 * tolerance included: a drop of 1.0000000000000009 points (a 99% accuracy below 100%) is within a budget of 1,
 * and ranked by the objective with the others inside, not after them.
 */
export function budgetShortfall(trial: TuneTrial, budget: TuneBudget): number {
  if (withinBudget(trial, budget)) return 0;
  if (budget.kind === 'accuracy-drop') return Math.max(0, (trial.dropPoints ?? Infinity) - budget.points);
  return Math.max(0, budget.cosine - (trial.cosine ?? -Infinity));
}

function measured(trial: TuneTrial, objective: TuneObjective, budget: TuneBudget): boolean {
  return (
    trial.status === 'done' &&
    objectiveValue(trial, objective) !== undefined &&
    qualityValue(trial, budget) !== undefined
  );
}

/**
 * Whether a trial's place on the objective comes from a benchmark too noisy to tell speeds apart
 * (`latencyUnreliable`, on the latency objective; a size is no benchmark): its p50 ratio says nothing, so it is on
 * no Pareto front and the app draws it hollow, as Compare does a noisy run's variant (renderer's markerPaint).
 */
export function placedByNoisyRun(
  trial: Pick<TuneTrial, 'latencyUnreliable'>,
  objective: TuneObjective,
): boolean {
  return objective === 'latency' && trial.latencyUnreliable === true;
}

/**
 * The trials no other trial beats on both the objective and quality (ties kept once, the earlier trial), best
 * objective first. A trial placed by a noisy run (placedByNoisyRun) is left out: its figure neither puts it on
 * the front nor takes another off, as Compare's front leaves out a noisy run's variant.
 */
export function paretoFront(
  trials: readonly TuneTrial[],
  objective: TuneObjective,
  budget: TuneBudget,
): number[] {
  const points = trials.filter((t) => measured(t, objective, budget) && !placedByNoisyRun(t, objective));
  const front = points.filter(
    (t) =>
      !points.some((o) => {
        const [to, tq] = [objectiveValue(t, objective)!, qualityValue(t, budget)!];
        const [oo, oq] = [objectiveValue(o, objective)!, qualityValue(o, budget)!];
        const noWorse = oo <= to && oq >= tq;
        const better = oo < to || oq > tq;
        return o !== t && noWorse && (better || o.index < t.index);
      }),
  );
  return front
    .sort((a, b) => objectiveValue(a, objective)! - objectiveValue(b, objective)!)
    .map((t) => t.index);
}

/**
 * A variant must be this much smaller than the original to count as a compression: a file a few bytes smaller
 * (names, metadata) is not one. Latency has no share of its own: a trial is faster only beyond its benchmark's
 * noise (`latencyVerdict`), by the rule Compare uses.
 */
export const MIN_SIZE_GAIN = 0.03;

/**
 * Whether a trial beats the original on the objective: size by MIN_SIZE_GAIN; latency by the noise rule of its
 * interleaved benchmark (a trial recorded without a verdict, by that rule's smallest difference).
 */
export function beatsOriginal(trial: TuneTrial, objective: TuneObjective): boolean {
  if (objective === 'latency' && trial.latencyVerdict !== undefined) return trial.latencyVerdict === 'faster';
  const share = objective === 'latency' ? MIN_REAL_SPEEDUP : MIN_SIZE_GAIN;
  return (objectiveValue(trial, objective) ?? Infinity) <= 1 - share;
}

/** What beating the original asks (beatsOriginal), in words: `at least 3% smaller than the original`. */
export function gainRule(objective: TuneObjective): string {
  return objective === 'latency'
    ? `faster than the original beyond its benchmark's noise (at least ${MIN_REAL_SPEEDUP * 100}%, more on a noisy run)`
    : `at least ${MIN_SIZE_GAIN * 100}% smaller than the original`;
}

/**
 * Why a chosen trial kept a cosine budget but may not be what the user wants: it changes the top class of more
 * samples than the best-variant rule allows (Export and the report judge class scores by top-1 agreement, at
 * most `maxDropPoints` lost). Undefined when it does not, or the budget is on accuracy.
 */
export function top1AgreementNote(
  trial: TuneTrial,
  budget: { kind: string },
  maxDropPoints: number,
): string | undefined {
  const agreement = trial.top1Agreement;
  if (budget.kind === 'accuracy-drop' || agreement === undefined) return undefined;
  const lost = (1 - agreement) * 100;
  if (lost <= maxDropPoints + 1e-9) return undefined;
  return (
    `#${trial.index} ${trial.name} keeps the cosine budget but gives another top class than the original on ` +
    `${lost.toFixed(1)}% of the ${trial.top1PerPosition ? 'positions' : 'samples'} (top-1 agreement ${(agreement * 100).toFixed(2)}%). Export and the report, ` +
    `which judge class scores by top-1 agreement (at most ${maxDropPoints} points lost), will not call it within ` +
    'budget. With labels, an accuracy budget judges what matters.'
  );
}

/**
 * Why a finished search kept nothing, and what to do, by which case it is: every trial failed (no budget was
 * tried); no trial met the budget (loosen it); or trials met it but none beat the original (beatsOriginal), where
 * "loosen the budget" is wrong advice (an app test read it under three trials at x0.18 of a noisy run) and
 * "no trial meets the budget" read as the opposite of "trials met the budget" beside it. For the app's
 * Auto-optimize; the CLI says the same cases in its own lines (tune-print.ts `noChoiceLines`).
 */
export function noChoiceWords(trials: readonly TuneTrial[], objective: TuneObjective): string {
  if (trials.length > 0 && trials.every((t) => t.status === 'failed'))
    return "Every trial failed (see each trial's error), so no budget was tried: nothing was kept. Fix what the errors say and run again.";
  const met = trials.filter((t) => t.status === 'done' && t.meetsBudget);
  if (met.length === 0)
    return 'No trial meets the budget: nothing was kept. Loosen the budget or allow more trials.';
  const one = met.length === 1;
  const head = `${one ? `1 trial meets the budget, but it is not` : `${met.length} trials meet the budget, but none is`} ${gainRule(objective)}: nothing was kept.`;
  if (objective !== 'latency') return `${head} Allow pruning or loosen the budget for a smaller file.`;
  if (metButNoisy(trials))
    return `${head} ${one ? 'Its benchmark spread' : 'Their benchmarks spread'} too much to call ${one ? 'it' : 'any'} faster: run again with the machine otherwise idle, or choose the size objective.`;
  return `${head} The size objective may still find a smaller variant.`;
}

/**
 * Whether trials met the budget on benchmarks too noisy to call them faster (`latencyUnreliable`) while measured
 * no slower: a quieter machine could tell; one measured at 1.2x would not become faster.
 */
export function metButNoisy(trials: readonly TuneTrial[]): boolean {
  return trials.some(
    (t) =>
      t.status === 'done' && t.meetsBudget && t.latencyUnreliable === true && (t.p50Ratio ?? Infinity) < 1,
  );
}

/**
 * For the size objective, files within this share of the smallest candidate's size are the same size: the
 * margin MIN_SIZE_GAIN asks of the original, applied between trials. A 0.4% smaller file is no reason to keep
 * the less faithful one (a user test: int8-static at 0.99560 over int8-weight at 0.99888 for 2.4 MB of 587).
 */
export const SAME_SIZE_SHARE = MIN_SIZE_GAIN;

/** The trials that may be chosen: done, within the budget, beating the original (beatsOriginal). */
function eligible(trials: readonly TuneTrial[], objective: TuneObjective): TuneTrial[] {
  return trials.filter((t) => t.status === 'done' && t.meetsBudget && beatsOriginal(t, objective));
}

const byObjective = (objective: TuneObjective) => (a: TuneTrial, b: TuneTrial) =>
  objectiveValue(a, objective)! - objectiveValue(b, objective)! || a.index - b.index;

/** Within one size: the more faithful first, then the faster (an unbenchmarked one last), the smaller, the first. */
const bySameSizeTieBreak = (budget: TuneBudget) => (a: TuneTrial, b: TuneTrial) =>
  (qualityValue(b, budget) ?? -Infinity) - (qualityValue(a, budget) ?? -Infinity) ||
  (a.p50Ratio ?? Infinity) - (b.p50Ratio ?? Infinity) ||
  a.sizeRatio! - b.sizeRatio! ||
  a.index - b.index;

/** Whether `trial` is the same size as `smallest` by SAME_SIZE_SHARE. */
function sameSizeAs(trial: TuneTrial, smallest: TuneTrial): boolean {
  return trial.sizeRatio! <= smallest.sizeRatio! * (1 + SAME_SIZE_SHARE) + 1e-12;
}

/** The choice, and the smaller trials it was preferred to by the same-size rule (none when it is the smallest). */
export interface TuneChoice {
  trial: TuneTrial;
  passedOver: TuneTrial[];
}

/**
 * The trial to keep: within the budget, better than the original (beatsOriginal), lowest objective. For size,
 * trials the same size as the smallest (SAME_SIZE_SHARE) tie, and the tie goes to quality, then speed. The
 * budget decides what quality is; without one (a caller that has none) the smallest is kept.
 */
export function tuneChoice(
  trials: readonly TuneTrial[],
  objective: TuneObjective,
  budget: TuneBudget,
): TuneChoice | undefined {
  const ranked = eligible(trials, objective).sort(byObjective(objective));
  const smallest = ranked[0];
  if (!smallest || objective !== 'size') return smallest && { trial: smallest, passedOver: [] };
  const trial = ranked.filter((t) => sameSizeAs(t, smallest)).sort(bySameSizeTieBreak(budget))[0]!;
  return { trial, passedOver: ranked.filter((t) => t.sizeRatio! < trial.sizeRatio!) };
}

/** tuneChoice's trial. */
export function chooseTrial(
  trials: readonly TuneTrial[],
  objective: TuneObjective,
  budget: TuneBudget,
): TuneTrial | undefined {
  return tuneChoice(trials, objective, budget)?.trial;
}

/**
 * The trials a search must keep the variants of: the choice now and, for size, those a later, smaller trial
 * could make the choice (tuneChoice's tie moves with the smallest): eligible, the same size as the smallest,
 * and preferred by the tie-break to every trial no larger than themselves.
 */
export function mayBeChosen(
  trials: readonly TuneTrial[],
  objective: TuneObjective,
  budget: TuneBudget,
): Set<TuneTrial> {
  const choice = tuneChoice(trials, objective, budget);
  if (!choice || objective !== 'size') return new Set(choice ? [choice.trial] : []);
  const ranked = eligible(trials, objective).sort(byObjective(objective));
  const tieBreak = bySameSizeTieBreak(budget);
  return new Set(
    ranked.filter(
      (t) =>
        sameSizeAs(t, ranked[0]!) &&
        !ranked.some((o) => o !== t && o.sizeRatio! <= t.sizeRatio! && tieBreak(o, t) < 0),
    ),
  );
}

/**
 * Why the choice is not the smallest trial, in words, from tuneChoice's own rule; undefined when it is.
 * `#1 int8-weight was kept over #3 int8-static (0.4% smaller): ...`.
 */
export function sameSizeNote(choice: TuneChoice | undefined, budget: TuneBudget): string | undefined {
  if (!choice || choice.passedOver.length === 0) return undefined;
  const { trial } = choice;
  const quality = (t: TuneTrial) =>
    budget.kind === 'accuracy-drop'
      ? `${(-(qualityValue(t, budget) ?? 0)).toFixed(2)} points lost`
      : `cosine ${formatCosine(t.cosine ?? NaN, budget)}`;
  const others = choice.passedOver
    .map(
      (t) =>
        `#${t.index} ${t.name} (${((1 - t.sizeRatio! / trial.sizeRatio!) * 100).toFixed(1)}% smaller, ${quality(t)})`,
    )
    .join(', ');
  return (
    `#${trial.index} ${trial.name} (${quality(trial)}) was kept over ${others}: files within ` +
    `${SAME_SIZE_SHARE * 100}% of the smallest count as the same size, and among them the more faithful is kept ` +
    '(then the faster).'
  );
}

/**
 * The final benchmark's time, beside the search's (`seconds` does not count it), for the sentence after the
 * trials in the CLI and the app: ` Benchmarking the choice against the original took 90.2 s more (477.9 s for
 * search and benchmark).`; empty where there was none.
 */
export function benchTimeWords(outcome: Pick<TuneOutcome, 'seconds' | 'benchSeconds'>): string {
  if (outcome.benchSeconds === undefined) return '';
  const all = outcome.seconds + outcome.benchSeconds;
  return ` Benchmarking the choice against the original took ${outcome.benchSeconds.toFixed(1)} s more (${all.toFixed(1)} s for search and benchmark).`;
}

/** When nothing qualifies: the finished trial nearest the budget (then the better objective). */
export function closestTrial(
  trials: readonly TuneTrial[],
  objective: TuneObjective,
  budget: TuneBudget,
): TuneTrial | undefined {
  return trials
    .filter((t) => t.status === 'done' && qualityValue(t, budget) !== undefined)
    .sort(
      (a, b) =>
        budgetShortfall(a, budget) - budgetShortfall(b, budget) ||
        (objectiveValue(a, objective) ?? Infinity) - (objectiveValue(b, objective) ?? Infinity),
    )[0];
}

/** One line for a budget, e.g. `at most 0.5 accuracy points lost`. */
export function describeBudget(budget: TuneBudget): string {
  return budget.kind === 'accuracy-drop'
    ? `at most ${budget.points} accuracy point${budget.points === 1 ? '' : 's'} lost`
    : `output cosine at least ${budget.cosine}`;
}
