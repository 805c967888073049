/**
 * The checks of each step's own fields that can be made before the first step runs, so that a typo in step 3
 * does not surface after steps 1 and 2 wrote their models: the op types a quantize or prune step names (against
 * its method), the nodes it excludes and whether its model is already quantized (against the source, for the
 * steps that read the source: those up to the first transform), and the execution provider of a bench step.
 * A step that reads a model an earlier step makes is checked when it runs, as every single command checks.
 */
import type { ProviderStatus } from '../../../shared/bench.js';
import { commonPruneOptionsSchema } from '../../../shared/options/prune-options.js';
import { commonQuantizeOptionsSchema } from '../../../shared/options/quantize-options.js';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { measuresNothingAlone } from '../../../shared/own-ids.js';
import { summarizeInterface } from '../inspect/inspect-model.js';
import { isTransformStep, type Recipe, type RecipeStep } from '../../../shared/recipe.js';
import { StudioError } from '../errors.js';
import type { LoadedModel } from '../onnx/load-model.js';
import { pruneMethod } from '../prune/all-methods.js';
import { selectingPruner } from '../prune/prune-model.js';
import { quantizeMethod } from '../quantize/all-methods.js';
import { selectingQuantizer } from '../quantize/quantize-model.js';
import { refuseQuantizedInput } from '../quantize/quantized-input.js';
import { providerUnavailableError } from '../runtime/execution-providers.js';
import { checkNodeSelection, refuseUnhandledOpTypes } from '../transform/node-selection.js';
import { inStep } from './step-messages.js';

/** The execution providers where benchmarks run, probed in the engine process (as `tune --ep` asks them). */
export type ProbeProviders = () => Promise<ProviderStatus[]>;

/**
 * Throws the first step whose fields cannot work, prefixed with its step (`Step 2 (quantize): ...`) and naming
 * the recipe's fields. `providers` is asked once, and only when a bench step wants another provider than cpu
 * (which is always there): probing starts the engine process.
 */
export async function checkStepsUpFront(
  recipe: Recipe,
  source: LoadedModel,
  providers?: ProbeProviders,
): Promise<void> {
  const firstTransform = recipe.steps.findIndex(isTransformStep);
  let probed: Promise<ProviderStatus[]> | undefined;
  for (const [index, step] of recipe.steps.entries()) {
    const readsSource = firstTransform < 0 || index <= firstTransform;
    try {
      if (step.kind === 'bench' && step.ep !== 'cpu' && providers) {
        probed ??= providers();
        const status = (await probed).find((p) => p.name === step.ep);
        if (status && !status.available) {
          const { code, message, detail } = providerUnavailableError(status);
          throw new StudioError(code, `${message} The recipe asks for it in steps[${index}].ep.`, {
            ...(detail !== undefined ? { detail } : {}),
          });
        }
      } else if (step.kind === 'eval' && evaluatesSource(recipe, index)) {
        refuseUnlabelledSourceEval(step.evaluation.spec, index, source);
      } else checkSelection(step, readsSource ? source : undefined);
    } catch (error) {
      throw inStep(error, index, step);
    }
  }
}

/**
 * An eval step before any transform evaluates the source itself: its fidelity would be to itself, so only labels
 * give it something to measure. Data certainly without labels (synthetic, a .npy without a labels file) is
 * refused before step 1, in the recipe's terms (the evaluator's own message speaks of --reference MODEL, and a
 * recipe's `reference` is a switch). Data that may hold labels (a .npz, a .jsonl, an image folder) is opened once
 * found (recipe-plan.ts) and refused with the same words when it holds none.
 */
function refuseUnlabelledSourceEval(spec: DatasetSpecInput, index: number, source: LoadedModel): void {
  // A language model's real ids need no labels: eval grades it on them (shared/own-ids.ts).
  if (measuresNothingAlone(spec, summarizeInterface(source.proto.graph!)))
    throw unlabelledSourceEval(spec, index);
}

/** Why an eval step before any transform cannot run on data without labels, and what to do instead. */
export function unlabelledSourceEval(spec: DatasetSpecInput, index: number): StudioError {
  // Synthetic data has no labels to add: labelled data replaces it.
  const addLabels =
    spec.kind === 'npy' || spec.kind === 'npz'
      ? `Add labels (steps[${index}].evaluation.spec.labels, a .npy of class ids${spec.kind === 'npz' ? ", or a 'labels' array in the .npz" : ''})`
      : `Evaluate on labelled data instead (a .npy with labels, a .npz, an image folder with class folders)`;
  return new StudioError(
    'BAD_REQUEST',
    `it evaluates the source itself, on data without labels, so there is nothing to measure (its fidelity would ` +
      `be to itself). ${addLabels}, or move the eval step after a quantize or prune step, where it measures the ` +
      'fidelity of their model to the source.',
  );
}

/** True for an eval step that runs before any transform: it evaluates the source itself. */
export function evaluatesSource(recipe: Recipe, index: number): boolean {
  const firstTransform = recipe.steps.findIndex(isTransformStep);
  return recipe.steps[index]?.kind === 'eval' && (firstTransform < 0 || index < firstTransform);
}

/** The node selection of a quantize or prune step; against `model` too when the step reads it (the source). */
function checkSelection(step: RecipeStep, model: LoadedModel | undefined): void {
  if (step.kind !== 'quantize' && step.kind !== 'prune') return;
  // The recipe was validated (parseRecipe): these parse, with their defaults filled in.
  const quantizing = step.kind === 'quantize';
  const common = quantizing
    ? commonQuantizeOptionsSchema.parse(step.common)
    : commonPruneOptionsSchema.parse(step.common);
  const selecting = quantizing
    ? selectingQuantizer(quantizeMethod(step.method))
    : selectingPruner(pruneMethod(step.method));
  refuseUnhandledOpTypes(common, selecting);
  if (!model) return;
  // Neither quantizing nor pruning takes a quantized model (a recipe may name one as its source).
  refuseQuantizedInput(model.proto, model.path, step.method, step.kind);
  // Its notes (op types the model has no node of) are the step's own: the step says them when it runs.
  checkNodeSelection(model.proto, common, selecting, () => {});
}
