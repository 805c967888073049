import fs from 'node:fs';
import path from 'node:path';
import { parseLatencyMetricName } from '../../../shared/latency-stats.js';
import { parseRecipe } from '../../../shared/recipe.js';
import { StudioError } from '../../engine/errors.js';
import { EngineClient } from '../../engine/host/engine-client.js';
import { isChangedFileWarning } from '../../engine/recipe/dataset-ref.js';
import { runRecipe, type RunRecipeResult } from '../../engine/recipe/run-recipe.js';
import { stepNumber, stoppedAt } from '../../engine/recipe/step-messages.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { warnGuesses } from '../guess-warnings.js';
import { ProgressBar } from '../progress-bar.js';
import { sha256Hints } from './recipe-hash-hints.js';
import { readRecipeFile } from './run-recipe-file.js';
import { benchJson } from './bench-output.js';
import { describeStep, summaryLines } from './run-summary.js';

/** Each --data-dir must be a folder: a mistyped one would only surface as "not found" for every data file. */
function dataDirsOf(values: CliContext['values']): string[] {
  const dirs = ((values['data-dir'] as string[] | undefined) ?? []).map((d) => path.resolve(d));
  for (const dir of dirs) {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new StudioError('BAD_REQUEST', `--data-dir ${dir} is not a folder. Give the folder that holds the recipe's data files.`);
    }
  }
  return dirs;
}

export const runCommand: CliCommand = {
  usage:
    'onnx-studio run RECIPE.json [--model PATH] [--out DIR] [--data-dir DIR] [--allow-changed-data] [--force] [--json]',
  help: [
    '  --model PATH             the source model (default: its recorded file name, beside the recipe)',
    '  --out DIR                where models and exports are written (default: RECIPE-out beside the recipe)',
    '  --data-dir DIR           also look for data files here (repeatable; the recipe\'s folder is searched last)',
    '  --allow-changed-data     use a source or data file whose sha256 differs from the recorded one (warns)',
    "  --force                  replace the files an earlier run left in --out (without it they stop the run)",
    '  --json                   print {recipe, source, model, outDir, steps: [{step, kind, seconds, ...result}], notes}',
    '',
    'The recipe format is in docs/cli.md (Recipes); `onnx-studio recipe VARIANT.onnx` prints the one a variant',
    'recorded. Each step prints a line on stderr (its notes as `note: step N (kind): ...`); Ctrl+C stops',
    'cleanly (exit 130) and leaves no partial file.',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    out: { type: 'string' },
    'data-dir': { type: 'string', multiple: true },
    'allow-changed-data': { type: 'boolean' },
    force: { type: 'boolean' },
  },
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file) throw new StudioError('BAD_REQUEST', 'Missing RECIPE: pass the path of a recipe .json file.');
    if (extra.length > 0) throw new StudioError('BAD_REQUEST', `run takes one recipe, got also: ${extra.join(' ')}.`);
    const raw = await readRecipeFile(file);
    const parsed = parseRecipe(raw);
    const recipeDir = path.dirname(path.resolve(file));
    if (!parsed.ok) {
      const hints = await sha256Hints(raw, parsed.issues, {
        recipeDir,
        ...(typeof ctx.values.model === 'string' ? { model: path.resolve(ctx.values.model) } : {}),
        dataDirs: dataDirsOf(ctx.values),
      });
      throw new StudioError('BAD_REQUEST', [`${file}: ${parsed.message}`, ...hints].join('\n'));
    }
    const recipe = parsed.recipe;
    const outDir = path.resolve(
      typeof ctx.values.out === 'string' ? ctx.values.out : path.join(recipeDir, `${path.basename(file, path.extname(file))}-out`),
    );
    const dataDirs = dataDirsOf(ctx.values);
    const total = recipe.steps.length;
    let bar: ProgressBar | undefined;
    const client = new EngineClient(ctx.verbose ? { onOutput: (line) => ctx.stderr.write(`[engine] ${line}\n`) } : {});
    let result: RunRecipeResult;
    let current = -1;
    try {
      result = await runRecipe({
        recipe,
        recipeDir,
        outDir,
        dataDirs,
        allowChanged: ctx.values['allow-changed-data'] === true,
        force: ctx.values.force === true,
        signal: ctx.signal,
        ...(typeof ctx.values.model === 'string' ? { model: ctx.values.model } : {}),
        // A guess (a dim or an input's values nothing set) is a warning, as with the single commands, and so is
        // a changed file used anyway (--allow-changed-data); a step's other notes are `note: step N (kind): ...`
        // lines, as `quantize` prints its own. Below the bar, not in it.
        warn: (message) => {
          bar?.done();
          for (const note of warnGuesses(ctx, [message]))
            ctx.stderr.write(`${isChangedFileWarning(note) ? 'warning' : 'note'}: ${note}\n`);
        },
        // A bench step's provider is probed before step 1, where `tune --ep` probes it: in the engine process.
        providers: () => client.call('providers', {}, { signal: ctx.signal }),
        onStepStart: (index, step) => {
          current = index;
          bar?.done();
          ctx.stderr.write(`[${stepNumber(index)}/${total}] ${describeStep(step)}\n`);
          bar = new ProgressBar(ctx.stderr, `Step ${stepNumber(index)}`);
        },
        onProgress: (fraction) => bar?.update(Math.round(fraction * 1000), 1000),
        bench: (params, onProgress) =>
          client.call('bench', params, {
            signal: ctx.signal,
            onEvent: (event) => {
              if (event.type === 'progress') onProgress(event.fraction);
              else if (event.type === 'metric' && ctx.verbose && parseLatencyMetricName(event.name) === undefined) {
                ctx.stderr.write(`${event.name}: ${event.values.join(', ')} ${event.unit}\n`);
              }
            },
          }),
      });
    } catch (error) {
      if (error instanceof StudioError && error.code === 'CANCELLED' && current >= 0) {
        throw new StudioError('CANCELLED', stoppedAt(recipe.steps, current, outDir, true));
      }
      throw error;
    } finally {
      bar?.done();
      await client.dispose();
    }
    if (ctx.json) {
      const { source, model, notes } = result;
      // A bench step's report as `bench --json` gives it (one process peak for two models, docs/cli.md).
      const steps = result.steps.map((step) => (step.kind === 'bench' ? { ...step, report: benchJson(step.report) } : step));
      writeJson(ctx, { recipe: path.resolve(file), source, model, outDir, steps, notes });
      return 0;
    }
    const lines = [`Source  ${result.source}`, ...summaryLines(recipe, result)];
    lines.push(`Model   ${result.model}`);
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
