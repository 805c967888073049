/**
 * Form state for the option fields the contract's method catalog generates from the engine's zod schemas
 * (`OptionField`, shared/ipc-contract.ts): starting values, validation while the user types, and the
 * options object to send. The engine validates again before it runs anything; this only catches mistakes
 * early, with messages that name the field.
 *
 * Values are kept as the user's raw text for number, list and JSON fields (so "0." can be typed), and
 * converted by `toOptions` when the form is submitted.
 */
import { isRecord } from '../../../shared/is-record.js';
import type { OptionField } from '../../../shared/method-catalog-types.js';
import { parseFieldText } from '../../../shared/options/cli-flags.js';

export type { OptionField };

/** What the inputs hold: booleans as booleans, everything else as text. */
export type FormValues = Record<string, string | boolean>;

/** zod writes ±MAX_SAFE_INTEGER for `.int()` bounds; they are not worth showing or checking. */
const HUGE = 2 ** 52;

export function bound(value: number | undefined): number | undefined {
  return value !== undefined && Math.abs(value) < HUGE ? value : undefined;
}

/** The form's starting values: each field's default (or a preset), or empty. */
export function initialValues(
  fields: readonly OptionField[],
  preset: Record<string, unknown> = {},
): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = field.name in preset ? preset[field.name] : field.default;
    values[field.name] = toFormValue(field, value);
  }
  return values;
}

function toFormValue(field: OptionField, value: unknown): string | boolean {
  if (field.type === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (field.type === 'json') return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(String).join(', ');
  return String(value);
}

/** Field name → message, for the fields whose value is not acceptable. Empty when all are. */
export function validate(fields: readonly OptionField[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const message = fieldError(field, values[field.name]);
    if (message) errors[field.name] = message;
  }
  return errors;
}

function fieldError(field: OptionField, raw: string | boolean | undefined): string | undefined {
  if (field.type === 'boolean') return undefined;
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return field.required ? `${field.label} is required.` : undefined;
  // Sizes, per-channel values and fractions like 1/255 read the same as on the command line.
  const parsed = field.format ? parseFieldText(field, field.label, text) : undefined;
  if (parsed && !parsed.ok) return parsed.message;
  if (field.format && field.type === 'json') return undefined;
  switch (field.type) {
    case 'number':
    case 'integer': {
      const n = parsed?.ok ? Number(parsed.value) : Number(text);
      if (!Number.isFinite(n)) return `${field.label} must be a number.`;
      if (field.type === 'integer' && !Number.isInteger(n)) return `${field.label} must be a whole number.`;
      const min = bound(field.minimum);
      const max = bound(field.maximum);
      if (min !== undefined && n < min) return `${field.label} must be at least ${min}.`;
      if (max !== undefined && n > max) return `${field.label} must be at most ${max}.`;
      if (field.exclusiveMinimum !== undefined && n <= field.exclusiveMinimum) {
        return `${field.label} must be more than ${field.exclusiveMinimum}.`;
      }
      if (field.exclusiveMaximum !== undefined && n >= field.exclusiveMaximum) {
        return `${field.label} must be less than ${field.exclusiveMaximum}.`;
      }
      if (
        field.multipleOf !== undefined &&
        Math.abs(n / field.multipleOf - Math.round(n / field.multipleOf)) > 1e-9
      ) {
        return `${field.label} must be a multiple of ${field.multipleOf}.`;
      }
      return undefined;
    }
    case 'enum':
      return field.choices?.includes(text) ? undefined : `Choose one of: ${field.choices?.join(', ')}.`;
    case 'string':
      if (field.pattern) {
        try {
          if (!new RegExp(field.pattern).test(text)) return `${field.label} has the wrong format.`;
        } catch {
          return undefined;
        }
      }
      return undefined;
    case 'json':
      try {
        JSON.parse(text);
        return undefined;
      } catch {
        return `${field.label} is not valid JSON.`;
      }
    case 'string-list':
      return undefined;
  }
}

/**
 * The options object to send: typed values, and only fields that differ from their default (so recipes and
 * CLI commands stay short and pick up better defaults of later versions). Dotted names become nested
 * objects (`preprocessing.resize` → `{preprocessing: {resize}}`).
 */
export function toOptions(fields: readonly OptionField[], values: FormValues): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const field of fields) {
    const value = parseValue(field, values[field.name]);
    if (value === undefined) continue;
    if (field.default !== undefined && JSON.stringify(value) === JSON.stringify(field.default)) continue;
    setPath(options, field.name.split('.'), value);
  }
  return options;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = target[head];
  const next = isRecord(child) ? child : {};
  target[head] = next;
  setPath(next, rest, value);
}

function parseValue(field: OptionField, raw: string | boolean | undefined): unknown {
  if (field.type === 'boolean') return raw === true;
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return undefined;
  if (field.format) {
    const parsed = parseFieldText(field, field.label, text);
    return parsed.ok ? parsed.value : undefined;
  }
  switch (field.type) {
    case 'number':
    case 'integer':
      return Number(text);
    case 'enum': {
      // Choices are strings on the wire; a numeric choice (e.g. block size 32) goes back as a number when
      // the default is one.
      return typeof field.default === 'number' && Number.isFinite(Number(text)) ? Number(text) : text;
    }
    case 'string-list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    case 'string':
      return text;
  }
}

/** The field's constraints in words, for its help line when it has no description. */
export function describeConstraints(field: OptionField): string | undefined {
  const parts: string[] = [];
  const min = bound(field.minimum);
  const max = bound(field.maximum);
  if (min !== undefined) parts.push(`at least ${min}`);
  if (field.exclusiveMinimum !== undefined) parts.push(`more than ${field.exclusiveMinimum}`);
  if (max !== undefined) parts.push(`at most ${max}`);
  if (field.exclusiveMaximum !== undefined) parts.push(`less than ${field.exclusiveMaximum}`);
  if (field.multipleOf !== undefined) parts.push(`a multiple of ${field.multipleOf}`);
  if (field.type === 'string-list') parts.push('names separated by commas; empty means all');
  if (field.type === 'json' && !field.format) parts.push('JSON');
  return parts.length > 0 ? `${parts.join(', ')}.` : undefined;
}
