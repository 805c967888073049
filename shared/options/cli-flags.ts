/**
 * Method options <-> `onnx-studio` flags, derived from the catalog's fields (which carry each option's flag,
 * see option-spec.ts). The CLI parses with it, prints `--help` with it, and the reproduce command writes flags
 * with it, so the three cannot disagree. Pure functions: they run in the CLI, the backend and the page.
 */
import type { MethodFamily, OptionField } from '../method-catalog-types.js';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

interface FlagEntry {
  field: OptionField;
  /** 'common', or the methods whose own options hold it. */
  scope: 'common' | string[];
}

/** Flags of a family, each with its field; a flag used by two different options is a declaration bug. */
function familyFlags(family: MethodFamily): Map<string, FlagEntry> {
  const flags = new Map<string, FlagEntry>();
  const add = (field: OptionField, method?: string) => {
    if (!field.flag) return;
    const existing = flags.get(field.flag);
    if (existing) {
      if (existing.field.name !== field.name || existing.scope === 'common' || method === undefined) {
        throw new Error(`--${field.flag} is declared for two options (${existing.field.name}, ${field.name})`);
      }
      existing.scope.push(method);
      return;
    }
    flags.set(field.flag, { field, scope: method === undefined ? 'common' : [method] });
  };
  for (const field of family.commonFields) add(field);
  for (const m of family.methods) for (const field of m.fields) add(field, m.name);
  return flags;
}

/** Whether the flag takes no value (booleans, and options declared with `switchTo`). */
export function isSwitch(field: OptionField): boolean {
  return field.type === 'boolean' || field.switchTo !== undefined;
}

/** The value a switch sets: its declared `switchTo`, or for a boolean the opposite of its default. */
function switchValue(field: OptionField): unknown {
  return field.switchTo !== undefined ? field.switchTo : field.default !== true;
}

/** `node:util` parseArgs entries for every option flag of a family. */
export function parseArgsOptions(family: MethodFamily): Record<string, { type: 'string' | 'boolean' }> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [flag, { field }] of familyFlags(family)) options[flag] = { type: isSwitch(field) ? 'boolean' : 'string' };
  return options;
}

function valueName(field: OptionField): string {
  if (isSwitch(field)) return '';
  if (field.type === 'enum') return (field.choices ?? []).join('|');
  if (field.type === 'integer') return 'N';
  if (field.type === 'number') return 'X';
  if (field.type === 'string-list') return 'A,B';
  return field.example ?? 'VALUE';
}

/** `--help` lines for a family's option flags: common ones first, then each method's. */
export function flagHelp(family: MethodFamily): string[] {
  const lines: string[] = [];
  for (const [flag, { field, scope }] of familyFlags(family)) {
    const left = `  --${flag}${valueName(field) ? ` ${valueName(field)}` : ''}`;
    const owners = scope === 'common' ? field.methods : scope;
    const prefix = owners ? `${owners.join(', ')}: ` : '';
    const fallback = field.default !== undefined && !isSwitch(field) ? ` (default ${JSON.stringify(field.default)})` : '';
    const text = `${prefix}${field.description ?? field.label}${fallback}`;
    lines.push(left.length >= 28 ? `${left}\n${' '.repeat(28)}${text}` : `${left.padEnd(28)}${text}`);
  }
  return lines;
}

function parseValue(field: OptionField, flag: string, raw: string | boolean): Parsed<unknown> {
  if (isSwitch(field)) return { ok: true, value: switchValue(field) };
  const text = String(raw).trim();
  switch (field.type) {
    case 'integer':
    case 'number': {
      const n = text === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (field.type === 'integer' && !Number.isInteger(n))) {
        return { ok: false, message: `--${flag} expects ${field.type === 'integer' ? 'a whole number' : 'a number'}, got '${String(raw)}'.` };
      }
      return { ok: true, value: n };
    }
    case 'enum':
      if (!(field.choices ?? []).includes(text)) {
        return { ok: false, message: `--${flag} must be one of ${(field.choices ?? []).join(', ')}, got '${String(raw)}'.` };
      }
      return { ok: true, value: text };
    case 'string-list':
      return {
        ok: true,
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, message: `--${flag} expects JSON, got '${String(raw)}'.` };
      }
    default:
      return { ok: true, value: text };
  }
}

/**
 * The `common` and `options` objects the flags set for one method. A flag of another method, or a common
 * flag that means nothing to this method, is refused with a message naming who it is for.
 */
export function optionsFromFlags(
  family: MethodFamily,
  method: string,
  values: FlagValues,
): Parsed<{ common: Record<string, unknown>; options: Record<string, unknown> }> {
  const common: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  for (const [flag, { field, scope }] of familyFlags(family)) {
    const raw = values[flag];
    if (raw === undefined || raw === false) continue;
    const owners = scope === 'common' ? field.methods : scope;
    if (owners && !owners.includes(method)) {
      return { ok: false, message: `--${flag} applies to ${owners.join(', ')} only, not ${method}.` };
    }
    const parsed = parseValue(field, flag, Array.isArray(raw) ? raw.join(',') : raw);
    if (!parsed.ok) return parsed;
    (scope === 'common' ? common : options)[field.name] = parsed.value;
  }
  return { ok: true, value: { common, options } };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function writeFlag(field: OptionField, value: unknown): string[] | undefined {
  const flag = `--${field.flag!}`;
  if (isSwitch(field)) return sameValue(value, switchValue(field)) ? [flag] : undefined;
  if (field.type === 'string-list' && Array.isArray(value)) return [flag, value.map(String).join(',')];
  if (field.type === 'json') return [flag, JSON.stringify(value)];
  if (typeof value === 'string' || typeof value === 'number') return [flag, String(value)];
  return undefined;
}

/**
 * The flags that set these options. Values at their default need none. A value no flag can express (an
 * app-only option, or a switch asked for its non-switch value) is returned in `unmapped` as `name=value`,
 * so the reproduce command says so instead of silently dropping it.
 */
export function flagsFromOptions(
  family: MethodFamily,
  method: string,
  common: Record<string, unknown>,
  options: Record<string, unknown>,
): { args: string[]; unmapped: string[] } {
  const description = family.methods.find((m) => m.name === method);
  const args: string[] = [];
  const unmapped: string[] = [];
  const write = (fields: readonly OptionField[], values: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const field = fields.find((f) => f.name === key);
      if (field && sameValue(value, field.default)) continue;
      // A common option this method ignores (e.g. perTensor for fp16) changes nothing: no flag to write.
      if (field?.methods && !field.methods.includes(method)) continue;
      const flags = field?.flag ? writeFlag(field, value) : undefined;
      if (flags) args.push(...flags);
      else unmapped.push(`${key}=${JSON.stringify(value)}`);
    }
  };
  write(family.commonFields, common);
  write(description?.fields ?? [], options);
  return { args, unmapped };
}
