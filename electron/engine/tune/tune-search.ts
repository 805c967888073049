/**
 * The search of `tune`: try the candidate recipes, then for the best int8-static trials that break the budget put
 * the most sensitive nodes back in float until the budget holds, and choose. It knows nothing of how a variant is
 * made or measured: a TrialRunner does that (tune-runner.ts runs it on the studio's jobs), so the search is tested
 * on its own and the app and the CLI share it.
 *
 * Fallback: the nodes are ranked once per base trial by sensitivity analysis (quantize/sensitivity.ts). The
 * search probes k = 1, 2, 4, 8... nodes in float until the budget holds, then bisects between the last k that
 * failed and the first that held: about 2 log2(k) trials. It assumes that more nodes in float never hurt, which
 * the tests check on fixtures; a variant found this way is kept only if it still beats the original.
 */
import { isUserError } from '../../../shared/errors.js';
import type { TuneBudget, TuneOptions } from '../../../shared/options/tune-options.js';
import type { SensitivityRow } from '../../../shared/sensitivity.js';
import {
  beatsOriginal,
  gainRule,
  budgetShortfall,
  mayBeChosen,
  sameSizeNote,
  tuneChoice,
  type TuneChoice,
  closestTrial,
  objectiveValue,
  paretoFront,
  top1AgreementNote,
  type TrialRecipe,
  type TuneOriginal,
  type TuneOutcome,
  type TuneStop,
  type TuneTrial,
  withinBudget,
} from '../../../shared/tune.js';
import { DEFAULT_MAX_DROP_POINTS } from '../../../shared/best-variant.js';
import { StudioError } from '../errors.js';
import type { TuneCandidate } from './tune-candidates.js';

/** Makes and measures variants for the search. */
export interface TrialRunner {
  /** Makes the variant a recipe describes; returns its id and file bytes. */
  make(recipe: TrialRecipe, name: string): Promise<{ variantId: string; bytes: number }>;
  /** Its accuracy (with labels) and its fidelity to the original (TrialQuality). */
  evaluate(variantId: string): Promise<TrialQuality>;
  /** Its p50, interleaved with the original in one benchmark, and that ratio judged against the run's noise. */
  bench(
    variantId: string,
  ): Promise<Pick<TuneTrial, 'p50Ms' | 'p50Ratio' | 'latencyVerdict' | 'latencyUnreliable'>>;
  remove(variantId: string): Promise<void>;
  /** The nodes of an int8-static recipe, most sensitive first. */
  sensitivity(recipe: TrialRecipe): Promise<SensitivityRow[]>;
  /**
   * What its jobs said they guessed so far (dims and values nothing set, `isGuessNote`), each once: the trials'
   * figures rest on them, so tune prints them beside its table.
   */
  guesses?(): string[];
}

/** A variant's quality against the original, as a trial records it. */
export interface TrialQuality {
  accuracy?: number;
  /** The worst cosine over the float outputs (the worst `agreement` where every output is bool or integer). */
  cosine: number;
  /** The worst share of equal values over the bool and integer outputs, when there are any. */
  agreement?: number;
  /** Those outputs' names. */
  discreteOutputs?: string[];
  /** Whether `cosine` is the agreement: the model has no float output. */
  cosineIsAgreement?: boolean;
  /** The worst top-1 agreement over the class-score outputs, when there are any (TuneTrial.top1Agreement). */
  top1Agreement?: number;
  /** Whether that agreement is a share of positions, not samples (TuneTrial.top1PerPosition). */
  top1PerPosition?: boolean;
}

/**
 * What the table's Cosine and Agreement mean for a model with bool or integer outputs (a mask from Greater, a
 * class id from ArgMax): their values are categories, whose cosine says little (one flipped bit of 40 costs
 * 0.974), so they are compared value by value.
 */
export function discreteOutputsNote(quality: TrialQuality, budget: TuneBudget): string | undefined {
  const names = quality.discreteOutputs ?? [];
  if (names.length === 0) return undefined;
  const list = names.map((n) => `'${n}'`).join(', ');
  const budgeted = budget.kind === 'min-cosine';
  if (quality.cosineIsAgreement)
    return (
      `Every output (${list}) is bool or integer, so each is compared value by value: Cosine` +
      `${budgeted ? ' (and the cosine budget)' : ''} is the share of their values equal to the original's, as Agreement.`
    );
  const one = names.length === 1;
  return (
    `Output${one ? '' : 's'} ${list} ${one ? 'is' : 'are'} bool or integer, so compared value by value: Agreement ` +
    `is the share of ${one ? 'its' : 'their'} values equal to the original's (the lowest), and Cosine` +
    `${budgeted ? ' (with the cosine budget)' : ''} covers the float outputs only.`
  );
}

export interface TuneSearchRequest {
  model: string;
  options: TuneOptions;
  budget: TuneBudget;
  original: TuneOriginal;
  candidates: TuneCandidate[];
  runner: TrialRunner;
  /** Trials run at once in the first phase (making one while another is evaluated). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Each trial as it starts (status not yet final) and again when it ends. */
  onTrial?: (trial: TuneTrial, ended: boolean) => void;
  onStage?: (text: string) => void;
  notes?: string[];
  now?: () => number;
}

/** Fallback runs from at most this many base trials. */
const MAX_FALLBACK_BASES = 2;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The user-input error (bad data, flags or provider) every trial failed with, when they all failed alike: that
 * error is the outcome, not a budget miss. The up-front checks (run-tune.ts) catch most such errors; this
 * catches those that show only when a variant runs.
 */
function sameUserError(
  trials: readonly TuneTrial[],
  failures: ReadonlyMap<TuneTrial, unknown>,
): StudioError | undefined {
  const first = trials[0] && failures.get(trials[0]);
  if (!(first instanceof StudioError) || !isUserError(first.code)) return undefined;
  // A failure to run a variant names the variant in its message; its detail (onnxruntime's own reason) does
  // not, so where there is one it is what must match.
  const alike = trials.every((t) => {
    const error = failures.get(t);
    if (!(error instanceof StudioError) || error.code !== first.code) return false;
    return first.detail !== undefined ? error.detail === first.detail : error.message === first.message;
  });
  return alike ? first : undefined;
}

export async function runTuneSearch(request: TuneSearchRequest): Promise<TuneOutcome> {
  const { options, budget, original, runner, signal } = request;
  const now = request.now ?? (() => performance.now());
  const started = now();
  const notes = [...(request.notes ?? [])];
  const trials: TuneTrial[] = [];
  const running = new Set<TuneTrial>();
  /** What each failed trial threw, for `sameUserError`. */
  const failures = new Map<TuneTrial, unknown>();
  /** Trials the cancel stopped before they finished: not listed (their figures are partial), named in a note. */
  const unfinished: TuneTrial[] = [];
  let discreteNoted = false;
  let stoppedBy: TuneStop = 'searched';
  let sensitivity: TuneOutcome['sensitivity'];

  /** Why no further trial may start, if one of the limits is reached. */
  const limitReached = (): TuneStop | undefined => {
    if (signal?.aborted) return 'cancelled';
    if (trials.length >= options.maxTrials) return 'max-trials';
    if (options.timeLimit !== undefined && (now() - started) / 1000 >= options.timeLimit) return 'time-limit';
    return undefined;
  };

  const runTrial = async (
    name: string,
    recipe: TrialRecipe,
    fallback?: TuneTrial['fallback'],
  ): Promise<TuneTrial> => {
    const trialStarted = now();
    const trial: TuneTrial = {
      index: trials.length,
      name,
      recipe,
      status: 'done',
      seconds: 0,
      ...(fallback ? { fallback } : {}),
    };
    trials.push(trial);
    running.add(trial);
    request.onTrial?.(trial, false);
    try {
      const made = await runner.make(recipe, name);
      trial.variantId = made.variantId;
      trial.bytes = made.bytes;
      trial.sizeRatio = made.bytes / original.bytes;
      const quality = await runner.evaluate(made.variantId);
      trial.cosine = quality.cosine;
      if (quality.agreement !== undefined) trial.agreement = quality.agreement;
      if (quality.top1Agreement !== undefined) trial.top1Agreement = quality.top1Agreement;
      if (quality.top1PerPosition) trial.top1PerPosition = true;
      const discrete = discreteNoted ? undefined : discreteOutputsNote(quality, budget);
      if (discrete) {
        notes.push(discrete);
        discreteNoted = true;
      }
      if (quality.accuracy !== undefined) {
        trial.accuracy = quality.accuracy;
        if (original.accuracy !== undefined) trial.dropPoints = (original.accuracy - quality.accuracy) * 100;
      }
      trial.meetsBudget = withinBudget(trial, budget);
      // Latency is measured for every trial when it is the objective (the Pareto front needs it); for the size
      // objective only the chosen variant is benchmarked, at the end.
      if (options.objective === 'latency') {
        Object.assign(trial, await runner.bench(made.variantId));
      }
    } catch (error) {
      // Once cancelled, a job may end with another error than CANCELLED (a task process killed under it): the
      // trial did not finish either way, and is not a failure of its recipe.
      if ((error instanceof StudioError && error.code === 'CANCELLED') || signal?.aborted) {
        trials.splice(trials.indexOf(trial), 1);
        running.delete(trial);
        unfinished.push(trial);
        throw error instanceof StudioError && error.code === 'CANCELLED'
          ? error
          : new StudioError('CANCELLED', 'Cancelled.', { cause: error });
      }
      trial.status = 'failed';
      trial.error = messageOf(error);
      failures.set(trial, error);
    }
    trial.seconds = (now() - trialStarted) / 1000;
    running.delete(trial);
    await removeLosers();
    request.onTrial?.(trial, true);
    return trial;
  };

  /**
   * Deletes the variants of ended trials that can no longer be chosen (everything but the current choice), as
   * the search goes: a sweep over a large model keeps one variant on disk, not one per trial.
   */
  const removeLosers = async () => {
    // More than the choice now: with the size objective's tie, a later smaller trial can move it (shared/tune.ts).
    const keep = mayBeChosen(trials, options.objective, budget);
    for (const t of trials) {
      if (keep.has(t) || !t.variantId || running.has(t)) continue;
      const id = t.variantId;
      delete t.variantId;
      await runner.remove(id);
    }
  };

  const met = () => trials.filter((t) => t.status === 'done' && t.meetsBudget);
  // The best objective among trials that could be chosen: one within the budget but not beating the original
  // (within noise) must not block a fallback that could beat it.
  const bestMet = () =>
    Math.min(
      ...met()
        .filter((t) => beatsOriginal(t, options.objective))
        .map((t) => objectiveValue(t, options.objective) ?? Infinity),
    );
  const pointless = (candidate: TuneCandidate): string | undefined => {
    const sameClass = met().find(
      (t) => request.candidates.find((c) => c.name === t.name)?.sameAs === candidate.sameAs,
    );
    if (sameClass) return `'${sameClass.name}' has the same structure and already meets the budget`;
    if (options.objective === 'size' && candidate.sizeFloor >= bestMet())
      return `it cannot get below ${candidate.sizeFloor}x of the size, and a variant at ${bestMet().toFixed(3)}x already meets the budget`;
    return undefined;
  };

  try {
    // Phase 1: the candidates, a few at a time (the job lanes keep a benchmark alone on the CPU).
    const queue = [...request.candidates];
    // Structures with a trial running: a candidate of the same one waits for it, since that trial may meet the
    // budget and make it pointless. Started beside it, it ran or was skipped by which worker came first. Taken
    // when a worker picks its candidate (before any await), so two workers never pick one structure at once.
    const busy = new Map<string, Promise<void>>();
    const nextCandidate = async (): Promise<
      { candidate: TuneCandidate; release: () => void } | undefined
    > => {
      for (;;) {
        const free = queue.findIndex((c) => !busy.has(c.sameAs));
        if (free >= 0) {
          const candidate = queue.splice(free, 1)[0]!;
          let release!: () => void;
          busy.set(
            candidate.sameAs,
            new Promise<void>((resolve) => {
              release = () => {
                busy.delete(candidate.sameAs);
                resolve();
              };
            }),
          );
          return { candidate, release };
        }
        if (queue.length === 0 || busy.size === 0 || halted) return undefined;
        await Promise.race(busy.values());
      }
    };
    const worker = async () => {
      for (;;) {
        // Another worker threw (the cancel, or an error of the search itself): start nothing more.
        if (halted) return;
        const picked = await nextCandidate();
        if (!picked) return;
        try {
          await tryCandidate(picked.candidate);
        } finally {
          picked.release();
        }
        if (stoppedBy !== 'searched') return;
      }
    };
    /** Runs one candidate of phase 1, unless the limits or an earlier trial make it pointless. */
    const tryCandidate = async (candidate: TuneCandidate): Promise<void> => {
      const limit = limitReached();
      if (limit) {
        stoppedBy = limit;
        return;
      }
      const why = pointless(candidate);
      if (why) {
        notes.push(`Skipped ${candidate.name}: ${why}.`);
        return;
      }
      request.onStage?.(`trial #${trials.length}: ${candidate.name}`);
      try {
        await runTrial(candidate.name, candidate.recipe);
      } catch (error) {
        halted = true;
        throw error;
      }
    };
    let halted = false;
    // Every worker is awaited, not only the first to throw: a trial still running beside a cancelled one would
    // otherwise be listed half-measured (evaluated, its benchmark never run) as if it had finished.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.max(1, request.concurrency ?? 2) }, worker),
    );
    const thrown = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (thrown) throw thrown.reason;

    // Phase 2: fallback from the int8-static trials that break the budget, the best objective first, while they
    // could still beat what already meets it (keeping nodes in float only slows a variant down).
    // Nearest the budget first: it needs the fewest nodes back in float.
    const bases = trials
      .filter(
        (t) => t.status === 'done' && !t.meetsBudget && !t.fallback && t.recipe.method === 'int8-static',
      )
      .sort(
        (a, b) =>
          budgetShortfall(a, budget) - budgetShortfall(b, budget) ||
          (objectiveValue(a, options.objective) ?? Infinity) -
            (objectiveValue(b, options.objective) ?? Infinity),
      )
      .slice(0, MAX_FALLBACK_BASES);
    for (const base of bases) {
      if (stoppedBy !== 'searched' || limitReached()) break;
      const baseValue = objectiveValue(base, options.objective) ?? Infinity;
      const beats = beatsOriginal(base, options.objective);
      if (baseValue >= bestMet() || !beats) {
        notes.push(
          `No fallback from '${base.name}': even before nodes go back to float it is ${beats ? 'no better than a variant that meets the budget' : `not ${gainRule(options.objective)}`}.`,
        );
        continue;
      }
      request.onStage?.(`sensitivity of ${base.name}`);
      const rows = (await runner.sensitivity(base.recipe)).filter(
        // Exact (no error of its own: nothing to win in float); unmeasured ones stay, ranked by their drop.
        (r) => r.localSqnrDb !== null || r.unmeasured?.localSqnrDb !== undefined,
      );
      sensitivity ??= { base: base.index, rows };
      // Nodes are kept in float by name: an unnamed one cannot be, and a trial naming its label is refused.
      const unnamed = rows.filter((r) => r.unnamed).length;
      if (unnamed > 0) {
        notes.push(
          `${unnamed} of the nodes ranked for '${base.name}' have no name, so the fallback cannot keep them in float; name the model's nodes to include them.`,
        );
      }
      const stop = await fallbackSearch(
        base,
        rows.filter((r) => !r.unnamed).map((r) => r.node),
      );
      if (stop) stoppedBy = stop;
    }
  } catch (error) {
    if (!(error instanceof StudioError && error.code === 'CANCELLED')) throw error;
    stoppedBy = 'cancelled';
  }
  if (stoppedBy === 'searched') stoppedBy = limitReached() === 'cancelled' ? 'cancelled' : stoppedBy;
  if (unfinished.length > 0)
    notes.push(
      // "Stopped", not "Cancelled": ONNX Studio closing stops a search too, and then nobody cancelled it.
      `Stopped before ${unfinished.length > 1 ? 'they' : 'it'} finished, so not listed: ${unfinished
        .sort((a, b) => a.index - b.index)
        .map((t) => `#${t.index} ${t.name}`)
        .join(', ')}.`,
    );
  const common = stoppedBy === 'cancelled' ? undefined : sameUserError(trials, failures);
  if (common)
    throw new StudioError(
      common.code,
      `Every trial failed with the same error, so no budget was tried: ${common.message}`,
      { cause: common, ...(common.cliHint !== undefined ? { cliHint: common.cliHint } : {}) },
    );

  // A stopped search (Cancel, ONNX Studio closing) chooses nothing: its best trial so far was never weighed
  // against the trials it did not run, so the CLI writes it nowhere and the app keeps it under its trial name,
  // not `tuned: ...` (tune-job.ts). Nor is a closest named: the budget was not missed, the search was stopped.
  const stopped = stoppedBy === 'cancelled';
  const choice = stopped ? undefined : tuneChoice(trials, options.objective, budget);
  const chosen = choice?.trial;
  // Why it is not the smallest, by the rule that chose it (SAME_SIZE_SHARE): the CLI and the app print notes.
  notes.push(...choiceNotes(choice, budget));
  const closest = chosen || stopped ? undefined : closestTrial(trials, options.objective, budget);
  return {
    model: request.model,
    objective: options.objective,
    budget,
    original,
    trials,
    pareto: paretoFront(trials, options.objective, budget),
    ...(chosen ? { chosen: chosen.index } : {}),
    ...(closest ? { closest: closest.index } : {}),
    ...(sensitivity ? { sensitivity } : {}),
    stoppedBy,
    seconds: (now() - started) / 1000,
    notes,
  };

  /**
   * Probes k nodes in float (1, 2, 4...), then bisects; returns the limit that stopped it, if any. Every node in
   * float would be the original again, so k stays below the count; and once a probe that breaks the budget no
   * longer beats the original, more nodes in float (slower still) cannot help.
   */
  async function fallbackSearch(base: TuneTrial, ranked: string[]): Promise<TuneStop | undefined> {
    const most = ranked.length - 1;
    if (most < 1) return undefined;
    const baseExcluded = (base.recipe.common.excludeNodes as string[] | undefined) ?? [];
    const probe = async (k: number): Promise<boolean> => {
      const floatNodes = ranked.slice(0, k);
      const recipe: TrialRecipe = {
        ...base.recipe,
        common: { ...base.recipe.common, excludeNodes: [...baseExcluded, ...floatNodes] },
      };
      request.onStage?.(`trial #${trials.length}: ${base.name} with ${k} node${k > 1 ? 's' : ''} in float`);
      const trial = await runTrial(`${base.name} + ${k} node${k > 1 ? 's' : ''} in float`, recipe, {
        from: base.index,
        floatNodes,
      });
      const held = trial.status === 'done' && trial.meetsBudget === true;
      const value = objectiveValue(trial, options.objective) ?? Infinity;
      if (
        !held &&
        trial.status === 'done' &&
        (!beatsOriginal(trial, options.objective) || value >= bestMet())
      ) {
        notes.push(
          `Fallback from '${base.name}' stopped at ${k} node${k > 1 ? 's' : ''} in float: still outside the budget, and already ` +
            `${beatsOriginal(trial, options.objective) ? 'no better than a variant that meets it' : 'no better than the original'}.`,
        );
        hopeless = true;
      }
      return held;
    };
    let hopeless = false;
    let failed = 0;
    let held: number | undefined;
    for (let k = 1; ; k = Math.min(most, k * 2)) {
      const limit = limitReached();
      if (limit) return limit;
      if (await probe(k)) {
        held = k;
        break;
      }
      failed = k;
      if (k === most || hopeless) return undefined;
    }
    while (held - failed > 1) {
      const limit = limitReached();
      if (limit) return limit;
      const mid = Math.floor((failed + held) / 2);
      if (await probe(mid)) held = mid;
      else failed = mid;
    }
    return undefined;
  }
}

/** The notes that explain a choice: why not the smallest (the same-size tie), and a top-1 loss beyond Export's. */
function choiceNotes(choice: TuneChoice | undefined, budget: TuneBudget): string[] {
  const sameSize = sameSizeNote(choice, budget);
  const changedClasses = choice && top1AgreementNote(choice.trial, budget, DEFAULT_MAX_DROP_POINTS);
  return [...(sameSize ? [sameSize] : []), ...(changedClasses ? [changedClasses] : [])];
}

/**
 * Takes back a choice that a Cancel during its benchmark or its export left unfinished: a stopped search chooses
 * nothing (above), so neither its `chosen` nor the notes that explain it remain.
 */
export function withdrawChoice(outcome: TuneOutcome): void {
  if (outcome.chosen === undefined) return;
  const explained = new Set(
    choiceNotes(tuneChoice(outcome.trials, outcome.objective, outcome.budget), outcome.budget),
  );
  outcome.notes = outcome.notes.filter((note) => !explained.has(note));
  delete outcome.chosen;
}
