/**
 * How a recipe run words what a step says: its errors and notes carry the step (`Step 2 (quantize): ...`), and
 * name the recipe's fields instead of the CLI flags the engine's messages are written with (a recipe has no
 * `--exclude-nodes`; its step has `steps[1].common.excludeNodes`). A run that stops says what it left.
 */
import type { OptionField } from '../../../shared/method-catalog-types.js';
import { isSwitch } from '../../../shared/options/cli-flags.js';
import type { RecipeStep } from '../../../shared/recipe.js';
import { StudioError } from '../errors.js';
import { methodCatalog } from '../jobs/method-catalog.js';

/** The number a step goes by everywhere (progress, summary, file names, messages, JSON `step`): from 1. */
export const stepNumber = (index: number): number => index + 1;

/** The step's fields the engine's messages name by a flag of a single command, beside the method options. */
const STEP_FLAGS: Record<RecipeStep['kind'], Record<string, string>> = {
  quantize: { 'calib-data': 'calibration' },
  prune: {},
  bench: { ep: 'ep', iterations: 'iterations', warmup: 'warmup' },
  eval: { data: 'evaluation', labels: 'evaluation.spec.labels', reference: 'reference' },
  export: {},
};

/** Flag (without dashes) -> the field's path in the recipe, for the step at `index`. */
function fieldsByFlag(index: number, step: RecipeStep): Map<string, string> {
  const at = `steps[${index}]`;
  const fields = new Map(Object.entries(STEP_FLAGS[step.kind]).map(([flag, key]) => [flag, `${at}.${key}`]));
  if (step.kind === 'quantize' || step.kind === 'prune') {
    // The flags come from the options' own declarations (the catalog), as the commands' parsing does.
    const family = methodCatalog()[step.kind];
    const add = (f: OptionField, group: string) => {
      // A switch sets a value (`--no-optimize` is `optimize: false`): said with it, or the field reads as on.
      if (f.flag)
        fields.set(
          f.flag,
          `${at}.${group}.${f.name}${isSwitch(f) ? `: ${JSON.stringify(f.switchTo ?? f.default !== true)}` : ''}`,
        );
    };
    for (const f of family.commonFields) add(f, 'common');
    for (const f of family.methods.find((m) => m.name === step.method)?.fields ?? []) add(f, 'options');
  }
  return fields;
}

/** `text` with every flag of one of the step's fields replaced by that field's path (`steps[1].common.opTypes`). */
export function inRecipeTerms(text: string, index: number, step: RecipeStep): string {
  const fields = fieldsByFlag(index, step);
  // One pass over every `--flag`: a flag that is no field of the step (`--data-dir`, `--list-providers`) stays.
  return text.replace(/--([a-z0-9][a-z0-9-]*)(?![\w-])/g, (flag, name: string) => fields.get(name) ?? flag);
}

/** `Step 2 (quantize)`: how messages name a step, numbered from 1 as everywhere. */
export const stepLabel = (index: number, step: RecipeStep): string =>
  `Step ${stepNumber(index)} (${step.kind})`;

/** A step's error, prefixed with the step it is about and in the recipe's terms; `suffix` ends the message. */
export function inStep(error: unknown, index: number, step: RecipeStep, suffix = ''): unknown {
  if (!(error instanceof StudioError)) return error;
  return new StudioError(
    error.code,
    `${stepLabel(index, step)}: ${inRecipeTerms(error.message, index, step)}${suffix}`,
    {
      ...(error.detail !== undefined ? { detail: error.detail } : {}),
      ...(error.cliHint !== undefined ? { cliHint: inRecipeTerms(error.cliHint, index, step) } : {}),
      cause: error,
    },
  );
}

/** A note a step's report carries, as the run passes it on (stderr's `note: ...` and the JSON's `notes[]`). */
export function stepNote(index: number, step: RecipeStep, note: string): string {
  const said = inRecipeTerms(note, index, step);
  // A sentence still naming a flag advises what a recipe cannot do (a bench step has no --spin): left out.
  const sentences = said.split(/(?<=\.)\s+/);
  const doable = sentences.filter((sentence) => !/--[a-z][a-z0-9-]*/.test(sentence));
  const text = doable.length > 0 && doable.length < sentences.length ? doable.join(' ') : said;
  return `step ${stepNumber(index)} (${step.kind}): ${text}`;
}

/**
 * What a run that stops at step `index` (failed or cancelled) leaves: the files its finished transform and
 * export steps wrote stay in `outDir` (a bench or eval step writes none, and an empty OUT the run made is
 * removed). `withKind` names the step's kind, for a message that does not start with the step already.
 */
export function stoppedAt(
  steps: readonly RecipeStep[],
  index: number,
  outDir: string,
  withKind = false,
): string {
  const wrote = steps.slice(0, index).some((s) => s.kind !== 'bench' && s.kind !== 'eval');
  return (
    `Stopped at step ${stepNumber(index)} of ${steps.length}${withKind ? ` (${steps[index]!.kind})` : ''}; ` +
    (wrote ? `the models of the finished steps are in ${outDir}.` : 'nothing was written.')
  );
}

/**
 * What a run cancelled during its checks says (hashing the source and every step's data, before step 1): no step
 * had started, whichever step the data being hashed is for, and nothing was written.
 */
export function stoppedBeforeFirst(steps: readonly RecipeStep[]): string {
  return `Stopped before step 1 of ${steps.length}, while checking the source model and the data; nothing was written.`;
}
