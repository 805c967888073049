/**
 * The `onnx-studio` command that makes a variant again from its recipe, for the Export view, the report and
 * `variant.cliCommand`. Method flags come from the catalog (each option declares its flag, see
 * shared/options/option-spec.ts); an option without a flag is listed in a trailing comment rather than silently
 * dropped, so the command never claims to reproduce something it does not.
 */
import type { DatasetSpecInput } from './dataset-spec.js';
import type { InputValues } from './input-spec.js';
import type { MethodCatalog } from './method-catalog-types.js';
import { fieldFlagsFromValues, flagsFromOptions } from './options/cli-flags.js';
import { shellQuote } from './shell-quote.js';
import type { VariantRecipe } from './workspace.js';

// Kept here for the callers that quote the commands this module writes.
export { shellQuote };

/** The data flags for a dataset spec (`--data` for eval, `--calib-data` for calibration). */
export function dataFlags(spec: DatasetSpecInput, dataFlag: '--data' | '--calib-data', catalog: MethodCatalog): string[] {
  switch (spec.kind) {
    case 'synthetic':
      return [
        dataFlag,
        'synthetic',
        ...(dataFlag === '--data'
          ? ['--samples', String(spec.samples)]
          : ['--calib-samples', String(spec.samples)]),
        ...(spec.seed !== undefined && spec.seed !== 0 ? ['--seed', String(spec.seed)] : []),
      ];
    case 'npy':
    case 'npz':
      return [
        dataFlag,
        spec.path,
        ...(spec.labels && dataFlag === '--data' ? ['--labels', spec.labels] : []),
      ];
    case 'jsonl':
      return [dataFlag, spec.path];
    case 'images': {
      const fields = catalog.datasets.find((d) => d.kind === 'images')?.fields ?? [];
      return [dataFlag, spec.path, ...fieldFlagsFromValues(fields, { preprocessing: spec.preprocessing ?? {} }).args];
    }
  }
}

export interface CliCommandLine {
  /** The command as one line, arguments quoted for a POSIX shell. */
  command: string;
  /** Options that have no flag: `name=value`, shown as a comment after the command. */
  unmapped: string[];
}

/** `onnx-studio quantize|prune MODEL -o OUT --method ...` for one recipe. */
export function recipeCommand(
  recipe: VariantRecipe,
  inputPath: string,
  outputPath: string,
  catalog: MethodCatalog,
): CliCommandLine {
  const args = ['onnx-studio', recipe.operation, inputPath, '-o', outputPath, '--method', recipe.method];
  const family = recipe.operation === 'quantize' ? catalog.quantize : catalog.prune;
  const flags = flagsFromOptions(family, recipe.method, recipe.common, recipe.options);
  args.push(...flags.args);
  if (recipe.operation === 'quantize') {
    if (recipe.calibration) {
      const data = dataFlags(recipe.calibration.spec as DatasetSpecInput, '--calib-data', catalog);
      // --calib-samples may already be set from the method options.
      if (args.includes('--calib-samples')) {
        const i = data.indexOf('--calib-samples');
        if (i >= 0) data.splice(i, 2);
      }
      args.push(...data);
      // The inputs shape the calibration data, and only that: a method that runs no data takes no --shape (the
      // CLI refuses it, and a recipe that recorded one would make another file than the app's).
      for (const [name, dims] of Object.entries(recipe.shapes ?? {}))
        args.push('--shape', `${name}=${dims.join('x')}`);
      for (const [name, size] of Object.entries(recipe.dims ?? {})) args.push('--dim', `${name}=${size}`);
      for (const [name, v] of Object.entries(recipe.values ?? {}))
        args.push('--value', `${name}=${valueFlagText(v)}`);
    }
  }
  return { command: args.map(shellQuote).join(' '), unmapped: flags.unmapped };
}

/**
 * What follows `INPUT=` in `--value` (electron/cli/shape-flags.ts reads it back): `16000`, `0:99`, `positions`
 * (from 0) or `positions+5`.
 */
export function valueFlagText(v: InputValues): string {
  if (v.kind === 'positions') return v.start === 0 ? 'positions' : `positions+${v.start}`;
  return v.kind === 'constant' ? String(v.value) : `${v.min}:${v.max}`;
}

/** The command plus a comment line for options the CLI cannot set, ready to paste into a terminal. */
export function formatCliCommand(cli: CliCommandLine): string {
  return cli.unmapped.length === 0
    ? cli.command
    : `${cli.command}\n# not settable from the command line (the app used): ${cli.unmapped.join(' ')}`;
}

/** The words of a POSIX shell line as `shellQuote` writes them: plain, '…' or \x. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const close = line.indexOf("'", i + 1);
      const end = close < 0 ? line.length : close;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '\\') {
      // Outside quotes a backslash takes the next character as it is (`'it'\''s'` is it's).
      word = (word ?? '') + (line[i + 1] ?? '');
      i++;
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * A variant's command(s) with the last `onnx-studio` line writing `output` instead of the file it names: Export
 * shows the command that makes the file the user saves to, not the one suggested beside the original (a tester
 * saved to /tmp/x/int4.onnx and was shown `-o /models/model-int4.onnx`). Earlier steps and comment lines stay.
 */
export function commandWritingTo(cli: string, output: string): string {
  const lines = cli.split('\n');
  const last = lines.findLastIndex((l) => l.trimStart().startsWith('onnx-studio '));
  if (last < 0) return cli;
  const words = shellWords(lines[last]!);
  const o = words.indexOf('-o');
  if (o < 0 || o + 1 >= words.length) return cli;
  words[o + 1] = output;
  lines[last] = words.map(shellQuote).join(' ');
  return lines.join('\n');
}
