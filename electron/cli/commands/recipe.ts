import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import { writeFileAtomic } from '../../engine/onnx/atomic-files.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { readRecordedRecipe } from '../../engine/recipe/recorded-recipe.js';
import type { CliCommand } from '../cli-context.js';

export const recipeCommand: CliCommand = {
  usage: 'onnx-studio recipe VARIANT.onnx [-o RECIPE.json] [--force]',
  help: [
    '  -o, --output PATH        write the recipe to a file instead of stdout',
    '  --force                  replace PATH if it exists',
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
    if (!file) throw new StudioError('BAD_REQUEST', 'Missing VARIANT: pass the path of a .onnx file ONNX Studio made.');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `recipe takes one model, got also: ${extra.join(' ')}.`);
    const recorded = readRecordedRecipe((await loadModel(file)).proto);
    if (recorded.kind === 'none') {
      throw new StudioError('BAD_REQUEST', `${path.basename(file)} records no recipe: it was not made by onnx-studio quantize or prune.`);
    }
    if (recorded.kind === 'unreadable') {
      throw new StudioError('BAD_REQUEST', `The recipe of ${path.basename(file)} cannot be run: ${recorded.reason}. Make the variant again with this version.`);
    }
    const text = `${JSON.stringify(recorded.recipe, null, 2)}\n`;
    const output = ctx.values.output;
    if (typeof output === 'string') {
      if (ctx.values.force !== true && (await import('node:fs')).existsSync(output)) {
        throw new StudioError('BAD_REQUEST', `${path.resolve(output)} already exists. Choose another path or pass --force.`);
      }
      await writeFileAtomic(output, text);
      ctx.stderr.write(`Wrote ${path.resolve(output)}\n`);
    } else {
      ctx.stdout.write(text);
    }
    return 0;
  },
};
