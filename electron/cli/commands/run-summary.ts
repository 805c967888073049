/**
 * The text `run` prints: a progress line as each step starts, and a summary line per step at the end. An eval
 * step's line compares with the source only through figures the engine measured: its fidelity to the source
 * (the eval's own reference run) and the source's accuracy where an earlier eval step measured it on the same
 * data (an eval step before the first transform evaluates the source itself).
 */
import type { Recipe, RecipeStep } from '../../../shared/recipe.js';
import type { RunRecipeResult } from '../../engine/recipe/run-recipe.js';
import { formatBytes, formatPoints } from '../format.js';
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

/** One line per step, in order: `" 2. eval     200 samples, accuracy 25.50% (-74.50 pts ...)  (0.31 s)"`. */
export function summaryLines(recipe: Recipe, result: RunRecipeResult): string[] {
  const measured: SourceAccuracy[] = [];
  return result.steps.map((step) => {
    const definition = recipe.steps[step.step - 1]!;
    // Same data: the same dataset reference (files by hash, preprocessing), so the two accuracies compare.
    const data = definition.kind === 'eval' ? JSON.stringify(definition.evaluation) : '';
    if (step.kind === 'eval' && step.model === result.source && step.report.accuracy !== undefined)
      measured.push({ step: step.step, accuracy: step.report.accuracy, data });
    const source =
      step.kind === 'eval' && step.model !== result.source
        ? measured.find((m) => m.data === data)
        : undefined;
    return `${String(step.step).padStart(2)}. ${step.kind.padEnd(8)} ${summarize(step, source)}  (${step.seconds.toFixed(2)} s)`;
  });
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
        parts.push(`accuracy ${pct(r.accuracy)}${versus}`);
      }
      if (r.rmse !== undefined) parts.push(`RMSE ${r.rmse.toPrecision(4)}`);
      if (r.fidelity) {
        // Top-1 agreement says how many predictions the step changed; the cosine alone hides that (0.99 can
        // still be a tenth of the predictions changed).
        if (r.fidelity.top1Agreement !== null)
          parts.push(`top-1 agreement with the source ${pct(r.fidelity.top1Agreement)}`);
        parts.push(`cosine to the source ${r.fidelity.cosine.toFixed(5)}`);
      }
      return parts.join(', ');
    }
    case 'export':
      return `${result.output} (${formatBytes(result.bytes)})`;
  }
}
