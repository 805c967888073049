/**
 * Every option of every method survives recipe -> reproduce command -> CLI parsing -> recipe, and every
 * option has a flag or says why not. The values tried are the first non-default ones the option's own
 * schema accepts, so adding an option to a schema adds it to this walk.
 */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { dataFlags, recipeCommand } from '../../shared/cli-command.js';
import { imagePreprocessingSchema } from '../../shared/dataset-spec.js';
import type { OptionField } from '../../shared/method-catalog-types.js';
import { commonFieldsFor } from '../../shared/options/catalog-fields.js';
import { type FlagValues, fieldHelp, flagHelp } from '../../shared/options/cli-flags.js';
import { commonPruneOptionsSchema, PRUNE_METHOD_SPECS } from '../../shared/options/prune-options.js';
import { commonQuantizeOptionsSchema, QUANTIZE_METHOD_SPECS } from '../../shared/options/quantize-options.js';
import type { VariantRecipe } from '../../shared/workspace.js';
import { methodCatalog } from '../engine/jobs/method-catalog.js';
import { pruneMethods } from '../engine/prune/all-methods.js';
import { quantizeMethods } from '../engine/quantize/all-methods.js';
import { pruneCommand } from './commands/prune.js';
import { SWEEP_FIELDS } from './commands/tune-sweep.js';
import { quantizeCommand } from './commands/quantize.js';
import { DATA_OPTIONS, preprocessingFromFlags } from './data-flags.js';
import { methodOptionsFromFlags } from './method-flags.js';

const CANDIDATES: unknown[] = [true, false, 64, 16, 0, 3, 4096, 0.25, 0.75, 99.9, 1, '2:4', '2G', ['Conv', 'MatMul'], ['/a/b', 'n 2'], [0.5, 0.25, 0.125], [96, 64]];

/** A value of the field that its schema accepts and that differs from the default. */
function nonDefaultValue(field: OptionField, schema: z.ZodType): unknown {
  const candidates = field.type === 'enum' ? (field.choices ?? []) : CANDIDATES;
  for (const candidate of candidates) {
    if (JSON.stringify(candidate) === JSON.stringify(field.default)) continue;
    if (schema.safeParse(candidate).success) return candidate;
  }
  throw new Error(`no non-default value found for ${field.name}`);
}

/** Splits a command our shellQuote wrote back into arguments. */
function shellSplit(command: string): string[] {
  const args: string[] = [];
  for (const match of command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) {
    args.push(match[1] !== undefined ? match[1].replace(/'\\''/g, "'") : match[2]!);
  }
  return args;
}

const families = [
  {
    kind: 'quantize' as const,
    command: quantizeCommand,
    common: commonQuantizeOptionsSchema,
    specs: QUANTIZE_METHOD_SPECS as Record<string, { optionSchema: z.ZodObject }>,
  },
  {
    kind: 'prune' as const,
    command: pruneCommand,
    common: commonPruneOptionsSchema,
    specs: PRUNE_METHOD_SPECS as Record<string, { optionSchema: z.ZodObject }>,
  },
];

describe('method options <-> CLI flags', () => {
  it('the engine registers exactly the declared methods, with the declared schemas', () => {
    expect(quantizeMethods().map((m) => m.name).sort()).toEqual(Object.keys(QUANTIZE_METHOD_SPECS).sort());
    expect(pruneMethods().map((m) => m.name).sort()).toEqual(Object.keys(PRUNE_METHOD_SPECS).sort());
    for (const m of [...quantizeMethods(), ...pruneMethods()]) {
      const specs: Record<string, { optionSchema: unknown }> = { ...QUANTIZE_METHOD_SPECS, ...PRUNE_METHOD_SPECS };
      expect(m.optionSchema, m.name).toBe(specs[m.name]!.optionSchema);
    }
  });

  it('every option has a flag or an app-only reason, and a help line', () => {
    const catalog = methodCatalog();
    for (const family of [catalog.quantize, catalog.prune]) {
      for (const field of [...family.commonFields, ...family.methods.flatMap((m) => m.fields)]) {
        expect(field.flag ?? field.appOnly, field.name).toBeTruthy();
        expect(field.description, field.name).toBeTruthy();
      }
      const help = flagHelp(family).join('\n');
      for (const field of family.methods.flatMap((m) => m.fields)) if (field.flag) expect(help).toContain(`--${field.flag}`);
    }
  });

  for (const family of families) {
    for (const [method, spec] of Object.entries(family.specs)) {
      const description = methodCatalog()[family.kind].methods.find((m) => m.name === method)!;
      const fields = [
        ...commonFieldsFor(methodCatalog()[family.kind], method).map((f) => ({ f, where: 'common' as const })),
        ...description.fields.map((f) => ({ f, where: 'options' as const })),
      ];
      for (const { f, where } of fields) {
        it(`${family.kind} ${method}: ${f.name} round-trips through --${f.flag}`, () => {
          const shape: Record<string, z.ZodType> = (where === 'common' ? family.common : spec.optionSchema).shape;
          const schema = shape[f.name]!;
          const value = nonDefaultValue(f, schema);
          const common: Record<string, unknown> = family.kind === 'prune' ? { sparsity: 0.4 } : {};
          const options: Record<string, unknown> = {};
          (where === 'common' ? common : options)[f.name] = value;
          const recipe = { operation: family.kind, method, common, options } as VariantRecipe;
          const line = recipeCommand(recipe, 'in.onnx', 'out.onnx', methodCatalog());
          expect(line.unmapped).toEqual([]);
          const argv = shellSplit(line.command);
          expect(argv.slice(0, 2)).toEqual(['onnx-studio', family.kind]);
          const { values } = parseArgs({ args: argv.slice(2), options: family.command.options, allowPositionals: true, strict: true });
          expect(values.method).toBe(method);
          const back = methodOptionsFromFlags(family.kind, method, values as FlagValues);
          expect(family.common.parse(back.common)).toEqual(family.common.parse(common));
          expect(spec.optionSchema.parse(back.options)).toEqual(spec.optionSchema.parse(options));
        });
      }
    }
  }

  it('refuses a flag of another method, and a common flag the method ignores, naming who it is for', () => {
    expect(() => methodOptionsFromFlags('quantize', 'fp16', { 'block-size': '64' })).toThrow(/--block-size applies to int4 only, not fp16/);
    expect(() => methodOptionsFromFlags('quantize', 'fp16', { 'per-tensor': true })).toThrow(/--per-tensor applies to int8-dynamic, int8-static, int8-weight only/);
    expect(() => methodOptionsFromFlags('quantize', 'int4', { 'block-size': '48' })).toThrow(/--block-size: block size must be one of/);
    expect(() => methodOptionsFromFlags('prune', 'structured', { sparsity: '1.5' })).toThrow(/--sparsity: /);
  });

  it('names a value by its metavar where an example would read as a literal, and gives the example after the text', () => {
    // `--partition cpu` read as the partition to type (or the default one), not as a name to fill in.
    const help = fieldHelp(SWEEP_FIELDS);
    const partition = help.find((l) => l.trimStart().startsWith('--partition '));
    expect(partition).toMatch(/^ {2}--partition NAME +Slurm: .*\(e\.g\. cpu\)$/);
    expect(help.find((l) => l.includes('--memory '))).toMatch(/--memory SIZE .*\(e\.g\. 512Mi\) \(default 4Gi\)$/);
    // Without a metavar the example is still the value's name (`--max-memory 2G`), given once.
    const maxMemory = flagHelp(methodCatalog().quantize).find((l) => l.includes('--max-memory'));
    expect(maxMemory).toMatch(/--max-memory 2G /);
    expect(maxMemory).not.toContain('e.g. 2G');
  });

  it('a negating switch says first that it turns off a default, not what the default does', () => {
    // "--no-optimize  int8-static: Run onnxruntime's basic graph optimizations first" read as the flag's effect.
    const line = flagHelp(methodCatalog().quantize).find((l) => l.includes('--no-optimize'));
    expect(line).toMatch(/--no-optimize +int8-static: Turns off what is on by default: run onnxruntime's basic graph/);
  });

  it('the fp16 form shows no int8 options', () => {
    const names = commonFieldsFor(methodCatalog().quantize, 'fp16').map((f) => f.name);
    expect(names).toEqual(['opTypes', 'excludeNodes']);
    expect(commonFieldsFor(methodCatalog().quantize, 'int8-static').map((f) => f.name)).toContain('perTensor');
  });

  it('every image preprocessing option round-trips through its data flag', () => {
    const images = methodCatalog().datasets.find((d) => d.kind === 'images')!;
    const fields = images.fields.filter((f) => f.name.startsWith('preprocessing.'));
    expect(fields.length).toBeGreaterThan(8);
    for (const field of fields) {
      const key = field.name.slice('preprocessing.'.length);
      expect(field.flag, key).toBeTruthy();
      const shape: Record<string, z.ZodType> = imagePreprocessingSchema.shape;
      const base = key === 'resize' ? {} : { resize: 'shorter-side-crop' };
      const preprocessing = { ...base, [key]: nonDefaultValue(field, shape[key]!) };
      const argv = dataFlags({ kind: 'images', path: '/data/imgs', preprocessing } as never, '--data', methodCatalog());
      const { values } = parseArgs({ args: argv.slice(2), options: DATA_OPTIONS, strict: true });
      expect(preprocessingFromFlags(values as FlagValues), key).toEqual(imagePreprocessingSchema.parse(preprocessing));
    }
  });

  it('refuses bad image flags by their flag name', () => {
    expect(() => preprocessingFromFlags({ size: 'big' })).toThrow(/--size expects H or HxW/);
    expect(() => preprocessingFromFlags({ mean: '1,2' })).toThrow(/--mean: give 1 or 3 values/);
    expect(() => preprocessingFromFlags({ 'crop-fraction': '0.875' })).toThrow(/--crop-fraction: cropFraction applies with resize shorter-side-crop/);
    expect(preprocessingFromFlags({ scale: '1/255', channels: 'BGR' })).toEqual({ scale: 1 / 255, channels: 'bgr' });
  });
});
