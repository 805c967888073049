import { shellQuote } from '../../../shared/cli-command.js';
import { flagOf } from '../../../shared/options/cli-flags.js';
import {
  describeBudget,
  describeTuneData,
  benchTimeWords,
  formatCosine,
  accuracyWords,
  gainRule,
  latencyVerdictWords,
  metButNoisy,
  trialNumbered,
  tuneStopReason,
  type NameTuneSetting,
  type TuneLimitOption,
  type TuneOutcome,
  type TuneTrial,
} from '../../../shared/tune.js';
import { methodCatalog } from '../../engine/jobs/method-catalog.js';
import { isGuessNote } from '../../engine/runtime/input-specs.js';
import { guessedLines } from '../guess-warnings.js';
import { formatBytes, formatPoints, formatTable } from '../format.js';

/** Sensitivity rows printed (all of them with --json). */
const TOP_SENSITIVE = 10;

/** Exit code when no variant meets the budget (docs/cli.md). */
export const EXIT_BUDGET_NOT_MET = 3;

/** `file.onnx` -> `file.tune.json`: where the whole outcome is written beside the chosen variant. */
export function outcomePathOf(output: string): string {
  return output.replace(/\.onnx$/i, '') + '.tune.json';
}

const ratio = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(3)}x`);

function quality(t: TuneTrial, outcome: TuneOutcome): string {
  if (t.status === 'failed') return 'failed';
  if (outcome.budget.kind === 'accuracy-drop' && t.accuracy !== undefined)
    return `${(t.accuracy * 100).toFixed(2)}% (${formatPoints(-(t.dropPoints ?? 0))})`;
  return t.cosine === undefined ? '-' : formatCosine(t.cosine, outcome.budget);
}

/** A trial's share of bool and integer output values equal to the original's, as a percentage. */
const agreementOf = (t: TuneTrial) =>
  t.status === 'failed' || t.agreement === undefined ? '-' : `${(t.agreement * 100).toFixed(2)}%`;

/** A tune option as the CLI names it: its flag (`--max-trials`), from the option's declaration. */
const flagName = (option: TuneLimitOption | 'objective' | 'allowPruning' | 'evalSamples') =>
  `--${flagOf(methodCatalog().tune, option) ?? option}`;

/** A setting as the CLI's reasons name it: `--objective size`, `--allow-pruning`. */
export const cliTuneSetting: NameTuneSetting = (setting) =>
  setting.option === 'objective' ? `${flagName(setting.option)} ${setting.value}` : flagName(setting.option);

/** The trials table, the Pareto front, the sensitivity top and the choice (or the closest miss). */
export function printTuneOutcome(
  out: NodeJS.WritableStream,
  outcome: TuneOutcome,
  written: string | undefined,
  /** For a collected sweep: where the chosen variant is (copied to `written` when -o was given). */
  variantAt?: string,
  /** For a collected sweep: the trials that have no result (yet). */
  missing?: number[],
): void {
  const front = new Set(outcome.pareto);
  const named = accuracyWords(outcome.original);
  const qualityHeader =
    outcome.budget.kind === 'accuracy-drop' ? `${named[0]!.toUpperCase()}${named.slice(1)} (Δ)` : 'Cosine';
  // Bool and integer outputs are compared value by value, on their own column (fidelity-metrics.ts).
  const agreement = outcome.trials.some((t) => t.agreement !== undefined);
  // Class scores: the share of samples whose top class is the original's, beside the cosine that can hide it.
  const top1 =
    outcome.budget.kind !== 'accuracy-drop' && outcome.trials.some((t) => t.top1Agreement !== undefined);
  const lines: string[] = [];
  const originalAccuracy = outcome.original.accuracy;
  lines.push(
    `Budget: ${describeBudget(outcome.budget)}. Objective: ${outcome.objective === 'latency' ? 'p50 latency on this machine' : 'file size'}.`,
    `Original: ${formatBytes(outcome.original.bytes)}${originalAccuracy !== undefined ? `, ${named} ${(originalAccuracy * 100).toFixed(2)}%` : ''}.`,
    // Which data every figure below comes from (absent from a collected sweep's outcome).
    ...(outcome.data ? [describeTuneData(outcome.data, flagName('evalSamples'))] : []),
    // Every figure below was measured on these guessed inputs: said beside them, not only as stderr warnings.
    ...guessedLines(outcome.notes),
    '',
    formatTable(
      [
        '#',
        'Trial',
        'Size ratio',
        'p50 ratio',
        qualityHeader,
        ...(top1 ? ['Top-1 agreement'] : []),
        ...(agreement ? ['Agreement'] : []),
        'Budget',
        'Pareto',
      ],
      outcome.trials.map((t) => [
        t.index === outcome.chosen ? `${t.index}*` : String(t.index),
        t.name,
        ratio(t.sizeRatio),
        p50Cell(t),
        quality(t, outcome),
        ...(top1 ? [t.top1Agreement !== undefined ? `${(t.top1Agreement * 100).toFixed(2)}%` : '-'] : []),
        ...(agreement ? [agreementOf(t)] : []),
        t.status === 'failed' ? '-' : t.meetsBudget ? 'met' : 'broken',
        front.has(t.index) ? 'yes' : '',
      ]),
    ),
    '',
    missing
      ? `${outcome.trials.length} trials collected (${outcome.seconds.toFixed(1)} s of trial time)` +
          (missing.length > 0
            ? `; ${missing.length} more have no result yet, so a better one may still come.`
            : '.')
      : `${outcome.trials.length} trial${outcome.trials.length === 1 ? '' : 's'} in ${outcome.seconds.toFixed(1)} s; the search stopped because ${tuneStopReason(outcome.stoppedBy, flagName)}.` +
          benchTimeWords(outcome),
    'Ratios are against the original (below 1 is better); each p50 comes from one benchmark interleaved with the original' +
      (outcome.trials.some((t) => t.latencyVerdict === 'same')
        ? ", and 'within noise' marks one that run cannot tell from 1 (as Compare judges it)" +
          (outcome.trials.some((t) => t.latencyUnreliable)
            ? "; 'unreliable run': its runs spread too much to tell anything (p90 over 3x the p50, or an IQR over half the median)."
            : '.')
        : '.'),
  );
  if (outcome.sensitivity) {
    const rows = outcome.sensitivity.rows.slice(0, TOP_SENSITIVE);
    lines.push(
      '',
      `Most sensitive nodes of '${trialNumbered(outcome, outcome.sensitivity.base)?.name}' (the SQNR each loses; onnx-studio sensitivity explains):`,
      formatTable(
        ['Rank', 'Node', 'Op', 'Drop dB', 'SQNR out dB', 'Local SQNR dB'],
        rows.map((r, i) => [
          i + 1,
          r.node,
          r.opType,
          r.dropDb?.toFixed(1) ?? '-',
          r.outputSqnrDb?.toFixed(1) ?? 'exact',
          r.localSqnrDb?.toFixed(1) ?? 'exact',
        ]),
      ),
    );
  }
  // Guesses are above the table.
  for (const note of outcome.notes.filter((n) => !isGuessNote(n))) lines.push(`Note: ${note}`);
  lines.push('');
  const chosen = trialNumbered(outcome, outcome.chosen);
  if (chosen && (written || variantAt)) {
    lines.push(
      `Chosen: ${chosen.name}: ${ratio(chosen.sizeRatio)} size, ${p50Phrase(chosen)}, ${namedQuality(chosen, outcome)}${chosen.agreement !== undefined ? `, agreement ${agreementOf(chosen)}` : ''}.`,
    );
    if (variantAt)
      lines.push(
        written
          ? `Copied ${variantAt} to ${written}.`
          : `Its variant: ${variantAt} (pass -o OUT to copy it).`,
      );
    else
      lines.push(
        `Wrote ${written} (its recipe is in its metadata: onnx-studio recipe ${shellQuote(written!)}) and every trial to ${outcomePathOf(written!)}.`,
      );
  } else lines.push(...noChoiceLines(outcome));
  out.write(`${lines.join('\n')}\n`);
}

/**
 * Why nothing was chosen, and what to do: what text mode prints after the table, and `message` in the JSON of
 * a run that exits 3.
 */
/** A trial's p50 ratio with its benchmark's verdict where it is not faster: `within noise` or `slower`. */
function p50Cell(t: TuneTrial): string {
  const verdict = latencyVerdictWords(t);
  return verdict ? `${ratio(t.p50Ratio)}, ${verdict}` : ratio(t.p50Ratio);
}

/**
 * The p50 ratio in a sentence, named first and its verdict in brackets: `p50 1.015x (within noise)`. The table
 * cell's form read "1.015x, within noise p50" inside the Chosen and Closest lines.
 */
function p50Phrase(t: TuneTrial): string {
  const verdict = latencyVerdictWords(t);
  return `p50 ${ratio(t.p50Ratio)}${verdict ? ` (${verdict})` : ''}`;
}

/** The quality figure in a sentence, named: `cosine 0.99963`, `accuracy 95.50% (-0.50 pts)`. */
function namedQuality(t: TuneTrial, outcome: TuneOutcome): string {
  const accuracy = outcome.budget.kind === 'accuracy-drop' && t.accuracy !== undefined;
  return `${accuracy ? accuracyWords(outcome.original) : 'cosine'} ${quality(t, outcome)}`;
}

export function noChoiceLines(outcome: TuneOutcome): string[] {
  const lines: string[] = [];
  if (outcome.stoppedBy === 'cancelled') {
    // Cut short: what finished says nothing of what the budget or the machine allow, so no advice on them.
    const finished = outcome.trials.length;
    return [
      `The search was cancelled after ${finished} finished trial${finished === 1 ? '' : 's'}${finished > 0 ? ' (above)' : ''}: nothing was written.`,
    ];
  }
  const closest = trialNumbered(outcome, outcome.closest);
  const meeting = outcome.trials.filter((t) => t.meetsBudget).length;
  lines.push('No variant meets the budget and beats the original: nothing was written.');
  if (closest && meeting > 0)
    lines.push(
      `${meeting} trial${meeting > 1 ? 's meet' : ' meets'} the budget, but none is ${gainRule(outcome.objective)}: the best, #${closest.index} ${closest.name}, is at ${ratio(outcome.objective === 'latency' ? closest.p50Ratio : closest.sizeRatio)}.`,
      outcome.objective !== 'latency'
        ? 'Allow pruning (--allow-pruning) or a looser budget for a smaller file.'
        : metButNoisy(outcome.trials)
          ? // Noise, not the models, decided: the advice is about the machine (shared/latency-noise.ts).
            'Their benchmarks spread too much to call any faster (unreliable run): run again with the machine otherwise idle, or try --objective size.'
          : 'On this machine and these input shapes compression does not pay off in latency; `onnx-studio explain` shows why, or try --objective size.',
    );
  else if (outcome.trials.length > 0 && outcome.trials.every((t) => t.status === 'failed'))
    // No budget was tried: loosening it cannot help.
    lines.push(
      "Every trial failed (see each trial's error), so no budget was tried: fix what the errors say and run again.",
    );
  else {
    if (closest)
      lines.push(
        `Closest: #${closest.index} ${closest.name}: ${namedQuality(closest, outcome)}, ${ratio(closest.sizeRatio)} size, ${p50Phrase(closest)}.`,
      );
    lines.push(
      outcome.stoppedBy === 'incomplete'
        ? // A sweep's trials are fixed when it is emitted: the ones without a result are what is left to try.
          'Some trials of the sweep have no result yet (the missing ones above): run them and collect again, or loosen the budget.'
        : 'Loosen the budget, give more calibration data, or allow more trials (--max-trials, --time-limit).',
    );
  }
  return lines;
}

/** noChoiceLines as one paragraph, for `--json`. */
export function noChoiceMessage(outcome: TuneOutcome): string {
  return noChoiceLines(outcome).join(' ');
}
