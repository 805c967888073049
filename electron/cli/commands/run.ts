import fs from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../../../shared/cli-command.js';
import { parseLatencyMetricName } from '../../../shared/latency-stats.js';
import { parseRecipe, type RecipeStep } from '../../../shared/recipe.js';
import { StudioError } from '../../engine/errors.js';
import { EngineClient } from '../../engine/host/engine-client.js';
import { stepNumber } from '../../engine/recipe/recipe-plan.js';
import { runRecipe, type RunRecipeResult } from '../../engine/recipe/run-recipe.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { formatBytes } from '../format.js';
import { warnGuesses } from '../guess-warnings.js';
import { ProgressBar } from '../progress-bar.js';

function describeStep(step: RecipeStep): string {
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

function summarize(result: RunRecipeResult['steps'][number]): string {
  switch (result.kind) {
    case 'quantize':
    case 'prune':
      return `${result.output} (${formatBytes(result.report.inputBytes)} -> ${formatBytes(result.report.outputBytes)})`;
    case 'bench': {
      const last = result.report.results.at(-1)!;
      const ratio = result.report.comparisons?.[0];
      return `p50 ${last.p50Ms.toFixed(3)} ms${ratio ? `, ${ratio.p50Ratio.toFixed(2)}x the source's p50` : ''}`;
    }
    case 'eval': {
      const r = result.report;
      const parts = [`${r.samples} samples`];
      if (r.accuracy !== undefined) parts.push(`accuracy ${(r.accuracy * 100).toFixed(2)}%`);
      if (r.rmse !== undefined) parts.push(`RMSE ${r.rmse.toPrecision(4)}`);
      if (r.fidelity) parts.push(`cosine to the source ${r.fidelity.cosine.toFixed(5)}`);
      return parts.join(', ');
    }
    case 'export':
      return `${result.output} (${formatBytes(result.bytes)})`;
  }
}

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

async function readRecipeFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    throw new StudioError('BAD_REQUEST', `No such recipe file: ${path.resolve(file)}. Check the path.`);
  }
  // A model passed where the recipe goes is the likely mistake; JSON.parse would quote its bytes back. Text that
  // parses is a recipe whatever it holds (U+FFFD is legal in a JSON string).
  const notARecipe = () =>
    new StudioError(
      'BAD_REQUEST',
      `${file} looks like a model, not a recipe. \`onnx-studio recipe ${shellQuote(file)} -o RECIPE.json\` writes the recipe ` +
        'a variant recorded (quantize and prune record one); docs/cli.md (Recipes) shows how to write one.',
    );
  if (path.extname(file).toLowerCase() === '.onnx') throw notARecipe();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (looksBinary(text)) throw notARecipe();
    throw new StudioError('BAD_REQUEST', `${file} is not JSON: ${(error as Error).message}`);
  }
}

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
    'recorded. Each step prints a line on stderr; Ctrl+C stops cleanly (exit 130) and leaves no partial file.',
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
    const parsed = parseRecipe(await readRecipeFile(file));
    if (!parsed.ok) throw new StudioError('BAD_REQUEST', `${file}: ${parsed.message}`);
    const recipe = parsed.recipe;
    const recipeDir = path.dirname(path.resolve(file));
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
        // A guess (a dim or an input's values nothing set) is a warning, as with the single commands.
        warn: (message) => {
          for (const note of warnGuesses(ctx, [message])) ctx.stderr.write(`note: ${note}\n`);
        },
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
        throw new StudioError(
          'CANCELLED',
          `Stopped at step ${stepNumber(current)} of ${total} (${recipe.steps[current]!.kind}).` +
            (current > 0 ? ` The models of the finished steps are in ${outDir}.` : ' Nothing was written.'),
        );
      }
      throw error;
    } finally {
      bar?.done();
      await client.dispose();
    }
    if (ctx.json) {
      const { source, model, steps, notes } = result;
      writeJson(ctx, { recipe: path.resolve(file), source, model, outDir, steps, notes });
      return 0;
    }
    const lines = [`Source  ${result.source}`];
    for (const step of result.steps) {
      lines.push(`${String(step.step).padStart(2)}. ${step.kind.padEnd(8)} ${summarize(step)}  (${step.seconds.toFixed(2)} s)`);
    }
    lines.push(`Model   ${result.model}`);
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
