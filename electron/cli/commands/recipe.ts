import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import { writeFileAtomic } from '../../engine/onnx/atomic-files.js';
import { outputExists } from '../../engine/onnx/output-exists.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { refuseOutputsOverInputs } from '../../engine/onnx/output-guard.js';
import { readRecordedRecipe } from '../../engine/recipe/recorded-recipe.js';
import type { CliCommand } from '../cli-context.js';
import { writeJson } from '../cli-context.js';

export const recipeCommand: CliCommand = {
  usage: 'onnx-studio recipe VARIANT.onnx [-o RECIPE.json] [--force] [--json]',
  help: [
    '  -o, --output PATH        write the recipe to a file instead of stdout',
    '  --force                  replace PATH if it exists',
    '  --json                   with -o, print {output} (the file written); without, the recipe is the JSON object',
    '',
    'The recipe names the source model and datasets by file name and sha256, never by path: put them beside',
    'the recipe (or pass --model / --data-dir to run) to make the variant again, byte for byte.',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  },
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file)
      throw new StudioError(
        'BAD_REQUEST',
        'Missing VARIANT: pass the path of a .onnx file ONNX Studio made.',
      );
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `recipe takes one model, got also: ${extra.join(' ')}.`);
    const recorded = readRecordedRecipe((await loadModel(file)).proto);
    if (recorded.kind === 'none') {
      throw new StudioError(
        'BAD_REQUEST',
        `${path.basename(file)} records no recipe: it was not made by onnx-studio quantize or prune.`,
      );
    }
    if (recorded.kind === 'unreadable') {
      throw new StudioError(
        'BAD_REQUEST',
        `The recipe of ${path.basename(file)} cannot be run: ${recorded.reason}. Make the variant again with this version.`,
      );
    }
    const text = `${JSON.stringify(recorded.recipe, null, 2)}\n`;
    const output = ctx.values.output;
    if (typeof output === 'string') {
      refuseRecipeOutput(file, output);
      const force = ctx.values.force === true;
      // Said at once, and by the write if the file appeared since (another job writing the same -o).
      const exists = () => outputExists(path.resolve(output));
      if (!force && fs.existsSync(output)) throw exists();
      await writeFileAtomic(output, text, { replace: force, exists });
      ctx.stderr.write(`Wrote ${path.resolve(output)}\n`);
      // --json's one object on stdout, where the recipe went to a file.
      if (ctx.json) writeJson(ctx, { output: path.resolve(output) });
    } else {
      ctx.stdout.write(text);
    }
    return 0;
  },
};

/**
 * The recipe file must not replace the variant it came from (with --force it did, leaving JSON where the model
 * was), nor take a model's name, and its folder must exist. Exit 2.
 */
function refuseRecipeOutput(variant: string, output: string): void {
  refuseOutputsOverInputs(
    [{ path: output, what: 'The recipe file' }],
    [{ path: variant, what: 'the variant' }],
  );
  if (output.toLowerCase().endsWith('.onnx'))
    throw new StudioError(
      'BAD_REQUEST',
      `A recipe is JSON, not a model: name the file like ${path.basename(output).replace(/\.onnx$/i, '')}.recipe.json, not ${output}.`,
    );
  if (fs.existsSync(output) && fs.statSync(output).isDirectory())
    throw new StudioError(
      'BAD_REQUEST',
      `${path.resolve(output)} is a folder. Give the recipe a file name, such as ${path.join(output, `${path.basename(variant, '.onnx')}.recipe.json`)}.`,
    );
  // A folder that exists but cannot be written is said by the write itself (writeFileAtomic names why).
  const folder = path.resolve(path.dirname(output));
  if (!fs.existsSync(folder))
    throw new StudioError(
      'BAD_REQUEST',
      `Cannot write -o ${output}: the folder ${folder} does not exist. Choose an existing folder.`,
    );
}
