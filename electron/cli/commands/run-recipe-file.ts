/**
 * Reads the recipe file `run` was given, and refuses a model passed in its place with a way forward that works
 * for that model: `onnx-studio recipe` only for a variant that records a recipe (it fails on any other model).
 */
import fs from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../../../shared/cli-command.js';
import { StudioError } from '../../engine/errors.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { readRecordedRecipe } from '../../engine/recipe/recorded-recipe.js';

/**
 * Whether text read as UTF-8 holds control bytes other than whitespace, or bytes that are not UTF-8 (read as
 * U+FFFD): no JSON document does, and echoing them garbles the terminal.
 */
function looksBinary(text: string): boolean {
  for (let i = 0; i < Math.min(text.length, 4096); i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13)) return true;
  }
  return false;
}

/** What the model records (as `onnx-studio recipe` reads it); `none` too for a file that does not load. */
async function recordedKind(file: string): Promise<ReturnType<typeof readRecordedRecipe>> {
  try {
    return readRecordedRecipe((await loadModel(file)).proto);
  } catch {
    return { kind: 'none' };
  }
}

/** The refusal of a model given for the recipe, saying what to do with this model. */
async function notARecipe(file: string): Promise<StudioError> {
  const recorded = await recordedKind(file);
  const start = `${file} looks like a model, not a recipe.`;
  if (recorded.kind === 'recipe')
    return new StudioError(
      'BAD_REQUEST',
      `${start} \`onnx-studio recipe ${shellQuote(file)} -o RECIPE.json\` writes the recipe it recorded; run that file.`,
    );
  const why =
    recorded.kind === 'unreadable'
      ? `It records a recipe this version cannot run (${recorded.reason}).`
      : 'It records no recipe (only the variants onnx-studio quantize and prune make record one).';
  return new StudioError(
    'BAD_REQUEST',
    `${start} ${why} Write a recipe for it (docs/cli.md, "Recipes"), or make a variant of it with ` +
      '`onnx-studio quantize` or `onnx-studio prune` first: `onnx-studio recipe VARIANT.onnx -o RECIPE.json` then writes its recipe.',
  );
}

export async function readRecipeFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR')
      throw new StudioError(
        'BAD_REQUEST',
        `${file} is a folder, not a recipe: give the recipe's .json file.`,
      );
    throw new StudioError('BAD_REQUEST', `No such recipe file: ${path.resolve(file)}. Check the path.`);
  }
  // Data given for the recipe: said as what it is, not read as a model.
  if (/\.(npy|npz)$/i.test(file))
    throw new StudioError(
      'BAD_REQUEST',
      `${file} is a NumPy array (.${path.extname(file).slice(1).toLowerCase()}), not a recipe: give the recipe's .json file (docs/cli.md, "Recipes").`,
    );
  // A model passed where the recipe goes is the likely mistake; JSON.parse would quote its bytes back. Text that
  // parses is a recipe whatever it holds (U+FFFD is legal in a JSON string).
  if (path.extname(file).toLowerCase() === '.onnx') throw await notARecipe(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (looksBinary(text)) throw await notARecipe(file);
    // A YAML or hand-written recipe: say what a recipe is and where one comes from, beside the parser's words.
    throw new StudioError(
      'BAD_REQUEST',
      `${file} is not JSON (${(error as Error).message}). A recipe is a JSON document (docs/cli.md, Recipes): ` +
        '`onnx-studio recipe VARIANT.onnx -o FILE.json` writes the one a variant recorded.',
    );
  }
}
