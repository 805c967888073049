import type { z } from 'zod';
import type { MethodFamily, OptionField } from '../../shared/method-catalog-types.js';
import { type FlagValues, optionsFromFlags, valuesFromFieldFlags } from '../../shared/options/cli-flags.js';
import { StudioError } from '../engine/errors.js';
import { methodCatalog } from '../engine/jobs/method-catalog.js';
import { commonPruneOptionsSchema, PRUNE_METHOD_SPECS } from '../../shared/options/prune-options.js';
import { commonQuantizeOptionsSchema, QUANTIZE_METHOD_SPECS } from '../../shared/options/quantize-options.js';
import type { MethodSpec } from '../../shared/options/option-spec.js';

/** Validates options with their schema; a bad one is reported by its flag (not the option key). */
function validateByFlag<S extends z.ZodType>(
  schema: S,
  value: Record<string, unknown>,
  fields: readonly OptionField[],
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const flag = fields.find((f) => f.name === key)?.flag;
    const given = value[key];
    // A value refused by its pattern is quoted: what was typed (a space, a unit) is usually the mistake.
    const quoted =
      issue.code === 'invalid_format' && typeof given === 'string' ? ` ${JSON.stringify(given)}` : '';
    return `${flag ? `--${flag}` : key || 'options'}${quoted}: ${issue.message}`;
  });
  throw new StudioError('BAD_REQUEST', `${issues.join('; ')}.`);
}

function checkAgainst(
  schema: z.ZodType,
  value: Record<string, unknown>,
  family: MethodFamily,
  method: string,
): void {
  validateByFlag(schema, value, [
    ...family.commonFields,
    ...(family.methods.find((m) => m.name === method)?.fields ?? []),
  ]);
}

/**
 * The options an option schema's flags give (`tune`, `tune --emit`): read from the flags its fields declare,
 * then validated, each mistake named by its flag.
 */
export function optionsFromFieldFlags<S extends z.ZodType>(
  schema: S,
  fields: readonly OptionField[],
  values: FlagValues,
): z.infer<S> {
  const parsed = valuesFromFieldFlags(fields, values);
  if (!parsed.ok) throw new StudioError('BAD_REQUEST', parsed.message);
  return validateByFlag(schema, parsed.value, fields);
}

/**
 * The `common` and `options` of a quantize or prune step from the command line. The flags come from the
 * method catalog (each option declares its own), so nothing here lists an option; the values are checked
 * with the method's schema so a bad one is reported by its flag.
 */
export function methodOptionsFromFlags(
  kind: 'quantize' | 'prune',
  method: string,
  values: FlagValues,
): { common: Record<string, unknown>; options: Record<string, unknown> } {
  const family = methodCatalog()[kind];
  const specs: Record<string, MethodSpec> = kind === 'quantize' ? QUANTIZE_METHOD_SPECS : PRUNE_METHOD_SPECS;
  const spec = Object.hasOwn(specs, method) ? specs[method] : undefined;
  if (!spec) {
    throw new StudioError(
      'BAD_REQUEST',
      `Unknown ${kind === 'quantize' ? 'quantization' : 'pruning'} method '${method}'. Choose one of: ${Object.keys(specs).join(', ')}.`,
    );
  }
  const parsed = optionsFromFlags(family, method, values);
  if (!parsed.ok) throw new StudioError('BAD_REQUEST', parsed.message);
  const { common, options } = parsed.value;
  if (kind === 'prune' && common.sparsity === undefined) {
    throw new StudioError(
      'BAD_REQUEST',
      'Missing sparsity: pass --sparsity (a fraction from 0 to 1; start small, e.g. 0.2, and evaluate).',
    );
  }
  checkAgainst(
    kind === 'quantize' ? commonQuantizeOptionsSchema : commonPruneOptionsSchema,
    common,
    family,
    method,
  );
  checkAgainst(spec.optionSchema, options, family, method);
  return { common, options };
}

/** `--method` help: one line per method with its summary. */
export function methodListHelp(family: MethodFamily): string[] {
  const width = Math.max(...family.methods.map((m) => m.name.length)) + 1;
  return family.methods.map((m) => `      ${m.name.padEnd(width)} ${m.summary}`);
}
