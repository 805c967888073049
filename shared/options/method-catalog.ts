/**
 * The method catalog, derived from the option declarations (option-spec.ts): every method's zod schema turned
 * into JSON Schema (`z.toJSONSchema`, which carries each option's metadata) and into flat fields. The app's
 * forms, the CLI's flags and help and the reproduce command all read these fields, so an option added to a
 * schema shows up everywhere at once. The engine builds it from its registries; the mock host from the same
 * specs, so the two cannot differ.
 */
import { z } from 'zod';
import { DATASET_KIND_SUMMARIES, DATASET_KINDS, DATASET_SPEC_SCHEMAS } from '../dataset-spec.js';
import type {
  DatasetKindDescription,
  MethodCatalog,
  MethodFamily,
  OptionField,
  OptionFieldType,
} from '../method-catalog-types.js';
import { labelFromKey } from './catalog-fields.js';
import type { MethodSpec } from './option-spec.js';
import { commonPruneOptionsSchema, PRUNE_METHOD_SPECS } from './prune-options.js';
import { tuneOptionsSchema } from './tune-options.js';
import { commonQuantizeOptionsSchema, QUANTIZE_METHOD_SPECS } from './quantize-options.js';

type JsonSchema = Record<string, unknown>;

/** zod writes ±MAX_SAFE_INTEGER for `.int()` bounds; they say nothing to a user. */
const HUGE = 2 ** 52;

function toJsonSchema(schema: z.ZodType): JsonSchema {
  // Input side: fields with defaults are optional, which is what a form sends.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function fieldType(prop: JsonSchema): OptionFieldType {
  if (Array.isArray(prop.enum) && prop.enum.every((v) => typeof v === 'string')) return 'enum';
  switch (prop.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'array': {
      const items = prop.items as JsonSchema | undefined;
      return items?.type === 'string' ? 'string-list' : 'json';
    }
    default:
      return 'json';
  }
}

function bound(value: unknown): number | undefined {
  return typeof value === 'number' && Math.abs(value) < HUGE ? value : undefined;
}

/** The option metadata keys copied from the JSON Schema onto a field. */
const META_KEYS = ['flag', 'appOnly', 'example', 'metavar', 'methods', 'switchTo', 'format'] as const;

/** Flat form fields of an object schema; nested objects become dotted names (`preprocessing.resize`). */
export function fieldsOf(schema: JsonSchema, prefix = '', parentOptional = false): OptionField[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const fields: OptionField[] = [];
  for (const [key, prop] of Object.entries(properties)) {
    if (key === 'kind') continue;
    const name = prefix ? `${prefix}.${key}` : key;
    if (prop.type === 'object' && prop.properties) {
      fields.push(...fieldsOf(prop, name, parentOptional || !required.has(key)));
      continue;
    }
    const field: OptionField = {
      name,
      label: labelFromKey(key),
      type: fieldType(prop),
      required: !parentOptional && required.has(key) && prop.default === undefined,
    };
    if (typeof prop.description === 'string') field.description = prop.description;
    if (prop.default !== undefined) field.default = prop.default;
    if (field.type === 'enum') field.choices = prop.enum as string[];
    const min = bound(prop.minimum);
    const max = bound(prop.maximum);
    if (min !== undefined) field.minimum = min;
    if (max !== undefined) field.maximum = max;
    if (typeof prop.exclusiveMinimum === 'number') field.exclusiveMinimum = prop.exclusiveMinimum;
    if (typeof prop.exclusiveMaximum === 'number') field.exclusiveMaximum = prop.exclusiveMaximum;
    if (typeof prop.multipleOf === 'number') field.multipleOf = prop.multipleOf;
    if (typeof prop.pattern === 'string') field.pattern = prop.pattern;
    for (const key of META_KEYS) {
      if (prop[key] !== undefined) (field as unknown as Record<string, unknown>)[key] = prop[key];
    }
    fields.push(field);
  }
  return fields;
}

export function methodFamily(
  kind: 'quantize' | 'prune',
  common: z.ZodType,
  methods: readonly MethodSpec[],
): MethodFamily {
  const commonSchema = toJsonSchema(common);
  return {
    commonSchema,
    commonFields: fieldsOf(commonSchema),
    methods: methods.map((m) => {
      const optionsSchema = toJsonSchema(m.optionSchema);
      return {
        kind,
        name: m.name,
        summary: m.summary,
        needsCalibration: m.needsCalibration ?? false,
        quantizedOutput: m.quantizedOutput ?? false,
        optionsSchema,
        fields: fieldsOf(optionsSchema),
      };
    }),
  };
}

export function datasetKinds(): DatasetKindDescription[] {
  return DATASET_KINDS.map((kind) => {
    const schema = toJsonSchema(DATASET_SPEC_SCHEMAS[kind]);
    return { kind, summary: DATASET_KIND_SUMMARIES[kind], schema, fields: fieldsOf(schema) };
  });
}

/**
 * The catalog of the given methods (default: every declared method). The engine passes its registries'
 * methods, so a method that is declared but not registered, or the reverse, shows in a test.
 */
export function buildMethodCatalog(
  quantize: readonly MethodSpec[] = Object.values(QUANTIZE_METHOD_SPECS),
  prune: readonly MethodSpec[] = Object.values(PRUNE_METHOD_SPECS),
): MethodCatalog {
  return {
    quantize: methodFamily('quantize', commonQuantizeOptionsSchema, quantize),
    prune: methodFamily('prune', commonPruneOptionsSchema, prune),
    datasets: datasetKinds(),
    tune: fieldsOf(z.toJSONSchema(tuneOptionsSchema, { io: 'input' }) as JsonSchema),
  };
}
