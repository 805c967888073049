/**
 * The text `run` prints: a progress line as each step starts, and a summary line per step at the end. An eval
 * step's line compares with the source only through figures the engine measured: its fidelity to the source
 * (the eval's own reference run) and the source's accuracy where an earlier eval step measured it on the same
 * data (an eval step before the first transform evaluates the source itself).
 */
import { formatPerplexity } from '../../../shared/perplexity-format.js';
import type { Recipe, RecipeStep } from '../../../shared/recipe.js';
import type { RunRecipeResult } from '../../engine/recipe/run-recipe.js';
import type { OutputFidelity } from '../../engine/evaluate/fidelity-metrics.js';
import { guessNoteForRecipe, isGuessNote } from '../../engine/runtime/input-specs.js';
import { formatBytes, formatPoints } from '../format.js';
import { guessedLines } from '../guess-warnings.js';
import { verdictWords } from './bench-output.js';

type StepDone = RunRecipeResult['steps'][number];

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function describeStep(step: RecipeStep): string {
  switch (step.kind) {
    case 'quantize':
    case 'prune':
      return `${step.kind} ${step.method}`;
    case 'bench':
      return `bench (${step.iterations} runs, ${step.ep})`;
    case 'eval':
      return `eval on ${step.evaluation.spec.kind === 'synthetic' ? 'synthetic data' : step.evaluation.spec.path}`;
    case 'export':
      return `export ${step.name}`;
  }
}

/** The source's accuracy as an eval step measured it: its number, and the data it was measured on. */
interface SourceAccuracy {
  step: number;
  accuracy: number;
  data: string;
}

/**
 * One line per step, in order: `" 2. eval     200 samples, accuracy 25.50% (-74.50 pts ...)  (0.31 s)"`, each with
 * the guesses its figures rest on under it (`    Guessed: ...`), as the single commands print them on stdout.
 */
export function summaryLines(recipe: Recipe, result: RunRecipeResult): string[] {
  const measured: SourceAccuracy[] = [];
  const guessed = new Map<string, number>();
  return result.steps.flatMap((step) => {
    const definition = recipe.steps[step.step - 1]!;
    // Same data: the same dataset reference (files by hash, preprocessing), so the two accuracies compare.
    const data = definition.kind === 'eval' ? JSON.stringify(definition.evaluation) : '';
    if (step.kind === 'eval' && step.model === result.source && step.report.accuracy !== undefined)
      measured.push({ step: step.step, accuracy: step.report.accuracy, data });
    const source =
      step.kind === 'eval' && step.model !== result.source
        ? measured.find((m) => m.data === data)
        : undefined;
    return [
      `${String(step.step).padStart(2)}. ${step.kind.padEnd(8)} ${summarize(step, source)}  (${step.seconds.toFixed(2)} s)`,
      ...guessLines(step, guessed),
    ];
  });
}

/**
 * The guesses a step's figures rest on (dims nothing set, values of synthetic data), as `Guessed:` lines under its
 * summary line, in the recipe's terms as the warnings say them: each in full under the first step that made it,
 * and a later step making the same ones points back to it (`Guessed: as under step 1`). `said` maps each guess to
 * the step it was said under.
 */
function guessLines(step: StepDone, said: Map<string, number>): string[] {
  if (step.kind === 'export') return [];
  const guesses = [...new Set(step.report.notes.filter(isGuessNote).map(guessNoteForRecipe))];
  const fresh = guesses.filter((g) => !said.has(g));
  const earlier = [...new Set(guesses.filter((g) => said.has(g)).map((g) => said.get(g)!))];
  for (const g of fresh) said.set(g, step.step);
  return [
    ...guessedLines(fresh),
    ...(earlier.length > 0 ? [`Guessed: as under step ${earlier.join(' and ')}`] : []),
  ].map((line) => `    ${line}`);
}

/** How many outputs an eval step's line names one by one (`eval --json` lists them all). */
const NAMED_OUTPUTS = 4;

/**
 * Each output's figure: `logits 0.94108, last_hidden_state 0.96181`. A bool or integer output's is its share of
 * equal values (`mask 100.00% equal`), as eval's table reads it: its cosine says little.
 */
function perOutput(outputs: readonly OutputFidelity[]): string {
  const named = outputs
    .slice(0, NAMED_OUTPUTS)
    .map(
      (o) =>
        `${o.output} ${o.valueAgreement !== null ? `${pct(o.valueAgreement)} equal` : o.cosine.toFixed(5)}`,
    );
  const more = outputs.length - named.length;
  return named.join(', ') + (more > 0 ? ` and ${more} more (--json lists them)` : '');
}

function summarize(result: StepDone, source: SourceAccuracy | undefined): string {
  switch (result.kind) {
    case 'quantize':
    case 'prune':
      return `${result.output} (${formatBytes(result.report.inputBytes)} -> ${formatBytes(result.report.outputBytes)})`;
    case 'bench': {
      const last = result.report.results.at(-1)!;
      const ratio = result.report.comparisons[0];
      // Judged as `bench` judges it: a ratio the run cannot tell from 1 says so.
      const words = ratio ? verdictWords(ratio) : undefined;
      const versus = ratio
        ? `, ${ratio.p50Ratio.toFixed(2)}x the source's p50${words ? ` (${words})` : ''}`
        : '';
      // Interleaved with the source, the peak is the process's with both loaded: said as such.
      const peak =
        result.report.processPeakRssBytes !== undefined
          ? `, peak RSS ${formatBytes(result.report.processPeakRssBytes)} (both models loaded)`
          : `, peak RSS ${formatBytes(last.peakRssBytes)}`;
      return `p50 ${last.p50Ms.toFixed(3)} ms${versus}${peak}`;
    }
    case 'eval': {
      const r = result.report;
      const parts = [`${r.samples} samples`];
      if (r.accuracy !== undefined) {
        const versus =
          source === undefined
            ? ''
            : ` (${formatPoints((r.accuracy - source.accuracy) * 100)} from the source's ${pct(source.accuracy)} in step ${source.step})`;
        parts.push(`${r.task === 'next-token' ? 'next-token accuracy' : 'accuracy'} ${pct(r.accuracy)}${versus}`);
      }
      if (r.nextToken) parts.push(`perplexity ${formatPerplexity(r.nextToken.perplexity)}`);
      if (r.rmse !== undefined) parts.push(`RMSE ${r.rmse.toPrecision(4)}`);
      if (r.fidelity) {
        // Of a model with several outputs, each figure names its output: the top-1 agreement is the measured
        // output's (the first, as eval measures it), and every output's cosine is given.
        const outputs = r.fidelity.outputs ?? [];
        const of = outputs.length > 1 ? ` of ${r.fidelity.output}` : '';
        // Top-1 agreement says how many predictions the step changed; the cosine alone hides that (0.99 can
        // still be a tenth of the predictions changed).
        if (r.fidelity.top1Agreement !== null)
          parts.push(`top-1 agreement${of} with the source ${pct(r.fidelity.top1Agreement)}`);
        parts.push(
          outputs.length > 1
            ? `cosine to the source ${perOutput(outputs)}`
            : `cosine to the source ${r.fidelity.cosine.toFixed(5)}`,
        );
      }
      return parts.join(', ');
    }
    case 'export':
      return `${result.output} (${formatBytes(result.bytes)})`;
  }
}
