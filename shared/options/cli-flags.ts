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
  if (field.metavar !== undefined) return field.metavar;
  if (field.format === 'size') return 'H[xW]';
  if (field.format === 'channels') return 'a[,b,c]';
  if (field.type === 'enum') return (field.choices ?? []).join('|');
  if (field.type === 'integer') return 'N';
  if (field.type === 'number') return 'X';
  if (field.type === 'string-list') return 'A,B';
  return field.example ?? 'VALUE';
}

/** Help column where descriptions start (flags longer than this put the text on the next line). */
export const HELP_COLUMN = 27;

function defaultText(field: OptionField): string {
  const d = field.default;
  if (d === undefined || isSwitch(field) || (Array.isArray(d) && d.length === 0)) return '';
  return ` (default ${typeof d === 'string' ? d : JSON.stringify(d)})`;
}

function helpLine(flag: string, field: OptionField, prefix = ''): string {
  const left = `  --${flag}${valueName(field) ? ` ${valueName(field)}` : ''}`;
  // A negating switch (--no-optimize) turns off something the description states positively: said first, as
  // "--no-optimize  Run onnxruntime's ... optimizations first" read as the opposite of what the flag does.
  const negates = field.type === 'boolean' && field.default === true;
  const description = field.description ?? field.label;
  // "Keep ..." reads on as "keep ..."; an acronym ("ONNX ...") keeps its case.
  const lowered = /^[A-Z][a-z]/.test(description) ? description.charAt(0).toLowerCase() + description.slice(1) : description;
  const what = negates ? `Turns off what is on by default: ${lowered}` : description;
  // An example not shown as the value's name (a metavar took its place) is given after the text.
  const example = field.metavar !== undefined && field.example !== undefined ? ` (e.g. ${field.example})` : '';
  const text = `${prefix}${what}${example}${defaultText(field)}`;
  return left.length >= HELP_COLUMN - 1 ? `${left}\n${' '.repeat(HELP_COLUMN)}${text}` : `${left.padEnd(HELP_COLUMN)}${text}`;
}

/** A number as the CLI accepts it: decimal, exponent, or a fraction like `1/255`. */
function parseRatio(text: string): number {
  const fraction = /^([-+]?[\d.]+(?:e[-+]?\d+)?)\/([\d.]+(?:e[-+]?\d+)?)$/i.exec(text);
  return fraction ? Number(fraction[1]) / Number(fraction[2]) : text === '' ? NaN : Number(text);
}

/** `--help` lines for a family's option flags: common ones first, then each method's. */
export function flagHelp(family: MethodFamily): string[] {
  const lines: string[] = [];
  for (const [flag, { field, scope }] of familyFlags(family)) {
    const owners = scope === 'common' ? field.methods : scope;
    lines.push(helpLine(flag, field, owners ? `${owners.join(', ')}: ` : ''));
  }
  return lines;
}

/**
 * A typed value from text as a user writes it, for the CLI and the app's forms alike. `name` is what messages
 * call it: `--size` on the command line, `Size` in a form.
 */
export function parseFieldText(field: OptionField, name: string, raw: string | boolean): Parsed<unknown> {
  if (isSwitch(field)) return { ok: true, value: switchValue(field) };
  const text = String(raw).trim();
  if (field.format === 'size') {
    const m = /^(\d+)(?:\s*[x×,]\s*(\d+))?$/i.exec(text);
    if (!m) return { ok: false, message: `${name} expects H or HxW in pixels (like 224 or 224x192), got '${String(raw)}'.` };
    return { ok: true, value: m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])] };
  }
  if (field.format === 'channels') {
    const values = text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(parseRatio);
    if (values.length === 0 || values.some((v) => !Number.isFinite(v))) {
      return { ok: false, message: `${name} expects numbers separated by commas (like ${field.example ?? '0.5,0.5,0.5'}), got '${String(raw)}'.` };
    }
    if (values.length !== 1 && values.length !== 3) {
      return { ok: false, message: `${name}: give 1 or 3 values (one for every channel, or one per channel), got ${values.length}.` };
    }
    return { ok: true, value: values };
  }
  switch (field.type) {
    case 'integer':
    case 'number': {
      const n = field.format === 'ratio' ? parseRatio(text) : text === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (field.type === 'integer' && !Number.isInteger(n))) {
        const like = field.format === 'ratio' ? ' (like 0.5 or 1/255)' : '';
        return { ok: false, message: `${name} expects ${field.type === 'integer' ? 'a whole number' : 'a number'}${like}, got '${String(raw)}'.` };
      }
      return { ok: true, value: n };
    }
    case 'enum': {
      const choices = field.choices ?? [];
      const value = choices.includes(text) ? text : choices.find((c) => c === text.toLowerCase());
      if (value === undefined) return { ok: false, message: `${name} must be one of ${choices.join(', ')}, got '${String(raw)}'.` };
      return { ok: true, value };
    }
    case 'string-list':
      return {
        ok: true,
        value: text
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, message: `${name} expects JSON, got '${String(raw)}'.` };
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
    const parsed = parseFieldText(field, `--${flag}`, Array.isArray(raw) ? raw.join(',') : raw);
    if (!parsed.ok) return parsed;
    (scope === 'common' ? common : options)[field.name] = parsed.value;
  }
  return { ok: true, value: { common, options } };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value as text the way `parseFieldText` reads it back (a form's starting value, a flag's argument). */
export function formatFieldText(field: OptionField, value: unknown): string {
  if (field.format === 'size' && Array.isArray(value)) return value.join('x');
  if (Array.isArray(value)) return value.map(String).join(field.format === 'channels' ? ', ' : ',');
  if (field.type === 'json') return JSON.stringify(value);
  return String(value);
}

function writeFlag(field: OptionField, value: unknown): string[] | undefined {
  const flag = `--${field.flag!}`;
  if (isSwitch(field)) return sameValue(value, switchValue(field)) ? [flag] : undefined;
  if (field.format === 'size') return [flag, Array.isArray(value) ? value.join('x') : String(value)];
  if ((field.format === 'channels' || field.type === 'string-list') && Array.isArray(value)) return [flag, value.map(String).join(',')];
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

// ---------------------------------------------------------------------------------------------------------
// Plain field lists (a dataset kind's options): dotted names (`preprocessing.size`) are nested keys.
// ---------------------------------------------------------------------------------------------------------

function withFlags(fields: readonly OptionField[]): OptionField[] {
  return fields.filter((f) => f.flag !== undefined);
}

/** `node:util` parseArgs entries for the fields that have flags. */
export function fieldParseArgs(fields: readonly OptionField[]): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(withFlags(fields).map((f) => [f.flag!, { type: isSwitch(f) ? ('boolean' as const) : ('string' as const) }]));
}

/** `--help` lines for the fields that have flags. */
export function fieldHelp(fields: readonly OptionField[]): string[] {
  return withFlags(fields).map((f) => helpLine(f.flag!, f));
}

/** The object the flags describe (only the fields whose flag was given), nested along dotted names. */
export function valuesFromFieldFlags(fields: readonly OptionField[], values: FlagValues): Parsed<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const field of withFlags(fields)) {
    const raw = values[field.flag!];
    if (raw === undefined || raw === false) continue;
    const parsed = parseFieldText(field, `--${field.flag!}`, Array.isArray(raw) ? raw.join(',') : raw);
    if (!parsed.ok) return parsed;
    const keys = field.name.split('.');
    let target = out;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[keys.at(-1)!] = parsed.value;
  }
  return { ok: true, value: out };
}

/** The flags that set the values of `object` (nested along dotted names); defaults need none. */
export function fieldFlagsFromValues(fields: readonly OptionField[], object: Record<string, unknown>): { args: string[]; unmapped: string[] } {
  const args: string[] = [];
  const unmapped: string[] = [];
  for (const field of fields) {
    let value: unknown = object;
    for (const key of field.name.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
    if (value === undefined || sameValue(value, field.default)) continue;
    const flags = field.flag ? writeFlag(field, value) : undefined;
    if (flags) args.push(...flags);
    else unmapped.push(`${field.name}=${JSON.stringify(value)}`);
  }
  return { args, unmapped };
}

/** The flag of a field, by its (dotted) name: for messages that should name what the user typed. */
export function flagOf(fields: readonly OptionField[], name: string): string | undefined {
  return fields.find((f) => f.name === name)?.flag;
}
