/**
 * How a new variant is named, the same in the backend and the mock host: the method (with the sparsity for
 * pruning), prefixed by the variant it was made from, made unique with ` (2)`, ` (3)`, ...
 */
import type { VariantRecipe, Workspace } from './workspace.js';

export function defaultVariantName(
  step: { kind: 'quantize' | 'prune'; method: string; common?: Record<string, unknown> },
  parentName?: string,
): string {
  const sparsity = step.kind === 'prune' ? Number(step.common?.sparsity) : NaN;
  const own = Number.isFinite(sparsity) ? `${step.method} ${Math.round(sparsity * 100)}%` : step.method;
  return parentName ? `${parentName} + ${own}` : own;
}

/**
 * A recipe as titles say it: `int8-static (minmax, per-tensor)`, `structured 30%`. The method with the options
 * that tell two recipes of it apart: the page's queueing line and the backend's pipeline titles both read it.
 */
export function recipeLabel(recipe: {
  kind: 'quantize' | 'prune';
  method: string;
  common?: Record<string, unknown>;
  options?: Record<string, unknown>;
}): string {
  const common = recipe.common ?? {};
  const options = recipe.options ?? {};
  if (recipe.kind === 'prune') {
    const s = common.sparsity;
    return `${recipe.method}${typeof s === 'number' ? ` ${Math.round(s * 100)}%` : ''}`;
  }
  const details: string[] = [];
  if (typeof options.calibMethod === 'string') details.push(options.calibMethod);
  if (typeof options.blockSize === 'number') details.push(`block ${options.blockSize}`);
  if (common.perTensor === true) details.push('per-tensor');
  return details.length > 0 ? `${recipe.method} (${details.join(', ')})` : recipe.method;
}

/**
 * A pruned variant's default name with what the prune did where that is not what was asked: nothing at all (it
 * computes exactly what its source does, and Compare must not show it as a pruned model), or a sparsity more
 * than a point away from the one asked (channel rounding keeps more).
 */
export function withPruneOutcome(
  name: string,
  report: { targetSparsity: number; achievedSparsity: number; prunedNodes: number; removedChannels: number },
): string {
  if (report.prunedNodes === 0 && report.removedChannels === 0 && report.achievedSparsity === 0)
    return `${name} (nothing pruned)`;
  const achieved = Math.round(report.achievedSparsity * 100);
  return Math.abs(achieved - report.targetSparsity * 100) > 1 ? `${name} (pruned ${achieved}%)` : name;
}

/** A file-name-safe stem for a step: `int8-dynamic`, `structured30` (the sparsity in percent). */
export function stepSlug(step: { method: string; common?: Record<string, unknown> }): string {
  const sparsity =
    typeof step.common?.sparsity === 'number' ? `${Math.round(step.common.sparsity * 100)}` : '';
  return `${step.method}${sparsity}`.replace(/[^A-Za-z0-9]+/g, '-');
}

/** The steps of a variant of `parent` with `recipe`, oldest first, each with its file name by the chain rule. */
function chainSteps(
  ws: Pick<Workspace, 'model' | 'variants'>,
  parent: string,
  recipe: VariantRecipe,
): { recipe: VariantRecipe; fileName: string }[] {
  const recipes = [recipe];
  for (let id = parent, v = ws.variants.find((x) => x.id === id); v && recipes.length <= 16;) {
    recipes.unshift(v.recipe);
    id = v.parent;
    v = ws.variants.find((x) => x.id === id);
  }
  // The model's file name without its folder (either separator) and without its last extension.
  const fileName = ws.model.path.slice(
    Math.max(ws.model.path.lastIndexOf('/'), ws.model.path.lastIndexOf('\\')) + 1,
  );
  let stem = fileName.lastIndexOf('.') > 0 ? fileName.slice(0, fileName.lastIndexOf('.')) : fileName;
  return recipes.map((r) => {
    stem = `${stem}-${stepSlug(r)}`;
    return { recipe: r, fileName: `${stem}.onnx` };
  });
}

/** `name.onnx`, or `name-2.onnx`, `name-3.onnx`... when `taken` has it. */
function untakenFileName(fileName: string, taken: ReadonlySet<string>): string {
  if (!taken.has(fileName)) return fileName;
  const stem = fileName.replace(/\.onnx$/, '');
  for (let i = 2; ; i++) if (!taken.has(`${stem}-${i}.onnx`)) return `${stem}-${i}.onnx`;
}

/**
 * The steps that make a new variant of `parent` with `recipe` again from the original model (its CLI command),
 * oldest first, each with the file name (no folder) its output gets. The variant's own file is the model's file
 * stem followed by every step's slug (`net-structured20-int8-dynamic.onnx`), with `-2`, `-3`... where a variant
 * of `ws` made before it writes that name already (one recipe made twice: `int8-dynamic (2)` writes
 * `net-int8-dynamic-2.onnx`). The steps before it write files named after it
 * (`net-structured20-int8-dynamic.step1.onnx`): a stacked variant's command makes its parent again, and naming
 * that file as the parent's own command does made the second command run in one folder stop at its first line
 * (the file already exists). So no two variants' commands write one file. The chain of parents stops after 16
 * links, so a damaged workspace whose parents form a loop cannot hang the caller. `ws.variants`: the variants
 * made before this one, oldest first.
 */
export function variantSteps(
  ws: Pick<Workspace, 'model' | 'variants'>,
  parent: string,
  recipe: VariantRecipe,
): { recipe: VariantRecipe; fileName: string }[] {
  // The files the earlier variants' commands write, each named by this rule against those before it.
  const taken = new Set<string>();
  for (const v of ws.variants) {
    if (v.cliOutput !== undefined) {
      taken.add(v.cliOutput);
      continue;
    }
    const own = chainSteps(ws, v.parent, v.recipe).at(-1)!.fileName;
    taken.add(untakenFileName(own, taken));
  }
  const steps = chainSteps(ws, parent, recipe);
  const own = untakenFileName(steps.at(-1)!.fileName, taken);
  const ownStem = own.replace(/\.onnx$/, '');
  return steps.map((step, i) => ({
    recipe: step.recipe,
    fileName: i === steps.length - 1 ? own : `${ownStem}.step${i + 1}.onnx`,
  }));
}

/** What the app calls the model the user opened, in lists beside the variants' names (lower case). */
const ORIGINAL_NAMES = ['original', 'the original', 'the original model'];

/** The longest variant name (the contract's limit, and the rename field's). */
export const MAX_VARIANT_NAME = 120;

/** Whether two variant names read as one: told apart as people read them, case aside. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The name a rename gives a variant (trimmed), or why it cannot: unlike a new variant's name, which gets " (2)"
 * when taken, a rename to a taken name is refused, since the user typed that name and would not see another.
 * Names are told apart as people read them, case aside ("FP16" beside "fp16" is taken), and none may be what
 * the app calls the original ("the original" twice in Graph's list, one of them quantized). `variants`: every
 * variant of the workspace, by id and name (the page passes its labels).
 */
export function renamedVariantName(
  variants: readonly { id: string; name: string }[],
  variantId: string,
  wanted: string,
): { name: string } | { problem: string } {
  const name = wanted.trim();
  if (!name) return { problem: 'A variant name cannot be empty.' };
  if (ORIGINAL_NAMES.includes(name.toLowerCase()))
    return { problem: `'${name}' is what the app calls the model you opened: choose another name.` };
  const taken = variants.find((v) => v.id !== variantId && sameName(v.name, name));
  if (taken) return { problem: `Another variant is named ${taken.name}: choose another name.` };
  return { name };
}

/**
 * A new variant's name: the one wanted, or with " (2)", " (3)"... when another variant has it (case aside, as a
 * rename tells names apart) or it is what the app calls the original.
 */
export function uniqueVariantName(ws: Pick<Workspace, 'variants'>, wanted: string): string {
  const free = (name: string) =>
    !ORIGINAL_NAMES.includes(name.toLowerCase()) && !ws.variants.some((v) => sameName(v.name, name));
  if (free(wanted)) return wanted;
  for (let i = 2; ; i++) {
    const candidate = `${wanted} (${i})`;
    if (free(candidate)) return candidate;
  }
}
