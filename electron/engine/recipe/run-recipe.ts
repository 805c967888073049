/**
 * Runs a recipe document: finds its source model and data by name + sha256, then executes the steps in order
 * on the current model (each transform writes a new file in the output folder; bench and eval measure the
 * current model; export copies it under a chosen name; run-step.ts). The CLI's `run` drives it.
 */
import { StudioError } from '../errors.js';
import { removeCreatedFolder } from '../onnx/output-folder.js';
import { guessNoteForRecipe, isGuessNote } from '../runtime/input-specs.js';
import { planRecipe, type RecipePlan } from './recipe-plan.js';
import { type RunRecipeOptions, type RunRecipeResult, runStep, type StepResult } from './run-step.js';
import { inStep, stepNote, stepNumber, stoppedAt } from './step-messages.js';

export type { RunRecipeOptions, RunRecipeResult, StepResult } from './run-step.js';

export async function runRecipe(options: RunRecipeOptions): Promise<RunRecipeResult> {
  // Every note is passed on once: each step's guesses (the same dims, step after step) and the run's warnings.
  const notes: string[] = [];
  const warn = (message: string) => {
    if (notes.includes(message)) return;
    notes.push(message);
    options.warn?.(message);
  };
  const plan = await planRecipe({ ...options, warn });
  try {
    return await runSteps(options, plan, notes, warn);
  } catch (error) {
    // A run that fails (a full disk, a cancellation) leaves no empty output folder of its own making behind;
    // one holding the models of finished steps stays.
    removeCreatedFolder(options.outDir, plan.createdOutDir);
    throw error;
  }
}

async function runSteps(
  options: RunRecipeOptions,
  plan: RecipePlan,
  notes: string[],
  warn: (message: string) => void,
): Promise<RunRecipeResult> {
  const { recipe, signal } = options;
  const source = plan.source;
  // The source as the checks loaded it: the first step uses it instead of loading it again (a transform changes
  // it, so no later step can). Not kept past that step, nor through a first bench or eval, which do not use it.
  let checkedSource = plan.sourceModel;
  delete plan.sourceModel;
  // The first transform records the source's hash; it was just computed, so it is handed on, not redone.
  const sourceHash = (input: string) => (input === source ? { sourceSha256: plan.sourceSha256 } : {});
  const shapes = {
    shapes: recipe.inputs.shapes ?? {},
    dims: recipe.inputs.dims ?? {},
    ...(recipe.inputs.values ? { values: recipe.inputs.values } : {}),
  };
  let current = source;
  const results: RunRecipeResult['steps'] = [];
  for (const [index, step] of recipe.steps.entries()) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'The recipe run was cancelled.');
    options.onStepStart?.(index, step);
    const started = performance.now();
    const preloaded =
      index === 0 && (step.kind === 'quantize' || step.kind === 'prune' || step.kind === 'export')
        ? checkedSource
        : undefined;
    checkedSource = undefined;
    let result: StepResult;
    try {
      result = await runStep({ options, plan, shapes, source, sourceHash, current, index, step, preloaded });
    } catch (error) {
      // A step that fails says so in its own words, with the step's number and fields, and what the run left.
      if (error instanceof StudioError && error.code === 'CANCELLED') throw error;
      throw inStep(error, index, step, ` ${stoppedAt(recipe.steps, index, options.outDir)}`);
    }
    if (result.kind === 'quantize' || result.kind === 'prune') current = result.output;
    // The guesses a step made (dims nothing set, values of synthetic data) are the run's warnings, said once
    // however many steps make them; the step's other notes (it quantized nothing, an opset was raised) are said
    // as the single command says them, with the step they come from.
    if (result.kind !== 'export')
      for (const note of result.report.notes)
        warn(isGuessNote(note) ? guessNoteForRecipe(note) : stepNote(index, step, note));
    results.push({ ...result, step: stepNumber(index), seconds: (performance.now() - started) / 1000 });
  }
  return { source, model: current, steps: results, notes };
}
