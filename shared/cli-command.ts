/**
 * The `onnx-studio` command that makes a variant again from its recipe, for the Export view, the report and
 * `variant.cliCommand`. The flag tables mirror `electron/cli/commands/{quantize,prune}.ts` and the data
 * flags of docs/cli.md; an option the CLI has no flag for is listed in a trailing comment rather than
 * silently dropped, so the command never claims to reproduce something it does not.
 */
import type { DatasetSpecInput } from './dataset-spec.js';
import type { VariantRecipe } from './workspace.js';

type FlagWriter = (value: unknown) => string[] | undefined;

const list =
  (flag: string): FlagWriter =>
  (v) =>
    Array.isArray(v) && v.length > 0 ? [flag, v.map(String).join(',')] : undefined;
const switchOn =
  (flag: string): FlagWriter =>
  (v) =>
    v === true ? [flag] : undefined;
const switchOff =
  (flag: string): FlagWriter =>
  (v) =>
    v === false ? [flag] : undefined;
const value =
  (flag: string): FlagWriter =>
  (v) =>
    typeof v === 'string' || typeof v === 'number' ? [flag, String(v)] : undefined;

const QUANTIZE_COMMON: Record<string, FlagWriter> = {
  perTensor: switchOn('--per-tensor'),
  asymmetric: switchOn('--asymmetric'),
  reduceRange: switchOn('--reduce-range'),
  opTypes: list('--op-types'),
  excludeNodes: list('--exclude-nodes'),
};

const QUANTIZE_OPTIONS: Record<string, FlagWriter> = {
  calibMethod: value('--calib-method'),
  calibSamples: value('--calib-samples'),
  activationType: value('--activation-type'),
  form: value('--dynamic-form'),
  blockSize: value('--block-size'),
  keepIoTypes: switchOff('--no-keep-io-types'),
  blockOpTypes: list('--block-ops'),
};

const PRUNE_COMMON: Record<string, FlagWriter> = {
  sparsity: value('--sparsity'),
  scope: value('--scope'),
  opTypes: list('--op-types'),
  excludeNodes: list('--exclude-nodes'),
};

const PRUNE_OPTIONS: Record<string, FlagWriter> = {
  pattern: value('--pattern'),
  storage: (v) => (v === 'sparse' ? ['--sparse-storage'] : undefined),
  criterion: value('--criterion'),
  batchNormAware: switchOff('--no-bn-scale'),
  roundTo: value('--round-to'),
  maxLayerSparsity: value('--max-layer-sparsity'),
};

/** Quotes for POSIX shells when needed: `'it'\''s'`. Plain paths stay readable. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The data flags for a dataset spec (`--data` for eval, `--calib-data` for calibration). */
export function dataFlags(spec: DatasetSpecInput, dataFlag: '--data' | '--calib-data'): string[] {
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
      const p = spec.preprocessing ?? {};
      const flags = [dataFlag, spec.path];
      if (p.size !== undefined)
        flags.push('--size', Array.isArray(p.size) ? p.size.join('x') : String(p.size));
      if (p.resize) flags.push('--resize', p.resize);
      if (p.cropFraction !== undefined) flags.push('--crop-fraction', String(p.cropFraction));
      if (p.interpolation) flags.push('--interpolation', p.interpolation);
      if (p.channels) flags.push('--channels', p.channels);
      if (p.layout) flags.push('--layout', p.layout);
      if (p.scale !== undefined) flags.push('--scale', String(p.scale));
      if (p.mean) flags.push('--mean', p.mean.join(','));
      if (p.std) flags.push('--std', p.std.join(','));
      if (p.dtype) flags.push('--dtype', p.dtype);
      return flags;
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
export function recipeCommand(recipe: VariantRecipe, inputPath: string, outputPath: string): CliCommandLine {
  const quantize = recipe.operation === 'quantize';
  const args = ['onnx-studio', recipe.operation, inputPath, '-o', outputPath, '--method', recipe.method];
  const unmapped: string[] = [];
  const add = (table: Record<string, FlagWriter>, options: Record<string, unknown>) => {
    for (const [key, v] of Object.entries(options)) {
      if (v === undefined) continue;
      const writer = table[key];
      const flags = writer?.(v);
      if (flags) args.push(...flags);
      else if (!writer) unmapped.push(`${key}=${JSON.stringify(v)}`);
      // A known option at its CLI default (e.g. keepIoTypes: true) needs no flag.
    }
  };
  add(quantize ? QUANTIZE_COMMON : PRUNE_COMMON, recipe.common);
  add(quantize ? QUANTIZE_OPTIONS : PRUNE_OPTIONS, recipe.options);
  if (recipe.operation === 'quantize') {
    if (recipe.calibration) {
      const flags = dataFlags(recipe.calibration.spec as DatasetSpecInput, '--calib-data');
      // --calib-samples may already be set from the method options.
      if (args.includes('--calib-samples')) {
        const i = flags.indexOf('--calib-samples');
        if (i >= 0) flags.splice(i, 2);
      }
      args.push(...flags);
    }
    for (const [name, dims] of Object.entries(recipe.shapes ?? {}))
      args.push('--shape', `${name}=${dims.join('x')}`);
    for (const [name, size] of Object.entries(recipe.dims ?? {})) args.push('--dim', `${name}=${size}`);
  }
  return { command: args.map(shellQuote).join(' '), unmapped };
}

/** The command plus a comment line for options the CLI cannot set, ready to paste into a terminal. */
export function formatCliCommand(cli: CliCommandLine): string {
  return cli.unmapped.length === 0
    ? cli.command
    : `${cli.command}\n# not settable from the command line (the app used): ${cli.unmapped.join(' ')}`;
}
